"""Field visits (外访) for agents and team leads: plan through the contact guard, check in,
record the outcome.

Data flow: the pages and the JSON routes call the same :mod:`huikuan.visits.service` functions
→ planning stores the visit with the guard's verdict whatever it is (a blocked or deferred visit
is shown with its reasons and, when deferred, the next allowed time) → check-in and outcome are
for the visit's collectors only (403 for anyone else who can see it); notes with a banned phrase
are refused with the phrases named. Times are entered and shown in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from huikuan.access.policy import Principal
from huikuan.db.ids import ROW_ID_MAX, RowIdField
from huikuan.org.models import Role
from huikuan.visits import service
from huikuan.visits.service import OUTCOMES, NotCollectorError, VisitRefusedError, VisitRow
from huikuan.web.areas import NavItem
from huikuan.web.auth import require_roles
from huikuan.web.deps import BUSINESS_TZ, Cipher, Config, DbSession, RowId, RowIdQuery
from huikuan.web.rendering import render

router = APIRouter()

VISITORS = frozenset({Role.AGENT, Role.TEAM_LEAD})
VisitPrincipal = Annotated[Principal, Depends(require_roles(Role.AGENT, Role.TEAM_LEAD))]
VisitId = RowId

NAV = (NavItem("visits.nav", "/visits", VISITORS, 30),)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not allowed for this role, not a collector of the visit, or no CSRF"},
    404: {"description": "Not found or outside the caller's scope"},
    422: {"description": "A field is wrong (named in detail[].loc), or the guard refused"},
}


class VisitRead(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    visit_id: int
    case_id: int
    case_no: str
    debtor_masked: str | None
    address_masked: str
    planned_at: datetime
    status: str = Field(description="planned, blocked, deferred, checked_in or done")
    decision: str = Field(description="the guard's verdict: allowed, blocked or deferred")
    next_allowed_at: datetime | None
    reasons: list[dict[str, Any]]
    collectors: list[str]
    planned_by: str
    checked_in_at: datetime | None
    location_masked: str | None
    outcome: str | None
    notes: str | None
    note_warnings: list[dict[str, Any]]


class VisitCreate(BaseModel):
    case_id: RowIdField
    contact_point_id: RowIdField
    planned_at: AwareDatetime
    collector_ids: list[RowIdField] = Field(min_length=1, max_length=10)


class CheckInCreate(BaseModel):
    location: str = Field(default="", max_length=200)
    coordinates: str = Field(default="", max_length=60, description="latitude,longitude")


class OutcomeCreate(BaseModel):
    outcome: str = Field(description=", ".join(OUTCOMES))
    notes: str = Field(default="", max_length=2000)


def _read(row: VisitRow) -> VisitRead:
    return VisitRead(
        visit_id=row.visit_id,
        case_id=row.case_id,
        case_no=row.case_no,
        debtor_masked=row.debtor_masked,
        address_masked=row.address_masked,
        planned_at=row.planned_at,
        status=row.status,
        decision=row.decision,
        next_allowed_at=row.next_allowed_at,
        reasons=[dict(r) for r in row.reasons],
        collectors=list(row.collectors),
        planned_by=row.planned_by,
        checked_in_at=row.checked_in_at,
        location_masked=row.location_masked,
        outcome=row.outcome,
        notes=row.notes,
        note_warnings=[dict(w) for w in row.note_warnings],
    )


def _refused_json(refusal: VisitRefusedError) -> JSONResponse:
    return JSONResponse(
        {
            "detail": [
                {
                    "loc": ["body", refusal.field],
                    "msg": refusal.code,
                    "reasons": refusal.reasons,
                }
            ]
        },
        status_code=422,
    )


def _local_input(value: str) -> datetime | None:
    """A ``datetime-local`` form value, read as Asia/Shanghai time."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=BUSINESS_TZ) if parsed.tzinfo is None else parsed


# ---------------------------------------------------------------------------------------------
# Pages


