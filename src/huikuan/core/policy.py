"""Product policies and delinquency bucket schemes: the data every nightly rule reads.

A creditor (委托方) configures one :class:`ProductPolicy` per product: how interest and
penalty interest (罚息) accrue after delinquency, the late fee (违约金), the minimum-payment
rule, grace days, the total annualised cost cap and which bucket scheme and allocation
waterfall apply. Policies are immutable values with a stable ``code`` and ``version``; the
same policy object drives the scalar rules in :mod:`huikuan.core.accrual` and the vectorised
nightly run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from huikuan.core.money import Rounding


class PenaltyBase(StrEnum):
    """What penalty interest (罚息) is computed on."""

    PRINCIPAL = "principal"  # 未还本金
    PRINCIPAL_AND_INTEREST = "principal_and_interest"  # 未还本息


class DayCount(StrEnum):
    """Day-count convention: an annual rate divided by 365 or by 360 per day."""

    ACT_365 = "act/365"
    ACT_360 = "act/360"

    @property
    def days_in_year(self) -> int:
        return 360 if self is DayCount.ACT_360 else 365


@dataclass(frozen=True, slots=True)
class BucketRange:
    """One 账龄 bucket: DPD from ``min_dpd`` to ``max_dpd`` inclusive (``None``: no upper end)."""

    code: str
    min_dpd: int
    max_dpd: int | None

    def contains(self, dpd: int) -> bool:
        return dpd >= self.min_dpd and (self.max_dpd is None or dpd <= self.max_dpd)


@dataclass(frozen=True, slots=True)
class BucketScheme:
    """Contiguous bucket ranges covering every DPD from 0 upward, in order of severity."""

    code: str
    version: int
    ranges: tuple[BucketRange, ...]

    def __post_init__(self) -> None:
        if not self.ranges:
            raise ValueError(f"bucket scheme {self.code}: no ranges")
        expected_min = 0
        for position, bucket in enumerate(self.ranges):
            if bucket.min_dpd != expected_min:
                raise ValueError(
                    f"bucket scheme {self.code}: {bucket.code} starts at DPD {bucket.min_dpd}, "
                    f"expected {expected_min} (ranges must be contiguous from 0)"
                )
            last = position == len(self.ranges) - 1
            if bucket.max_dpd is None:
                if not last:
                    raise ValueError(f"bucket scheme {self.code}: only the last range is open")
                break
            if bucket.max_dpd < bucket.min_dpd:
                raise ValueError(f"bucket scheme {self.code}: {bucket.code} ends before it starts")
            if last:
                raise ValueError(f"bucket scheme {self.code}: the last range must be open-ended")
            expected_min = bucket.max_dpd + 1

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(bucket.code for bucket in self.ranges)

    @property
    def lower_bounds(self) -> tuple[int, ...]:
        return tuple(bucket.min_dpd for bucket in self.ranges)

    def index_of(self, dpd: int) -> int:
        """Severity index of the bucket holding ``dpd`` (0 is current)."""
        if dpd < 0:
            raise ValueError("DPD cannot be negative")
        for position in range(len(self.ranges) - 1, -1, -1):
            if dpd >= self.ranges[position].min_dpd:
                return position
        raise AssertionError("unreachable: ranges start at 0")

    def bucket_of(self, dpd: int) -> str:
        return self.ranges[self.index_of(dpd)].code


def monthly_buckets(code: str = "CN-M", version: int = 1, months: int = 6) -> BucketScheme:
    """M0 current, M1 = 1–30 … M{months} = …, then M{months+1}+ open-ended (the CN default)."""
    ranges = [BucketRange("M0", 0, 0)]
    for month in range(1, months + 1):
        ranges.append(BucketRange(f"M{month}", 30 * (month - 1) + 1, 30 * month))
    ranges.append(BucketRange(f"M{months + 1}+", 30 * months + 1, None))
    return BucketScheme(code, version, tuple(ranges))


DEFAULT_BUCKETS = monthly_buckets()


@dataclass(frozen=True, slots=True)
class ProductPolicy:
    """Post-delinquency rules for one creditor product. Amounts in minor units, rates in ppm."""

    code: str
    version: int = 1
    currency: str = "CNY"
    # Contractual interest, annual rate; accrues every day the account is open.
    interest_rate_ppm: int = 0
    interest_compound: bool = False  # True: yesterday's unpaid interest earns interest too
    # Penalty interest (罚息), annual rate; accrues only on delinquent days (DPD > 0).
    penalty_rate_ppm: int = 0
    penalty_base: PenaltyBase = PenaltyBase.PRINCIPAL
    penalty_compound: bool = False  # True: unpaid penalty earns penalty too (复利)
    day_count: DayCount = DayCount.ACT_365
    grace_days: int = 0  # 宽限期: DPD stays 0 until this many days past due have gone by
    # Cap on everything charged (interest + penalty + fees) as an annualised rate on the
    # principal at placement, e.g. 24% or 4× LPR. None: no cap.
    cost_cap_ppm: int | None = None
    # Late fee (违约金) per missed cycle: a share of that cycle's unpaid minimum payment.
    late_fee_rate_ppm: int = 0
    late_fee_floor: int = 0
    late_fee_ceiling: int | None = None
    # Minimum payment (最低还款额): a share of principal plus all interest, penalty and fees.
    min_payment_principal_ppm: int = 100_000
    min_payment_floor: int = 10_000
    accrue_during_pause: bool = False  # disputes and hardship reviews stop accrual by default
    rounding: Rounding = Rounding.HALF_UP
    bucket_scheme: BucketScheme = field(default=DEFAULT_BUCKETS)
    waterfall_code: str = "FPIP-OLDEST"

    def __post_init__(self) -> None:
        for name in ("interest_rate_ppm", "penalty_rate_ppm", "late_fee_rate_ppm", "grace_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"policy {self.code}: {name} cannot be negative")
        if self.cost_cap_ppm is not None and self.cost_cap_ppm < 0:
            raise ValueError(f"policy {self.code}: cost_cap_ppm cannot be negative")
        if self.late_fee_ceiling is not None and self.late_fee_ceiling < self.late_fee_floor:
            raise ValueError(f"policy {self.code}: late fee ceiling below its floor")


def cost_cap_from_lpr(lpr_ppm: int, multiple: int = 4) -> int:
    """The judicial protection ceiling as a cost cap: ``multiple`` × the one-year LPR.

    >>> cost_cap_from_lpr(30_000)  # 4 × a 3.00% LPR = 12% a year
    120000
    """
    if lpr_ppm <= 0 or multiple <= 0:
        raise ValueError("LPR and its multiple must be positive")
    return lpr_ppm * multiple


def policy_to_dict(policy: ProductPolicy) -> dict[str, object]:
    """A plain, JSON-ready form of a policy (stored with the product, versioned)."""
    return {
        "code": policy.code,
        "version": policy.version,
        "currency": policy.currency,
        "interest_rate_ppm": policy.interest_rate_ppm,
        "interest_compound": policy.interest_compound,
        "penalty_rate_ppm": policy.penalty_rate_ppm,
        "penalty_base": policy.penalty_base.value,
        "penalty_compound": policy.penalty_compound,
        "day_count": policy.day_count.value,
        "grace_days": policy.grace_days,
        "cost_cap_ppm": policy.cost_cap_ppm,
        "late_fee_rate_ppm": policy.late_fee_rate_ppm,
        "late_fee_floor": policy.late_fee_floor,
        "late_fee_ceiling": policy.late_fee_ceiling,
        "min_payment_principal_ppm": policy.min_payment_principal_ppm,
        "min_payment_floor": policy.min_payment_floor,
        "accrue_during_pause": policy.accrue_during_pause,
        "rounding": policy.rounding.value,
        "bucket_scheme": {
            "code": policy.bucket_scheme.code,
            "version": policy.bucket_scheme.version,
            "ranges": [[b.code, b.min_dpd, b.max_dpd] for b in policy.bucket_scheme.ranges],
        },
        "waterfall_code": policy.waterfall_code,
    }


def policy_from_dict(data: Mapping[str, object]) -> ProductPolicy:
    """Inverse of :func:`policy_to_dict`; unknown or missing keys are a clear error."""
    values = dict(data)
    scheme = values.pop("bucket_scheme")
    if not isinstance(scheme, Mapping):
        raise ValueError("policy: bucket_scheme must be an object")
    ranges = tuple(
        BucketRange(str(code), int(low), None if high is None else int(high))
        for code, low, high in scheme["ranges"]
    )
    known = set(ProductPolicy.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"policy: unknown field(s) {', '.join(sorted(unknown))}")
    values["penalty_base"] = PenaltyBase(str(values["penalty_base"]))
    values["day_count"] = DayCount(str(values["day_count"]))
    values["rounding"] = Rounding(str(values["rounding"]))
    values["bucket_scheme"] = BucketScheme(str(scheme["code"]), int(scheme["version"]), ranges)
    return ProductPolicy(**values)  # type: ignore[arg-type]
