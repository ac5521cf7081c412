"""The legal stage (法催): referrals, law firms, matters and their events, plus the checks the
other legal modules share (``letters``, ``evidence``, ``claims``).

Every function takes the caller's session and principal, checks the role
(:class:`NotPermittedError`, answered 403) and the case's scope through
:func:`huikuan.access.policy.get_case` / ``case_filter`` (``AccessDeniedError``, answered 404),
validates its input before writing anything (:class:`LegalInputError` names the field), and
audits every change and every reveal with :func:`huikuan.audit.service.record`.

See ``docs.md`` beside this module for the data flow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal, case_filter, get_case
from huikuan.accounts.models import Account, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.cases.service import move_case
from huikuan.compliance.models import ContactAttempt
from huikuan.core.lifecycle import CaseState, Reason, check_transition
from huikuan.core.money import parse_minor
from huikuan.cycle.models import StrategyAction
from huikuan.legal.models import (
    LawFirm,
    LegalEvent,
    LegalLetter,
    LegalMatter,
    LegalReferral,
)
from huikuan.legal.schemas import (
    CaseSummary,
    EventRead,
    LawFirmRead,
    LetterRead,
    MatterRead,
    ReasonRead,
    ReferralRead,
    ReferralRow,
)
from huikuan.org.models import Creditor, Role

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")

LEGAL_ROLES = frozenset({Role.LEGAL, Role.MANAGER})
"""May work the referral queue, matters and claims."""
REFER_ROLES = frozenset({Role.TEAM_LEAD, Role.MANAGER})
"""May refer a case to legal by hand."""
PII_ROLES = frozenset({Role.LEGAL})
"""May produce documents holding the debtor's name and address in full (lawyer letters,
evidence packs): legal needs them to act, nobody else does (PIPL art. 6)."""

MATTER_KINDS: tuple[str, ...] = ("litigation", "arbitration", "payment_order")
EVENT_KINDS: tuple[str, ...] = ("filing", "hearing", "judgment", "enforcement", "settlement")
COUNTERPARTY_KINDS: tuple[str, ...] = ("guarantor", "credit_insurer")
# A matter's status only moves forward along this order; each event kind names a step.
MATTER_STATUSES: tuple[str, ...] = (
    "open",
    "filed",
    "in_hearing",
    "judged",
    "enforcing",
    "settled",
)
EVENT_STATUS = {
    "filing": "filed",
    "hearing": "in_hearing",
    "judgment": "judged",
    "enforcement": "enforcing",
    "settlement": "settled",
}
CLOSED_MATTER_STATUSES = frozenset({"settled"})
OPEN_CLAIM_STATUSES = frozenset({"open", "submitted"})

MAX_AMOUNT = 100_000_000_000  # fen (1,000,000,000 yuan): anything larger is a typing mistake
OBJECTION_DAYS = 15  # the debtor's time to object or comply, from the letter date
REMITTANCE_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")
LIMITS = {
    "reason": 500,
    "note": 2000,
    "court": 200,
    "case_number": 64,
    "name": 200,
    "address": 500,
    "phone": 64,
    "lawyer": 100,
    "licence_number": 40,
    "counterparty_name": 200,
}


class NotPermittedError(PermissionError):
    """The principal's role may not do this (answered 403)."""


class LegalInputError(ValueError):
    """Input a person can correct: ``field`` names it, ``code`` says what is wrong
    (``required``, ``too_long``, ``invalid``, ``not_found``, ``over_limit``, ``duplicate``,
    ``state``, ``transition``, ``missing``), ``detail`` adds a bilingual explanation."""

    def __init__(self, field: str, code: str, detail: str = "") -> None:
        self.field = field
        self.code = code
        self.detail = detail
        super().__init__(f"{field}: {code}" + (f" ({detail})" if detail else ""))


def require_role(principal: Principal, roles: frozenset[Role]) -> None:
    if principal.role not in roles:
        raise NotPermittedError(f"role {principal.role.value} may not do this")


def clean_text(value: str | None, field: str, *, required: bool = True) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise LegalInputError(field, "required")
    limit = LIMITS.get(field, 2000)
    if len(cleaned) > limit:
        raise LegalInputError(field, "too_long", f"≤ {limit}")
    return cleaned


