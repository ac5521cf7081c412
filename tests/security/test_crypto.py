"""Field encryption, key rotation and search hashes for ID and phone numbers."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.security.crypto import (
    DecryptionError,
    FieldCipher,
    KeyRing,
    UnknownKeyError,
    decode_key,
    generate_key,
    generate_spec,
    normalise_for_search,
)

ID_CONTEXT = "debtor.id_number"
PHONE_CONTEXT = "debtor.phone"
SEARCH_KEY = bytes(range(32))
K1 = base64.urlsafe_b64encode(b"\x01" * 32).decode()
K2 = base64.urlsafe_b64encode(b"\x02" * 32).decode()


def cipher(spec: str, search_key: bytes = SEARCH_KEY) -> FieldCipher:
    return FieldCipher(KeyRing.from_spec(spec), search_key)


@pytest.fixture
def fc() -> FieldCipher:
    return cipher(f"k1:{K1}")


@pytest.mark.parametrize(
    "plaintext", ["11010519491231002X", "13812345678", "", "张三 · 北京市朝阳区", "🙂\x00tail"]
)
def test_round_trip(fc: FieldCipher, plaintext: str) -> None:
    token = fc.encrypt(plaintext, context=ID_CONTEXT)
    assert token.startswith("v1:k1:")
    assert plaintext not in token or plaintext == ""
    assert fc.decrypt(token, context=ID_CONTEXT) == plaintext


@given(st.text())
def test_round_trip_any_text(plaintext: str) -> None:
    fc = cipher(f"k1:{K1}")
    assert fc.decrypt(fc.encrypt(plaintext, context=PHONE_CONTEXT), context=PHONE_CONTEXT) == (
        plaintext
    )


def test_each_encryption_uses_a_fresh_nonce(fc: FieldCipher) -> None:
    tokens = {fc.encrypt("13812345678", context=PHONE_CONTEXT) for _ in range(50)}
    assert len(tokens) == 50


def test_a_token_moved_to_another_column_does_not_decrypt(fc: FieldCipher) -> None:
    token = fc.encrypt("11010519491231002X", context=ID_CONTEXT)
    with pytest.raises(DecryptionError, match="altered or was written for another field") as err:
        fc.decrypt(token, context=PHONE_CONTEXT)
    assert "11010519491231002X" not in str(err.value)


def test_every_tampered_byte_is_detected(fc: FieldCipher) -> None:
    token = fc.encrypt("11010519491231002X", context=ID_CONTEXT)
    prefix, body = token.rsplit(":", 1)
    raw = base64.urlsafe_b64decode(body)
    for index in range(len(raw)):
        flipped = bytearray(raw)
        flipped[index] ^= 0x01
        forged = f"{prefix}:{base64.urlsafe_b64encode(bytes(flipped)).decode()}"
        with pytest.raises(DecryptionError) as err:
            fc.decrypt(forged, context=ID_CONTEXT)
        assert "11010519491231002X" not in str(err.value)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "not a v1 field token"),
        ("13812345678", "not a v1 field token"),
        ("v2:k1:AAAA", "not a v1 field token"),
        ("v1:k 1:AAAA", "malformed key id"),
        ("v1:k1:not*base64", "not urlsafe base64"),
        ("v1:k1:AAAA", "too short"),
    ],
)
def test_malformed_tokens(fc: FieldCipher, token: str, message: str) -> None:
    with pytest.raises(DecryptionError, match=message):
        fc.decrypt(token, context=ID_CONTEXT)


def test_rotation_keeps_old_tokens_readable_and_moves_them_to_the_new_key() -> None:
    old = cipher(f"k1:{K1}")
    token = old.encrypt("11010519491231002X", context=ID_CONTEXT)

    both = cipher(f"k2:{K2},k1:{K1}")
    assert both.decrypt(token, context=ID_CONTEXT) == "11010519491231002X"
    assert both.key_id_of(token) == "k1"
    assert both.needs_rotation(token)
    assert both.encrypt("x", context=ID_CONTEXT).startswith("v1:k2:")

    rotated = both.rotate(token, context=ID_CONTEXT)
    assert both.key_id_of(rotated) == "k2"
    assert not both.needs_rotation(rotated)
    assert both.rotate(rotated, context=ID_CONTEXT) == rotated  # a second run rewrites nothing
    assert both.decrypt(rotated, context=ID_CONTEXT) == "11010519491231002X"
    assert cipher(f"k2:{K2}").decrypt(rotated, context=ID_CONTEXT) == "11010519491231002X"

    with pytest.raises(DecryptionError):  # rotation re-binds to the same column only
        both.rotate(token, context=PHONE_CONTEXT)


def test_a_retired_key_is_named_in_the_error() -> None:
    token = cipher(f"k1:{K1}").encrypt("13812345678", context=PHONE_CONTEXT)
    with pytest.raises(UnknownKeyError, match=r"key id 'k1'.*ring holds: k2") as err:
        cipher(f"k2:{K2}").decrypt(token, context=PHONE_CONTEXT)
    assert err.value.key_id == "k1"
    assert "13812345678" not in str(err.value)


def test_same_key_id_with_a_different_key_fails_cleanly() -> None:
    token = cipher(f"k1:{K1}").encrypt("13812345678", context=PHONE_CONTEXT)
    with pytest.raises(DecryptionError):
        cipher(f"k1:{K2}").decrypt(token, context=PHONE_CONTEXT)


def test_search_hash_is_stable_across_how_a_value_was_written(fc: FieldCipher) -> None:
    id_hash = fc.search_hash("11010519491231002X", kind="id_number")
    assert fc.search_hash(" 11010519491231002x\n", kind="id_number") == id_hash
    assert len(id_hash) == 64
    assert int(id_hash, 16) >= 0

    phone_hash = fc.search_hash("13812345678", kind="phone")
    for written in ("138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "0086 13812345678"):
        assert fc.search_hash(written, kind="phone") == phone_hash

    assert fc.search_hash(" Li.Lei@Example.com", kind="email") == fc.search_hash(
        "li.lei@example.com", kind="email"
    )
    assert fc.search_hash(" ref-1 ", kind="account_ref") == fc.search_hash(
        "ref-1", kind="account_ref"
    )


def test_search_hash_separates_values_kinds_and_keys(fc: FieldCipher) -> None:
    phone = fc.search_hash("13812345678", kind="phone")
    assert fc.search_hash("13812345679", kind="phone") != phone
    assert fc.search_hash("13812345678", kind="account_ref") != phone
    assert fc.search_hash("13812345678", kind="id_number") != phone
    other_key = cipher(f"k1:{K1}", search_key=b"\xff" * 32)
    assert other_key.search_hash("13812345678", kind="phone") != phone
    # the search key does not rotate with the data keys: hashes survive a data-key rotation
    assert cipher(f"k2:{K2},k1:{K1}").search_hash("13812345678", kind="phone") == phone
    assert fc.with_search_key(b"\xff" * 32).search_hash("13812345678", kind="phone") == (
        other_key.search_hash("13812345678", kind="phone")
    )


def test_search_hash_refuses_values_that_normalise_to_nothing(fc: FieldCipher) -> None:
    with pytest.raises(ValueError, match="nothing left to hash"):
        fc.search_hash(" - ", kind="phone")
    with pytest.raises(ValueError, match="kind"):
        fc.search_hash("x", kind="")


def test_a_thirteen_digit_number_not_starting_86_is_kept_whole() -> None:
    assert normalise_for_search("1381234567890", "phone") == "1381234567890"
    assert normalise_for_search("8613812345678", "phone") == "13812345678"
    assert normalise_for_search("861381234567", "phone") == "861381234567"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "spec is empty"),
        ("   ", "spec is empty"),
        (f"k1:{K1},", "entry 2 is empty"),
        (K1, "must look like"),
        (f"k1:{K1},k1:{K2}", "'k1' appears more than once"),
        (f"k1:{base64.urlsafe_b64encode(b'short').decode()}", "'k1' is 5 bytes"),
        ("k1:", "'k1' is not urlsafe base64"),
        ("k1:@@@@", "'k1' is not urlsafe base64"),
        (f"bad id:{K1}", "key id 'bad id' is invalid"),
        (f":{K1}", "key id '' is invalid"),
    ],
)
def test_malformed_specs_are_refused_with_a_clear_message(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as err:
        KeyRing.from_spec(spec)
    assert K1 not in str(err.value)
    assert K2 not in str(err.value)


def test_spec_parsing() -> None:
    ring = KeyRing.from_spec(f" k2 : {K2} , k1:{K1.rstrip('=')} ")  # spaces, padding optional
    assert ring.current_id == "k2"
    assert ring.key_ids == ("k2", "k1")
    assert ring.key("k1") == b"\x01" * 32
    assert "k1" in ring
    assert "k3" not in ring
    with pytest.raises(UnknownKeyError, match="'k3'"):
        ring.key("k3")


def test_generated_keys_and_specs() -> None:
    key = generate_key()
    assert len(decode_key(key)) == 32
    assert generate_key() != key
    ring = KeyRing.from_spec(generate_spec("2024q1"))
    assert ring.key_ids == ("2024q1",)
    assert KeyRing.from_spec(generate_spec()).current_id == "k1"
    with pytest.raises(ValueError, match="invalid"):
        generate_spec("k:1")


def test_cipher_refuses_weak_or_reused_search_keys() -> None:
    ring = KeyRing.from_spec(f"k1:{K1}")
    with pytest.raises(ValueError, match="at least 32"):
        FieldCipher(ring, b"short")
    with pytest.raises(ValueError, match="differ from every data key"):
        FieldCipher(ring, b"\x01" * 32)


def test_from_spec_reads_settings_text() -> None:
    fc = FieldCipher.from_spec(f"k1:{K1}", base64.urlsafe_b64encode(SEARCH_KEY).decode())
    assert fc.search_hash("13812345678", kind="phone") == cipher(f"k1:{K1}").search_hash(
        "13812345678", kind="phone"
    )
    with pytest.raises(ValueError, match="search key is not urlsafe base64"):
        FieldCipher.from_spec(f"k1:{K1}", "!!")


def test_reprs_show_key_ids_but_never_keys(fc: FieldCipher) -> None:
    ring = KeyRing.from_spec(f"k2:{K2},k1:{K1}")
    both = FieldCipher(ring, SEARCH_KEY)
    for shown in (repr(ring), str(ring), repr(both), str(both), repr(fc)):
        assert "k1" in shown
        for secret in (K1, K2, K1.rstrip("="), repr(b"\x01" * 32), repr(SEARCH_KEY)):
            assert secret not in shown
        assert "\\x01" not in shown
        assert "\\x00" not in shown
    assert repr(ring) == "KeyRing(current='k2', key_ids=('k2', 'k1'))"
