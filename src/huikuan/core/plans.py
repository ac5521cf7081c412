"""Instalment plans (分期) and negotiated settlements (协商还款) with waivers (减免).

Data flow::

    Balance --settle_by_rules(WaiverRules) / settle_for_amount(amount)--> Settlement
        (waived by component + payable by component; waived + payable == balance)

    PlanTerms (kind, amount, months, dates, rate, down payment) + PlanPolicy
        --make_plan--> Plan (首付 down payment + monthly Instalments; they sum to the
                             plan amount plus plan interest, exactly)
    Settlement --plan_settlement--> Plan (one sum, or a short zero-rate plan)

    Plan + receipts + as_of --evaluate_plan--> PlanEvaluation
        (PlanStatus, paid / unpaid / overdue per instalment, broke_on, completed_on)

Schedules:

* ``EQUAL_INSTALMENT`` 等额本息: a level annuity payment at the monthly rate ``annual / 12``,
  computed exactly with :class:`fractions.Fraction` and rounded once by the plan's rounding;
  each month's interest is the remaining principal times the monthly rate (rounded the same
  way) and the rest of the payment repays principal. The last instalment repays whatever
  principal remains, so it absorbs every rounding and principal sums exactly.
* ``EQUAL_PRINCIPAL`` 等额本金: principal ``amount / months`` rounded down each month (the last
  takes the remainder), plus interest on the declining balance.
* ``CUSTOM`` 自定义: amounts given by the agent, which must add up to the financed amount exactly.

Zero-rate plans (the balance frozen, common in collections) are all three kinds with
``annual_rate_ppm=0``. Due dates run monthly from ``first_due_on`` counted from that anchor day
and clipped to month end (Jan 31 → Feb 28/29 → Mar 31). A down payment is due on ``start_on``.

Plan evaluation allocates receipts (up to ``as_of``, in date order) to instalments oldest first,
each filled completely before the next. An instalment is *settled* once it is paid to within the
policy's shortfall tolerance; the plan is COMPLETED when every instalment is settled, BROKEN once
an instalment stayed unsettled beyond the grace days or ``broken_after_consecutive_missed``
instalments were past due together (a break is final: catching up later does not restore the
plan, though paying it all still makes it COMPLETED with ``broke_on`` kept), MISSED while an
instalment is past due within those limits, ON_TRACK otherwise.

Nothing here reads the clock or does I/O; terms that a user could get wrong raise
:class:`PlanTermsError` with a message the user can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction

from huikuan.core.balances import Balance, Component, Receipt
from huikuan.core.delinquency import add_months
from huikuan.core.money import PPM, Rounding, apply_rate, divide, format_minor

MAX_PLAN_MONTHS = 60
"""个性化分期 hardship plans run at most 60 months."""

MONTHS_PER_YEAR = 12

EQUAL_PRINCIPAL_ROUNDING = Rounding.DOWN
"""等额本金 monthly principal is rounded down; the last instalment takes the remainder."""

WAIVER_ROUNDING = Rounding.DOWN
"""A waiver by percentage never waives more than the approved percentage."""

TOLERANCE_ROUNDING = Rounding.DOWN
"""A shortfall tolerance never forgives more than the policy's percentage."""


class PlanTermsError(ValueError):
    """Plan or settlement terms that cannot be accepted; the message says what to change."""


# --------------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------------


