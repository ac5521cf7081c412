"""Statements to XLSX (XlsxWriter) and CSV, with Chinese and English headers.

Data flow: :class:`~huikuan.compensation.service.StatementDocument` list → a summary table (one
row per subject: totals) and a lines table (one row per statement line, the subject repeated)
→ an XLSX workbook with both sheets, or a CSV file of the lines table (UTF-8 with a BOM so
Excel opens the Chinese headers). Amounts are written in yuan from integer fen exactly:
CSV cells as text from :func:`~huikuan.core.money.format_minor`, XLSX cells as numbers built
from a ``Decimal`` (exact to the fen for any amount below 10^14 yuan) with a 0.00 format.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import xlsxwriter  # type: ignore[import-untyped]  # ships no type information

from huikuan.compensation.service import StatementDocument, SubjectKind
from huikuan.core.money import exponent_of, format_minor

# Keys whose values are money in minor units (everything else is written as it is).
MONEY_KEYS = frozenset(
    {
        "amount",
        "base",
        "clawback",
        "collected",
        "commission",
        "commission_share",
        "agency_fees",
        "agency_recovered",
        "fee",
        "fee_share",
        "in_house_recovered",
        "net",
        "quality_adjustment",
        "recovered",
    }
)

HEADERS: dict[str, str] = {
    "period": "期间 Period",
    "subject": "对象 Subject",
    "subject_name": "名称 Name",
    "currency": "币种 Currency",
    "collected": "回收金额 Collected",
    "base": "提成基数 Base",
    "commission": "提成 Commission",
    "quality_adjustment": "质检调整 Quality adjustment",
    "qa_score": "质检分 QA score",
    "quality_multiplier": "质检系数 Quality multiplier",
    "clawback": "追回 Clawback",
    "net": "净额 Net",
    "recovered": "回收金额 Recovered",
    "fee": "委外佣金 Fee",
    "in_house_recovered": "内催回收 In-house recovered",
    "agency_recovered": "委外回收 Agency recovered",
    "agency_fees": "委外佣金 Agency fees",
    "payments": "笔数 Payments",
    "kind": "类型 Line kind",
    "scheme": "方案 Scheme",
    "description": "说明 Description",
    "amount": "金额 Amount",
    "reference": "参考号 Reference",
    "payment_id": "回款编号 Payment id",
    "received_on": "到账日 Received on",
    "account_no": "账号 Account no",
    "case_id": "案件编号 Case id",
    "creditor_id": "委托方编号 Creditor id",
    "creditor": "委托方 Creditor",
    "agency": "委外机构 Agency",
    "plan_id": "方案编号 Plan id",
    "bucket": "账龄 Bucket",
    "band": "账龄段 Band",
    "rate_ppm": "费率 (ppm) Rate (ppm)",
    "rounding": "舍入 Rounding",
    "commission_share": "分摊提成 Commission share",
    "fee_share": "分摊佣金 Fee share",
    "excluded": "不计提 Excluded",
}

SUMMARY_COLUMNS: dict[SubjectKind, tuple[str, ...]] = {
    SubjectKind.AGENT: (
        "collected",
        "base",
        "commission",
        "quality_adjustment",
        "qa_score",
        "quality_multiplier",
        "clawback",
        "net",
    ),
    SubjectKind.AGENCY: ("recovered", "fee"),
    SubjectKind.CREDITOR: (
        "recovered",
        "in_house_recovered",
        "agency_recovered",
        "agency_fees",
        "net",
        "payments",
    ),
}

LINE_COLUMNS: dict[SubjectKind, tuple[str, ...]] = {
    SubjectKind.AGENT: (
        "kind",
        "scheme",
        "description",
        "amount",
        "reference",
        "payment_id",
        "received_on",
        "account_no",
        "creditor_id",
        "plan_id",
        "bucket",
        "commission_share",
        "excluded",
    ),
    SubjectKind.AGENCY: (
        "kind",
        "creditor",
        "scheme",
        "rounding",
        "bucket",
        "band",
        "recovered",
        "rate_ppm",
        "fee",
        "payment_id",
        "reference",
        "received_on",
        "account_no",
        "amount",
        "fee_share",
    ),
    SubjectKind.CREDITOR: ("kind", "agency", "recovered", "fee"),
}

SUBJECT_COLUMNS = ("period", "subject", "subject_name", "currency")


def _subject(doc: StatementDocument) -> dict[str, object]:
    return {
        "period": doc.period,
        "subject": doc.subject_code,
        "subject_name": doc.subject_name,
        "currency": doc.currency,
    }


def summary_rows(docs: Sequence[StatementDocument], kind: SubjectKind) -> list[dict[str, object]]:
    return [{**_subject(doc), **doc.totals} for doc in docs if doc.kind is kind]


def line_rows(docs: Sequence[StatementDocument], kind: SubjectKind) -> list[dict[str, object]]:
    return [{**_subject(doc), **line} for doc in docs if doc.kind is kind for line in doc.lines]


def _text(key: str, value: object, currency: str) -> str:
    if value is None:
        return ""
    if key in MONEY_KEYS and isinstance(value, int):
        return format_minor(value, currency, grouping=False)
    if isinstance(value, bool):
        return "是 yes" if value else ""
    return str(value)


def write_csv(docs: Sequence[StatementDocument], kind: SubjectKind, path: Path) -> int:
    """The lines of every statement of ``kind``; returns the rows written (headers excluded)."""
    columns = (*SUBJECT_COLUMNS, *LINE_COLUMNS[kind])
    rows = line_rows(docs, kind)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([HEADERS[c] for c in columns])
        for row in rows:
            currency = str(row["currency"])
            writer.writerow([_text(c, row.get(c), currency) for c in columns])
    return len(rows)


def write_xlsx(docs: Sequence[StatementDocument], kind: SubjectKind, path: Path) -> int:
    """A workbook with a 汇总 Summary sheet and a 明细 Lines sheet; returns the line rows."""
    workbook = xlsxwriter.Workbook(str(path))
    try:
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "text_wrap": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        for title, columns, rows in (
            ("汇总 Summary", (*SUBJECT_COLUMNS, *SUMMARY_COLUMNS[kind]), summary_rows(docs, kind)),
            ("明细 Lines", (*SUBJECT_COLUMNS, *LINE_COLUMNS[kind]), line_rows(docs, kind)),
        ):
            sheet = workbook.add_worksheet(title)
            sheet.freeze_panes(1, 0)
            for col, key in enumerate(columns):
                sheet.write_string(0, col, HEADERS[key], header)
                sheet.set_column(col, col, 40 if key == "description" else 16)
            for index, row in enumerate(rows, start=1):
                currency = str(row["currency"])
                for col, key in enumerate(columns):
                    value = row.get(key)
                    if value is None:
                        continue
                    if key in MONEY_KEYS and isinstance(value, int) and not isinstance(value, bool):
                        major = Decimal(value).scaleb(-exponent_of(currency))
                        sheet.write_number(index, col, major, money)
                    elif isinstance(value, bool):
                        sheet.write_boolean(index, col, value)
                    elif isinstance(value, int):
                        sheet.write_number(index, col, value)
                    else:
                        sheet.write_string(index, col, str(value))
    finally:
        workbook.close()
    return len(line_rows(docs, kind))
