"""The team lead's screens (组长): team board, 调案, plan approvals, contact overrides.

Data flow: each route resolves a team lead or manager (``require_roles``: anyone else 403) →
calls one function of :mod:`huikuan.approvals.service` with the request's session, business
date and time → the HTML page renders the returned pydantic model, the ``/api/lead/...`` route
returns it. Refusals the user can act on (:class:`LeadRefusedError`,
``ReassignmentRefused``) come back as the same page with the bilingual message (HTML) or
``{"detail", "code"}`` (JSON) and their status; out-of-scope ids raise ``AccessDeniedError``,
which the app answers 404. Writes are in the request's transaction (``DbSession``), except
the 调案, which runs in ``reassign_cases``'s own single transaction.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from huikuan.access.policy import Principal
from huikuan.approvals.schemas import (
    ApprovalQueueRead,
    BoardRead,
    DecisionCreate,
    DecisionRead,
    LeadCasesRead,
    OverrideCreate,
    OverrideResultRead,
    OverridesRead,
    ReassignCreate,
    ReassignRead,
)
from huikuan.approvals.service import (
    LeadRefusedError,
    approval_queue,
    decide_plan,
    lead_cases,
    override,
    override_queue,
    reassign,
    team_board,
)
from huikuan.assignment.engine import ReassignmentRefused
from huikuan.db.ids import ROW_ID_MAX, RowIdField
from huikuan.org.models import Role
from huikuan.web.areas import NavItem
from huikuan.web.auth import require_roles
from huikuan.web.deps import Config, DbSession, RowId, RowIdQuery, engine_of
from huikuan.web.rendering import render

LEAD_ROLES = frozenset({Role.TEAM_LEAD, Role.MANAGER})
Lead = Annotated[Principal, Depends(require_roles(*LEAD_ROLES))]

router = APIRouter()
pages = APIRouter(prefix="/lead", include_in_schema=False)
api = APIRouter(prefix="/api/lead", tags=["team lead"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not a team lead or manager, or the CSRF token is missing"},
    404: {"description": "Not found or outside the caller's scope"},
}
DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: {
        "description": "Not allowed: wrong role, the caller's own proposal, or beyond the "
        "caller's approval limit (then the body is a DecisionRead with decision "
        "'escalated' and the role it went to)",
    },
    409: {"description": "Already decided, or the case cannot enter a plan"},
    422: {"description": "A rejection without a comment, or terms that cannot be read"},
}

NAV = (
    NavItem("lead.nav.board", "/lead/board", LEAD_ROLES, order=20),
    NavItem("lead.nav.cases", "/lead/cases", LEAD_ROLES, order=21),
    NavItem("lead.nav.approvals", "/lead/approvals", LEAD_ROLES, order=22),
    NavItem("lead.nav.overrides", "/lead/overrides", LEAD_ROLES, order=23),
)
HOME = {Role.TEAM_LEAD: "/lead/board"}


def _refused(exc: LeadRefusedError) -> JSONResponse:
    return JSONResponse({"detail": exc.message, "code": exc.code.value}, status_code=exc.status)


def _field_errors(exc: ValidationError) -> str:
    """The fields a form got wrong, by name (never the values: they may be personal data)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    )


# ------------------------------------------------------------------------------------ board


@pages.get("/board")
def board_page(request: Request, principal: Lead, session: DbSession, config: Config) -> Response:
    board = team_board(session, principal, today=config.business_date())
    return render(request, "lead/board.html", {"board": board, "title_key": "lead.board.title"})


@api.get("/board", response_model=BoardRead, responses=ERRORS)
def board_json(principal: Lead, session: DbSession, config: Config) -> BoardRead:
    """Per agent of the caller's team (a manager: every in-house agent, or their agency's)."""
    return team_board(session, principal, today=config.business_date())


# ------------------------------------------------------------------------------- 调案

Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1, le=200)]
AgentFilter = RowIdQuery