class ScheduleKind(StrEnum):
    """How a plan's instalments are computed."""

    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    CUSTOM = "custom"  # 自定义金额


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """What was agreed: ``amount`` (before plan interest) repaid by ``down_payment`` + months.

    ``amount`` is what the plan covers (the balance, or a settlement's payable); the financed
    part is ``amount - down_payment``, spread over ``months`` monthly instalments from
    ``first_due_on``. ``custom_amounts`` is used by ``CUSTOM`` plans only.
    """

    kind: ScheduleKind
    amount: int
    months: int
    start_on: date  # 协议日 / 首付日: the plan is agreed and the down payment is due
    first_due_on: date  # 首期还款日
    annual_rate_ppm: int = 0  # 年利率 in ppm; 0 = frozen balance (停息分期)
    down_payment: int = 0  # 首付
    custom_amounts: tuple[int, ...] = ()
    rounding: Rounding = Rounding.HALF_UP

    def __post_init__(self) -> None:
        if self.months < 1:
            raise PlanTermsError("a plan needs at least one monthly instalment")
        if self.months > MAX_PLAN_MONTHS:
            raise PlanTermsError(
                f"个性化分期 runs at most {MAX_PLAN_MONTHS} months; {self.months} months were "
                f"asked for: shorten the plan or settle part of the balance first"
            )
        if self.amount <= 0:
            raise PlanTermsError("the plan amount must be positive")
        if not 0 <= self.down_payment < self.amount:
            raise PlanTermsError(
                "the down payment (首付) must be at least 0 and less than the plan amount "
                f"{format_minor(self.amount)}; a payment of the whole amount needs no plan"
            )
        if self.annual_rate_ppm < 0:
            raise PlanTermsError("the plan's interest rate cannot be negative")
        if self.first_due_on < self.start_on:
            raise PlanTermsError("the first instalment cannot fall due before the plan starts")
        if self.kind is ScheduleKind.CUSTOM:
            self._check_custom()
        elif self.custom_amounts:
            raise PlanTermsError(f"custom amounts are only for {ScheduleKind.CUSTOM} plans")
        if self.financed < self.months:
            raise PlanTermsError(
                f"{format_minor(self.financed)} cannot be spread over {self.months} months: "
                "every instalment must be at least 0.01"
            )

    def _check_custom(self) -> None:
        if self.annual_rate_ppm != 0:
            raise PlanTermsError(
                "a custom plan lists the amounts owed; it cannot carry an interest rate as well"
            )
        if len(self.custom_amounts) != self.months:
            raise PlanTermsError(
                f"a custom plan of {self.months} months needs {self.months} amounts, "
                f"got {len(self.custom_amounts)}"
            )
        if any(amount <= 0 for amount in self.custom_amounts):
            raise PlanTermsError("every custom instalment must be positive")
        difference = sum(self.custom_amounts) - self.financed
        if difference != 0:
            raise PlanTermsError(
                f"the custom amounts add up to {format_minor(sum(self.custom_amounts))} but the "
                f"plan finances {format_minor(self.financed)} (difference "
                f"{format_minor(difference)})"
            )

    @property
    def financed(self) -> int:
        """The part spread over the monthly instalments: amount less the down payment."""
        return self.amount - self.down_payment


@dataclass(frozen=True, slots=True)
class Instalment:
    """One scheduled payment. Number 0 is the down payment (首付); then 第1期, 第2期 …"""

    number: int
    due_on: date
    principal: int
    interest: int = 0

    @property
    def amount(self) -> int:
        return self.principal + self.interest

    @property
    def is_down_payment(self) -> bool:
        return self.number == 0


def due_dates(first_due_on: date, months: int) -> tuple[date, ...]:
    """Monthly due dates counted from the anchor day, clipped to month end, never drifting.

    >>> [d.isoformat() for d in due_dates(date(2024, 1, 31), 3)]
    ['2024-01-31', '2024-02-29', '2024-03-31']
    """
    return tuple(add_months(first_due_on, k) for k in range(months))


def _monthly_interest(principal: int, terms: PlanTerms) -> int:
    """Remaining principal × (annual rate / 12), rounded once by the plan's rule."""
    return divide(principal * terms.annual_rate_ppm, MONTHS_PER_YEAR * PPM, terms.rounding)


def level_payment(principal: int, annual_rate_ppm: int, months: int, rounding: Rounding) -> int:
    """The 等额本息 monthly payment ``P·r·(1+r)^n / ((1+r)^n − 1)``, ``r = annual / 12``.

    Computed exactly with fractions and rounded once. At a zero rate it is ``P / n``.

    >>> level_payment(1_000_000, 120_000, 12, Rounding.HALF_UP)  # 10,000.00 at 12% for a year
    88849
    """
    if annual_rate_ppm == 0:
        return divide(principal, months, rounding)
    rate = Fraction(annual_rate_ppm, MONTHS_PER_YEAR * PPM)
    growth = (1 + rate) ** months
    exact = principal * rate * growth / (growth - 1)
    return divide(exact.numerator, exact.denominator, rounding)


def _equal_instalment(terms: PlanTerms, dates: Sequence[date]) -> list[Instalment]:
    payment = level_payment(terms.financed, terms.annual_rate_ppm, terms.months, terms.rounding)
    remaining = terms.financed
    rows: list[Instalment] = []
    for number, due_on in enumerate(dates, start=1):
        interest = _monthly_interest(remaining, terms)
        if number == terms.months:
            principal = remaining  # the last instalment absorbs every rounding
        else:
            # Tiny plans at high rates could over-repay through rounding; never below zero.
            principal = min(max(payment - interest, 0), remaining)
        remaining -= principal
        rows.append(Instalment(number, due_on, principal, interest))
    return rows


