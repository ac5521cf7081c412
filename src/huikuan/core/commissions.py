"""Agent commissions (提成) and agency fees (委外佣金), computed from schemes that are data.

Data flow, per agent and period: receipts attributed to the agent → commission base (receipts
on plans that broke in the period left out) → the scheme's basis (fixed rate, tiers or
milestones) → quality multiplier (质检系数) by QA score band → bonuses → clawbacks of commission
earlier paid on broken plans → :class:`CommissionStatement` of lines and a total.

Agency fees, per agency and period: recovered amount by 账龄 bucket (M1, M2, … at the time of
recovery) → the rate of the band holding the bucket → :class:`AgencyFeeStatement`.

Amounts are integer minor units (fen), rates parts per million; each rounding names its
:class:`~huikuan.core.money.Rounding` in the scheme and is written into the line's description.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import partial
from itertools import pairwise

from huikuan.core.money import PPM, Rounding, apply_rate, divide, exponent_of, format_minor

# --- schemes ------------------------------------------------------------------------------------


class SchemeKind(StrEnum):
    """How a commission is earned from the amount recovered."""

    FIXED = "fixed"  # 固定比例
    TIERED = "tiered"  # 阶梯提成
    MILESTONE = "milestone"  # 里程碑奖励


class TierReading(StrEnum):
    """Which of the two readings of a tier table a scheme means."""

    WHOLE_AMOUNT = "whole_amount"  # 全额累进: the reached tier's rate on the whole amount
    SLICES = "slices"  # 超额累进: each slice at its own rate, like income tax

    @property
    def label_zh(self) -> str:
        return "全额累进" if self is TierReading.WHOLE_AMOUNT else "超额累进"


@dataclass(frozen=True, slots=True)
class FixedRate:
    """One rate on the whole amount recovered."""

    rate_ppm: int

    def __post_init__(self) -> None:
        if self.rate_ppm < 0:
            raise ValueError("a commission rate cannot be negative")


@dataclass(frozen=True, slots=True)
class Tier:
    """A tier reaching up to ``up_to`` minor units, inclusive; ``None`` on the last, open tier.

    Bounds are inclusive and in minor units, so tiers ``(10_000_000, 4%)``, ``(20_000_000, 5%)``,
    ``(None, 6%)`` read: 4% up to and including 100,000.00; 5% from 100,000.01 up to and
    including 200,000.00; 6% from 200,000.01. The seed's "5% from 100,001" is read this way:
    amounts between 100,000.01 and 100,000.99 are in the 5% tier, never in a gap.
    """

    up_to: int | None
    rate_ppm: int


@dataclass(frozen=True, slots=True)
class TieredRate:
    """Tiers in ascending order of ``up_to``, read as the scheme's :class:`TierReading` says."""

    tiers: tuple[Tier, ...]
    reading: TierReading

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ValueError("a tiered scheme needs at least one tier")
        *bounded, last = self.tiers
        if last.up_to is not None:
            raise ValueError("the last tier must be open-ended (up_to=None)")
        previous = 0
        for tier in bounded:
            if tier.up_to is None or tier.up_to <= previous:
                raise ValueError("tier bounds must be positive and strictly increasing")
            previous = tier.up_to
        if any(tier.rate_ppm < 0 for tier in self.tiers):
            raise ValueError("a commission rate cannot be negative")

    def tier_for(self, amount: int) -> Tier:
        """The tier ``amount`` reaches: the first whose inclusive bound is at least ``amount``."""
        for tier in self.tiers:
            if tier.up_to is None or amount <= tier.up_to:
                return tier
        raise AssertionError("unreachable: the last tier is open-ended")

    def slices(self, amount: int) -> tuple[tuple[int, Tier], ...]:
        """``amount`` cut into (slice, tier) pairs, lowest tier first; empty slices left out."""
        result: list[tuple[int, Tier]] = []
        floor = 0
        for tier in self.tiers:
            ceiling = amount if tier.up_to is None else min(amount, tier.up_to)
            if ceiling > floor:
                result.append((ceiling - floor, tier))
            if tier.up_to is None or amount <= tier.up_to:
                break
            floor = tier.up_to
        return tuple(result)