def check_amount(value: int, field: str, *, allow_zero: bool = True) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LegalInputError(field, "invalid")
    if value < 0 or (value == 0 and not allow_zero):
        raise LegalInputError(field, "invalid")
    if value > MAX_AMOUNT:
        raise LegalInputError(field, "over_limit")
    return value


def parse_yuan(text: str | None, field: str, *, required: bool = True) -> int:
    """A form's amount in yuan (``"1,234.56"``) as fen, or a :class:`LegalInputError`."""
    raw = (text or "").strip()
    if not raw:
        if required:
            raise LegalInputError(field, "required")
        return 0
    try:
        minor = parse_minor(raw)
    except ValueError:
        raise LegalInputError(field, "invalid") from None
    return check_amount(minor, field)


def parse_day(text: str | None, field: str) -> date:
    raw = (text or "").strip()
    if not raw:
        raise LegalInputError(field, "required")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise LegalInputError(field, "invalid") from None


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their offset; they are stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def business_day(moment: datetime) -> date:
    return as_utc(moment).astimezone(BUSINESS_TZ).date()


def start_of_day(day: date) -> datetime:
    """A court records a filing date, not a time: the start of that day in Shanghai."""
    return datetime.combine(day, time.min, tzinfo=BUSINESS_TZ).astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Reads shared by every screen