def _equal_principal(terms: PlanTerms, dates: Sequence[date]) -> list[Instalment]:
    share = divide(terms.financed, terms.months, EQUAL_PRINCIPAL_ROUNDING)
    remaining = terms.financed
    rows: list[Instalment] = []
    for number, due_on in enumerate(dates, start=1):
        interest = _monthly_interest(remaining, terms)
        principal = remaining if number == terms.months else share
        remaining -= principal
        rows.append(Instalment(number, due_on, principal, interest))
    return rows


def _custom(terms: PlanTerms, dates: Sequence[date]) -> list[Instalment]:
    return [
        Instalment(number, due_on, amount)
        for number, (due_on, amount) in enumerate(
            zip(dates, terms.custom_amounts, strict=True), start=1
        )
    ]


_SCHEDULERS = {
    ScheduleKind.EQUAL_INSTALMENT: _equal_instalment,
    ScheduleKind.EQUAL_PRINCIPAL: _equal_principal,
    ScheduleKind.CUSTOM: _custom,
}


def build_schedule(terms: PlanTerms) -> tuple[Instalment, ...]:
    """The down payment (if any) and the monthly instalments, summing exactly.

    ``sum(i.principal) == terms.amount`` and ``sum(i.amount) == terms.amount + interest``.
    """
    dates = due_dates(terms.first_due_on, terms.months)
    monthly = _SCHEDULERS[terms.kind](terms, dates)
    if any(row.amount <= 0 for row in monthly):
        raise PlanTermsError(
            f"{format_minor(terms.financed)} over {terms.months} months leaves an instalment of "
            "0.00 after rounding: choose fewer months"
        )
    down = [Instalment(0, terms.start_on, terms.down_payment)] if terms.down_payment else []
    return (*down, *monthly)


# --------------------------------------------------------------------------------------------
# Plans and their policy
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanPolicy:
    """When a plan counts as missed or broken: rule-table data with a stable code and version."""

    code: str = "PLAN-STD"
    version: int = 1
    grace_days: int = 15  # 宽限期: days after a due date before an unpaid instalment breaks it
    broken_after_consecutive_missed: int = 2  # 连续逾期期数 that break the plan
    shortfall_tolerance_ppm: int = 10_000  # an instalment paid to within 1% counts as paid

    def __post_init__(self) -> None:
        if self.grace_days < 0:
            raise PlanTermsError("grace days cannot be negative")
        if self.broken_after_consecutive_missed < 1:
            raise PlanTermsError("a plan breaks after at least one missed instalment")
        if not 0 <= self.shortfall_tolerance_ppm < PPM:
            raise PlanTermsError("the shortfall tolerance must be from 0% up to (not incl.) 100%")


DEFAULT_PLAN_POLICY = PlanPolicy()


@dataclass(frozen=True, slots=True)
class Plan:
    """Agreed terms, the policy that judges them and the schedule they produce."""

    terms: PlanTerms
    policy: PlanPolicy
    instalments: tuple[Instalment, ...]

    def __post_init__(self) -> None:
        if sum(row.principal for row in self.instalments) != self.terms.amount:
            raise PlanTermsError("the schedule's principal does not add up to the plan amount")

    @property
    def total(self) -> int:
        """Everything the debtor pays under the plan: amount plus plan interest."""
        return sum(row.amount for row in self.instalments)

    @property
    def total_interest(self) -> int:
        return sum(row.interest for row in self.instalments)


def make_plan(terms: PlanTerms, policy: PlanPolicy = DEFAULT_PLAN_POLICY) -> Plan:
    """A plan with its schedule built from ``terms``."""
    return Plan(terms, policy, build_schedule(terms))


# --------------------------------------------------------------------------------------------
# Settlements (协商还款) and waivers (减免)
# --------------------------------------------------------------------------------------------

WAIVER_ORDER: tuple[Component, ...] = (
    Component.FEE,
    Component.PENALTY,
    Component.INTEREST,
    Component.PRINCIPAL,
)
"""Which components a negotiated discount waives first: fees, penalty, interest, principal."""


@dataclass(frozen=True, slots=True)
class WaiverRules:
    """Percentages (ppm) of each component to waive, e.g. all fees and half the penalty."""

    fee_ppm: int = 0
    penalty_ppm: int = 0
    interest_ppm: int = 0
    principal_ppm: int = 0
    rounding: Rounding = WAIVER_ROUNDING

    def __post_init__(self) -> None:
        for component in Component:
            if not 0 <= self.rate_for(component) <= PPM:
                raise PlanTermsError(f"the {component.label_zh} waiver must be from 0% to 100%")

    def rate_for(self, component: Component) -> int:
        rate: int = getattr(self, f"{component.value}_ppm")
        return rate


