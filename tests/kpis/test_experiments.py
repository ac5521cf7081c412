"""Champion / challenger statistics against published values, and the no-lift-from-noise rule."""

from __future__ import annotations

import polars as pl
import pytest

from huikuan.kpis.experiments import (
    compare_arms,
    experiment_frames,
    newcombe_interval,
    wilson_interval,
)


def test_wilson_matches_newcombe_1998_table_i() -> None:
    # Newcombe (1998) Stat Med 17:857, Table I, method 3 (Wilson score, no correction).
    assert wilson_interval(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert wilson_interval(1, 29) == pytest.approx((0.0061, 0.1718), abs=5e-5)
    assert wilson_interval(29, 29) == pytest.approx((0.8830, 1.0), abs=5e-5)


def test_newcombe_difference_matches_table_ii() -> None:
    # Newcombe (1998) Stat Med 17:873, Table II, method 10: 56/70 − 48/80 -> 0.0524 to 0.3339.
    assert newcombe_interval(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_invalid_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson_interval(5, 4)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 4, confidence=1.5)


def rates(rows: list[tuple[str | None, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"arm": pl.String, "numerator": pl.Int64, "denominator": pl.Int64},
        orient="row",
    )


def test_a_real_lift_is_significant_and_noise_is_not() -> None:
    experiment = compare_arms(
        rates([("champion", 48, 80), ("challenger", 56, 70), ("holdout", 30, 75), (None, 1, 2)])
    )
    assert [a.arm for a in experiment.arms] == ["champion", "challenger", "holdout"]
    challenger, treatment = experiment.lifts
    assert (challenger.arm, challenger.baseline) == ("challenger", "champion")
    assert challenger.difference == pytest.approx(0.2)
    assert challenger.significant
    # Champion 48/80 = 0.60 against the hold-out's self-cure 30/75 = 0.40.
    assert (treatment.arm, treatment.baseline) == ("champion", "holdout")
    assert treatment.difference == pytest.approx(0.2)
    assert experiment.holdout_self_cure is not None
    assert experiment.holdout_self_cure.rate == pytest.approx(0.4)

    noise = compare_arms(rates([("champion", 30, 100), ("challenger", 33, 100)]))
    (lift,) = noise.lifts
    assert lift.difference == pytest.approx(0.03)
    assert lift.low < 0 < lift.high
    assert not lift.significant
    assert noise.holdout_self_cure is None


def test_experiment_frames() -> None:
    arms, lifts = experiment_frames(compare_arms(rates([("champion", 5, 10), ("b", 0, 0)])))
    assert arms.get_column("arm").to_list() == ["champion"]
    assert lifts.height == 0
    assert lifts.schema["significant"] == pl.Boolean
