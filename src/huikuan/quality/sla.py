"""Complaint deadlines (投诉处理时限), defined once, and the timer the pages show.

Every complaint gets two deadlines from the moment it was received: an acknowledgement
(受理确认) and a decision (处理决定). Working days are the mainland calendar of
:mod:`huikuan.core.business_calendar` (weekends, statutory holidays and make-up workdays); a
deadline falls at the *end* of its day in Asia/Shanghai, so "1 working day" from Friday 09:00
runs to Monday 24:00.

Sources and their standing (see shared/COMPLIANCE-RULES.md, §1.2 "Complaints" and §4):

* No deadline is given by the collection texts themselves (GB/T 45251-2025 §5.6 exists, its text
  was not retrieved; the 2022 notice and CBA 2026 only require channels and responsibility).
* **15 days** for a decision, extendable to 30, is commonly cited from the CBIRC 2020
  《银行业保险业消费投诉处理管理办法》; COMPLIANCE-RULES.md marks it unverified ("keep it
  configurable"). It is the default for complaints from the debtor, the phone line or a creditor.
* Complaints forwarded by the regulator's 12378 hotline: **5 working days** is this platform's
  own, stricter policy (a regulator is waiting), not a figure from any text.
* Acknowledgement within **1 working day**: institution policy, no text found.

Beyond the last year the holiday calendar covers, working days fall back to calendar days, which
can only make a deadline earlier (stricter), never later. Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from huikuan.core.business_calendar import CalendarYearNotAnnouncedError, add_business_days

SLA_TZ = ZoneInfo("Asia/Shanghai")


class DayCount(StrEnum):
    WORKING = "working"  # 工作日
    CALENDAR = "calendar"  # 自然日


@dataclass(frozen=True, slots=True)
class Period:
    days: int
    count: DayCount

    def due(self, received_at: datetime) -> datetime:
        """The end (24:00 Asia/Shanghai) of the ``days``-th day after ``received_at``, in UTC.

        >>> friday = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
        >>> Period(1, DayCount.WORKING).due(friday).isoformat()  # to Monday 24:00
        '2026-11-23T16:00:00+00:00'
        >>> Period(15, DayCount.CALENDAR).due(friday).isoformat()
        '2026-12-05T16:00:00+00:00'
        """
        received = received_at.astimezone(SLA_TZ).date()
        last_day = _add_days(received, self.days, self.count)
        end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=SLA_TZ)
        return end.astimezone(UTC)


def _add_days(start: date, days: int, count: DayCount) -> date:
    if count is DayCount.CALENDAR:
        return start + timedelta(days=days)
    try:
        return add_business_days(start, days)
    except CalendarYearNotAnnouncedError:
        return start + timedelta(days=days)  # stricter: never later than working days


class Source(StrEnum):
    DEBTOR_PAGE = "debtor_page"  # the debtor's self-service page
    PHONE = "phone"  # the complaint line or a call
    REGULATOR_12378 = "regulator_12378"  # forwarded by the NFRA 12378 hotline
    CREDITOR = "creditor"  # passed on by the creditor client


@dataclass(frozen=True, slots=True)
class Sla:
    acknowledge: Period
    resolve: Period
    basis: str  # where the figures come from, shown to QA


_ACK = Period(1, DayCount.WORKING)
_DEFAULT = Sla(
    acknowledge=_ACK,
    resolve=Period(15, DayCount.CALENDAR),
    basis="15 days: CBIRC 2020 complaint measures as commonly cited (unverified, "
    "COMPLIANCE-RULES.md §1.2); acknowledgement 1 working day: institution policy",
)

SLAS: Mapping[Source, Sla] = {
    Source.DEBTOR_PAGE: _DEFAULT,
    Source.PHONE: _DEFAULT,
    Source.CREDITOR: _DEFAULT,
    Source.REGULATOR_12378: Sla(
        acknowledge=_ACK,
        resolve=Period(5, DayCount.WORKING),
        basis="5 working days for regulator-forwarded complaints: institution policy "
        "(stricter than the 15 days); acknowledgement 1 working day: institution policy",
    ),
}


@dataclass(frozen=True, slots=True)
class Deadlines:
    acknowledge_by: datetime
    resolve_by: datetime


def deadlines(source: Source, received_at: datetime) -> Deadlines:
    sla = SLAS[source]
    return Deadlines(sla.acknowledge.due(received_at), sla.resolve.due(received_at))


@dataclass(frozen=True, slots=True)
class Timer:
    """How long until (or since) a deadline, in the largest whole unit: 2d, 3h or 45m."""

    overdue: bool
    amount: int
    unit: str  # "d", "h" or "m"

    @property
    def text(self) -> str:
        return f"{'overdue' if self.overdue else 'due in'} {self.amount}{self.unit}"


def timer(due_at: datetime, now: datetime) -> Timer:
    """The timer of ``due_at`` seen at ``now`` (whole units, rounded down).

    >>> now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    >>> timer(now + timedelta(hours=3, minutes=20), now).text
    'due in 3h'
    >>> timer(now - timedelta(days=2, hours=5), now).text
    'overdue 2d'
    >>> timer(now + timedelta(minutes=59), now).text
    'due in 59m'
    """
    if due_at.tzinfo is None:  # SQLite drops the offset; stored values are UTC
        due_at = due_at.replace(tzinfo=UTC)
    left = due_at - now
    overdue = left < timedelta(0)
    seconds = int(abs(left).total_seconds())
    if seconds >= 86_400:
        return Timer(overdue, seconds // 86_400, "d")
    if seconds >= 3_600:
        return Timer(overdue, seconds // 3_600, "h")
    return Timer(overdue, seconds // 60, "m")
