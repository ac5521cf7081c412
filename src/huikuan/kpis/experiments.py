"""Champion / challenger statistics: Wilson intervals, Newcombe differences, two-proportion z.

Data flow: a count KPI sliced by ``arm`` (e.g. :func:`huikuan.kpis.engine.cure_rate` with
``by=["arm"]``: one row per arm with ``numerator`` successes out of ``denominator`` trials)
goes into :func:`compare_arms`, which gives each arm's rate with its Wilson score interval, each
challenger's difference from the champion with Newcombe's hybrid score interval (method 10 of
Newcombe 1998) and a pooled two-proportion z-test, and the champion's lift over the hold-out.
The hold-out's own rate is its self-cure rate (what happens with no treatment at all).

A lift is ``significant`` only when its interval excludes 0: an interval that straddles 0 is
noise, whatever the point estimate says. Pure standard-library arithmetic, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import polars as pl

CHAMPION = "champion"
HOLDOUT = "holdout"


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def _check(successes: int, trials: int) -> None:
    if trials <= 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes}/{trials}")


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (no continuity correction).

    Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3:

    >>> [round(x, 4) for x in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    >>> [round(x, 4) for x in wilson_interval(15, 148)]
    [0.0624, 0.1605]
    >>> [round(x, 4) for x in wilson_interval(0, 20)]
    [0.0, 0.1611]
    """
    _check(successes, trials)
    z = _z(confidence)
    n, p = trials, successes / trials
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(
    x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Interval for p1 − p2 from the two Wilson intervals (Newcombe's hybrid score, method 10).

    Newcombe (1998), Statistics in Medicine 17:873, Table II, example (a), 56/70 − 48/80:

    >>> [round(x, 4) for x in newcombe_interval(56, 70, 48, 80)]
    [0.0524, 0.3339]
    >>> [round(x, 4) for x in newcombe_interval(9, 10, 3, 10)]
    [0.1705, 0.809]
    """
    _check(x1, n1)
    _check(x2, n2)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z statistic of p1 − p2 and its two-sided p-value.

    56/70 vs 48/80: pooled p = 104/150 = 0.69333, se = sqrt(0.69333 × 0.30667 × (1/70 + 1/80))
    = 0.075466, z = 0.2 / 0.075466 = 2.650, two-sided p = erfc(2.650 / √2) = 0.0080:

    >>> z, p = two_proportion_z(56, 70, 48, 80)
    >>> round(z, 3), round(p, 4)
    (2.65, 0.008)
    >>> two_proportion_z(5, 10, 5, 10)
    (0.0, 1.0)
    """
    _check(x1, n1)
    _check(x2, n2)
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0.0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / se
    return z, math.erfc(abs(z) / math.sqrt(2.0))


@dataclass(frozen=True, slots=True)
class ArmRate:
    arm: str
    successes: int
    trials: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Lift:
    """``arm``'s rate minus ``baseline``'s, with its interval; significant when it excludes 0."""

    arm: str
    baseline: str
    difference: float
    low: float
    high: float
    z: float
    p_value: float
    significant: bool


@dataclass(frozen=True, slots=True)
class Experiment:
    arms: tuple[ArmRate, ...]
    lifts: tuple[Lift, ...]
    holdout_self_cure: ArmRate | None


def arm_rate(arm: str, successes: int, trials: int, confidence: float = 0.95) -> ArmRate:
    low, high = wilson_interval(successes, trials, confidence)
    return ArmRate(arm, successes, trials, successes / trials, low, high)


def lift(treated: ArmRate, baseline: ArmRate, confidence: float = 0.95) -> Lift:
    """
    >>> a, b = arm_rate("challenger", 56, 70), arm_rate("champion", 48, 80)
    >>> lift(a, b).significant
    True
    >>> lift(arm_rate("challenger", 31, 100), arm_rate("champion", 30, 100)).significant
    False
    """
    x1, n1, x2, n2 = treated.successes, treated.trials, baseline.successes, baseline.trials
    low, high = newcombe_interval(x1, n1, x2, n2, confidence)
    z, p_value = two_proportion_z(x1, n1, x2, n2)
    return Lift(
        treated.arm,
        baseline.arm,
        treated.rate - baseline.rate,
        low,
        high,
        z,
        p_value,
        significant=low > 0.0 or high < 0.0,
    )


def compare_arms(
    rates: pl.DataFrame,
    *,
    champion: str = CHAMPION,
    holdout: str = HOLDOUT,
    confidence: float = 0.95,
) -> Experiment:
    """Per-arm rates and lifts from a count KPI sliced by ``arm`` (columns ``arm``,
    ``numerator``, ``denominator``). Challengers are compared with the champion; the champion
    with the hold-out (the lift of treating at all). Arms with no trials are left out."""
    arms = tuple(
        arm_rate(str(row["arm"]), int(row["numerator"]), int(row["denominator"]), confidence)
        for row in rates.filter(
            pl.col("arm").is_not_null() & (pl.col("denominator") > 0)
        ).iter_rows(named=True)
    )
    by_arm = {rate.arm: rate for rate in arms}
    lifts: list[Lift] = []
    base = by_arm.get(champion)
    if base is not None:
        lifts += [
            lift(rate, base, confidence) for rate in arms if rate.arm not in (champion, holdout)
        ]
        if holdout in by_arm:
            lifts.append(lift(base, by_arm[holdout], confidence))
    return Experiment(arms, tuple(lifts), by_arm.get(holdout))


def experiment_frames(experiment: Experiment) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The experiment as two tables: per arm (rate, Wilson low/high) and per lift."""
    arms = pl.DataFrame(
        [(a.arm, a.successes, a.trials, a.rate, a.low, a.high) for a in experiment.arms],
        schema={
            "arm": pl.String(),
            "successes": pl.Int64(),
            "trials": pl.Int64(),
            "rate": pl.Float64(),
            "low": pl.Float64(),
            "high": pl.Float64(),
        },
        orient="row",
    )
    lifts = pl.DataFrame(
        [
            (x.arm, x.baseline, x.difference, x.low, x.high, x.z, x.p_value, x.significant)
            for x in experiment.lifts
        ],
        schema={
            "arm": pl.String(),
            "baseline": pl.String(),
            "difference": pl.Float64(),
            "low": pl.Float64(),
            "high": pl.Float64(),
            "z": pl.Float64(),
            "p_value": pl.Float64(),
            "significant": pl.Boolean(),
        },
        orient="row",
    )
    return arms, lifts