def _summaries(session: Session, case_ids: Iterable[int]) -> dict[int, CaseSummary]:
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    totals = {
        row[0]: (int(row[1] or 0), int(row[2] or 0))
        for row in session.execute(
            select(
                Account.case_id,
                func.sum(Account.principal + Account.interest + Account.penalty + Account.fee),
                func.max(Account.dpd),
            )
            .where(Account.case_id.in_(ids))
            .group_by(Account.case_id)
        ).all()
    }
    found = {}
    for case_id, case_no, state, code, masked in session.execute(
        select(Case.id, Case.case_no, Case.state, Creditor.code, Debtor.name_masked)
        .join(Creditor, Creditor.id == Case.creditor_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .where(Case.id.in_(ids))
    ).all():
        balance, dpd = totals.get(case_id, (0, 0))
        found[case_id] = CaseSummary(
            case_id=case_id,
            case_no=case_no,
            creditor_code=code,
            state=state,
            debtor_name_masked=masked,
            balance=balance,
            dpd=dpd,
        )
    return found


def _open_matter(session: Session, case_id: int) -> LegalMatter | None:
    return session.scalars(
        select(LegalMatter)
        .where(
            LegalMatter.case_id == case_id,
            LegalMatter.status.not_in(sorted(CLOSED_MATTER_STATUSES)),
        )
        .limit(1)
    ).one_or_none()


def _referral_read(session: Session, referral: LegalReferral) -> ReferralRead:
    matter_id = session.scalar(select(LegalMatter.id).where(LegalMatter.referral_id == referral.id))
    return ReferralRead(
        id=referral.id,
        case_id=referral.case_id,
        source=referral.source,
        status=referral.status,
        reason=referral.reason,
        referred_by=referral.referred_by,
        referred_at=as_utc(referral.referred_at),
        decided_by=referral.decided_by,
        decided_at=None if referral.decided_at is None else as_utc(referral.decided_at),
        decision_note=referral.decision_note,
        matter_id=matter_id,
    )


# ---------------------------------------------------------------------------------------------
# Referrals


def list_referrals(
    session: Session, principal: Principal, *, limit: int = 200
) -> list[ReferralRow]:
    """Cases waiting for legal: pending referrals, then the strategy's queued ``legal`` actions.

    The strategy queues a legal action every day it still wants one, so only the newest action
    per case is listed, and none for a case that legal already has (a pending referral, an open
    matter) or decided on since that action's day.
    """
    require_role(principal, LEGAL_ROLES)
    pending = list(
        session.scalars(
            select(LegalReferral)
            .join(Case, Case.id == LegalReferral.case_id)
            .where(LegalReferral.status == "pending", case_filter(principal))
            .order_by(LegalReferral.referred_at, LegalReferral.id)
            .limit(limit)
        )
    )
    actions = list(
        session.scalars(
            select(StrategyAction)
            .join(Case, Case.id == StrategyAction.case_id)
            .where(
                StrategyAction.channel == "legal",
                StrategyAction.status == "queued",
                case_filter(principal),
            )
            .order_by(StrategyAction.case_id, StrategyAction.as_of.desc(), StrategyAction.id.desc())
        )
    )
    newest: dict[int, StrategyAction] = {}
    for action in actions:
        if action.case_id is not None and action.case_id not in newest:
            newest[action.case_id] = action
    busy = {referral.case_id for referral in pending}
    if newest:
        decided = dict(
            session.execute(
                select(LegalReferral.case_id, func.max(LegalReferral.as_of))
                .where(LegalReferral.case_id.in_(sorted(newest)))
                .group_by(LegalReferral.case_id)
            ).all()
        )
        with_matter = set(
            session.scalars(
                select(LegalMatter.case_id).where(
                    LegalMatter.case_id.in_(sorted(newest)),
                    LegalMatter.status.not_in(sorted(CLOSED_MATTER_STATUSES)),
                )
            )
        )
        newest = {
            case_id: action
            for case_id, action in newest.items()
            if case_id not in busy
            and case_id not in with_matter
            and (decided.get(case_id) is None or decided[case_id] < action.as_of)
        }
    summaries = _summaries(session, [r.case_id for r in pending] + list(newest))
    rows = [
        ReferralRow(
            source="manual" if referral.source == "manual" else "strategy",
            referral_id=referral.id,
            strategy_action_id=referral.strategy_action_id,
            case=summaries[referral.case_id],
            reason=referral.reason,
            referred_by=referral.referred_by,
            referred_at=as_utc(referral.referred_at),
            as_of=referral.as_of,
        )
        for referral in pending
    ]
    for case_id, action in sorted(newest.items(), key=lambda item: (item[1].as_of, item[1].id)):
        rows.append(
            ReferralRow(
                source="strategy",
                strategy_action_id=action.id,
                case=summaries[case_id],
                reason=action.reason,
                referred_by=f"strategy:{action.strategy_code}",
                as_of=action.as_of,
            )
        )
    return rows[:limit]


def _check_referrable(session: Session, case: Case) -> None:
    refusal = check_transition(case.state, CaseState.LEGAL, Reason.LEGAL_REFERRAL)
    if refusal is not None:
        raise LegalInputError("case", "transition", refusal.message)
    if _open_matter(session, case.id) is not None:
        raise LegalInputError(
            "case", "duplicate", "案件已有未结的法律事务 / the case already has an open matter"
        )


def refer_case(
    session: Session, principal: Principal, case_id: int, *, reason: str, at: datetime
) -> LegalReferral:
    """A team lead's or manager's referral of a case in their scope, with the reason."""
    require_role(principal, REFER_ROLES)
    case = get_case(session, principal, case_id)
    why = clean_text(reason, "reason")
    _check_referrable(session, case)
    if session.scalar(
        select(LegalReferral.id).where(
            LegalReferral.case_id == case.id, LegalReferral.status == "pending"
        )
    ):
        raise LegalInputError("case", "duplicate", "已有待处理的转法务申请 / already referred")
    referral = LegalReferral(
        case_id=case.id,
        source="manual",
        as_of=business_day(at),
        reason=why,
        referred_by=principal.username,
        referred_at=as_utc(at),
        status="pending",
        decision_note="",
    )
    session.add(referral)
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action="legal.referral.created",
        entity="case",
        entity_id=case.id,
        detail={"referral": referral.id, "source": "manual"},
    )
    return referral


def find_case_by_number(session: Session, principal: Principal, case_no: str) -> Case:
    """A case in the principal's scope by its number (what staff type), or ``not_found``."""
    number = clean_text(case_no, "case_no")
    case = session.scalars(
        select(Case).where(Case.case_no == number, case_filter(principal))
    ).one_or_none()
    if case is None:
        raise LegalInputError("case_no", "not_found")
    return case


