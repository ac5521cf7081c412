"""The QA score sheet (质检评分表): its criteria, defined once, and the exact total.

A reviewer rates each criterion of one contact ``pass``, ``partial``, ``fail`` or ``na`` (not
applicable: a criterion the contact gave no occasion for, such as offering a plan on an
unanswered call). The total is the weighted share of the points earned over the criteria that
applied, in whole points 0–100, rounded half up once with integer arithmetic
(:func:`huikuan.core.money.divide`), never through floats. A ``fail`` on a *critical* criterion
(a threat or insult, telling a third party about the debt) zeroes the sheet: that is the
industry's 致命项 rule, and it keeps a contact that broke the law from scoring well on manners.

Each criterion also names the banned-phrase categories of :mod:`huikuan.compliance.content`
that speak against it, so the sheet can suggest ``fail`` where the screen found such wording;
the reviewer still decides. Pure: no database, no clock.

>>> compute_total({c.code: "pass" for c in CRITERIA})
100
>>> compute_total({**{c.code: "pass" for c in CRITERIA}, "no_threats_insults": "fail"})
0
>>> compute_total({**{c.code: "pass" for c in CRITERIA}, "plan_options_offered": "partial"})
95
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from huikuan.compliance.content import Category
from huikuan.core.money import Rounding, divide

SCORECARD_VERSION = "2026-11"


class Rating(StrEnum):
    PASS = "pass"
    PARTIAL = "partial"
    FAIL = "fail"
    NA = "na"


# Share of a criterion's weight each rating earns, in percent (NA leaves the criterion out).
RATING_PERCENT: Mapping[Rating, int] = {Rating.PASS: 100, Rating.PARTIAL: 50, Rating.FAIL: 0}
# The ratings' labels (zh, en), shown on the sheet.
RATING_LABELS: Mapping[Rating, tuple[str, str]] = {
    Rating.PASS: ("符合", "Pass"),
    Rating.PARTIAL: ("部分符合", "Partial"),
    Rating.FAIL: ("不符合", "Fail"),
    Rating.NA: ("不适用", "N/A"),
}


@dataclass(frozen=True, slots=True)
class Criterion:
    code: str
    weight: int  # points out of 100
    label_zh: str
    label_en: str
    critical: bool = False  # a fail zeroes the whole sheet
    may_be_na: bool = True
    # Banned-phrase categories that suggest a fail (the screen's evidence, not the verdict).
    flagged_by: frozenset[Category] = frozenset()


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "identity_disclosed",
        15,
        "表明身份（机构全称、工号）",
        "Identity disclosed (institution's full name, collector ID)",
        may_be_na=False,
        flagged_by=frozenset({Category.IMPERSONATION}),
    ),
    Criterion("purpose_stated", 10, "说明来电/来函目的", "Purpose of the contact stated"),
    Criterion(
        "right_party_verified",
        10,
        "核实本人后再谈债务",
        "Right party verified before the debt was discussed",
    ),
    Criterion(
        "no_threats_insults",
        20,
        "无威胁、辱骂、虚假法律后果",
        "No threats, insults or false legal consequences",
        critical=True,
        may_be_na=False,
        flagged_by=frozenset(
            {Category.THREAT, Category.INSULT, Category.FALSE_LEGAL, Category.PUBLIC_SHAMING}
        ),
    ),
    Criterion(
        "no_third_party_disclosure",
        15,
        "未向第三方透露债务信息",
        "No disclosure of the debt to third parties",
        critical=True,
        may_be_na=False,
        flagged_by=frozenset({Category.DISCLOSURE}),
    ),
    Criterion(
        "correct_amount",
        10,
        "告知金额准确，未收取额外费用",
        "Amount stated correctly, no extra fees",
        flagged_by=frozenset({Category.EXTRA_FEES}),
    ),
    Criterion(
        "plan_options_offered",
        10,
        "提供合规的还款方案（分期、减免申请）",
        "Lawful plan options offered (instalments, waiver request)",
        flagged_by=frozenset({Category.NEW_BORROWING}),
    ),
    Criterion(
        "disposition_recorded",
        10,
        "如实记录联系结果",
        "Disposition recorded truthfully",
        may_be_na=False,
    ),
)

BY_CODE: Mapping[str, Criterion] = {criterion.code: criterion for criterion in CRITERIA}

if sum(criterion.weight for criterion in CRITERIA) != 100:  # pragma: no cover - a data error
    raise ValueError("score sheet weights must add up to 100")


class ScoreError(ValueError):
    """A sheet that cannot be scored; ``field`` names the criterion at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def parse_ratings(raw: Mapping[str, str]) -> dict[str, Rating]:
    """Every criterion rated once with a known rating; unknown criteria are refused.

    >>> parse_ratings({"identity_disclosed": "pass"})
    Traceback (most recent call last):
    ...
    huikuan.quality.scorecard.ScoreError: purpose_stated: not rated
    """
    unknown = sorted(set(raw) - set(BY_CODE))
    if unknown:
        raise ScoreError(unknown[0], "not a criterion of the score sheet")
    ratings: dict[str, Rating] = {}
    for criterion in CRITERIA:
        value = raw.get(criterion.code)
        if value is None or value == "":
            raise ScoreError(criterion.code, "not rated")
        try:
            rating = Rating(value)
        except ValueError:
            raise ScoreError(
                criterion.code, f"rating must be one of {', '.join(r.value for r in Rating)}"
            ) from None
        if rating is Rating.NA and not criterion.may_be_na:
            raise ScoreError(criterion.code, "applies to every contact; N/A is not allowed")
        ratings[criterion.code] = rating
    return ratings


def compute_total(raw: Mapping[str, str]) -> int:
    """The sheet's total, 0–100, exactly: weighted points over the criteria that applied.

    >>> na = {c.code: "pass" for c in CRITERIA} | {"plan_options_offered": "na"}
    >>> compute_total(na)  # 90 of 90 applicable points
    100
    >>> compute_total(na | {"purpose_stated": "partial"})  # 85 / 90 = 94.44…
    94
    >>> compute_total(na | {"purpose_stated": "partial", "right_party_verified": "partial"})
    89
    """
    ratings = parse_ratings(raw)
    if any(BY_CODE[code].critical and r is Rating.FAIL for code, r in ratings.items()):
        return 0
    earned = 0  # weight × percent, so nothing is divided before the single rounding
    possible = 0
    for code, rating in ratings.items():
        if rating is Rating.NA:
            continue
        weight = BY_CODE[code].weight
        earned += weight * RATING_PERCENT[rating]
        possible += weight
    return divide(earned, possible, Rounding.HALF_UP)


def suggested_ratings(categories: frozenset[Category]) -> dict[str, Rating]:
    """``fail`` for each criterion whose banned-phrase categories were found in the contact."""
    return {
        criterion.code: Rating.FAIL for criterion in CRITERIA if criterion.flagged_by & categories
    }
