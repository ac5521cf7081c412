"""The parts a balance is made of, and an immutable balance by component."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum


class Component(StrEnum):
    """Balance components, by their stable codes. Chinese names are what users see."""

    PRINCIPAL = "principal"  # 本金
    INTEREST = "interest"  # 利息
    PENALTY = "penalty"  # 罚息 (penalty interest)
    FEE = "fee"  # 费用 / 违约金 (fees and late fees)

    @property
    def label_zh(self) -> str:
        return _LABEL_ZH[self]


_LABEL_ZH = {
    Component.PRINCIPAL: "本金",
    Component.INTEREST: "利息",
    Component.PENALTY: "罚息",
    Component.FEE: "费用",
}


@dataclass(frozen=True, slots=True)
class Balance:
    """What is owed on one account, by component, in minor units (all non-negative)."""

    principal: int = 0
    interest: int = 0
    penalty: int = 0
    fee: int = 0

    def __post_init__(self) -> None:
        for component in Component:
            if self.get(component) < 0:
                raise ValueError(f"{component} balance cannot be negative")

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.penalty + self.fee

    def get(self, component: Component) -> int:
        value: int = getattr(self, component.value)
        return value

    def with_component(self, component: Component, amount: int) -> Balance:
        return replace(self, **{component.value: amount})

    def plus(self, other: Balance) -> Balance:
        return Balance(
            self.principal + other.principal,
            self.interest + other.interest,
            self.penalty + other.penalty,
            self.fee + other.fee,
        )

    def minus(self, other: Balance) -> Balance:
        """Subtract component-wise; raises if any component would go negative."""
        return Balance(
            self.principal - other.principal,
            self.interest - other.interest,
            self.penalty - other.penalty,
            self.fee - other.fee,
        )

    def as_dict(self) -> dict[str, int]:
        return {component.value: self.get(component) for component in Component}


@dataclass(frozen=True, slots=True)
class Receipt:
    """Money received against an account on a business date (after any reversal is netted)."""

    received_on: date
    amount: int
    reference: str = ""

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("a receipt amount must be positive")