@dataclass(frozen=True, slots=True)
class Settlement:
    """A settlement: the balance, what is waived (减免) and what the debtor pays, by component."""

    balance: Balance
    waived: Balance
    order: tuple[Component, ...] = WAIVER_ORDER

    def __post_init__(self) -> None:
        self.balance.minus(self.waived)  # raises if a waiver exceeds its component
        if self.payable_total <= 0:
            raise PlanTermsError("a settlement must leave something to pay; waive less")

    @property
    def payable(self) -> Balance:
        return self.balance.minus(self.waived)

    @property
    def waived_total(self) -> int:
        return self.waived.total

    @property
    def payable_total(self) -> int:
        return self.balance.total - self.waived.total

    def waiver_lines(self) -> tuple[tuple[Component, int], ...]:
        """The waiver by component in waiver order, for display and approval."""
        return tuple((component, self.waived.get(component)) for component in self.order)


def _check_order(order: Sequence[Component]) -> tuple[Component, ...]:
    if sorted(order) != sorted(Component):
        raise PlanTermsError("a waiver order must list every balance component exactly once")
    return tuple(order)


def settle_by_rules(
    balance: Balance, rules: WaiverRules, order: Sequence[Component] = WAIVER_ORDER
) -> Settlement:
    """Waive each component by its percentage (rounded down); the rest is payable."""
    waived = Balance(
        **{
            component.value: apply_rate(
                balance.get(component), rules.rate_for(component), rules.rounding
            )
            for component in Component
        }
    )
    return Settlement(balance, waived, _check_order(order))


def settle_for_amount(
    balance: Balance, amount: int, order: Sequence[Component] = WAIVER_ORDER
) -> Settlement:
    """Settle for ``amount``: the difference is waived component by component in ``order``."""
    checked = _check_order(order)
    if not 0 < amount <= balance.total:
        raise PlanTermsError(
            f"a settlement amount must be above 0 and at most the balance "
            f"{format_minor(balance.total)}; got {format_minor(amount)}"
        )
    to_waive = balance.total - amount
    waived = Balance()
    for component in checked:
        take = min(balance.get(component), to_waive)
        waived = waived.with_component(component, take)
        to_waive -= take
    return Settlement(balance, waived, checked)


def plan_settlement(
    settlement: Settlement,
    *,
    agreed_on: date,
    first_due_on: date,
    months: int = 1,
    down_payment: int = 0,
    policy: PlanPolicy = DEFAULT_PLAN_POLICY,
) -> Plan:
    """The payable of a settlement as one sum (``months=1``) or a short zero-rate plan."""
    terms = PlanTerms(
        kind=ScheduleKind.EQUAL_INSTALMENT,
        amount=settlement.payable_total,
        months=months,
        start_on=agreed_on,
        first_due_on=first_due_on,
        down_payment=down_payment,
    )
    return make_plan(terms, policy)


# --------------------------------------------------------------------------------------------
# Plan status as receipts arrive
# --------------------------------------------------------------------------------------------


class PlanStatus(StrEnum):
    ON_TRACK = "on_track"  # 正常履约
    MISSED = "missed"  # 逾期 (within grace, curable)
    BROKEN = "broken"  # 违约 / 毁约
    COMPLETED = "completed"  # 已结清


class InstalmentState(StrEnum):
    PAID = "paid"  # 已还 (to within the shortfall tolerance)
    UPCOMING = "upcoming"  # 未到期: due today or later
    LATE = "late"  # 逾期, within the grace days
    DEFAULTED = "defaulted"  # 逾期 beyond the grace days


@dataclass(frozen=True, slots=True)
class InstalmentStatus:
    """One instalment as of a date: what was paid toward it and what is overdue."""

    instalment: Instalment
    state: InstalmentState
    paid: int
    overdue: int  # unpaid and past due (0 until the due date has passed)
    days_past_due: int  # 0 when paid or not past due
    settled_on: date | None  # date of the receipt that paid it to within tolerance

    @property
    def unpaid(self) -> int:
        return self.instalment.amount - self.paid