@router.get("/visits", include_in_schema=False)
def visits_page(
    request: Request,
    principal: VisitPrincipal,
    session: DbSession,
    case_id: RowIdQuery = None,
) -> Response:
    rows = service.list_visits(session, principal)
    choices = service.planning_choices(session, principal, case_id) if case_id else None
    return render(
        request,
        "visits/index.html",
        {
            "rows": rows,
            "cases": service.plannable_cases(session, principal),
            "choices": choices,
            "form": {},
            "error": None,
            "title_key": "visits.title",
        },
    )


@router.post("/visits", include_in_schema=False)
def plan_page(
    request: Request,
    principal: VisitPrincipal,
    session: DbSession,
    config: Config,
    case_id: Annotated[int, Form(ge=1, le=ROW_ID_MAX)],
    contact_point_id: Annotated[int | None, Form(ge=1, le=ROW_ID_MAX)] = None,
    planned_at: Annotated[str, Form(max_length=40)] = "",
    collector_ids: Annotated[list[RowIdField] | None, Form()] = None,
) -> Response:
    when = _local_input(planned_at)
    error: VisitRefusedError | None = None
    if when is None:
        error = VisitRefusedError("planned_at", "planned_at")
    elif contact_point_id is None:
        error = VisitRefusedError("contact_point_id", "address")
    else:
        try:
            visit = service.plan_visit(
                session,
                principal,
                case_id=case_id,
                contact_point_id=contact_point_id,
                planned_at=when,
                collector_ids=collector_ids or [],
                now=config.now(),
            )
        except VisitRefusedError as refusal:
            error = refusal
        else:
            return RedirectResponse(f"/visits/{visit.id}", status_code=303)
    return render(
        request,
        "visits/index.html",
        {
            "rows": service.list_visits(session, principal),
            "cases": service.plannable_cases(session, principal),
            "choices": service.planning_choices(session, principal, case_id),
            "form": {
                "contact_point_id": contact_point_id,
                "planned_at": planned_at,
                "collector_ids": collector_ids or [],
            },
            "error": error,
            "title_key": "visits.title",
        },
        status_code=422,
    )


def _detail_page(
    request: Request,
    principal: Principal,
    session: DbSession,
    visit_id: int,
    *,
    error: VisitRefusedError | None = None,
    status_code: int = 200,
) -> Response:
    row = service.get_visit(session, principal, visit_id)
    return render(
        request,
        "visits/detail.html",
        {
            "visit": row,
            "is_collector": principal.user_id in row.collector_ids,
            "outcomes": OUTCOMES,
            "error": error,
            "title_key": "visits.detail.title",
        },
        status_code=status_code,
    )


@router.get("/visits/{visit_id}", include_in_schema=False)
def visit_page(
    request: Request, visit_id: VisitId, principal: VisitPrincipal, session: DbSession
) -> Response:
    return _detail_page(request, principal, session, visit_id)