@dataclass(frozen=True, slots=True)
class Milestone:
    """An award each time cumulative recovery crosses another ``step``.

    The first step earns ``first_award``; each further step's award is ``increment`` more than
    the one before (0 gives "1,000 for each 100,000"). Reaching a step exactly counts.
    """

    step: int
    first_award: int
    increment: int = 0

    def __post_init__(self) -> None:
        if self.step <= 0:
            raise ValueError("a milestone step must be positive")
        if self.first_award < 0 or self.increment < 0:
            raise ValueError("milestone awards cannot be negative or shrink")

    def award_for_step(self, k: int) -> int:
        """The award for the ``k``-th step (1-based)."""
        return self.first_award + (k - 1) * self.increment

    def awards_between(self, steps_before: int, steps_after: int) -> int:
        """Sum of the awards for steps ``steps_before + 1`` … ``steps_after``, in closed form."""
        count = steps_after - steps_before
        # Σ_{k=a+1..b} (k - 1) = b(b-1)/2 - a(a-1)/2; both products are even, so exact.
        rises = (steps_after * (steps_after - 1) - steps_before * (steps_before - 1)) // 2
        return count * self.first_award + rises * self.increment


Basis = FixedRate | TieredRate | Milestone


@dataclass(frozen=True, slots=True)
class QualityBand:
    """QA scores from ``min_score`` (inclusive) up to the next band's ``min_score`` (exclusive)."""

    min_score: int
    multiplier_ppm: int  # 1_000_000 is 1.0x


@dataclass(frozen=True, slots=True)
class Scheme:
    """A commission scheme with a stable ``code`` and ``version``.

    ``rounding`` turns the basis's exact commission into minor units (once per commission line);
    ``quality_rounding`` does the same for the quality multiplier. An empty ``quality_bands``
    means the scheme applies no quality multiplier.
    """

    code: str
    version: int
    basis: Basis
    quality_bands: tuple[QualityBand, ...] = ()
    rounding: Rounding = Rounding.HALF_UP
    quality_rounding: Rounding = Rounding.HALF_UP
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("a scheme needs a code")
        if self.version < 1:
            raise ValueError("scheme versions start at 1")
        exponent_of(self.currency)
        if self.quality_bands:
            scores = [band.min_score for band in self.quality_bands]
            if scores[0] != 0:
                raise ValueError("the first quality band must start at score 0")
            if any(b <= a for a, b in pairwise(scores)) or scores[-1] > 100:
                raise ValueError("quality bands must start at strictly increasing scores ≤ 100")
            if any(band.multiplier_ppm < 0 for band in self.quality_bands):
                raise ValueError("a quality multiplier cannot be negative")

    @property
    def kind(self) -> SchemeKind:
        return _KIND_OF_BASIS[type(self.basis)]


_KIND_OF_BASIS: dict[type[Basis], SchemeKind] = {
    FixedRate: SchemeKind.FIXED,
    TieredRate: SchemeKind.TIERED,
    Milestone: SchemeKind.MILESTONE,
}


# --- the seed schemes (DOMAIN.md "Agent commissions") ------------------------------------------

SEED_TIERS: tuple[Tier, ...] = (
    Tier(up_to=10_000_000, rate_ppm=40_000),  # 4% up to 100,000.00
    Tier(up_to=20_000_000, rate_ppm=50_000),  # 5% from 100,000.01 to 200,000.00
    Tier(up_to=None, rate_ppm=60_000),  # 6% from 200,000.01
)

SEED_QUALITY_BANDS: tuple[QualityBand, ...] = (
    QualityBand(min_score=0, multiplier_ppm=500_000),  # below 60: 0.5x
    QualityBand(min_score=60, multiplier_ppm=900_000),  # 60-79: 0.9x
    QualityBand(min_score=80, multiplier_ppm=1_000_000),  # 80-89: 1.0x
    QualityBand(min_score=90, multiplier_ppm=1_100_000),  # 90 and above: 1.1x
)

