"""Agent commissions (提成) and agency fees (委外佣金): the seed examples, then properties."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.core.commissions import (
    SEED_AGENCY_FEE_SCHEME,
    SEED_FIXED,
    SEED_MILESTONE,
    SEED_QUALITY_BANDS,
    SEED_TIERED_SLICES,
    SEED_TIERED_WHOLE,
    AgencyFeeBand,
    AgencyFeeScheme,
    AttributedReceipt,
    Bonus,
    BrokenPlan,
    FixedRate,
    LineCode,
    Milestone,
    Scheme,
    SchemeKind,
    StatementPeriod,
    Tier,
    TieredRate,
    TierReading,
    agency_fee,
    build_statement,
    commission_for,
    quality_multiplier_ppm,
)
from huikuan.core.money import Rounding, parse_minor


def yuan(text: str) -> int:
    """Yuan written as the business writes them, in fen."""
    return parse_minor(text)


MARCH_2026 = StatementPeriod(date(2026, 3, 1), date(2026, 3, 31))


def milestone(increment: str) -> Scheme:
    return Scheme(
        code="milestone",
        version=1,
        basis=Milestone(step=yuan("100,000"), first_award=yuan("1,000"), increment=yuan(increment)),
    )


# --- the seed examples --------------------------------------------------------------------------


def test_fixed_five_percent_of_100000_yuan_is_5000_yuan() -> None:
    assert SEED_FIXED.kind is SchemeKind.FIXED
    assert commission_for(yuan("100,000"), SEED_FIXED) == yuan("5,000")


@pytest.mark.parametrize(
    ("recovered", "whole_amount", "slices"),
    [
        # 100,000: both readings stay in the 4% tier: 4% x 100,000 = 4,000.
        ("100,000", "4,000", "4,000"),
        # 150,000: whole = 5% x 150,000 = 7,500; slices = 4% x 100,000 + 5% x 50,000
        #          = 4,000 + 2,500 = 6,500.
        ("150,000", "7,500", "6,500"),
        # 250,000: whole = 6% x 250,000 = 15,000; slices = 4,000 + 5% x 100,000 + 6% x 50,000
        #          = 4,000 + 5,000 + 3,000 = 12,000.
        ("250,000", "15,000", "12,000"),
    ],
)
def test_tiered_4_5_6_in_both_readings(recovered: str, whole_amount: str, slices: str) -> None:
    assert commission_for(yuan(recovered), SEED_TIERED_WHOLE) == yuan(whole_amount)
    assert commission_for(yuan(recovered), SEED_TIERED_SLICES) == yuan(slices)


def test_one_fen_above_100000_moves_into_the_5_percent_tier() -> None:
    # Bounds are inclusive in fen: 100,000.00 is the top of the 4% tier, 100,000.01 is 5%.
    # Whole amount: 5% x 100,000.01 = 5,000.0005 -> 5,000.00 (half up): a 1,000-yuan cliff.
    assert commission_for(yuan("100,000.00"), SEED_TIERED_WHOLE) == yuan("4,000")
    assert commission_for(yuan("100,000.01"), SEED_TIERED_WHOLE) == yuan("5,000")
    # Slices: 4,000 + 5% x 0.01 = 4,000.0005 -> 4,000.00: no cliff.
    assert commission_for(yuan("100,000.01"), SEED_TIERED_SLICES) == yuan("4,000")
    assert commission_for(yuan("200,000.00"), SEED_TIERED_WHOLE) == yuan("10,000")
    assert commission_for(yuan("200,000.01"), SEED_TIERED_WHOLE) == yuan("12,000")


def test_tiered_slices_round_once_on_the_sum_not_per_slice() -> None:
    # 100,000.10 in slices: 4% x 100,000 = 4,000.00 and 5% x 0.10 = 0.005 -> 4,000.005.
    # One rounding, half up: 4,000.01. Half even would keep 4,000.00 (0 is even).
    assert commission_for(yuan("100,000.10"), SEED_TIERED_SLICES) == yuan("4,000.01")
    half_even = replace(SEED_TIERED_SLICES, rounding=Rounding.HALF_EVEN)
    assert commission_for(yuan("100,000.10"), half_even) == yuan("4,000.00")


def test_milestone_1000_for_each_100000() -> None:
    assert SEED_MILESTONE.kind is SchemeKind.MILESTONE
    assert commission_for(yuan("99,999.99"), SEED_MILESTONE) == 0
    assert commission_for(yuan("100,000"), SEED_MILESTONE) == yuan("1,000")
    assert commission_for(yuan("199,999.99"), SEED_MILESTONE) == yuan("1,000")
    assert commission_for(yuan("200,000"), SEED_MILESTONE) == yuan("2,000")


def test_milestone_awards_rising_by_500_a_step() -> None:
    rising = milestone(increment="500")
    assert commission_for(yuan("100,000"), rising) == yuan("1,000")
    assert commission_for(yuan("200,000"), rising) == yuan("2,500")  # 1,000 + 1,500
    assert commission_for(yuan("300,000"), rising) == yuan("4,500")  # 1,000 + 1,500 + 2,000


def test_milestone_counts_only_steps_crossed_this_period_of_a_quarterly_run() -> None:
    # January and February brought 150,000 (step 1 already awarded); March brings 60,000,
    # cumulative 210,000 crosses step 2 only, which is worth 1,500 with a 500 increment.
    rising = milestone(increment="500")
    assert commission_for(yuan("60,000"), rising, recovered_before=yuan("150,000")) == yuan("1,500")
    assert commission_for(yuan("40,000"), rising, recovered_before=yuan("150,000")) == 0


def test_recovered_before_is_refused_for_schemes_without_milestones() -> None:
    with pytest.raises(ValueError, match="not a milestone scheme"):
        commission_for(yuan("100"), SEED_FIXED, recovered_before=yuan("100"))


# --- quality multiplier (质检系数) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "multiplier_ppm"),
    [
        (0, 500_000),
        (59, 500_000),
        (60, 900_000),
        (79, 900_000),
        (80, 1_000_000),
        (89, 1_000_000),
        (90, 1_100_000),
        (100, 1_100_000),
    ],
)
def test_quality_bands_at_their_edges(score: int, multiplier_ppm: int) -> None:
    assert quality_multiplier_ppm(score, SEED_QUALITY_BANDS) == multiplier_ppm


@pytest.mark.parametrize(
    ("qa_score", "total"),
    [(55, "2,500"), (70, "4,500"), (85, "5,000"), (95, "5,500")],  # 5,000 x 0.5/0.9/1.0/1.1
)
def test_quality_multiplier_scales_the_march_commission(qa_score: int, total: str) -> None:
    scheme = replace(SEED_FIXED, quality_bands=SEED_QUALITY_BANDS)
    receipts = [AttributedReceipt(date(2026, 3, 12), yuan("100,000"))]
    statement = build_statement("agent-007", MARCH_2026, receipts, scheme, qa_score=qa_score)
    assert [line.code for line in statement.lines] == [
        LineCode.COMMISSION,
        LineCode.QUALITY_ADJUSTMENT,
    ]
    assert statement.lines[0].amount == yuan("5,000")
    assert statement.total == yuan(total)
    assert statement.lines[1].amount == yuan(total) - yuan("5,000")


def test_quality_rounding_is_the_one_the_scheme_names() -> None:
    # 0.05 of commission x 0.9 = 0.045 yuan = 4.5 fen: half up 5 fen, half even 4 fen.
    receipts = [AttributedReceipt(date(2026, 3, 2), yuan("1.00"))]
    half_up = replace(SEED_FIXED, quality_bands=SEED_QUALITY_BANDS)
    half_even = replace(half_up, quality_rounding=Rounding.HALF_EVEN)
    assert build_statement("a", MARCH_2026, receipts, half_up, qa_score=70).total == 5
    statement = build_statement("a", MARCH_2026, receipts, half_even, qa_score=70)
    assert statement.total == 4
    assert "rounded half_even" in statement.lines[1].description


def test_a_scheme_with_quality_bands_needs_a_qa_score() -> None:
    scheme = replace(SEED_FIXED, quality_bands=SEED_QUALITY_BANDS)
    receipts = [AttributedReceipt(date(2026, 3, 2), yuan("100"))]
    with pytest.raises(ValueError, match="QA score"):
        build_statement("a", MARCH_2026, receipts, scheme)


# --- statements: bonuses and clawbacks ----------------------------------------------------------


def test_march_statement_with_bonus_and_a_plan_that_broke() -> None:
    # Agent 007 collected 80,000 outside plans and 20,000 on instalment plan P-7 in March.
    # P-7 broke on 2026-03-20; 750 of commission was paid on its January and February receipts.
    # Fixed 5%: commission on 80,000 = 4,000 (P-7's 20,000 earns none); bonus 2,000;
    # clawback -750. Total 4,000 + 2,000 - 750 = 5,250.
    receipts = [
        AttributedReceipt(date(2026, 3, 5), yuan("80,000")),
        AttributedReceipt(date(2026, 3, 10), yuan("20,000"), plan_id="P-7"),
    ]
    statement = build_statement(
        "agent-007",
        MARCH_2026,
        receipts,
        SEED_FIXED,
        broken_plans=[BrokenPlan("P-7", date(2026, 3, 20), commission_paid=yuan("750"))],
        bonuses=[Bonus("top-collector", "Top collector of March 本月回款冠军", yuan("2,000"))],
    )
    assert statement.recovered == yuan("100,000")
    assert statement.excluded_on_broken_plans == yuan("20,000")
    assert statement.commission_base == yuan("80,000")
    assert [(line.code, line.amount) for line in statement.lines] == [
        (LineCode.COMMISSION, yuan("4,000")),
        (LineCode.BONUS, yuan("2,000")),
        (LineCode.CLAWBACK, -yuan("750")),
    ]
    assert statement.lines[2].reference == "P-7"
    assert statement.total == yuan("5,250")
    assert (statement.scheme_code, statement.scheme_version) == ("fixed-5pct", 1)


def test_clawback_can_take_the_month_below_zero() -> None:
    receipts = [AttributedReceipt(date(2026, 3, 5), yuan("10,000"))]  # earns 500
    broken = [BrokenPlan("S-1", date(2026, 3, 31), commission_paid=yuan("3,000"))]
    statement = build_statement("a", MARCH_2026, receipts, SEED_FIXED, broken_plans=broken)
    assert statement.total == yuan("-2,500")


def test_clawback_belongs_to_the_period_in_which_the_plan_broke() -> None:
    broken = [BrokenPlan("S-1", date(2026, 4, 1), commission_paid=yuan("3,000"))]
    with pytest.raises(ValueError, match="claw back in the period in which it broke"):
        build_statement("a", MARCH_2026, [], SEED_FIXED, broken_plans=broken)


def test_receipts_outside_the_period_are_refused() -> None:
    receipts = [AttributedReceipt(date(2026, 2, 28), yuan("100"))]
    with pytest.raises(ValueError, match=re.escape("outside the period 2026-03-01..2026-03-31")):
        build_statement("a", MARCH_2026, receipts, SEED_FIXED)


def test_tiered_statement_describes_its_slices() -> None:
    receipts = [
        AttributedReceipt(date(2026, 3, 3), yuan("90,000")),
        AttributedReceipt(date(2026, 3, 25), yuan("60,000")),
    ]
    statement = build_statement("a", MARCH_2026, receipts, SEED_TIERED_SLICES)
    assert statement.total == yuan("6,500")
    assert "4% of 100,000.00 + 5% of 50,000.00" in statement.lines[0].description
    assert "超额累进" in statement.lines[0].description


# --- agency fees (委外佣金) -----------------------------------------------------------------------


def test_agency_fee_by_bucket_band() -> None:
    # M1 8% x 100,000 = 8,000; M2 12% x 50,000 = 6,000; M3 15% x 10,000 = 1,500;
    # M5 (in M4-M6) 20% x 20,000 = 4,000; M9 (in M7+) 30% x 10,000 = 3,000. Fee 22,500.
    recovered = {
        "M9": yuan("10,000"),
        "M2": yuan("50,000"),
        "M1": yuan("100,000"),
        "M5": yuan("20,000"),
        "M3": yuan("10,000"),
    }
    fee = agency_fee(recovered, SEED_AGENCY_FEE_SCHEME)
    assert [(line.bucket, line.band, line.fee) for line in fee.lines] == [
        ("M1", "M1", yuan("8,000")),
        ("M2", "M2", yuan("6,000")),
        ("M3", "M3", yuan("1,500")),
        ("M5", "M4-M6", yuan("4,000")),
        ("M9", "M7+", yuan("3,000")),
    ]
    assert fee.total_recovered == yuan("190,000")
    assert fee.total_fee == yuan("22,500")


def test_agency_fee_accepts_the_open_ended_bucket_code() -> None:
    fee = agency_fee({"M7+": yuan("1,000")}, SEED_AGENCY_FEE_SCHEME)
    assert fee.total_fee == yuan("300")


@pytest.mark.parametrize("bucket", ["M0", "M5+", "D30", ""])
def test_agency_fee_refuses_buckets_the_scheme_has_no_rate_for(bucket: str) -> None:
    with pytest.raises(ValueError, match=r"bucket|no rate"):
        agency_fee({bucket: yuan("100")}, SEED_AGENCY_FEE_SCHEME)


def test_agency_fee_bands_must_not_overlap() -> None:
    with pytest.raises(ValueError, match="overlap"):
        AgencyFeeScheme(
            code="bad",
            version=1,
            bands=(AgencyFeeBand(1, 3, 80_000), AgencyFeeBand(3, None, 100_000)),
        )


# --- properties ---------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**11)  # up to 1 billion yuan, in fen
roundings = st.sampled_from(list(Rounding))


@st.composite
def increasing_tiers(draw: st.DrawFn) -> tuple[Tier, ...]:
    bounds = sorted(draw(st.sets(st.integers(1, 10**10), min_size=0, max_size=5)))
    rates = sorted(
        draw(st.sets(st.integers(0, 500_000), min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    )
    uppers: list[int | None] = [*bounds, None]
    return tuple(Tier(up_to, rate) for up_to, rate in zip(uppers, rates, strict=True))


@given(increasing_tiers(), amounts, roundings)
def test_slices_never_pay_more_than_the_whole_amount_reading(
    tiers: tuple[Tier, ...], amount: int, rounding: Rounding
) -> None:
    whole = Scheme("w", 1, TieredRate(tiers, TierReading.WHOLE_AMOUNT), rounding=rounding)
    slices = Scheme("s", 1, TieredRate(tiers, TierReading.SLICES), rounding=rounding)
    assert commission_for(amount, slices) <= commission_for(amount, whole)


@given(increasing_tiers(), amounts)
def test_slices_of_an_amount_add_back_up_to_it(tiers: tuple[Tier, ...], amount: int) -> None:
    parts = TieredRate(tiers, TierReading.SLICES).slices(amount)
    assert sum(part for part, _ in parts) == amount


monotone_schemes = st.one_of(
    st.builds(
        lambda rate, rounding: Scheme("f", 1, FixedRate(rate), rounding=rounding),
        st.integers(0, 1_000_000),
        roundings,
    ),
    st.builds(
        lambda tiers, rounding: Scheme(
            "t", 1, TieredRate(tiers, TierReading.SLICES), rounding=rounding
        ),
        increasing_tiers(),
        roundings,
    ),
    st.builds(
        lambda step, first, increment: Scheme("m", 1, Milestone(step, first, increment)),
        st.integers(1, 10**9),
        st.integers(0, 10**7),
        st.integers(0, 10**6),
    ),
)


@given(monotone_schemes, amounts, amounts)
def test_recovering_more_never_earns_less(scheme: Scheme, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert commission_for(low, scheme) <= commission_for(high, scheme)


@given(
    st.integers(10**7, 10**8),
    st.integers(0, 10**6),
    st.integers(0, 10**5),
    st.integers(0, 10**10),
    st.integers(0, 10**10),
)
def test_milestone_awards_match_counting_step_by_step(
    step: int, first: int, increment: int, before: int, amount: int
) -> None:
    scheme = Scheme("m", 1, Milestone(step, first, increment))
    crossed = range(before // step + 1, (before + amount) // step + 1)  # at most ~2,000 steps
    expected = sum(first + (k - 1) * increment for k in crossed)
    assert commission_for(amount, scheme, recovered_before=before) == expected


@given(
    st.dictionaries(
        st.sampled_from(["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M12", "M7+"]),
        amounts,
        max_size=9,
    )
)
def test_agency_fee_total_is_the_sum_of_bucket_fees_each_within_half_a_fen(
    recovered: dict[str, int],
) -> None:
    fee = agency_fee(recovered, SEED_AGENCY_FEE_SCHEME)
    assert fee.total_recovered == sum(recovered.values())
    for line in fee.lines:
        # |fee - recovered x rate| <= 0.5 fen, in integers: |fee x 10^6 - recovered x rate| <= 5e5
        assert abs(line.fee * 1_000_000 - line.recovered * line.rate_ppm) <= 500_000
