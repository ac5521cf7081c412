"""质检 QA screens: the contact sample, score sheets, complaints (投诉) and disputes (争议).

Pages (QA and managers) and JSON routes under ``/api/quality`` call the same functions of
:mod:`huikuan.quality.service`, which check role and case scope and audit every change. Errors
of the service become: :class:`~huikuan.quality.service.NotAllowedError` → 403,
:class:`~huikuan.quality.service.InvalidInputError` → the form again with the field named (422;
JSON ``detail[].loc`` names it), :class:`~huikuan.quality.service.ConflictError` → 409, and
``AccessDeniedError`` (out of scope) → the app's 404. Pages post and then redirect (303), so a
reload never posts twice. Loading the complaint list escalates overdue complaints first.

Highlighting: the service cuts texts into segments; ``quality/_text.html`` prints each one
through autoescaping and wraps only the banned-phrase segments in ``<mark>``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from huikuan.access.policy import Principal
from huikuan.org.models import Role
from huikuan.quality import service
from huikuan.quality.schemas import (
    ComplaintCreate,
    ComplaintListRead,
    ComplaintRead,
    ComplaintResolve,
    DisputeCreate,
    DisputeDecide,
    DisputeRead,
    EscalationRead,
    QaReviewCreate,
    QaReviewRead,
    QaSampleRead,
    QaScorecardRead,
    QaScoreRead,
    QaSheetRead,
)
from huikuan.quality.service import ConflictError, InvalidInputError, NotAllowedError
from huikuan.quality.sla import SLA_TZ
from huikuan.selfservice.service import attachments_of
from huikuan.web.areas import NavItem
from huikuan.web.auth import require_roles
from huikuan.web.deps import Config, DbSession, RowId
from huikuan.web.rendering import language_of, render

router = APIRouter()

QA_ROLES = (Role.QA, Role.MANAGER)
QaStaff = Annotated[Principal, Depends(require_roles(*QA_ROLES))]
Opener = Annotated[Principal, Depends(require_roles(*sorted(service.OPEN_ROLES)))]

NAV = (
    NavItem("quality.nav.sample", "/quality/sample", frozenset(QA_ROLES), 40),
    NavItem("quality.nav.complaints", "/quality/complaints", frozenset(QA_ROLES), 41),
    NavItem("quality.nav.disputes", "/quality/disputes", frozenset(QA_ROLES), 42),
)
HOME = {Role.QA: "/quality/sample"}

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not allowed for this role, or the CSRF token is missing"},
    404: {"description": "Not found or outside the caller's scope"},
    409: {"description": "Not in a state that allows this (already reviewed, decided …)"},
    422: {"description": "A field is refused; detail[].loc names it"},
}


@contextmanager
def _api_errors() -> Iterator[None]:
    """The service's refusals as JSON errors (the transaction rolls back on each)."""
    try:
        yield
    except NotAllowedError as error:
        raise HTTPException(status_code=403, detail=str(error)) from None
    except InvalidInputError as error:
        raise HTTPException(
            status_code=422, detail=[{"loc": ["body", error.field], "msg": error.message}]
        ) from None
    except ConflictError as error:
        raise HTTPException(status_code=409, detail=str(error)) from None


def _forbidden(error: NotAllowedError) -> HTTPException:
    return HTTPException(status_code=403, detail=str(error))


def _choices(lang: str) -> dict[str, dict[str, str]]:
    return {
        "sources": service.labels(service.COMPLAINT_SOURCES, lang),
        "categories": service.labels(service.COMPLAINT_CATEGORIES, lang),
        "reasons": service.labels(service.DISPUTE_REASONS, lang),
    }


# --- the sample -----------------------------------------------------------------------------


@router.get("/quality/sample", include_in_schema=False)
def sample_page(
    request: Request,
    principal: QaStaff,
    session: DbSession,
    config: Config,
    on: Annotated[date | None, Query(alias="date")] = None,
    size: int = service.DEFAULT_SAMPLE,
    text_only: bool = False,
) -> Response:
    day = on or config.business_date()
    try:
        sample = service.sample_contacts(
            session, principal, on=day, size=size, text_only=text_only, now=config.now()
        )
    except NotAllowedError as error:
        raise _forbidden(error) from None
    except InvalidInputError as error:
        return render(
            request,
            "quality/sample.html",
            {
                "title_key": "quality.sample.title",
                "sample": None,
                "form": {"date": day, "size": size, "text_only": text_only},
                "errors": {error.field: error.key},
            },
            status_code=422,
        )
    return render(
        request,
        "quality/sample.html",
        {
            "title_key": "quality.sample.title",
            "sample": sample,
            "form": {"date": day, "size": size, "text_only": text_only},
            "errors": {},
        },
    )


