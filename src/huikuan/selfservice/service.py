"""What the signed-in debtor sees and asks for, over the staff's own records.

Data flow. Reads (:func:`overview`): the one case the session is for → its accounts (balance
by component, DPD, product policy worded as "how it was computed"), its payments, the
creditor, the agency and the hotline, the debtor's requests with the live status of the staff
record behind each, the designations in force and whether the case is settled. Nothing of any
other case or person is read: every query is keyed by the session's case id.

Requests (each one transaction, audited, a :class:`DebtorRequest` row with a reference the
debtor can quote):

* plan / settlement → the core computes the schedule (:func:`huikuan.cases.work.compute_plan`)
  → checked against the creditor's published rules (:mod:`.offers`) → inside: agreed at once
  (plan ``approved`` by the rules, case moved to 分期); outside: a ``proposed`` plan in the
  team lead's approval queue with the breaches listed.
* dispute → :func:`huikuan.quality.service.register_dispute` (a dispute hold: the guard stops
  collection contacts from that moment; QA's dispute queue).
* complaint → :func:`huikuan.quality.service.register_complaint` (source ``debtor_page``, its
  SLA deadlines; a conduct complaint holds collection too; QA's complaint queue).
* stop calls, inconvenient times, channel opt-out → :mod:`huikuan.compliance.designations`
  (a stored designation the guard reads on its next check; pending outbox messages on an
  opted-out channel are withdrawn at once).

Attachments are checked by their first bytes (PDF, JPEG, PNG, MP3, M4A, WAV, AMR), at most
5 MB, stored encrypted with their SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import huikuan.compliance.designations as designations
from huikuan.access.policy import AccessDeniedError, Principal, get_case
from huikuan.accounts.models import Account, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case, Plan
from huikuan.cases.service import move_case
from huikuan.cases.work import (
    PlanInput,
    PlanProposal,
    WorkInputError,
    case_balance,
    compute_plan,
)
from huikuan.compliance.designations import DesignationInputError
from huikuan.core.allocation import Mode, get_waterfall
from huikuan.core.balances import Balance
from huikuan.core.lifecycle import CaseState, Reason, check_transition
from huikuan.core.money import PPM, format_minor
from huikuan.core.policy import policy_from_dict
from huikuan.kpis.survey import note_debtor_action
from huikuan.org.models import Agency, Creditor, Product, Role
from huikuan.org.service import hotline_of
from huikuan.payments.models import Payment
from huikuan.quality.models import Complaint, Dispute
from huikuan.quality.service import (
    COMPLAINT_CATEGORIES,
    DISPUTE_REASONS,
    InvalidInputError,
    register_complaint,
    register_dispute,
)
from huikuan.security.crypto import FieldCipher
from huikuan.selfservice.access import DebtorPrincipal
from huikuan.selfservice.models import DebtorAttachment, DebtorRequest, SelfServiceTerms
from huikuan.selfservice.offers import OFFERS_CODE, Ask, Breach, Offers, check_ask, offers_from

MAX_ATTACHMENT = 5 * 1024 * 1024
MAX_TEXT = 2000
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
OPT_OUT_CHANNELS = ("sms", "email", "letter", "phone")
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"\xff\xf3", 0, "audio/mpeg"),
    (b"ftyp", 4, "audio/mp4"),
    (b"#!AMR", 0, "audio/amr"),
)


class RequestInputError(ValueError):
    """The debtor's input cannot be taken; names the field, in both languages."""

    def __init__(self, field: str, en: str, zh: str) -> None:
        super().__init__(f"{field}: {en}")
        self.field = field
        self.en = en
        self.zh = zh


# ------------------------------------------------------------------------------------ reads


@dataclass(frozen=True, slots=True)
class AccountView:
    account_no: str
    product: str
    status: str
    dpd: int
    balance: Balance


@dataclass(frozen=True, slots=True)
class PaymentView:
    received_on: date
    amount: int
    channel: str


