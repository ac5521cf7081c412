"""The debtor's own designations: stop calls, opt out of a channel, inconvenient times.

Data flow: the self-service page (or staff, on the debtor's word) calls a ``record_*`` function
→ the input is checked (:class:`DesignationInputError` names the field) → one
:class:`~huikuan.compliance.models.DebtorEvent` in the guard's event format plus an audit entry,
in the caller's transaction → from the next check on, :func:`~huikuan.compliance.service.
build_request` hands it to the guard: an opt-out as a ``medium_opt_out`` event (rules
``CN-PIPL-44-OPT-OUT`` and Reg F §1006.14(h)), an inconvenient time as
``debtor.inconvenient_times`` (rules ``CN-HK-DEBTOR-TIMES`` and Reg F §1006.6(b)(1)). The bulk
planner sends every debtor with stored events down the scalar path, so a run-day plans nothing
the guard would now refuse.

"At once" also covers what is already planned: an opt-out withdraws the messages still waiting in
the outbox on that channel to that person (one address, or all of their own), as an SMS 退订 reply
does (:mod:`huikuan.dispatch.inbound`), and stop-calls on every number cancels the open call
tasks of the debtor's cases.

The debtor may take a designation back (:func:`withdraw_designation`): a later event with the
same terms and ``status: withdrawn``, which the rules honour (:mod:`huikuan.compliance.
designated`). :func:`designations_in_force` lists what stands, for the page and the case page,
by the same definition the guard uses.

Times are the caller's (``at``, aware); nothing here reads the clock. Nothing personal is written
to the audit trail: contact points are named by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.calls.models import CallTask, CallTaskStatus
from huikuan.cases.models import Case
from huikuan.compliance.designated import (
    DESIGNATION_CHANNELS,
    INCONVENIENT_TIME,
    OPT_OUT,
    WEEKDAYS,
    WITHDRAWN,
    in_force,
)
from huikuan.compliance.models import DebtorEvent
from huikuan.compliance.service import DEFAULT_ZONES
from huikuan.dispatch.models import MessageStatus, OutboxMessage
from huikuan.org.models import Creditor

# Channels a debtor may close, and the contact-point kinds each one reaches.
MEDIUM_POINT_KINDS: Mapping[str, frozenset[str]] = {
    "phone": frozenset({"mobile", "landline"}),
    "sms": frozenset({"mobile"}),
    "email": frozenset({"email"}),
    "letter": frozenset({"address"}),
    "visit": frozenset({"address"}),
    "im": frozenset({"mobile"}),
}
OPT_OUT_MEDIA = frozenset(MEDIUM_POINT_KINDS)
STOP_CALLS = "stop_calls"
CHANNEL_OPT_OUT = "channel_opt_out"
WITHDRAWAL_STATUS = "withdrawn"
_MEDIUM_ZH = {
    "phone": "电话",
    "sms": "短信",
    "email": "邮件",
    "letter": "信函",
    "visit": "上门",
    "im": "即时通讯",
}
_WEEKDAY_ZH = dict(
    zip(WEEKDAYS, ("周一", "周二", "周三", "周四", "周五", "周六", "周日"), strict=True)
)


class DesignationInputError(ValueError):
    """A designation that cannot be recorded; ``field`` names the input, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class DesignationRead:
    """One designation in force, for the debtor's page and the staff case page.

    ``id`` is the stored event's id (pass it to :func:`withdraw_designation`); ``kind`` is
    ``stop_calls``, ``channel_opt_out`` or ``inconvenient_time``; ``details`` holds ``medium``,
    ``contact_point_id`` and ``contact_point_masked`` (None: every address) for opt-outs, and
    ``weekdays``, ``start``, ``end`` (``HH:MM`` or None: all day) and ``until`` (ISO date or
    None) for times. ``summary`` / ``summary_zh`` say it in a line (masked values only).
    """

    id: int
    kind: str
    since: datetime
    source: str
    recorded_by: str
    details: Mapping[str, object] = field(default_factory=dict)
    summary: str = ""
    summary_zh: str = ""


# --------------------------------------------------------------------------------------------
# Checks shared by the record functions
# --------------------------------------------------------------------------------------------


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise DesignationInputError("at", "needs its UTC offset (an aware datetime)")
    return at


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their offset; they are stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise DesignationInputError("case_id", f"no case {case_id}")
    return case


def _source(source: str) -> str:
    cleaned = source.strip() if isinstance(source, str) else ""
    if not cleaned or len(cleaned) > 40:
        raise DesignationInputError("source", "say where the request came from (1–40 characters)")
    return cleaned


