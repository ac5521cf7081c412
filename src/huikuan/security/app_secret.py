"""The application's own secret: signs web sessions and, through derived keys, the debtor links.

``HUIKUAN_SECRET_KEY`` in production; for development a random key kept in a file under
``var/`` (created once, mode 0600), so the web server, the daily cycle and the demo agree on
it without configuration.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from huikuan.logs import get_logger

SECRET_ENV = "HUIKUAN_SECRET_KEY"
DEV_SECRET_FILE = Path("var/dev-web-secret")

log = get_logger("huikuan.security")


def app_secret_key(path: Path = DEV_SECRET_FILE) -> str:
    """The environment's key, else the development key kept in ``path`` (made if missing)."""
    configured = os.environ.get(SECRET_ENV)
    if configured:
        return configured
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key)
    log.warning("development_web_secret_created", path=str(path))
    return key
