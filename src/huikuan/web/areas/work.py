"""The agent's working tools on the case page, and today's call tasks.

Data flow: the case page includes ``work/case_actions.html``, which loads the tools panel with
htmx from ``GET /cases/{id}/work`` (a plain link opens the same panel as a page without
JavaScript). Each form posts to ``/cases/{id}/work/<action>`` and gets the panel back with the
result or the field errors; the JSON routes under ``/api/cases/{id}/...`` and ``/api/work/tasks``
call the very same service functions (:mod:`huikuan.calls.service`,
:mod:`huikuan.cases.work`) and return the pydantic models below. Role (agent, team lead) is
checked by the services (403), scope by ``get_case`` (404); every request is one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal
from huikuan.calls.dispositions import DISPOSITIONS
from huikuan.calls.service import (
    CallResult,
    ChannelStatus,
    NoteRefusedError,
    TaskRow,
    contact_status,
    log_call,
    open_tasks,
)
from huikuan.cases.work import (
    PLAN_KINDS,
    MessageOutcome,
    NotPermittedError,
    PlanInput,
    PlanProposal,
    WorkInputError,
    case_balance,
    contact_points,
    message_templates,
    parse_day,
    parse_yuan,
    propose_plan,
    ptp_horizon_days,
    record_promise,
    send_template_message,
    working_case,
)
from huikuan.compliance.verdict import Reason as VerdictReason
from huikuan.core.money import format_minor
from huikuan.core.plans import ScheduleKind
from huikuan.db.ids import ROW_ID_MAX, RowIdField
from huikuan.org.models import Role
from huikuan.web.areas import NavItem
from huikuan.web.auth import CurrentPrincipal
from huikuan.web.deps import CaseId, Config, DbSession, WebConfig
from huikuan.web.rendering import language_of, render

router = APIRouter()

WORKER_ROLES = (Role.AGENT, Role.TEAM_LEAD)
NAV = (NavItem("work.nav.tasks", "/work/tasks", frozenset(WORKER_ROLES), order=20),)
# Any signed-in user reaches the routes; the services answer 403 for the wrong role, so the
# rule is written once (``huikuan.cases.work.WORK_ROLES``).
SignedIn = CurrentPrincipal
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in"},
    403: {"description": "role may not work cases, or CSRF token missing"},
    404: {"description": "no such case in your scope"},
    422: {"description": "invalid input; each error names its field"},
}


# ---------------------------------------------------------------------------------------------
# JSON models


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReasonOut(_Model):
    rule_id: str
    message: str
    message_zh: str


class DispositionRead(_Model):
    code: str
    label_zh: str
    label_en: str
    outcome: str = Field(description="the call outcome the compliance guard counts")
    right_party: bool
    invalidates_number: bool
    hold: str | None = Field(default=None, description="hold kind started by this result")


class ContactOptionRead(_Model):
    id: int
    kind: str
    owner_type: str
    relationship: str | None = None
    value_masked: str
    status: str


class ChannelStatusRead(_Model):
    channel: str
    contact_point_id: int | None = None
    contact_masked: str | None = None
    decision: str | None = Field(default=None, description="None: no usable contact point")
    allowed: bool
    reasons: list[ReasonOut]
    next_allowed_at: datetime | None = None


class TaskRead(_Model):
    task_id: int
    case_id: int
    case_no: str
    debtor_name_masked: str | None = None
    priority: int
    script: str | None = None
    reason: str
    not_before: datetime
    due_on: date


class TasksRead(_Model):
    business_date: date
    tasks: list[TaskRead]


class TemplateOptionRead(_Model):
    code: str
    language: str
    channel: str
    version: int


class WorkPanelRead(_Model):
    case_id: int
    balance: int = Field(description="fen")
    ptp_horizon_days: int
    dispositions: list[DispositionRead]
    contacts: list[ContactOptionRead]
    templates: list[TemplateOptionRead]
    contact_status: list[ChannelStatusRead]
    tasks: list[TaskRead]
    nonce: str = Field(description="send with a message to make a repeated submit harmless")


class CallCreate(_Model):
    contact_point_id: RowIdField
    disposition: str = Field(max_length=24)
    note: str = Field(default="", max_length=2000)


class CallResultRead(_Model):
    logged: bool = Field(description="false: the guard blocked or deferred the call")
    decision: str
    reasons: list[ReasonOut]
    next_allowed_at: datetime | None = None
    attempt_id: int
    disposition: str
    task_closed: int | None = None
    hold_id: int | None = None
    number_invalidated: bool = False
    case_state: str | None = None


class PromiseCreate(_Model):
    amount: int = Field(description="fen")
    promised_on: date


class PromiseCreatedRead(_Model):
    id: int
    amount: int = Field(description="fen")
    promised_on: date
    status: str
    case_state: str


class PlanCreate(_Model):
    kind: str = Field(description="instalment, settlement or waiver")
    schedule: str = ScheduleKind.EQUAL_INSTALMENT.value
    months: int = 1
    first_due_on: date
    annual_rate: str = Field(default="0", description="percent, e.g. 3.6")
    down_payment: int = Field(default=0, description="fen")
    custom_amounts: list[int] = Field(default_factory=list, description="fen, one per month")
    settlement_amount: int | None = Field(default=None, description="fen")
    waive_fee: int = Field(default=0, description="fen")
    waive_penalty: int = Field(default=0, description="fen")
    waive_interest: int = Field(default=0, description="fen")
    waive_principal: int = Field(default=0, description="fen")
    submit: bool = Field(default=False, description="false: compute and show only")


class ScheduleLineRead(_Model):
    number: int = Field(description="0: the down payment")
    due_on: date
    principal: int
    interest: int
    amount: int


class PlanProposalRead(_Model):
    plan_id: int | None = None
    status: str = Field(description="preview, or proposed once stored")
    kind: str
    balance: dict[str, int]
    waived: dict[str, int]
    payable: int
    total: int
    total_interest: int
    schedule: list[ScheduleLineRead]


class MessageCreate(_Model):
    template_code: str = Field(max_length=64)
    language: str = Field(default="zh", pattern="^(zh|en)$")
    contact_point_id: RowIdField
    nonce: str = Field(default="", max_length=64)
    send: bool = Field(default=False, description="false: render a preview only")


class MessageResultRead(_Model):
    subject: str
    body: str
    channel: str
    template_code: str
    template_version: int
    sent: bool
    duplicate: bool
    decision: str | None = None
    reasons: list[ReasonOut]
    next_allowed_at: datetime | None = None
    attempt_id: int | None = None


# ---------------------------------------------------------------------------------------------
# Conversions


def _reasons(reasons: tuple[VerdictReason, ...]) -> list[ReasonOut]:
    return [
        ReasonOut(rule_id=r.rule_id, message=r.message, message_zh=r.message_zh) for r in reasons
    ]


def _status_read(item: ChannelStatus) -> ChannelStatusRead:
    return ChannelStatusRead(
        channel=item.channel,
        contact_point_id=item.contact_point_id,
        contact_masked=item.contact_masked,
        decision=item.decision,
        allowed=item.allowed,
        reasons=_reasons(item.reasons),
        next_allowed_at=item.next_allowed_at,
    )


def _task_read(row: TaskRow) -> TaskRead:
    return TaskRead(
        task_id=row.task_id,
        case_id=row.case_id,
        case_no=row.case_no,
        debtor_name_masked=row.debtor_name_masked,
        priority=row.priority,
        script=row.script,
        reason=row.reason,
        not_before=row.not_before,
        due_on=row.due_on,
    )


def _call_read(result: CallResult) -> CallResultRead:
    return CallResultRead(
        logged=result.logged,
        decision=result.decision,
        reasons=_reasons(result.reasons),
        next_allowed_at=result.next_allowed_at,
        attempt_id=result.attempt_id,
        disposition=result.disposition.code.value,
        task_closed=result.task_closed,
        hold_id=result.hold_id,
        number_invalidated=result.number_invalidated,
        case_state=result.case_state,
    )


def _plan_read(proposal: PlanProposal) -> PlanProposalRead:
    return PlanProposalRead(
        plan_id=proposal.plan_id,
        status="preview" if proposal.plan_id is None else "proposed",
        kind=proposal.kind,
        balance=proposal.balance.as_dict(),
        waived=proposal.waived.as_dict(),
        payable=proposal.payable,
        total=proposal.total,
        total_interest=proposal.total_interest,
        schedule=[
            ScheduleLineRead(
                number=line.number,
                due_on=line.due_on,
                principal=line.principal,
                interest=line.interest,
                amount=line.amount,
            )
            for line in proposal.lines
        ],
    )


def _message_read(outcome: MessageOutcome) -> MessageResultRead:
    return MessageResultRead(
        subject=outcome.subject,
        body=outcome.body,
        channel=outcome.channel,
        template_code=outcome.template_code,
        template_version=outcome.template_version,
        sent=outcome.sent,
        duplicate=outcome.duplicate,
        decision=outcome.decision,
        reasons=_reasons(outcome.reasons),
        next_allowed_at=outcome.next_allowed_at,
        attempt_id=outcome.attempt_id,
    )


def _panel(
    session: Session, principal: Principal, case_id: int, config: WebConfig
) -> WorkPanelRead:
    case = working_case(session, principal, case_id)
    today = config.business_date()
    return WorkPanelRead(
        case_id=case.id,
        balance=case_balance(session, case).total,
        ptp_horizon_days=ptp_horizon_days(session, case),
        dispositions=[
            DispositionRead(
                code=d.code.value,
                label_zh=d.label_zh,
                label_en=d.label_en,
                outcome=d.outcome,
                right_party=d.right_party,
                invalidates_number=d.invalidates_number,
                hold=d.hold,
            )
            for d in DISPOSITIONS.values()
        ],
        contacts=[
            ContactOptionRead(
                id=p.id,
                kind=p.kind,
                owner_type=p.owner_type,
                relationship=p.relationship,
                value_masked=p.value_masked,
                status=p.status,
            )
            for p in contact_points(session, principal, case)
        ],
        templates=[
            TemplateOptionRead(
                code=t.code, language=t.language, channel=t.channel, version=t.version
            )
            for t in message_templates(session, principal, case)
        ],
        contact_status=[
            _status_read(item)
            for item in contact_status(session, principal, case.id, at=config.now())
        ],
        tasks=[
            _task_read(row) for row in open_tasks(session, principal, today=today, case_id=case.id)
        ],
        nonce=secrets.token_urlsafe(16),
    )


def _json_errors(exc: WorkInputError) -> JSONResponse:
    detail: list[dict[str, object]] = [
        {"loc": ["body", e.field], "msg": e.message, "msg_zh": e.message_zh} for e in exc.errors
    ]
    if isinstance(exc, NoteRefusedError):
        for item in detail:
            item["hits"] = [
                {"phrase": h.phrase, "category": h.category.value, "start": h.start, "end": h.end}
                for h in exc.hits
            ]
    return JSONResponse({"detail": detail}, status_code=422)


# ---------------------------------------------------------------------------------------------
# JSON routes


@router.get("/api/work/tasks", response_model=TasksRead, responses=ERRORS, tags=["work"])
def api_tasks(principal: SignedIn, session: DbSession, config: Config) -> TasksRead:
    """Today's open call tasks the caller works, most urgent first."""
    today = config.business_date()
    try:
        rows = open_tasks(session, principal, today=today)
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    return TasksRead(business_date=today, tasks=[_task_read(row) for row in rows])


