"""Payment allocation (还款冲账): scenarios with hand-computed figures, then properties."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.core.allocation import (
    BALANCE_DUE_DATE,
    DEFAULT_WATERFALL,
    WATERFALLS,
    Allocation,
    AllocationLine,
    DueItem,
    Mode,
    Source,
    UnknownWaterfallError,
    Waterfall,
    allocate,
    apply_credit,
    balance_of,
    dues_from_balance,
    get_waterfall,
    reverse,
    reverse_credit,
)
from huikuan.core.balances import Balance, Component
from huikuan.core.money import parse_minor

FEE, PENALTY, INTEREST, PRINCIPAL = (
    Component.FEE,
    Component.PENALTY,
    Component.INTEREST,
    Component.PRINCIPAL,
)
MARCH, APRIL, MAY = date(2024, 3, 15), date(2024, 4, 15), date(2024, 5, 15)


def yuan(text: str) -> int:
    return parse_minor(text)


def line(due: date, component: Component, amount: str) -> AllocationLine:
    return AllocationLine(due, component, yuan(amount))


# Two overdue instalments of a consumer loan, as of 2024-05-01.
TWO_PERIODS = (
    DueItem(MARCH, PRINCIPAL, yuan("1000.00")),
    DueItem(MARCH, INTEREST, yuan("100.00")),
    DueItem(MARCH, PENALTY, yuan("30.00")),
    DueItem(MARCH, FEE, yuan("50.00")),
    DueItem(APRIL, PRINCIPAL, yuan("1000.00")),
    DueItem(APRIL, INTEREST, yuan("100.00")),
    DueItem(APRIL, PENALTY, yuan("20.00")),
    DueItem(APRIL, FEE, yuan("50.00")),
)


# --- the waterfall table -----------------------------------------------------------------------


def test_default_waterfall_is_fees_penalty_interest_principal_oldest_due_first() -> None:
    assert DEFAULT_WATERFALL is WATERFALLS["FPIP-OLDEST"]
    assert DEFAULT_WATERFALL.order == (FEE, PENALTY, INTEREST, PRINCIPAL)
    assert DEFAULT_WATERFALL.mode is Mode.OLDEST_DUE_FIRST


def test_registry_has_principal_first_variants_in_both_modes() -> None:
    assert get_waterfall("PIFP-OLDEST").order[0] is PRINCIPAL
    assert get_waterfall("PIFP-COMPONENT").mode is Mode.COMPONENT_FIRST
    assert {w.code for w in WATERFALLS.values()} == set(WATERFALLS)
    assert {w.mode for w in WATERFALLS.values()} == set(Mode)


def test_unknown_waterfall_code_is_a_clear_error() -> None:
    with pytest.raises(UnknownWaterfallError, match=r"'FIFO'.*known codes: FPIP-COMPONENT"):
        get_waterfall("FIFO")


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        WATERFALLS["X"] = DEFAULT_WATERFALL  # type: ignore[index]


def test_waterfall_must_name_every_component_once() -> None:
    with pytest.raises(ValueError, match="every component exactly once"):
        Waterfall("FIP", 1, (FEE, INTEREST, PRINCIPAL), Mode.OLDEST_DUE_FIRST)
    with pytest.raises(ValueError, match="every component exactly once"):
        Waterfall("FFIP", 1, (FEE, FEE, INTEREST, PRINCIPAL), Mode.OLDEST_DUE_FIRST)
    with pytest.raises(ValueError, match="version"):
        Waterfall("X", 0, (FEE, PENALTY, INTEREST, PRINCIPAL), Mode.OLDEST_DUE_FIRST)


# --- scenarios -------------------------------------------------------------------------------


def test_500_paid_oldest_due_first_clears_march_charges_then_march_principal() -> None:
    result = allocate(yuan("500.00"), TWO_PERIODS, get_waterfall("FPIP-OLDEST"))

    assert result.lines == (
        line(MARCH, FEE, "50.00"),
        line(MARCH, PENALTY, "30.00"),
        line(MARCH, INTEREST, "100.00"),
        line(MARCH, PRINCIPAL, "320.00"),
    )
    assert result.credit == 0
    assert result.by_component() == Balance(
        principal=yuan("320.00"), interest=yuan("100.00"), penalty=yuan("30.00"), fee=yuan("50.00")
    )
    assert result.remaining_balance() == Balance(
        principal=yuan("1680.00"), interest=yuan("100.00"), penalty=yuan("20.00"), fee=yuan("50.00")
    )
    assert (result.waterfall_code, result.waterfall_version) == ("FPIP-OLDEST", 1)


def test_500_paid_component_first_clears_every_charge_before_any_principal() -> None:
    result = allocate(yuan("500.00"), TWO_PERIODS, get_waterfall("FPIP-COMPONENT"))

    assert result.lines == (
        line(MARCH, FEE, "50.00"),
        line(APRIL, FEE, "50.00"),
        line(MARCH, PENALTY, "30.00"),
        line(APRIL, PENALTY, "20.00"),
        line(MARCH, INTEREST, "100.00"),
        line(APRIL, INTEREST, "100.00"),
        line(MARCH, PRINCIPAL, "150.00"),
    )
    assert result.credit == 0
    assert result.remaining_balance() == Balance(principal=yuan("1850.00"))


def test_principal_first_creditors() -> None:
    principal_first = allocate(yuan("500.00"), TWO_PERIODS, get_waterfall("PIFP-OLDEST"))
    assert principal_first.lines == (line(MARCH, PRINCIPAL, "500.00"),)

    interest_first = allocate(yuan("500.00"), TWO_PERIODS, get_waterfall("IPFP-OLDEST"))
    assert interest_first.lines == (
        line(MARCH, INTEREST, "100.00"),
        line(MARCH, PRINCIPAL, "400.00"),
    )


def test_items_sharing_a_due_date_are_one_period_whatever_the_input_order() -> None:
    shuffled = tuple(reversed(TWO_PERIODS))
    for waterfall in WATERFALLS.values():
        assert allocate(yuan("500.00"), shuffled, waterfall).lines == (
            allocate(yuan("500.00"), TWO_PERIODS, waterfall).lines
        )


def test_remaining_keeps_the_shape_of_the_dues() -> None:
    result = allocate(yuan("500.00"), TWO_PERIODS)
    assert [item.key for item in result.remaining] == [item.key for item in TWO_PERIODS]
    assert result.remaining[3] == DueItem(MARCH, FEE, 0)
    assert result.remaining[0] == DueItem(MARCH, PRINCIPAL, yuan("680.00"))


def test_overpayment_is_held_as_credit() -> None:
    balance = Balance(principal=yuan("1000.00"), interest=yuan("50.00"), fee=yuan("10.00"))

    result = allocate(yuan("1100.00"), balance)

    assert result.lines == (
        line(BALANCE_DUE_DATE, FEE, "10.00"),
        line(BALANCE_DUE_DATE, INTEREST, "50.00"),
        line(BALANCE_DUE_DATE, PRINCIPAL, "1000.00"),
    )  # no zero line for the penalty
    assert result.credit == yuan("40.00")
    assert result.credit_change == yuan("40.00")
    assert result.remaining_balance() == Balance()
    assert balance.minus(result.by_component()) == Balance()


def test_balance_allocated_as_one_period_on_a_given_date() -> None:
    result = allocate(yuan("30.00"), Balance(principal=yuan("100.00")), balance_due_date=MAY)
    assert result.lines == (line(MAY, PRINCIPAL, "30.00"),)


def test_credit_from_an_overpayment_settles_the_next_instalment() -> None:
    paid = allocate(yuan("1300.00"), TWO_PERIODS[:4])  # March total 1180.00
    assert paid.credit == yuan("120.00")
    june = (
        DueItem(date(2024, 6, 15), INTEREST, yuan("100.00")),
        DueItem(date(2024, 6, 15), PRINCIPAL, yuan("1000.00")),
    )

    spent = apply_credit(paid.credit, june)

    assert spent.source is Source.CREDIT
    assert spent.lines == (
        line(date(2024, 6, 15), INTEREST, "100.00"),
        line(date(2024, 6, 15), PRINCIPAL, "20.00"),
    )
    assert spent.credit == 0  # nothing left in credit
    assert spent.credit_change == -yuan("120.00")
    assert reverse_credit(spent, 0) == yuan("120.00")  # reversing gives the credit back


def test_reversal_restores_the_dues_and_removes_the_credit() -> None:
    result = allocate(yuan("3000.00"), TWO_PERIODS)
    assert result.credit == yuan("650.00")  # both periods total 2350.00

    assert reverse(result, result.remaining) == TWO_PERIODS
    assert reverse_credit(result, yuan("650.00")) == 0
    assert reverse_credit(result, yuan("700.00")) == yuan("50.00")
    with pytest.raises(ValueError, match="reverse the allocations that spent it first"):
        reverse_credit(result, yuan("100.00"))


def test_reversal_puts_back_items_dropped_once_cleared() -> None:
    result = allocate(yuan("500.00"), TWO_PERIODS)
    compacted = tuple(item for item in result.remaining if item.amount)

    restored = reverse(result, compacted)

    assert balance_of(restored) == balance_of(TWO_PERIODS)
    assert sorted(restored, key=lambda i: (i.due_date, i.component)) == sorted(
        TWO_PERIODS, key=lambda i: (i.due_date, i.component)
    )


def test_reversal_against_a_balance() -> None:
    balance = Balance(principal=yuan("800.00"), penalty=yuan("12.34"))
    result = allocate(yuan("100.00"), balance)
    assert reverse(result, result.remaining_balance()) == balance


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        allocate(-1, TWO_PERIODS)
    with pytest.raises(TypeError, match="integer minor units"):
        allocate(5.0, TWO_PERIODS)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        DueItem(MARCH, FEE, -1)
    with pytest.raises(ValueError, match="duplicate due item for fee due 2024-03-15"):
        allocate(1, (DueItem(MARCH, FEE, 1), DueItem(MARCH, FEE, 2)))
    with pytest.raises(ValueError, match="does not add up"):
        Allocation(10, "FPIP-OLDEST", 1, (line(MARCH, FEE, "0.05"),), (), credit=0)


def test_balance_round_trips_through_dues() -> None:
    balance = Balance(principal=1, interest=2, penalty=0, fee=4)
    dues = dues_from_balance(balance, MARCH)
    assert len(dues) == 3
    assert balance_of(dues) == balance


# --- properties --------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**7)
any_waterfall = st.one_of(
    st.sampled_from(list(WATERFALLS.values())),
    st.builds(
        lambda order, mode: Waterfall("CUSTOM", 1, tuple(order), mode),
        st.permutations(list(Component)),
        st.sampled_from(Mode),
    ),
)


@st.composite
def dues_strategy(draw: st.DrawFn) -> tuple[DueItem, ...]:
    # Few distinct dates, so periods share dates and several components per period are common.
    days = st.integers(min_value=0, max_value=5).map(lambda n: MARCH + timedelta(days=30 * n))
    keyed = draw(st.dictionaries(st.tuples(days, st.sampled_from(Component)), amounts, max_size=16))
    return tuple(DueItem(day, component, amount) for (day, component), amount in keyed.items())


def total(dues: tuple[DueItem, ...]) -> int:
    return sum(item.amount for item in dues)


def settling_key(waterfall: Waterfall, item: DueItem | AllocationLine) -> tuple[object, ...]:
    rank = waterfall.order.index(item.component)
    if waterfall.mode is Mode.OLDEST_DUE_FIRST:
        return (item.due_date, rank)
    return (rank, item.due_date)


@given(amounts, dues_strategy(), any_waterfall)
def test_lines_plus_credit_equal_the_amount(
    amount: int, dues: tuple[DueItem, ...], waterfall: Waterfall
) -> None:
    result = allocate(amount, dues, waterfall)
    assert sum(line.amount for line in result.lines) + result.credit == amount
    assert result.by_component().total + result.credit == amount
    assert total(result.remaining) == total(dues) - result.applied


@given(amounts, dues_strategy(), any_waterfall)
def test_no_line_exceeds_its_due_and_none_is_zero(
    amount: int, dues: tuple[DueItem, ...], waterfall: Waterfall
) -> None:
    result = allocate(amount, dues, waterfall)
    owed = {item.key: item.amount for item in dues}
    assert len({line.key for line in result.lines}) == len(result.lines)
    for allocated in result.lines:
        assert 0 < allocated.amount <= owed[allocated.key]
    left = {item.key: item.amount for item in result.remaining}
    assert all(left[key] == owed[key] - applied for key, applied in _applied(result).items())


def _applied(result: Allocation) -> Counter[tuple[date, Component]]:
    applied: Counter[tuple[date, Component]] = Counter()
    for allocated in result.lines:
        applied[allocated.key] += allocated.amount
    return applied


@given(amounts, dues_strategy(), any_waterfall)
def test_credit_only_once_every_due_is_cleared(
    amount: int, dues: tuple[DueItem, ...], waterfall: Waterfall
) -> None:
    result = allocate(amount, dues, waterfall)
    assert result.credit == max(0, amount - total(dues))
    if result.credit > 0:
        assert all(item.amount == 0 for item in result.remaining)


@given(amounts, dues_strategy(), any_waterfall)
def test_lines_follow_the_waterfall_and_only_the_last_is_partial(
    amount: int, dues: tuple[DueItem, ...], waterfall: Waterfall
) -> None:
    result = allocate(amount, dues, waterfall)
    keys = [settling_key(waterfall, allocated) for allocated in result.lines]
    assert keys == sorted(keys)
    owed = {item.key: item.amount for item in dues}
    assert all(owed[allocated.key] == allocated.amount for allocated in result.lines[:-1])
    # Nothing still owed comes before the last line paid.
    if result.lines:
        last = settling_key(waterfall, result.lines[-1])
        for item in result.remaining:
            if item.amount and item.key != result.lines[-1].key:
                assert settling_key(waterfall, item) > last


@given(amounts, dues_strategy(), any_waterfall)
def test_reverse_of_allocate_is_the_original_dues(
    amount: int, dues: tuple[DueItem, ...], waterfall: Waterfall
) -> None:
    result = allocate(amount, dues, waterfall)
    assert reverse(result, result.remaining) == dues
    assert reverse_credit(result, result.credit) == 0


@given(amounts, amounts, dues_strategy(), any_waterfall)
def test_allocating_a_then_b_equals_allocating_a_plus_b(
    a: int, b: int, dues: tuple[DueItem, ...], waterfall: Waterfall
) -> None:
    first = allocate(a, dues, waterfall)
    second = allocate(b, first.remaining, waterfall)
    together = allocate(a + b, dues, waterfall)

    assert second.remaining == together.remaining
    assert first.credit + second.credit == together.credit
    assert _applied(first) + _applied(second) == _applied(together)
    assert first.by_component().plus(second.by_component()) == together.by_component()


@given(amounts, dues_strategy(), any_waterfall)
def test_credit_spent_later_settles_like_the_payment_would_have(
    credit: int, dues: tuple[DueItem, ...], waterfall: Waterfall
) -> None:
    spent = apply_credit(credit, dues, waterfall)
    paid = allocate(credit, dues, waterfall)
    assert (spent.lines, spent.remaining, spent.credit) == (paid.lines, paid.remaining, paid.credit)
    assert reverse_credit(spent, spent.credit) == credit
    assert reverse(spent, spent.remaining) == dues


@given(amounts, st.builds(Balance, amounts, amounts, amounts, amounts), any_waterfall)
def test_balance_allocation_matches_its_one_period_dues(
    amount: int, balance: Balance, waterfall: Waterfall
) -> None:
    result = allocate(amount, balance, waterfall)
    assert result == allocate(amount, dues_from_balance(balance), waterfall)
    assert balance.minus(result.by_component()) == result.remaining_balance()
    assert reverse(result, result.remaining_balance()) == balance
