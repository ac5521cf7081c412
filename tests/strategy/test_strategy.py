"""Strategy documents, segmentation, champion / challenger arms and the actions due each day."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.core.delinquency import add_months
from huikuan.demo.synthetic import generate_portfolio
from huikuan.strategy import (
    ACTION_SCHEMA,
    StrategyError,
    assign_arms,
    assign_segments,
    default_strategy,
    dry_run,
    due_actions,
    strategy_from_yaml,
)
from huikuan.strategy.planning import arm_of

SMALL = textwrap.dedent(
    """\
    code: TEST
    version: 2
    arms:
      - {code: champion, share: 100}
    segments:
      - code: PRE
        when: {bucket: M0}
        treatment: PRE
      - code: EARLY
        when:
          bucket: [M1]
          balance_fen: {min: 100000}
        treatment: EARLY
      - code: LATE
        when: {dpd: {min: 31, max: 90}, product: [CARD, LOAN]}
        treatment: LATE
    treatments:
      - code: PRE
        exit_on: [payment]
        steps:
          - {due_offset: -3, channel: sms, template: SMS-D3, priority: 80}
          - {due_offset: -1, channel: sms, template: SMS-D1, priority: 70}
      - code: EARLY
        exit_on: [payment, promise_kept, plan]
        steps:
          - {dpd: 1, channel: sms, template: SMS-M1, priority: 60}
          - {dpd: 3, every: 2, until_dpd: 9, channel: call, template: CALL, priority: 30}
          - {dpd: 5, channel: legal, template: REF, priority: 10, exit_on: [plan]}
      - code: LATE
        steps:
          - {dpd: 31, channel: letter, template: LETTER, priority: 50}
    """
)


def line_of(text: str, snippet: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if snippet in line:
            return number
    raise AssertionError(snippet)


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(StrategyError) as caught:
        strategy_from_yaml(text)
    return caught.value.problems


# --- the document ------------------------------------------------------------------------


def test_small_and_default_documents_load() -> None:
    small = strategy_from_yaml(SMALL)
    assert (small.code, small.version) == ("TEST", 2)
    assert [s.code for s in small.segments] == ["PRE", "EARLY", "LATE"]
    assert small.treatments["EARLY"].steps[2].exit_on == {"plan"}
    default = default_strategy()
    assert {arm.code: float(arm.share) for arm in default.arms} == {
        "champion": 80.0,
        "challenger": 15.0,
        "holdout": 5.0,
    }
    assert default.treatment_for("challenger", "M1") == "M1-CALL-FIRST"
    assert default.treatment_for("champion", "M1") == "M1-STD"
    assert default.treatment_for("holdout", "M1") is None
    channels = {step.channel for t in default.treatments.values() for step in t.steps}
    assert channels == {"sms", "call", "email", "letter", "legal"}


@pytest.mark.parametrize(
    ("old", "new", "expected", "anchor"),
    [
        ("bucket: [M1]", "bucket: [M9]", "segments[1].when.bucket[0]: unknown bucket 'M9'", "M9"),
        (
            "when: {bucket: M0}",
            "when: {bucket: X}",
            "segments[0].when.bucket: unknown bucket 'X'",
            "bucket: X",
        ),
        (
            "treatment: LATE",
            "treatment: LAET",
            "segments[2].treatment: unknown treatment 'LAET'",
            "LAET",
        ),
        (
            "channel: letter",
            "channel: fax",
            "treatments[2].steps[0].channel: unknown channel 'fax'",
            "fax",
        ),
        ("template: SMS-M1, ", "", "treatments[1].steps[0]: missing field 'template'", "dpd: 1,"),
        (
            "{dpd: 31, ",
            "{dpd: 31, due_offset: 2, ",
            "treatments[2].steps[0]: give exactly one trigger",
            "due_offset: 2",
        ),
        (
            "priority: 30",
            "priority: 0",
            "treatments[1].steps[1].priority: must be in 1–99, got 0",
            "priority: 0",
        ),
        (
            "priority: 80",
            "priority: high",
            "treatments[0].steps[0].priority: must be a whole number, got 'high'",
            "high",
        ),
        (
            "exit_on: [payment]",
            "exit_on: [paid]",
            "treatments[0].exit_on[0]: unknown exit condition 'paid'",
            "paid]",
        ),
        (
            "    treatment: EARLY",
            "    treatmnet: EARLY",
            "segments[1].treatmnet: unknown field 'treatmnet'",
            "treatmnet",
        ),
        ("share: 100", "share: 95", "arms: shares add up to 95%, not 100%", "arms:"),
        ("share: 100", "share: 33.333", "arms[0].share: must be a percentage", "33.333"),
        ("max: 90}", "max: 20}", "segments[2].when.dpd: max 20 is below min 31", "max: 20"),
        (
            "until_dpd: 9",
            "until_dpd: 2",
            "treatments[1].steps[1].until_dpd: must not be before",
            "until_dpd: 2",
        ),
        ("version: 2", "version: 0", "version: must be in 1–…, got 0", "version"),
        ("version: 2\n", "version: 2\nversion: 3\n", "version: duplicate key", "version: 3"),
        ("code: TEST\n", "", "<document>: missing field 'code'", "version"),
    ],
)
def test_each_mistake_is_named_with_its_path_and_line(
    old: str, new: str, expected: str, anchor: str
) -> None:
    assert old in SMALL
    text = SMALL.replace(old, new, 1)
    line = 1 if expected.startswith("<document>") else line_of(text, anchor)
    problems = problems_of(text)
    matching = [p for p in problems if p.startswith(expected)]
    assert matching, problems
    assert matching[0].endswith(f"(line {line})"), matching[0]


def test_duplicate_segment_names_the_second_one() -> None:
    text = SMALL.replace("  - code: LATE\n    when", "  - code: EARLY\n    when", 1)
    (problem,) = problems_of(text)
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line == "  - code: EARLY"]
    assert problem == f"segments[2].code: duplicate segment 'EARLY' (line {lines[1]})"


def test_every_mistake_is_reported_at_once_and_bad_yaml_has_a_line() -> None:
    text = SMALL.replace("bucket: [M1]", "bucket: [M9]").replace("channel: letter", "channel: fax")
    assert len(problems_of(text)) == 2
    with pytest.raises(StrategyError, match=r"not valid YAML: .* \(line \d+\)"):
        strategy_from_yaml("code: [1,\nversion: 2\n")
    assert problems_of("[]") == ("<document>: must be a mapping (line 1)",)


# --- segments and the dry run --------------------------------------------------------------

AS_OF = date(2026, 3, 15)


@pytest.fixture(scope="module")
def portfolio() -> pl.DataFrame:
    return generate_portfolio(5_000, AS_OF, seed=7).accounts


def test_dry_run_on_a_synthetic_portfolio(portfolio: pl.DataFrame) -> None:
    strategy = default_strategy()
    assigned = assign_segments(portfolio, strategy)
    result = dry_run(portfolio, strategy)
    assert result.unmatched == ()
    assert int(result.segments.get_column("accounts").sum()) == portfolio.height
    assert result.segments.get_column("segment").to_list() == [s.code for s in strategy.segments]
    by_bucket = assigned.group_by("segment").agg(pl.col("bucket").unique().sort())
    buckets = dict(zip(by_bucket["segment"], by_bucket["bucket"].to_list(), strict=True))
    assert buckets["PRE-DUE"] == ["M0"]
    assert buckets["M1"] == buckets["M1-HIGH"] == ["M1"]
    high = assigned.filter(pl.col("segment") == "M1-HIGH")
    assert (high["principal"] + high["interest"] + high["penalty"] + high["fee"]).min() >= 5_000_000


def test_unmatched_accounts_are_listed_and_missing_columns_named(portfolio: pl.DataFrame) -> None:
    small = strategy_from_yaml(SMALL)
    result = dry_run(portfolio, small)
    assigned = assign_segments(portfolio, small)
    nulls = assigned.filter(pl.col("segment").is_null())["account_id"].to_list()
    assert result.unmatched == tuple(nulls)
    assert nulls  # M3+ accounts and small M1 balances match nothing here
    needs_language = strategy_from_yaml(SMALL.replace("when: {bucket: M0}", "when: {language: zh}"))
    with pytest.raises(ValueError, match="segment PRE: the accounts frame has no column"):
        assign_segments(portfolio, needs_language)


PRODUCTS = ["CARD", "LOAN", "MICRO", None]


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 500_000), st.sampled_from(PRODUCTS)),
        min_size=1,
        max_size=60,
    )
)
def test_every_account_gets_exactly_the_first_matching_segment_or_is_unmatched(
    rows: list[tuple[int, int, str | None]],
) -> None:
    strategy = strategy_from_yaml(SMALL)
    frame = pl.DataFrame(
        {
            "account_id": list(range(1, len(rows) + 1)),
            "dpd": [r[0] for r in rows],
            "principal": [r[1] for r in rows],
            "interest": [0] * len(rows),
            "penalty": [0] * len(rows),
            "fee": [0] * len(rows),
            "product_code": [r[2] for r in rows],
        },
        schema_overrides={"dpd": pl.Int32, "product_code": pl.String},
    )
    assigned = assign_segments(frame, strategy)
    assert assigned.height == frame.height
    assert assigned["account_id"].to_list() == frame["account_id"].to_list()
    unmatched = set(dry_run(frame, strategy).unmatched)
    for account_id, (dpd, balance, product) in enumerate(rows, start=1):
        expected = None
        if dpd == 0:
            expected = "PRE"
        elif 1 <= dpd <= 30 and balance >= 100_000:
            expected = "EARLY"
        elif 31 <= dpd <= 90 and product in ("CARD", "LOAN"):
            expected = "LATE"
        assert assigned["segment"][account_id - 1] == expected
        assert (account_id in unmatched) == (expected is None)


# --- arms ----------------------------------------------------------------------------------

ARM_SCRIPT = """
import hashlib
from huikuan.strategy import assign_arms, default_strategy
arms = assign_arms(range(1, 100_001), default_strategy())["arm"].to_list()
print(hashlib.sha256("\\n".join(arms).encode()).hexdigest())
"""


def test_arm_shares_match_the_percentages_and_are_stable_across_processes() -> None:
    strategy = default_strategy()
    ids = range(1, 100_001)
    arms = assign_arms(ids, strategy)
    shares = dict(arms.group_by("arm").len().iter_rows())
    for arm in strategy.arms:
        assert abs(shares[arm.code] / 100_000 - float(arm.share) / 100) < 0.005, shares
    assert arms.equals(assign_arms(ids, strategy))
    assert arm_of(12345, strategy) == arms["arm"][12344]
    digest = hashlib.sha256("\n".join(arms["arm"].to_list()).encode()).hexdigest()
    for seed in ("0", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", ARM_SCRIPT],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        assert done.stdout.strip() == digest


def test_arm_depends_on_the_strategy_code_not_its_version() -> None:
    first = assign_arms(range(1, 2_001), strategy_from_yaml(SMALL.replace("code: TEST", "code: A")))
    other = assign_arms(range(1, 2_001), strategy_from_yaml(SMALL.replace("code: TEST", "code: B")))
    revised = strategy_from_yaml(
        SMALL.replace("code: TEST", "code: A").replace("version: 2", "version: 9")
    )
    assert not first["arm_slot"].equals(other["arm_slot"])
    assert first.equals(assign_arms(range(1, 2_001), revised))


# --- actions -------------------------------------------------------------------------------


def account(
    account_id: int,
    *,
    first_due: date,
    paid: int = 0,
    dpd: int = 0,
    cycles: int | None = 12,
    principal: int = 1_000_000,
    **extra: object,
) -> dict[str, object]:
    return {
        "account_id": account_id,
        "product_code": "LOAN",
        "status": "open",
        "principal": principal,
        "interest": 0,
        "penalty": 0,
        "fee": 0,
        "first_due": first_due,
        "instalment": 10_000,
        "cycles": cycles,
        "paid_to_schedule": paid,
        "dpd": dpd,
        **extra,
    }


def frame_of(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema_overrides={"cycles": pl.Int32, "dpd": pl.Int32, "first_due": pl.Date},
    )


def firing_days(frame: pl.DataFrame, start: date, days: int) -> list[tuple[date, str]]:
    strategy = strategy_from_yaml(SMALL)
    segmented = assign_segments(frame, strategy)
    found = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        actions = due_actions(segmented, strategy, day)
        assert actions.schema == pl.Schema(ACTION_SCHEMA)
        found += [(day, reason) for reason in actions["reason"].to_list()]
    return found


@pytest.mark.parametrize(
    ("first_due", "paid", "due"),
    [
        (date(2026, 1, 31), 10_000, date(2026, 2, 28)),  # month-end anchor clipped in February
        (date(2026, 1, 31), 20_000, date(2026, 3, 31)),  # … and back on the 31st in March
        (date(2024, 1, 30), 10_000, date(2024, 2, 29)),  # leap year
        (date(2026, 3, 1), 15_000, date(2026, 4, 1)),  # a part-paid instalment is still due
        (date(2026, 12, 2), 0, date(2026, 12, 2)),  # across a month boundary (D-3 = 29 Nov)
    ],
)
def test_pre_due_reminders_land_on_d_minus_3_and_d_minus_1(
    first_due: date, paid: int, due: date
) -> None:
    frame = frame_of(account(1, first_due=first_due, paid=paid))
    found = firing_days(frame, due - timedelta(days=6), 9)
    assert found == [(due - timedelta(days=3), "due-3"), (due - timedelta(days=1), "due-1")]


def test_no_pre_due_reminder_once_a_loan_is_paid_off() -> None:
    frame = frame_of(account(1, first_due=date(2026, 1, 10), paid=30_000, cycles=3))
    assert firing_days(frame, date(2026, 3, 1), 70) == []


@settings(max_examples=40)
@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 40))
def test_pre_due_matches_the_scalar_month_arithmetic(first_due: date, cycle: int) -> None:
    due = add_months(first_due, cycle)
    frame = assign_segments(
        frame_of(account(1, first_due=first_due, paid=cycle * 10_000, cycles=None)),
        strategy_from_yaml(SMALL),
    )
    strategy = strategy_from_yaml(SMALL)
    assert due_actions(frame, strategy, due - timedelta(days=3))["reason"].to_list() == ["due-3"]
    assert due_actions(frame, strategy, due - timedelta(days=2)).is_empty()


def test_overdue_steps_fire_on_their_dpd_and_repeat() -> None:
    strategy = strategy_from_yaml(SMALL)
    templates = {}
    for dpd in range(1, 12):
        frame = assign_segments(frame_of(account(1, first_due=date(2026, 1, 5), dpd=dpd)), strategy)
        actions = due_actions(frame, strategy, date(2026, 3, 1))
        templates[dpd] = actions["template"].to_list()
    assert templates[1] == ["SMS-M1"]
    assert templates[5] == ["REF", "CALL"]  # sorted by priority
    assert [d for d, t in templates.items() if "CALL" in t] == [3, 5, 7, 9]
    row = due_actions(frame, strategy, date(2026, 3, 1))
    assert row.is_empty()  # dpd 11: nothing left
    frame = assign_segments(frame_of(account(1, first_due=date(2026, 1, 5), dpd=3)), strategy)
    first = due_actions(frame, strategy, date(2026, 3, 1)).row(0, named=True)
    assert first["reason"] == "dpd=3"
    assert (first["segment"], first["treatment"], first["arm"], first["step"]) == (
        "EARLY",
        "EARLY",
        "champion",
        2,
    )


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, ["REF", "CALL"]),
        ({"paid_since_start": True}, ["REF"]),  # payment stops the call, not the referral
        ({"promise_kept": True}, ["REF"]),
        ({"in_plan": True}, []),  # a plan stops everything
        ({"paid_since_start": None, "in_plan": False}, ["REF", "CALL"]),  # unknown: no exit
    ],
)
def test_exit_conditions_stop_steps(flags: dict[str, bool | None], expected: list[str]) -> None:
    strategy = strategy_from_yaml(SMALL)
    row = account(1, first_due=date(2026, 1, 5), dpd=5, **flags)
    frame = pl.DataFrame(
        [row],
        schema_overrides=dict.fromkeys(flags, pl.Boolean)
        | {"cycles": pl.Int32, "dpd": pl.Int32, "first_due": pl.Date},
    )
    actions = due_actions(assign_segments(frame, strategy), strategy, date(2026, 3, 1))
    assert actions["template"].to_list() == expected


def test_closed_accounts_get_nothing() -> None:
    strategy = strategy_from_yaml(SMALL)
    row = account(1, first_due=date(2026, 1, 5), dpd=1) | {"status": "settled"}
    frame = assign_segments(frame_of(row), strategy)
    assert due_actions(frame, strategy, date(2026, 3, 1)).is_empty()


def test_hold_out_gets_nothing_and_every_action_carries_its_arm(portfolio: pl.DataFrame) -> None:
    strategy = default_strategy()
    segmented = assign_segments(portfolio, strategy)
    arms = assign_arms(segmented["account_id"], strategy)
    holdout = set(arms.filter(pl.col("arm") == "holdout")["account_id"].to_list())
    assert holdout
    actions = pl.concat(
        [due_actions(segmented, strategy, AS_OF + timedelta(days=d)) for d in range(0, 10)]
    )
    assert not actions.is_empty()
    assert actions["arm"].null_count() == 0
    assert set(actions["arm"].unique()) == {"champion", "challenger"}
    assert holdout.isdisjoint(actions["account_id"].to_list())
    joined = actions.join(arms, on="account_id", suffix="_drawn")
    assert (joined["arm"] == joined["arm_drawn"]).all()
    challenger_m1 = actions.filter((pl.col("arm") == "challenger") & (pl.col("segment") == "M1"))
    assert set(challenger_m1["treatment"]) == {"M1-CALL-FIRST"}
    champion_m1 = actions.filter((pl.col("arm") == "champion") & (pl.col("segment") == "M1"))
    assert set(champion_m1["treatment"]) == {"M1-STD"}
    assert set(actions["reason"].filter(actions["segment"] == "PRE-DUE")) == {"due-3", "due-1"}