@router.get(
    "/api/cases/{case_id}/work", response_model=WorkPanelRead, responses=ERRORS, tags=["work"]
)
def api_panel(
    case_id: CaseId, principal: SignedIn, session: DbSession, config: Config
) -> WorkPanelRead:
    """Everything the case tools need: dispositions, contact points (masked), templates, the
    guard's dry run per channel and today's call tasks for the case."""
    try:
        return _panel(session, principal, case_id, config)
    except NotPermittedError:
        raise HTTPException(status_code=403) from None


@router.get(
    "/api/cases/{case_id}/contact-status",
    response_model=list[ChannelStatusRead],
    responses=ERRORS,
    tags=["work"],
)
def api_contact_status(
    case_id: CaseId, principal: SignedIn, session: DbSession, config: Config
) -> list[ChannelStatusRead]:
    """Would a contact now be allowed on each channel? A dry run: no attempt is stored."""
    try:
        found = contact_status(session, principal, case_id, at=config.now())
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    return [_status_read(item) for item in found]


@router.post(
    "/api/cases/{case_id}/calls",
    response_model=CallResultRead,
    responses=ERRORS,
    tags=["work"],
)
def api_log_call(
    case_id: CaseId, body: CallCreate, principal: SignedIn, session: DbSession, config: Config
) -> Response | CallResultRead:
    """Log a call through the guard; ``logged`` is false when the guard stopped it."""
    try:
        result = log_call(
            session,
            principal,
            case_id,
            contact_point_id=body.contact_point_id,
            disposition_code=body.disposition,
            note=body.note,
            today=config.business_date(),
            at=config.now(),
        )
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    except WorkInputError as exc:
        return _json_errors(exc)
    return _call_read(result)


