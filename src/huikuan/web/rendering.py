"""Turning a template and a context into an HTML response, in the request's language.

Every page gets the same base context: ``_`` (the translator for the request's language),
``lang``, the signed-in ``principal`` (or ``None``), the session's ``csrf_token`` (for hidden
form fields and the ``hx-headers`` attribute on ``<body>``) and small formatting filters.
Jinja2 autoescaping is on for every template, so data is always escaped unless a template says
otherwise (none does).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from huikuan.core.money import format_minor
from huikuan.web import areas
from huikuan.web.deps import BUSINESS_TZ
from huikuan.web.i18n import DEFAULT_LANGUAGE, HTML_LANG, LANGUAGES, translate, translate_code

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def yuan(minor: int | None) -> str:
    """Fen as yuan text, exactly (no floats): ``123456`` → ``1,234.56``."""
    return "" if minor is None else format_minor(minor)


def local_time(moment: datetime | None) -> str:
    """A stored (UTC) timestamp in the collection centre's time, to the minute."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite drops the offset; stored values are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def _make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["yuan"] = yuan
    templates.env.filters["local_time"] = local_time
    templates.env.globals["LANGUAGES"] = LANGUAGES
    return templates


templates = _make_templates()


def language_of(request: Request) -> str:
    lang: str = getattr(request.state, "lang", DEFAULT_LANGUAGE)
    return lang


def base_context(request: Request) -> dict[str, Any]:
    lang = language_of(request)
    web = getattr(request.state, "web_session", None)
    return {
        "_": partial(translate, lang),
        "code": partial(translate_code, lang),
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "principal": getattr(request.state, "principal", None),
        "csrf_token": web.csrf if web is not None else "",
        "path": request.url.path,
        "nav_items": areas.nav_items(),
    }


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    full = base_context(request) | dict(context or {})
    return templates.TemplateResponse(request, name, full, status_code=status_code)


class PageRefusal(Exception):  # noqa: N818 - a refusal, answered with its own page
    """Raise with a rendered error page: the request's transaction rolls back (nothing
    half-written) and the app answers with ``response`` (see ``app._add_error_handlers``)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response
