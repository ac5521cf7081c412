"""Delinquency: due schedules, days past due (逾期天数), buckets (账龄) and roll (迁徙) detection.

Data flow: an account's :class:`DueSchedule` (first due date, instalment, number of cycles)
and the cumulative amount paid toward it give the oldest unpaid due date; pauses (a dispute
or a hardship review stops the clock) and the product's grace days turn that into DPD; the
product's :class:`~huikuan.core.policy.BucketScheme` turns DPD into a bucket; two buckets of
the same account on two dates give a :class:`Movement` (roll forward, roll back 降期, cure,
stay). Every function here is pure and takes ``as_of`` explicitly.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from huikuan.core.policy import BucketScheme


def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved by whole months, keeping the anchor's day and clipping to month end.

    Counting from the anchor (never from the previous clipped date) keeps a 31st-of-month
    schedule on the 31st whenever the month has one.

    >>> add_months(date(2026, 1, 31), 1), add_months(date(2026, 1, 31), 2)
    (datetime.date(2026, 2, 28), datetime.date(2026, 3, 31))
    """
    month_index = anchor.year * 12 + (anchor.month - 1) + months
    year, month0 = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(anchor.day, last_day))


@dataclass(frozen=True, slots=True)
class DueSchedule:
    """Monthly amounts due: ``instalment`` on ``first_due`` and every month after it.

    ``cycles`` is the number of instalments (a loan's term); ``None`` keeps cycling (a card's
    monthly minimum payment). The amount owed through cycle *k* is ``(k + 1) × instalment``.
    """

    first_due: date
    instalment: int
    cycles: int | None = None

    def __post_init__(self) -> None:
        if self.instalment <= 0:
            raise ValueError("instalment must be positive")
        if self.cycles is not None and self.cycles <= 0:
            raise ValueError("cycles must be positive")

    def due_date(self, cycle: int) -> date:
        return add_months(self.first_due, cycle)

    def cycles_due_by(self, as_of: date) -> int:
        """How many instalments have fallen due on or before ``as_of``."""
        if as_of < self.first_due:
            return 0
        months = (as_of.year - self.first_due.year) * 12 + (as_of.month - self.first_due.month)
        count = months + 1 if self.due_date(months) <= as_of else months
        return count if self.cycles is None else min(count, self.cycles)

    def oldest_unpaid_due(self, paid: int, as_of: date) -> date | None:
        """Due date of the first instalment not fully covered by ``paid``, if it has fallen due."""
        cycle = paid // self.instalment
        if self.cycles is not None and cycle >= self.cycles:
            return None
        due = self.due_date(cycle)
        return due if due <= as_of else None

    def arrears(self, paid: int, as_of: date) -> int:
        """Amount fallen due by ``as_of`` and not yet paid (never negative)."""
        return max(0, self.cycles_due_by(as_of) * self.instalment - paid)


@dataclass(frozen=True, slots=True)
class Pause:
    """The DPD clock stops from ``start`` up to, not including, ``end`` (``None``: still paused)."""

    start: date
    end: date | None
    reason: str  # e.g. "dispute", "hardship_review", "complaint"

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise ValueError("a pause must end after it starts")

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def paused_days(pauses: Iterable[Pause], after: date, through: date) -> int:
    """Days in ``(after, through]`` covered by at least one pause (overlaps counted once)."""
    if through <= after:
        return 0
    spans: list[tuple[date, date]] = []  # inclusive first and last paused day inside the window
    first_window_day = after + timedelta(days=1)
    for pause in pauses:
        first = max(pause.start, first_window_day)
        last = through if pause.end is None else min(pause.end - timedelta(days=1), through)
        if first <= last:
            spans.append((first, last))
    spans.sort()
    total = 0
    current_first: date | None = None
    current_last: date | None = None
    for first, last in spans:
        if current_last is None or current_first is None or first > current_last:
            if current_last is not None and current_first is not None:
                total += (current_last - current_first).days + 1
            current_first, current_last = first, last
        elif last > current_last:
            current_last = last
    if current_last is not None and current_first is not None:
        total += (current_last - current_first).days + 1
    return total


def days_past_due(
    oldest_unpaid_due: date | None,
    as_of: date,
    *,
    grace_days: int = 0,
    pauses: Sequence[Pause] = (),
) -> int:
    """逾期天数: days since the oldest unpaid due date, less paused days.

    The due date itself is day 0. While the count is within ``grace_days`` the account is not
    delinquent (DPD 0); past the grace period DPD counts from the due date, as card issuers'
    宽限期 works.

    >>> days_past_due(date(2026, 3, 1), date(2026, 3, 31))
    30
    >>> days_past_due(date(2026, 3, 1), date(2026, 3, 3), grace_days=3)
    0
    """
    if oldest_unpaid_due is None or as_of <= oldest_unpaid_due:
        return 0
    elapsed = (as_of - oldest_unpaid_due).days - paused_days(pauses, oldest_unpaid_due, as_of)
    return elapsed if elapsed > grace_days else 0


def worst_dpd(dpds: Iterable[int]) -> int:
    """A debtor's DPD is the worst of their accounts'."""
    return max(dpds, default=0)


class Movement(StrEnum):
    """How an account moved between two bucket observations."""

    STAY = "stay"
    ROLL_FORWARD = "roll_forward"  # 迁徙: into a worse bucket
    ROLL_BACK = "roll_back"  # 降期: into a better bucket that is still delinquent
    CURE = "cure"  # back to current (M0)
    ENTER = "enter"  # 入催: first seen delinquent with nothing before
    NEW_CURRENT = "new_current"


def movement(before: int | None, after: int) -> Movement:
    """Classify a move between bucket severity indexes (0 is current)."""
    if before is None:
        return Movement.ENTER if after > 0 else Movement.NEW_CURRENT
    if after == before:
        return Movement.STAY
    if after > before:
        return Movement.ROLL_FORWARD
    return Movement.CURE if after == 0 else Movement.ROLL_BACK


@dataclass(frozen=True, slots=True)
class BucketChanged:
    """A bucket change, kept forever as history (Fineract keeps the same)."""

    account_id: int
    business_date: date
    from_bucket: str | None
    to_bucket: str
    dpd: int
    movement: Movement


def bucket_change(
    account_id: int,
    scheme: BucketScheme,
    previous_dpd: int | None,
    dpd: int,
    as_of: date,
) -> BucketChanged | None:
    """The history event for today's bucket, or ``None`` when the bucket did not change."""
    after = scheme.index_of(dpd)
    before = None if previous_dpd is None else scheme.index_of(previous_dpd)
    move = movement(before, after)
    if move is Movement.STAY:
        return None
    return BucketChanged(
        account_id=account_id,
        business_date=as_of,
        from_bucket=None if before is None else scheme.codes[before],
        to_bucket=scheme.codes[after],
        dpd=dpd,
        movement=move,
    )