@dataclass(frozen=True, slots=True)
class RequestView:
    reference: str
    kind: str
    status: str
    created_at: datetime
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Overview:
    case_id: int
    case_no: str
    state: str
    creditor: str
    agency: str | None
    hotline: str
    debtor_masked: str
    balance: Balance
    accounts: tuple[AccountView, ...]
    computed: tuple[tuple[str, str], ...]  # (zh, en) lines: how the balance was computed
    payments: tuple[PaymentView, ...]
    requests: tuple[RequestView, ...]
    designations: tuple[Any, ...]
    offers: Offers
    dpd: int
    settled: bool
    accrued_through: date | None = None
    lowest_settlement: int = 0
    open_plan: dict[str, Any] | None = field(default=None)


def _case(session: Session, principal: DebtorPrincipal) -> Case:
    case = session.get(Case, principal.case_id)
    if case is None or case.debtor_id != principal.debtor_id:
        raise PermissionError("the session does not match its case")
    return case


def offers_for(session: Session, creditor_id: int) -> Offers:
    stored = session.scalars(
        select(SelfServiceTerms).where(SelfServiceTerms.creditor_id == creditor_id)
    ).first()
    return offers_from(stored.terms if stored is not None else None)


def _percent(ppm: int) -> str:
    return f"{ppm * 100 / PPM:.2f}".rstrip("0").rstrip(".") + "%"


def _computed_lines(products: Sequence[Product]) -> tuple[tuple[str, str], ...]:
    lines: list[tuple[str, str]] = []
    for product in products:
        try:
            policy = policy_from_dict(product.policy)
        except (KeyError, TypeError, ValueError):  # a product stored without its full policy
            lines.append(
                (f"{product.name}：按合同约定计算", f"{product.name}: as the contract provides")
            )
            continue
        zh = [f"{product.name}："]
        en = [f"{product.name}: "]
        if policy.interest_rate_ppm:
            zh.append(f"利息按年利率 {_percent(policy.interest_rate_ppm)} 按日计算")
            en.append(f"interest at {_percent(policy.interest_rate_ppm)} a year, daily")
        if policy.penalty_rate_ppm:
            base_zh = "未还本金" if policy.penalty_base.value == "principal" else "未还本息"
            zh.append(
                f"逾期后罚息按年利率 {_percent(policy.penalty_rate_ppm)} 以{base_zh}为基数计算"
            )
            en.append(
                f"penalty interest at {_percent(policy.penalty_rate_ppm)} a year once overdue"
            )
        if policy.late_fee_rate_ppm:
            zh.append(f"每期未还最低还款额收取 {_percent(policy.late_fee_rate_ppm)} 违约金")
            en.append(f"a late fee of {_percent(policy.late_fee_rate_ppm)} of a missed minimum")
        if policy.cost_cap_ppm is not None:
            zh.append(f"利息、罚息与费用合计不超过年化 {_percent(policy.cost_cap_ppm)}")
            en.append(f"all charges together capped at {_percent(policy.cost_cap_ppm)} a year")
        zh.append(_waterfall_zh(policy.waterfall_code))
        en.append(_waterfall_en(policy.waterfall_code))
        lines.append(
            (
                zh[0] + "；".join(zh[1:]),
                en[0] + "; ".join(en[1:]),
            )
        )
    return tuple(lines)


def _waterfall_zh(code: str) -> str:
    waterfall = get_waterfall(code)
    order = "、".join(component.label_zh for component in waterfall.order)
    oldest = "，逐期冲抵、先还最早到期的一期" if waterfall.mode is Mode.OLDEST_DUE_FIRST else ""
    return f"还款依次冲抵{order}{oldest}"


def _waterfall_en(code: str) -> str:
    waterfall = get_waterfall(code)
    order = ", ".join(component.value for component in waterfall.order)
    oldest = ", the oldest due period first" if waterfall.mode is Mode.OLDEST_DUE_FIRST else ""
    return f"payments go to {order} in that order{oldest}"


def _request_status(session: Session, row: DebtorRequest) -> str:
    if row.plan_id is not None:
        plan = session.get(Plan, row.plan_id)
        return plan.status if plan is not None else row.status
    if row.dispute_id is not None:
        dispute = session.get(Dispute, row.dispute_id)
        return f"dispute_{dispute.status}" if dispute is not None else row.status
    if row.complaint_id is not None:
        complaint = session.get(Complaint, row.complaint_id)
        return f"complaint_{complaint.status}" if complaint is not None else row.status
    return row.status


