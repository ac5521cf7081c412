"""The HTML pages: the role's start page, the work queue, the case page and the language switch.

Each page resolves the principal, calls the same read/service functions as the JSON API
(:mod:`huikuan.web.queries`, :mod:`huikuan.web.service`) and renders a template; htmx requests
get just the fragment they swap in (``HX-Request`` header). Later screens add their own router
module beside this one and list it in ``huikuan.web.app.ROUTERS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from huikuan.compliance.designations import designations_in_force
from huikuan.db.ids import ROW_ID_MAX
from huikuan.org.models import Role
from huikuan.web import areas
from huikuan.web.auth import CurrentPrincipal, safe_next
from huikuan.web.deps import CaseId, Cipher, Config, DbSession
from huikuan.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from huikuan.web.queries import MAX_OFFSET, case_detail, work_queue
from huikuan.web.rendering import render
from huikuan.web.service import reveal_field

router = APIRouter(include_in_schema=False)

# Where each role lands after signing in; later screens replace their role's entry.
ROLE_HOME: Mapping[Role, str] = MappingProxyType(
    {
        Role.AGENT: "/queue",
        Role.TEAM_LEAD: "/queue",
        Role.QA: "/home",
        Role.LEGAL: "/home",
        Role.MANAGER: "/home",
        Role.ADMIN: "/home",
        Role.CREDITOR_CLIENT: "/home",
    }
)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get("/")
def index(principal: CurrentPrincipal) -> Response:
    home = {**ROLE_HOME, **areas.homes()}
    return RedirectResponse(home.get(principal.role, "/home"), status_code=303)


@router.get("/home")
def home(request: Request, principal: CurrentPrincipal) -> Response:
    return render(request, "home.html", {"title_key": "home.title"})


@router.get("/queue")
def queue(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    config: Config,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
) -> Response:
    page = work_queue(session, principal, today=config.business_date(), limit=limit, offset=offset)
    template = "queue_rows.html" if _is_htmx(request) and offset > 0 else "queue.html"
    return render(request, template, {"queue": page, "title_key": "queue.title"})


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    case_id: CaseId,
    principal: CurrentPrincipal,
    session: DbSession,
    config: Config,
) -> Response:
    detail = case_detail(session, principal, case_id)
    # What the debtor asked of us (stop calls, inconvenient times, opt-outs), in force now.
    wishes = designations_in_force(session, case_id, config.now())
    context = {"case": detail, "title_key": "case.title", "designations": wishes}
    return render(request, "case.html", context)


@router.post("/cases/{case_id}/reveal")
def case_reveal(
    request: Request,
    case_id: CaseId,
    principal: CurrentPrincipal,
    session: DbSession,
    cipher: Cipher,
    config: Config,
    field: Annotated[str, Form(pattern="^(name|mobile|id_number)$")],
    contact_id: Annotated[int | None, Form(ge=1, le=ROW_ID_MAX)] = None,
) -> Response:
    value = reveal_field(
        session,
        principal,
        case_id,
        field,
        contact_id=contact_id,
        cipher=cipher,
        at=config.now(),
    )
    return render(request, "revealed.html", {"value": value, "field": field})


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
    return response