@router.post("/visits/{visit_id}/check-in", include_in_schema=False)
def check_in_page(
    request: Request,
    visit_id: VisitId,
    principal: VisitPrincipal,
    session: DbSession,
    cipher: Cipher,
    config: Config,
    location: Annotated[str, Form(max_length=400)] = "",
    coordinates: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    try:
        service.check_in(
            session,
            principal,
            visit_id,
            location=location,
            coordinates=coordinates,
            cipher=cipher,
            now=config.now(),
        )
    except NotCollectorError:
        raise HTTPException(status_code=403) from None
    except VisitRefusedError as refusal:
        return _detail_page(request, principal, session, visit_id, error=refusal, status_code=422)
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


@router.post("/visits/{visit_id}/outcome", include_in_schema=False)
def outcome_page(
    request: Request,
    visit_id: VisitId,
    principal: VisitPrincipal,
    session: DbSession,
    config: Config,
    outcome: Annotated[str, Form(max_length=24)] = "",
    notes: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        service.record_outcome(
            session, principal, visit_id, outcome=outcome, notes=notes, now=config.now()
        )
    except NotCollectorError:
        raise HTTPException(status_code=403) from None
    except VisitRefusedError as refusal:
        return _detail_page(request, principal, session, visit_id, error=refusal, status_code=422)
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


# ---------------------------------------------------------------------------------------------
# JSON


@router.get("/api/visits", response_model=list[VisitRead], responses=ERRORS)
def api_visits(principal: VisitPrincipal, session: DbSession) -> list[VisitRead]:
    """Visits on the caller's cases and the visits they go on, latest first."""
    return [_read(row) for row in service.list_visits(session, principal)]


@router.get("/api/visits/{visit_id}", response_model=VisitRead, responses=ERRORS)
def api_visit(visit_id: VisitId, principal: VisitPrincipal, session: DbSession) -> VisitRead:
    return _read(service.get_visit(session, principal, visit_id))


@router.post("/api/visits", response_model=VisitRead, responses=ERRORS)
def api_plan(
    body: VisitCreate, principal: VisitPrincipal, session: DbSession, config: Config
) -> Response:
    """Plan a visit; the guard's verdict comes back (a blocked or deferred visit is kept)."""
    try:
        visit = service.plan_visit(
            session,
            principal,
            case_id=body.case_id,
            contact_point_id=body.contact_point_id,
            planned_at=body.planned_at,
            collector_ids=body.collector_ids,
            now=config.now(),
        )
    except VisitRefusedError as refusal:
        return _refused_json(refusal)
    read = _read(service.get_visit(session, principal, visit.id))
    return JSONResponse(read.model_dump(mode="json"), status_code=201)


@router.post("/api/visits/{visit_id}/check-in", response_model=VisitRead, responses=ERRORS)
def api_check_in(
    visit_id: VisitId,
    body: CheckInCreate,
    principal: VisitPrincipal,
    session: DbSession,
    cipher: Cipher,
    config: Config,
) -> Response:
    """Check in (one of the visit's collectors); the guard is asked again for this moment."""
    try:
        service.check_in(
            session,
            principal,
            visit_id,
            location=body.location,
            coordinates=body.coordinates,
            cipher=cipher,
            now=config.now(),
        )
    except NotCollectorError:
        raise HTTPException(status_code=403) from None
    except VisitRefusedError as refusal:
        return _refused_json(refusal)
    read = _read(service.get_visit(session, principal, visit_id))
    return JSONResponse(read.model_dump(mode="json"))


@router.post("/api/visits/{visit_id}/outcome", response_model=VisitRead, responses=ERRORS)
def api_outcome(
    visit_id: VisitId,
    body: OutcomeCreate,
    principal: VisitPrincipal,
    session: DbSession,
    config: Config,
) -> Response:
    """Record what happened (one of the visit's collectors); notes are screened."""
    try:
        service.record_outcome(
            session, principal, visit_id, outcome=body.outcome, notes=body.notes, now=config.now()
        )
    except NotCollectorError:
        raise HTTPException(status_code=403) from None
    except VisitRefusedError as refusal:
        return _refused_json(refusal)
    read = _read(service.get_visit(session, principal, visit_id))
    return JSONResponse(read.model_dump(mode="json"))


ZH: dict[str, str] = {
    "visits.nav": "外访",
    "visits.title": "外访记录",
    "visits.plan": "安排外访",
    "visits.case": "案件",
    "visits.choose_case": "选择案件",
    "visits.address": "地址",
    "visits.no_address": "该案件债务人没有可用的本人地址。",
    "visits.planned_at": "计划时间（北京时间）",
    "visits.collectors": "外访人员",
    "visits.collectors_note": "外访须至少两名催收人员（同一机构 / 小组）。",
    "visits.submit": "提交合规检查并安排",
    "visits.status": "状态",
    "visits.status.planned": "已安排",
    "visits.status.blocked": "已禁止",
    "visits.status.deferred": "已延后",
    "visits.status.checked_in": "已签到",
    "visits.status.done": "已完成",
    "visits.empty": "暂无外访。",
    "visits.detail.title": "外访",
    "visits.planned_by": "安排人",
    "visits.checked_in_at": "签到",
    "visits.check_in": "签到",
    "visits.location": "位置说明",
    "visits.coordinates": "坐标（纬度,经度，可选）",
    "visits.outcome": "外访结果",
    "visits.outcome.met_debtor": "见到债务人",
    "visits.outcome.not_home": "不在家",
    "visits.outcome.moved": "已搬离",
    "visits.outcome.refused": "拒绝沟通",
    "visits.outcome.promise": "承诺还款",
    "visits.outcome.third_party_only": "仅见到第三方",
    "visits.outcome.address_invalid": "地址无效",
    "visits.outcome.other": "其他",
    "visits.notes": "备注",
    "visits.note_warnings": "备注中需复核的用语",
    "visits.save_outcome": "保存结果",
    "visits.back": "返回外访列表",
    "visits.error.address": "请选择债务人本人的地址。",
    "visits.error.collectors_required": "请选择外访人员。",
    "visits.error.collector_invalid": "外访人员须为本案件所属机构 / 小组的在职坐席或组长。",
    "visits.error.planned_past": "计划时间不能早于现在。",
    "visits.error.planned_at": "请填写有效的计划时间。",
    "visits.error.not_planned": "只有已安排（合规检查通过）的外访可以签到。",
    "visits.error.not_checked_in": "请先签到再记录结果。",
    "visits.error.location_required": "请填写位置说明或坐标。",
    "visits.error.location_long": "位置说明不能超过 200 个字符。",
    "visits.error.coordinates": "坐标格式应为“纬度,经度”，例如 39.9042,116.4074。",
    "visits.error.guard": "合规检查不允许此时外访：",
    "visits.error.outcome": "请选择外访结果。",
    "visits.error.notes_long": "备注不能超过 2000 个字符。",
    "visits.error.notes_banned": "备注含有禁用语，未保存：",
}

EN: dict[str, str] = {
    "visits.nav": "Field visits",
    "visits.title": "Field visits",
    "visits.plan": "Plan a field visit",
    "visits.case": "Case",
    "visits.choose_case": "Choose case",
    "visits.address": "Address",
    "visits.no_address": "The debtor of this case has no usable address of their own.",
    "visits.planned_at": "Planned start (Beijing time)",
    "visits.collectors": "Collectors",
    "visits.collectors_note": "A field visit needs at least two collectors (same agency / team).",
    "visits.submit": "Check with the guard and plan",
    "visits.status": "Status",
    "visits.status.planned": "Planned",
    "visits.status.blocked": "Blocked",
    "visits.status.deferred": "Deferred",
    "visits.status.checked_in": "Checked in",
    "visits.status.done": "Done",
    "visits.empty": "No field visits yet.",
    "visits.detail.title": "Field visit",
    "visits.planned_by": "Planned by",
    "visits.checked_in_at": "Checked in",
    "visits.check_in": "Check in",
    "visits.location": "Location",
    "visits.coordinates": "Coordinates (latitude,longitude, optional)",
    "visits.outcome": "Outcome",
    "visits.outcome.met_debtor": "Met the debtor",
    "visits.outcome.not_home": "Not at home",
    "visits.outcome.moved": "Moved away",
    "visits.outcome.refused": "Refused to talk",
    "visits.outcome.promise": "Promised to pay",
    "visits.outcome.third_party_only": "Met a third party only",
    "visits.outcome.address_invalid": "Address invalid",
    "visits.outcome.other": "Other",
    "visits.notes": "Notes",
    "visits.note_warnings": "Wording in the notes to review",
    "visits.save_outcome": "Save outcome",
    "visits.back": "Back to field visits",
    "visits.error.address": "Choose an address of the debtor's own.",
    "visits.error.collectors_required": "Choose the collectors.",
    "visits.error.collector_invalid": "Collectors must be active agents or team leads of the "
    "case's agency / team.",
    "visits.error.planned_past": "The planned start cannot be in the past.",
    "visits.error.planned_at": "Enter a valid planned start.",
    "visits.error.not_planned": "Only a planned visit (allowed by the guard) can be checked in.",
    "visits.error.not_checked_in": "Check in before recording the outcome.",
    "visits.error.location_required": "Enter the location or the coordinates.",
    "visits.error.location_long": "The location may have at most 200 characters.",
    "visits.error.coordinates": "Coordinates are 'latitude,longitude', e.g. 39.9042,116.4074.",
    "visits.error.guard": "The compliance guard does not allow a visit now:",
    "visits.error.outcome": "Choose an outcome.",
    "visits.error.notes_long": "Notes may have at most 2000 characters.",
    "visits.error.notes_banned": "The notes contain banned wording and were not saved:",
}