def overview(session: Session, principal: DebtorPrincipal, *, now: datetime) -> Overview:
    case = _case(session, principal)
    creditor = session.get(Creditor, case.creditor_id)
    agency = session.get(Agency, case.agency_id) if case.agency_id is not None else None
    assert creditor is not None
    accounts = list(
        session.scalars(select(Account).where(Account.case_id == case.id).order_by(Account.id))
    )
    products = {
        p.id: p
        for p in session.scalars(
            select(Product).where(Product.id.in_({a.product_id for a in accounts}))
        )
    }
    views = tuple(
        AccountView(
            account_no=_mask_account(a.account_no),
            product=products[a.product_id].name if a.product_id in products else a.product_code,
            status=a.status,
            dpd=a.dpd,
            balance=Balance(a.principal, a.interest, a.penalty, a.fee),
        )
        for a in accounts
    )
    total = Balance(
        sum(v.balance.principal for v in views),
        sum(v.balance.interest for v in views),
        sum(v.balance.penalty for v in views),
        sum(v.balance.fee for v in views),
    )
    payments = tuple(
        PaymentView(p.received_on, p.amount, p.channel)
        for p in session.scalars(
            select(Payment)
            .where(Payment.account_id.in_([a.id for a in accounts]))
            .order_by(Payment.received_on.desc(), Payment.id.desc())
            .limit(50)
        )
    )
    requests = tuple(
        RequestView(r.reference, r.kind, _request_status(session, r), r.created_at, dict(r.detail))
        for r in session.scalars(
            select(DebtorRequest)
            .where(DebtorRequest.case_id == case.id)
            .order_by(DebtorRequest.created_at.desc(), DebtorRequest.id.desc())
        )
    )
    offers = offers_for(session, case.creditor_id)
    open_plan = session.scalars(
        select(Plan)
        .where(Plan.case_id == case.id, Plan.status.in_(("approved", "proposed")))
        .order_by(Plan.id.desc())
        .limit(1)
    ).first()
    dpd = max((a.dpd for a in accounts), default=0)
    settled = bool(accounts) and all(a.status != "open" for a in accounts) and total.total == 0
    debtor = session.get(Debtor, case.debtor_id)
    record(
        session,
        at=now,
        actor=principal.actor,
        action="debtor.page_viewed",
        entity="case",
        entity_id=case.id,
        detail={"session": principal.session_id},
    )
    return Overview(
        case_id=case.id,
        case_no=case.case_no,
        state=case.state,
        creditor=creditor.name,
        agency=agency.name if agency is not None else None,
        hotline=hotline_of(creditor),
        debtor_masked=(debtor.name_masked if debtor is not None else None) or "",
        balance=total,
        accounts=views,
        computed=_computed_lines(list(products.values())),
        payments=payments,
        requests=requests,
        designations=tuple(designations.designations_in_force(session, case.id, now)),
        offers=offers,
        dpd=dpd,
        settled=settled,
        accrued_through=max((a.accrued_through for a in accounts), default=None),
        lowest_settlement=offers.lowest_settlement(total),
        open_plan=(
            {"kind": open_plan.kind, "status": open_plan.status, "terms": open_plan.terms}
            if open_plan is not None
            else None
        ),
    )


def suggested_payment(view: Overview, *, today: date) -> int:
    """What the pay form offers first: the next instalment of an agreed plan, else it all."""
    plan = view.open_plan
    if plan is not None and plan["status"] == "approved":
        schedule = plan["terms"].get("schedule")
        if isinstance(schedule, list):
            upcoming = [
                line
                for line in schedule
                if isinstance(line, dict) and str(line.get("due_on", "")) >= today.isoformat()
            ]
            if upcoming:
                return min(int(upcoming[0]["amount"]), view.balance.total)
    return view.balance.total


def _mask_account(account_no: str) -> str:
    return f"****{account_no[-4:]}" if len(account_no) > 4 else account_no


# --------------------------------------------------------------------------------- requests


