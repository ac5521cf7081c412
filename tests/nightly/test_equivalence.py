"""The vectorised nightly pipeline and the scalar core agree to the minor unit."""

from collections.abc import Mapping
from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.core.accrual import AccountState, AccountStatus
from huikuan.core.balances import Balance
from huikuan.core.delinquency import DueSchedule, Pause
from huikuan.core.policy import (
    ProductPolicy,
)
from huikuan.demo.synthetic import generate_portfolio
from huikuan.nightly.frames import account_states, accounts_frame, pauses_frame, payments_frame
from huikuan.nightly.pipeline import close_days
from huikuan.nightly.reference import close_days_scalar
from tests.strategies import policies_strategy

START = date(2026, 1, 20)


@st.composite
def accounts_strategy(draw: st.DrawFn) -> list[AccountState]:
    count = draw(st.integers(1, 12))
    states = []
    for account_id in range(1, count + 1):
        instalment = draw(st.integers(1_000, 500_000))
        principal = draw(st.integers(0, 50_000_000))
        states.append(
            AccountState(
                account_id=account_id,
                product_code="P",
                balance=Balance(
                    principal=principal,
                    interest=draw(st.integers(0, 2_000_000)),
                    penalty=draw(st.integers(0, 500_000)),
                    fee=draw(st.integers(0, 100_000)),
                ),
                schedule=DueSchedule(
                    first_due=draw(st.dates(date(2024, 1, 1), date(2026, 3, 31))),
                    instalment=instalment,
                    cycles=draw(st.none() | st.integers(1, 36)),
                ),
                paid_to_schedule=draw(st.integers(0, 40)) * instalment
                + draw(st.integers(0, instalment - 1)),
                accrued_through=START,
                charge_start=START - timedelta(days=draw(st.integers(-10, 400))),
                cap_base=principal,
                charged_total=draw(st.integers(0, 3_000_000)),
                status=draw(st.sampled_from(AccountStatus)),
                dpd=0,
            )
        )
    return states


@st.composite
def pauses_strategy(draw: st.DrawFn, ids: list[int]) -> dict[int, tuple[Pause, ...]]:
    result: dict[int, tuple[Pause, ...]] = {}
    for account_id in ids:
        pauses = []
        for _ in range(draw(st.integers(0, 3))):
            start = START + timedelta(days=draw(st.integers(-60, 40)))
            length = draw(st.none() | st.integers(1, 30))
            pauses.append(
                Pause(start, None if length is None else start + timedelta(days=length), "dispute")
            )
        if pauses:
            result[account_id] = tuple(pauses)
    return result


def payments_by_day(draw: st.DrawFn, ids: list[int], days: int) -> dict[date, dict[int, int]]:
    plan: dict[date, dict[int, int]] = {}
    for _ in range(draw(st.integers(0, 10))):
        day = START + timedelta(days=draw(st.integers(1, days)))
        plan.setdefault(day, {})[draw(st.sampled_from(ids))] = draw(st.integers(1, 2_000_000))
    return plan


def run_both(
    states: list[AccountState],
    policy: ProductPolicy,
    days: int,
    pauses: Mapping[int, tuple[Pause, ...]],
    plan: Mapping[date, Mapping[int, int]],
) -> None:
    through = START + timedelta(days=days)
    expected, history, daily = close_days_scalar(
        states,
        {policy.code: policy},
        through,
        pauses=pauses,
        payments_for=lambda d: plan.get(d, {}),
    )
    result = close_days(
        accounts_frame(states),
        [policy],
        through,
        pauses=pauses_frame(pauses),
        payments_for=lambda d: payments_frame(plan.get(d, {})),
    )
    actual = account_states(result.accounts.sort("account_id"))
    assert actual == sorted(expected, key=lambda s: s.account_id)
    assert [d.totals.accrued for d in result.days] == [d.total for d in daily]
    expected_history = [
        (e.account_id, e.business_date, e.from_bucket, e.to_bucket, e.dpd, e.movement.value)
        for e in sorted(history, key=lambda e: (e.business_date, e.account_id))
    ]
    assert result.bucket_changes.sort("business_date", "account_id").rows() == expected_history


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(), policy=policies_strategy, states=accounts_strategy(), days=st.integers(1, 45)
)
def test_vectorised_and_scalar_nightly_agree_on_random_portfolios(
    data: st.DataObject, policy: ProductPolicy, states: list[AccountState], days: int
) -> None:
    ids = [s.account_id for s in states]
    pauses = data.draw(pauses_strategy(ids))
    plan = payments_by_day(data.draw, ids, days)
    run_both(states, policy, days, pauses, plan)


def test_a_year_of_nightly_runs_shows_zero_drift_between_the_two_forms() -> None:
    portfolio = generate_portfolio(300, date(2025, 11, 20), seed=7)
    states = account_states(portfolio.accounts)
    pauses: dict[int, list[Pause]] = {}
    for row in portfolio.pauses.iter_rows(named=True):
        pauses.setdefault(row["account_id"], []).append(
            Pause(row["start"], row["end"], row["reason"])
        )
    frozen = {k: tuple(v) for k, v in pauses.items()}
    policies = {p.code: p for p in portfolio.policies}

    def receipts(day: date) -> dict[int, int]:
        frame = portfolio.payments_for(day)
        return dict(zip(frame["account_id"].to_list(), frame["amount"].to_list(), strict=True))

    through = date(2026, 11, 20)  # 365 days
    expected, history, daily = close_days_scalar(
        states, policies, through, pauses=frozen, payments_for=receipts
    )
    result = close_days(
        portfolio.accounts,
        list(portfolio.policies),
        through,
        pauses=portfolio.pauses.drop("reason"),
        payments_for=portfolio.payments_for,
    )
    assert len(result.days) == 365
    actual = result.accounts.sort("account_id")
    reference = accounts_frame(expected).sort("account_id")
    drift = actual.select(
        pl.col(["principal", "interest", "penalty", "fee", "credit"])
    ) - reference.select(pl.col(["principal", "interest", "penalty", "fee", "credit"]))
    assert drift.select(pl.all().abs().sum()).row(0) == (0, 0, 0, 0, 0)
    assert account_states(actual) == expected
    assert sum(d.totals.accrued for d in result.days) == sum(d.total for d in daily) > 0
    assert result.bucket_changes.height == len(history) > 0
    # The simulation did something real: payments arrived and some accounts settled.
    assert sum(d.totals.received for d in result.days) > 0
    assert actual.filter(pl.col("status") == "settled").height > 0