def _actor(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise DesignationInputError("actor", "who recorded it is required")
    return actor


def _point(session: Session, case: Case, medium: str, point_id: int | None) -> ContactPoint | None:
    if point_id is None:
        return None
    point = session.get(ContactPoint, point_id)
    if point is None or point.debtor_id != case.debtor_id or point.owner_type != "self":
        raise DesignationInputError("contact_point_id", "not one of the debtor's own contacts")
    if point.kind not in MEDIUM_POINT_KINDS[medium]:
        raise DesignationInputError(
            "contact_point_id", f"a {point.kind} contact cannot be reached by {medium}"
        )
    return point


def _zone(session: Session, case: Case) -> ZoneInfo:
    debtor = session.get(Debtor, case.debtor_id)
    creditor = session.get(Creditor, case.creditor_id)
    jurisdiction = (creditor.jurisdiction if creditor is not None else None) or "CN"
    name = (debtor.timezone if debtor is not None else None) or DEFAULT_ZONES.get(
        jurisdiction, DEFAULT_ZONES["CN"]
    )
    return ZoneInfo(name)


def _store(
    session: Session, case: Case, event: dict[str, Any], at: datetime, actor: str
) -> DebtorEvent:
    stored = DebtorEvent(
        debtor_id=case.debtor_id,
        case_id=case.id,
        at=_utc(at),
        channel=str(event["channel"]),
        event=event,
        recorded_by=actor,
    )
    session.add(stored)
    session.flush()
    return stored


# --------------------------------------------------------------------------------------------
# Opt-outs
# --------------------------------------------------------------------------------------------


def _address_key(medium: str) -> str:
    return "to_number" if medium in ("phone", "sms", "im") else "to_address"


def _withdraw_planned(
    session: Session, case: Case, medium: str, point: ContactPoint | None, at: datetime, actor: str
) -> tuple[int, int]:
    """Cancel what already waits for the closed channel: (outbox messages, call tasks)."""
    own_points = select(ContactPoint.id).where(
        ContactPoint.debtor_id == case.debtor_id, ContactPoint.owner_type == "self"
    )
    # The statement inbound.py runs for a STOP reply, widened to every own address when none
    # is named; ORM-enabled so objects the caller already holds see the new status.
    messages = len(
        session.scalars(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == medium,
                OutboxMessage.status == MessageStatus.PENDING.value,
                OutboxMessage.contact_point_id == point.id
                if point is not None
                else OutboxMessage.contact_point_id.in_(own_points),
            )
            .values(status=MessageStatus.CANCELLED.value, last_error=f"opted out ({medium})")
            .returning(OutboxMessage.id)
        ).all()
    )
    tasks = 0
    if medium == "phone" and point is None:
        # Call tasks name no number: only a stop on every number withdraws them (a stop on one
        # number is enforced when the agent dials it).
        cases = select(Case.id).where(Case.debtor_id == case.debtor_id)
        tasks = len(
            session.scalars(
                update(CallTask)
                .where(
                    CallTask.case_id.in_(cases),
                    CallTask.status == CallTaskStatus.OPEN.value,
                )
                .values(
                    status=CallTaskStatus.CANCELLED.value,
                    closed_at=_utc(at),
                    closed_by=actor,
                    note="the debtor asked to stop calls",
                )
                .returning(CallTask.id)
            ).all()
        )
    return messages, tasks


def record_channel_opt_out(
    session: Session,
    *,
    case_id: int,
    medium: str,
    at: datetime,
    actor: str,
    source: str,
    contact_point_id: int | None = None,
) -> DebtorEvent:
    """The debtor asks not to be contacted by ``medium`` (at one of their own contact points,
    or at all of them): a ``medium_opt_out`` event, and what waits on that channel withdrawn."""
    at = _aware(at)
    case = _case(session, case_id)
    if not isinstance(medium, str) or medium.lower() not in OPT_OUT_MEDIA:
        raise DesignationInputError("medium", f"one of {', '.join(sorted(OPT_OUT_MEDIA))}")
    medium = medium.lower()
    point = _point(session, case, medium, contact_point_id)
    origin = _source(source)
    actor = _actor(actor)
    event: dict[str, Any] = {
        "datetime": at.isoformat(),
        "channel": OPT_OUT,
        "medium": medium,
        "party": "consumer",
        "source": origin,
    }
    if point is not None:
        event[_address_key(medium)] = f"cp-{point.id}"
    stored = _store(session, case, event, at, actor)
    messages, tasks = _withdraw_planned(session, case, medium, point, at, actor)
    record(
        session,
        at=at,
        actor=actor,
        action="designation.recorded",
        entity="case",
        entity_id=case.id,
        detail={
            "event": stored.id,
            "kind": STOP_CALLS if medium == "phone" else CHANNEL_OPT_OUT,
            "medium": medium,
            "contact_point": point.id if point is not None else None,
            "source": origin,
            "cancelled_messages": messages,
            "cancelled_call_tasks": tasks,
        },
    )
    return stored


