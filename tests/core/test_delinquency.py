"""DPD, buckets and roll detection, in the words collectors use."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.core.delinquency import (
    DueSchedule,
    Movement,
    Pause,
    add_months,
    bucket_change,
    days_past_due,
    movement,
    paused_days,
    worst_dpd,
)
from huikuan.core.policy import DEFAULT_BUCKETS, BucketRange, BucketScheme, monthly_buckets


def test_default_buckets_follow_the_industry_ranges() -> None:
    scheme = DEFAULT_BUCKETS
    assert scheme.codes == ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+")
    cases = {0: "M0", 1: "M1", 30: "M1", 31: "M2", 60: "M2", 61: "M3", 90: "M3", 150: "M5"}
    cases |= {151: "M6", 180: "M6", 181: "M7+", 2000: "M7+"}
    for dpd, bucket in cases.items():
        assert scheme.bucket_of(dpd) == bucket, dpd


def test_bucket_schemes_must_cover_every_dpd_without_gaps() -> None:
    with pytest.raises(ValueError, match="contiguous"):
        BucketScheme("BAD", 1, (BucketRange("M0", 0, 0), BucketRange("M1", 2, None)))
    with pytest.raises(ValueError, match="open-ended"):
        BucketScheme("BAD", 1, (BucketRange("M0", 0, 0), BucketRange("M1", 1, 30)))
    weekly = BucketScheme(
        "W", 1, (BucketRange("C", 0, 0), BucketRange("X", 1, 7), BucketRange("Y", 8, None))
    )
    assert weekly.bucket_of(7) == "X"
    assert weekly.bucket_of(8) == "Y"


def test_a_card_missed_on_the_first_of_march_is_30_days_past_due_on_the_31st() -> None:
    assert days_past_due(date(2026, 3, 1), date(2026, 3, 31)) == 30
    assert days_past_due(date(2026, 3, 1), date(2026, 3, 1)) == 0
    assert days_past_due(None, date(2026, 3, 31)) == 0


def test_grace_days_keep_the_account_current_then_count_from_the_due_date() -> None:
    due = date(2026, 3, 1)
    assert days_past_due(due, date(2026, 3, 4), grace_days=3) == 0
    # Day four past due: the grace period is over and DPD counts from the due date.
    assert days_past_due(due, date(2026, 3, 5), grace_days=3) == 4


def test_a_dispute_stops_the_clock_while_it_is_open() -> None:
    due = date(2026, 3, 1)
    dispute = Pause(date(2026, 3, 11), date(2026, 3, 21), "dispute")  # ten days paused
    assert days_past_due(due, date(2026, 3, 31), pauses=[dispute]) == 20
    still_open = Pause(date(2026, 3, 11), None, "dispute")
    # The clock ran 2–10 March (9 days) and has been stopped since the 11th, today included.
    assert days_past_due(due, date(2026, 3, 31), pauses=[still_open]) == 9
    # A pause before the account fell due does not count.
    assert (
        days_past_due(
            due, date(2026, 3, 31), pauses=[Pause(date(2026, 2, 1), date(2026, 2, 20), "x")]
        )
        == 30
    )


def test_overlapping_pauses_count_each_day_once() -> None:
    pauses = [
        Pause(date(2026, 3, 10), date(2026, 3, 20), "dispute"),
        Pause(date(2026, 3, 15), date(2026, 3, 25), "complaint"),
    ]
    assert paused_days(pauses, date(2026, 3, 1), date(2026, 3, 31)) == 15


def test_schedule_moves_oldest_due_forward_as_instalments_are_paid() -> None:
    schedule = DueSchedule(date(2026, 1, 31), instalment=100_000, cycles=6)
    assert schedule.due_date(1) == date(2026, 2, 28)
    assert schedule.due_date(2) == date(2026, 3, 31)
    as_of = date(2026, 4, 15)
    assert schedule.cycles_due_by(as_of) == 3
    assert schedule.oldest_unpaid_due(0, as_of) == date(2026, 1, 31)
    assert schedule.oldest_unpaid_due(150_000, as_of) == date(2026, 2, 28)
    assert schedule.oldest_unpaid_due(300_000, as_of) is None  # paid ahead of April's due date
    assert schedule.oldest_unpaid_due(600_000, date(2027, 1, 1)) is None  # term paid off
    assert schedule.arrears(150_000, as_of) == 150_000


def test_worst_dpd_is_the_debtors_dpd() -> None:
    assert worst_dpd([0, 45, 12]) == 45
    assert worst_dpd([]) == 0


def test_movements_between_two_dates() -> None:
    assert movement(1, 2) is Movement.ROLL_FORWARD
    assert movement(3, 2) is Movement.ROLL_BACK  # 降期
    assert movement(3, 0) is Movement.CURE
    assert movement(2, 2) is Movement.STAY
    assert movement(None, 1) is Movement.ENTER


def test_bucket_change_is_recorded_only_when_the_bucket_changes() -> None:
    scheme = monthly_buckets()
    assert bucket_change(7, scheme, 29, 30, date(2026, 3, 31)) is None
    event = bucket_change(7, scheme, 30, 31, date(2026, 4, 1))
    assert event is not None
    assert (event.from_bucket, event.to_bucket, event.movement) == (
        "M1",
        "M2",
        Movement.ROLL_FORWARD,
    )


@given(
    anchor=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    months=st.integers(min_value=0, max_value=240),
)
def test_add_months_keeps_the_anchor_day_or_the_month_end(anchor: date, months: int) -> None:
    moved = add_months(anchor, months)
    assert (moved.year * 12 + moved.month) - (anchor.year * 12 + anchor.month) == months
    # Either the anchor day itself, or the last day of a shorter month.
    assert moved.day == anchor.day or (moved + timedelta(days=1)).day == 1
    assert moved.day <= anchor.day


@given(
    due=st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31)),
    elapsed=st.integers(min_value=0, max_value=800),
    grace=st.integers(min_value=0, max_value=10),
)
def test_dpd_never_exceeds_the_days_elapsed(due: date, elapsed: int, grace: int) -> None:
    dpd = days_past_due(due, due + timedelta(days=elapsed), grace_days=grace)
    assert dpd in (0, elapsed)
    assert (dpd > 0) == (elapsed > grace)
