"""Valid synthetic import files of every kind, in the default (Chinese-header) mapping.

Data flow: :func:`write_sample` draws a portfolio from
:func:`huikuan.demo.synthetic.generate_portfolio` (products CC / CL / OL, balances, schedules,
debtors holding one or two accounts) and synthetic people for its debtors, builds one String
column per field of the :class:`~huikuan.imports.mapping.ImportKind` (headers are each field's
Chinese label), and writes CSV (UTF-8 with BOM, via Polars) or XLSX (xlsxwriter: amounts as
numbers, dates as date cells, identifiers as text) by the path's suffix.

People are drawn column-wise with NumPy here rather than through
:func:`huikuan.demo.synthetic.generate_people`, whose per-person loop takes about 30 µs a person
(30 s for a million rows); the shapes are the same: a common surname and a one- or two-character
given name, a mobile on a real network prefix, and a resident ID number whose check digit is
computed with the GB 11643 weights, valid in format and matching nobody on purpose.
Everything follows from ``seed`` and ``as_of``; samples of different kinds with the same seed
share account numbers, so a payments sample pays the accounts of the placements sample.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl
import xlsxwriter  # type: ignore[import-untyped]  # ships no type information

from huikuan.demo.synthetic import generate_portfolio
from huikuan.imports.mapping import FIELDS, Field, FieldKind, ImportKind
from huikuan.imports.validation import GB11643_CHECK_CHARS, GB11643_WEIGHTS

_SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
_GIVEN = tuple(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉萍红玲芬燕斌辉鹏飞宇浩然涵欣怡梓萱诺思远"
    "俊嘉雨桐晨阳文博佳琪志建国海春梅晓东丹"
)
# Region code and the address prefix that goes with it.
_REGIONS = (
    ("110105", "北京市朝阳区"),
    ("310115", "上海市浦东新区"),
    ("440305", "深圳市南山区"),
    ("510107", "成都市武侯区"),
    ("330106", "杭州市西湖区"),
    ("420106", "武汉市武昌区"),
    ("320102", "南京市玄武区"),
    ("500103", "重庆市渝中区"),
)
_STREETS = ("人民路", "解放路", "建设路", "中山路", "和平路", "长江路", "新华街", "文化路")
_MOBILE_PREFIXES = ("135", "136", "138", "139", "150", "158", "186", "188", "177", "199")
_RELATIONSHIPS = ("配偶", "父母", "子女", "兄弟姐妹", "朋友", "同事", "其他")
_CHANNELS = ("银行转账", "支付宝", "微信支付", "现金")
_RECALL_REASONS = ("委托方撤案", "债务人已向委托方结清", "委案到期", "")
_BIRTH_START = date(1960, 1, 1)
_BIRTH_DAYS = 365 * 42
_BIRTH_EPOCH_DAYS = (_BIRTH_START - date(1970, 1, 1)).days  # Polars dates count from 1970


def write_sample(
    path: Path, kind: ImportKind, rows: int, *, seed: int = 1, as_of: date = date(2026, 11, 20)
) -> Path:
    """Write a valid ``kind`` file of ``rows`` data rows to ``path`` (.csv or .xlsx)."""
    if rows <= 0:
        raise ValueError("a sample needs at least one row")
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise ValueError(f"a sample is written as .csv or .xlsx, not {path.suffix!r}")
    frame = sample_frame(kind, rows, seed=seed, as_of=as_of)
    fields = FIELDS[kind]
    if suffix == ".csv":
        frame.rename({f.name: f.label_zh for f in fields}).write_csv(path, include_bom=True)
    else:
        _write_xlsx(path, frame, fields)
    return path


def sample_frame(kind: ImportKind, rows: int, *, seed: int, as_of: date) -> pl.DataFrame:
    """The sample as text, one column per field of ``kind`` (named by field), in field order.

    Blank cells are null, so a CSV leaves them empty.
    """
    accounts = generate_portfolio(rows, as_of, seed=seed).accounts
    rng = np.random.default_rng([seed, 11])
    build = {
        ImportKind.PLACEMENTS: _placements,
        ImportKind.PAYMENTS: _payments,
        ImportKind.UPDATES: _updates,
        ImportKind.RECALL: _recall,
    }[kind]
    text = build(accounts, rng, seed, as_of)
    return text.select(
        pl.when(pl.col(f.name).str.len_bytes() > 0).then(pl.col(f.name)).alias(f.name)
        for f in FIELDS[kind]
    )


def _account_no(seed: int) -> pl.Expr:
    return pl.format("AC{}{}", pl.lit(f"{seed % 100:02d}"), _zero_padded("account_id", 9))


def _zero_padded(column: str, width: int) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.zfill(width)


def _yuan(minor: pl.Expr) -> pl.Expr:
    """Minor units as ``1234.56``: exact integer arithmetic, no float."""
    return pl.format("{}.{}", minor // 100, (minor % 100).cast(pl.String).str.zfill(2))


def _iso(day: pl.Expr) -> pl.Expr:
    return day.dt.strftime("%Y-%m-%d")


def _pick(options: tuple[str, ...], index: npt.NDArray[np.int64]) -> pl.Series:
    """``options[index]`` for a whole array of indexes, as a Polars string column."""
    return pl.Series(options, dtype=pl.String).gather(pl.Series(index, dtype=pl.Int64))


def _placements(
    accounts: pl.DataFrame, rng: np.random.Generator, seed: int, as_of: date
) -> pl.DataFrame:
    n = accounts.height
    debtor_ids = accounts.get_column("debtor_id").to_numpy()
    # One person per debtor id: a debtor with two accounts appears the same in both rows.
    person = _people(int(debtor_ids.max()) + 1, rng)[debtor_ids]
    contact = _people(n, rng).rename(lambda name: f"contact_{name}")
    extra = pl.DataFrame(
        {
            "has_contact": rng.random(n) < 0.6,
            "relationship": _pick(_RELATIONSHIPS, rng.integers(0, len(_RELATIONSHIPS), n)),
            "has_email": rng.random(n) < 0.3,
            "english": rng.random(n) < 0.01,
            "street": _pick(_STREETS, rng.integers(0, len(_STREETS), n)),
            "house": rng.integers(1, 999, n),
        }
    )
    contact_given = pl.col("has_contact")
    return pl.concat([accounts, person, contact, extra], how="horizontal").select(
        account_no=_account_no(seed),
        debtor_no=pl.format("DB{}{}", pl.lit(f"{seed % 100:02d}"), _zero_padded("debtor_id", 9)),
        name=pl.col("name"),
        id_number=pl.col("id_number"),
        mobile=pl.col("mobile"),
        product_code=pl.col("product_code"),
        currency=pl.lit("CNY"),
        principal=_yuan(pl.col("principal")),
        interest=_yuan(pl.col("interest")),
        penalty=_yuan(pl.col("penalty")),
        fee=_yuan(pl.col("fee")),
        first_due=_iso(pl.col("first_due")),
        instalment=_yuan(pl.col("instalment")),
        cycles=pl.col("cycles").cast(pl.String),
        paid_to_schedule=_yuan(pl.col("paid_to_schedule")),
        charge_start=_iso(pl.col("charge_start")),
        placed_on=pl.lit(as_of.isoformat()),
        region=pl.col("region"),
        language=pl.when(pl.col("english")).then(pl.lit("en")).otherwise(pl.lit("zh")),
        email=pl.when(pl.col("has_email")).then(
            pl.format("user{}@example.com", pl.col("account_id"))
        ),
        address=pl.format("{}{}{}号", pl.col("city"), pl.col("street"), pl.col("house")),
        contact_source=pl.lit("合同约定"),
        emergency_name=pl.when(contact_given).then(pl.col("contact_name")),
        emergency_mobile=pl.when(contact_given).then(pl.col("contact_mobile")),
        emergency_relationship=pl.when(contact_given).then(pl.col("relationship")),
        emergency_source=pl.when(contact_given).then(pl.lit("债务人预留联系人")),
    )


def _payments(
    accounts: pl.DataFrame, rng: np.random.Generator, seed: int, as_of: date
) -> pl.DataFrame:
    n = accounts.height
    share = rng.choice([100, 100, 100, 50, 200], n)  # mostly one instalment, some half or two
    extra = pl.DataFrame(
        {
            "share": share,
            "days_ago": rng.integers(0, 7, n),
            "channel": _pick(_CHANNELS, rng.choice(len(_CHANNELS), n, p=[0.5, 0.25, 0.2, 0.05])),
        }
    )
    amount = pl.max_horizontal(pl.col("instalment") * pl.col("share") // 100, pl.lit(1))
    return pl.concat([accounts, extra], how="horizontal").select(
        account_no=_account_no(seed),
        amount=_yuan(amount),
        received_on=_iso(pl.lit(as_of) - pl.duration(days=pl.col("days_ago"))),
        channel=pl.col("channel"),
        reference=pl.format("TX{}{}", pl.lit(f"{seed:04d}"), _zero_padded("account_id", 10)),
        currency=pl.lit("CNY"),
    )


def _updates(
    accounts: pl.DataFrame, rng: np.random.Generator, seed: int, as_of: date
) -> pl.DataFrame:
    # A month of post-delinquency interest on top of the placed balance.
    extra = pl.Series("extra", rng.integers(0, 5_000, accounts.height), dtype=pl.Int64)
    return accounts.with_columns(extra).select(
        account_no=_account_no(seed),
        principal=_yuan(pl.col("principal")),
        interest=_yuan(pl.col("interest") + pl.col("extra")),
        penalty=_yuan(pl.col("penalty")),
        fee=_yuan(pl.col("fee")),
        as_of=pl.lit(as_of.isoformat()),
        currency=pl.lit("CNY"),
    )


def _recall(
    accounts: pl.DataFrame, rng: np.random.Generator, seed: int, as_of: date
) -> pl.DataFrame:
    reasons = _pick(_RECALL_REASONS, rng.integers(0, len(_RECALL_REASONS), accounts.height))
    return accounts.with_columns(reasons.alias("reason_text")).select(
        account_no=_account_no(seed),
        recalled_on=pl.lit(as_of.isoformat()),
        reason=pl.col("reason_text"),
    )


def _people(count: int, rng: np.random.Generator) -> pl.DataFrame:
    """``count`` synthetic people: name, mobile, ID number, region code and city."""
    region_index = rng.integers(0, len(_REGIONS), count)
    birth_day = rng.integers(0, _BIRTH_DAYS, count)
    sequence = rng.integers(0, 1000, count)
    draws = pl.DataFrame(
        {
            "surname": _pick(_SURNAMES, rng.integers(0, len(_SURNAMES), count)),
            "given1": _pick(_GIVEN, rng.integers(0, len(_GIVEN), count)),
            "given2": _pick(_GIVEN, rng.integers(0, len(_GIVEN), count)),
            "two_given": rng.random(count) < 0.7,
            "prefix": _pick(_MOBILE_PREFIXES, rng.integers(0, len(_MOBILE_PREFIXES), count)),
            "subscriber": rng.integers(0, 10**8, count),
            "region": _pick(tuple(code for code, _ in _REGIONS), region_index),
            "city": _pick(tuple(city for _, city in _REGIONS), region_index),
            "birth": pl.Series(birth_day + _BIRTH_EPOCH_DAYS, dtype=pl.Int32).cast(pl.Date),
            "sequence": sequence,
        }
    )
    yyyymmdd = draws.select(
        pl.col("birth").dt.year().cast(pl.Int64) * 10_000
        + pl.col("birth").dt.month().cast(pl.Int64) * 100
        + pl.col("birth").dt.day().cast(pl.Int64)
    ).to_series()
    # The 17 digits as numbers: region (6), birth date (8), sequence (3).
    region_digits = np.array([[int(d) for d in code] for code, _ in _REGIONS], dtype=np.int64)
    weights = np.array(GB11643_WEIGHTS, dtype=np.int64)
    total = region_digits[region_index] @ weights[:6]
    date_number = yyyymmdd.to_numpy()
    for place, weight in enumerate(weights[6:14]):
        total = total + (date_number // 10 ** (7 - place)) % 10 * weight
    for place, weight in enumerate(weights[14:]):
        total = total + (sequence // 10 ** (2 - place)) % 10 * weight
    check = _pick(tuple(GB11643_CHECK_CHARS), total % 11)
    return draws.with_columns(check.alias("check"), yyyymmdd.alias("yyyymmdd")).select(
        name=pl.concat_str(
            "surname", "given1", pl.when("two_given").then("given2").otherwise(pl.lit(""))
        ),
        mobile=pl.concat_str("prefix", pl.col("subscriber").cast(pl.String).str.zfill(8)),
        id_number=pl.concat_str(
            "region",
            pl.col("yyyymmdd").cast(pl.String),
            pl.col("sequence").cast(pl.String).str.zfill(3),
            "check",
        ),
        region="region",
        city="city",
    )


def _write_xlsx(path: Path, frame: pl.DataFrame, fields: tuple[Field, ...]) -> None:
    """Amounts as numbers and dates as date cells, as a creditor's Excel export has them.

    Excel stores every number as an IEEE double; amounts of up to 10^13 minor units with two
    decimals have at most 15 significant digits, so the reader's 15-digit rendering gives the
    exact text back.
    """
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        sheet = workbook.add_worksheet("导入数据")
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        for col, f in enumerate(fields):
            sheet.write_string(0, col, f.label_zh)
        kinds = [f.kind for f in fields]
        for row, values in enumerate(frame.iter_rows(), start=1):
            for col, (value, kind) in enumerate(zip(values, kinds, strict=True)):
                if value is None or value == "":
                    continue
                if kind is FieldKind.AMOUNT:
                    sheet.write_number(row, col, float(value))
                elif kind is FieldKind.INT:
                    sheet.write_number(row, col, int(value))
                elif kind is FieldKind.DATE:
                    sheet.write_datetime(row, col, datetime.fromisoformat(value), date_format)
                else:
                    sheet.write_string(row, col, value)
    finally:
        workbook.close()
