"""Posting a receipt to an account: the product's waterfall over the account's balance.

One definition of what a payment does to the nightly state: the amount is allocated by the
waterfall (:mod:`huikuan.core.allocation`), what is applied counts toward the due schedule
(so the oldest unpaid due date moves on), anything beyond the balance is held as credit
(溢缴款), and an open account whose balance reaches zero is settled (结清). A receipt on an
account that is no longer open is held as credit for a refund or a transfer decision.
"""

from __future__ import annotations

from dataclasses import replace

from huikuan.core.accrual import AccountState, AccountStatus
from huikuan.core.allocation import Allocation, allocate, get_waterfall
from huikuan.core.policy import ProductPolicy


def post_payment(
    state: AccountState, amount: int, policy: ProductPolicy
) -> tuple[AccountState, Allocation | None]:
    """Apply ``amount`` (minor units, > 0) to ``state``; the new state and the allocation."""
    if amount <= 0:
        raise ValueError(f"account {state.account_id}: a payment must be positive, got {amount}")
    if state.status is not AccountStatus.OPEN:
        return replace(state, credit=state.credit + amount), None
    allocation = allocate(amount, state.balance, get_waterfall(policy.waterfall_code))
    balance = allocation.remaining_balance()
    status = AccountStatus.SETTLED if balance.total == 0 else state.status
    updated = replace(
        state,
        balance=balance,
        paid_to_schedule=state.paid_to_schedule + allocation.applied,
        credit=state.credit + allocation.credit,
        status=status,
    )
    return updated, allocation