def _new_request(
    session: Session,
    case: Case,
    *,
    kind: str,
    status: str,
    now: datetime,
    detail: dict[str, Any],
    text: str | None = None,
    cipher: FieldCipher | None = None,
) -> DebtorRequest:
    row = DebtorRequest(
        reference="",
        case_id=case.id,
        kind=kind,
        status=status,
        created_at=now,
        detail=detail,
        text_enc=(
            cipher.encrypt(text, context="debtor.request") if text and cipher is not None else None
        ),
    )
    session.add(row)
    session.flush()
    row.reference = f"Q{now.astimezone(UTC):%y%m%d}{row.id:07d}"
    return row


def _audit(
    session: Session, principal: DebtorPrincipal, action: str, row: DebtorRequest, now: datetime
) -> None:
    record(
        session,
        at=now,
        actor=principal.actor,
        action=action,
        entity="case",
        entity_id=row.case_id,
        detail={
            "request": row.id,
            "reference": row.reference,
            "kind": row.kind,
            "status": row.status,
        },
    )


def _finish(
    session: Session,
    principal: DebtorPrincipal,
    row: DebtorRequest,
    now: datetime,
    *,
    cipher: FieldCipher | None = None,
    checked: _Checked | None = None,
) -> RequestView:
    """Attach the checked file (if any), audit the request, and read it back for the page."""
    if cipher is not None:
        _attach(session, cipher, row, checked)
    _audit(session, principal, "debtor.request", row, now)
    return RequestView(
        row.reference, row.kind, _request_status(session, row), row.created_at, dict(row.detail)
    )


