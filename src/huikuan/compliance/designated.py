"""The debtor's own designations as the guard reads them: which are in force, and when a
designated inconvenient time ends. Pure (no I/O, no clock): shared by the CN and US packs, the
request builder and the self-service service, so the page, the staff case page and the guard
can never disagree about what is in force.

Two kinds of designation, both plain events of the request format:

* ``medium_opt_out``: stop contacting me by ``medium`` (to ``to_number`` / ``to_address`` only,
  when named). Stop calls is a ``phone`` opt-out.
* ``inconvenient_time``: do not contact me on ``weekdays`` between ``from`` and ``to`` (absent:
  all day) until ``until`` (absent: open-ended). The request builder turns those in force into
  ``debtor.inconvenient_times``; the rules read that field, not the events.

Withdrawal: the person takes a designation back with a *later* event of the same channel and
the same terms (party, medium and address; or weekdays, hours and until) carrying a ``status``
in :data:`WITHDRAWN`. It lifts every earlier designation with those terms (a withdrawal at the
same instant does not: the stricter reading wins a tie). A designation made after the withdrawal
stands. Matching on terms rather than on a row id keeps the rule readable from the request alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVar

from huikuan.compliance.request import Event, InconvenientTime

OPT_OUT = "medium_opt_out"
INCONVENIENT_TIME = "inconvenient_time"
DESIGNATION_CHANNELS = frozenset({OPT_OUT, INCONVENIENT_TIME})
WITHDRAWN = frozenset({"withdrawn", "revoked", "lifted"})

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
WEEKDAY_ALIASES: Mapping[str, frozenset[int]] = {
    "WEEKDAYS": frozenset(range(5)),
    "WEEKENDS": frozenset({5, 6}),
    "WEEKEND": frozenset({5, 6}),
    "ALL": frozenset(range(7)),
}
# How far ahead a deferral past designated times is looked for before the contact is refused.
HORIZON = timedelta(days=366)

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Which designations are in force
# --------------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _days(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(sorted({str(day).upper() for day in value}))


def terms(raw: Mapping[str, Any], medium_of: Callable[[str], str] = str.lower) -> Hashable:
    """What a withdrawal must repeat to lift a designation (module docstring)."""
    channel = raw.get("channel")
    party = _text(raw.get("party")) or "consumer"
    if channel == INCONVENIENT_TIME:
        return (
            channel,
            party,
            _days(raw.get("weekdays")),
            _text(raw.get("from")),
            _text(raw.get("to")),
            _text(raw.get("until")),
        )
    address = _text(raw.get("to_number")) or _text(raw.get("to_address"))
    return (channel, party, medium_of(_text(raw.get("medium")) or ""), address)


def in_force(items: Iterable[tuple[T, Mapping[str, Any]]], at: datetime | None = None) -> list[T]:
    """The items whose designation (``raw``, a stored event) stands at ``at`` (None: now known).

    ``items`` may be in any order; each raw event needs an ISO ``datetime`` with offset.
    """
    dated = []
    for key, raw in items:
        if raw.get("channel") not in DESIGNATION_CHANNELS:
            continue
        moment = datetime.fromisoformat(str(raw["datetime"]))
        if at is None or moment <= at:
            dated.append((moment, raw.get("status") in WITHDRAWN, key, raw))
    # A designation and its withdrawal at the same instant: the designation is read last.
    dated.sort(key=lambda item: (item[0], not item[1]))
    standing: list[tuple[Hashable, T]] = []
    for _, withdrawal, key, raw in dated:
        term = terms(raw)
        if withdrawal:
            standing = [(t, k) for t, k in standing if t != term]
        else:
            standing.append((term, key))
    return [key for _, key in standing]


def inconvenient_time_json(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A stored ``inconvenient_time`` event as one ``debtor.inconvenient_times`` entry."""
    out: dict[str, Any] = {"weekdays": list(_days(raw.get("weekdays")))}
    for name in ("from", "to", "until", "source"):
        if _text(raw.get(name)) is not None:
            out[name] = raw[name]
    return out


