"""The letter channel: render the PDF and hand it to the print-and-mail house's spool folder.

Data flow::

    OutboundMessage(send_key, recipient = postal address (revealed), params = letter elements)
      ├─ already spooled? ─► the same SendResult, nothing rewritten (a re-send after a crash)
      ├─ params: every ``<name>_enc`` value → reveal(token) → ``<name>``
      ├─ from_params → LetterContent; missing_elements → ConfigurationFailure naming them
      ├─ render_pdf(content, kind=params["kind"], language=params["language"])
      └─ <spool>/.<name>.<random>.tmp written, fsynced, then linked to <spool>/<name>.pdf
         (never overwriting: of two racing workers the first wins, the second sees it)

The print house collects ``*.pdf`` only; temporary files start with a dot and end in ``.tmp``.
The file name is the send key made safe for any file system (``[A-Za-z0-9._-]``, with a hash
suffix whenever anything had to change, so two keys never share a file). Disk errors are
:class:`TemporaryFailure`; a letter that cannot be built from its params is a
:class:`~huikuan.dispatch.channels.ConfigurationFailure` (the address is not at fault).
Error texts name fields, never their values.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from huikuan.dispatch.channels import (
    ConfigurationFailure,
    OutboundMessage,
    SendResult,
    TemporaryFailure,
    redact,
)
from huikuan.letters.elements import (
    ENCRYPTED_SUFFIX,
    KINDS,
    LANGUAGES,
    Kind,
    Language,
    describe_missing,
    from_params,
    missing_elements,
)
from huikuan.letters.render import render_pdf

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_STEM = 120


def safe_name(send_key: str) -> str:
    """A file-name stem for a send key: unchanged when already safe, else cleaned plus a hash.

    >>> safe_name("letter-42.2026-03-02")
    'letter-42.2026-03-02'
    >>> safe_name("letter/42:zh"), safe_name("letter-42-zh")
    ('letter-42-zh-e76e86fd2797', 'letter-42-zh')
    """
    if not send_key:
        raise ValueError("a send key is needed to name the letter file")
    cleaned = _UNSAFE.sub("-", send_key)[:_MAX_STEM]
    if cleaned.startswith("."):  # never a hidden file, never "." or ".."
        cleaned = "_" + cleaned[1:]
    if cleaned == send_key:
        return cleaned
    digest = hashlib.sha256(send_key.encode("utf-8")).hexdigest()[:12]
    return f"{cleaned}-{digest}"


def _result(stem: str, pdf: bytes) -> SendResult:
    digest = hashlib.sha256(pdf).hexdigest()[:16]
    return SendResult(provider_message_id=f"spool:{stem}.pdf#sha256={digest}")


class LetterChannel:
    """A :class:`~huikuan.dispatch.channels.Channel` that spools letters as PDF files.

    ``reveal`` turns a field-cipher token into its text (the wiring passes the cipher's
    ``decrypt`` with the right context, e.g. ``debtor.name``).
    """

    def __init__(self, spool_dir: Path, reveal: Callable[[str], str]) -> None:
        self.spool_dir = Path(spool_dir)
        self.reveal = reveal

    def path_for(self, send_key: str) -> Path:
        return self.spool_dir / f"{safe_name(send_key)}.pdf"

    def send(self, message: OutboundMessage) -> SendResult:
        try:
            stem = safe_name(message.send_key)
        except ValueError as error:
            raise ConfigurationFailure(str(error)) from None
        target = self.spool_dir / f"{stem}.pdf"
        existing = self._read_existing(target)
        if existing is not None:
            return _result(stem, existing)
        pdf = self._render(message)
        self._write(target, pdf)
        return _result(stem, pdf)

    def _read_existing(self, target: Path) -> bytes | None:
        try:
            return target.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise TemporaryFailure(_os_error("cannot read the spooled letter", error)) from None

    def _render(self, message: OutboundMessage) -> bytes:
        params = self._revealed(message.params)
        # The kind comes from the params, else from the template code ("lawyer" or
        # "lawyer_letter"), else it is an ordinary collection letter.
        from_template = message.template.removesuffix("_letter")
        kind = params.get("kind", "") or (from_template if from_template in KINDS else "")
        kind = kind or "collection"
        language = params.get("language", "") or "zh"
        if kind not in KINDS:
            raise ConfigurationFailure(f"unknown letter kind {kind!r}; expected {', '.join(KINDS)}")
        if language not in LANGUAGES:
            raise ConfigurationFailure(
                f"unknown letter language {language!r}; expected {', '.join(LANGUAGES)}"
            )
        checked_kind: Kind = "lawyer" if kind == "lawyer" else "collection"
        checked_language: Language = "en" if language == "en" else "zh"
        try:
            content = from_params(params, debtor_address=message.recipient)
        except (ValueError, TypeError) as error:
            raise ConfigurationFailure(f"bad letter params: {error}") from None
        missing = missing_elements(content, checked_kind)
        if missing:
            raise ConfigurationFailure(
                f"letter is missing required elements: {', '.join(missing)} "
                f"({describe_missing(missing)})"
            )
        return render_pdf(content, kind=checked_kind, language=checked_language)

    def _revealed(self, params: Mapping[str, str]) -> dict[str, str]:
        plain: dict[str, str] = {}
        for key, value in params.items():
            if not key.endswith(ENCRYPTED_SUFFIX):
                plain.setdefault(key, value)
                continue
            name = key.removesuffix(ENCRYPTED_SUFFIX)
            try:
                plain[name] = self.reveal(value)
            except Exception as error:  # any cipher failure: retrying will not decrypt it
                raise ConfigurationFailure(f"cannot reveal {key}: {type(error).__name__}") from None
        return plain

    def _write(self, target: Path, pdf: bytes) -> None:
        try:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=self.spool_dir, prefix=f".{target.stem}.", suffix=".tmp"
            )
        except OSError as error:
            raise TemporaryFailure(_os_error("cannot write to the spool", error)) from None
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(pdf)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from the print house
            _publish(Path(temporary), target)
            _sync_directory(self.spool_dir)
        except OSError as error:
            raise TemporaryFailure(_os_error("cannot write to the spool", error)) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def _publish(temporary: Path, target: Path) -> None:
    """Give the finished file its name in one step, never replacing a letter already there."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        return  # another worker spooled the same letter (same content, it is deterministic)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        os.replace(temporary, target)  # a file system without hard links


def _sync_directory(directory: Path) -> None:
    """Make the new name durable: fsync the directory (not possible on every platform)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _os_error(what: str, error: OSError) -> str:
    # The path holds only the spool folder and the send key; the strerror is the useful part.
    return redact(f"{what}: {type(error).__name__} {error.strerror or error}")