def _text(field_name: str, value: str, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise RequestInputError(field_name, "is required", "必填")
    if len(text) > MAX_TEXT:
        raise RequestInputError(
            field_name, f"at most {MAX_TEXT} characters", f"不超过 {MAX_TEXT} 字"
        )
    return text


@dataclass(frozen=True, slots=True)
class PlanAsked:
    request: RequestView
    proposal: PlanProposal
    agreed: bool
    breaches: tuple[Breach, ...]


def preview_plan(
    session: Session, principal: DebtorPrincipal, ask: Ask, *, today: date
) -> tuple[PlanProposal, tuple[Breach, ...]]:
    """The schedule and the rules it goes beyond, nothing stored (the page's "calculate")."""
    worked = _plan_for(session, _case(session, principal), ask, today=today)
    return worked.proposal, worked.breaches


@dataclass(frozen=True, slots=True)
class _Worked:
    """An ask worked out: the core's schedule, the rules it breaks, what was typed, the rules."""

    proposal: PlanProposal
    breaches: tuple[Breach, ...]
    inputs: PlanInput
    offers: Offers


def _plan_for(session: Session, case: Case, ask: Ask, *, today: date) -> _Worked:
    if ask.kind not in ("instalment", "settlement"):
        raise RequestInputError(
            "kind", "choose an instalment plan or a settlement", "请选择分期或协商结清"
        )
    balance = case_balance(session, case)
    inputs = PlanInput(
        kind=ask.kind,
        months=ask.months,
        first_due_on=ask.first_due_on.isoformat(),
        down_payment=format_minor(ask.down_payment) if ask.down_payment else "",
        settlement_amount=format_minor(ask.settlement_amount) if ask.kind == "settlement" else "",
        note="债务人自助申请 / asked on the debtor's own page",
    )
    try:
        proposal = compute_plan(balance, inputs, today=today)
    except WorkInputError as exc:
        first = exc.errors[0]
        raise RequestInputError(first.field, first.message, first.message_zh) from None
    offers = offers_for(session, case.creditor_id)
    dpd = session.scalar(select(func.max(Account.dpd)).where(Account.case_id == case.id)) or 0
    breaches = check_ask(offers, ask, balance=balance, dpd=dpd, today=today)
    return _Worked(proposal, breaches, inputs, offers)


def ask_for_plan(
    session: Session, principal: DebtorPrincipal, ask: Ask, *, today: date, now: datetime
) -> PlanAsked:
    case = _case(session, principal)
    if (
        session.scalars(
            select(Plan.id).where(
                Plan.case_id == case.id, Plan.status.in_(("approved", "proposed"))
            )
        ).first()
        is not None
    ):
        raise RequestInputError(
            "kind",
            "a plan is already agreed or waiting for approval on this debt",
            "该笔欠款已有生效或待审批的还款方案",
        )
    worked = _plan_for(session, case, ask, today=today)
    proposal, breaches, inputs, offers = (
        worked.proposal,
        worked.breaches,
        worked.inputs,
        worked.offers,
    )
    state_refusal = check_transition(case.state, CaseState.IN_PLAN, Reason.PLAN_AGREED)
    agreed = not breaches and (case.state == CaseState.IN_PLAN.value or state_refusal is None)
    terms = proposal.terms(inputs)
    terms["self_service"] = {
        "rules": OFFERS_CODE,
        "version": offers.version,
        "breaches": [{"field": b.field, "zh": b.zh, "en": b.en} for b in breaches],
    }
    plan = Plan(
        case_id=case.id,
        account_id=None,
        kind=proposal.kind,
        terms=terms,
        status="approved" if agreed else "proposed",
        created_on=today,
        proposed_by=principal.actor,
        approved_by=f"rules:{OFFERS_CODE}:v{offers.version}" if agreed else None,
    )
    session.add(plan)
    session.flush()
    if agreed and case.state != CaseState.IN_PLAN.value:
        move_case(
            session,
            case,
            CaseState.IN_PLAN,
            reason=Reason.PLAN_AGREED,
            actor=principal.actor,
            at=now,
            note=f"plan {plan.id} (self-service, within the published rules)",
        )
    row = _new_request(
        session,
        case,
        kind=ask.kind,
        status="approved" if agreed else "proposed",
        now=now,
        detail={
            "months": ask.months,
            "total": proposal.total,
            "waived": proposal.waived.total,
            "breaches": [b.field for b in breaches],
        },
    )
    row.plan_id = plan.id
    record(
        session,
        at=now,
        actor=principal.actor,
        action="plan.approved" if agreed else "plan.proposed",
        entity="case",
        entity_id=case.id,
        detail={
            "plan": plan.id,
            "kind": plan.kind,
            "by": "self_service_rules" if agreed else "debtor",
            "total": proposal.total,
            "waived": proposal.waived.total,
            "breaches": [b.field for b in breaches],
        },
    )
    _audit(session, principal, "debtor.request", row, now)
    if agreed:  # a plan agreed on the page: ask how it went (at most monthly; KPIs)
        note_debtor_action(session, case.id, now, action="plan_agreed", actor=principal.actor)
    view = RequestView(row.reference, row.kind, row.status, row.created_at, dict(row.detail))
    return PlanAsked(view, proposal, agreed, breaches)


def _sniff(data: bytes) -> str | None:
    for magic, offset, content_type in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    return None


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class _Checked:
    filename: str
    content_type: str
    data: bytes


def check_upload(upload: Upload | None) -> _Checked | None:
    """The attachment's type by its first bytes and its size, before anything is written."""
    if upload is None or not upload.data:
        return None
    if len(upload.data) > MAX_ATTACHMENT:
        raise RequestInputError("attachment", "at most 5 MB", "附件不能超过 5 MB")
    content_type = _sniff(upload.data)
    if content_type is None:
        raise RequestInputError(
            "attachment",
            "PDF, JPEG, PNG or an audio recording (MP3, M4A, WAV, AMR) only",
            "仅支持 PDF、JPEG、PNG 或录音（MP3、M4A、WAV、AMR）",
        )
    base = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    name = re.sub(r"[^\w.\-]+", "_", base)[-100:] or "attachment"
    return _Checked(name, content_type, upload.data)


def _attach(
    session: Session, cipher: FieldCipher, row: DebtorRequest, checked: _Checked | None
) -> None:
    if checked is None:
        return
    session.add(
        DebtorAttachment(
            request_id=row.id,
            filename=checked.filename,
            content_type=checked.content_type,
            size=len(checked.data),
            sha256=hashlib.sha256(checked.data).hexdigest(),
            data_enc=cipher.encrypt(
                base64.b64encode(checked.data).decode("ascii"), context="debtor.attachment"
            ),
        )
    )
    session.flush()


def dispute(
    session: Session,
    principal: DebtorPrincipal,
    cipher: FieldCipher,
    *,
    reason: str,
    note: str,
    upload: Upload | None,
    now: datetime,
) -> RequestView:
    case = _case(session, principal)
    if reason not in DISPUTE_REASONS:
        raise RequestInputError("reason", "choose a reason", "请选择争议原因")
    text = _text("note", note, required=False)
    checked = check_upload(upload)
    try:
        opened = register_dispute(
            session, case, actor=principal.actor, reason=reason, evidence_note=text, now=now
        )
    except InvalidInputError as exc:
        raise RequestInputError(exc.field, str(exc), str(exc)) from None
    row = _new_request(
        session, case, kind="dispute", status="in_review", now=now, detail={"reason": reason}
    )
    row.dispute_id = opened.id
    return _finish(session, principal, row, now, cipher=cipher, checked=checked)


def complain(
    session: Session,
    principal: DebtorPrincipal,
    cipher: FieldCipher,
    *,
    category: str,
    summary: str,
    upload: Upload | None,
    now: datetime,
) -> RequestView:
    case = _case(session, principal)
    if category not in COMPLAINT_CATEGORIES:
        raise RequestInputError("category", "choose what the complaint is about", "请选择投诉类别")
    text = _text("summary", summary, required=True)
    checked = check_upload(upload)
    try:
        opened = register_complaint(
            session,
            case,
            actor=principal.actor,
            source="debtor_page",
            category=category,
            summary=text,
            now=now,
        )
    except InvalidInputError as exc:
        raise RequestInputError(exc.field, str(exc), str(exc)) from None
    row = _new_request(
        session,
        case,
        kind="complaint",
        status="in_review",
        now=now,
        detail={
            "category": category,
            "due_at": opened.due_at.isoformat() if opened.due_at else None,
        },
    )
    row.complaint_id = opened.id
    return _finish(session, principal, row, now, cipher=cipher, checked=checked)


def stop_calls(session: Session, principal: DebtorPrincipal, *, now: datetime) -> RequestView:
    case = _case(session, principal)
    try:
        event = designations.record_stop_calls(
            session, case_id=case.id, at=now, actor=principal.actor, source="debtor_page"
        )
    except DesignationInputError as exc:
        raise RequestInputError(exc.field, exc.reason, exc.reason) from None
    row = _new_request(session, case, kind="stop_calls", status="in_force", now=now, detail={})
    row.debtor_event_id = event.id
    return _finish(session, principal, row, now)


def opt_out(
    session: Session, principal: DebtorPrincipal, *, channel: str, now: datetime
) -> RequestView:
    case = _case(session, principal)
    if channel not in OPT_OUT_CHANNELS:
        raise RequestInputError("channel", "choose a channel", "请选择渠道")
    try:
        event = designations.record_channel_opt_out(
            session,
            case_id=case.id,
            medium=channel,
            at=now,
            actor=principal.actor,
            source="debtor_page",
        )
    except DesignationInputError as exc:
        raise RequestInputError(exc.field, exc.reason, exc.reason) from None
    row = _new_request(
        session, case, kind="opt_out", status="in_force", now=now, detail={"channel": channel}
    )
    row.debtor_event_id = event.id
    return _finish(session, principal, row, now)


def _clock(text: str, field_name: str) -> time | None:
    if not text.strip():
        return None
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise RequestInputError(
            field_name, "a time such as 09:00", "请填写时间，如 09:00"
        ) from None


def inconvenient_time(
    session: Session,
    principal: DebtorPrincipal,
    *,
    weekdays: Sequence[str],
    start: str,
    end: str,
    until: str,
    now: datetime,
) -> RequestView:
    case = _case(session, principal)
    days = [d.upper() for d in weekdays]
    if not days or any(d not in WEEKDAYS for d in days):
        raise RequestInputError("weekdays", "choose at least one day", "请至少选择一天")
    begins, ends = _clock(start, "start"), _clock(end, "end")
    if (begins is None) != (ends is None):
        raise RequestInputError(
            "end",
            "give both times, or neither for the whole day",
            "请同时填写开始和结束时间，或都不填（全天）",
        )
    if begins is not None and ends is not None and ends <= begins:
        raise RequestInputError("end", "must be after the start", "结束时间须晚于开始时间")
    last: date | None = None
    if until.strip():
        try:
            last = date.fromisoformat(until.strip())
        except ValueError:
            raise RequestInputError("until", "a date such as 2026-12-31", "请填写日期") from None
    try:
        event = designations.record_inconvenient_time(
            session,
            case_id=case.id,
            weekdays=days,
            start=begins,
            end=ends,
            until=last,
            at=now,
            actor=principal.actor,
            source="debtor_page",
        )
    except DesignationInputError as exc:
        raise RequestInputError(exc.field, exc.reason, exc.reason) from None
    detail: dict[str, Any] = {
        "weekdays": days,
        "start": begins.isoformat("minutes") if begins else None,
        "end": ends.isoformat("minutes") if ends else None,
        "until": last.isoformat() if last else None,
    }
    row = _new_request(
        session, case, kind="inconvenient_time", status="in_force", now=now, detail=detail
    )
    row.debtor_event_id = event.id
    return _finish(session, principal, row, now)


# ------------------------------------------------------------------ staff side


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    id: int
    filename: str
    content_type: str
    size: int


def attachments_of(
    session: Session, *, complaint_ids: Sequence[int] = (), dispute_ids: Sequence[int] = ()
) -> dict[tuple[str, int], list[AttachmentInfo]]:
    """The debtor's attachments by ``("complaint", id)`` / ``("dispute", id)``, for QA's lists."""
    found: dict[tuple[str, int], list[AttachmentInfo]] = {}
    if not complaint_ids and not dispute_ids:
        return found
    rows = session.execute(
        select(
            DebtorRequest.complaint_id,
            DebtorRequest.dispute_id,
            DebtorAttachment.id,
            DebtorAttachment.filename,
            DebtorAttachment.content_type,
            DebtorAttachment.size,
        )
        .join(DebtorAttachment, DebtorAttachment.request_id == DebtorRequest.id)
        .where(
            DebtorRequest.complaint_id.in_(list(complaint_ids))
            | DebtorRequest.dispute_id.in_(list(dispute_ids))
        )
        .order_by(DebtorAttachment.id)
    )
    for complaint_id, dispute_id, attachment_id, filename, content_type, size in rows:
        key = (
            ("complaint", complaint_id)
            if complaint_id is not None
            else ("dispute", dispute_id or 0)
        )
        found.setdefault(key, []).append(
            AttachmentInfo(attachment_id, filename, content_type, size)
        )
    return found


STAFF_READERS = frozenset({Role.QA, Role.MANAGER, Role.ADMIN, Role.TEAM_LEAD, Role.LEGAL})


def read_attachment(
    session: Session, principal: Principal, cipher: FieldCipher, attachment_id: int, *, at: datetime
) -> tuple[AttachmentInfo, bytes]:
    """A debtor's attachment for staff who handle complaints and disputes on that case (the
    case scope as everywhere: out of scope reads as not found); every download is audited."""
    if principal.role not in STAFF_READERS:
        raise AccessDeniedError(f"{principal.username} may not read debtors' attachments")
    found = session.execute(
        select(DebtorAttachment, DebtorRequest.case_id)
        .join(DebtorRequest, DebtorRequest.id == DebtorAttachment.request_id)
        .where(DebtorAttachment.id == attachment_id)
    ).one_or_none()
    if found is None:
        raise AccessDeniedError(f"no attachment {attachment_id}")
    attachment, case_id = found
    get_case(session, principal, case_id)  # raises when out of scope
    data = base64.b64decode(cipher.decrypt(attachment.data_enc, context="debtor.attachment"))
    record(
        session,
        at=at,
        actor=principal.username,
        action="debtor_attachment.downloaded",
        entity="case",
        entity_id=case_id,
        detail={"attachment": attachment.id, "sha256": attachment.sha256},
    )
    info = AttachmentInfo(
        attachment.id, attachment.filename, attachment.content_type, attachment.size
    )
    return info, data
