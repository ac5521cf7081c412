"""The demo's creditors, products and their policies: realistic CN terms, all synthetic.

Three product shapes the seeds talk about: a bank credit card (信用卡: compound interest at
0.05% a day, a 5% late fee on the unpaid minimum, 3 grace days), a consumer loan (消费贷: penalty
interest at 1.5× the contract rate on principal and interest, capped at 24% a year) and an online
loan (网贷: the 24% cap binds).
"""

from __future__ import annotations

from dataclasses import dataclass

from huikuan.core.policy import PenaltyBase, ProductPolicy


@dataclass(frozen=True, slots=True)
class DemoCreditor:
    code: str
    name: str
    products: tuple[tuple[str, str], ...]  # (product code, product name)
    hotline: str = ""  # synthetic: 400-000-xxxx is not a number anyone answers


CREDIT_CARD = ProductPolicy(
    code="CC",
    interest_rate_ppm=182_500,  # 0.05% a day, the classic card rate
    interest_compound=True,
    late_fee_rate_ppm=50_000,  # 5% of the unpaid minimum payment
    late_fee_floor=1_000,
    late_fee_ceiling=50_000,
    grace_days=3,
    min_payment_principal_ppm=100_000,
    min_payment_floor=10_000,
)

CONSUMER_LOAN = ProductPolicy(
    code="CL",
    interest_rate_ppm=154_000,
    penalty_rate_ppm=231_000,  # 1.5× the contract rate
    penalty_base=PenaltyBase.PRINCIPAL_AND_INTEREST,
    cost_cap_ppm=240_000,
)

ONLINE_LOAN = ProductPolicy(
    code="OL",
    interest_rate_ppm=240_000,
    penalty_rate_ppm=120_000,
    cost_cap_ppm=240_000,
    late_fee_rate_ppm=0,
    waterfall_code="IPFP-OLDEST",
)

DEMO_POLICIES: tuple[ProductPolicy, ...] = (CREDIT_CARD, CONSUMER_LOAN, ONLINE_LOAN)

DEMO_CREDITORS: tuple[DemoCreditor, ...] = (
    DemoCreditor("HXB", "华夏示范银行信用卡中心", (("CC", "标准信用卡"),), "400-000-0101"),
    DemoCreditor(
        "JYXF",
        "金雁消费金融有限公司",
        (("CL", "个人消费贷款"), ("OL", "线上小额贷款")),
        "400-000-0202",
    ),
)

DEMO_AGENCY = ("AG01", "明信委外催收服务有限公司")
DEMO_TEAMS: tuple[tuple[str, str, str | None], ...] = (
    ("T-IN-A", "内催一组", None),
    ("T-IN-B", "内催二组", None),
    ("T-AG01", "委外一组", "AG01"),
)
