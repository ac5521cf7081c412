"""Promises to pay (PTP, 承诺还款): kept, broken, within tolerance; several promises at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.core.balances import Receipt
from huikuan.core.money import parse_minor
from huikuan.core.promises import (
    Promise,
    PromiseBroken,
    PromiseKept,
    PromiseStatus,
    PromiseTolerance,
    judge_promise,
    judge_promises,
)

KEPT, BROKEN, PENDING = PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.PENDING


def yuan(text: str) -> int:
    return parse_minor(text)


def paid(on: date, amount: str) -> Receipt:
    return Receipt(on, yuan(amount))


# On 2024-03-01 the debtor promises 1,000.00 by 2024-03-10.
PROMISE = Promise(
    "ptp-1", yuan("1000.00"), promised_on=date(2024, 3, 10), created_on=date(2024, 3, 1)
)
# The same promise with the team's usual tolerance: 5% short and 2 days late still count.
TOLERANT = Promise(
    "ptp-2",
    yuan("1000.00"),
    promised_on=date(2024, 3, 10),
    created_on=date(2024, 3, 1),
    tolerance=PromiseTolerance(amount_ppm=50_000, grace_days=2),
)


def test_a_promise_paid_in_full_before_the_date_is_kept_that_day() -> None:
    outcome = judge_promise(PROMISE, (paid(date(2024, 3, 8), "1000.00"),), date(2024, 3, 8))
    assert outcome.status is KEPT
    assert (outcome.paid, outcome.kept_on, outcome.shortfall) == (
        yuan("1000.00"),
        date(2024, 3, 8),
        0,
    )
    assert outcome.event == PromiseKept("ptp-1", date(2024, 3, 8), yuan("1000.00"))


def test_two_receipts_that_together_reach_the_amount_keep_it() -> None:
    receipts = (paid(date(2024, 3, 5), "400.00"), paid(date(2024, 3, 10), "600.00"))
    assert judge_promise(PROMISE, receipts[:1], date(2024, 3, 9)).status is PENDING
    outcome = judge_promise(PROMISE, receipts, date(2024, 3, 10))
    assert (outcome.status, outcome.kept_on) == (KEPT, date(2024, 3, 10))


def test_an_unpaid_promise_is_pending_through_the_date_and_broken_the_day_after() -> None:
    assert judge_promise(PROMISE, (), date(2024, 3, 10)).status is PENDING
    outcome = judge_promise(PROMISE, (), date(2024, 3, 11))
    assert (outcome.status, outcome.broke_on) == (BROKEN, date(2024, 3, 11))
    assert outcome.event == PromiseBroken("ptp-1", date(2024, 3, 11), 0, yuan("1000.00"))
    assert not outcome.partly_paid


def test_a_part_payment_does_not_keep_the_promise_but_is_reported() -> None:
    outcome = judge_promise(PROMISE, (paid(date(2024, 3, 9), "500.00"),), date(2024, 3, 20))
    assert outcome.status is BROKEN
    assert (outcome.paid, outcome.shortfall, outcome.partly_paid) == (
        yuan("500.00"),
        yuan("500.00"),
        True,
    )


def test_paying_5_percent_short_is_kept_within_tolerance() -> None:
    # 5% of 1,000.00 is 50.00: 950.00 keeps the promise, 949.99 does not.
    assert TOLERANT.required == yuan("950.00")
    kept = judge_promise(TOLERANT, (paid(date(2024, 3, 10), "950.00"),), date(2024, 3, 31))
    assert (kept.status, kept.shortfall) == (KEPT, yuan("50.00"))
    short = judge_promise(TOLERANT, (paid(date(2024, 3, 10), "949.99"),), date(2024, 3, 31))
    assert (short.status, short.broke_on) == (BROKEN, date(2024, 3, 13))


def test_grace_days_let_a_late_payment_keep_the_promise() -> None:
    # Promised for Mar 10 with 2 grace days: Mar 12 still counts, Mar 13 does not.
    on_12th = judge_promise(TOLERANT, (paid(date(2024, 3, 12), "1000.00"),), date(2024, 3, 12))
    assert on_12th.status is KEPT
    assert judge_promise(TOLERANT, (), date(2024, 3, 12)).status is PENDING
    on_13th = judge_promise(TOLERANT, (paid(date(2024, 3, 13), "1000.00"),), date(2024, 3, 13))
    assert (on_13th.status, on_13th.paid, on_13th.broke_on) == (BROKEN, 0, date(2024, 3, 13))
    # Without grace the promised date is the last day.
    assert judge_promise(
        PROMISE, (paid(date(2024, 3, 11), "1000.00"),), date(2024, 3, 11)
    ).status is (BROKEN)


def test_payments_before_the_promise_was_made_do_not_count() -> None:
    receipts = (paid(date(2024, 2, 28), "1000.00"),)
    judgement = judge_promises((PROMISE,), receipts, date(2024, 3, 11))
    assert judgement.outcomes[0].status is BROKEN
    assert judgement.unapplied == yuan("1000.00")


def test_a_payment_on_the_day_the_promise_was_made_counts() -> None:
    # The agent takes the promise on the call and the debtor pays the same afternoon.
    outcome = judge_promise(PROMISE, (paid(date(2024, 3, 1), "1000.00"),), date(2024, 3, 1))
    assert (outcome.status, outcome.kept_on) == (KEPT, date(2024, 3, 1))


def test_receipts_after_the_business_date_are_not_yet_known() -> None:
    receipts = (paid(date(2024, 3, 9), "1000.00"),)
    assert judge_promise(PROMISE, receipts, date(2024, 3, 8)).status is PENDING


def test_receipts_go_to_the_earliest_open_promise_first() -> None:
    # Two promises on one account: 1,000.00 by Mar 10 and 2,000.00 by Mar 25.
    second = Promise(
        "ptp-3", yuan("2000.00"), promised_on=date(2024, 3, 25), created_on=date(2024, 3, 1)
    )
    # One 1,500.00 payment on Mar 9 fills the first promise (1,000.00), 500.00 goes to the second.
    receipts = (paid(date(2024, 3, 9), "1500.00"), paid(date(2024, 3, 20), "1500.00"))
    judgement = judge_promises((second, PROMISE), receipts, date(2024, 3, 26))
    second_outcome, first_outcome = judgement.outcomes  # in the order given
    assert (first_outcome.status, first_outcome.paid) == (KEPT, yuan("1000.00"))
    assert (second_outcome.status, second_outcome.paid) == (KEPT, yuan("2000.00"))
    assert second_outcome.kept_on == date(2024, 3, 20)
    assert judgement.unapplied == 0


def test_a_kept_promise_takes_no_more_money() -> None:
    # 950.00 keeps the tolerant promise on Mar 5; the 50.00 on Mar 6 goes to the next promise.
    later = Promise(
        "ptp-4", yuan("50.00"), promised_on=date(2024, 3, 20), created_on=date(2024, 3, 1)
    )
    receipts = (paid(date(2024, 3, 5), "950.00"), paid(date(2024, 3, 6), "50.00"))
    first, second = judge_promises((TOLERANT, later), receipts, date(2024, 3, 6)).outcomes
    assert (first.status, first.paid) == (KEPT, yuan("950.00"))
    assert (second.status, second.paid, second.kept_on) == (KEPT, yuan("50.00"), date(2024, 3, 6))


def test_a_promise_cannot_be_due_before_it_was_made() -> None:
    with pytest.raises(ValueError, match="before the day it was made"):
        Promise("x", 100, promised_on=date(2024, 3, 1), created_on=date(2024, 3, 2))
    with pytest.raises(ValueError, match="must be positive"):
        Promise("x", 0, promised_on=date(2024, 3, 1), created_on=date(2024, 3, 1))
    with pytest.raises(ValueError, match="unique"):
        judge_promises((PROMISE, PROMISE), (), date(2024, 3, 1))


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------

DAY0 = date(2024, 1, 1)
days = st.integers(0, 90).map(lambda d: DAY0 + timedelta(days=d))
receipts = st.lists(st.builds(Receipt, days, st.integers(1, 300_000)), max_size=6).map(tuple)


@st.composite
def promises(draw: st.DrawFn, promise_id: str = "p") -> Promise:
    created = draw(days)
    return Promise(
        promise_id,
        draw(st.integers(1, 500_000)),
        promised_on=created + timedelta(days=draw(st.integers(0, 30))),
        created_on=created,
        tolerance=PromiseTolerance(draw(st.integers(0, 100_000)), draw(st.integers(0, 5))),
    )


@given(promises(), receipts, days)
def test_a_single_promise_is_kept_exactly_when_its_window_sums_to_the_required_amount(
    promise: Promise, known: tuple[Receipt, ...], as_of: date
) -> None:
    outcome = judge_promise(promise, known, as_of)
    in_window = sum(
        r.amount for r in known if promise.counts(r.received_on) and r.received_on <= as_of
    )
    assert outcome.paid == min(in_window, promise.amount) or outcome.status is KEPT
    if in_window >= promise.required:
        assert outcome.status is KEPT
        assert outcome.kept_on is not None
        assert promise.created_on <= outcome.kept_on <= min(as_of, promise.deadline)
    elif as_of > promise.deadline:
        assert (outcome.status, outcome.broke_on) == (BROKEN, promise.deadline + timedelta(days=1))
    else:
        assert outcome.status is PENDING


@given(promises(), receipts, receipts, days, st.integers(0, 60))
def test_promise_status_is_monotone(
    promise: Promise, known: tuple[Receipt, ...], extra: tuple[Receipt, ...], as_of: date, wait: int
) -> None:
    now = judge_promise(promise, known, as_of)
    later = as_of + timedelta(days=wait)
    if now.status is KEPT:
        assert judge_promise(promise, known + extra, later).status is KEPT
    if now.status is BROKEN:
        assert judge_promise(promise, known, later).status is BROKEN
        # Money arriving after the break cannot un-break it.
        after = tuple(Receipt(later, r.amount) for r in extra)
        assert judge_promise(promise, known + after, later).status is BROKEN


@given(st.lists(st.integers(0, 4), min_size=1, max_size=4), receipts, days, st.data())
def test_every_receipt_is_counted_once(
    ids: list[int], known: tuple[Receipt, ...], as_of: date, data: st.DataObject
) -> None:
    account = tuple(data.draw(promises(f"p{i}")) for i in sorted(set(ids)))
    judgement = judge_promises(account, known, as_of)
    received = sum(r.amount for r in known if r.received_on <= as_of)
    assert sum(o.paid for o in judgement.outcomes) + judgement.unapplied == received
    for outcome in judgement.outcomes:
        assert 0 <= outcome.paid <= outcome.promise.amount
        assert (outcome.status is KEPT) == (outcome.paid >= outcome.promise.required)
