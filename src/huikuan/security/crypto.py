"""Field-level encryption (AES-256-GCM) with key rotation, and keyed search hashes.

Data flow: a key-ring spec from settings → :meth:`KeyRing.from_spec` → :class:`FieldCipher`,
built once at start-up together with the search key.

* ``encrypt(plaintext, context=…)`` → ``"v1:<key_id>:<urlsafe-b64(nonce | ciphertext+tag)>"``,
  stored in place of the value. The ``context`` (the column, e.g. ``"debtor.id_number"``) is the
  associated data, so a token copied into another column does not decrypt there.
* ``decrypt(token, context=…)`` picks the key named in the token, so tokens written under older
  keys stay readable while the ring still lists them. ``needs_rotation`` / ``rotate`` let a job
  re-encrypt old tokens under the current key, after which the old key can leave the ring.
* ``search_hash(value, kind=…)`` → HMAC-SHA256 (hex) of the normalised value. It goes into an
  indexed column so an exact match ("find the debtor with this ID number") needs no decryption.

The search key is deliberately *not* part of the rotating key ring: every stored hash depends
on it, so changing it means recomputing the hash of every row (decrypt, re-hash, write) in one
planned migration. :meth:`FieldCipher.with_search_key` builds the cipher such a migration needs;
ordinary data-key rotation never touches the hashes.

Nothing here puts a plaintext value or key material into an exception message or a ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
"""AES-256: every data key is 32 bytes."""

MIN_SEARCH_KEY_BYTES = 32
"""The HMAC search key must be at least as strong as the data keys."""

NONCE_BYTES = 12
TAG_BYTES = 16
TOKEN_VERSION = "v1"

_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_URLSAFE_B64 = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")
_NON_DIGITS = re.compile(r"\D")


class CryptoError(Exception):
    """Base of the errors raised when a stored token cannot be turned back into a value."""


class DecryptionError(CryptoError):
    """A token is malformed, was tampered with, or belongs to another field (context)."""


class UnknownKeyError(DecryptionError):
    """A token names a key id that the key ring does not hold (a retired or missing key)."""

    def __init__(self, key_id: str, known: Iterable[str]) -> None:
        self.key_id = key_id
        super().__init__(
            f"token was encrypted with key id {key_id!r}, which is not in the key ring "
            f"(ring holds: {', '.join(known)}); add the key back to the data-key spec"
        )


class SearchKind(StrEnum):
    """Kinds of value with their own normalisation before hashing; other kinds are stripped."""

    ID_NUMBER = "id_number"
    PHONE = "phone"
    EMAIL = "email"


def generate_key() -> str:
    """A new random data key: urlsafe base64 of 32 bytes, as written in a key-ring spec."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def generate_spec(key_id: str = "k1") -> str:
    """A one-key ring spec (``"k1:<key>"``); prepend new entries to rotate later."""
    _check_key_id(key_id)
    return f"{key_id}:{generate_key()}"


def decode_key(text: str, *, name: str = "key") -> bytes:
    """The bytes of a urlsafe-base64 key (padding optional); ``ValueError`` naming ``name``."""
    decoded = _b64decode(text.strip())
    if decoded is None:
        raise ValueError(f"{name} is not urlsafe base64")
    return decoded


def _b64decode(value: str) -> bytes | None:
    """Strict urlsafe-base64 decoding (padding optional); ``None`` for anything else."""
    if not value or not _URLSAFE_B64.match(value):
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _check_key_id(key_id: str) -> None:
    if not _KEY_ID.match(key_id):
        raise ValueError(f"key id {key_id!r} is invalid: use 1-32 letters, digits, '_', '.' or '-'")


