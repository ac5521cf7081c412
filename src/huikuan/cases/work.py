"""An agent's work on one case: promises to pay, plan / settlement / waiver proposals, template
messages, and the contact points the agent may use.

Data flow (every function takes the request's session and the principal, checks the role
(:data:`WORK_ROLES`, else :class:`NotPermittedError`) and the scope through
:func:`huikuan.access.policy.get_case` (out of scope: ``AccessDeniedError``), and audits each
change in the same transaction):

* :func:`record_promise`: amount in fen (0 < amount ≤ the case balance) and date (today up to
  the creditor's horizon, :func:`ptp_horizon_days`) → a ``promises`` row (pending) → the case
  moves ACTIVE → PROMISED through :func:`huikuan.cases.service.move_case` (a case already
  PROMISED keeps its state; any other state refuses with the life-cycle's own message).
* :func:`propose_plan`: form inputs → :mod:`huikuan.core.plans` (等额本息 / 等额本金 / custom
  instalments, a settlement for an amount, or a waiver by component) → the computed schedule,
  shown first (``store=False``) and then stored as a ``plans`` row with ``status="proposed"``,
  ``terms`` holding the inputs and the schedule (fen, ISO dates). Approval (maker–checker) is
  the team lead screen's work: it reads ``status == "proposed"`` rows and sets ``approved`` /
  ``rejected`` with ``approved_by``.
* :func:`send_template_message`: an active SMS / email template rendered with the case's
  values (:func:`case_values`) → preview, or the guard
  (:func:`huikuan.compliance.service.propose_contact` with the rendered text as content) →
  if allowed, one outbox row (:func:`huikuan.dispatch.outbox.stage`) whose send key is derived
  from the case, template, contact point and the form's nonce, so a double click stages it once.

Input problems raise :class:`WorkInputError` carrying one :class:`FieldError` per field, in
English and Chinese, before anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal, get_case
from huikuan.accounts.models import Account, ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case, Plan, Promise
from huikuan.cases.service import move_case
from huikuan.cases.worklist import refresh_worklist
from huikuan.compliance.models import ContactAttempt
from huikuan.compliance.service import ProposedContact, propose_contact
from huikuan.compliance.verdict import Reason as VerdictReason
from huikuan.core.balances import Balance, Component
from huikuan.core.lifecycle import CaseState, Reason, check_transition
from huikuan.core.money import format_minor, parse_minor, parse_rate_ppm
from huikuan.core.plans import Plan as SchedulePlan
from huikuan.core.plans import (
    PlanTerms,
    PlanTermsError,
    ScheduleKind,
    Settlement,
    make_plan,
    plan_settlement,
    settle_for_amount,
)
from huikuan.dispatch.models import OutboxMessage
from huikuan.dispatch.outbox import NewMessage, stage
from huikuan.messaging.models import Channel, MessageTemplate, TemplateStatus
from huikuan.messaging.service import (
    TemplateNotFoundError,
    TemplateRenderError,
    get_template,
    list_templates,
    render_row,
)
from huikuan.org.models import Agency, Creditor, Product, Role
from huikuan.org.service import hotline_of
from huikuan.selfservice.links import configured_link_maker

WORK_ROLES: frozenset[Role] = frozenset({Role.AGENT, Role.TEAM_LEAD})
"""Who works cases: log calls, take promises, propose plans, send messages."""

DEFAULT_PTP_HORIZON_DAYS = 30
"""How far ahead a promise may fall when the creditor's product policy sets no
``ptp_max_days``."""

SENDER = "collections"
MESSAGE_CHANNELS: tuple[str, ...] = (Channel.SMS.value, Channel.EMAIL.value)
# An agent's message is sent now or not at all: if the worker cannot hand it over within this
# time it expires instead of arriving late (perhaps in quiet hours).
MESSAGE_VALIDITY = timedelta(minutes=30)
PLAN_KINDS: tuple[str, ...] = ("instalment", "settlement", "waiver")
THIRD_PARTY_PURPOSE = "locate_or_relay_message"


class NotPermittedError(PermissionError):
    """The principal's role does not work cases (answered 403)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str
    message_zh: str

    def text(self, lang: str) -> str:
        return self.message_zh if lang == "zh" else self.message