SEED_FIXED = Scheme(code="fixed-5pct", version=1, basis=FixedRate(rate_ppm=50_000))
SEED_TIERED_WHOLE = Scheme(
    code="tiered-4-5-6-whole",
    version=1,
    basis=TieredRate(tiers=SEED_TIERS, reading=TierReading.WHOLE_AMOUNT),
)
SEED_TIERED_SLICES = Scheme(
    code="tiered-4-5-6-slices",
    version=1,
    basis=TieredRate(tiers=SEED_TIERS, reading=TierReading.SLICES),
)
SEED_MILESTONE = Scheme(
    code="milestone-1000-per-100k",
    version=1,
    basis=Milestone(step=10_000_000, first_award=100_000, increment=0),
)


# --- the commission of a basis ----------------------------------------------------------------


def tiered_commission(amount: int, tiered: TieredRate, rounding: Rounding) -> int:
    """Commission on ``amount`` under ``tiered``, rounded once by ``rounding``.

    >>> tiers = TieredRate(SEED_TIERS, TierReading.SLICES)
    >>> tiered_commission(15_000_000, tiers, Rounding.HALF_UP)  # 4% of 100k + 5% of 50k
    650000
    """
    if tiered.reading is TierReading.WHOLE_AMOUNT:
        return apply_rate(amount, tiered.tier_for(amount).rate_ppm, rounding)
    exact_times_ppm = sum(part * tier.rate_ppm for part, tier in tiered.slices(amount))
    return divide(exact_times_ppm, PPM, rounding)


def milestone_award(amount: int, milestone: Milestone, *, recovered_before: int = 0) -> int:
    """Awards for the steps crossed as cumulative recovery goes from ``recovered_before`` to
    ``recovered_before + amount``.

    >>> milestone_award(20_000_000, Milestone(10_000_000, 100_000, increment=50_000))
    250000
    """
    if recovered_before < 0:
        raise ValueError("recovery before the period cannot be negative")
    steps_before = recovered_before // milestone.step
    steps_after = (recovered_before + amount) // milestone.step
    return milestone.awards_between(steps_before, steps_after)


def commission_for(amount: int, scheme: Scheme, *, recovered_before: int = 0) -> int:
    """The scheme's commission on ``amount`` recovered, before quality, bonuses and clawbacks.

    ``recovered_before`` is recovery earlier in the same milestone run (say, the first months of
    a quarterly campaign); only milestone schemes use it.
    """
    if amount < 0:
        raise ValueError("the amount recovered cannot be negative")
    basis = scheme.basis
    if recovered_before and not isinstance(basis, Milestone):
        raise ValueError(f"scheme {scheme.code} is not a milestone scheme; recovered_before is 0")
    if isinstance(basis, FixedRate):
        return apply_rate(amount, basis.rate_ppm, scheme.rounding)
    if isinstance(basis, TieredRate):
        return tiered_commission(amount, basis, scheme.rounding)
    return milestone_award(amount, basis, recovered_before=recovered_before)


def quality_multiplier_ppm(score: int, bands: Sequence[QualityBand]) -> int:
    """The multiplier of the band ``score`` (0-100) falls in."""
    if not 0 <= score <= 100:
        raise ValueError(f"a QA score is 0-100, got {score}")
    if not bands:
        raise ValueError("no quality bands to look the score up in")
    chosen = bands[0]
    for band in bands:
        if band.min_score <= score:
            chosen = band
    return chosen.multiplier_ppm


# --- the statement ----------------------------------------------------------------------------


class LineCode(StrEnum):
    """Kinds of statement line, by stable code."""

    COMMISSION = "commission"  # 提成
    QUALITY_ADJUSTMENT = "quality_adjustment"  # 质检系数调整
    BONUS = "bonus"  # 奖金
    CLAWBACK = "clawback"  # 提成追回


