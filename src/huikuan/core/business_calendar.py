"""Mainland China business days (工作日): weekdays, less statutory holidays, plus make-up days.

Data flow: :data:`huikuan.core.cn_holidays.NOTICES` → precomputed at import into a sorted tuple
of every business day in the covered years → the functions below, which look dates up in sets
and move along that tuple by bisection (constant or logarithmic time, fine inside a loop).

The calendar refuses instead of guessing: any question whose answer depends on a year before
the first covered year or after the last announced one raises
:class:`CalendarYearNotAnnouncedError`. One caveat the data cannot remove: a future notice may
still change the last days of the last announced year (the 2012 notice made Saturday 2011-12-31
a workday), so answers about late December of that year are as good as the latest notice.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, timedelta

from huikuan.core.cn_holidays import NOTICES, HolidayPeriod, MakeUpWorkday

_FIRST_YEAR = min(notice.year for notice in NOTICES)
_LAST_YEAR = max(notice.year for notice in NOTICES)


class CalendarYearNotAnnouncedError(ValueError):
    """A date falls in a year whose holiday arrangement is not in the calendar data."""

    def __init__(self, year: int) -> None:
        self.year = year
        if year > _LAST_YEAR:
            detail = (
                f"the State Council holiday arrangement for {year} has not been announced "
                f"(or not added to huikuan.core.cn_holidays); the calendar covers "
                f"{_FIRST_YEAR}-{_LAST_YEAR}"
            )
        else:
            detail = f"the calendar covers {_FIRST_YEAR}-{_LAST_YEAR} only"
        super().__init__(f"business calendar for {year} is not available: {detail}")


def first_covered_year() -> int:
    """The first year the calendar answers for."""
    return _FIRST_YEAR


def last_announced_year() -> int:
    """The last year whose holiday arrangement has been announced and entered."""
    return _LAST_YEAR


def _require_covered(d: date) -> None:
    if not _FIRST_YEAR <= d.year <= _LAST_YEAR:
        raise CalendarYearNotAnnouncedError(d.year)


def _build() -> tuple[dict[date, HolidayPeriod], dict[date, MakeUpWorkday], tuple[date, ...]]:
    period_by_day: dict[date, HolidayPeriod] = {}
    make_up_by_day: dict[date, MakeUpWorkday] = {}
    for notice in NOTICES:
        for period in notice.holidays:
            for day in period.days():
                if day in period_by_day:
                    raise ValueError(f"holiday data lists {day} twice")
                period_by_day[day] = period
        for make_up in notice.make_up_workdays:
            if make_up.day in make_up_by_day or make_up.day in period_by_day:
                raise ValueError(f"holiday data lists {make_up.day} twice")
            make_up_by_day[make_up.day] = make_up
    for day in (*period_by_day, *make_up_by_day):
        if not _FIRST_YEAR <= day.year <= _LAST_YEAR:
            raise ValueError(f"holiday data has {day}, outside {_FIRST_YEAR}-{_LAST_YEAR}")
    business_days: list[date] = []
    day = date(_FIRST_YEAR, 1, 1)
    end = date(_LAST_YEAR + 1, 1, 1)
    while day < end:
        if day in make_up_by_day or (day.weekday() < 5 and day not in period_by_day):
            business_days.append(day)
        day += timedelta(days=1)
    return period_by_day, make_up_by_day, tuple(business_days)


_PERIOD_BY_DAY, _MAKE_UP_BY_DAY, _BUSINESS_DAYS = _build()
_BUSINESS_DAY_SET = frozenset(_BUSINESS_DAYS)


def is_business_day(d: date) -> bool:
    """True on a working day: a weekday that is not a statutory holiday, or a make-up workday."""
    _require_covered(d)
    return d in _BUSINESS_DAY_SET


def is_holiday(d: date) -> bool:
    """True inside a statutory holiday period (法定节假日 and the days moved into it).

    An ordinary weekend is not a holiday here; use ``not is_business_day(d)`` for "day off".
    """
    _require_covered(d)
    return d in _PERIOD_BY_DAY


def holiday_period(d: date) -> HolidayPeriod | None:
    """The holiday period ``d`` falls in, or None."""
    _require_covered(d)
    return _PERIOD_BY_DAY.get(d)


def holiday_name(d: date) -> str | None:
    """English name of the holiday ``d`` falls in (e.g. ``"Spring Festival"``), or None.

    The Chinese name is ``holiday_period(d).name_zh``.
    """
    period = holiday_period(d)
    return None if period is None else period.name


def is_make_up_workday(d: date) -> bool:
    """True on a weekend day worked to make up for a holiday (调休上班日)."""
    _require_covered(d)
    return d in _MAKE_UP_BY_DAY


def _at(index: int) -> date:
    """The business day at ``index`` in the covered sequence, refusing to run off either end."""
    if index < 0:
        raise CalendarYearNotAnnouncedError(_FIRST_YEAR - 1)
    if index >= len(_BUSINESS_DAYS):
        raise CalendarYearNotAnnouncedError(_LAST_YEAR + 1)
    return _BUSINESS_DAYS[index]


def next_business_day(d: date, *, inclusive: bool = False) -> date:
    """The first business day after ``d`` (on or after it when ``inclusive``)."""
    _require_covered(d)
    return _at(bisect_left(_BUSINESS_DAYS, d) if inclusive else bisect_right(_BUSINESS_DAYS, d))


def previous_business_day(d: date, *, inclusive: bool = False) -> date:
    """The last business day before ``d`` (on or before it when ``inclusive``)."""
    _require_covered(d)
    after = bisect_right(_BUSINESS_DAYS, d) if inclusive else bisect_left(_BUSINESS_DAYS, d)
    return _at(after - 1)


def add_business_days(d: date, n: int) -> date:
    """The ``n``-th business day after ``d`` (before it when ``n`` is negative).

    ``d`` itself is never counted, so from Saturday ``+1`` is Monday and ``-1`` is Friday
    (T+n counting). ``n == 0`` gives ``d`` if it is a business day, else the next one.
    """
    _require_covered(d)
    if n > 0:
        return _at(bisect_right(_BUSINESS_DAYS, d) + n - 1)
    if n < 0:
        return _at(bisect_left(_BUSINESS_DAYS, d) + n)
    return next_business_day(d, inclusive=True)


def business_days_between(start: date, end: date) -> int:
    """How many business days lie in ``[start, end)``; negative when ``end`` is before ``start``."""
    if end < start:
        return -business_days_between(end, start)
    _require_covered(start)
    if end > start:
        _require_covered(end - timedelta(days=1))
    return bisect_left(_BUSINESS_DAYS, end) - bisect_left(_BUSINESS_DAYS, start)
