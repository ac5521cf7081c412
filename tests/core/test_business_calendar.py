"""Business-day calendar: our own holiday table, checked day by day against chinese_calendar."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.core.business_calendar import (
    CalendarYearNotAnnouncedError,
    add_business_days,
    business_days_between,
    first_covered_year,
    holiday_name,
    holiday_period,
    is_business_day,
    is_holiday,
    is_make_up_workday,
    last_announced_year,
    next_business_day,
    previous_business_day,
)
from huikuan.core.cn_holidays import NOTICES

ONE_DAY = timedelta(days=1)


def every_covered_day() -> list[date]:
    day, end, days = date(2020, 1, 1), date(2027, 1, 1), []
    while day < end:
        days.append(day)
        day += ONE_DAY
    return days


# --- the table agrees with an independent source, every single day ---------------------------


def test_every_day_2020_to_2026_agrees_with_chinese_calendar_on_workday() -> None:
    disagreements = [
        day
        for day in every_covered_day()
        if is_business_day(day) != chinese_calendar.is_workday(day)
    ]
    assert disagreements == []


def test_every_day_agrees_with_chinese_calendar_on_holidays_make_up_days_and_names() -> None:
    for day in every_covered_day():
        off, name = chinese_calendar.get_holiday_detail(day)
        statutory_holiday = off and name is not None
        assert is_holiday(day) == statutory_holiday, day
        assert is_make_up_workday(day) == (not off and name is not None), day
        period = holiday_period(day)
        if statutory_holiday:
            assert period is not None
            # Merged periods (中秋节、国庆节) carry both names; chinese_calendar names one per day.
            assert name in {festival.label_en for festival in period.festivals}, day
        else:
            assert period is None
            assert holiday_name(day) is None


def test_the_table_covers_2020_through_2026() -> None:
    assert first_covered_year() == 2020
    assert last_announced_year() == 2026
    assert [notice.year for notice in NOTICES] == list(range(2020, 2027))


def test_make_up_workdays_are_all_weekend_days() -> None:
    for notice in NOTICES:
        for make_up in notice.make_up_workdays:
            assert make_up.day.weekday() >= 5, make_up


# --- scenarios --------------------------------------------------------------------------------


def test_2026_spring_festival_nine_days_off_with_two_saturdays_worked() -> None:
    # 春节: Sunday 2026-02-15 to Monday 2026-02-23 off; Saturdays 02-14 and 02-28 worked.
    festival = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]
    assert all(is_holiday(day) and not is_business_day(day) for day in festival)
    assert holiday_name(date(2026, 2, 17)) == "Spring Festival"
    period = holiday_period(date(2026, 2, 17))
    assert period is not None
    assert period.name_zh == "春节"
    assert is_business_day(date(2026, 2, 14))
    assert is_make_up_workday(date(2026, 2, 28))
    assert next_business_day(date(2026, 2, 14)) == date(2026, 2, 24)


def test_promise_three_business_days_from_friday_before_spring_festival_2026() -> None:
    # The debtor promises on Friday 2026-02-13 to pay within 3 business days:
    # Sat 02-14 (make-up workday) is day 1, Tue 02-24 day 2, Wed 02-25 day 3.
    assert add_business_days(date(2026, 2, 13), 3) == date(2026, 2, 25)
    assert business_days_between(date(2026, 2, 14), date(2026, 2, 24)) == 1


def test_national_day_2025_eight_days_off_with_sunday_and_saturday_worked() -> None:
    # 国庆节、中秋节 2025: 10-01 to 10-08 off; Sunday 09-28 and Saturday 10-11 worked.
    assert is_business_day(date(2025, 9, 28))
    assert is_business_day(date(2025, 10, 11))
    assert not any(is_business_day(date(2025, 10, day)) for day in range(1, 9))
    assert next_business_day(date(2025, 9, 30)) == date(2025, 10, 9)
    assert previous_business_day(date(2025, 10, 9)) == date(2025, 9, 30)
    assert holiday_name(date(2025, 10, 6)) == "National Day & Mid-autumn Festival"
    # Sat 09-27 .. Sun 10-12: 09-28, 09-29, 09-30, 10-09, 10-10, 10-11 are the workdays.
    assert business_days_between(date(2025, 9, 27), date(2025, 10, 13)) == 6


def test_2020_spring_festival_extension_cancelled_the_saturday_make_up_day() -> None:
    # Extended to 2020-02-02 because of COVID-19; Saturday 02-01 was first announced as worked.
    assert is_holiday(date(2020, 2, 1))
    assert not is_business_day(date(2020, 2, 1))
    assert next_business_day(date(2020, 1, 23)) == date(2020, 2, 3)


def test_2023_new_year_holiday_starts_on_the_last_day_of_2022() -> None:
    assert holiday_name(date(2022, 12, 31)) == "New Year's Day"
    assert is_holiday(date(2023, 1, 2))
    assert next_business_day(date(2022, 12, 30)) == date(2023, 1, 3)


def test_an_ordinary_weekend_is_a_day_off_but_not_a_holiday() -> None:
    saturday = date(2026, 3, 7)
    assert not is_business_day(saturday)
    assert not is_holiday(saturday)
    assert holiday_name(saturday) is None
    assert add_business_days(saturday, 1) == date(2026, 3, 9)
    assert add_business_days(saturday, -1) == date(2026, 3, 6)
    assert add_business_days(saturday, 0) == date(2026, 3, 9)


# --- refusing years nobody has announced --------------------------------------------------------


@pytest.mark.parametrize("day", [date(2027, 1, 4), date(2019, 12, 31), date(2030, 6, 1)])
def test_refuses_days_in_years_not_covered(day: date) -> None:
    with pytest.raises(CalendarYearNotAnnouncedError, match=str(day.year)) as raised:
        is_business_day(day)
    assert raised.value.year == day.year
    for question in (is_holiday, holiday_name, next_business_day, previous_business_day):
        with pytest.raises(CalendarYearNotAnnouncedError):
            question(day)


def test_2027_refusal_says_it_is_not_announced() -> None:
    with pytest.raises(CalendarYearNotAnnouncedError, match="2027 has not been announced"):
        add_business_days(date(2027, 1, 4), 1)


def test_refuses_to_step_past_the_last_announced_year() -> None:
    # 2026-12-31 is a Thursday workday; whatever comes next depends on the 2027 notice.
    assert is_business_day(date(2026, 12, 31))
    with pytest.raises(CalendarYearNotAnnouncedError, match="2027"):
        next_business_day(date(2026, 12, 31))
    with pytest.raises(CalendarYearNotAnnouncedError, match="2027"):
        add_business_days(date(2026, 12, 30), 2)
    with pytest.raises(CalendarYearNotAnnouncedError, match="2019"):
        previous_business_day(date(2020, 1, 2))  # 2020-01-01 was New Year's Day
    with pytest.raises(CalendarYearNotAnnouncedError, match="2027"):
        business_days_between(date(2026, 12, 1), date(2027, 1, 2))


def test_counting_up_to_the_first_day_after_the_last_year_is_allowed() -> None:
    # [2026-12-01, 2027-01-01) needs only 2026's days: December 2026 has 23 weekdays, no holidays.
    assert business_days_between(date(2026, 12, 1), date(2027, 1, 1)) == 23


# --- properties ---------------------------------------------------------------------------------

inner_days = st.dates(min_value=date(2020, 3, 1), max_value=date(2026, 10, 31))
covered_days = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31))
steps = st.integers(min_value=-40, max_value=40)


@given(inner_days, steps)
def test_add_business_days_lands_on_a_business_day_exactly_n_business_days_away(
    day: date, n: int
) -> None:
    result = add_business_days(day, n)
    assert is_business_day(result)
    if n > 0:
        # n business days in (day, result]
        assert business_days_between(day + ONE_DAY, result + ONE_DAY) == n
    elif n < 0:
        # -n business days in [result, day)
        assert business_days_between(result, day) == -n
    else:
        assert result == next_business_day(day, inclusive=True)


@given(inner_days)
def test_one_step_is_the_next_or_previous_business_day(day: date) -> None:
    assert add_business_days(day, 1) == next_business_day(day)
    assert add_business_days(day, -1) == previous_business_day(day)
    assert next_business_day(day) > day > previous_business_day(day)
    following = next_business_day(day)
    assert all(
        not is_business_day(day + timedelta(days=i)) for i in range(1, (following - day).days)
    )


@given(inner_days, steps)
def test_from_a_business_day_going_n_and_back_returns_home(day: date, n: int) -> None:
    start = next_business_day(day, inclusive=True)
    assert add_business_days(add_business_days(start, n), -n) == start


@given(covered_days)
def test_inclusive_next_and_previous_keep_a_business_day(day: date) -> None:
    if is_business_day(day):
        assert next_business_day(day, inclusive=True) == day
        assert previous_business_day(day, inclusive=True) == day
    else:
        assert is_business_day(next_business_day(day, inclusive=True))
        assert next_business_day(day, inclusive=True) == next_business_day(day)


@given(covered_days, covered_days, covered_days)
def test_business_days_between_adds_up_over_consecutive_spans(a: date, b: date, c: date) -> None:
    assert business_days_between(a, b) + business_days_between(b, c) == business_days_between(a, c)
    assert business_days_between(a, b) == -business_days_between(b, a)