def record_stop_calls(
    session: Session,
    *,
    case_id: int,
    at: datetime,
    actor: str,
    source: str,
    contact_point_id: int | None = None,
) -> DebtorEvent:
    """停止来电: no more calls to the debtor, on every number of theirs or on one."""
    return record_channel_opt_out(
        session,
        case_id=case_id,
        medium="phone",
        at=at,
        actor=actor,
        source=source,
        contact_point_id=contact_point_id,
    )


# --------------------------------------------------------------------------------------------
# Inconvenient times
# --------------------------------------------------------------------------------------------


def _weekdays(weekdays: Sequence[str]) -> list[str]:
    if isinstance(weekdays, str) or not weekdays:
        raise DesignationInputError("weekdays", "choose at least one day (MON … SUN)")
    days = {str(day).strip().upper() for day in weekdays}
    unknown = sorted(days - set(WEEKDAYS))
    if unknown:
        raise DesignationInputError("weekdays", f"unknown day {unknown[0]!r}; use MON … SUN")
    return [day for day in WEEKDAYS if day in days]


def _hm(value: time) -> str:
    return f"{value:%H:%M}"


def record_inconvenient_time(
    session: Session,
    *,
    case_id: int,
    weekdays: Sequence[str],
    start: time | None,
    end: time | None,
    until: date | None,
    at: datetime,
    actor: str,
    source: str,
) -> DebtorEvent:
    """The debtor says ``weekdays`` from ``start`` to ``end`` (local times; both None: the whole
    day; ``start`` after ``end``: through midnight) are inconvenient, until ``until`` (inclusive;
    None: until withdrawn). Contacts in that time are deferred until it ends."""
    at = _aware(at)
    case = _case(session, case_id)
    days = _weekdays(weekdays)
    if (start is None) != (end is None):
        raise DesignationInputError("end", "give both times, or neither for the whole day")
    if start is not None and end is not None:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise DesignationInputError("start", "local clock times, without a time zone")
        if start == end:
            raise DesignationInputError("end", "must differ from the start")
    if until is not None and until < at.astimezone(_zone(session, case)).date():
        raise DesignationInputError("until", "is already past")
    origin = _source(source)
    actor = _actor(actor)
    event: dict[str, Any] = {
        "datetime": at.isoformat(),
        "channel": INCONVENIENT_TIME,
        "party": "consumer",
        "weekdays": days,
        "source": origin,
    }
    if start is not None and end is not None:
        event["from"] = _hm(start)
        event["to"] = _hm(end)
    if until is not None:
        event["until"] = until.isoformat()
    stored = _store(session, case, event, at, actor)
    record(
        session,
        at=at,
        actor=actor,
        action="designation.recorded",
        entity="case",
        entity_id=case.id,
        detail={
            "event": stored.id,
            "kind": INCONVENIENT_TIME,
            "weekdays": days,
            "from": event.get("from"),
            "to": event.get("to"),
            "until": event.get("until"),
            "source": origin,
        },
    )
    return stored


# --------------------------------------------------------------------------------------------
# Withdrawal and the list in force
# --------------------------------------------------------------------------------------------


def _designation_rows(session: Session, debtor_id: int, at: datetime) -> list[DebtorEvent]:
    return list(
        session.scalars(
            select(DebtorEvent)
            .where(
                DebtorEvent.debtor_id == debtor_id,
                DebtorEvent.channel.in_(sorted(DESIGNATION_CHANNELS)),
                DebtorEvent.at <= _utc(at),
            )
            .order_by(DebtorEvent.at, DebtorEvent.id)
        )
    )


def _standing(session: Session, case: Case, at: datetime) -> list[DebtorEvent]:
    rows = _designation_rows(session, case.debtor_id, at)
    return in_force([(row, _dated(row)) for row in rows], at)


def _dated(row: DebtorEvent) -> dict[str, Any]:
    """The stored event, dated by its row when an older writer left the datetime out."""
    raw = dict(row.event)
    raw.setdefault("datetime", _utc(row.at).isoformat())
    return raw