@router.post(
    "/api/cases/{case_id}/promises",
    response_model=PromiseCreatedRead,
    status_code=201,
    responses=ERRORS,
    tags=["work"],
)
def api_promise(
    case_id: CaseId, body: PromiseCreate, principal: SignedIn, session: DbSession, config: Config
) -> Response | PromiseCreatedRead:
    """Record a promise to pay (amount in fen, date within the creditor's horizon)."""
    try:
        promise = record_promise(
            session,
            principal,
            case_id,
            amount=body.amount,
            promised_on=body.promised_on,
            today=config.business_date(),
            at=config.now(),
        )
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    except WorkInputError as exc:
        return _json_errors(exc)
    case = working_case(session, principal, case_id)
    return PromiseCreatedRead(
        id=promise.id,
        amount=promise.amount,
        promised_on=promise.promised_on,
        status=promise.status,
        case_state=case.state,
    )


def _yuan_text(fen: int | None) -> str:
    return "" if fen is None else format_minor(fen, grouping=False)


@router.post(
    "/api/cases/{case_id}/plans",
    response_model=PlanProposalRead,
    responses=ERRORS,
    tags=["work"],
)
def api_plan(
    case_id: CaseId, body: PlanCreate, principal: SignedIn, session: DbSession, config: Config
) -> Response | PlanProposalRead:
    """Compute an instalment plan, settlement or waiver; with ``submit`` store it as proposed
    (a team lead approves it)."""
    inputs = PlanInput(
        kind=body.kind,
        schedule=body.schedule,
        months=body.months,
        first_due_on=body.first_due_on.isoformat(),
        annual_rate=body.annual_rate,
        down_payment=_yuan_text(body.down_payment or None),
        custom_amounts=" ".join(_yuan_text(a) for a in body.custom_amounts),
        settlement_amount=_yuan_text(body.settlement_amount),
        waive_fee=_yuan_text(body.waive_fee or None),
        waive_penalty=_yuan_text(body.waive_penalty or None),
        waive_interest=_yuan_text(body.waive_interest or None),
        waive_principal=_yuan_text(body.waive_principal or None),
    )
    try:
        proposal = propose_plan(
            session,
            principal,
            case_id,
            inputs,
            today=config.business_date(),
            at=config.now(),
            store=body.submit,
        )
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    except WorkInputError as exc:
        return _json_errors(exc)
    return _plan_read(proposal)


