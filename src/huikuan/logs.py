"""Structured logging (structlog) that never writes personal data.

Every event passes :func:`redact_personal_data` before it is rendered: values under keys that
name personal data (name, phone, ID number, address, email …) are replaced outright, and any
other string is scrubbed of anything shaped like a mainland mobile number, a resident ID number
or an email address. Logging is configured once, at the entry points.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PERSONAL_KEYS = frozenset(
    {
        "name",
        "debtor_name",
        "full_name",
        "phone",
        "mobile",
        "telephone",
        "id_number",
        "id_no",
        "identity",
        "address",
        "email",
        "wechat",
        "bank_card",
    }
)
REDACTED = "[redacted]"
_PATTERNS = (
    re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"),  # resident ID number
    re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),  # mainland mobile
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),  # email address
)


def scrub(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in PERSONAL_KEYS else _clean(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    return value


def redact_personal_data(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: personal data never reaches a log line."""
    for key in list(event):
        if key.lower() in PERSONAL_KEYS:
            event[key] = REDACTED
        else:
            event[key] = _clean(event[key])
    return event


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_personal_data,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # Look sys.stderr up on every use: a test runner or a daemon may swap it later.
        logger_factory=lambda *_args: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
