"""Hypothesis strategies shared by several test modules."""

from hypothesis import strategies as st

from huikuan.core.allocation import WATERFALLS
from huikuan.core.money import Rounding
from huikuan.core.policy import (
    BucketRange,
    BucketScheme,
    DayCount,
    PenaltyBase,
    ProductPolicy,
    monthly_buckets,
)

WEEKLY = BucketScheme(
    "WEEKLY", 1, (BucketRange("C", 0, 0), BucketRange("W1", 1, 7), BucketRange("W2+", 8, None))
)

policies_strategy = st.builds(
    ProductPolicy,
    code=st.just("P"),
    interest_rate_ppm=st.integers(0, 400_000),
    interest_compound=st.booleans(),
    penalty_rate_ppm=st.integers(0, 400_000),
    penalty_base=st.sampled_from(PenaltyBase),
    penalty_compound=st.booleans(),
    day_count=st.sampled_from(DayCount),
    grace_days=st.integers(0, 5),
    cost_cap_ppm=st.none() | st.integers(0, 360_000),
    late_fee_rate_ppm=st.integers(0, 100_000),
    late_fee_floor=st.integers(0, 5_000),
    late_fee_ceiling=st.none() | st.integers(5_000, 50_000),
    accrue_during_pause=st.booleans(),
    rounding=st.sampled_from(list(Rounding)),
    bucket_scheme=st.sampled_from([monthly_buckets(), WEEKLY]),
    waterfall_code=st.sampled_from(sorted(WATERFALLS)),
)