@router.post(
    "/api/cases/{case_id}/messages",
    response_model=MessageResultRead,
    responses=ERRORS,
    tags=["work"],
)
def api_message(
    case_id: CaseId, body: MessageCreate, principal: SignedIn, session: DbSession, config: Config
) -> Response | MessageResultRead:
    """Render a template for the case; with ``send``, through the guard into the outbox."""
    try:
        outcome = send_template_message(
            session,
            principal,
            case_id,
            template_code=body.template_code,
            language=body.language,
            contact_point_id=body.contact_point_id,
            nonce=body.nonce,
            today=config.business_date(),
            at=config.now(),
            send=body.send,
        )
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    except WorkInputError as exc:
        return _json_errors(exc)
    return _message_read(outcome)


# ---------------------------------------------------------------------------------------------
# HTML routes


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _render_panel(
    request: Request,
    session: Session,
    principal: Principal,
    case_id: int,
    config: WebConfig,
    *,
    done: str | None = None,
    result: object = None,
    error: WorkInputError | None = None,
    form: Mapping[str, object] | None = None,
) -> Response:
    try:
        panel = _panel(session, principal, case_id, config)
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    lang = language_of(request)
    errors = {} if error is None else {e.field: e.text(lang) for e in error.errors}
    hits = error.hits if isinstance(error, NoteRefusedError) else ()
    context = {
        "panel": panel,
        "done": done,
        "result": result,
        "errors": errors,
        "hits": hits,
        "form": dict(form or {}),
        "plan_kinds": PLAN_KINDS,
        "schedules": [kind.value for kind in ScheduleKind],
        "today": config.business_date(),
        "title_key": "work.title",
    }
    htmx = _is_htmx(request)
    template = "work/panel.html" if htmx else "work/case_work.html"
    # htmx swaps only 2xx answers, so field errors come back as 200 there (and 422 otherwise).
    status = 422 if error is not None and not htmx else 200
    return render(request, template, context, status_code=status)


