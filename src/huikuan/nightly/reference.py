"""The straightforward per-account loop over the scalar core.

This is the definition the vectorised pipeline must match to the minor unit (property tests
compare the two) and the baseline ``make bench`` measures the pipeline against.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

from huikuan.core.accrual import AccountState, DayCharges, close_day
from huikuan.core.delinquency import BucketChanged, Pause, bucket_change
from huikuan.core.policy import ProductPolicy
from huikuan.core.posting import post_payment


def close_days_scalar(
    states: Sequence[AccountState],
    policies: Mapping[str, ProductPolicy],
    through: date,
    *,
    pauses: Mapping[int, Sequence[Pause]] | None = None,
    payments_for: Callable[[date], Mapping[int, int]] | None = None,
) -> tuple[list[AccountState], list[BucketChanged], list[DayCharges]]:
    """Close each day after the last closed day through ``through``, one account at a time.

    Returns the final states, the bucket history events and each day's portfolio charges.
    """
    pauses = pauses or {}
    current = list(states)
    history: list[BucketChanged] = []
    daily: list[DayCharges] = []
    if not current:
        return current, history, daily
    day = current[0].accrued_through
    while day < through:
        day += timedelta(days=1)
        receipts = payments_for(day) if payments_for is not None else {}
        interest = penalty = fee = 0
        for position, state in enumerate(current):
            policy = policies[state.product_code]
            amount = receipts.get(state.account_id, 0)
            if amount > 0:
                state, _ = post_payment(state, amount, policy)
            previous_dpd = state.dpd
            state, charges = close_day(state, policy, day, pauses.get(state.account_id, ()))
            event = bucket_change(
                state.account_id, policy.bucket_scheme, previous_dpd, state.dpd, day
            )
            if event is not None:
                history.append(event)
            interest += charges.interest
            penalty += charges.penalty
            fee += charges.fee
            current[position] = state
        daily.append(DayCharges(interest=interest, penalty=penalty, fee=fee))
    return current, history, daily
