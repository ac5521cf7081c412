"""A seedable synthetic portfolio with realistic shapes, built column-wise for millions of rows.

Data flow: the seed fixes a NumPy generator; product mix, balances (log-normal by product),
due schedules (anchor day, term, months on book), how many instalments behind (a collections
portfolio: most accounts are behind, a long tail is far behind), a few disputes that pause the
clock, and a per-account payment propensity that falls with each bucket. The opening DPD is
computed by the nightly pipeline's own ``age`` stage so the portfolio starts consistent with the
rules. :meth:`SyntheticPortfolio.payments_for` gives the receipts of any day, deterministically
from the seed and the date. People (Chinese names, valid-format mobile numbers, resident ID
numbers with a correct check digit) are generated only on request: they are synthetic and match
nobody on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from huikuan.core.identity import gb11643_check_char
from huikuan.core.policy import ProductPolicy
from huikuan.demo.catalogue import DEMO_POLICIES
from huikuan.nightly.frames import ACCOUNT_SCHEMA, PAUSE_SCHEMA, PAYMENT_SCHEMA
from huikuan.nightly.pipeline import age_portfolio

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕斌辉鹏飞宇浩然子涵欣怡"
    "梓萱一诺思远俊杰嘉怡雨桐晨阳文博佳琪志强建国海燕春梅晓东丹丹"
)
_REGIONS = ("110105", "310115", "440305", "510107", "330106", "420106", "320102", "500103")
_MOBILE_PREFIXES = ("135", "136", "138", "139", "150", "158", "186", "188", "177", "199")

# How many instalments behind, for a collections portfolio (index = cycles behind; last = 7+).
_BEHIND_WEIGHTS = (0.10, 0.24, 0.15, 0.11, 0.08, 0.07, 0.06, 0.19)
# Chance of a receipt on any one day, by cycles behind at placement (falls as debt ages).
_DAILY_PAY_PROPENSITY = (0.030, 0.020, 0.012, 0.008, 0.006, 0.004, 0.003, 0.0015)


@dataclass(frozen=True)
class SyntheticPortfolio:
    """Accounts accrued through ``as_of`` plus what is needed to simulate the days after it."""

    seed: int
    as_of: date
    accounts: pl.DataFrame  # ACCOUNT_SCHEMA plus debtor_id
    pauses: pl.DataFrame  # PAUSE_SCHEMA plus reason
    policies: tuple[ProductPolicy, ...]
    propensity: np.ndarray  # daily chance of a receipt, per account row
    instalments: np.ndarray

    def payments_for(self, day: date) -> pl.DataFrame:
        """Receipts arriving on ``day`` (deterministic for the seed and the date)."""
        if day <= self.as_of:
            return pl.DataFrame(schema=PAYMENT_SCHEMA)
        rng = np.random.default_rng([self.seed, day.toordinal()])
        paying = rng.random(self.propensity.shape[0]) < self.propensity
        rows = np.flatnonzero(paying)
        base = self.instalments[rows]
        kind = rng.random(rows.shape[0])
        multiple = np.where(
            kind < 0.6, 1.0, np.where(kind < 0.8, rng.integers(2, 4, rows.shape[0]), 0)
        )
        partial = np.round(base * rng.uniform(0.3, 0.7, rows.shape[0]), -2)
        amount = np.where(multiple > 0, base * multiple, partial).astype(np.int64)
        ids = self.accounts.get_column("account_id").to_numpy()[rows]
        keep = amount > 0
        return pl.DataFrame(
            {"account_id": ids[keep], "amount": amount[keep]}, schema=PAYMENT_SCHEMA
        )


def generate_portfolio(
    accounts: int,
    as_of: date,
    *,
    seed: int = 20260101,
    policies: tuple[ProductPolicy, ...] = DEMO_POLICIES,
) -> SyntheticPortfolio:
    """``accounts`` synthetic accounts accrued and aged through ``as_of``."""
    if accounts <= 0:
        raise ValueError("a portfolio needs at least one account")
    rng = np.random.default_rng(seed)
    n = accounts
    product = rng.choice(3, size=n, p=[0.45, 0.35, 0.20])
    codes = np.array([policy.code for policy in policies[:3]])
    # Principal in yuan, log-normal by product, whole yuan, then fen.
    medians = np.array([12_000.0, 30_000.0, 4_000.0])[product]
    sigmas = np.array([0.8, 0.7, 0.8])[product]
    principal_yuan = np.clip(np.round(medians * rng.lognormal(0.0, sigmas)), 500, 500_000)
    principal = principal_yuan.astype(np.int64) * 100
    loan_terms = np.where(product == 1, rng.choice([12, 24, 36], n), rng.choice([3, 6, 12], n))
    cycles = np.where(product == 0, 0, loan_terms)  # 0 marks a card (no end), made null below
    card_minimum = np.maximum(10_000, (principal // 1000) * 100)  # 10% of principal, ≥100 yuan
    loan_instalment = (principal * 108 // 100) // np.maximum(loan_terms, 1)
    instalment = np.where(product == 0, card_minimum, loan_instalment).astype(np.int64)
    anchor_day = rng.integers(1, 29, n)
    months_on_book = rng.integers(3, 25, n)
    months_on_book = np.where(cycles > 0, np.minimum(months_on_book, cycles), months_on_book)
    as_of_month = as_of.year * 12 + as_of.month - 1
    first_month = as_of_month - months_on_book
    due_this_month = anchor_day <= as_of.day
    cycles_due = months_on_book + due_this_month.astype(np.int64)
    cycles_due = np.where(cycles > 0, np.minimum(cycles_due, cycles), cycles_due)
    behind = rng.choice(len(_BEHIND_WEIGHTS), size=n, p=_BEHIND_WEIGHTS)
    behind = np.where(behind == len(_BEHIND_WEIGHTS) - 1, rng.integers(7, 15, n), behind)
    behind = np.minimum(behind, cycles_due)
    paid_cycles = cycles_due - behind
    partial = (rng.random(n) < 0.25) * (instalment * rng.uniform(0.1, 0.9, n)).astype(np.int64)
    paid = paid_cycles * instalment + np.where(behind > 0, partial, 0)
    principal_left = np.maximum(principal - (paid * 85 // 100), principal // 10)
    interest = behind * instalment * 8 // 100
    penalty = np.where(product == 0, 0, behind * instalment * 3 // 100)
    fee = np.where(product == 0, behind * 2_500, 0)
    charged = interest + penalty + fee
    charge_start_offset = (behind * 30 + rng.integers(0, 30, n)).astype(np.int64)
    ids = np.arange(1, n + 1, dtype=np.int64)
    # About one debtor in seven holds two accounts: worst DPD per debtor is then meaningful.
    debtor_id = np.where(rng.random(n) < 0.15, np.maximum(ids - 1, 1), ids)

    frame = pl.DataFrame(
        {
            "account_id": ids,
            "product_code": codes[product],
            "principal": principal_left,
            "interest": interest,
            "penalty": penalty,
            "fee": fee,
            "first_month": first_month,
            "anchor_day": anchor_day,
            "instalment": instalment,
            "cycles": cycles,
            "paid_to_schedule": paid,
            "charge_offset": charge_start_offset,
            "cap_base": principal_left,
            "charged_total": charged,
            "debtor_id": debtor_id,
        }
    )
    start = pl.lit(as_of, dtype=pl.Date())
    frame = frame.with_columns(
        # Anchor days stop at 28, so every month has them.
        pl.date(
            pl.col("first_month") // 12, pl.col("first_month") % 12 + 1, pl.col("anchor_day")
        ).alias("first_due"),
        pl.when(pl.col("cycles") == 0)
        .then(None)
        .otherwise(pl.col("cycles"))
        .cast(pl.Int32)
        .alias("cycles"),
        pl.lit("open", dtype=ACCOUNT_SCHEMA["status"]).alias("status"),
        start.alias("accrued_through"),
        (start - pl.duration(days=pl.col("charge_offset"))).alias("charge_start"),
        pl.lit(0, dtype=pl.Int64).alias("credit"),
        pl.lit(0, dtype=pl.Int32).alias("dpd"),
    )
    pauses = _disputes(rng, ids, as_of)
    # The opening DPD comes from the nightly pipeline's own ageing rule.
    frame = age_portfolio(frame, policies, as_of, pauses=pauses.drop("reason")).select(
        [*ACCOUNT_SCHEMA, "debtor_id"]
    )
    propensity = np.array(_DAILY_PAY_PROPENSITY)[np.minimum(behind, len(_DAILY_PAY_PROPENSITY) - 1)]
    return SyntheticPortfolio(
        seed=seed,
        as_of=as_of,
        accounts=frame,
        pauses=pauses,
        policies=policies,
        propensity=propensity,
        instalments=instalment,
    )


def _disputes(rng: np.random.Generator, ids: np.ndarray, as_of: date) -> pl.DataFrame:
    """About 1% of accounts under a dispute or hardship review that stops the DPD clock."""
    chosen = ids[rng.random(ids.shape[0]) < 0.01]
    count = chosen.shape[0]
    starts = [as_of - timedelta(days=int(d)) for d in rng.integers(0, 20, count)]
    lengths = rng.integers(10, 40, count)
    still_open = rng.random(count) < 0.3
    ends = [
        None if is_open else start + timedelta(days=int(length))
        for start, length, is_open in zip(starts, lengths, still_open, strict=True)
    ]
    reasons = np.where(rng.random(count) < 0.7, "dispute", "hardship_review")
    return pl.DataFrame(
        {"account_id": chosen, "start": starts, "end": ends, "reason": reasons},
        schema={**PAUSE_SCHEMA, "reason": pl.String()},
    )


@dataclass(frozen=True, slots=True)
class SyntheticPerson:
    debtor_id: int
    name: str
    mobile: str
    id_number: str


def generate_people(debtor_ids: list[int], *, seed: int) -> list[SyntheticPerson]:
    """Synthetic debtors: plausible names, valid-format mobiles and check-digit-correct IDs."""
    rng = np.random.default_rng([seed, 7])
    people: list[SyntheticPerson] = []
    for debtor_id in debtor_ids:
        surname = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
        given = "".join(
            _GIVEN[int(i)] for i in rng.integers(len(_GIVEN), size=int(rng.integers(1, 3)))
        )
        mobile = _MOBILE_PREFIXES[int(rng.integers(len(_MOBILE_PREFIXES)))] + "".join(
            str(int(d)) for d in rng.integers(0, 10, 8)
        )
        birth = date(1960, 1, 1) + timedelta(days=int(rng.integers(0, 365 * 42)))
        first17 = (
            _REGIONS[int(rng.integers(len(_REGIONS)))]
            + birth.strftime("%Y%m%d")
            + f"{int(rng.integers(0, 1000)):03d}"
        )
        people.append(
            SyntheticPerson(
                debtor_id, surname + given, mobile, first17 + gb11643_check_char(first17)
            )
        )
    return people
