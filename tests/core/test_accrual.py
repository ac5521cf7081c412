"""Post-delinquency accrual for one account, with hand-computed figures."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from huikuan.core.accrual import (
    AccountState,
    AccountStatus,
    close_day,
    cost_cap_through,
    late_fee,
    minimum_payment,
)
from huikuan.core.balances import Balance
from huikuan.core.delinquency import DueSchedule, Pause
from huikuan.core.money import Rounding
from huikuan.core.policy import DayCount, PenaltyBase, ProductPolicy
from huikuan.core.posting import post_payment

LOAN = ProductPolicy(
    code="CL",
    interest_rate_ppm=182_500,  # 18.25% a year = 0.05% a day on ACT/365
    penalty_rate_ppm=273_750,  # 1.5× the contract rate
)


def account(**changes: object) -> AccountState:
    base = AccountState(
        account_id=1,
        product_code="CL",
        balance=Balance(principal=1_000_000),  # 10,000.00 yuan
        schedule=DueSchedule(date(2026, 3, 1), instalment=100_000, cycles=10),
        paid_to_schedule=0,
        accrued_through=date(2026, 3, 1),
        charge_start=date(2026, 3, 1),
        cap_base=1_000_000,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def run(
    state: AccountState, policy: ProductPolicy, days: int, pauses: tuple[Pause, ...] = ()
) -> AccountState:
    for _ in range(days):
        state, _ = close_day(state, policy, state.accrued_through + timedelta(days=1), pauses)
    return state


def test_a_day_of_interest_and_penalty_on_ten_thousand_yuan() -> None:
    state, charges = close_day(account(), LOAN, date(2026, 3, 2))
    # Interest: 1,000,000 fen × 18.25% ÷ 365 = 500 fen (5.00 yuan).
    assert charges.interest == 500
    # Penalty: 1,000,000 × 27.375% ÷ 365 = 750 fen; the account is 1 day past due.
    assert charges.penalty == 750
    assert state.dpd == 1
    assert state.balance == Balance(principal=1_000_000, interest=500, penalty=750)


def test_no_penalty_while_current_or_in_grace() -> None:
    graced = replace(LOAN, grace_days=3)
    state = run(account(), graced, 3)
    assert state.balance.penalty == 0  # days 1–3 inside grace
    assert state.balance.interest == 1_500
    state, charges = close_day(state, graced, date(2026, 3, 5))
    assert state.dpd == 4
    assert charges.penalty == 750


def test_penalty_on_principal_and_interest_and_compounding() -> None:
    policy = replace(LOAN, penalty_base=PenaltyBase.PRINCIPAL_AND_INTEREST)
    state = account(balance=Balance(principal=1_000_000, interest=365_000))
    _, charges = close_day(state, policy, date(2026, 3, 2))
    # (1,000,000 + 365,000) × 27.375% ÷ 365 = 1,023.75 → 1,024 half-up.
    assert charges.penalty == 1_024
    compound = replace(policy, penalty_compound=True)
    _, charges = close_day(
        account(balance=Balance(principal=1_000_000, interest=365_000, penalty=100_000)),
        compound,
        date(2026, 3, 2),
    )
    # (1,000,000 + 365,000 + 100,000) × 27.375% ÷ 365 = 1,098.75 → 1,099.
    assert charges.penalty == 1_099


def test_rounding_rule_and_day_count_are_the_policys() -> None:
    policy = ProductPolicy(code="X", interest_rate_ppm=100_000, day_count=DayCount.ACT_360)
    state = account(balance=Balance(principal=1_260))
    # 1,260 × 10% ÷ 360 = 0.35 fen → 0 half-up.
    assert close_day(state, policy, date(2026, 3, 2))[1].interest == 0
    state = account(balance=Balance(principal=1_800))
    # 1,800 × 10% ÷ 360 = 0.5 fen: half-up gives 1, banker's gives 0.
    assert close_day(state, policy, date(2026, 3, 2))[1].interest == 1
    bankers = replace(policy, rounding=Rounding.BANKERS)
    assert close_day(state, bankers, date(2026, 3, 2))[1].interest == 0


def test_late_fee_is_five_percent_of_the_unpaid_minimum_within_floor_and_ceiling() -> None:
    policy = replace(
        LOAN, late_fee_rate_ppm=50_000, late_fee_floor=1_000, late_fee_ceiling=20_000, grace_days=3
    )
    assert late_fee(100_000, policy) == 5_000
    assert late_fee(10_000, policy) == 1_000  # 5% is 500: the floor of 10.00 applies
    assert late_fee(1_000_000, policy) == 20_000  # 5% is 50,000: the ceiling of 200.00 applies
    assert late_fee(0, policy) == 0
    state = run(account(), policy, 3)
    assert state.balance.fee == 0
    state, charges = close_day(state, policy, date(2026, 3, 5))  # first day past due + grace
    assert charges.fee == 5_000
    state = run(state, policy, 27)  # through 1 April: April's cycle not yet past grace
    assert state.balance.fee == 5_000
    state = run(state, policy, 4)  # 5 April: the April cycle is missed too
    assert state.balance.fee == 10_000


def test_a_paid_cycle_earns_no_late_fee() -> None:
    policy = replace(LOAN, late_fee_rate_ppm=50_000)
    state = account(paid_to_schedule=100_000)  # March instalment paid in advance
    state = run(state, policy, 31)
    assert state.balance.fee == 0
    assert state.dpd == 0


def test_cost_cap_of_24_percent_a_year_stops_further_charges() -> None:
    policy = replace(
        LOAN, interest_rate_ppm=240_000, penalty_rate_ppm=120_000, cost_cap_ppm=240_000
    )
    # One year at 24% on 10,000.00 allows at most 2,400.00 in everything charged.
    assert cost_cap_through(1_000_000, date(2026, 3, 1), date(2027, 2, 28), policy) == 240_000
    state = run(account(charge_start=date(2026, 3, 2)), policy, 365)
    charged = state.balance.interest + state.balance.penalty + state.balance.fee
    assert charged == state.charged_total
    assert charged <= 240_000
    # Interest alone uses the whole allowance (interest is clipped last-in: it goes first).
    assert state.balance.interest == 240_000
    assert state.balance.penalty == 0


def test_accrual_stops_in_a_dispute_unless_the_policy_says_otherwise() -> None:
    pause = (Pause(date(2026, 3, 2), date(2026, 3, 12), "dispute"),)
    state = run(account(), LOAN, 10, pause)
    assert state.balance.interest == 0
    assert state.dpd == 0
    keeps_accruing = replace(LOAN, accrue_during_pause=True)
    state = run(account(), keeps_accruing, 10, pause)
    assert state.balance.interest == 5_000
    assert state.balance.penalty == 0  # the clock is still stopped: DPD stays 0


def test_settled_and_written_off_accounts_do_not_accrue() -> None:
    for status in (AccountStatus.SETTLED, AccountStatus.WRITTEN_OFF, AccountStatus.RECALLED):
        state = run(account(status=status), LOAN, 30)
        assert state.balance == Balance(principal=1_000_000)


def test_days_are_closed_in_order() -> None:
    with pytest.raises(ValueError, match="one at a time"):
        close_day(account(), LOAN, date(2026, 3, 3))


def test_minimum_payment_is_ten_percent_of_principal_plus_charges_with_a_floor() -> None:
    policy = ProductPolicy(code="CC", min_payment_principal_ppm=100_000, min_payment_floor=10_000)
    assert (
        minimum_payment(Balance(principal=1_000_000, interest=5_000, fee=2_000), policy) == 107_000
    )
    assert minimum_payment(Balance(principal=50_000), policy) == 10_000
    assert minimum_payment(Balance(principal=5_000), policy) == 5_000  # never above the balance


def test_payment_goes_fees_penalty_interest_principal_and_moves_the_oldest_due_date() -> None:
    state = run(account(), LOAN, 10)  # 10 days: interest 5,000, penalty 7,500
    state, allocation = post_payment(state, 112_500, LOAN)
    assert allocation is not None
    assert allocation.by_component() == Balance(principal=100_000, interest=5_000, penalty=7_500)
    assert state.balance == Balance(principal=900_000)
    assert state.schedule.oldest_unpaid_due(state.paid_to_schedule, date(2026, 3, 11)) is None


def test_overpayment_settles_the_account_and_is_held_as_credit() -> None:
    state, _ = post_payment(account(), 1_050_000, LOAN)
    assert state.status is AccountStatus.SETTLED
    assert state.credit == 50_000
    state, allocation = post_payment(state, 1_000, LOAN)
    assert allocation is None
    assert state.credit == 51_000