def _cases_page(
    request: Request,
    principal: Principal,
    session: DbSession,
    *,
    agent_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    result: ReassignRead | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    cases = lead_cases(session, principal, agent_id=agent_id, limit=limit, offset=offset)
    return render(
        request,
        "lead/cases.html",
        {"cases": cases, "result": result, "error": error, "title_key": "lead.cases.title"},
        status_code=status_code,
    )


@pages.get("/cases")
def cases_page(
    request: Request,
    principal: Lead,
    session: DbSession,
    agent_id: AgentFilter = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Response:
    return _cases_page(request, principal, session, agent_id=agent_id, offset=offset, limit=limit)


@pages.post("/cases/reassign")
def reassign_form(
    request: Request,
    principal: Lead,
    session: DbSession,
    config: Config,
    case_ids: Annotated[list[RowIdField], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    to_agent_id: Annotated[int | None, Form(ge=1, le=ROW_ID_MAX)] = None,
    reason: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        body = ReassignCreate(
            case_ids=case_ids,
            to_agent_id=to_agent_id,  # validated here, by name
            reason=reason,
            note=note,
        )
    except ValidationError as exc:
        return _cases_page(request, principal, session, error=_field_errors(exc), status_code=422)
    try:
        done = reassign(
            engine_of(request), principal, body, as_of=config.business_date(), at=config.now()
        )
    except ReassignmentRefused as exc:
        return _cases_page(request, principal, session, error=str(exc), status_code=422)
    except LeadRefusedError as exc:
        return _cases_page(request, principal, session, error=exc.message, status_code=exc.status)
    return _cases_page(request, principal, session, result=done)


@api.get("/cases", response_model=LeadCasesRead, responses=ERRORS)
def cases_json(
    principal: Lead,
    session: DbSession,
    agent_id: AgentFilter = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> LeadCasesRead:
    """Cases being worked in the caller's scope, worst DPD first, and the agents to move to."""
    return lead_cases(session, principal, agent_id=agent_id, limit=limit, offset=offset)


@api.post(
    "/reassign",
    response_model=ReassignRead,
    responses={**ERRORS, 422: {"description": "The move may not be made (message says why)"}},
)
def reassign_json(
    request: Request, body: ReassignCreate, principal: Lead, config: Config
) -> ReassignRead | JSONResponse:
    """调案: move cases to an agent in scope (capacity respected; history and audit written)."""
    try:
        return reassign(
            engine_of(request), principal, body, as_of=config.business_date(), at=config.now()
        )
    except ReassignmentRefused as exc:
        return JSONResponse({"detail": str(exc), "code": "reassign"}, status_code=422)
    except LeadRefusedError as exc:
        return _refused(exc)


# ------------------------------------------------------------------------------- approvals


def _approvals_page(
    request: Request,
    principal: Principal,
    session: DbSession,
    *,
    result: DecisionRead | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    queue = approval_queue(session, principal)
    return render(
        request,
        "lead/approvals.html",
        {"queue": queue, "result": result, "error": error, "title_key": "lead.approvals.title"},
        status_code=status_code,
    )


@pages.get("/approvals")
def approvals_page(request: Request, principal: Lead, session: DbSession) -> Response:
    return _approvals_page(request, principal, session)


@pages.post("/approvals/{plan_id}")
def decide_form(
    request: Request,
    plan_id: RowId,
    principal: Lead,
    session: DbSession,
    config: Config,
    decision: Annotated[str, Form(max_length=10)] = "",
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        body = DecisionCreate(decision=decision, comment=comment)
    except ValidationError as exc:
        return _approvals_page(
            request, principal, session, error=_field_errors(exc), status_code=422
        )
    try:
        made = decide_plan(
            session,
            principal,
            plan_id,
            decision=body.decision,
            comment=body.comment,
            at=config.now(),
        )
    except LeadRefusedError as exc:
        return _approvals_page(
            request, principal, session, error=exc.message, status_code=exc.status
        )
    if made.decision == "escalated":
        return _approvals_page(
            request, principal, session, result=made, error=made.message, status_code=403
        )
    return _approvals_page(request, principal, session, result=made)


@api.get("/approvals", response_model=ApprovalQueueRead, responses=ERRORS)
def approvals_json(principal: Lead, session: DbSession) -> ApprovalQueueRead:
    """Proposed plans in scope, with the figures the caller's limit is checked against."""
    return approval_queue(session, principal)


@api.post("/approvals/{plan_id}", response_model=DecisionRead, responses=DECISION_ERRORS)
def decide_json(
    plan_id: RowId, body: DecisionCreate, principal: Lead, session: DbSession, config: Config
) -> DecisionRead | JSONResponse:
    """Approve or reject a proposed plan (maker–checker; limits per role; escalates)."""
    try:
        made = decide_plan(
            session,
            principal,
            plan_id,
            decision=body.decision,
            comment=body.comment,
            at=config.now(),
        )
    except LeadRefusedError as exc:
        return _refused(exc)
    if made.decision == "escalated":
        # Refused, but the escalation is recorded: returning (not raising) commits it.
        return JSONResponse(made.model_dump(mode="json"), status_code=403)
    return made


# ------------------------------------------------------------------------------- overrides


def _overrides_page(
    request: Request,
    principal: Principal,
    session: DbSession,
    config: Config,
    *,
    result: OverrideResultRead | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    queue = override_queue(session, principal, now=config.now())
    return render(
        request,
        "lead/overrides.html",
        {"queue": queue, "result": result, "error": error, "title_key": "lead.overrides.title"},
        status_code=status_code,
    )


@pages.get("/overrides")
def overrides_page(
    request: Request, principal: Lead, session: DbSession, config: Config
) -> Response:
    return _overrides_page(request, principal, session, config)


@pages.post("/overrides/{attempt_id}")
def override_form(
    request: Request,
    attempt_id: RowId,
    principal: Lead,
    session: DbSession,
    config: Config,
    reason_code: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        body = OverrideCreate(reason_code=reason_code, note=note)
    except ValidationError as exc:
        return _overrides_page(
            request, principal, session, config, error=_field_errors(exc), status_code=422
        )
    try:
        made = override(
            session,
            principal,
            attempt_id,
            reason_code=body.reason_code,
            note=body.note,
            at=config.now(),
        )
    except LeadRefusedError as exc:
        return _overrides_page(
            request, principal, session, config, error=exc.message, status_code=exc.status
        )
    return _overrides_page(request, principal, session, config, result=made)


@api.get("/overrides", response_model=OverridesRead, responses=ERRORS)
def overrides_json(principal: Lead, session: DbSession, config: Config) -> OverridesRead:
    """Stopped contacts of the last week in scope that a supervisor may let go ahead."""
    return override_queue(session, principal, now=config.now())


@api.post(
    "/overrides/{attempt_id}",
    response_model=OverrideResultRead,
    responses={
        **ERRORS,
        409: {"description": "Not overridable (hard rule, already executed)"},
        422: {"description": "Unknown reason code"},
    },
)
def override_json(
    attempt_id: RowId, body: OverrideCreate, principal: Lead, session: DbSession, config: Config
) -> OverrideResultRead | JSONResponse:
    """Override a presumed violation with a reason code (never the caller's own attempt)."""
    try:
        return override(
            session,
            principal,
            attempt_id,
            reason_code=body.reason_code,
            note=body.note,
            at=config.now(),
        )
    except LeadRefusedError as exc:
        return _refused(exc)


router.include_router(pages)
router.include_router(api)

# ------------------------------------------------------------------------------- catalogue

ZH: dict[str, str] = {
    "lead.nav.board": "团队看板",
    "lead.nav.cases": "调案",
    "lead.nav.approvals": "审批",
    "lead.nav.overrides": "合规复核",
    "lead.board.title": "团队看板",
    "lead.board.date": "业务日期",
    "lead.board.week": "本周自",
    "lead.board.agent": "坐席",
    "lead.board.team": "小组",
    "lead.board.open_cases": "在催案件",
    "lead.board.balance": "余额（元）",
    "lead.board.calls": "外呼 待办/完成",
    "lead.board.ptp_today": "今日承诺",
    "lead.board.ptp_amount": "承诺金额（元）",
    "lead.board.ptp_week": "本周 兑现/跳票",
    "lead.board.kept_rate": "兑现率",
    "lead.board.contacts": "今日联系",
    "lead.board.blocked": "拦截/延后",
    "lead.board.total": "合计",
    "lead.board.empty": "您的团队暂无坐席。",
    "lead.cases.title": "调案",
    "lead.cases.intro": "勾选案件，选择本组坐席与原因后提交；"
    "坐席容量会被检查，调案记入分案历史与审计日志。",
    "lead.cases.case_no": "案件号",
    "lead.cases.debtor": "债务人",
    "lead.cases.agent": "当前坐席",
    "lead.cases.state": "状态",
    "lead.cases.balance": "余额（元）",
    "lead.cases.dpd": "逾期天数",
    "lead.cases.bucket": "账龄",
    "lead.cases.select": "选择",
    "lead.cases.to_agent": "调给坐席",
    "lead.cases.reason": "原因",
    "lead.cases.note": "说明",
    "lead.cases.submit": "调案",
    "lead.cases.holding": "在催",
    "lead.cases.capacity": "容量",
    "lead.cases.all_agents": "全部坐席",
    "lead.cases.filter": "筛选",
    "lead.cases.empty": "没有在催案件。",
    "lead.cases.moved": "已调案",
    "lead.cases.unchanged": "已在该坐席名下",
    "lead.cases.more": "下一页",
    "lead.reason.agent_left": "坐席离职 / 调岗",
    "lead.reason.workload": "工作量调整",
    "lead.reason.complaint": "投诉回避",
    "lead.reason.specialist": "专案处理",
    "lead.reason.language": "语言匹配",
    "lead.reason.other": "其他（须填写说明）",
    "lead.approvals.title": "待审批方案",
    "lead.approvals.limit": "您的审批权限",
    "lead.approvals.limit_waiver": "减免不超过余额的",
    "lead.approvals.limit_amount": "且不超过（元）",
    "lead.approvals.limit_months": "分期不超过（月）",
    "lead.approvals.case": "案件",
    "lead.approvals.debtor": "债务人",
    "lead.approvals.kind": "类型",
    "lead.approvals.proposed_by": "发起人",
    "lead.approvals.created_on": "发起日期",
    "lead.approvals.months": "期数（月）",
    "lead.approvals.amount": "方案金额（元）",
    "lead.approvals.waived": "减免（元）",
    "lead.approvals.balance": "余额（元）",
    "lead.approvals.share": "减免比例",
    "lead.approvals.required": "所需审批",
    "lead.approvals.required_none": "超出系统内所有权限",
    "lead.approvals.escalated": "已上报",
    "lead.approvals.own": "本人发起",
    "lead.approvals.comment": "审批意见",
    "lead.approvals.approve": "批准",
    "lead.approvals.reject": "驳回",
    "lead.approvals.empty": "没有待审批的方案。",
    "lead.approvals.done": "处理结果",
    "lead.kind.instalment": "分期",
    "lead.kind.settlement": "协商还款",
    "lead.kind.waiver": "减免",
    "lead.decision.approved": "已批准",
    "lead.decision.rejected": "已驳回",
    "lead.decision.escalated": "已上报",
    "lead.overrides.title": "合规复核（推定违规）",
    "lead.overrides.intro": "以下联系被拦截或延后，且全部原因均为可由主管复核的推定规则。"
    "不能复核本人的联系；复核记入审计日志。",
    "lead.overrides.at": "时间",
    "lead.overrides.case": "案件",
    "lead.overrides.channel": "渠道",
    "lead.overrides.actor": "坐席",
    "lead.overrides.decision": "结论",
    "lead.overrides.rules": "规则",
    "lead.overrides.next_allowed": "下次允许",
    "lead.overrides.reason_code": "复核原因",
    "lead.overrides.note": "备注",
    "lead.overrides.submit": "复核放行",
    "lead.overrides.own": "本人的联系",
    "lead.overrides.empty": "没有可复核的联系。",
    "lead.overrides.done": "已复核放行",
    "lead.override.legal_requirement": "法律要求",
    "lead.override.litigation": "诉讼需要",
    "lead.override.consumer_request": "债务人要求",
    "lead.override.time_critical_warning": "紧急提醒",
    "lead.override.dropped_call": "通话中断回拨",
    "lead.error": "未完成",
}

EN: dict[str, str] = {
    "lead.nav.board": "Team board",
    "lead.nav.cases": "Re-assign",
    "lead.nav.approvals": "Approvals",
    "lead.nav.overrides": "Overrides",
    "lead.board.title": "Team board",
    "lead.board.date": "Business date",
    "lead.board.week": "Week from",
    "lead.board.agent": "Agent",
    "lead.board.team": "Team",
    "lead.board.open_cases": "Open cases",
    "lead.board.balance": "Balance (CNY)",
    "lead.board.calls": "Calls open/done",
    "lead.board.ptp_today": "PTPs due today",
    "lead.board.ptp_amount": "PTP amount (CNY)",
    "lead.board.ptp_week": "Week kept/broken",
    "lead.board.kept_rate": "Kept rate",
    "lead.board.contacts": "Contacts today",
    "lead.board.blocked": "Blocked/deferred",
    "lead.board.total": "Total",
    "lead.board.empty": "No agents in your team.",
    "lead.cases.title": "Re-assign cases",
    "lead.cases.intro": "Tick cases, pick an agent of your scope and a reason; the agent's "
    "capacity is checked and the move is written to the assignment history and the audit log.",
    "lead.cases.case_no": "Case",
    "lead.cases.debtor": "Debtor",
    "lead.cases.agent": "Current agent",
    "lead.cases.state": "State",
    "lead.cases.balance": "Balance (CNY)",
    "lead.cases.dpd": "DPD",
    "lead.cases.bucket": "Bucket",
    "lead.cases.select": "Select",
    "lead.cases.to_agent": "Move to agent",
    "lead.cases.reason": "Reason",
    "lead.cases.note": "Note",
    "lead.cases.submit": "Re-assign",
    "lead.cases.holding": "holding",
    "lead.cases.capacity": "capacity",
    "lead.cases.all_agents": "All agents",
    "lead.cases.filter": "Filter",
    "lead.cases.empty": "No cases being worked.",
    "lead.cases.moved": "Moved",
    "lead.cases.unchanged": "already with that agent",
    "lead.cases.more": "Next page",
    "lead.reason.agent_left": "Agent left / moved",
    "lead.reason.workload": "Workload",
    "lead.reason.complaint": "Complaint about the agent",
    "lead.reason.specialist": "Specialist handling",
    "lead.reason.language": "Language match",
    "lead.reason.other": "Other (note required)",
    "lead.approvals.title": "Plans awaiting approval",
    "lead.approvals.limit": "Your approval limit",
    "lead.approvals.limit_waiver": "Waiver at most this share of the balance:",
    "lead.approvals.limit_amount": "and at most (CNY)",
    "lead.approvals.limit_months": "Plans at most (months)",
    "lead.approvals.case": "Case",
    "lead.approvals.debtor": "Debtor",
    "lead.approvals.kind": "Kind",
    "lead.approvals.proposed_by": "Proposed by",
    "lead.approvals.created_on": "Proposed on",
    "lead.approvals.months": "Months",
    "lead.approvals.amount": "Plan amount (CNY)",
    "lead.approvals.waived": "Waived (CNY)",
    "lead.approvals.balance": "Balance (CNY)",
    "lead.approvals.share": "Waiver share",
    "lead.approvals.required": "Needs",
    "lead.approvals.required_none": "beyond every limit in the system",
    "lead.approvals.escalated": "Escalated",
    "lead.approvals.own": "Your own proposal",
    "lead.approvals.comment": "Comment",
    "lead.approvals.approve": "Approve",
    "lead.approvals.reject": "Reject",
    "lead.approvals.empty": "No plans awaiting approval.",
    "lead.approvals.done": "Result",
    "lead.kind.instalment": "Instalments",
    "lead.kind.settlement": "Settlement",
    "lead.kind.waiver": "Waiver",
    "lead.decision.approved": "Approved",
    "lead.decision.rejected": "Rejected",
    "lead.decision.escalated": "Escalated",
    "lead.overrides.title": "Overrides of presumed violations",
    "lead.overrides.intro": "These contacts were blocked or deferred only by presumptions a "
    "supervisor may override. You cannot override your own; every override is audited.",
    "lead.overrides.at": "When",
    "lead.overrides.case": "Case",
    "lead.overrides.channel": "Channel",
    "lead.overrides.actor": "Agent",
    "lead.overrides.decision": "Verdict",
    "lead.overrides.rules": "Rules",
    "lead.overrides.next_allowed": "Next allowed",
    "lead.overrides.reason_code": "Override reason",
    "lead.overrides.note": "Note",
    "lead.overrides.submit": "Override",
    "lead.overrides.own": "Your own contact",
    "lead.overrides.empty": "Nothing to override.",
    "lead.overrides.done": "Overridden",
    "lead.override.legal_requirement": "Legal requirement",
    "lead.override.litigation": "Litigation",
    "lead.override.consumer_request": "Debtor's request",
    "lead.override.time_critical_warning": "Time-critical warning",
    "lead.override.dropped_call": "Dropped call",
    "lead.error": "Not done",
}