def referral_from_strategy(
    session: Session, principal: Principal, action_id: int, *, at: datetime
) -> LegalReferral:
    """The pending referral standing for a queued strategy action (stored on first use)."""
    require_role(principal, LEGAL_ROLES)
    action = session.get(StrategyAction, action_id)
    if (
        action is None
        or action.case_id is None
        or action.channel != "legal"
        or action.status != "queued"
    ):
        raise AccessDeniedError(f"strategy action {action_id} is not a queued legal referral")
    case = get_case(session, principal, action.case_id)
    existing = session.scalars(
        select(LegalReferral).where(LegalReferral.strategy_action_id == action.id)
    ).one_or_none()
    if existing is not None:
        return existing
    referral = LegalReferral(
        case_id=case.id,
        source="strategy",
        strategy_action_id=action.id,
        as_of=action.as_of,
        reason=action.reason,
        referred_by=f"strategy:{action.strategy_code}",
        # The strategy decides on a business day, not at an instant: its start is the referral.
        referred_at=start_of_day(action.as_of),
        status="pending",
        decision_note="",
    )
    session.add(referral)
    session.flush()
    return referral


def _pending_referral(session: Session, principal: Principal, referral_id: int) -> LegalReferral:
    referral = session.get(LegalReferral, referral_id)
    if referral is None:
        raise AccessDeniedError(f"referral {referral_id} not found")
    get_case(session, principal, referral.case_id)
    if referral.status != "pending":
        raise LegalInputError("referral", "state")
    return referral


def _law_firm(session: Session, law_firm_id: int | None) -> LawFirm | None:
    if law_firm_id is None:
        return None
    firm = session.get(LawFirm, law_firm_id)
    if firm is None or not firm.active:
        raise LegalInputError("law_firm_id", "not_found")
    return firm


def accept_referral(
    session: Session,
    principal: Principal,
    referral_id: int,
    *,
    kind: str,
    law_firm_id: int | None,
    court: str = "",
    case_number: str = "",
    at: datetime,
) -> LegalMatter:
    """Open a matter for the referral's case and move the case to 法催 LEGAL."""
    require_role(principal, LEGAL_ROLES)
    referral = _pending_referral(session, principal, referral_id)
    if kind not in MATTER_KINDS:
        raise LegalInputError("kind", "required" if not kind else "invalid")
    firm = _law_firm(session, law_firm_id)
    court_text = clean_text(court, "court", required=False)
    number = clean_text(case_number, "case_number", required=False)
    case = get_case(session, principal, referral.case_id)
    _check_referrable(session, case)
    referral.status = "accepted"
    referral.decided_by = principal.username
    referral.decided_at = as_utc(at)
    matter = LegalMatter(
        case_id=case.id,
        referral_id=referral.id,
        kind=kind,
        court=court_text,
        case_number=number,
        law_firm_id=None if firm is None else firm.id,
        status="open",
        referred_at=as_utc(referral.referred_at),
        opened_by=principal.username,
        opened_at=as_utc(at),
    )
    session.add(matter)
    session.flush()
    move_case(
        session,
        case,
        CaseState.LEGAL,
        reason=Reason.LEGAL_REFERRAL,
        actor=principal.username,
        at=at,
        note=f"legal matter {matter.id}",
    )
    record(
        session,
        at=at,
        actor=principal.username,
        action="legal.referral.accepted",
        entity="case",
        entity_id=case.id,
        detail={"referral": referral.id, "matter": matter.id, "kind": kind},
    )
    return matter


def decline_referral(
    session: Session, principal: Principal, referral_id: int, *, note: str, at: datetime
) -> LegalReferral:
    """Decline a referral, recording why; the case stays where it is."""
    require_role(principal, LEGAL_ROLES)
    referral = _pending_referral(session, principal, referral_id)
    why = clean_text(note, "note")
    referral.status = "declined"
    referral.decided_by = principal.username
    referral.decided_at = as_utc(at)
    referral.decision_note = why
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action="legal.referral.declined",
        entity="case",
        entity_id=referral.case_id,
        detail={"referral": referral.id},
    )
    return referral


def get_referral(session: Session, principal: Principal, referral_id: int) -> ReferralRead:
    require_role(principal, LEGAL_ROLES | REFER_ROLES)
    referral = session.get(LegalReferral, referral_id)
    if referral is None:
        raise AccessDeniedError(f"referral {referral_id} not found")
    get_case(session, principal, referral.case_id)
    return _referral_read(session, referral)


