"""Payment allocation (还款冲账): which due amounts a payment settles, by a waterfall kept as data.

Data flow::

    dues (DueItem per due date × component, or a plain Balance as one period)
      + amount received + Waterfall (looked up by its stable code in WATERFALLS)
      -> allocate() -> Allocation(lines, remaining dues, credit)
      -> Allocation.by_component() -> Balance to subtract from the account balance
      -> reverse(allocation, dues_after) -> the dues as they were before (冲正)

A :class:`Waterfall` is a rule-table row: a stable ``code`` and ``version``, the order of the
components (e.g. fee → penalty → interest → principal) and a :class:`Mode`:

* ``OLDEST_DUE_FIRST`` (period-major, "vertical"): clear the oldest due period completely, its
  components in waterfall order, before touching the next period.
* ``COMPONENT_FIRST`` (component-major, "horizontal"): all fees across periods oldest first, then
  all penalty, and so on.

Dues are keyed by ``(due_date, component)`` and each key may appear once: all items sharing a due
date form one period. The settling order is therefore fully determined by the key (due date, then
waterfall rank; or waterfall rank, then due date), never by the order of the input tuple, so equal
due dates need no further tie-break. The allocation is greedy along that order, which makes it
additive: allocating ``a`` and then ``b`` against what is left equals allocating ``a + b``.

Money left once every due is cleared is held as credit (溢缴款); :func:`apply_credit` spends it
against later dues with the same rules. For every allocation ``sum(lines) + credit == amount``.

Amounts are integer minor units; nothing here reads the clock or does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import overload

from huikuan.core.balances import Balance, Component

BALANCE_DUE_DATE = date.min
"""Due date given to the items of a plain :class:`Balance` allocated as one undated period."""


class Mode(StrEnum):
    """Which axis of the dues a waterfall walks first."""

    OLDEST_DUE_FIRST = "oldest_due_first"  # period-major ("vertical")
    COMPONENT_FIRST = "component_first"  # component-major ("horizontal")


class Source(StrEnum):
    """Where the allocated money came from."""

    PAYMENT = "payment"  # money received now; anything left over becomes credit
    CREDIT = "credit"  # credit held from an earlier overpayment (溢缴款)


class UnknownWaterfallError(LookupError):
    """No waterfall is registered under the requested code."""


@dataclass(frozen=True, slots=True)
class Waterfall:
    """An allocation order with a stable code: component order plus the axis walked first."""

    code: str
    version: int
    order: tuple[Component, ...]
    mode: Mode
    description: str = ""

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("a waterfall needs a code")
        if self.version < 1:
            raise ValueError(f"waterfall {self.code}: version must be at least 1")
        if len(self.order) != len(Component) or set(self.order) != set(Component):
            raise ValueError(
                f"waterfall {self.code}: order must name every component exactly once, "
                f"got {[c.value for c in self.order]}"
            )

    def rank(self, component: Component) -> int:
        """Position of ``component`` in this waterfall (0 is settled first)."""
        return self.order.index(component)

    def sort_key(self, item: DueItem) -> tuple[int, int]:
        """Where ``item`` falls in this waterfall's settling order (smaller is settled first)."""
        day, rank = item.due_date.toordinal(), self.rank(item.component)
        return (day, rank) if self.mode is Mode.OLDEST_DUE_FIRST else (rank, day)


_F, _PE, _I, _PR = Component.FEE, Component.PENALTY, Component.INTEREST, Component.PRINCIPAL
_FPIP = (_F, _PE, _I, _PR)
_IPFP = (_I, _PR, _F, _PE)
_PIFP = (_PR, _I, _F, _PE)

_STANDARD = (
    Waterfall(
        "FPIP-OLDEST",
        1,
        _FPIP,
        Mode.OLDEST_DUE_FIRST,
        "fee → penalty → interest → principal, oldest due period first (default)",
    ),
    Waterfall(
        "FPIP-COMPONENT",
        1,
        _FPIP,
        Mode.COMPONENT_FIRST,
        "all fees, then all penalty, then all interest, then all principal; oldest first within",
    ),
    Waterfall(
        "IPFP-OLDEST",
        1,
        _IPFP,
        Mode.OLDEST_DUE_FIRST,
        "interest → principal → fee → penalty, oldest due period first",
    ),
    Waterfall(
        "IPFP-COMPONENT",
        1,
        _IPFP,
        Mode.COMPONENT_FIRST,
        "all interest, then all principal, then all fees, then all penalty; oldest first within",
    ),
    Waterfall(
        "PIFP-OLDEST",
        1,
        _PIFP,
        Mode.OLDEST_DUE_FIRST,
        "principal → interest → fee → penalty, oldest due period first",
    ),
    Waterfall(
        "PIFP-COMPONENT",
        1,
        _PIFP,
        Mode.COMPONENT_FIRST,
        "all principal, then all interest, then all fees, then all penalty; oldest first within",
    ),
)