class WorkInputError(ValueError):
    """Input that cannot be accepted; one :class:`FieldError` per problem, nothing written."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = tuple(errors)

    @classmethod
    def one(cls, field_name: str, message: str, message_zh: str) -> WorkInputError:
        return cls([FieldError(field_name, message, message_zh)])


def require_worker(principal: Principal) -> None:
    if principal.role not in WORK_ROLES:
        raise NotPermittedError(f"role {principal.role.value} does not work cases")


def working_case(session: Session, principal: Principal, case_id: int) -> Case:
    """The case, for a role that works cases and a case in the principal's scope."""
    require_worker(principal)
    return get_case(session, principal, case_id)


# --------------------------------------------------------------------------------------------
# Contact points and the case's values
# --------------------------------------------------------------------------------------------


def contact_points(session: Session, principal: Principal, case: Case) -> list[ContactPoint]:
    """The case debtor's contact points this principal may use (agency staff: the debtor's own
    mobile only, as on the case page), valid ones first."""
    query = select(ContactPoint).where(ContactPoint.debtor_id == case.debtor_id)
    if principal.agency_id is not None:
        query = query.where(and_(ContactPoint.kind == "mobile", ContactPoint.owner_type == "self"))
    points = list(session.scalars(query.order_by(ContactPoint.id)))
    return sorted(points, key=lambda point: point.status == "invalid")


def usable_point(
    session: Session, principal: Principal, case: Case, contact_point_id: int, field_name: str
) -> ContactPoint:
    """A contact point of the case that the principal may use and that is not invalid."""
    for point in contact_points(session, principal, case):
        if point.id == contact_point_id:
            if point.status == "invalid":
                raise WorkInputError.one(
                    field_name,
                    "this number is marked invalid and is never contacted again",
                    "该号码已标记为无效，不能再联系",
                )
            return point
    raise WorkInputError.one(
        field_name, "choose one of the case's contact points", "请选择本案的联系方式"
    )


def party_of(point: ContactPoint) -> tuple[str, str, str | None]:
    """(party, purpose, relationship) for the guard: the debtor's own points are the consumer;
    anyone else's is a third party, contacted only to locate the debtor or relay a message."""
    if point.owner_type == "self":
        return "consumer", "collection", None
    return f"third_party:cp-{point.id}", THIRD_PARTY_PURPOSE, point.relationship


