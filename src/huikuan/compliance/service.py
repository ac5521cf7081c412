"""Every contact path asks the guard first, and the decision is stored with the attempt.

``propose_contact`` builds the contact-check request from the database (the debtor's time zone,
the creditor's jurisdiction, every earlier attempt to this debtor by the lender or any agency,
the case's holds and the outsourcing notice, the debtor's stored consents and opt-outs, and the
inconvenient times they designated and have not withdrawn, as ``debtor.inconvenient_times``)
→ :func:`huikuan.compliance.engine.check` → a
:class:`ContactAttempt` row carrying the decision, the reasons and the next allowed time, plus
an audit entry. Only an allowed contact is marked executed; blocked and deferred proposals are
kept as evidence of what the guard stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal, get_case
from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case, Hold
from huikuan.compliance.designated import INCONVENIENT_TIME, inconvenient_times_in_force
from huikuan.compliance.engine import check
from huikuan.compliance.models import ContactAttempt, ContactOverride, DebtorEvent
from huikuan.compliance.registry import default_packs
from huikuan.compliance.request import CheckRequest, RequestError, parse_event, parse_request
from huikuan.compliance.verdict import Verdict
from huikuan.org.models import Agency, Creditor

DEFAULT_ZONES = {"CN": "Asia/Shanghai", "US": "America/New_York"}
# Attempts whose purpose is a notice carry that notice as their content type for the guard.
NOTICE_PURPOSES = {"outsourcing_notice", "validation_notice"}


@dataclass(frozen=True, slots=True)
class ProposedContact:
    at: datetime
    channel: str  # phone, sms, email, letter, visit, im …
    contact_point_id: int | None = None
    party: str = "consumer"
    purpose: str = "collection"
    call_type: str | None = None  # agent, voice_notice, robot
    content: str | None = None
    collector_count: int | None = None
    discloses_debt: bool = False
    relationship: str | None = None
    caller: str | None = None  # who contacts: defaults to the case's agency, else the lender


@dataclass(frozen=True, slots=True)
class Proposal:
    verdict: Verdict
    attempt_id: int
    request: CheckRequest


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their offset; they are stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _caller(session: Session, case: Case) -> str:
    if case.agency_id is None:
        return "lender"
    code = session.scalar(select(Agency.code).where(Agency.id == case.agency_id))
    return f"agency:{code}"


HoldFacts = tuple[object, str, date, date | None]  # (case, kind, started_on, ended_on)
T = TypeVar("T")


def holds_in_view(holds: Iterable[T], facts: Callable[[T], HoldFacts]) -> list[T]:
    """The holds as the guard should see them (the one definition, for the scalar request and
    the batch planner). The guard keeps one on/off state per hold type and debt, so while a
    hold of a type is open on a case, an ended hold of that type must not be shown after it (its
    lift would switch the open one off): per case and type, the earliest open hold alone, else
    every ended one.

    >>> from datetime import date as d
    >>> rows = [(1, "dispute", d(2026, 11, 1), None),
    ...         (1, "dispute", d(2026, 11, 5), d(2026, 11, 6)),
    ...         (1, "complaint", d(2026, 11, 2), d(2026, 11, 3))]
    >>> holds_in_view(rows, lambda row: row)  # doctest: +NORMALIZE_WHITESPACE
    [(1, 'dispute', datetime.date(2026, 11, 1), None),
     (1, 'complaint', datetime.date(2026, 11, 2), datetime.date(2026, 11, 3))]
    """
    ordered = sorted(holds, key=lambda item: facts(item)[2])
    open_types = {facts(item)[:2] for item in ordered if facts(item)[3] is None}
    shown: list[T] = []
    seen_open: set[tuple[object, str]] = set()
    for item in ordered:
        case_id, kind, _, ended_on = facts(item)
        if (case_id, kind) not in open_types:
            shown.append(item)
        elif ended_on is None and (case_id, kind) not in seen_open:
            seen_open.add((case_id, kind))
            shown.append(item)
    return shown


def build_request(session: Session, case: Case, proposed: ProposedContact) -> CheckRequest:
    creditor = session.get(Creditor, case.creditor_id)
    debtor = session.get(Debtor, case.debtor_id)
    assert creditor is not None
    assert debtor is not None
    jurisdiction = creditor.jurisdiction or "CN"
    events: list[dict[str, Any]] = []
    attempts = session.scalars(
        select(ContactAttempt)
        .where(
            ContactAttempt.debtor_id == debtor.id,
            ContactAttempt.executed.is_(True),
            ContactAttempt.at <= _utc(proposed.at),
        )
        .order_by(ContactAttempt.at, ContactAttempt.id)
    )
    for attempt in attempts:
        event: dict[str, Any] = {
            "datetime": _utc(attempt.at).isoformat(),
            "channel": attempt.channel,
            "direction": attempt.direction,
            "party": attempt.party,
            "caller": attempt.caller,
            "debt_ids": [f"case-{attempt.case_id}"],
        }
        if attempt.contact_point_id is not None:
            event["to_number"] = f"cp-{attempt.contact_point_id}"
            event["to_address"] = f"cp-{attempt.contact_point_id}"
        for name in ("outcome", "call_type", "purpose"):
            value = getattr(attempt, name)
            if value is not None:
                event[name] = value
        if attempt.purpose in NOTICE_PURPOSES:
            event["content_type"] = attempt.purpose
        events.append(event)
    designated_times: list[dict[str, Any]] = []
    for stored in session.scalars(
        select(DebtorEvent)
        .where(DebtorEvent.debtor_id == debtor.id, DebtorEvent.at <= _utc(proposed.at))
        .order_by(DebtorEvent.at, DebtorEvent.id)
    ):
        if stored.channel == INCONVENIENT_TIME:
            # Read by the rules as the debtor's designations, not as an event that happened.
            designated_times.append(stored.event)
            continue
        events.append(
            {**stored.event, "debt_ids": stored.event.get("debt_ids") or [f"case-{case.id}"]}
        )
    holds = session.scalars(select(Hold).where(Hold.case_id == case.id))
    for hold in holds_in_view(holds, lambda h: (h.case_id, h.kind, h.started_on, h.ended_on)):
        events.append(
            {
                "datetime": datetime.combine(
                    hold.started_on, datetime.min.time(), tzinfo=proposed.at.tzinfo
                ).isoformat(),
                "channel": "hold",
                "content_type": hold.kind,
                "debt_ids": [f"case-{case.id}"],
                **({"status": "lifted"} if hold.ended_on is not None else {}),
            }
        )
    raw: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "debtor": {
            "timezone": debtor.timezone or DEFAULT_ZONES.get(jurisdiction),
            "inconvenient_times": inconvenient_times_in_force(designated_times, proposed.at),
        },
        "debts": [{"id": f"case-{case.id}"}],
        "events": events,
        "proposed": {
            "datetime": proposed.at.isoformat(),
            "channel": proposed.channel,
            "direction": "outbound",
            "party": proposed.party,
            "caller": proposed.caller or _caller(session, case),
            "purpose": proposed.purpose,
            "debt_ids": [f"case-{case.id}"],
            "discloses_debt": proposed.discloses_debt,
            **(
                {
                    "to_number": f"cp-{proposed.contact_point_id}",
                    "to_address": f"cp-{proposed.contact_point_id}",
                }
                if proposed.contact_point_id
                else {}
            ),
            **({"call_type": proposed.call_type} if proposed.call_type else {}),
            **({"content": proposed.content} if proposed.content else {}),
            **(
                {"collector_count": proposed.collector_count}
                if proposed.collector_count is not None
                else {}
            ),
            **({"relationship": proposed.relationship} if proposed.relationship else {}),
        },
    }
    return parse_request(raw)


def propose_contact(
    session: Session,
    principal: Principal,
    case_id: int,
    proposed: ProposedContact,
    *,
    outcome: str | None = None,
) -> Proposal:
    """Check a contact for a case in the user's scope; store the attempt and its decision."""
    case = get_case(session, principal, case_id)
    if proposed.contact_point_id is not None:
        point = session.get(ContactPoint, proposed.contact_point_id)
        if point is None or point.debtor_id != case.debtor_id:
            raise ValueError(f"contact point {proposed.contact_point_id} is not on case {case_id}")
        if point.status == "invalid":
            raise ValueError(f"contact point {proposed.contact_point_id} is marked invalid")
    request = build_request(session, case, proposed)
    verdict = check(request, default_packs())
    attempt = ContactAttempt(
        case_id=case.id,
        debtor_id=case.debtor_id,
        contact_point_id=proposed.contact_point_id,
        at=_utc(proposed.at),
        channel=proposed.channel,
        direction="outbound",
        party=proposed.party,
        caller=request.proposed.caller or "lender",
        call_type=proposed.call_type,
        purpose=proposed.purpose,
        outcome=outcome if verdict.allowed else None,
        content=proposed.content,
        executed=verdict.allowed,
        decision=verdict.decision.value,
        next_allowed_at=verdict.next_allowed_at,
        reasons=[reason.as_json() for reason in (*verdict.reasons, *verdict.warnings)],
        actor=principal.username,
    )
    session.add(attempt)
    session.flush()
    record(
        session,
        at=proposed.at,
        actor=principal.username,
        action="contact.proposed",
        entity="case",
        entity_id=case.id,
        detail={
            "attempt": attempt.id,
            "channel": proposed.channel,
            "decision": verdict.decision.value,
            "rules": sorted({reason.rule_id for reason in verdict.reasons}),
        },
    )
    return Proposal(verdict, attempt.id, request)


