"""Promises to pay (PTP, 承诺还款): kept or broken, decided later by the receipts.

Data flow::

    Promise (amount, promised date, created date, tolerance)
      + receipts + as_of --judge_promises--> PromiseOutcome per promise
                                              (status, paid toward it, kept_on / broke_on)
    PromiseOutcome.event -> PromiseKept | PromiseBroken | None

Rules:

* A promise's window runs from its created date through its deadline, the promised date plus
  the grace days. Only receipts dated inside the window, and on or before ``as_of``, count.
* It is KEPT as soon as the receipts counted toward it reach ``amount − tolerance`` (the
  tolerance, ppm of the amount, rounded down so it never forgives more than the policy says),
  even before the promised date; ``kept_on`` is the date of the receipt that got it there.
* It is BROKEN once ``as_of`` passes the deadline without being kept; ``broke_on`` is the day
  after the deadline (a receipt on the deadline itself still counts).
* Otherwise it is PENDING.

There is no separate "partially kept" status: a promise is kept or it is not, because that is
what drives the next action (follow up, or not) and the PTP-kept rate. A broken promise still
reports what was paid toward it (``paid``, ``shortfall``, ``partly_paid``), which is the
partial-payment figure a team board needs.

Several promises on one account: each receipt, in date order, goes to the earliest open
promise first (earliest promised date, then earliest created date, then id). A promise is open
for a receipt while the receipt is inside its window and the promise is not yet kept. A receipt
fills a promise up to its full amount before any rest goes to the next open promise; once kept,
a promise takes no more receipts. Money that fits no open promise is reported as unapplied.

Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from huikuan.core.balances import Receipt
from huikuan.core.money import PPM, Rounding, apply_rate

TOLERANCE_ROUNDING = Rounding.DOWN
"""The forgiven shortfall is rounded down: never forgive more than the tolerance says."""


@dataclass(frozen=True, slots=True)
class PromiseTolerance:
    """How far short and how late a payment may be and still keep a promise."""

    amount_ppm: int = 0  # e.g. 50_000: paying 95% still keeps the promise
    grace_days: int = 0  # days after the promised date that still count

    def __post_init__(self) -> None:
        if not 0 <= self.amount_ppm < PPM:
            raise ValueError("the amount tolerance must be from 0% up to (not incl.) 100%")
        if self.grace_days < 0:
            raise ValueError("grace days cannot be negative")


@dataclass(frozen=True, slots=True)
class Promise:
    """A debtor's promise to pay ``amount`` by ``promised_on``, taken on ``created_on``."""

    promise_id: str
    amount: int
    promised_on: date  # 承诺还款日
    created_on: date  # 承诺日期: when the agent recorded it
    tolerance: PromiseTolerance = PromiseTolerance()

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("a promised amount must be positive")
        if self.promised_on < self.created_on:
            raise ValueError("a promise cannot be due before the day it was made")

    @property
    def deadline(self) -> date:
        """The last day a receipt still counts: promised date plus grace days."""
        return self.promised_on + timedelta(days=self.tolerance.grace_days)

    @property
    def required(self) -> int:
        """The least amount that keeps the promise: amount less the tolerated shortfall."""
        return self.amount - apply_rate(self.amount, self.tolerance.amount_ppm, TOLERANCE_ROUNDING)

    def counts(self, received_on: date) -> bool:
        """Whether a receipt on ``received_on`` falls inside this promise's window."""
        return self.created_on <= received_on <= self.deadline


class PromiseStatus(StrEnum):
    PENDING = "pending"  # 待履约
    KEPT = "kept"  # 已履约
    BROKEN = "broken"  # 未履约 / 跳票


@dataclass(frozen=True, slots=True)
class PromiseKept:
    """Event: the receipts toward a promise reached the required amount."""

    promise_id: str
    kept_on: date
    paid: int


@dataclass(frozen=True, slots=True)
class PromiseBroken:
    """Event: the deadline passed without the promise being kept."""

    promise_id: str
    broke_on: date
    paid: int
    shortfall: int


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    """A promise judged on ``as_of``."""

    promise: Promise
    status: PromiseStatus
    as_of: date
    paid: int  # receipts counted toward this promise (at most its amount)
    kept_on: date | None = None
    broke_on: date | None = None

    @property
    def shortfall(self) -> int:
        """How much of the promised amount is still unpaid."""
        return self.promise.amount - self.paid

    @property
    def partly_paid(self) -> bool:
        """Broken, but something was paid toward it."""
        return self.status is PromiseStatus.BROKEN and self.paid > 0

    @property
    def event(self) -> PromiseKept | PromiseBroken | None:
        if self.kept_on is not None:
            return PromiseKept(self.promise.promise_id, self.kept_on, self.paid)
        if self.broke_on is not None:
            return PromiseBroken(self.promise.promise_id, self.broke_on, self.paid, self.shortfall)
        return None


@dataclass(frozen=True, slots=True)
class PromiseJudgement:
    """All promises of one account judged together, with the money that fitted none."""

    outcomes: tuple[PromiseOutcome, ...]  # in the order the promises were given
    unapplied: int


def _priority(promise: Promise) -> tuple[date, date, str]:
    return (promise.promised_on, promise.created_on, promise.promise_id)


def judge_promises(
    promises: Sequence[Promise], receipts: Sequence[Receipt], as_of: date
) -> PromiseJudgement:
    """Judge every promise of an account on ``as_of``; receipts go to the earliest open one."""
    ids = [promise.promise_id for promise in promises]
    if len(set(ids)) != len(ids):
        raise ValueError("promise ids must be unique within an account")
    ranked = sorted(promises, key=_priority)
    paid = {promise.promise_id: 0 for promise in promises}
    kept_on: dict[str, date] = {}
    unapplied = 0
    counted = sorted((r for r in receipts if r.received_on <= as_of), key=lambda r: r.received_on)
    for receipt in counted:
        left = receipt.amount
        for promise in ranked:
            if left == 0:
                break
            key = promise.promise_id
            if key in kept_on or not promise.counts(receipt.received_on):
                continue
            take = min(left, promise.amount - paid[key])
            paid[key] += take
            left -= take
            if paid[key] >= promise.required:
                kept_on[key] = receipt.received_on
        unapplied += left
    outcomes = tuple(
        _outcome(promise, paid[promise.promise_id], kept_on.get(promise.promise_id), as_of)
        for promise in promises
    )
    return PromiseJudgement(outcomes, unapplied)


def _outcome(promise: Promise, paid: int, kept_on: date | None, as_of: date) -> PromiseOutcome:
    if kept_on is not None:
        return PromiseOutcome(promise, PromiseStatus.KEPT, as_of, paid, kept_on=kept_on)
    if as_of > promise.deadline:
        broke_on = promise.deadline + timedelta(days=1)
        return PromiseOutcome(promise, PromiseStatus.BROKEN, as_of, paid, broke_on=broke_on)
    return PromiseOutcome(promise, PromiseStatus.PENDING, as_of, paid)


def judge_promise(promise: Promise, receipts: Sequence[Receipt], as_of: date) -> PromiseOutcome:
    """Judge a single promise on ``as_of`` (the account's only open promise)."""
    return judge_promises((promise,), receipts, as_of).outcomes[0]