def case_balance(session: Session, case: Case) -> Balance:
    """The case's balance by component: the sum over its accounts."""
    row = session.execute(
        select(
            func.coalesce(func.sum(Account.principal), 0),
            func.coalesce(func.sum(Account.interest), 0),
            func.coalesce(func.sum(Account.penalty), 0),
            func.coalesce(func.sum(Account.fee), 0),
        ).where(Account.case_id == case.id)
    ).one()
    return Balance(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def _single_account(session: Session, case: Case) -> int | None:
    ids = list(session.scalars(select(Account.id).where(Account.case_id == case.id).limit(2)))
    return ids[0] if len(ids) == 1 else None


def ptp_horizon_days(session: Session, case: Case) -> int:
    """The furthest a promise may fall, in days from today: the strictest ``ptp_max_days`` of
    the products on the case (creditor configuration), else :data:`DEFAULT_PTP_HORIZON_DAYS`."""
    policies = session.scalars(
        select(Product.policy)
        .join(Account, Account.product_id == Product.id)
        .where(Account.case_id == case.id)
    )
    days = [
        int(value)
        for policy in policies
        if isinstance(policy, dict)
        and isinstance(value := policy.get("ptp_max_days"), int)
        and value > 0
    ]
    return min(days, default=DEFAULT_PTP_HORIZON_DAYS)


def case_values(
    session: Session, principal: Principal, case: Case, *, today: date
) -> dict[str, object]:
    """The values of :data:`huikuan.messaging.service.VARIABLES` for this case (no personal
    data: the debtor's number is never a template value here)."""
    creditor = session.get(Creditor, case.creditor_id)
    agency = session.get(Agency, case.agency_id) if case.agency_id is not None else None
    dpd = session.scalar(select(func.max(Account.dpd)).where(Account.case_id == case.id))
    promise = session.scalars(
        select(Promise)
        .where(Promise.case_id == case.id, Promise.status == "pending")
        .order_by(Promise.promised_on.desc(), Promise.id.desc())
    ).first()
    values: dict[str, object] = {
        "institution": creditor.name if creditor is not None else "",
        "agent_no": principal.username,
        "amount": case_balance(session, case).total,
        "dpd": int(dpd or 0),
        "due_date": today,
        "hotline": hotline_of(creditor),
        "agency": agency.name if agency is not None else "",
        "link": configured_link_maker()(case.id, today),
    }
    if promise is not None:
        values["promised_amount"] = promise.amount
        values["promised_date"] = promise.promised_on
    return values


def _jurisdiction(session: Session, case: Case) -> str:
    creditor = session.get(Creditor, case.creditor_id)
    return (creditor.jurisdiction if creditor is not None else None) or "CN"


# --------------------------------------------------------------------------------------------
# Parsing form input
# --------------------------------------------------------------------------------------------


def parse_yuan(text: str | None, field_name: str, *, required: bool = True) -> int | None:
    """Yuan typed by a person (``1,234.56``) to exact fen; a clear error naming the field."""
    raw = (text or "").strip()
    if not raw:
        if required:
            raise WorkInputError.one(field_name, "enter an amount in yuan", "请输入金额（元）")
        return None
    try:
        return parse_minor(raw)
    except ValueError:
        raise WorkInputError.one(
            field_name,
            f"{raw!r} is not an amount in yuan with at most 2 decimals",
            f"“{raw}”不是有效金额（元，最多两位小数）",
        ) from None


def parse_day(text: str | None, field_name: str) -> date:
    raw = (text or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise WorkInputError.one(
            field_name, "enter a date as YYYY-MM-DD", "请按 YYYY-MM-DD 输入日期"
        ) from None


# --------------------------------------------------------------------------------------------
# Promises to pay
# --------------------------------------------------------------------------------------------


def record_promise(
    session: Session,
    principal: Principal,
    case_id: int,
    *,
    amount: int,
    promised_on: date,
    today: date,
    at: datetime,
) -> Promise:
    """Record a PTP (承诺还款) and move the case to PROMISED; refused with the field named."""
    case = working_case(session, principal, case_id)
    balance = case_balance(session, case).total
    errors: list[FieldError] = []
    if amount <= 0:
        errors.append(FieldError("amount", "the amount must be above 0", "承诺金额必须大于 0"))
    elif amount > balance:
        errors.append(
            FieldError(
                "amount",
                f"the amount is more than the balance {format_minor(balance)}",
                f"承诺金额超过欠款余额 {format_minor(balance)} 元",
            )
        )
    horizon = ptp_horizon_days(session, case)
    latest = today + timedelta(days=horizon)
    if promised_on < today:
        errors.append(FieldError("promised_on", "the date is in the past", "承诺日期不能早于今天"))
    elif promised_on > latest:
        errors.append(
            FieldError(
                "promised_on",
                f"the date is more than {horizon} days ahead (latest {latest.isoformat()})",
                f"承诺日期不能晚于 {horizon} 天后（最晚 {latest.isoformat()}）",
            )
        )
    moving = case.state != CaseState.PROMISED.value
    if moving:
        refusal = check_transition(case.state, CaseState.PROMISED, Reason.PROMISE_MADE)
        if refusal is not None:
            errors.append(FieldError("case", refusal.message, refusal.message))
    if errors:
        raise WorkInputError(errors)
    promise = Promise(
        case_id=case.id,
        account_id=_single_account(session, case),
        amount=amount,
        promised_on=promised_on,
        created_on=today,
        agent_id=principal.user_id,
        status="pending",
    )
    session.add(promise)
    session.flush()
    refresh_worklist(session, today, [case.id])  # a promise due today moves the case up
    if moving:
        move_case(
            session,
            case,
            CaseState.PROMISED,
            reason=Reason.PROMISE_MADE,
            actor=principal.username,
            at=at,
        )
    record(
        session,
        at=at,
        actor=principal.username,
        action="promise.recorded",
        entity="case",
        entity_id=case.id,
        detail={"promise": promise.id, "amount": amount, "promised_on": promised_on.isoformat()},
    )
    return promise


# --------------------------------------------------------------------------------------------
# Plans, settlements and waivers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanInput:
    """What the agent typed (yuan as text, dates as ISO text): kept as given in ``terms``."""

    kind: str  # instalment, settlement, waiver
    schedule: str = ScheduleKind.EQUAL_INSTALMENT.value
    months: int = 1
    first_due_on: str = ""
    annual_rate: str = "0"  # percent
    down_payment: str = ""  # yuan
    custom_amounts: str = ""  # yuan, comma or space separated
    settlement_amount: str = ""  # yuan
    waive_fee: str = ""
    waive_penalty: str = ""
    waive_interest: str = ""
    waive_principal: str = ""
    note: str = ""

    def as_json(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class ScheduleLine:
    number: int  # 0: the down payment
    due_on: date
    principal: int
    interest: int
    amount: int


@dataclass(frozen=True, slots=True)
class PlanProposal:
    kind: str
    balance: Balance
    lines: tuple[ScheduleLine, ...]
    total: int
    total_interest: int
    waived: Balance = field(default_factory=Balance)
    payable: int = 0
    plan_id: int | None = None  # set once stored

    def terms(self, inputs: PlanInput) -> dict[str, Any]:
        return {
            "version": 1,
            "inputs": inputs.as_json(),
            "balance": self.balance.as_dict(),
            "waived": self.waived.as_dict(),
            "payable": self.payable,
            "total": self.total,
            "total_interest": self.total_interest,
            "schedule": [
                {
                    "number": line.number,
                    "due_on": line.due_on.isoformat(),
                    "principal": line.principal,
                    "interest": line.interest,
                    "amount": line.amount,
                }
                for line in self.lines
            ],
        }


def _lines(plan: SchedulePlan) -> tuple[ScheduleLine, ...]:
    return tuple(
        ScheduleLine(row.number, row.due_on, row.principal, row.interest, row.amount)
        for row in plan.instalments
    )


def _plan_error(exc: PlanTermsError, field_name: str) -> WorkInputError:
    # The core's messages are English with the Chinese business words inside; shown as they are.
    return WorkInputError.one(field_name, str(exc), str(exc))


def _common_dates(inputs: PlanInput, today: date) -> date:
    first = parse_day(inputs.first_due_on, "first_due_on")
    if first < today:
        raise WorkInputError.one(
            "first_due_on", "the first due date is in the past", "首期还款日不能早于今天"
        )
    return first


def _custom_amounts(text: str) -> tuple[int, ...]:
    parts = [part for part in text.replace("，", ",").replace(",", " ").split() if part]
    amounts = []
    for part in parts:
        value = parse_yuan(part, "custom_amounts")
        assert value is not None
        amounts.append(value)
    return tuple(amounts)


def _months(inputs: PlanInput) -> int:
    if not 1 <= inputs.months <= 60:
        raise WorkInputError.one("months", "months must be from 1 to 60", "期数必须在 1 到 60 之间")
    return inputs.months


def compute_plan(balance: Balance, inputs: PlanInput, *, today: date) -> PlanProposal:
    """The schedule the inputs give, computed by :mod:`huikuan.core.plans` (nothing stored)."""
    if inputs.kind not in PLAN_KINDS:
        raise WorkInputError.one(
            "kind", f"choose one of {', '.join(PLAN_KINDS)}", "请选择分期、协商结清或减免"
        )
    if balance.total <= 0:
        raise WorkInputError.one("kind", "the case has no balance", "本案没有欠款余额")
    first = _common_dates(inputs, today)
    months = _months(inputs)
    down = parse_yuan(inputs.down_payment, "down_payment", required=False) or 0
    if inputs.kind == "instalment":
        try:
            schedule = ScheduleKind(inputs.schedule)
        except ValueError:
            raise WorkInputError.one(
                "schedule", "choose a schedule kind", "请选择还款方式"
            ) from None
        try:
            rate = parse_rate_ppm(inputs.annual_rate or "0")
        except ValueError:
            raise WorkInputError.one(
                "annual_rate", "enter the annual rate in percent", "请输入年利率（%）"
            ) from None
        custom = _custom_amounts(inputs.custom_amounts) if schedule is ScheduleKind.CUSTOM else ()
        try:
            plan = make_plan(
                PlanTerms(
                    kind=schedule,
                    amount=balance.total,
                    months=months,
                    start_on=today,
                    first_due_on=first,
                    annual_rate_ppm=rate,
                    down_payment=down,
                    custom_amounts=custom,
                )
            )
        except PlanTermsError as exc:
            raise _plan_error(exc, "custom_amounts" if custom else "months") from None
        return PlanProposal(
            "instalment",
            balance,
            _lines(plan),
            plan.total,
            plan.total_interest,
            payable=balance.total,
        )
    if inputs.kind == "settlement":
        amount = parse_yuan(inputs.settlement_amount, "settlement_amount")
        assert amount is not None
        try:
            settlement = settle_for_amount(balance, amount)
        except PlanTermsError as exc:
            raise _plan_error(exc, "settlement_amount") from None
    else:
        waived = {}
        for component in Component:
            text = getattr(inputs, f"waive_{component.value}")
            waived[component.value] = (
                parse_yuan(text, f"waive_{component.value}", required=False) or 0
            )
        if not any(waived.values()):
            raise WorkInputError.one(
                "waive_fee", "enter at least one amount to waive", "请至少填写一项减免金额"
            )
        try:
            settlement = Settlement(balance, Balance(**waived))
        except (PlanTermsError, ValueError) as exc:
            component = next(
                (c for c in Component if waived[c.value] > balance.get(c)), Component.FEE
            )
            message = (
                f"more than the {component.value} owed ({format_minor(balance.get(component))})"
                if waived[component.value] > balance.get(component)
                else str(exc)
            )
            raise WorkInputError.one(
                f"waive_{component.value}",
                message,
                f"减免金额超过{component.label_zh}余额 {format_minor(balance.get(component))} 元"
                if waived[component.value] > balance.get(component)
                else str(exc),
            ) from None
    try:
        plan = plan_settlement(
            settlement, agreed_on=today, first_due_on=first, months=months, down_payment=down
        )
    except PlanTermsError as exc:
        raise _plan_error(exc, "months") from None
    return PlanProposal(
        inputs.kind,
        balance,
        _lines(plan),
        plan.total,
        plan.total_interest,
        waived=settlement.waived,
        payable=settlement.payable_total,
    )


def propose_plan(
    session: Session,
    principal: Principal,
    case_id: int,
    inputs: PlanInput,
    *,
    today: date,
    at: datetime,
    store: bool,
) -> PlanProposal:
    """Compute the schedule; with ``store`` also save it as a proposed plan (audited)."""
    case = working_case(session, principal, case_id)
    proposal = compute_plan(case_balance(session, case), inputs, today=today)
    if not store:
        return proposal
    row = Plan(
        case_id=case.id,
        account_id=_single_account(session, case),
        kind=proposal.kind,
        terms=proposal.terms(inputs),
        status="proposed",
        created_on=today,
        proposed_by=principal.username,
    )
    session.add(row)
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action="plan.proposed",
        entity="case",
        entity_id=case.id,
        detail={
            "plan": row.id,
            "kind": proposal.kind,
            "total": proposal.total,
            "waived": proposal.waived.total,
            "lines": len(proposal.lines),
        },
    )
    return PlanProposal(
        proposal.kind,
        proposal.balance,
        proposal.lines,
        proposal.total,
        proposal.total_interest,
        proposal.waived,
        proposal.payable,
        row.id,
    )


# --------------------------------------------------------------------------------------------
# Template messages
# --------------------------------------------------------------------------------------------


def message_templates(session: Session, principal: Principal, case: Case) -> list[MessageTemplate]:
    """The active SMS and email templates of the case's jurisdiction: SMS first, the debtor's
    language first, then by code."""
    jurisdiction = _jurisdiction(session, case)
    debtor = session.get(Debtor, case.debtor_id)
    language = debtor.language if debtor is not None else "zh"
    rows = [
        row
        for row in list_templates(session)
        if row.status == TemplateStatus.ACTIVE.value
        and row.channel in MESSAGE_CHANNELS
        and row.jurisdiction == jurisdiction
    ]
    return sorted(
        rows,
        key=lambda row: (row.channel != Channel.SMS.value, row.language != language, row.code),
    )


def send_key(case_id: int, template_code: str, contact_point_id: int, nonce: str) -> str:
    """The outbox key of an agent's message: the same form submitted twice gives the same key.

    >>> send_key(1, "SMS-PTP-CONFIRM", 2, "n") == send_key(1, "SMS-PTP-CONFIRM", 2, "n")
    True
    """
    digest = hashlib.sha256(
        f"{case_id}\x1f{template_code}\x1f{contact_point_id}\x1f{nonce}".encode()
    ).hexdigest()
    return f"work-{digest[:48]}"


@dataclass(frozen=True, slots=True)
class MessageOutcome:
    subject: str
    body: str
    channel: str
    template_code: str
    template_version: int
    sent: bool = False  # staged in the outbox (now or by an earlier click)
    duplicate: bool = False  # this send key was staged already: nothing new was done
    decision: str | None = None  # the guard's, when asked
    reasons: tuple[VerdictReason, ...] = ()
    next_allowed_at: datetime | None = None
    attempt_id: int | None = None
    send_key: str | None = None


def send_template_message(
    session: Session,
    principal: Principal,
    case_id: int,
    *,
    template_code: str,
    language: str,
    contact_point_id: int,
    nonce: str,
    today: date,
    at: datetime,
    send: bool,
) -> MessageOutcome:
    """Render a template for the case; with ``send``, ask the guard and stage it if allowed."""
    case = working_case(session, principal, case_id)
    point = usable_point(session, principal, case, contact_point_id, "contact_point_id")
    try:
        row = get_template(
            session, template_code, language, jurisdiction=_jurisdiction(session, case)
        )
    except TemplateNotFoundError:
        raise WorkInputError.one(
            "template", "choose an active template", "请选择一个启用中的模板"
        ) from None
    if row.channel not in MESSAGE_CHANNELS:
        raise WorkInputError.one(
            "template",
            "only SMS and email templates are sent from here",
            "此处只能发送短信或邮件模板",
        )
    wanted_kind = "email" if row.channel == Channel.EMAIL.value else "mobile"
    if point.kind != wanted_kind:
        raise WorkInputError.one(
            "contact_point_id",
            f"a {row.channel} goes to a {wanted_kind} contact point",
            "短信只能发到手机号，邮件只能发到邮箱",
        )
    values = case_values(session, principal, case, today=today)
    try:
        rendered = render_row(row, values)
    except TemplateRenderError as exc:
        raise WorkInputError.one(
            "template",
            f"the template cannot be filled for this case: {exc}",
            f"本案无法填充该模板：{exc}",
        ) from None
    outcome = MessageOutcome(rendered.subject, rendered.body, row.channel, row.code, row.version)
    if not send:
        return outcome
    if not nonce.strip():
        raise WorkInputError.one("nonce", "reload the form and try again", "请刷新页面后重试")
    key = send_key(case.id, row.code, point.id, nonce.strip())
    staged = session.scalar(select(OutboxMessage.id).where(OutboxMessage.send_key == key))
    if staged is not None:
        return _replace(outcome, sent=True, duplicate=True, send_key=key)
    party, purpose, relationship = party_of(point)
    content = f"{rendered.subject}\n{rendered.body}" if rendered.subject else rendered.body
    proposal = propose_contact(
        session,
        principal,
        case.id,
        ProposedContact(
            at=at,
            channel=row.channel,
            contact_point_id=point.id,
            party=party,
            purpose=purpose,
            content=content,
            relationship=relationship,
        ),
    )
    verdict = proposal.verdict
    outcome = _replace(
        outcome,
        decision=verdict.decision.value,
        reasons=verdict.reasons,
        next_allowed_at=verdict.next_allowed_at,
        attempt_id=proposal.attempt_id,
        send_key=key,
    )
    if not verdict.allowed:
        return outcome
    inserted = stage(
        session,
        [
            NewMessage(
                send_key=key,
                channel=row.channel,
                sender=SENDER,
                recipient=point.value_enc,
                subject=rendered.subject,
                body=rendered.body,
                not_before=at,
                expires_at=at + MESSAGE_VALIDITY,
                case_id=case.id,
                contact_attempt_id=proposal.attempt_id,
                contact_point_id=point.id,
                template_code=row.code,
                template_params={name: str(value) for name, value in values.items()},
            )
        ],
        now=at,
    )
    record(
        session,
        at=at,
        actor=principal.username,
        action="message.staged",
        entity="case",
        entity_id=case.id,
        detail={
            "template": row.code,
            "version": row.version,
            "channel": row.channel,
            "contact": point.value_masked,
            "attempt": proposal.attempt_id,
            "staged": inserted,
        },
    )
    if inserted == 0:
        # Another request with the same key won the race: this attempt sent nothing.
        attempt = session.get(ContactAttempt, proposal.attempt_id)
        if attempt is not None:
            attempt.executed = False
    return _replace(outcome, sent=True, duplicate=inserted == 0)
