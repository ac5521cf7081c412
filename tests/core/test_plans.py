"""Instalment plans (分期) and settlements (协商还款, 减免): hand-computed scenarios, properties."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from huikuan.core.balances import Balance, Component, Receipt
from huikuan.core.money import Rounding, parse_minor
from huikuan.core.plans import (
    MAX_PLAN_MONTHS,
    WAIVER_ORDER,
    InstalmentState,
    Plan,
    PlanPolicy,
    PlanStatus,
    PlanTerms,
    PlanTermsError,
    ScheduleKind,
    WaiverRules,
    build_schedule,
    due_dates,
    evaluate_plan,
    level_payment,
    make_plan,
    plan_settlement,
    settle_by_rules,
    settle_for_amount,
)

EQUAL_INSTALMENT = ScheduleKind.EQUAL_INSTALMENT
EQUAL_PRINCIPAL = ScheduleKind.EQUAL_PRINCIPAL
CUSTOM = ScheduleKind.CUSTOM
ALL_FEES = 1_000_000


def yuan(text: str) -> int:
    return parse_minor(text)


def paid(on: date, amount: str) -> Receipt:
    return Receipt(on, yuan(amount))


def terms(
    kind: ScheduleKind = EQUAL_INSTALMENT,
    amount: str = "12000.00",
    months: int = 12,
    *,
    start_on: date = date(2024, 1, 15),
    first_due_on: date = date(2024, 2, 15),
    rate_ppm: int = 0,
    down: str = "0",
    custom: tuple[str, ...] = (),
) -> PlanTerms:
    return PlanTerms(
        kind=kind,
        amount=yuan(amount),
        months=months,
        start_on=start_on,
        first_due_on=first_due_on,
        annual_rate_ppm=rate_ppm,
        down_payment=yuan(down),
        custom_amounts=tuple(yuan(a) for a in custom),
    )


# ------------------------------------------------------------------------------------------
# Schedules
# ------------------------------------------------------------------------------------------


def test_zero_rate_plan_of_12000_over_12_months_is_1000_a_month() -> None:
    # 停息分期: 12,000.00 frozen, 12 months from 2024-02-15 → 1,000.00 on the 15th of each month.
    plan = make_plan(terms())
    assert [row.amount for row in plan.instalments] == [yuan("1000.00")] * 12
    assert plan.instalments[0].due_on == date(2024, 2, 15)
    assert plan.instalments[-1].due_on == date(2025, 1, 15)
    assert plan.total_interest == 0
    assert plan.total == yuan("12000.00")


def test_equal_instalment_10000_at_12_percent_for_a_year_is_888_49_a_month() -> None:
    # Monthly rate r = 12% / 12 = 1%; (1.01)^12 = 1.126825030131969720661201;
    # payment = 10,000 × 0.01 × 1.126825… / 0.126825… = 888.4878867… → 888.49 (half up).
    rate = Fraction(1, 100)
    exact = 10_000 * rate * (1 + rate) ** 12 / ((1 + rate) ** 12 - 1)
    assert Fraction(88848, 100) < exact < Fraction(88849, 100)

    plan = make_plan(terms(amount="10000.00", rate_ppm=120_000))
    rows = plan.instalments
    assert [row.amount for row in rows[:11]] == [yuan("888.49")] * 11
    # Month 1: interest 10,000.00 × 1% = 100.00, principal 888.49 − 100.00 = 788.49.
    assert (rows[0].interest, rows[0].principal) == (yuan("100.00"), yuan("788.49"))
    # Month 2: interest (10,000.00 − 788.49) × 1% = 92.1151 → 92.12.
    assert rows[1].interest == yuan("92.12")
    # The last instalment repays what principal is left (879.67) plus 8.80 interest: 888.47.
    assert (rows[-1].principal, rows[-1].interest) == (yuan("879.67"), yuan("8.80"))
    assert sum(row.principal for row in rows) == yuan("10000.00")
    # 11 × 888.49 + 888.47 = 10,661.86, so the year's interest is 661.86.
    assert plan.total == yuan("10661.86")
    assert plan.total_interest == yuan("661.86")


def test_level_payment_rounding_is_a_named_rule() -> None:
    assert level_payment(1_000_000, 120_000, 12, Rounding.HALF_UP) == 88849
    assert level_payment(1_000_000, 120_000, 12, Rounding.DOWN) == 88848
    assert level_payment(1_000_000, 0, 3, Rounding.HALF_UP) == 333333


def test_equal_principal_12000_at_12_percent_interest_on_declining_balance() -> None:
    # 等额本金: 1,000.00 principal a month; month 1 interest 12,000.00 × 1% = 120.00 → 1,120.00;
    # month 2: 11,000.00 × 1% = 110.00 → 1,110.00; … month 12: 1,000.00 × 1% → 1,010.00.
    plan = make_plan(terms(EQUAL_PRINCIPAL, rate_ppm=120_000))
    amounts = [row.amount for row in plan.instalments]
    assert amounts[0] == yuan("1120.00")
    assert amounts[1] == yuan("1110.00")
    assert amounts[-1] == yuan("1010.00")
    # Interest 120 + 110 + … + 10 = 10 × (12 × 13 / 2) = 780.00.
    assert plan.total_interest == yuan("780.00")


def test_equal_principal_remainder_goes_to_the_last_instalment() -> None:
    # 10,000.00 / 3 = 3,333.333…: 3,333.33 twice, and the last takes 3,333.34.
    plan = make_plan(terms(EQUAL_PRINCIPAL, amount="10000.00", months=3))
    assert [row.amount for row in plan.instalments] == [
        yuan("3333.33"),
        yuan("3333.33"),
        yuan("3333.34"),
    ]


def test_zero_rate_equal_instalment_last_absorbs_rounding() -> None:
    # 10,000.00 / 3 = 3,333.33 (half up) twice; the last is 10,000.00 − 6,666.66 = 3,333.34.
    plan = make_plan(terms(amount="10000.00", months=3))
    assert [row.amount for row in plan.instalments] == [
        yuan("3333.33"),
        yuan("3333.33"),
        yuan("3333.34"),
    ]


def test_down_payment_is_due_on_the_start_date_and_the_rest_is_spread() -> None:
    # 5,000.00 with 首付 1,000.00 on 2024-01-15; 4,000.00 over 4 months = 1,000.00 each.
    plan = make_plan(terms(amount="5000.00", months=4, down="1000.00"))
    first = plan.instalments[0]
    assert first.is_down_payment
    assert (first.number, first.due_on, first.amount) == (0, date(2024, 1, 15), yuan("1000.00"))
    assert [row.number for row in plan.instalments] == [0, 1, 2, 3, 4]
    assert [row.amount for row in plan.instalments[1:]] == [yuan("1000.00")] * 4
    assert plan.total == yuan("5000.00")


def test_interest_is_charged_on_the_financed_part_only() -> None:
    # 11,000.00 with 1,000.00 down: 10,000.00 financed at 12% → the same 888.49 as above.
    plan = make_plan(terms(amount="11000.00", down="1000.00", rate_ppm=120_000))
    assert plan.instalments[1].amount == yuan("888.49")
    assert plan.total == yuan("11661.86")


def test_custom_amounts_must_add_up_to_the_financed_amount() -> None:
    plan = make_plan(terms(CUSTOM, amount="3000.00", months=3, custom=("500", "1000", "1500")))
    assert [row.amount for row in plan.instalments] == [yuan("500"), yuan("1000"), yuan("1500")]
    with pytest.raises(PlanTermsError, match=r"add up to 2,999\.99 .*\(difference -0\.01\)"):
        terms(CUSTOM, amount="3000.00", months=3, custom=("500", "1000", "1499.99"))
    with pytest.raises(PlanTermsError, match="needs 3 amounts"):
        terms(CUSTOM, amount="3000.00", months=3, custom=("1500", "1500"))
    with pytest.raises(PlanTermsError, match="interest rate"):
        terms(CUSTOM, amount="3000.00", months=1, custom=("3000",), rate_ppm=10_000)


def test_due_dates_clip_to_month_end_without_drifting() -> None:
    # Anchored on the 31st: Feb clips to 29 (2024 is a leap year) but March is back on the 31st.
    assert due_dates(date(2024, 1, 31), 4) == (
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    )
    # A 2025 plan: Feb 28, and the year turns over correctly.
    plan = make_plan(terms(start_on=date(2024, 11, 30), first_due_on=date(2024, 12, 31), months=3))
    assert [row.due_on for row in plan.instalments] == [
        date(2024, 12, 31),
        date(2025, 1, 31),
        date(2025, 2, 28),
    ]


def test_hardship_plans_run_at_most_60_months() -> None:
    assert len(make_plan(terms(months=MAX_PLAN_MONTHS)).instalments) == 60
    with pytest.raises(PlanTermsError, match="at most 60 months; 61 months"):
        terms(months=61)
    with pytest.raises(PlanTermsError, match="at least one"):
        terms(months=0)


def test_terms_a_user_can_get_wrong_are_refused_with_a_reason() -> None:
    with pytest.raises(PlanTermsError, match="down payment"):
        terms(amount="1000.00", down="1000.00")
    with pytest.raises(PlanTermsError, match="before the plan starts"):
        terms(start_on=date(2024, 3, 1), first_due_on=date(2024, 2, 15))
    with pytest.raises(PlanTermsError, match=r"at least 0\.01"):
        terms(amount="0.10", months=12)
    with pytest.raises(PlanTermsError, match=r"0\.00 after rounding"):
        build_schedule(terms(amount="0.90", months=60))


# ------------------------------------------------------------------------------------------
# Settlements (协商还款) and waivers (减免)
# ------------------------------------------------------------------------------------------

# A credit-card account in M4: 10,000.00 principal, 1,234.57 interest, 567.89 penalty, 200.00
# fees; 12,002.46 in all.
CARD = Balance(
    principal=yuan("10000.00"),
    interest=yuan("1234.57"),
    penalty=yuan("567.89"),
    fee=yuan("200.00"),
)


def test_waiver_rules_waive_by_component_and_round_down() -> None:
    # All fees (200.00), half the penalty (283.945 → 283.94), 30% interest (370.371 → 370.37).
    rules = WaiverRules(fee_ppm=ALL_FEES, penalty_ppm=500_000, interest_ppm=300_000)
    settlement = settle_by_rules(CARD, rules)
    assert settlement.waived == Balance(
        principal=0, interest=yuan("370.37"), penalty=yuan("283.94"), fee=yuan("200.00")
    )
    # Waived 854.31; payable 12,002.46 − 854.31 = 11,148.15.
    assert settlement.waived_total == yuan("854.31")
    assert settlement.payable_total == yuan("11148.15")
    assert settlement.payable == Balance(
        principal=yuan("10000.00"), interest=yuan("864.20"), penalty=yuan("283.95"), fee=0
    )
    assert settlement.waiver_lines() == (
        (Component.FEE, yuan("200.00")),
        (Component.PENALTY, yuan("283.94")),
        (Component.INTEREST, yuan("370.37")),
        (Component.PRINCIPAL, 0),
    )


def test_settling_for_an_amount_waives_fees_then_penalty_then_interest() -> None:
    # Settle for 10,500.00: waive 1,502.46 = fees 200.00 + penalty 567.89 + interest 734.57.
    settlement = settle_for_amount(CARD, yuan("10500.00"))
    assert settlement.waived == Balance(
        principal=0, interest=yuan("734.57"), penalty=yuan("567.89"), fee=yuan("200.00")
    )
    assert settlement.payable == Balance(principal=yuan("10000.00"), interest=yuan("500.00"))
    assert settlement.payable_total == yuan("10500.00")


def test_settling_below_principal_waives_part_of_the_principal() -> None:
    # Settle for 9,000.00: everything but principal waived, and 1,000.00 of principal too.
    settlement = settle_for_amount(CARD, yuan("9000.00"))
    assert settlement.waived.principal == yuan("1000.00")
    assert settlement.payable == Balance(principal=yuan("9000.00"))


def test_the_waiver_order_is_data() -> None:
    # A creditor that waives interest before penalty: settle for 11,000.00 → waive 1,002.46 =
    # fees 200.00 + interest 802.46; penalty untouched.
    order = (Component.FEE, Component.INTEREST, Component.PENALTY, Component.PRINCIPAL)
    settlement = settle_for_amount(CARD, yuan("11000.00"), order)
    assert settlement.waived == Balance(interest=yuan("802.46"), fee=yuan("200.00"))
    assert settlement.waiver_lines()[1] == (Component.INTEREST, yuan("802.46"))
    with pytest.raises(PlanTermsError, match="every balance component exactly once"):
        settle_for_amount(CARD, yuan("11000.00"), (Component.FEE, Component.FEE))


def test_a_settlement_amount_must_be_within_the_balance() -> None:
    with pytest.raises(PlanTermsError, match=r"at most the balance 12,002\.46"):
        settle_for_amount(CARD, yuan("12002.47"))
    with pytest.raises(PlanTermsError, match="above 0"):
        settle_for_amount(CARD, 0)
    assert settle_for_amount(CARD, CARD.total).waived == Balance()


def test_a_settlement_paid_in_one_sum_or_three_months() -> None:
    settlement = settle_by_rules(CARD, WaiverRules(fee_ppm=ALL_FEES, penalty_ppm=500_000))
    # Payable 12,002.46 − 200.00 − 283.94 = 11,518.52.
    assert settlement.payable_total == yuan("11518.52")
    one_sum = plan_settlement(
        settlement, agreed_on=date(2024, 6, 3), first_due_on=date(2024, 6, 10)
    )
    assert [(row.due_on, row.amount) for row in one_sum.instalments] == [
        (date(2024, 6, 10), yuan("11518.52"))
    ]
    # 2,000.00 down today, then 9,518.52 over 3 months: 3,172.84 each (exactly divisible).
    short = plan_settlement(
        settlement,
        agreed_on=date(2024, 6, 3),
        first_due_on=date(2024, 7, 3),
        months=3,
        down_payment=yuan("2000.00"),
    )
    assert [row.amount for row in short.instalments] == [
        yuan("2000.00"),
        yuan("3172.84"),
        yuan("3172.84"),
        yuan("3172.84"),
    ]
    assert short.total_interest == 0


# ------------------------------------------------------------------------------------------
# Plan status as receipts arrive
# ------------------------------------------------------------------------------------------

# 3,000.00 frozen over 3 months: 1,000.00 due 2024-01-31, 2024-02-29, 2024-03-31.
# Policy: 15 grace days, broken at 2 consecutive misses, 1% shortfall tolerance.
POLICY = PlanPolicy(
    grace_days=15, broken_after_consecutive_missed=2, shortfall_tolerance_ppm=10_000
)
THREE_MONTHS = make_plan(
    terms(amount="3000.00", months=3, start_on=date(2024, 1, 10), first_due_on=date(2024, 1, 31)),
    POLICY,
)


def test_a_new_plan_is_on_track_and_nothing_is_overdue() -> None:
    evaluation = evaluate_plan(THREE_MONTHS, (), date(2024, 1, 31))  # due today: not yet late
    assert evaluation.status is PlanStatus.ON_TRACK
    assert evaluation.overdue == 0
    assert evaluation.outstanding == yuan("3000.00")
    assert {row.state for row in evaluation.instalments} == {InstalmentState.UPCOMING}


def test_an_unpaid_instalment_within_grace_is_missed_and_breaks_after_grace() -> None:
    # Nothing paid. Jan 31 + 15 grace days = Feb 15 is the last grace day.
    on_feb_15 = evaluate_plan(THREE_MONTHS, (), date(2024, 2, 15))
    assert on_feb_15.status is PlanStatus.MISSED
    first = on_feb_15.instalments[0]
    assert (first.state, first.overdue, first.days_past_due) == (
        InstalmentState.LATE,
        yuan("1000.00"),
        15,
    )
    on_feb_16 = evaluate_plan(THREE_MONTHS, (), date(2024, 2, 16))
    assert on_feb_16.status is PlanStatus.BROKEN
    assert on_feb_16.broke_on == date(2024, 2, 16)
    assert on_feb_16.instalments[0].state is InstalmentState.DEFAULTED


def test_paying_within_grace_cures_a_missed_plan() -> None:
    receipts = (paid(date(2024, 2, 10), "1000.00"),)
    evaluation = evaluate_plan(THREE_MONTHS, receipts, date(2024, 2, 20))
    assert evaluation.status is PlanStatus.ON_TRACK
    assert evaluation.instalments[0].settled_on == date(2024, 2, 10)


def test_a_payment_on_the_last_grace_day_still_counts() -> None:
    # Jan 31 instalment paid on Feb 15, the 15th grace day: late, but the plan holds.
    receipts = (paid(date(2024, 2, 15), "1000.00"),)
    evaluation = evaluate_plan(THREE_MONTHS, receipts, date(2024, 2, 20))
    assert (evaluation.status, evaluation.broke_on) == (PlanStatus.ON_TRACK, None)
    # With no grace the due date itself is the last day: one day late breaks the plan.
    strict = make_plan(THREE_MONTHS.terms, PlanPolicy(grace_days=0))
    on_time = (paid(date(2024, 1, 31), "1000.00"),)
    assert evaluate_plan(strict, on_time, date(2024, 2, 5)).status is PlanStatus.ON_TRACK
    a_day_late = (paid(date(2024, 2, 1), "1000.00"),)
    assert evaluate_plan(strict, a_day_late, date(2024, 2, 5)).broke_on == date(2024, 2, 1)


def test_two_consecutive_misses_break_a_plan_with_long_grace() -> None:
    # 45 grace days, but the Jan 31 and Feb 29 instalments are both unpaid on Mar 1.
    lenient = make_plan(THREE_MONTHS.terms, PlanPolicy(grace_days=45))
    assert evaluate_plan(lenient, (), date(2024, 2, 29)).status is PlanStatus.MISSED
    evaluation = evaluate_plan(lenient, (), date(2024, 3, 1))
    assert evaluation.status is PlanStatus.BROKEN
    assert evaluation.broke_on == date(2024, 3, 1)
    assert evaluation.overdue == yuan("2000.00")


def test_a_broken_plan_stays_broken_when_the_debtor_catches_up_late() -> None:
    # Jan instalment paid on Feb 20, after grace (Feb 15): the plan broke on Feb 16.
    receipts = (paid(date(2024, 2, 20), "1000.00"), paid(date(2024, 2, 29), "1000.00"))
    evaluation = evaluate_plan(THREE_MONTHS, receipts, date(2024, 3, 5))
    assert evaluation.status is PlanStatus.BROKEN
    assert evaluation.broke_on == date(2024, 2, 16)
    assert evaluation.overdue == 0
    # Paying everything completes it, but the break stays on record.
    all_paid = (*receipts, paid(date(2024, 3, 31), "1000.00"))
    done = evaluate_plan(THREE_MONTHS, all_paid, date(2024, 4, 1))
    assert done.status is PlanStatus.COMPLETED
    assert done.broke_on == date(2024, 2, 16)


def test_a_plan_paid_on_time_is_completed() -> None:
    receipts = (
        paid(date(2024, 1, 30), "1000.00"),
        paid(date(2024, 2, 29), "1000.00"),
        paid(date(2024, 3, 28), "1000.00"),
    )
    assert evaluate_plan(THREE_MONTHS, receipts[:2], date(2024, 3, 1)).status is (
        PlanStatus.ON_TRACK
    )
    evaluation = evaluate_plan(THREE_MONTHS, receipts, date(2024, 4, 30))
    assert evaluation.status is PlanStatus.COMPLETED
    assert evaluation.completed_on == date(2024, 3, 28)
    assert evaluation.broke_on is None
    assert (evaluation.paid, evaluation.outstanding, evaluation.unapplied) == (300000, 0, 0)


def test_receipts_go_to_the_oldest_instalment_first() -> None:
    # One 1,500.00 payment on Feb 10: Jan's 1,000.00 in full, 500.00 toward Feb's.
    evaluation = evaluate_plan(
        THREE_MONTHS, (paid(date(2024, 2, 10), "1500.00"),), date(2024, 3, 5)
    )
    assert [row.paid for row in evaluation.instalments] == [yuan("1000.00"), yuan("500.00"), 0]
    assert evaluation.instalments[1].overdue == yuan("500.00")
    assert evaluation.instalments[1].state is InstalmentState.LATE
    assert evaluation.status is PlanStatus.MISSED


def test_a_small_shortfall_within_tolerance_counts_as_paid() -> None:
    # 1% of 1,000.00 = 10.00 tolerated: 990.00 settles the instalment, 989.99 does not.
    within = evaluate_plan(THREE_MONTHS, (paid(date(2024, 1, 31), "990.00"),), date(2024, 2, 20))
    assert within.status is PlanStatus.ON_TRACK
    assert within.instalments[0].state is InstalmentState.PAID
    assert within.instalments[0].overdue == yuan("10.00")  # still owed, just not a miss
    short = evaluate_plan(THREE_MONTHS, (paid(date(2024, 1, 31), "989.99"),), date(2024, 2, 20))
    assert short.status is PlanStatus.BROKEN


def test_receipts_after_the_business_date_are_not_yet_known() -> None:
    receipts = (paid(date(2024, 2, 1), "3500.00"),)
    before = evaluate_plan(THREE_MONTHS, receipts, date(2024, 1, 31))
    assert (before.received, before.status) == (0, PlanStatus.ON_TRACK)
    after = evaluate_plan(THREE_MONTHS, receipts, date(2024, 2, 1))
    assert after.status is PlanStatus.COMPLETED
    assert after.unapplied == yuan("500.00")  # 溢缴: beyond the plan total


def test_an_unpaid_down_payment_is_an_instalment_like_any_other() -> None:
    plan = make_plan(
        terms(amount="5000.00", months=4, down="1000.00", start_on=date(2024, 1, 15)),
        PlanPolicy(grace_days=3),
    )
    assert evaluate_plan(plan, (), date(2024, 1, 18)).status is PlanStatus.MISSED
    assert evaluate_plan(plan, (), date(2024, 1, 19)).broke_on == date(2024, 1, 19)


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------

START = date(2024, 1, 1)


@st.composite
def plan_terms(draw: st.DrawFn) -> PlanTerms:
    months = draw(st.integers(1, MAX_PLAN_MONTHS))
    kind = draw(st.sampled_from(ScheduleKind))
    # At least 1.00 a month financed; up to 10 million yuan.
    financed = draw(st.integers(months * 100, 1_000_000_000))
    down = draw(st.one_of(st.just(0), st.integers(1, 100_000_000)))
    first_due = START + timedelta(days=draw(st.integers(0, 60)))
    if kind is CUSTOM:
        size = months - 1
        cuts = sorted(draw(st.sets(st.integers(1, financed - 1), min_size=size, max_size=size)))
        bounds = [0, *cuts, financed]
        custom = tuple(b - a for a, b in pairwise(bounds))
        rate = 0
    else:
        custom = ()
        rate = draw(st.one_of(st.just(0), st.integers(1, 360_000)))
    return PlanTerms(
        kind=kind,
        amount=financed + down,
        months=months,
        start_on=START,
        first_due_on=first_due,
        annual_rate_ppm=rate,
        down_payment=down,
        custom_amounts=custom,
    )


@given(plan_terms())
def test_schedules_add_up_exactly(agreed: PlanTerms) -> None:
    rows = build_schedule(agreed)
    monthly = [row for row in rows if not row.is_down_payment]
    assert len(monthly) == agreed.months
    assert sum(row.principal for row in rows) == agreed.amount
    assert sum(row.amount for row in rows) == agreed.amount + sum(r.interest for r in rows)
    assert all(row.amount > 0 and row.principal >= 0 and row.interest >= 0 for row in rows)
    assert [row.due_on for row in monthly] == list(due_dates(agreed.first_due_on, agreed.months))
    if agreed.annual_rate_ppm == 0:
        assert sum(row.amount for row in rows) == agreed.amount
    if agreed.kind is EQUAL_INSTALMENT:
        assert len({row.amount for row in monthly[:-1]}) <= 1  # level until the last


@given(st.dates(date(2000, 1, 1), date(2090, 12, 31)), st.integers(1, 60))
def test_due_dates_keep_the_anchor_day_or_the_month_end(first: date, months: int) -> None:
    dates = due_dates(first, months)
    for k, due in enumerate(dates):
        assert (due.year * 12 + due.month) - (first.year * 12 + first.month) == k
        next_day = due + timedelta(days=1)
        assert due.day == first.day or (due.day < first.day and next_day.day == 1)


components = st.integers(0, 10**10)
balances = st.builds(Balance, components, components, components, components)
rates = st.integers(0, 1_000_000)


@given(balances, rates, rates, rates, rates)
def test_waivers_by_rule_plus_payable_equal_the_balance(
    balance: Balance, fee: int, penalty: int, interest: int, principal: int
) -> None:
    rules = WaiverRules(fee, penalty, interest, principal)
    try:
        settlement = settle_by_rules(balance, rules)
    except PlanTermsError:
        assert (
            balance.total - sum(balance.get(c) * rules.rate_for(c) // 1_000_000 for c in Component)
            == 0
        )
        return
    assert settlement.waived.plus(settlement.payable) == balance
    assert settlement.waived_total + settlement.payable_total == balance.total
    for component in Component:
        # Never more than the approved share of a component.
        waived = settlement.waived.get(component)
        assert waived * 1_000_000 <= balance.get(component) * rules.rate_for(component)


@given(balances, st.data())
def test_settling_for_an_amount_waives_in_order_and_adds_up(
    balance: Balance, data: st.DataObject
) -> None:
    assume(balance.total > 0)
    amount = data.draw(st.integers(1, balance.total))
    order = tuple(data.draw(st.permutations(list(WAIVER_ORDER))))
    settlement = settle_for_amount(balance, amount, order)
    assert settlement.payable_total == amount
    assert settlement.waived.plus(settlement.payable) == balance
    # A component is only touched once every component before it is fully waived.
    for i, component in enumerate(order):
        if settlement.waived.get(component) > 0:
            assert all(settlement.waived.get(c) == balance.get(c) for c in order[:i])


policies = st.builds(
    PlanPolicy,
    grace_days=st.integers(0, 60),
    broken_after_consecutive_missed=st.integers(1, 4),
    shortfall_tolerance_ppm=st.integers(0, 50_000),
)


@st.composite
def receipts_for(draw: st.DrawFn, plan: Plan) -> tuple[Receipt, ...]:
    """Either random lump sums, or the schedule paid instalment by instalment, some late."""
    if draw(st.booleans()):
        skips = draw(st.booleans())  # now and then an instalment is skipped
        return tuple(
            Receipt(row.due_on + timedelta(days=draw(st.integers(-10, 40))), row.amount)
            for row in plan.instalments
            if not (skips and draw(st.booleans()))
        )
    last = plan.instalments[-1].due_on + timedelta(days=90)
    days = (last - START).days
    lump = st.builds(
        Receipt,
        st.integers(0, days).map(lambda d: START + timedelta(days=d)),
        st.integers(1, max(1, plan.total // 2)),
    )
    return tuple(draw(st.lists(lump, max_size=8)))


@given(plan_terms(), policies, st.data())
def test_plan_status_is_monotone_in_receipts_and_time(
    agreed: PlanTerms, policy: PlanPolicy, data: st.DataObject
) -> None:
    plan = make_plan(agreed, policy)
    receipts = data.draw(receipts_for(plan))
    more = receipts + data.draw(receipts_for(plan))
    last = plan.instalments[-1].due_on + timedelta(days=120)
    span = (last - START).days
    as_of = START + timedelta(days=data.draw(st.one_of(st.just(span), st.integers(0, span))))
    later = as_of + timedelta(days=data.draw(st.integers(0, 400)))

    now = evaluate_plan(plan, receipts, as_of)
    assert now.paid + now.unapplied == now.received
    assert all(0 <= row.paid <= row.instalment.amount for row in now.instalments)
    if now.status is PlanStatus.COMPLETED:
        assert evaluate_plan(plan, more, as_of).status is PlanStatus.COMPLETED
        assert evaluate_plan(plan, more, later).status is PlanStatus.COMPLETED
    if now.status is PlanStatus.BROKEN:
        # Without new money a break is final; more money can only complete the plan.
        known = tuple(r for r in receipts if r.received_on <= as_of)
        assert evaluate_plan(plan, known, later).status is PlanStatus.BROKEN
    # More money never makes the plan break earlier.
    with_more = evaluate_plan(plan, more, as_of)
    if with_more.broke_on is not None:
        assert now.broke_on is not None
        assert now.broke_on <= with_more.broke_on