def withdraw_designation(
    session: Session,
    *,
    case_id: int,
    designation_id: int,
    at: datetime,
    actor: str,
    source: str,
) -> DebtorEvent:
    """The debtor takes a designation back: a later event with the same terms and
    ``status: withdrawn``. An opt-out withdrawn reopens the channel; nothing cancelled is
    restored (the next run plans afresh)."""
    at = _aware(at)
    case = _case(session, case_id)
    origin = _source(source)
    actor = _actor(actor)
    standing = {row.id: row for row in _standing(session, case, at)}
    original = standing.get(designation_id)
    if original is None:
        raise DesignationInputError(
            "designation_id", f"no designation {designation_id} in force for this debtor"
        )
    raw = _dated(original)
    keep = ("channel", "party", "medium", "to_number", "to_address", "weekdays", "from", "to")
    event: dict[str, Any] = {name: raw[name] for name in keep if name in raw}
    if "until" in raw:
        event["until"] = raw["until"]
    event.update(
        {
            "datetime": at.isoformat(),
            "status": WITHDRAWAL_STATUS,
            "source": origin,
            "withdraws": original.id,
        }
    )
    stored = _store(session, case, event, at, actor)
    record(
        session,
        at=at,
        actor=actor,
        action="designation.withdrawn",
        entity="case",
        entity_id=case.id,
        detail={
            "event": stored.id,
            "withdraws": original.id,
            "kind": _kind(raw),
            "source": origin,
        },
    )
    return stored


def _kind(raw: Mapping[str, Any]) -> str:
    if raw.get("channel") == INCONVENIENT_TIME:
        return INCONVENIENT_TIME
    return STOP_CALLS if raw.get("medium") == "phone" else CHANNEL_OPT_OUT


def _point_id(raw: Mapping[str, Any]) -> int | None:
    address = raw.get("to_number") or raw.get("to_address")
    if isinstance(address, str) and address.startswith("cp-") and address[3:].isdigit():
        return int(address[3:])
    return None


def _read(session: Session, row: DebtorEvent) -> DesignationRead:
    raw = _dated(row)
    kind = _kind(raw)
    source = str(raw.get("source") or row.recorded_by)
    since = datetime.fromisoformat(str(raw["datetime"]))
    if kind == INCONVENIENT_TIME:
        days = [str(day) for day in raw.get("weekdays") or []]
        start, end, until = raw.get("from"), raw.get("to"), raw.get("until")
        hours = f"{start}–{end}" if start and end else "all day"
        hours_zh = f"{start}–{end}" if start and end else "全天"
        until_en = f" until {until}" if until else ""
        until_zh = f"，至{until}" if until else ""
        return DesignationRead(
            id=row.id,
            kind=kind,
            since=since,
            source=source,
            recorded_by=row.recorded_by,
            details={"weekdays": days, "start": start, "end": end, "until": until},
            summary=f"Inconvenient: {', '.join(days)} {hours}{until_en}",
            summary_zh=f"不便联系时间：{'、'.join(_WEEKDAY_ZH.get(d, d) for d in days)} "
            f"{hours_zh}{until_zh}",
        )
    medium = str(raw.get("medium") or "")
    point_id = _point_id(raw)
    masked = None
    if point_id is not None:
        point = session.get(ContactPoint, point_id)
        masked = point.value_masked if point is not None else None
    where = f" to {masked}" if masked else (" to one contact" if point_id else "")
    where_zh = f"（{masked}）" if masked else ("（指定联系方式）" if point_id else "（全部）")
    if kind == STOP_CALLS:
        summary, summary_zh = f"Stop calls{where}", f"停止来电{where_zh}"
    else:
        summary = f"No {medium}{where}"
        summary_zh = f"不接受{_MEDIUM_ZH.get(medium, medium)}{where_zh}"
    return DesignationRead(
        id=row.id,
        kind=kind,
        since=since,
        source=source,
        recorded_by=row.recorded_by,
        details={"medium": medium, "contact_point_id": point_id, "contact_point_masked": masked},
        summary=summary,
        summary_zh=summary_zh,
    )


def designations_in_force(session: Session, case_id: int, at: datetime) -> list[DesignationRead]:
    """What the debtor of the case has designated and not withdrawn, as the guard reads it at
    ``at`` (inconvenient times past their ``until`` date are left out), oldest first."""
    at = _aware(at)
    case = _case(session, case_id)
    today = at.astimezone(_zone(session, case)).date()
    reads = []
    for row in _standing(session, case, at):
        if row.event.get("status") in WITHDRAWN:
            continue
        until = row.event.get("until")
        if isinstance(until, str) and date.fromisoformat(until) < today:
            continue
        reads.append(_read(session, row))
    return reads