def inconvenient_times_in_force(
    events: Iterable[Mapping[str, Any]], at: datetime
) -> list[dict[str, Any]]:
    """The request's ``debtor.inconvenient_times`` from stored events, as they stand at ``at``."""
    listed = [(index, raw) for index, raw in enumerate(events)]
    kept = set(in_force([(i, r) for i, r in listed if r.get("channel") == INCONVENIENT_TIME], at))
    return [inconvenient_time_json(raw) for index, raw in listed if index in kept]


def opt_out_withdrawn(
    opt_out_at: datetime,
    party: str,
    medium: str,
    address: str | None,
    history: Iterable[Event],
    medium_of: Callable[[str], str],
) -> bool:
    """Whether a later ``medium_opt_out`` withdrawal with the same terms lifted an opt-out.

    The rules' form of :func:`in_force` over parsed events (a STOP reply is an opt-out of its
    channel to the number it came from, so a withdrawal naming that number lifts it too).
    """
    for event in history:
        if (
            event.channel == OPT_OUT
            and event.status in WITHDRAWN
            and event.datetime > opt_out_at
            and (event.party or "consumer") == party
            and medium_of(event.medium or "") == medium
            and (event.to_number or event.to_address) == address
        ):
            return True
    return False


def is_withdrawal(event: Event) -> bool:
    return event.status in WITHDRAWN


# --------------------------------------------------------------------------------------------
# When a designated inconvenient time ends
# --------------------------------------------------------------------------------------------


def weekday_set(days: Sequence[str]) -> frozenset[int]:
    """Weekday numbers (Monday 0) of ``MON`` … ``SUN`` and the aliases; none listed: every day.

    >>> sorted(weekday_set(("TUE", "weekends".upper())))
    [1, 5, 6]
    """
    if not days:
        return frozenset(range(7))
    chosen: set[int] = set()
    for day in days:
        if day in WEEKDAY_ALIASES:
            chosen |= WEEKDAY_ALIASES[day]
        elif day[:3] in WEEKDAYS:
            chosen.add(WEEKDAYS.index(day[:3]))
    return frozenset(chosen)


def designation_end(designation: InconvenientTime, local: datetime) -> datetime | None:
    """If ``local`` (an aware local time) falls in the designated stretch, when it ends."""
    weekdays = weekday_set(designation.weekdays)
    until = designation.until
    zone: tzinfo | None = local.tzinfo
    today = local.date()
    now = local.time().replace(tzinfo=None)
    start = designation.start or time(0)
    end = designation.end

    def active(day: date) -> bool:
        return day.weekday() in weekdays and (until is None or day <= until)

    if end is None or start < end:  # within one day
        if active(today) and start <= now and (end is None or now < end):
            if end is None:
                return datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
            return datetime.combine(today, end, tzinfo=zone)
        return None
    # The stretch wraps past midnight: [start, 24:00) on the day, [00:00, end) on the next.
    if active(today) and now >= start:
        return datetime.combine(today + timedelta(days=1), end, tzinfo=zone)
    if active(today - timedelta(days=1)) and now < end:
        return datetime.combine(today, end, tzinfo=zone)
    return None


def designated_clear(
    moment: datetime,
    zones: Sequence[tzinfo],
    designations: Sequence[InconvenientTime],
    horizon: timedelta = HORIZON,
) -> datetime | None:
    """The first moment at or after ``moment`` outside every designated time in every zone;
    ``None`` when there is none within ``horizon`` (every time is inconvenient)."""
    current = moment
    for _ in range(800):
        pushed: datetime | None = None
        for zone in zones:
            local = current.astimezone(zone)
            for designation in designations:
                end = designation_end(designation, local)
                if end is not None and (pushed is None or end > pushed):
                    pushed = end
        if pushed is None:
            return current
        current = pushed.astimezone(moment.tzinfo)
        if current - moment > horizon:
            break
    return None
