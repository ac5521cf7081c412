"""The person's local time: every plausible time zone, and the next moment allowed in all.

US rules intersect every zone the location signals point to (cmt. 14(b)(1)-1: when the collector
cannot tell which zone applies, a time is convenient only if it is convenient in all of them);
CN rules use Beijing time unless the debtor's zone says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from huikuan.compliance.request import CheckRequest, RequestError


def candidate_zones(request: CheckRequest, default: str) -> tuple[ZoneInfo, ...]:
    """The debtor's zone and every zone a location signal gives, without repeats."""
    names = [request.debtor.timezone or default]
    names += [signal.timezone for signal in request.debtor.location_signals if signal.timezone]
    zones: list[ZoneInfo] = []
    for name in dict.fromkeys(names):
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise RequestError(f"debtor: unknown time zone {name!r}") from exc
    return tuple(zones)


def within(moment: datetime, start: time, end: time, *, end_inclusive: bool = False) -> bool:
    """``start <= local time < end`` (or ``<= end``); a window past midnight wraps."""
    local = moment.timetz().replace(tzinfo=None)

    def before_end(value: time) -> bool:
        return value <= end if end_inclusive else value < end

    if start <= end:
        return start <= local and before_end(local)
    return local >= start or before_end(local)


def allowed_everywhere(
    moment: datetime,
    zones: Sequence[ZoneInfo],
    start: time,
    end: time,
    *,
    end_inclusive: bool = False,
) -> bool:
    """Whether ``moment`` falls in the allowed window in every zone."""
    return all(
        within(moment.astimezone(zone), start, end, end_inclusive=end_inclusive) for zone in zones
    )


def next_allowed(
    moment: datetime,
    zones: Sequence[ZoneInfo],
    start: time,
    end: time,
    *,
    end_inclusive: bool = False,
) -> datetime | None:
    """The first moment at or after ``moment`` inside [start, end) in every zone.

    Candidates are the window starts in each zone over the next days (exact to the second),
    so the search is short; ``None`` if no moment in the next 8 days satisfies every zone (the
    windows never overlap).
    """
    if allowed_everywhere(moment, zones, start, end, end_inclusive=end_inclusive):
        return moment
    candidates: list[datetime] = []
    for zone in zones:
        local = moment.astimezone(zone)
        for days in range(0, 9):
            day = (local + timedelta(days=days)).date()
            opening = datetime.combine(day, start, tzinfo=zone)
            if opening >= moment:
                candidates.append(opening.astimezone(moment.tzinfo))
    for candidate in sorted(candidates):
        if allowed_everywhere(candidate, zones, start, end, end_inclusive=end_inclusive):
            return candidate
    return None