OVERRIDE_REASONS = frozenset(
    {"legal_requirement", "litigation", "consumer_request", "time_critical_warning", "dropped_call"}
)
OVERRIDE_ROLES = frozenset({"team_lead", "manager"})


class OverrideRefusedError(PermissionError):
    """The override is not allowed; the message says why."""


def override_attempt(
    session: Session,
    approver: Principal,
    attempt_id: int,
    *,
    reason_code: str,
    at: datetime,
    note: str = "",
) -> ContactOverride:
    """Let a stopped contact go ahead when every reason is an overridable presumption.

    Maker–checker: the approver is a team lead or manager, is not the agent who proposed it,
    and must be able to see the case. Hard prohibitions (quiet hours, holds, disclosure …) are
    never overridable.
    """
    if approver.role.value not in OVERRIDE_ROLES:
        raise OverrideRefusedError(f"role {approver.role.value} may not approve overrides")
    if reason_code not in OVERRIDE_REASONS:
        raise OverrideRefusedError(
            f"unknown reason code {reason_code!r}; one of {', '.join(sorted(OVERRIDE_REASONS))}"
        )
    attempt = session.get(ContactAttempt, attempt_id)
    if attempt is None:
        raise OverrideRefusedError(f"no contact attempt {attempt_id}")
    get_case(session, approver, attempt.case_id)
    if attempt.actor == approver.username:
        raise OverrideRefusedError("nobody approves their own contact (maker–checker)")
    if attempt.executed:
        raise OverrideRefusedError("the contact was allowed; there is nothing to override")
    blocking = [r for r in attempt.reasons if not r.get("override_eligible")]
    if blocking or not attempt.reasons:
        rules = ", ".join(sorted({str(r["rule_id"]) for r in blocking})) or "none"
        raise OverrideRefusedError(f"not overridable: {rules}")
    override = ContactOverride(
        attempt_id=attempt.id,
        reason_code=reason_code,
        approver=approver.username,
        requested_by=attempt.actor,
        at=_utc(at),
        note=note,
    )
    attempt.executed = True
    attempt.decision = "overridden"
    session.add(override)
    session.flush()
    record(
        session,
        at=at,
        actor=approver.username,
        action="contact.override",
        entity="case",
        entity_id=attempt.case_id,
        detail={
            "attempt": attempt.id,
            "reason": reason_code,
            "rules": sorted({str(r["rule_id"]) for r in attempt.reasons}),
            "requested_by": attempt.actor,
        },
    )
    return override