@dataclass(frozen=True, slots=True)
class StatementPeriod:
    """A commission period, ``first``..``last`` inclusive (e.g. one calendar month)."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"period ends ({self.last}) before it starts ({self.first})")

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


@dataclass(frozen=True, slots=True)
class AttributedReceipt:
    """Money recovered and attributed to the agent; ``plan_id`` when paid under a plan."""

    received_on: date
    amount: int
    plan_id: str | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("a receipt amount must be positive")


@dataclass(frozen=True, slots=True)
class BrokenPlan:
    """An instalment plan or settlement (分期/和解) that broke, and the commission paid on it
    in earlier periods."""

    plan_id: str
    broken_on: date
    commission_paid: int

    def __post_init__(self) -> None:
        if self.commission_paid < 0:
            raise ValueError("commission paid on a plan cannot be negative")


@dataclass(frozen=True, slots=True)
class Bonus:
    """A fixed extra amount (奖金) awarded to the agent for the period."""

    code: str
    description: str
    amount: int

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("a bonus must be a positive amount")


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One line of a statement; ``reference`` is the plan id or bonus code where there is one."""

    code: LineCode
    description: str
    amount: int
    reference: str = ""


@dataclass(frozen=True, slots=True)
class CommissionStatement:
    """An agent's commission statement (提成明细) for a period. ``total`` may be negative when
    clawbacks exceed what was earned."""

    agent_id: str
    period: StatementPeriod
    scheme_code: str
    scheme_version: int
    recovered: int  # every receipt attributed in the period
    excluded_on_broken_plans: int  # receipts on plans that broke in the period
    commission_base: int  # recovered - excluded_on_broken_plans
    qa_score: int | None
    quality_multiplier_ppm: int | None  # None when the scheme has no quality bands
    lines: tuple[StatementLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def build_statement(
    agent_id: str,
    period: StatementPeriod,
    receipts: Sequence[AttributedReceipt],
    scheme: Scheme,
    *,
    qa_score: int | None = None,
    broken_plans: Sequence[BrokenPlan] = (),
    bonuses: Sequence[Bonus] = (),
    recovered_before: int = 0,
) -> CommissionStatement:
    """The agent's statement for ``period``.

    - Commission is earned on the period's receipts, less those on plans that broke in the
      period: a broken plan's receipts earn nothing to keep, so none is paid on them now.
    - The quality multiplier applies to that commission only (a separate adjustment line),
      not to bonuses, and not to clawbacks (which reverse amounts already multiplied).
    - Each broken plan claws back, as a negative line, the commission earlier paid on it.

    Raises ``ValueError`` for inputs that do not belong to the period or the scheme.
    """
    for receipt in receipts:
        if receipt.received_on not in period:
            raise ValueError(f"receipt of {receipt.received_on} is outside the period {period}")
    broken_ids = [plan.plan_id for plan in broken_plans]
    if len(set(broken_ids)) != len(broken_ids):
        raise ValueError("a broken plan is listed twice")
    for plan in broken_plans:
        if plan.broken_on not in period:
            raise ValueError(
                f"plan {plan.plan_id} broke on {plan.broken_on}, outside the period {period}: "
                "claw back in the period in which it broke"
            )
    if scheme.quality_bands and qa_score is None:
        raise ValueError(f"scheme {scheme.code} applies a quality multiplier: a QA score is needed")

    money = partial(format_minor, currency=scheme.currency)
    recovered = sum(receipt.amount for receipt in receipts)
    broken = set(broken_ids)
    excluded = sum(r.amount for r in receipts if r.plan_id is not None and r.plan_id in broken)
    base = recovered - excluded
    commission = commission_for(base, scheme, recovered_before=recovered_before)
    lines = [
        StatementLine(
            LineCode.COMMISSION,
            _describe_commission(base, excluded, scheme, recovered_before, money),
            commission,
        )
    ]

    multiplier: int | None = None
    if scheme.quality_bands and qa_score is not None:  # a missing score was refused above
        multiplier = quality_multiplier_ppm(qa_score, scheme.quality_bands)
        adjusted = apply_rate(commission, multiplier, scheme.quality_rounding)
        lines.append(
            StatementLine(
                LineCode.QUALITY_ADJUSTMENT,
                f"质检系数 Quality multiplier {_times(multiplier)} for QA score {qa_score} "
                f"on {money(commission)} (rounded {scheme.quality_rounding.value})",
                adjusted - commission,
            )
        )

    for bonus in bonuses:
        lines.append(StatementLine(LineCode.BONUS, bonus.description, bonus.amount, bonus.code))

    for plan in broken_plans:
        if plan.commission_paid:
            lines.append(
                StatementLine(
                    LineCode.CLAWBACK,
                    f"提成追回 Clawback: plan {plan.plan_id} broke on {plan.broken_on}; commission "
                    f"of {money(plan.commission_paid)} paid on it is reversed",
                    -plan.commission_paid,
                    plan.plan_id,
                )
            )

    return CommissionStatement(
        agent_id=agent_id,
        period=period,
        scheme_code=scheme.code,
        scheme_version=scheme.version,
        recovered=recovered,
        excluded_on_broken_plans=excluded,
        commission_base=base,
        qa_score=qa_score,
        quality_multiplier_ppm=multiplier,
        lines=tuple(lines),
    )


def _describe_commission(
    base: int,
    excluded: int,
    scheme: Scheme,
    recovered_before: int,
    money: Callable[[int], str],
) -> str:
    basis = scheme.basis
    rounded = f"rounded {scheme.rounding.value}"
    if isinstance(basis, FixedRate):
        text = f"{_percent(basis.rate_ppm)} of {money(base)} ({rounded})"
    elif isinstance(basis, TieredRate) and basis.reading is TierReading.WHOLE_AMOUNT:
        rate = basis.tier_for(base).rate_ppm
        text = (
            f"tiered, whole amount ({basis.reading.label_zh}): {_percent(rate)} of "
            f"{money(base)} ({rounded})"
        )
    elif isinstance(basis, TieredRate):
        parts = " + ".join(
            f"{_percent(tier.rate_ppm)} of {money(part)}" for part, tier in basis.slices(base)
        )
        text = f"tiered by slice ({basis.reading.label_zh}): {parts or money(0)} ({rounded})"
    else:
        crossed = (recovered_before + base) // basis.step - recovered_before // basis.step
        text = (
            f"{crossed} milestone step(s) of {money(basis.step)} crossed on {money(base)}"
            + (f" after {money(recovered_before)} earlier" if recovered_before else "")
            + f"; first award {money(basis.first_award)}, rising {money(basis.increment)} a step"
        )
    if excluded:
        text += f"; {money(excluded)} on plans broken in the period earns none"
    return f"提成 Commission: {text}"


def _percent(rate_ppm: int) -> str:
    """``50_000`` → ``"5%"``, ``12_500`` → ``"1.25%"``; exact, no float."""
    return f"{Decimal(rate_ppm) / Decimal(10_000)}%"


def _times(multiplier_ppm: int) -> str:
    """``1_100_000`` → ``"1.1x"``, ``1_000_000`` → ``"1x"``."""
    return f"{Decimal(multiplier_ppm) / Decimal(PPM)}x"


# --- agency fees (委外佣金) -------------------------------------------------------------------

_BUCKET = re.compile(r"M(\d+)(\+?)")


def bucket_month(bucket: str) -> tuple[int, bool]:
    """``"M3"`` → ``(3, False)``; ``"M7+"`` → ``(7, True)`` (M7 and beyond)."""
    match = _BUCKET.fullmatch(bucket.strip())
    if match is None:
        raise ValueError(f"not a 账龄 bucket: {bucket!r} (expected M1, M2, …, or M7+)")
    return int(match.group(1)), bool(match.group(2))


@dataclass(frozen=True, slots=True)
class AgencyFeeBand:
    """账龄 buckets M``first_month`` … M``last_month`` (``None``: and beyond) at one fee rate."""

    first_month: int
    last_month: int | None
    rate_ppm: int

    def __post_init__(self) -> None:
        if self.first_month < 0 or (
            self.last_month is not None and self.last_month < self.first_month
        ):
            raise ValueError("an agency-fee band needs 0 ≤ first_month ≤ last_month")
        if self.rate_ppm < 0:
            raise ValueError("an agency-fee rate cannot be negative")

    @property
    def label(self) -> str:
        if self.last_month is None:
            return f"M{self.first_month}+"
        if self.last_month == self.first_month:
            return f"M{self.first_month}"
        return f"M{self.first_month}-M{self.last_month}"

    def holds(self, month: int) -> bool:
        return self.first_month <= month and (self.last_month is None or month <= self.last_month)


@dataclass(frozen=True, slots=True)
class AgencyFeeScheme:
    """Agency-fee rates by 账龄 band, ascending and non-overlapping; fee rounded per bucket."""

    code: str
    version: int
    bands: tuple[AgencyFeeBand, ...]
    rounding: Rounding = Rounding.HALF_UP
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not self.code or self.version < 1:
            raise ValueError("an agency-fee scheme needs a code and a version ≥ 1")
        if not self.bands:
            raise ValueError("an agency-fee scheme needs at least one band")
        for lower, upper in pairwise(self.bands):
            if lower.last_month is None or upper.first_month <= lower.last_month:
                raise ValueError("agency-fee bands must be ascending and must not overlap")
        exponent_of(self.currency)

    def band_for(self, bucket: str) -> AgencyFeeBand:
        """The band holding ``bucket`` (``"M3"``, or ``"M7+"`` where a band is open-ended)."""
        month, open_ended = bucket_month(bucket)
        for band in self.bands:
            if band.holds(month) and (not open_ended or band.last_month is None):
                return band
        raise ValueError(f"agency-fee scheme {self.code} v{self.version} has no rate for {bucket}")


SEED_AGENCY_FEE_SCHEME = AgencyFeeScheme(
    code="agency-fee-by-bucket",
    version=1,
    bands=(
        AgencyFeeBand(first_month=1, last_month=1, rate_ppm=80_000),  # M1 8%
        AgencyFeeBand(first_month=2, last_month=2, rate_ppm=120_000),  # M2 12%
        AgencyFeeBand(first_month=3, last_month=3, rate_ppm=150_000),  # M3 15%
        AgencyFeeBand(first_month=4, last_month=6, rate_ppm=200_000),  # M4-M6 20%
        AgencyFeeBand(first_month=7, last_month=None, rate_ppm=300_000),  # M7+ 30%
    ),
)


@dataclass(frozen=True, slots=True)
class AgencyFeeLine:
    bucket: str
    band: str
    recovered: int
    rate_ppm: int
    fee: int


@dataclass(frozen=True, slots=True)
class AgencyFeeStatement:
    """An agency's fee (委外佣金) for a period: one line per bucket; totals are the lines' sums."""

    scheme_code: str
    scheme_version: int
    rounding: Rounding
    lines: tuple[AgencyFeeLine, ...]

    @property
    def total_recovered(self) -> int:
        return sum(line.recovered for line in self.lines)

    @property
    def total_fee(self) -> int:
        return sum(line.fee for line in self.lines)


def agency_fee(
    recovered_by_bucket: Mapping[str, int], scheme: AgencyFeeScheme
) -> AgencyFeeStatement:
    """Fee on the amount recovered in each 账龄 bucket (as it stood when the money came in).

    Each bucket's fee is rounded by ``scheme.rounding``, and the total is the sum of the lines.

    >>> fee = agency_fee({"M1": 10_000_000, "M5": 2_000_000}, SEED_AGENCY_FEE_SCHEME)
    >>> [line.fee for line in fee.lines], fee.total_fee  # 8% of 100k, 20% of 20k
    ([800000, 400000], 1200000)
    """
    lines: list[tuple[tuple[int, bool], AgencyFeeLine]] = []
    for bucket, recovered in recovered_by_bucket.items():
        if recovered < 0:
            raise ValueError(f"recovered amount for {bucket} cannot be negative")
        band = scheme.band_for(bucket)
        fee = apply_rate(recovered, band.rate_ppm, scheme.rounding)
        line = AgencyFeeLine(bucket, band.label, recovered, band.rate_ppm, fee)
        lines.append((bucket_month(bucket), line))
    ordered = tuple(line for _, line in sorted(lines, key=lambda item: item[0]))
    return AgencyFeeStatement(scheme.code, scheme.version, scheme.rounding, ordered)