def referral_read(session: Session, referral: LegalReferral) -> ReferralRead:
    return _referral_read(session, referral)


# ---------------------------------------------------------------------------------------------
# Law firms


def _firm_read(firm: LawFirm) -> LawFirmRead:
    return LawFirmRead(
        id=firm.id,
        name=firm.name,
        address=firm.address,
        phone=firm.phone,
        lawyer=firm.lawyer,
        licence_number=firm.licence_number,
    )


def list_law_firms(session: Session, principal: Principal) -> list[LawFirmRead]:
    require_role(principal, LEGAL_ROLES)
    return [
        _firm_read(firm)
        for firm in session.scalars(
            select(LawFirm).where(LawFirm.active.is_(True)).order_by(LawFirm.name)
        )
    ]


def create_law_firm(
    session: Session,
    principal: Principal,
    *,
    name: str,
    address: str,
    phone: str,
    lawyer: str,
    licence_number: str,
    at: datetime,
) -> LawFirmRead:
    require_role(principal, LEGAL_ROLES)
    values = {
        "name": clean_text(name, "name"),
        "address": clean_text(address, "address"),
        "phone": clean_text(phone, "phone"),
        "lawyer": clean_text(lawyer, "lawyer"),
        "licence_number": clean_text(licence_number, "licence_number"),
    }
    if session.scalar(select(LawFirm.id).where(LawFirm.name == values["name"])):
        raise LegalInputError("name", "duplicate")
    firm = LawFirm(**values, active=True)
    session.add(firm)
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action="legal.law_firm.created",
        entity="law_firm",
        entity_id=firm.id,
        detail={"name": firm.name},
    )
    return _firm_read(firm)


# ---------------------------------------------------------------------------------------------
# Matters and events


def get_matter(session: Session, principal: Principal, matter_id: int) -> LegalMatter:
    require_role(principal, LEGAL_ROLES)
    matter = session.get(LegalMatter, matter_id)
    if matter is None:
        raise AccessDeniedError(f"matter {matter_id} not found")
    get_case(session, principal, matter.case_id)
    return matter


def letter_read(letter: LegalLetter, attempt: ContactAttempt | None) -> LetterRead:
    reasons = [] if attempt is None else attempt.reasons
    return LetterRead(
        id=letter.id,
        reference=letter.reference,
        letter_date=letter.letter_date,
        decision=letter.decision,
        status=letter.status,
        attempt_id=letter.contact_attempt_id,
        reasons=[
            ReasonRead(
                rule_id=str(r.get("rule_id", "")),
                message=str(r.get("message", "")),
                message_zh=str(r.get("message_zh", "")),
            )
            for r in reasons
        ],
        next_allowed_at=None
        if attempt is None or attempt.next_allowed_at is None
        else as_utc(attempt.next_allowed_at),
        created_by=letter.created_by,
        created_at=as_utc(letter.created_at),
    )


def _matter_read(
    session: Session, matter: LegalMatter, summary: CaseSummary, *, full: bool
) -> MatterRead:
    firm = None if matter.law_firm_id is None else session.get(LawFirm, matter.law_firm_id)
    events = list(
        session.scalars(
            select(LegalEvent)
            .where(LegalEvent.matter_id == matter.id)
            .order_by(LegalEvent.event_on, LegalEvent.id)
        )
    )
    court_fees = sum(e.court_fee for e in events)
    lawyer_fees = sum(e.lawyer_fee for e in events)
    letters: list[LetterRead] = []
    if full:
        for letter in session.scalars(
            select(LegalLetter)
            .where(LegalLetter.matter_id == matter.id)
            .order_by(LegalLetter.created_at.desc(), LegalLetter.id.desc())
        ):
            letters.append(
                letter_read(letter, session.get(ContactAttempt, letter.contact_attempt_id))
            )
    filed_at = None if matter.filed_at is None else as_utc(matter.filed_at)
    referred_at = as_utc(matter.referred_at)
    return MatterRead(
        id=matter.id,
        case=summary,
        kind=matter.kind,
        court=matter.court,
        case_number=matter.case_number,
        law_firm=None if firm is None else _firm_read(firm),
        status=matter.status,
        referred_at=referred_at,
        filed_at=filed_at,
        days_to_filing=None
        if filed_at is None
        else (business_day(filed_at) - business_day(referred_at)).days,
        court_fees=court_fees,
        lawyer_fees=lawyer_fees,
        total_costs=court_fees + lawyer_fees,
        events=[
            EventRead(
                id=e.id,
                kind=e.kind,
                event_on=e.event_on,
                note=e.note,
                court_fee=e.court_fee,
                lawyer_fee=e.lawyer_fee,
                recorded_by=e.recorded_by,
            )
            for e in events
        ]
        if full
        else [],
        letters=letters,
    )