@dataclass(frozen=True, slots=True, repr=False)
class KeyRing:
    """Data-encryption keys by id; the first entry is the current key used for new tokens."""

    entries: tuple[tuple[str, bytes], ...]

    def __post_init__(self) -> None:
        if not self.entries:
            raise ValueError("a key ring needs at least one key")
        seen: set[str] = set()
        for key_id, key in self.entries:
            _check_key_id(key_id)
            if key_id in seen:
                raise ValueError(f"key id {key_id!r} appears more than once in the key ring")
            seen.add(key_id)
            if len(key) != KEY_BYTES:
                raise ValueError(
                    f"key {key_id!r} is {len(key)} bytes; AES-256 keys are {KEY_BYTES} bytes"
                )

    @classmethod
    def from_spec(cls, spec: str) -> Self:
        """Parse ``"k2:<urlsafe-b64>,k1:<urlsafe-b64>"`` (current key first)."""
        entries: list[tuple[str, bytes]] = []
        for position, part in enumerate(spec.split(","), start=1):
            item = part.strip()
            if not item:
                if spec.strip():
                    raise ValueError(f"key-ring spec entry {position} is empty")
                raise ValueError("key-ring spec is empty; generate one with generate_spec()")
            key_id, sep, encoded = item.partition(":")
            if not sep:
                raise ValueError(
                    f"key-ring spec entry {position} must look like '<key_id>:<base64 key>'"
                )
            key_id = key_id.strip()
            _check_key_id(key_id)
            entries.append((key_id, decode_key(encoded, name=f"key {key_id!r}")))
        return cls(tuple(entries))

    @property
    def current_id(self) -> str:
        """The id new tokens are written under."""
        return self.entries[0][0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(key_id for key_id, _ in self.entries)

    def __contains__(self, key_id: object) -> bool:
        return any(key_id == known for known, _ in self.entries)

    def key(self, key_id: str) -> bytes:
        """The key with this id; :class:`UnknownKeyError` naming it when the ring lacks it."""
        for known, key in self.entries:
            if known == key_id:
                return key
        raise UnknownKeyError(key_id, self.key_ids)

    def __repr__(self) -> str:
        return f"KeyRing(current={self.current_id!r}, key_ids={self.key_ids!r})"


def normalise_for_search(value: str, kind: str) -> str:
    """The form of ``value`` that is hashed, so equal values written differently match.

    >>> normalise_for_search(" 11010519491231002x ", "id_number")
    '11010519491231002X'
    >>> normalise_for_search("+86 138-1234-5678", "phone")
    '13812345678'
    >>> normalise_for_search(" Li.Lei@Example.COM ", "email")
    'li.lei@example.com'
    """
    if kind == SearchKind.ID_NUMBER:
        return value.strip().upper()
    if kind == SearchKind.PHONE:
        digits = _NON_DIGITS.sub("", value)
        if len(digits) == 15 and digits.startswith("0086"):
            return digits[4:]
        if len(digits) == 13 and digits.startswith("86"):
            return digits[2:]
        return digits
    if kind == SearchKind.EMAIL:
        return value.strip().lower()
    return value.strip()


class FieldCipher:
    """Encrypts and decrypts single field values and computes their search hashes.

    Built once (at start-up, from settings) and shared; it holds no mutable state.
    """

    __slots__ = ("_aead", "_ring", "_search_key")

    def __init__(self, ring: KeyRing, search_key: bytes) -> None:
        if len(search_key) < MIN_SEARCH_KEY_BYTES:
            raise ValueError(
                f"the search key is {len(search_key)} bytes; use at least {MIN_SEARCH_KEY_BYTES}"
            )
        if any(hmac.compare_digest(search_key, key) for _, key in ring.entries):
            raise ValueError("the search key must differ from every data key")
        self._ring = ring
        self._search_key = bytes(search_key)
        self._aead: Mapping[str, AESGCM] = {key_id: AESGCM(key) for key_id, key in ring.entries}

    @classmethod
    def from_spec(cls, data_keys: str, search_key: str) -> Self:
        """From settings text: a key-ring spec and a urlsafe-base64 search key."""
        return cls(KeyRing.from_spec(data_keys), decode_key(search_key, name="search key"))

    @property
    def ring(self) -> KeyRing:
        return self._ring

    def with_ring(self, ring: KeyRing) -> FieldCipher:
        """The same search key over another key ring (after adding or retiring a data key)."""
        return FieldCipher(ring, self._search_key)

    def with_search_key(self, search_key: bytes) -> FieldCipher:
        """The same data keys with another search key, for a planned re-hash of every row."""
        return FieldCipher(self._ring, search_key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """A fresh token (random nonce) for ``plaintext`` under the current key."""
        key_id = self._ring.current_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[key_id].encrypt(nonce, plaintext.encode("utf-8"), _aad(context))
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{TOKEN_VERSION}:{key_id}:{body}"

    def decrypt(self, token: str, *, context: str) -> str:
        """The plaintext of ``token``, which must have been written for the same ``context``."""
        key_id, blob = _parse(token)
        aead = self._aead.get(key_id)
        if aead is None:
            raise UnknownKeyError(key_id, self._ring.key_ids)
        nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            plain = aead.decrypt(nonce, sealed, _aad(context))
        except InvalidTag:
            raise DecryptionError(
                f"cannot decrypt a {context!r} value with key {key_id!r}: the token was "
                "altered or was written for another field"
            ) from None
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:  # authenticated but not text: written by something else
            raise DecryptionError(f"a {context!r} token does not hold UTF-8 text") from None

    def key_id_of(self, token: str) -> str:
        """The key id a token was written under (no decryption)."""
        return _parse(token)[0]

    def needs_rotation(self, token: str) -> bool:
        """Whether ``token`` was written under a key other than the current one."""
        return self.key_id_of(token) != self._ring.current_id

    def rotate(self, token: str, *, context: str) -> str:
        """``token`` re-encrypted under the current key.

        A token already under the current key comes back unchanged, so a rotation job can be
        re-run and only rewrites rows that need it.
        """
        if not self.needs_rotation(token):
            return token
        return self.encrypt(self.decrypt(token, context=context), context=context)

    def search_hash(self, value: str, *, kind: str) -> str:
        """HMAC-SHA256 (hex) of the normalised value, prefixed by its kind.

        The kind prefix keeps equal strings of different kinds (a phone number and an account
        reference with the same digits) from sharing a hash.
        """
        if not kind or "\x00" in kind:
            raise ValueError("a search-hash kind must be a non-empty name without NUL")
        normalised = normalise_for_search(value, kind)
        if not normalised:
            raise ValueError(f"nothing left to hash after normalising a {kind!r} value")
        message = kind.encode("utf-8") + b"\x00" + normalised.encode("utf-8")
        return hmac.new(self._search_key, message, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"FieldCipher(current={self._ring.current_id!r}, key_ids={self._ring.key_ids!r})"


def _aad(context: str) -> bytes:
    if not context:
        raise ValueError("an encryption context (e.g. 'debtor.id_number') is required")
    return context.encode("utf-8")


def _parse(token: str) -> tuple[str, bytes]:
    """``(key_id, nonce | ciphertext+tag)`` of a token; :class:`DecryptionError` if malformed."""
    version, sep1, rest = token.partition(":")
    key_id, sep2, body = rest.partition(":")
    if not (sep1 and sep2) or version != TOKEN_VERSION:
        raise DecryptionError(f"not a {TOKEN_VERSION} field token")
    if not _KEY_ID.match(key_id):
        raise DecryptionError(f"{TOKEN_VERSION} field token has a malformed key id")
    blob = _b64decode(body)
    if blob is None:
        raise DecryptionError(f"{TOKEN_VERSION} field token body is not urlsafe base64")
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(f"{TOKEN_VERSION} field token is too short")
    return key_id, blob