def record_debtor_event(
    session: Session, principal: Principal, case_id: int, event: dict[str, Any]
) -> DebtorEvent:
    """Keep a consent, designation or notice about the case's debtor (checked, then audited).

    The event is read by the request parser first, so a malformed one is refused with the
    field named, exactly as ``huikuan compliance check`` would refuse it.
    """
    case = get_case(session, principal, case_id)
    parsed = parse_event(event, "event")
    if (
        parsed.channel in {"phone", "sms", "email", "letter", "visit", "im"}
        and parsed.direction == "outbound"
    ):
        raise RequestError("event: outbound contacts are recorded through the guard, not here")
    if parsed.channel == INCONVENIENT_TIME:
        # Its hours and days are read on every later check: they are checked where they are made.
        raise RequestError(
            "event.channel: inconvenient times are recorded with "
            "huikuan.compliance.designations.record_inconvenient_time"
        )
    stored = DebtorEvent(
        debtor_id=case.debtor_id,
        case_id=case.id,
        at=_utc(parsed.datetime),
        channel=parsed.channel,
        event=dict(event),
        recorded_by=principal.username,
    )
    session.add(stored)
    session.flush()
    record(
        session,
        at=parsed.datetime,
        actor=principal.username,
        action="debtor_event.recorded",
        entity="case",
        entity_id=case.id,
        detail={
            "event": stored.id,
            "channel": parsed.channel,
            "type": parsed.consent_type or parsed.content_type or parsed.medium,
        },
    )
    return stored