WATERFALLS: Mapping[str, Waterfall] = MappingProxyType({w.code: w for w in _STANDARD})
"""The standard waterfalls by code. Letters spell the component order (F fee, P penalty,
I interest, P principal; the ``order`` tuple is authoritative)."""

DEFAULT_WATERFALL_CODE = "FPIP-OLDEST"


def get_waterfall(code: str) -> Waterfall:
    """The standard waterfall registered under ``code``.

    >>> get_waterfall("FPIP-OLDEST").mode
    <Mode.OLDEST_DUE_FIRST: 'oldest_due_first'>
    """
    try:
        return WATERFALLS[code]
    except KeyError:
        known = ", ".join(sorted(WATERFALLS))
        raise UnknownWaterfallError(
            f"unknown allocation waterfall code {code!r}; known codes: {known}"
        ) from None


DEFAULT_WATERFALL = get_waterfall(DEFAULT_WATERFALL_CODE)


def _check_amount(amount: int, what: str) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"{what} must be integer minor units, got {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"{what} cannot be negative, got {amount}")


@dataclass(frozen=True, slots=True)
class DueItem:
    """One component of one due period: ``amount`` minor units of ``component`` due on a date."""

    due_date: date
    component: Component
    amount: int

    def __post_init__(self) -> None:
        _check_amount(self.amount, "a due amount")

    @property
    def key(self) -> tuple[date, Component]:
        return (self.due_date, self.component)


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """``amount`` minor units applied to ``component`` of the period due on ``due_date``."""

    due_date: date
    component: Component
    amount: int

    def __post_init__(self) -> None:
        _check_amount(self.amount, "an allocation line")
        if self.amount == 0:
            raise ValueError("allocation lines are never zero")

    @property
    def key(self) -> tuple[date, Component]:
        return (self.due_date, self.component)


def dues_from_balance(balance: Balance, due_date: date = BALANCE_DUE_DATE) -> tuple[DueItem, ...]:
    """A balance as one due period: one item per non-zero component."""
    return tuple(
        DueItem(due_date, component, balance.get(component))
        for component in Component
        if balance.get(component)
    )


def balance_of(dues: Iterable[DueItem]) -> Balance:
    """What ``dues`` add up to, per component."""
    totals = dict.fromkeys(Component, 0)
    for item in dues:
        totals[item.component] += item.amount
    return Balance(**{component.value: total for component, total in totals.items()})


def _normalise(dues: Sequence[DueItem] | Balance, balance_due_date: date) -> tuple[DueItem, ...]:
    items = dues_from_balance(dues, balance_due_date) if isinstance(dues, Balance) else tuple(dues)
    seen: set[tuple[date, Component]] = set()
    for item in items:
        if item.key in seen:
            raise ValueError(
                f"duplicate due item for {item.component} due {item.due_date.isoformat()}; "
                "merge them first"
            )
        seen.add(item.key)
    return items


@dataclass(frozen=True, slots=True)
class Allocation:
    """The outcome of allocating ``amount``: lines in settling order, what is left, and credit.

    ``remaining`` keeps the shape of the dues allocated against (same items, same order, cleared
    items at zero), so a reversal can restore them exactly.
    """

    amount: int
    waterfall_code: str
    waterfall_version: int
    lines: tuple[AllocationLine, ...]
    remaining: tuple[DueItem, ...]
    credit: int
    source: Source = Source.PAYMENT

    def __post_init__(self) -> None:
        _check_amount(self.amount, "an allocated amount")
        _check_amount(self.credit, "credit")
        if self.applied + self.credit != self.amount:
            raise ValueError(
                f"allocation does not add up: lines {self.applied} + credit {self.credit} "
                f"!= amount {self.amount}"
            )

    @property
    def applied(self) -> int:
        """Minor units applied to dues (the amount less the credit)."""
        return sum(line.amount for line in self.lines)

    @property
    def credit_change(self) -> int:
        """How this allocation changed the credit held: ``+credit`` for a payment, ``-applied``
        when spending credit."""
        return self.credit if self.source is Source.PAYMENT else -self.applied

    def by_component(self) -> Balance:
        """The applied amount per component, to subtract from the account's :class:`Balance`."""
        totals = dict.fromkeys(Component, 0)
        for line in self.lines:
            totals[line.component] += line.amount
        return Balance(**{component.value: total for component, total in totals.items()})

    def remaining_balance(self) -> Balance:
        """What is still owed after this allocation, per component."""
        return balance_of(self.remaining)


