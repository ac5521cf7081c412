"""The synthetic portfolio is seedable, realistic in shape and consistent with the rules."""

from __future__ import annotations

from datetime import date

import polars as pl

from huikuan.core.delinquency import days_past_due
from huikuan.core.identity import is_valid_cn_id, is_valid_cn_mobile
from huikuan.demo.synthetic import generate_people, generate_portfolio
from huikuan.nightly.frames import account_states

AS_OF = date(2026, 11, 20)


def test_same_seed_same_portfolio_and_same_receipts() -> None:
    first = generate_portfolio(2_000, AS_OF, seed=42)
    second = generate_portfolio(2_000, AS_OF, seed=42)
    other = generate_portfolio(2_000, AS_OF, seed=43)
    assert first.accounts.equals(second.accounts)
    assert not first.accounts.equals(other.accounts)
    day = date(2026, 11, 21)
    assert first.payments_for(day).equals(second.payments_for(day))
    assert first.payments_for(AS_OF).height == 0  # nothing arrives on or before the start


def test_a_collections_portfolio_shape() -> None:
    portfolio = generate_portfolio(20_000, AS_OF, seed=1)
    accounts = portfolio.accounts
    assert accounts.get_column("account_id").is_unique().all()
    shares = accounts.group_by("product_code").len().sort("product_code")
    assert set(shares.get_column("product_code")) == {"CC", "CL", "OL"}
    delinquent = accounts.filter(pl.col("dpd") > 0).height / accounts.height
    assert 0.8 < delinquent < 0.97  # mostly behind, a few current
    assert accounts.filter(pl.col("dpd") > 180).height > 0  # a long tail past write-off age
    for column in ("principal", "interest", "penalty", "fee", "instalment"):
        assert accounts.get_column(column).min() >= 0  # type: ignore[operator]
    cards = accounts.filter(pl.col("product_code") == "CC")
    assert cards.get_column("cycles").null_count() == cards.height  # revolving: no term
    assert 0 < portfolio.pauses.height < accounts.height * 0.02
    assert accounts.get_column("debtor_id").n_unique() < accounts.height  # some share a debtor


def test_opening_dpd_is_the_scalar_rule() -> None:
    portfolio = generate_portfolio(500, AS_OF, seed=5)
    paused = set(portfolio.pauses.get_column("account_id").to_list())
    graces = {policy.code: policy.grace_days for policy in portfolio.policies}
    for state in account_states(portfolio.accounts):
        if state.account_id in paused:
            continue
        oldest = state.schedule.oldest_unpaid_due(state.paid_to_schedule, AS_OF)
        expected = days_past_due(oldest, AS_OF, grace_days=graces[state.product_code])
        assert state.dpd == expected


def test_synthetic_people_pass_format_checks_and_are_deterministic() -> None:
    people = generate_people(list(range(1, 201)), seed=9)
    assert people == generate_people(list(range(1, 201)), seed=9)
    assert all(is_valid_cn_id(p.id_number) for p in people)
    assert all(is_valid_cn_mobile(p.mobile) for p in people)
    assert all(2 <= len(p.name) <= 3 for p in people)
    assert len({p.id_number for p in people}) == len(people)
