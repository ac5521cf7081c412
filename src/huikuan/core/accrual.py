"""Post-delinquency accrual: one account, one business day at a time.

Data flow for a day ``d`` (the nightly run calls :func:`close_day` once per account per day,
after the day's payments are applied):

1. DPD as of ``d`` from the due schedule, the amount paid toward it, grace days and pauses.
2. Unless the account is closed or paused (and the policy stops accrual in pauses), compute
   from the balances at the start of the day: contractual interest, penalty interest (罚息, only
   on delinquent days) and, on the day after a cycle's due date plus grace, the late fee
   (违约金) on that cycle's unpaid minimum.
3. Clip the day's charges, interest first, so that everything charged since ``charge_start``
   stays within the annualised cost cap.

Every division is named: daily interest and penalty use the policy's rounding; the cost cap
floors (never over-charge). The vectorised nightly run implements exactly these steps and a
property test holds the two to the same minor unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from huikuan.core.balances import Balance
from huikuan.core.delinquency import DueSchedule, Pause, days_past_due
from huikuan.core.money import PPM, Rounding, apply_rate, divide
from huikuan.core.policy import PenaltyBase, ProductPolicy


class AccountStatus(StrEnum):
    OPEN = "open"  # 在催: accrues and ages
    SETTLED = "settled"  # 结清
    RECALLED = "recalled"  # 撤案 / 退案
    WRITTEN_OFF = "written_off"  # 核销


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the nightly core knows of one account at the end of ``accrued_through``."""

    account_id: int
    product_code: str
    balance: Balance
    schedule: DueSchedule
    paid_to_schedule: int
    accrued_through: date
    charge_start: date
    cap_base: int
    charged_total: int = 0
    status: AccountStatus = AccountStatus.OPEN
    credit: int = 0  # 溢缴款: overpayment held for the debtor
    dpd: int = 0


@dataclass(frozen=True, slots=True)
class DayCharges:
    """What one day added to one account (after the cost cap)."""

    interest: int = 0
    penalty: int = 0
    fee: int = 0

    @property
    def total(self) -> int:
        return self.interest + self.penalty + self.fee


def daily_amount(base: int, annual_rate_ppm: int, policy: ProductPolicy) -> int:
    """One day of an annual rate on ``base``: ``base × rate ÷ days-in-year``, policy rounding."""
    return divide(base * annual_rate_ppm, PPM * policy.day_count.days_in_year, policy.rounding)


def minimum_payment(balance: Balance, policy: ProductPolicy) -> int:
    """最低还款额: a share of principal plus all interest, penalty and fees, with a floor.

    Never more than the whole balance.
    """
    share = apply_rate(balance.principal, policy.min_payment_principal_ppm, policy.rounding)
    required = max(
        policy.min_payment_floor, share + balance.interest + balance.penalty + balance.fee
    )
    return min(balance.total, required)


def late_fee(unpaid_minimum: int, policy: ProductPolicy) -> int:
    """违约金 for one missed cycle: a share of the unpaid minimum, within floor and ceiling."""
    if unpaid_minimum <= 0 or (policy.late_fee_rate_ppm == 0 and policy.late_fee_floor == 0):
        return 0
    fee = max(
        policy.late_fee_floor, apply_rate(unpaid_minimum, policy.late_fee_rate_ppm, policy.rounding)
    )
    return fee if policy.late_fee_ceiling is None else min(fee, policy.late_fee_ceiling)


def missed_cycle_unpaid(schedule: DueSchedule, paid: int, day: date, grace_days: int) -> int:
    """On the first day past a cycle's due date plus grace, that cycle's unpaid amount, else 0."""
    looked_at = day - timedelta(days=grace_days + 1)
    months = (looked_at.year - schedule.first_due.year) * 12 + (
        looked_at.month - schedule.first_due.month
    )
    if months < 0 or (schedule.cycles is not None and months >= schedule.cycles):
        return 0
    if schedule.due_date(months) != looked_at:
        return 0
    owed_through_cycle = (months + 1) * schedule.instalment
    return max(0, min(schedule.instalment, owed_through_cycle - paid))


def cost_cap_through(
    cap_base: int, charge_start: date, day: date, policy: ProductPolicy
) -> int | None:
    """Most that may have been charged from ``charge_start`` through ``day`` (``None``: no cap).

    Named rounding: the annual cap amount is floored, then its share for the elapsed days is
    floored, so the cap is never exceeded by a rounding step.
    """
    if policy.cost_cap_ppm is None:
        return None
    elapsed = (day - charge_start).days + 1
    if elapsed <= 0:
        return 0
    annual_cap = divide(cap_base * policy.cost_cap_ppm, PPM, Rounding.FLOOR)
    return divide(annual_cap * elapsed, policy.day_count.days_in_year, Rounding.FLOOR)


def accrues_on(
    state: AccountState, policy: ProductPolicy, pauses: Sequence[Pause], day: date
) -> bool:
    if state.status is not AccountStatus.OPEN:
        return False
    return policy.accrue_during_pause or not any(pause.covers(day) for pause in pauses)


def charges_for_day(
    state: AccountState, policy: ProductPolicy, pauses: Sequence[Pause], day: date, dpd: int
) -> DayCharges:
    """Interest, penalty and late fee for ``day`` from start-of-day balances, cost cap applied."""
    if not accrues_on(state, policy, pauses, day):
        return DayCharges()
    balance = state.balance
    interest_base = balance.principal + (balance.interest if policy.interest_compound else 0)
    interest = daily_amount(interest_base, policy.interest_rate_ppm, policy)
    penalty = 0
    if dpd > 0:
        penalty_base = balance.principal
        if policy.penalty_base is PenaltyBase.PRINCIPAL_AND_INTEREST:
            penalty_base += balance.interest
        if policy.penalty_compound:
            penalty_base += balance.penalty
        penalty = daily_amount(penalty_base, policy.penalty_rate_ppm, policy)
    unpaid = missed_cycle_unpaid(state.schedule, state.paid_to_schedule, day, policy.grace_days)
    fee = late_fee(unpaid, policy)
    cap = cost_cap_through(state.cap_base, state.charge_start, day, policy)
    if cap is not None:
        room = max(0, cap - state.charged_total)
        interest = min(interest, room)
        room -= interest
        penalty = min(penalty, room)
        room -= penalty
        fee = min(fee, room)
    return DayCharges(interest=interest, penalty=penalty, fee=fee)


def close_day(
    state: AccountState, policy: ProductPolicy, day: date, pauses: Sequence[Pause] = ()
) -> tuple[AccountState, DayCharges]:
    """Age and accrue one account through ``day`` (the day after ``state.accrued_through``)."""
    if day != state.accrued_through + timedelta(days=1):
        raise ValueError(
            f"account {state.account_id}: accrued through {state.accrued_through}, "
            f"cannot close {day} (days are closed one at a time, in order)"
        )
    oldest = state.schedule.oldest_unpaid_due(state.paid_to_schedule, day)
    dpd = days_past_due(oldest, day, grace_days=policy.grace_days, pauses=pauses)
    charges = charges_for_day(state, policy, pauses, day, dpd)
    balance = Balance(
        principal=state.balance.principal,
        interest=state.balance.interest + charges.interest,
        penalty=state.balance.penalty + charges.penalty,
        fee=state.balance.fee + charges.fee,
    )
    updated = replace(
        state,
        balance=balance,
        accrued_through=day,
        charged_total=state.charged_total + charges.total,
        dpd=dpd,
    )
    return updated, charges