def list_matters(session: Session, principal: Principal, *, limit: int = 200) -> list[MatterRead]:
    require_role(principal, LEGAL_ROLES)
    matters = list(
        session.scalars(
            select(LegalMatter)
            .join(Case, Case.id == LegalMatter.case_id)
            .where(case_filter(principal))
            .order_by(LegalMatter.opened_at.desc(), LegalMatter.id.desc())
            .limit(limit)
        )
    )
    summaries = _summaries(session, [m.case_id for m in matters])
    return [_matter_read(session, m, summaries[m.case_id], full=False) for m in matters]


def matter_detail(session: Session, principal: Principal, matter_id: int) -> MatterRead:
    matter = get_matter(session, principal, matter_id)
    summary = _summaries(session, [matter.case_id])[matter.case_id]
    return _matter_read(session, matter, summary, full=True)


def update_matter(
    session: Session,
    principal: Principal,
    matter_id: int,
    *,
    court: str,
    case_number: str,
    law_firm_id: int | None,
    at: datetime,
) -> LegalMatter:
    matter = get_matter(session, principal, matter_id)
    court_text = clean_text(court, "court", required=False)
    number = clean_text(case_number, "case_number", required=False)
    firm = _law_firm(session, law_firm_id)
    changed = {
        name: value
        for name, value in (
            ("court", court_text),
            ("case_number", number),
            ("law_firm_id", None if firm is None else firm.id),
        )
        if getattr(matter, name) != value
    }
    for name, value in changed.items():
        setattr(matter, name, value)
    session.flush()
    if changed:
        record(
            session,
            at=at,
            actor=principal.username,
            action="legal.matter.updated",
            entity="legal_matter",
            entity_id=matter.id,
            detail={"case": matter.case_id, "changed": sorted(changed)},
        )
    return matter


def add_event(
    session: Session,
    principal: Principal,
    matter_id: int,
    *,
    kind: str,
    event_on: date,
    note: str = "",
    court_fee: int = 0,
    lawyer_fee: int = 0,
    at: datetime,
) -> LegalEvent:
    """Record a step of a matter and its costs; a filing stamps ``filed_at`` (once)."""
    matter = get_matter(session, principal, matter_id)
    if kind not in EVENT_KINDS:
        raise LegalInputError("kind", "required" if not kind else "invalid")
    if matter.status in CLOSED_MATTER_STATUSES:
        raise LegalInputError("matter", "state")
    text = clean_text(note, "note", required=False)
    court_minor = check_amount(court_fee, "court_fee")
    lawyer_minor = check_amount(lawyer_fee, "lawyer_fee")
    if event_on < business_day(matter.referred_at):
        raise LegalInputError("event_on", "invalid", "早于转法务日期 / before the referral")
    event = LegalEvent(
        matter_id=matter.id,
        kind=kind,
        event_on=event_on,
        note=text,
        court_fee=court_minor,
        lawyer_fee=lawyer_minor,
        recorded_by=principal.username,
        recorded_at=as_utc(at),
    )
    session.add(event)
    if kind == "filing" and matter.filed_at is None:
        matter.filed_at = start_of_day(event_on)
    step = EVENT_STATUS[kind]
    if MATTER_STATUSES.index(step) > MATTER_STATUSES.index(matter.status):
        matter.status = step
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action="legal.event.recorded",
        entity="legal_matter",
        entity_id=matter.id,
        detail={
            "event": event.id,
            "kind": kind,
            "on": event_on.isoformat(),
            "court_fee": court_minor,
            "lawyer_fee": lawyer_minor,
        },
    )
    return event