@dataclass(frozen=True, slots=True)
class PlanEvaluation:
    """A plan judged on ``as_of`` from the receipts known by then."""

    status: PlanStatus
    as_of: date
    instalments: tuple[InstalmentStatus, ...]
    received: int  # receipts dated on or before as_of
    broke_on: date | None  # first day the plan counted as broken, if it ever did
    completed_on: date | None

    @property
    def paid(self) -> int:
        return sum(row.paid for row in self.instalments)

    @property
    def unapplied(self) -> int:
        """Money received beyond the plan total (溢缴), left for the account's own allocation."""
        return self.received - self.paid

    @property
    def overdue(self) -> int:
        return sum(row.overdue for row in self.instalments)

    @property
    def outstanding(self) -> int:
        """Plan total not yet paid, including any shortfall forgiven by the tolerance."""
        return sum(row.unpaid for row in self.instalments)


def _settled_dates(
    plan: Plan, receipts: Sequence[Receipt], as_of: date
) -> tuple[int, list[date | None]]:
    """Total received by ``as_of`` and the date each instalment became settled (or ``None``)."""
    counted = sorted((r for r in receipts if r.received_on <= as_of), key=lambda r: r.received_on)
    thresholds: list[int] = []
    before = 0
    for row in plan.instalments:
        forgiven = apply_rate(row.amount, plan.policy.shortfall_tolerance_ppm, TOLERANCE_ROUNDING)
        thresholds.append(before + row.amount - forgiven)
        before += row.amount
    settled: list[date | None] = [None] * len(thresholds)
    cumulative = 0
    index = 0
    for receipt in counted:
        cumulative += receipt.amount
        while index < len(thresholds) and cumulative >= thresholds[index]:
            settled[index] = receipt.received_on
            index += 1
    return cumulative, settled


def _unpaid_after(settled_on: date | None, day: date) -> bool:
    """Not settled by the end of ``day`` (a day's receipts count toward that day)."""
    return settled_on is None or settled_on > day


def _broke_on(plan: Plan, settled: Sequence[date | None], as_of: date) -> date | None:
    """The first day either breaking rule held, from the settlement history; ``None`` if never.

    * grace: an instalment still unpaid at the end of its last grace day breaks the plan the
      day after (grace 0: it must be paid by its due date);
    * consecutive misses: the day after instalment *i* falls due, if it and the
      ``broken_after_consecutive_missed - 1`` instalments before it are all still unpaid.
    """
    grace = timedelta(days=plan.policy.grace_days)
    one_day = timedelta(days=1)
    run = plan.policy.broken_after_consecutive_missed
    rows = plan.instalments
    candidates: list[date] = []
    for i, row in enumerate(rows):
        last_grace_day = row.due_on + grace
        if _unpaid_after(settled[i], last_grace_day):
            candidates.append(last_grace_day + one_day)
        window = range(i + 1 - run, i + 1)
        if i + 1 >= run and all(_unpaid_after(settled[k], row.due_on) for k in window):
            candidates.append(row.due_on + one_day)
    broken = [day for day in candidates if day <= as_of]
    return min(broken) if broken else None


def evaluate_plan(plan: Plan, receipts: Sequence[Receipt], as_of: date) -> PlanEvaluation:
    """Judge ``plan`` on ``as_of``: receipts applied oldest instalment first, in date order.

    Receipts dated after ``as_of`` are ignored (not yet known on that business date).
    """
    received, settled = _settled_dates(plan, receipts, as_of)
    grace = timedelta(days=plan.policy.grace_days)
    rows: list[InstalmentStatus] = []
    before = 0
    for row, settled_on in zip(plan.instalments, settled, strict=True):
        paid = min(row.amount, max(0, received - before))
        before += row.amount
        past_due = as_of > row.due_on
        if settled_on is not None:
            state = InstalmentState.PAID
        elif not past_due:
            state = InstalmentState.UPCOMING
        elif as_of <= row.due_on + grace:
            state = InstalmentState.LATE
        else:
            state = InstalmentState.DEFAULTED
        late = past_due and settled_on is None
        rows.append(
            InstalmentStatus(
                instalment=row,
                state=state,
                paid=paid,
                overdue=row.amount - paid if past_due else 0,
                days_past_due=(as_of - row.due_on).days if late else 0,
                settled_on=settled_on,
            )
        )
    broke_on = _broke_on(plan, settled, as_of)
    completed_on = None
    if all(day is not None for day in settled):
        completed_on = settled[-1]
        status = PlanStatus.COMPLETED
    elif broke_on is not None:
        status = PlanStatus.BROKEN
    elif any(row.state is InstalmentState.LATE for row in rows):
        status = PlanStatus.MISSED
    else:
        status = PlanStatus.ON_TRACK
    return PlanEvaluation(status, as_of, tuple(rows), received, broke_on, completed_on)