@router.get("/cases/{case_id}/work", include_in_schema=False)
def panel_page(
    request: Request, case_id: CaseId, principal: SignedIn, session: DbSession, config: Config
) -> Response:
    return _render_panel(request, session, principal, case_id, config)


@router.post("/cases/{case_id}/work/call", include_in_schema=False)
def call_form(
    request: Request,
    case_id: CaseId,
    principal: SignedIn,
    session: DbSession,
    config: Config,
    contact_point_id: Annotated[int, Form(ge=0, le=ROW_ID_MAX)] = 0,
    disposition: Annotated[str, Form(max_length=24)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    form = {"contact_point_id": contact_point_id, "disposition": disposition, "note": note}
    try:
        result = log_call(
            session,
            principal,
            case_id,
            contact_point_id=contact_point_id,
            disposition_code=disposition,
            note=note,
            today=config.business_date(),
            at=config.now(),
        )
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    except WorkInputError as exc:
        return _render_panel(
            request, session, principal, case_id, config, done="call", error=exc, form=form
        )
    return _render_panel(
        request, session, principal, case_id, config, done="call", result=result, form=form
    )


@router.post("/cases/{case_id}/work/promise", include_in_schema=False)
def promise_form(
    request: Request,
    case_id: CaseId,
    principal: SignedIn,
    session: DbSession,
    config: Config,
    amount: Annotated[str, Form(max_length=40)] = "",
    promised_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form = {"amount": amount, "promised_on": promised_on}
    try:
        fen = parse_yuan(amount, "amount")
        day = parse_day(promised_on, "promised_on")
        assert fen is not None
        promise = record_promise(
            session,
            principal,
            case_id,
            amount=fen,
            promised_on=day,
            today=config.business_date(),
            at=config.now(),
        )
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    except WorkInputError as exc:
        return _render_panel(
            request, session, principal, case_id, config, done="promise", error=exc, form=form
        )
    return _render_panel(
        request, session, principal, case_id, config, done="promise", result=promise
    )


@router.post("/cases/{case_id}/work/plan", include_in_schema=False)
def plan_form(
    request: Request,
    case_id: CaseId,
    principal: SignedIn,
    session: DbSession,
    config: Config,
    kind: Annotated[str, Form(max_length=24)] = "instalment",
    schedule: Annotated[str, Form(max_length=24)] = ScheduleKind.EQUAL_INSTALMENT.value,
    months: Annotated[int, Form(ge=0, le=1000)] = 1,
    first_due_on: Annotated[str, Form(max_length=20)] = "",
    annual_rate: Annotated[str, Form(max_length=20)] = "0",
    down_payment: Annotated[str, Form(max_length=40)] = "",
    custom_amounts: Annotated[str, Form(max_length=2000)] = "",
    settlement_amount: Annotated[str, Form(max_length=40)] = "",
    waive_fee: Annotated[str, Form(max_length=40)] = "",
    waive_penalty: Annotated[str, Form(max_length=40)] = "",
    waive_interest: Annotated[str, Form(max_length=40)] = "",
    waive_principal: Annotated[str, Form(max_length=40)] = "",
    action: Annotated[str, Form(pattern="^(preview|submit)$")] = "preview",
) -> Response:
    inputs = PlanInput(
        kind=kind,
        schedule=schedule,
        months=months,
        first_due_on=first_due_on,
        annual_rate=annual_rate,
        down_payment=down_payment,
        custom_amounts=custom_amounts,
        settlement_amount=settlement_amount,
        waive_fee=waive_fee,
        waive_penalty=waive_penalty,
        waive_interest=waive_interest,
        waive_principal=waive_principal,
    )
    form = inputs.as_json()
    try:
        proposal = propose_plan(
            session,
            principal,
            case_id,
            inputs,
            today=config.business_date(),
            at=config.now(),
            store=action == "submit",
        )
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    except WorkInputError as exc:
        return _render_panel(
            request, session, principal, case_id, config, done="plan", error=exc, form=form
        )
    # A stored proposal clears the form; a preview keeps it for the submit.
    return _render_panel(
        request,
        session,
        principal,
        case_id,
        config,
        done="plan",
        result=proposal,
        form=form if proposal.plan_id is None else None,
    )


@router.post("/cases/{case_id}/work/message", include_in_schema=False)
def message_form(
    request: Request,
    case_id: CaseId,
    principal: SignedIn,
    session: DbSession,
    config: Config,
    template: Annotated[str, Form(max_length=80)] = "",
    contact_point_id: Annotated[int, Form(ge=0, le=ROW_ID_MAX)] = 0,
    nonce: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(pattern="^(preview|send)$")] = "preview",
) -> Response:
    code, _, language = template.partition("|")
    form = {"template": template, "contact_point_id": contact_point_id, "nonce": nonce}
    try:
        outcome = send_template_message(
            session,
            principal,
            case_id,
            template_code=code,
            language=language or "zh",
            contact_point_id=contact_point_id,
            nonce=nonce,
            today=config.business_date(),
            at=config.now(),
            send=action == "send",
        )
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    except WorkInputError as exc:
        return _render_panel(
            request, session, principal, case_id, config, done="message", error=exc, form=form
        )
    if not outcome.sent:
        # A preview keeps the nonce, so the send that follows (or a double click) shares it.
        form["keep_nonce"] = True
    return _render_panel(
        request, session, principal, case_id, config, done="message", result=outcome, form=form
    )


@router.get("/work/tasks", include_in_schema=False)
def tasks_page(
    request: Request, principal: SignedIn, session: DbSession, config: Config
) -> Response:
    today = config.business_date()
    try:
        rows = open_tasks(session, principal, today=today)
    except NotPermittedError:
        raise HTTPException(status_code=403) from None
    return render(
        request,
        "work/tasks.html",
        {"tasks": rows, "today": today, "title_key": "work.tasks.title"},
    )


# ---------------------------------------------------------------------------------------------
# Catalogue

ZH: dict[str, str] = {
    "work.nav.tasks": "今日外呼任务",
    "work.title": "案件操作",
    "work.open_tools": "打开案件操作（记录通话、承诺还款、分期方案、发送短信）",
    "work.back_to_case": "返回案件",
    "work.loading": "正在加载案件操作……",
    "work.status.title": "当前能否联系",
    "work.status.channel": "渠道",
    "work.status.contact": "联系方式",
    "work.status.verdict": "合规结论",
    "work.status.no_point": "无可用联系方式",
    "work.channel.phone": "电话",
    "work.channel.sms": "短信",
    "work.channel.email": "邮件",
    "work.case_tasks": "本案今日外呼任务",
    "work.call.title": "记录通话",
    "work.call.contact": "联系号码",
    "work.call.disposition": "通话结果",
    "work.call.note": "备注",
    "work.call.submit": "记录通话",
    "work.call.logged": "通话已记录。",
    "work.call.stopped": "合规检查未通过，本次通话未记录为已拨打。",
    "work.call.task_closed": "今日外呼任务已关闭。",
    "work.call.hold": "已登记停催（争议/投诉），停止催收。",
    "work.call.invalidated": "该号码已标记为无效。",
    "work.call.banned": "备注含禁用表述，未保存：",
    "work.promise.title": "承诺还款（PTP）",
    "work.promise.amount": "承诺金额（元）",
    "work.promise.date": "承诺还款日",
    "work.promise.horizon": "最晚可约定天数",
    "work.promise.submit": "登记承诺",
    "work.promise.saved": "承诺已登记：",
    "work.plan.title": "分期 / 协商结清 / 减免申请",
    "work.plan.kind": "类型",
    "work.plan.kind.instalment": "分期",
    "work.plan.kind.settlement": "协商结清",
    "work.plan.kind.waiver": "减免",
    "work.plan.schedule": "还款方式",
    "work.plan.schedule.equal_instalment": "等额本息",
    "work.plan.schedule.equal_principal": "等额本金",
    "work.plan.schedule.custom": "自定义金额",
    "work.plan.months": "期数（月）",
    "work.plan.first_due_on": "首期还款日",
    "work.plan.annual_rate": "年利率（%）",
    "work.plan.down_payment": "首付（元）",
    "work.plan.custom_amounts": "自定义每期金额（元，以空格或逗号分隔）",
    "work.plan.settlement_amount": "结清金额（元）",
    "work.plan.waive": "减免金额（元）",
    "work.plan.preview": "计算还款计划",
    "work.plan.submit": "提交审批",
    "work.plan.previewed": "还款计划预览（尚未提交）",
    "work.plan.saved": "方案已提交，等待组长审批。编号：",
    "work.plan.number": "期次",
    "work.plan.down": "首付",
    "work.plan.due_on": "到期日",
    "work.plan.amount": "应还（元）",
    "work.plan.total": "合计应还",
    "work.plan.total_interest": "其中利息",
    "work.plan.waived": "减免合计",
    "work.plan.payable": "减免后应还",
    "work.plan.balance": "当前欠款",
    "work.message.title": "发送模板短信 / 邮件",
    "work.message.template": "模板",
    "work.message.contact": "发送至",
    "work.message.preview": "预览",
    "work.message.send": "发送",
    "work.message.previewed": "预览（尚未发送）",
    "work.message.staged": "已通过合规检查，已进入发送队列。",
    "work.message.duplicate": "该消息已在发送队列中，不会重复发送。",
    "work.message.stopped": "合规检查未通过，消息未发送。",
    "work.message.none": "没有可用的模板。",
    "work.next_allowed": "下次允许时间",
    "work.reasons": "原因",
    "work.tasks.title": "今日外呼任务",
    "work.tasks.empty": "今天没有待办的外呼任务。",
    "work.tasks.priority": "优先级",
    "work.tasks.case": "案件",
    "work.tasks.debtor": "债务人",
    "work.tasks.script": "话术",
    "work.tasks.reason": "原因",
    "work.tasks.not_before": "最早拨打",
    "work.tasks.open": "打开案件",
    "work.choose": "请选择",
}

EN: dict[str, str] = {
    "work.nav.tasks": "Today's calls",
    "work.title": "Case actions",
    "work.open_tools": "Open the case tools (log a call, promise, plan, message)",
    "work.back_to_case": "Back to the case",
    "work.loading": "Loading the case tools…",
    "work.status.title": "Can we contact now?",
    "work.status.channel": "Channel",
    "work.status.contact": "Contact point",
    "work.status.verdict": "Compliance verdict",
    "work.status.no_point": "No usable contact point",
    "work.channel.phone": "Phone",
    "work.channel.sms": "SMS",
    "work.channel.email": "Email",
    "work.case_tasks": "Call tasks for this case today",
    "work.call.title": "Log a call",
    "work.call.contact": "Number",
    "work.call.disposition": "Disposition",
    "work.call.note": "Note",
    "work.call.submit": "Log call",
    "work.call.logged": "The call was logged.",
    "work.call.stopped": "The compliance guard stopped this call; it is not logged as made.",
    "work.call.task_closed": "Today's call task was closed.",
    "work.call.hold": "A hold (dispute / complaint) was started: collection stops.",
    "work.call.invalidated": "The number is now marked invalid.",
    "work.call.banned": "The note contains banned wording and was not saved:",
    "work.promise.title": "Promise to pay (PTP)",
    "work.promise.amount": "Amount (CNY)",
    "work.promise.date": "Promised for",
    "work.promise.horizon": "Latest allowed, in days",
    "work.promise.submit": "Record promise",
    "work.promise.saved": "Promise recorded:",
    "work.plan.title": "Instalment plan / settlement / waiver request",
    "work.plan.kind": "Kind",
    "work.plan.kind.instalment": "Instalment plan",
    "work.plan.kind.settlement": "Settlement",
    "work.plan.kind.waiver": "Waiver",
    "work.plan.schedule": "Schedule",
    "work.plan.schedule.equal_instalment": "Level payments (annuity)",
    "work.plan.schedule.equal_principal": "Equal principal",
    "work.plan.schedule.custom": "Custom amounts",
    "work.plan.months": "Months",
    "work.plan.first_due_on": "First due date",
    "work.plan.annual_rate": "Annual rate (%)",
    "work.plan.down_payment": "Down payment (CNY)",
    "work.plan.custom_amounts": "Custom amounts (CNY, separated by spaces or commas)",
    "work.plan.settlement_amount": "Settlement amount (CNY)",
    "work.plan.waive": "Amounts to waive (CNY)",
    "work.plan.preview": "Compute schedule",
    "work.plan.submit": "Submit for approval",
    "work.plan.previewed": "Schedule preview (not submitted yet)",
    "work.plan.saved": "Submitted for the team lead's approval. Number:",
    "work.plan.number": "No.",
    "work.plan.down": "Down payment",
    "work.plan.due_on": "Due",
    "work.plan.amount": "Amount (CNY)",
    "work.plan.total": "Total to pay",
    "work.plan.total_interest": "of which interest",
    "work.plan.waived": "Waived in total",
    "work.plan.payable": "Payable after waiver",
    "work.plan.balance": "Balance now",
    "work.message.title": "Send a template SMS / email",
    "work.message.template": "Template",
    "work.message.contact": "Send to",
    "work.message.preview": "Preview",
    "work.message.send": "Send",
    "work.message.previewed": "Preview (not sent yet)",
    "work.message.staged": "Allowed by the compliance guard and queued for sending.",
    "work.message.duplicate": "This message is already queued; it will not be sent twice.",
    "work.message.stopped": "The compliance guard stopped this message; nothing was sent.",
    "work.message.none": "No templates available.",
    "work.next_allowed": "Next allowed",
    "work.reasons": "Reasons",
    "work.tasks.title": "Today's call tasks",
    "work.tasks.empty": "No open call tasks today.",
    "work.tasks.priority": "Priority",
    "work.tasks.case": "Case",
    "work.tasks.debtor": "Debtor",
    "work.tasks.script": "Script",
    "work.tasks.reason": "Reason",
    "work.tasks.not_before": "Not before",
    "work.tasks.open": "Open case",
    "work.choose": "Choose",
}