def _allocate(
    amount: int,
    dues: Sequence[DueItem] | Balance,
    waterfall: Waterfall,
    balance_due_date: date,
    source: Source,
) -> Allocation:
    _check_amount(amount, "a payment amount" if source is Source.PAYMENT else "credit")
    items = _normalise(dues, balance_due_date)
    left = [item.amount for item in items]
    lines: list[AllocationLine] = []
    unapplied = amount
    for index in sorted(range(len(items)), key=lambda i: waterfall.sort_key(items[i])):
        if unapplied == 0:
            break
        take = min(unapplied, left[index])
        if take:
            item = items[index]
            lines.append(AllocationLine(item.due_date, item.component, take))
            left[index] -= take
            unapplied -= take
    remaining = tuple(
        item if item.amount == rest else replace(item, amount=rest)
        for item, rest in zip(items, left, strict=True)
    )
    return Allocation(
        amount=amount,
        waterfall_code=waterfall.code,
        waterfall_version=waterfall.version,
        lines=tuple(lines),
        remaining=remaining,
        credit=unapplied,
        source=source,
    )


def allocate(
    amount: int,
    dues: Sequence[DueItem] | Balance,
    waterfall: Waterfall = DEFAULT_WATERFALL,
    *,
    balance_due_date: date = BALANCE_DUE_DATE,
) -> Allocation:
    """Allocate a payment of ``amount`` minor units against ``dues`` by ``waterfall``.

    A plain :class:`Balance` is treated as one period due on ``balance_due_date``. What exceeds
    the dues is returned as ``credit``.

    >>> a = allocate(15_000, Balance(principal=10_000, interest=2_000, fee=500))
    >>> [(line.component.value, line.amount) for line in a.lines], a.credit
    ([('fee', 500), ('interest', 2000), ('principal', 10000)], 2500)
    """
    return _allocate(amount, dues, waterfall, balance_due_date, Source.PAYMENT)


def apply_credit(
    credit: int,
    dues: Sequence[DueItem] | Balance,
    waterfall: Waterfall = DEFAULT_WATERFALL,
    *,
    balance_due_date: date = BALANCE_DUE_DATE,
) -> Allocation:
    """Spend ``credit`` held from an earlier overpayment against new ``dues``.

    Same rules as :func:`allocate`; the result's ``credit`` is the credit still held afterwards
    and its ``source`` is :attr:`Source.CREDIT`.
    """
    return _allocate(credit, dues, waterfall, balance_due_date, Source.CREDIT)


@overload
def reverse(allocation: Allocation, dues_after: Balance) -> Balance: ...
@overload
def reverse(allocation: Allocation, dues_after: Sequence[DueItem]) -> tuple[DueItem, ...]: ...
def reverse(
    allocation: Allocation, dues_after: Sequence[DueItem] | Balance
) -> tuple[DueItem, ...] | Balance:
    """Undo ``allocation`` (冲正): give back to ``dues_after`` exactly what its lines took.

    Items are matched by ``(due_date, component)``; an item missing from ``dues_after`` (e.g.
    dropped once cleared) is appended. Given ``allocation.remaining`` this returns the original
    dues unchanged. The credit side is undone by :func:`reverse_credit`.
    """
    if isinstance(dues_after, Balance):
        return dues_after.plus(allocation.by_component())
    items = list(_normalise(dues_after, BALANCE_DUE_DATE))
    position = {item.key: index for index, item in enumerate(items)}
    for line in allocation.lines:
        index = position.get(line.key)
        if index is None:
            position[line.key] = len(items)
            items.append(DueItem(line.due_date, line.component, line.amount))
        else:
            items[index] = replace(items[index], amount=items[index].amount + line.amount)
    return tuple(items)


def reverse_credit(allocation: Allocation, credit_held: int) -> int:
    """The credit held once ``allocation`` is reversed: a payment's overpayment is removed, spent
    credit is given back. Raises if the credit it created has since been spent."""
    _check_amount(credit_held, "credit held")
    after = credit_held - allocation.credit_change
    if after < 0:
        raise ValueError(
            f"cannot reverse: the allocation left {allocation.credit} in credit but only "
            f"{credit_held} is held; reverse the allocations that spent it first"
        )
    return after
