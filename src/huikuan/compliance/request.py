"""The contact-check request: the debtor, their debts, what happened before, the proposed contact.

:func:`parse_request` reads the JSON object of ``shared/compliance-check-request.md`` into frozen
values, refusing with a message that names the field (``events[3].datetime: …``) when something
cannot be read. Unknown fields are ignored, so callers may carry notes. Every datetime must carry
its UTC offset; dates are ``YYYY-MM-DD``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any


class RequestError(ValueError):
    """The request cannot be read; the message names the field."""


def _aware(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise RequestError(f"{where}: expected an ISO 8601 datetime with offset, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RequestError(f"{where}: not an ISO 8601 datetime: {value!r}") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise RequestError(f"{where}: the datetime needs its UTC offset, e.g. +08:00")
    return parsed


def _date(value: object, where: str) -> date:
    if not isinstance(value, str):
        raise RequestError(f"{where}: expected a YYYY-MM-DD date, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise RequestError(f"{where}: not a YYYY-MM-DD date: {value!r}") from exc


def _time(value: object, where: str) -> time:
    if not isinstance(value, str):
        raise RequestError(f"{where}: expected HH:MM, got {value!r}")
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise RequestError(f"{where}: not a HH:MM time: {value!r}") from exc


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RequestError(f"{where}: expected a list of strings")
    return tuple(value)


def _text(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestError(f"{where}: expected a string, got {value!r}")
    return value


def _flag(value: object, where: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise RequestError(f"{where}: expected true or false, got {value!r}")
    return value


def _object(value: object, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RequestError(f"{where}: expected an object")
    return value


@dataclass(frozen=True, slots=True)
class LocationSignal:
    type: str
    timezone: str


@dataclass(frozen=True, slots=True)
class InconvenientTime:
    """A time the person said is inconvenient: weekdays (``MON`` …), optional hours, until."""

    weekdays: tuple[str, ...]
    start: time | None
    end: time | None
    until: date | None
    source: str | None


@dataclass(frozen=True, slots=True)
class AttorneyRepresentation:
    debt_ids: tuple[str, ...]
    attorney_known: bool
    since: date | None


@dataclass(frozen=True, slots=True)
class Debtor:
    timezone: str | None
    location_signals: tuple[LocationSignal, ...] = ()
    inconvenient_times: tuple[InconvenientTime, ...] = ()
    inconvenient_places: tuple[str, ...] = ()
    number_places: Mapping[str, str | None] = field(default_factory=dict)
    employer_prohibits_contact: bool = False
    represented_by_attorney: AttorneyRepresentation | None = None


@dataclass(frozen=True, slots=True)
class Debt:
    id: str
    group: str | None = None
    sol_expiry: date | None = None


# Fields that events and the proposed contact share, read the same way.
_TEXT_FIELDS = (
    "channel",
    "direction",
    "party",
    "to_number",
    "to_address",
    "from_number",
    "from_address",
    "caller",
    "outcome",
    "counted_toward",
    "counted_conversation_toward",
    "content_type",
    "status",
    "excluded_by",
    "consent_type",
    "consent_to_call_at",
    "purpose",
    "expected_outcome",
    "content",
    "address_basis",
    "mail_format",
    "envelope_text",
    "visibility",
    "number_place",
    "call_type",
    "relationship",
    "location",
    "medium",
    "email_address",
    "update",
)
_FLAG_FIELDS = (
    "in_reply_to_consumer_message",
    "given_directly_to_collector",
    "automated",
    "includes_opt_out_instruction",
    "discloses_debt",
    "address_known_employer_provided",
)
_LIST_FIELDS = ("debt_ids", "discussed_debt_ids", "consent_scope_debt_ids", "content_flags")
_DATE_FIELDS = ("validation_period_end", "opt_out_deadline")


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened before the proposed contact (a contact, a consent, a notice …).

    Only ``datetime`` and ``channel`` are always present; everything else is optional and
    ``None`` (or empty) when absent. ``index`` is the event's position in the request, for
    messages; no rule depends on it.
    """

    index: int
    datetime: datetime
    channel: str
    direction: str | None = None
    party: str | None = None
    debt_ids: tuple[str, ...] = ()
    to_number: str | None = None
    to_address: str | None = None
    from_number: str | None = None
    from_address: str | None = None
    caller: str | None = None
    outcome: str | None = None
    counted_toward: str | None = None
    discussed_debt_ids: tuple[str, ...] = ()
    counted_conversation_toward: str | None = None
    content_type: str | None = None
    status: str | None = None
    in_reply_to_consumer_message: bool | None = None
    excluded_by: str | None = None
    consent_type: str | None = None
    consent_scope_debt_ids: tuple[str, ...] = ()
    consent_valid_dates: tuple[date, ...] = ()
    given_directly_to_collector: bool | None = None
    consent_to_call_at: str | None = None
    validation_period_end: date | None = None
    opt_out_deadline: date | None = None
    medium: str | None = None
    email_address: str | None = None
    update: str | None = None
    purpose: str | None = None
    expected_outcome: str | None = None
    content: str | None = None
    content_flags: tuple[str, ...] = ()
    address_basis: str | None = None
    address_known_employer_provided: bool | None = None
    mail_format: str | None = None
    envelope_text: str | None = None
    visibility: str | None = None
    number_place: str | None = None
    call_type: str | None = None
    relationship: str | None = None
    location: str | None = None
    collector_count: int | None = None
    automated: bool | None = None
    includes_opt_out_instruction: bool | None = None
    discloses_debt: bool | None = None


