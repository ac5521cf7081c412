"""Texts for the day's messages: the active versions in the template store, rendered once each.

:class:`StoredTexts` looks each (code, jurisdiction, language) up once per run and keeps the
row, so a million reminders cost a million renders and a handful of queries. The version used
is reported back so every staged message can name the exact text it carried. Templates were
screened by the compliance guard when they were saved (:mod:`huikuan.messaging`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huikuan.messaging.catalogue import install_defaults
from huikuan.messaging.models import MessageTemplate
from huikuan.messaging.service import TemplateNotFoundError, get_template, render_row


@dataclass(frozen=True, slots=True)
class Text:
    subject: str
    body: str
    version: int
    params: dict[str, str] = field(default_factory=dict)  # what template-only providers need


class StoredTexts:
    """``texts(code, values, jurisdiction, language)`` → :class:`Text`, or ``None`` when the
    store has no active version (the action is then recorded as ``no_template``)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[tuple[str, str, str], MessageTemplate | None] = {}

    def __call__(
        self,
        code: str,
        values: dict[str, object],
        jurisdiction: str = "CN",
        language: str = "zh",
    ) -> Text | None:
        key = (code, jurisdiction, language)
        if key not in self._rows:
            try:
                self._rows[key] = get_template(
                    self.session, code, language, jurisdiction=jurisdiction
                )
            except TemplateNotFoundError:
                self._rows[key] = None
        row = self._rows[key]
        if row is None:
            return None
        rendered = render_row(row, values)
        params = {name: str(value) for name, value in values.items()}
        return Text(rendered.subject, rendered.body, rendered.version, params)


def ensure_default_templates(session: Session, at: datetime) -> int:
    """A database with no templates yet gets the screened defaults (a later run leaves the store
    to the people who edit it); returns how many were saved."""
    if session.scalar(select(func.count()).select_from(MessageTemplate)):
        return 0
    return install_defaults(session, at=at)
