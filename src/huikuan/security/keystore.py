"""Where the field cipher's keys come from: settings in production, a dev key file otherwise."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from huikuan.logs import get_logger
from huikuan.security.crypto import FieldCipher, KeyRing, generate_key, generate_spec
from huikuan.settings import Settings

log = get_logger("huikuan.security")


def cipher_from_settings(settings: Settings) -> FieldCipher:
    if settings.data_keys and settings.search_key:
        return FieldCipher(KeyRing.from_spec(settings.data_keys), _key_bytes(settings.search_key))
    if settings.data_keys or settings.search_key:
        raise ValueError("set both HUIKUAN_DATA_KEYS and HUIKUAN_SEARCH_KEY, or neither")
    spec, search = _dev_keys(settings.dev_key_file)
    return FieldCipher(KeyRing.from_spec(spec), _key_bytes(search))


def _key_bytes(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text.encode("ascii"))
    if len(raw) < 32:
        raise ValueError("the search key must be at least 32 bytes (urlsafe base64)")
    return raw


def _dev_keys(path: Path) -> tuple[str, str]:
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        return str(stored["data_keys"]), str(stored["search_key"])
    path.parent.mkdir(parents=True, exist_ok=True)
    spec, search = generate_spec("dev1"), generate_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"data_keys": spec, "search_key": search}, handle)
    log.warning("development_keys_created", path=str(path))
    return spec, search