Contact = Event
"""The proposed contact has the same shape as an event (``index`` is -1)."""


def parse_event(raw: Mapping[str, Any], where: str = "event") -> Event:
    """One event on its own (e.g. a consent to store), refused with the field named."""
    return _event(raw, 0, where)


def _event(raw: Mapping[str, Any], index: int, where: str) -> Event:
    if not isinstance(raw, dict):
        raise RequestError(f"{where}: expected an object")
    if "datetime" not in raw:
        raise RequestError(f"{where}.datetime: required")
    if "channel" not in raw or not isinstance(raw["channel"], str):
        raise RequestError(f"{where}.channel: required (a string such as phone, sms, consent)")
    values: dict[str, Any] = {
        "index": index,
        "datetime": _aware(raw["datetime"], f"{where}.datetime"),
        "channel": raw["channel"],
    }
    for name in _TEXT_FIELDS:
        if name in raw and name != "channel":
            values[name] = _text(raw[name], f"{where}.{name}")
    for name in _FLAG_FIELDS:
        if name in raw:
            values[name] = _flag(raw[name], f"{where}.{name}")
    for name in _LIST_FIELDS:
        if name in raw:
            values[name] = _strings(raw[name], f"{where}.{name}")
    for name in _DATE_FIELDS:
        if raw.get(name) is not None:
            values[name] = _date(raw[name], f"{where}.{name}")
    if "consent_valid_dates" in raw:
        values["consent_valid_dates"] = tuple(
            _date(item, f"{where}.consent_valid_dates[{i}]")
            for i, item in enumerate(
                _strings(raw["consent_valid_dates"], f"{where}.consent_valid_dates")
            )
        )
    if raw.get("collector_count") is not None:
        count = raw["collector_count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise RequestError(f"{where}.collector_count: expected a whole number")
        values["collector_count"] = count
    if "counted_toward" in raw and isinstance(raw["counted_toward"], list):
        raise RequestError(f"{where}.counted_toward: one debt id, not a list")
    return Event(**values)


@dataclass(frozen=True, slots=True)
class CheckRequest:
    jurisdiction: str
    debtor: Debtor
    debts: tuple[Debt, ...]
    events: tuple[Event, ...]
    proposed: Contact

    def with_proposed_at(self, moment: datetime) -> CheckRequest:
        """The same request with the contact moved to ``moment`` (used to find deferrals)."""
        from dataclasses import replace

        return replace(self, proposed=replace(self.proposed, datetime=moment))


def parse_request(raw: Mapping[str, Any]) -> CheckRequest:
    if not isinstance(raw, dict):
        raise RequestError("the request must be a JSON object")
    jurisdiction = raw.get("jurisdiction")
    if jurisdiction not in ("CN", "US"):
        raise RequestError(f'jurisdiction: expected "CN" or "US", got {jurisdiction!r}')
    debtor_raw = _object(raw.get("debtor"), "debtor")
    signals = tuple(
        LocationSignal(str(item.get("type")), str(item.get("timezone")))
        for item in debtor_raw.get("location_signals", []) or []
        if isinstance(item, dict)
    )
    inconvenient = []
    for i, item in enumerate(debtor_raw.get("inconvenient_times", []) or []):
        where = f"debtor.inconvenient_times[{i}]"
        item = _object(item, where)
        inconvenient.append(
            InconvenientTime(
                weekdays=tuple(
                    day.upper() for day in _strings(item.get("weekdays"), f"{where}.weekdays")
                ),
                start=_time(item["from"], f"{where}.from") if item.get("from") else None,
                end=_time(item["to"], f"{where}.to") if item.get("to") else None,
                until=_date(item["until"], f"{where}.until") if item.get("until") else None,
                source=_text(item.get("source"), f"{where}.source"),
            )
        )
    numbers = _object(debtor_raw.get("numbers"), "debtor.numbers")
    places = {
        str(number): (_object(info, f"debtor.numbers.{number}").get("place"))
        for number, info in numbers.items()
    }
    attorney_raw = debtor_raw.get("represented_by_attorney")
    attorney = None
    if attorney_raw:
        attorney_obj = _object(attorney_raw, "debtor.represented_by_attorney")
        attorney = AttorneyRepresentation(
            debt_ids=_strings(
                attorney_obj.get("debt_ids"), "debtor.represented_by_attorney.debt_ids"
            ),
            attorney_known=bool(attorney_obj.get("attorney_known", True)),
            since=_date(attorney_obj["since"], "debtor.represented_by_attorney.since")
            if attorney_obj.get("since")
            else None,
        )
    debtor = Debtor(
        timezone=_text(debtor_raw.get("timezone"), "debtor.timezone"),
        location_signals=signals,
        inconvenient_times=tuple(inconvenient),
        inconvenient_places=_strings(
            debtor_raw.get("inconvenient_places"), "debtor.inconvenient_places"
        ),
        number_places=places,
        employer_prohibits_contact=bool(debtor_raw.get("employer_prohibits_contact", False)),
        represented_by_attorney=attorney,
    )
    debts = []
    for i, item in enumerate(raw.get("debts", []) or []):
        where = f"debts[{i}]"
        item = _object(item, where)
        if not isinstance(item.get("id"), str):
            raise RequestError(f"{where}.id: required")
        debts.append(
            Debt(
                id=item["id"],
                group=_text(item.get("group"), f"{where}.group"),
                sol_expiry=_date(item["sol_expiry"], f"{where}.sol_expiry")
                if item.get("sol_expiry")
                else None,
            )
        )
    events_raw = raw.get("events", []) or []
    if not isinstance(events_raw, list):
        raise RequestError("events: expected a list")
    parsed = [_event(item, i, f"events[{i}]") for i, item in enumerate(events_raw)]
    # Kept in time order, ties broken by content (never by list position), so no verdict can
    # depend on the order the caller listed the events in.
    events = tuple(sorted(parsed, key=_order_key))
    if "proposed" not in raw:
        raise RequestError("proposed: required (the contact to check)")
    proposed = _event(raw["proposed"], -1, "proposed")
    return CheckRequest(str(jurisdiction), debtor, tuple(debts), events, proposed)


_LAST_BEFORE: list[tuple[CheckRequest, tuple[Event, ...]]] = []


def events_before(request: CheckRequest) -> tuple[Event, ...]:
    """Events up to the proposed contact, in time order (ties in a content-based order).

    Every rule asks for this; the answer for the request being checked is kept (one entry,
    matched by identity) so a check walks the history once, not once per rule.
    """
    if _LAST_BEFORE and _LAST_BEFORE[0][0] is request:
        return _LAST_BEFORE[0][1]
    moment = request.proposed.datetime
    result = tuple(event for event in request.events if event.datetime <= moment)
    _LAST_BEFORE[:] = [(request, result)]
    return result


def _order_key(event: Event) -> tuple[datetime, str]:
    content = tuple(getattr(event, name) for name in Event.__slots__ if name != "index")
    return (event.datetime, repr(content))


def all_debt_ids(request: CheckRequest) -> Sequence[str]:
    return tuple(debt.id for debt in request.debts)
