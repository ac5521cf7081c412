"""A creditor's published self-service rules: what the debtor's page may agree on its own.

Data flow::

    SelfServiceTerms row (JSON, per creditor) or DEFAULT_OFFERS --offers_from--> Offers
    Offers + the debtor's ask (kind, months, down payment, first due date, settlement amount)
        + the case (balance, DPD) --check_ask--> tuple[Breach, ...]

No breach: the page agrees the plan at once (it is the creditor's own published offer, so no
person needs to approve it). Any breach: the ask becomes a proposal in the team lead's
approval queue, with the breaches listed for the approver. The page shows the offers before
the debtor asks (:func:`describe`), so a debtor can stay inside them.

Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from huikuan.core.balances import Balance, Component
from huikuan.core.money import PPM, Rounding, apply_rate, format_minor
from huikuan.core.plans import settle_for_amount

OFFERS_CODE = "SELF-SERVICE-OFFERS"


@dataclass(frozen=True, slots=True)
class Offers:
    version: int = 1
    instalment_max_months: int = 12
    instalment_min_monthly: int = 10_000  # fen: at least 100 yuan a month
    long_plan_months: int = 6  # above this many months a down payment is required
    long_plan_down_ppm: int = 100_000  # 10 % of the balance
    first_due_within_days: int = 30
    settlement_min_dpd: int = 90  # settlements are offered from M4 on
    settlement_max_months: int = 3
    # The most of each component a settlement may waive (减免), in ppm of that component.
    waive_fee_ppm: int = PPM
    waive_penalty_ppm: int = PPM
    waive_interest_ppm: int = 300_000
    waive_principal_ppm: int = 0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise OffersError(item.name, "must be a whole number, 0 or more")
        for name in ("waive_fee_ppm", "waive_penalty_ppm", "waive_interest_ppm"):
            if getattr(self, name) > PPM:
                raise OffersError(name, f"must be at most {PPM} (100 %)")
        if self.waive_principal_ppm > PPM:
            raise OffersError("waive_principal_ppm", f"must be at most {PPM} (100 %)")
        if not 1 <= self.instalment_max_months <= 60:
            raise OffersError("instalment_max_months", "must be from 1 to 60")
        if not 1 <= self.settlement_max_months <= 12:
            raise OffersError("settlement_max_months", "must be from 1 to 12")

    def waive_ppm(self, component: Component) -> int:
        rate: int = getattr(self, f"waive_{component.value}_ppm")
        return rate

    def most_waivable(self, balance: Balance) -> Balance:
        """The largest waiver the rules allow on ``balance``, by component (rounded down)."""
        return Balance(
            **{
                c.value: apply_rate(balance.get(c), self.waive_ppm(c), Rounding.DOWN)
                for c in Component
            }
        )

    def lowest_settlement(self, balance: Balance) -> int:
        return balance.total - self.most_waivable(balance).total


DEFAULT_OFFERS = Offers()


class OffersError(ValueError):
    """A creditor's stored rules are malformed; names the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{OFFERS_CODE}.{field}: {reason}")
        self.field = field
        self.reason = reason


def offers_from(terms: Mapping[str, object] | None) -> Offers:
    """A creditor's stored terms over the defaults; unknown keys are refused, not ignored."""
    if not terms:
        return DEFAULT_OFFERS
    known = {item.name for item in fields(Offers)}
    unknown = sorted(set(terms) - known)
    if unknown:
        raise OffersError(unknown[0], "is not a self-service rule")
    values = {item.name: getattr(DEFAULT_OFFERS, item.name) for item in fields(Offers)}
    values.update(terms)
    return Offers(**values)


@dataclass(frozen=True, slots=True)
class Breach:
    """One rule an ask goes beyond, worded for the debtor and the approver."""

    field: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Ask:
    kind: str  # instalment | settlement
    months: int
    first_due_on: date
    down_payment: int = 0
    settlement_amount: int = 0


def check_ask(
    offers: Offers, ask: Ask, *, balance: Balance, dpd: int, today: date
) -> tuple[Breach, ...]:
    """Every published rule the ask goes beyond (empty: the page may agree it at once)."""
    breaches: list[Breach] = []
    if (ask.first_due_on - today).days > offers.first_due_within_days:
        breaches.append(
            Breach(
                "first_due_on",
                f"首期还款日须在 {offers.first_due_within_days} 天内",
                f"the first payment must fall within {offers.first_due_within_days} days",
            )
        )
    if ask.kind == "instalment":
        if ask.months > offers.instalment_max_months:
            breaches.append(
                Breach(
                    "months",
                    f"自助分期最多 {offers.instalment_max_months} 期",
                    f"self-service plans run at most {offers.instalment_max_months} months",
                )
            )
        financed = balance.total - ask.down_payment
        if ask.months > 0 and financed // ask.months < offers.instalment_min_monthly:
            breaches.append(
                Breach(
                    "months",
                    f"每期至少 {format_minor(offers.instalment_min_monthly)} 元",
                    f"each month must be at least {format_minor(offers.instalment_min_monthly)}",
                )
            )
        if ask.months > offers.long_plan_months:
            needed = apply_rate(balance.total, offers.long_plan_down_ppm, Rounding.UP)
            if ask.down_payment < needed:
                breaches.append(
                    Breach(
                        "down_payment",
                        f"超过 {offers.long_plan_months} 期须首付至少 {format_minor(needed)} 元",
                        f"over {offers.long_plan_months} months needs a down payment of at "
                        f"least {format_minor(needed)}",
                    )
                )
        return tuple(breaches)
    if dpd < offers.settlement_min_dpd:
        breaches.append(
            Breach(
                "settlement_amount",
                f"逾期 {offers.settlement_min_dpd} 天以上方可自助协商结清",
                f"self-service settlements start at {offers.settlement_min_dpd} days past due",
            )
        )
    if ask.months > offers.settlement_max_months:
        breaches.append(
            Breach(
                "months",
                f"协商结清最多分 {offers.settlement_max_months} 期",
                f"a settlement is paid in at most {offers.settlement_max_months} months",
            )
        )
    lowest = offers.lowest_settlement(balance)
    too_low = Breach(
        "settlement_amount",
        f"自助协商结清金额不低于 {format_minor(lowest)} 元",
        f"a self-service settlement is at least {format_minor(lowest)}",
    )
    if ask.settlement_amount < lowest:
        breaches.append(too_low)
    elif 0 < ask.settlement_amount <= balance.total:
        # The waiver falls on the components in the core's waiver order; each must stay
        # within its own published share (a total alone could hide a principal waiver).
        waived = settle_for_amount(balance, ask.settlement_amount).waived
        allowed = offers.most_waivable(balance)
        if any(waived.get(c) > allowed.get(c) for c in Component):
            breaches.append(too_low)
    return tuple(breaches)