@router.get("/api/quality/sample", response_model=QaSampleRead, responses=ERRORS, tags=["quality"])
def sample_api(
    principal: QaStaff,
    session: DbSession,
    config: Config,
    on: Annotated[date | None, Query(alias="date")] = None,
    size: int = service.DEFAULT_SAMPLE,
    text_only: bool = False,
) -> QaSampleRead:
    """A reproducible random sample (seeded by date and reviewer) of the week's contacts."""
    with _api_errors():
        return service.sample_contacts(
            session,
            principal,
            on=on or config.business_date(),
            size=size,
            text_only=text_only,
            now=config.now(),
        )


# --- score sheets ---------------------------------------------------------------------------


def _sheet_page(
    request: Request,
    sheet: QaSheetRead,
    *,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    chosen = dict(sheet.suggested) | dict(values or {})
    return render(
        request,
        "quality/sheet.html",
        {
            "title_key": "quality.sheet.title",
            "sheet": sheet,
            "chosen": chosen,
            "errors": dict(errors or {}),
            "comment": (values or {}).get("comment", ""),
        },
        status_code=status_code,
    )


@router.get("/quality/contacts/{attempt_id}", include_in_schema=False)
def sheet_page(
    request: Request, attempt_id: RowId, principal: QaStaff, session: DbSession
) -> Response:
    try:
        sheet = service.review_sheet(session, principal, attempt_id)
    except NotAllowedError as error:
        raise _forbidden(error) from None
    return _sheet_page(request, sheet)


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


@router.post("/quality/contacts/{attempt_id}/review", include_in_schema=False)
def review_submit(
    request: Request,
    attempt_id: RowId,
    principal: QaStaff,
    session: DbSession,
    config: Config,
    fields: FormFields,
) -> Response:
    scores = {
        key.removeprefix("score."): value
        for key, value in fields.items()
        if key.startswith("score.")
    }
    comment = fields.get("comment", "")
    try:
        service.create_review(
            session, principal, attempt_id, scores=scores, comment=comment, now=config.now()
        )
    except NotAllowedError as error:
        raise _forbidden(error) from None
    except (InvalidInputError, ConflictError) as error:
        sheet = service.review_sheet(session, principal, attempt_id)
        field = error.field if isinstance(error, InvalidInputError) else "form"
        status = 422 if isinstance(error, InvalidInputError) else 409
        return _sheet_page(
            request,
            sheet,
            errors={field: error.key},
            values=scores | {"comment": comment},
            status_code=status,
        )
    return RedirectResponse(f"/quality/contacts/{attempt_id}", status_code=303)


@router.get(
    "/api/quality/scorecard", response_model=QaScorecardRead, responses=ERRORS, tags=["quality"]
)
def scorecard_api(principal: QaStaff) -> QaScorecardRead:
    """The score sheet's criteria (weights add up to 100) and ratings."""
    return service.scorecard()


@router.get(
    "/api/quality/contacts/{attempt_id}",
    response_model=QaSheetRead,
    responses=ERRORS,
    tags=["quality"],
)
def sheet_api(attempt_id: RowId, principal: QaStaff, session: DbSession) -> QaSheetRead:
    with _api_errors():
        return service.review_sheet(session, principal, attempt_id)


@router.post(
    "/api/quality/contacts/{attempt_id}/review",
    response_model=QaReviewRead,
    status_code=201,
    responses=ERRORS,
    tags=["quality"],
)
def review_api(
    attempt_id: RowId,
    body: QaReviewCreate,
    principal: QaStaff,
    session: DbSession,
    config: Config,
) -> QaReviewRead:
    """Score one contact; the total (0–100) is computed by the server."""
    with _api_errors():
        return service.create_review(
            session,
            principal,
            attempt_id,
            scores=body.scores,
            comment=body.comment,
            now=config.now(),
        )


@router.get(
    "/api/quality/agents/{agent_id}/score",
    response_model=QaScoreRead,
    responses=ERRORS,
    tags=["quality"],
)
def agent_score_api(
    agent_id: RowId,
    principal: QaStaff,
    session: DbSession,
    start: date,
    end: date,
) -> QaScoreRead:
    """The agent's QA score over contacts made from ``start`` to ``end`` (both included)."""
    if end < start:
        raise HTTPException(
            status_code=422, detail=[{"loc": ["query", "end"], "msg": "before start"}]
        )
    return QaScoreRead(
        agent_id=agent_id,
        period_start=start,
        period_end=end,
        score=service.quality_score(session, agent_id, start, end),
    )


# --- complaints -----------------------------------------------------------------------------


def _complaints_page(
    request: Request,
    principal: Principal,
    session: DbSession,
    config: Config,
    *,
    status: str | None = None,
    errors: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    escalated = service.escalate_overdue(session, config.now())
    try:
        complaints = service.list_complaints(session, principal, now=config.now(), status=status)
    except InvalidInputError:
        complaints = service.list_complaints(session, principal, now=config.now())
    return render(
        request,
        "quality/complaints.html",
        {
            "title_key": "quality.complaints.title",
            "complaints": complaints,
            "attachments": attachments_of(session, complaint_ids=[c.id for c in complaints]),
            "escalated": escalated,
            "choices": _choices(language_of(request)),
            "errors": dict(errors or {}),
            "form": dict(form or {}),
            "status_filter": status or "",
            "statuses": service.COMPLAINT_STATUSES,
        },
        status_code=status_code,
    )


@router.get("/quality/complaints", include_in_schema=False)
def complaints_page(
    request: Request,
    principal: QaStaff,
    session: DbSession,
    config: Config,
    status: str | None = None,
) -> Response:
    return _complaints_page(request, principal, session, config, status=status or None)


def _local_datetime(field: str, text: str) -> datetime | None:
    """A ``datetime-local`` value, read as Asia/Shanghai time."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=SLA_TZ)
    except ValueError:
        raise InvalidInputError(field, "quality.error.datetime", "not a date and time") from None


@router.post("/quality/complaints", include_in_schema=False)
def complaint_submit(
    request: Request,
    principal: QaStaff,
    session: DbSession,
    config: Config,
    case_no: Annotated[str, Form(max_length=40)] = "",
    source: Annotated[str, Form(max_length=24)] = "",
    category: Annotated[str, Form(max_length=32)] = "",
    summary: Annotated[str, Form(max_length=10_000)] = "",
    received_at: Annotated[str, Form(max_length=40)] = "",
    owner: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    form = {
        "case_no": case_no,
        "source": source,
        "category": category,
        "summary": summary,
        "received_at": received_at,
        "owner": owner,
    }
    try:
        case = service.case_by_number(session, principal, case_no)
        made = service.open_complaint(
            session,
            principal,
            case_id=case.id,
            source=source,
            category=category,
            summary=summary,
            received_at=_local_datetime("received_at", received_at),
            owner=owner.strip() or None,
            now=config.now(),
        )
    except NotAllowedError as error:
        raise _forbidden(error) from None
    except InvalidInputError as error:
        return _complaints_page(
            request,
            principal,
            session,
            config,
            errors={error.field: error.key},
            form=form,
            status_code=422,
        )
    return RedirectResponse(f"/quality/complaints#complaint-{made.id}", status_code=303)


@router.post("/quality/complaints/{complaint_id}/acknowledge", include_in_schema=False)
def complaint_acknowledge(
    request: Request,
    complaint_id: RowId,
    principal: QaStaff,
    session: DbSession,
    config: Config,
) -> Response:
    try:
        service.acknowledge_complaint(session, principal, complaint_id, now=config.now())
    except ConflictError as error:
        return _complaints_page(
            request, principal, session, config, errors={"form": error.key}, status_code=409
        )
    except NotAllowedError as error:
        raise _forbidden(error) from None
    return RedirectResponse(f"/quality/complaints#complaint-{complaint_id}", status_code=303)


@router.post("/quality/complaints/{complaint_id}/resolve", include_in_schema=False)
def complaint_resolve(
    request: Request,
    complaint_id: RowId,
    principal: QaStaff,
    session: DbSession,
    config: Config,
    resolution: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    try:
        service.resolve_complaint(
            session, principal, complaint_id, resolution=resolution, now=config.now()
        )
    except (InvalidInputError, ConflictError) as error:
        field = error.field if isinstance(error, InvalidInputError) else "form"
        return _complaints_page(
            request,
            principal,
            session,
            config,
            errors={field: error.key, "complaint": str(complaint_id)},
            status_code=422 if isinstance(error, InvalidInputError) else 409,
        )
    except NotAllowedError as error:
        raise _forbidden(error) from None
    return RedirectResponse(f"/quality/complaints#complaint-{complaint_id}", status_code=303)


@router.get(
    "/api/quality/complaints",
    response_model=ComplaintListRead,
    responses=ERRORS,
    tags=["quality"],
)
def complaints_api(
    principal: QaStaff, session: DbSession, config: Config, status: str | None = None
) -> ComplaintListRead:
    """Complaints in scope, open first by next deadline (overdue ones are escalated first)."""
    with _api_errors():
        escalated = service.escalate_overdue(session, config.now())
        return ComplaintListRead(
            escalated_now=escalated,
            complaints=service.list_complaints(session, principal, now=config.now(), status=status),
        )


@router.post(
    "/api/quality/complaints",
    response_model=ComplaintRead,
    status_code=201,
    responses=ERRORS,
    tags=["quality"],
)
def complaint_create_api(
    body: ComplaintCreate, principal: Opener, session: DbSession, config: Config
) -> ComplaintRead:
    """Register a complaint; deadlines by source; conduct complaints put the case on hold."""
    with _api_errors():
        return service.open_complaint(
            session,
            principal,
            case_id=body.case_id,
            source=body.source,
            category=body.category,
            summary=body.summary,
            received_at=body.received_at,
            owner=body.owner,
            now=config.now(),
        )


@router.get(
    "/api/quality/complaints/{complaint_id}",
    response_model=ComplaintRead,
    responses=ERRORS,
    tags=["quality"],
)
def complaint_api(
    complaint_id: RowId, principal: QaStaff, session: DbSession, config: Config
) -> ComplaintRead:
    with _api_errors():
        return service.get_complaint(session, principal, complaint_id, now=config.now())


@router.post(
    "/api/quality/complaints/{complaint_id}/acknowledge",
    response_model=ComplaintRead,
    responses=ERRORS,
    tags=["quality"],
)
def complaint_acknowledge_api(
    complaint_id: RowId, principal: QaStaff, session: DbSession, config: Config
) -> ComplaintRead:
    with _api_errors():
        return service.acknowledge_complaint(session, principal, complaint_id, now=config.now())


@router.post(
    "/api/quality/complaints/{complaint_id}/resolve",
    response_model=ComplaintRead,
    responses=ERRORS,
    tags=["quality"],
)
def complaint_resolve_api(
    complaint_id: RowId,
    body: ComplaintResolve,
    principal: QaStaff,
    session: DbSession,
    config: Config,
) -> ComplaintRead:
    """Close with the resolution text; the case's complaint hold is lifted when none is left."""
    with _api_errors():
        return service.resolve_complaint(
            session, principal, complaint_id, resolution=body.resolution, now=config.now()
        )


@router.post(
    "/api/quality/complaints/escalate",
    response_model=EscalationRead,
    responses=ERRORS,
    tags=["quality"],
)
def escalate_api(principal: QaStaff, session: DbSession, config: Config) -> EscalationRead:
    """Escalate every complaint past a deadline now (also done by loading the list)."""
    return EscalationRead(escalated=service.escalate_overdue(session, config.now()))


# --- disputes -------------------------------------------------------------------------------


def _disputes_page(
    request: Request,
    principal: Principal,
    session: DbSession,
    *,
    errors: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    disputes = service.list_disputes(session, principal)
    return render(
        request,
        "quality/disputes.html",
        {
            "title_key": "quality.disputes.title",
            "disputes": disputes,
            "attachments": attachments_of(session, dispute_ids=[d.id for d in disputes]),
            "choices": _choices(language_of(request)),
            "errors": dict(errors or {}),
            "form": dict(form or {}),
        },
        status_code=status_code,
    )


@router.get("/quality/disputes", include_in_schema=False)
def disputes_page(request: Request, principal: QaStaff, session: DbSession) -> Response:
    return _disputes_page(request, principal, session)


@router.post("/quality/disputes", include_in_schema=False)
def dispute_submit(
    request: Request,
    principal: QaStaff,
    session: DbSession,
    config: Config,
    case_no: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=32)] = "",
    evidence_note: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    form = {"case_no": case_no, "reason": reason, "evidence_note": evidence_note}
    try:
        case = service.case_by_number(session, principal, case_no)
        made = service.open_dispute(
            session,
            principal,
            case_id=case.id,
            reason=reason,
            evidence_note=evidence_note,
            now=config.now(),
        )
    except NotAllowedError as error:
        raise _forbidden(error) from None
    except InvalidInputError as error:
        return _disputes_page(
            request, principal, session, errors={error.field: error.key}, form=form, status_code=422
        )
    return RedirectResponse(f"/quality/disputes#dispute-{made.id}", status_code=303)


@router.post("/quality/disputes/{dispute_id}/decide", include_in_schema=False)
def dispute_decide(
    request: Request,
    dispute_id: RowId,
    principal: QaStaff,
    session: DbSession,
    config: Config,
    outcome: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    try:
        service.decide_dispute(
            session, principal, dispute_id, outcome=outcome, note=note, now=config.now()
        )
    except NotAllowedError:
        # The dependency already checked the role: what is left is maker–checker.
        return _disputes_page(
            request,
            principal,
            session,
            errors={"form": "quality.error.own_dispute", "dispute": str(dispute_id)},
            status_code=403,
        )
    except (InvalidInputError, ConflictError) as error:
        field = error.field if isinstance(error, InvalidInputError) else "form"
        return _disputes_page(
            request,
            principal,
            session,
            errors={field: error.key, "dispute": str(dispute_id)},
            status_code=422 if isinstance(error, InvalidInputError) else 409,
        )
    return RedirectResponse(f"/quality/disputes#dispute-{dispute_id}", status_code=303)


@router.get(
    "/api/quality/disputes", response_model=list[DisputeRead], responses=ERRORS, tags=["quality"]
)
def disputes_api(
    principal: QaStaff, session: DbSession, status: str | None = None
) -> list[DisputeRead]:
    with _api_errors():
        return service.list_disputes(session, principal, status=status)


@router.post(
    "/api/quality/disputes",
    response_model=DisputeRead,
    status_code=201,
    responses=ERRORS,
    tags=["quality"],
)
def dispute_create_api(
    body: DisputeCreate, principal: Opener, session: DbSession, config: Config
) -> DisputeRead:
    """Register a dispute: collection on the case stops (a dispute hold) until it is decided."""
    with _api_errors():
        return service.open_dispute(
            session,
            principal,
            case_id=body.case_id,
            reason=body.reason,
            evidence_note=body.evidence_note,
            now=config.now(),
        )


@router.post(
    "/api/quality/disputes/{dispute_id}/decide",
    response_model=DisputeRead,
    responses=ERRORS,
    tags=["quality"],
)
def dispute_decide_api(
    dispute_id: RowId,
    body: DisputeDecide,
    principal: QaStaff,
    session: DbSession,
    config: Config,
) -> DisputeRead:
    """Uphold or reject (not by whoever opened it). Upheld records the outcome only: the balance
    adjustment is requested separately."""
    with _api_errors():
        return service.decide_dispute(
            session, principal, dispute_id, outcome=body.outcome, note=body.note, now=config.now()
        )


# --- catalogue ------------------------------------------------------------------------------

ZH: dict[str, str] = {
    "quality.nav.sample": "质检抽样",
    "quality.nav.complaints": "投诉",
    "quality.nav.disputes": "争议",
    "quality.sample.title": "质检抽样",
    "quality.sample.intro": "按日期和质检员随机抽取（同一天同一人结果不变），样本窗口：",
    "quality.sample.date": "抽样日期",
    "quality.sample.size": "样本量",
    "quality.sample.text_only": "仅含文字或备注的联系",
    "quality.sample.draw": "抽样",
    "quality.sample.population": "窗口内联系总数",
    "quality.sample.empty": "窗口内没有可抽取的联系记录。",
    "quality.sample.score": "评分",
    "quality.sample.scored": "已评分",
    "quality.contact.case": "案件",
    "quality.contact.at": "时间",
    "quality.contact.channel": "渠道",
    "quality.contact.party": "对象",
    "quality.contact.actor": "坐席",
    "quality.contact.outcome": "结果",
    "quality.contact.verdict": "合规判定",
    "quality.contact.reasons": "判定理由",
    "quality.contact.content": "内容",
    "quality.contact.note": "坐席备注",
    "quality.contact.hits": "敏感词命中",
    "quality.contact.no_text": "（无文字内容）",
    "quality.contact.next_allowed": "最早可联系时间",
    "quality.decision.allowed": "允许",
    "quality.decision.blocked": "禁止",
    "quality.decision.deferred": "延后",
    "quality.decision.overridden": "经审批放行",
    "quality.effect.block": "禁用",
    "quality.effect.warn": "需确认",
    "quality.category.threat": "威胁恐吓",
    "quality.category.false_legal": "虚假法律后果",
    "quality.category.impersonation": "冒充公检法或律师",
    "quality.category.insult": "侮辱谩骂",
    "quality.category.disclosure": "向第三方透露债务",
    "quality.category.extra_fees": "额外收费",
    "quality.category.new_borrowing": "诱导借新还旧",
    "quality.category.public_shaming": "公开曝光",
    "quality.sheet.title": "质检评分表",
    "quality.sheet.criterion": "评分项",
    "quality.sheet.weight": "权重",
    "quality.sheet.critical": "致命项：不符合则总分为 0",
    "quality.sheet.suggested": "敏感词命中，建议“不符合”",
    "quality.sheet.comment": "评语",
    "quality.sheet.submit": "提交评分",
    "quality.sheet.total": "总分",
    "quality.sheet.reviewed_by": "评分人",
    "quality.sheet.own": "不能为自己的联系记录评分。",
    "quality.sheet.back": "返回抽样",
    "quality.complaints.title": "投诉处理",
    "quality.complaints.new": "登记投诉",
    "quality.complaints.case_no": "案件号",
    "quality.complaints.source": "来源",
    "quality.complaints.category": "类别",
    "quality.complaints.summary": "投诉内容",
    "quality.complaints.received_at": "收到时间（北京时间，留空为现在）",
    "quality.complaints.owner": "处理人（用户名，可留空）",
    "quality.complaints.submit": "登记",
    "quality.complaints.status": "状态",
    "quality.complaints.all": "全部",
    "quality.complaints.filter": "筛选",
    "quality.complaints.received": "收到",
    "quality.complaints.ack_due": "受理时限",
    "quality.complaints.due": "办结时限",
    "quality.complaints.timer": "计时",
    "quality.complaints.hold": "停催",
    "quality.complaints.hold_on": "停催中",
    "quality.complaints.hold_lifted": "已解除",
    "quality.complaints.acknowledge": "受理",
    "quality.complaints.resolution": "处理结果",
    "quality.complaints.resolve": "办结",
    "quality.complaints.empty": "暂无投诉。",
    "quality.complaints.escalated_now": "本次打开页面时升级的逾期投诉：",
    "quality.complaints.conduct_note": "涉及催收人员行为的投诉会对案件停催，办结后解除。",
    "quality.complaints.basis": "时限依据",
    "quality.status.open": "待受理",
    "quality.status.acknowledged": "处理中",
    "quality.status.escalated": "已升级",
    "quality.status.resolved": "已办结",
    "quality.status.upheld": "成立",
    "quality.status.rejected": "不成立",
    "quality.timer.due_in": "剩余 {n}",
    "quality.timer.overdue": "已逾期 {n}",
    "quality.unit.d": " 天",
    "quality.unit.h": " 小时",
    "quality.unit.m": " 分钟",
    "quality.disputes.title": "争议处理",
    "quality.disputes.new": "登记争议",
    "quality.disputes.reason": "争议原因",
    "quality.disputes.evidence_note": "证据说明",
    "quality.disputes.submit": "登记",
    "quality.disputes.opened": "登记",
    "quality.disputes.outcome": "结论",
    "quality.disputes.decide": "裁定",
    "quality.disputes.note": "裁定说明",
    "quality.disputes.decided": "裁定",
    "quality.disputes.empty": "暂无争议。",
    "quality.disputes.hold_note": "登记争议即对案件停催，裁定后解除。",
    "quality.disputes.adjustment": "争议成立：余额调整需另行提交申请（本系统不自动调整）。",
    "quality.error.required": "必填。",
    "quality.error.too_long": "内容过长。",
    "quality.error.choice": "请选择列表中的一项。",
    "quality.error.case": "在您的权限范围内找不到该案件。",
    "quality.error.owner": "不是有效的质检或经理用户。",
    "quality.error.future": "不能晚于当前时间。",
    "quality.error.timezone": "需要时区。",
    "quality.error.datetime": "日期时间格式不正确。",
    "quality.error.size": "样本量须在 1 到 50 之间。",
    "quality.error.days": "窗口须在 1 到 31 天之间。",
    "quality.error.rating": "请为每一项选择评分（部分项不可选“不适用”）。",
    "quality.error.reviewed": "该联系记录已评分。",
    "quality.error.acknowledged": "该投诉已受理或已办结。",
    "quality.error.resolved": "该投诉已办结。",
    "quality.error.decided": "该争议已裁定。",
    "quality.error.own_dispute": "登记争议的人不能裁定该争议。",
    "quality.field.case_no": "案件号",
    "quality.field.source": "来源",
    "quality.field.category": "类别",
    "quality.field.summary": "投诉内容",
    "quality.field.received_at": "收到时间",
    "quality.field.owner": "处理人",
    "quality.field.resolution": "处理结果",
    "quality.field.reason": "争议原因",
    "quality.field.evidence_note": "证据说明",
    "quality.field.outcome": "结论",
    "quality.field.note": "裁定说明",
    "quality.field.comment": "评语",
    "quality.field.size": "样本量",
    "quality.field.days": "窗口天数",
    "quality.field.date": "抽样日期",
    "quality.field.form": "操作",
}

EN: dict[str, str] = {
    "quality.nav.sample": "QA sample",
    "quality.nav.complaints": "Complaints",
    "quality.nav.disputes": "Disputes",
    "quality.sample.title": "QA contact sample",
    "quality.sample.intro": "Drawn at random, seeded by date and reviewer (the same all day "
    "for you). Window:",
    "quality.sample.date": "Sample date",
    "quality.sample.size": "Sample size",
    "quality.sample.text_only": "Only contacts with a text or note",
    "quality.sample.draw": "Draw",
    "quality.sample.population": "Contacts in the window",
    "quality.sample.empty": "No contacts in the window to sample.",
    "quality.sample.score": "Score",
    "quality.sample.scored": "Scored",
    "quality.contact.case": "Case",
    "quality.contact.at": "Time",
    "quality.contact.channel": "Channel",
    "quality.contact.party": "Party",
    "quality.contact.actor": "Agent",
    "quality.contact.outcome": "Outcome",
    "quality.contact.verdict": "Guard verdict",
    "quality.contact.reasons": "Reasons",
    "quality.contact.content": "Content",
    "quality.contact.note": "Agent's note",
    "quality.contact.hits": "Banned-phrase hits",
    "quality.contact.no_text": "(no text)",
    "quality.contact.next_allowed": "Next allowed",
    "quality.decision.allowed": "Allowed",
    "quality.decision.blocked": "Blocked",
    "quality.decision.deferred": "Deferred",
    "quality.decision.overridden": "Overridden",
    "quality.effect.block": "banned",
    "quality.effect.warn": "to confirm",
    "quality.category.threat": "Threat",
    "quality.category.false_legal": "False legal consequence",
    "quality.category.impersonation": "Impersonation",
    "quality.category.insult": "Insult",
    "quality.category.disclosure": "Third-party disclosure",
    "quality.category.extra_fees": "Extra fees",
    "quality.category.new_borrowing": "New borrowing",
    "quality.category.public_shaming": "Public shaming",
    "quality.sheet.title": "QA score sheet",
    "quality.sheet.criterion": "Criterion",
    "quality.sheet.weight": "Weight",
    "quality.sheet.critical": "Critical: a fail makes the total 0",
    "quality.sheet.suggested": "Banned wording found: fail suggested",
    "quality.sheet.comment": "Comment",
    "quality.sheet.submit": "Save score",
    "quality.sheet.total": "Total",
    "quality.sheet.reviewed_by": "Reviewed by",
    "quality.sheet.own": "You cannot score your own contact.",
    "quality.sheet.back": "Back to the sample",
    "quality.complaints.title": "Complaints",
    "quality.complaints.new": "Register a complaint",
    "quality.complaints.case_no": "Case number",
    "quality.complaints.source": "Source",
    "quality.complaints.category": "Category",
    "quality.complaints.summary": "Complaint",
    "quality.complaints.received_at": "Received (Beijing time; empty: now)",
    "quality.complaints.owner": "Owner (username, optional)",
    "quality.complaints.submit": "Register",
    "quality.complaints.status": "Status",
    "quality.complaints.all": "All",
    "quality.complaints.filter": "Filter",
    "quality.complaints.received": "Received",
    "quality.complaints.ack_due": "Acknowledge by",
    "quality.complaints.due": "Resolve by",
    "quality.complaints.timer": "Timer",
    "quality.complaints.hold": "Hold",
    "quality.complaints.hold_on": "On hold",
    "quality.complaints.hold_lifted": "Lifted",
    "quality.complaints.acknowledge": "Acknowledge",
    "quality.complaints.resolution": "Resolution",
    "quality.complaints.resolve": "Resolve",
    "quality.complaints.empty": "No complaints.",
    "quality.complaints.escalated_now": "Overdue complaints escalated as this page loaded:",
    "quality.complaints.conduct_note": "Complaints about collectors' conduct put the case on "
    "hold until resolved.",
    "quality.complaints.basis": "Deadline basis",
    "quality.status.open": "Open",
    "quality.status.acknowledged": "Acknowledged",
    "quality.status.escalated": "Escalated",
    "quality.status.resolved": "Resolved",
    "quality.status.upheld": "Upheld",
    "quality.status.rejected": "Rejected",
    "quality.timer.due_in": "due in {n}",
    "quality.timer.overdue": "overdue {n}",
    "quality.unit.d": "d",
    "quality.unit.h": "h",
    "quality.unit.m": "m",
    "quality.disputes.title": "Disputes",
    "quality.disputes.new": "Register a dispute",
    "quality.disputes.reason": "Reason",
    "quality.disputes.evidence_note": "Evidence",
    "quality.disputes.submit": "Register",
    "quality.disputes.opened": "Opened",
    "quality.disputes.outcome": "Outcome",
    "quality.disputes.decide": "Decide",
    "quality.disputes.note": "Decision note",
    "quality.disputes.decided": "Decided",
    "quality.disputes.empty": "No disputes.",
    "quality.disputes.hold_note": "A dispute puts the case on hold until it is decided.",
    "quality.disputes.adjustment": "Upheld: a balance adjustment must be requested separately "
    "(not automated here).",
    "quality.error.required": "Required.",
    "quality.error.too_long": "Too long.",
    "quality.error.choice": "Pick one of the listed values.",
    "quality.error.case": "No such case in your scope.",
    "quality.error.owner": "Not an active QA user or manager.",
    "quality.error.future": "Must not be in the future.",
    "quality.error.timezone": "Needs a time zone.",
    "quality.error.datetime": "Not a valid date and time.",
    "quality.error.size": "The sample size must be between 1 and 50.",
    "quality.error.days": "The window must be 1 to 31 days.",
    "quality.error.rating": "Rate every criterion (some may not be N/A).",
    "quality.error.reviewed": "This contact already has a score sheet.",
    "quality.error.acknowledged": "Already acknowledged or resolved.",
    "quality.error.resolved": "Already resolved.",
    "quality.error.decided": "Already decided.",
    "quality.error.own_dispute": "Whoever registered a dispute cannot decide it.",
    "quality.field.case_no": "Case number",
    "quality.field.source": "Source",
    "quality.field.category": "Category",
    "quality.field.summary": "Complaint",
    "quality.field.received_at": "Received",
    "quality.field.owner": "Owner",
    "quality.field.resolution": "Resolution",
    "quality.field.reason": "Reason",
    "quality.field.evidence_note": "Evidence",
    "quality.field.outcome": "Outcome",
    "quality.field.note": "Decision note",
    "quality.field.comment": "Comment",
    "quality.field.size": "Sample size",
    "quality.field.days": "Window days",
    "quality.field.date": "Sample date",
    "quality.field.form": "Action",
}
