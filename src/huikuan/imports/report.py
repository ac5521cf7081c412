"""Row errors as values, their bilingual reasons, and the error report a creditor downloads.

Data flow: mapping and validation (and later the persistence layer) create :class:`RowError`
values through :func:`row_error`, which looks the reason up in :data:`REASONS` by
:class:`ErrorCode`, masks personal data and makes the offending value printable and short.
:func:`write_error_report` writes them to a UTF-8-with-BOM CSV that Excel opens correctly, with
every cell that Excel could take for a formula neutralised; :func:`summarise` gives the CLI a
few lines.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

VALUE_LIMIT = 50
"""Characters of an offending value kept in an error (longer values are cut, ending in …)."""

REPORT_HEADER = (
    "行号 Row",
    "列 Column",
    "字段 Field",
    "值 Value",
    "原因 Reason",
    "Reason (English)",
)


class ErrorCode(StrEnum):
    """Why a cell, row or column was refused; stable codes, reasons in :data:`REASONS`."""

    # The header row (row 1).
    MISSING_COLUMN = "missing_column"
    AMBIGUOUS_COLUMN = "ambiguous_column"
    # A cell.
    REQUIRED = "required"
    FORMULA = "formula"
    FORMULA_CELL = "formula_cell"
    CONTROL_CHAR = "control_char"
    TOO_LONG = "too_long"
    NOT_AMOUNT = "not_amount"
    AMOUNT_PRECISION = "amount_precision"
    AMOUNT_TOO_SMALL = "amount_too_small"
    AMOUNT_TOO_LARGE = "amount_too_large"
    NOT_DATE = "not_date"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    DATE_AFTER_AS_OF = "date_after_as_of"
    NOT_INT = "not_int"
    INT_OUT_OF_RANGE = "int_out_of_range"
    ID_FORMAT = "id_format"
    ID_CHECK_DIGIT = "id_check_digit"
    MOBILE_FORMAT = "mobile_format"
    EMAIL_FORMAT = "email_format"
    NAME_CHARS = "name_chars"
    CODE_FORMAT = "code_format"
    ENUM_VALUE = "enum_value"
    # Across rows or fields of the same file.
    DUPLICATE = "duplicate"
    DEBTOR_MISMATCH = "debtor_mismatch"
    EMERGENCY_INCOMPLETE = "emergency_incomplete"
    # Against the database: raised by the persistence layer through ``Validated.errors_for``.
    ACCOUNT_EXISTS = "account_exists"
    ACCOUNT_UNKNOWN = "account_unknown"
    PRODUCT_UNKNOWN = "product_unknown"
    REFERENCE_EXISTS = "reference_exists"
    CURRENCY_MISMATCH = "currency_mismatch"


REASONS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.MISSING_COLUMN: (
        "缺少必填列，可用列名：{detail}",
        "required column is missing; accepted headers: {detail}",
    ),
    ErrorCode.AMBIGUOUS_COLUMN: (
        "与列「{detail}」对应同一字段，请删除其中一列",
        "maps to the same field as column '{detail}'; remove one of them",
    ),
    ErrorCode.REQUIRED: ("必填项为空", "required value is blank"),
    ErrorCode.FORMULA: (
        "以 = + - @ 开头，疑似公式注入，已拒绝",
        "starts with = + - or @: possible formula injection, refused",
    ),
    ErrorCode.FORMULA_CELL: (
        "单元格是 Excel 公式，请复制后“粘贴为数值”再上传",
        "cell holds an Excel formula; paste values only and upload again",
    ),
    ErrorCode.CONTROL_CHAR: (
        "含有控制字符或不可见字符",
        "contains control or invisible characters",
    ),
    ErrorCode.TOO_LONG: ("超过 {detail} 个字符", "longer than {detail} characters"),
    ErrorCode.NOT_AMOUNT: (
        "不是有效金额（例如 1234.56、1,234.56、¥100）",
        "not a valid amount (e.g. 1234.56, 1,234.56, ¥100)",
    ),
    ErrorCode.AMOUNT_PRECISION: (
        "小数位数超过 {detail} 位",
        "more than {detail} decimal places",
    ),
    ErrorCode.AMOUNT_TOO_SMALL: ("金额不能小于 {detail}", "amount must be at least {detail}"),
    ErrorCode.AMOUNT_TOO_LARGE: ("金额超过上限 {detail}", "amount exceeds the limit {detail}"),
    ErrorCode.NOT_DATE: (
        "不是有效日期（YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）",
        "not a valid date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)",
    ),
    ErrorCode.DATE_OUT_OF_RANGE: ("日期超出范围 {detail}", "date outside {detail}"),
    ErrorCode.DATE_AFTER_AS_OF: (
        "日期晚于业务日期 {detail}",
        "date is after the business date {detail}",
    ),
    ErrorCode.NOT_INT: ("不是整数", "not a whole number"),
    ErrorCode.INT_OUT_OF_RANGE: ("超出允许范围 {detail}", "outside the allowed range {detail}"),
    ErrorCode.ID_FORMAT: (
        "身份证号须为 18 位（17 位数字加数字或 X）；Excel 中请把该列设为文本",
        "ID number must be 18 characters (17 digits, then a digit or X); "
        "store the column as text in Excel",
    ),
    ErrorCode.ID_CHECK_DIGIT: (
        "身份证号校验位错误（GB 11643）",
        "ID number check digit is wrong (GB 11643)",
    ),
    ErrorCode.MOBILE_FORMAT: (
        "不是有效的中国大陆手机号（11 位，13–19 开头）",
        "not a valid mainland mobile number (11 digits starting 13–19)",
    ),
    ErrorCode.EMAIL_FORMAT: ("不是有效的电子邮箱", "not a valid email address"),
    ErrorCode.NAME_CHARS: (
        "姓名只能包含汉字、字母、间隔号 · 和空格",
        "a name may contain only CJK characters, letters, the middle dot · and spaces",
    ),
    ErrorCode.CODE_FORMAT: (
        "编号只能包含字母、数字和 - _ . / # :，且以字母或数字开头",
        "codes may contain only letters, digits and - _ . / # :, starting with a letter or digit",
    ),
    ErrorCode.ENUM_VALUE: ("不是允许的取值：{detail}", "not one of the allowed values: {detail}"),
    ErrorCode.DUPLICATE: ("与第 {detail} 行重复", "duplicates row {detail}"),
    ErrorCode.DEBTOR_MISMATCH: (
        "同一债务人编号在第 {detail} 行的证件号码不同",
        "the same debtor number has a different ID number in row {detail}",
    ),
    ErrorCode.EMERGENCY_INCOMPLETE: (
        "填写紧急联系人时，姓名和手机号都必须填写",
        "an emergency contact needs both a name and a mobile number",
    ),
    ErrorCode.ACCOUNT_EXISTS: ("该账号已委案", "this account has already been placed"),
    ErrorCode.ACCOUNT_UNKNOWN: ("系统中没有该账号", "no such account"),
    ErrorCode.PRODUCT_UNKNOWN: ("委托方没有该产品", "unknown product for this creditor"),
    ErrorCode.REFERENCE_EXISTS: (
        "该交易流水号已导入过",
        "this transaction reference has already been imported",
    ),
    ErrorCode.CURRENCY_MISMATCH: ("币种与账户币种不一致", "currency differs from the account's"),
}


@dataclass(frozen=True, slots=True)
class RowError:
    """One refused cell (or header, row 1): where it is, what it held, and why, in two languages.

    ``column`` is the header as written in the file (the field's Chinese label when the column is
    missing); ``value`` is at most :data:`VALUE_LIMIT` characters, printable, and masked for
    personal identifiers.
    """

    row: int
    column: str
    field: str
    value: str
    code: str
    reason_zh: str
    reason_en: str


def row_error(
    row: int,
    column: str,
    field: str,
    value: str | None,
    code: ErrorCode,
    detail: str = "",
    *,
    mask: Callable[[str], str] | None = None,
) -> RowError:
    """A :class:`RowError` with its reasons filled in and its value made safe to show."""
    zh, en = REASONS[code]
    shown = "" if value is None else value
    if mask is not None and shown:
        shown = mask(shown)
    return RowError(
        row=row,
        column=column,
        field=field,
        value=shorten(printable(shown)),
        code=code.value,
        reason_zh=zh.format(detail=detail),
        reason_en=en.format(detail=detail),
    )


def printable(text: str) -> str:
    """Control and format characters written as escapes, so a report shows what was there.

    >>> printable("a\\x00b\\u202e")
    'a\\\\x00b\\\\u202e'
    """
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if char == " " or unicodedata.category(char) not in {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}:
            out.append(char)
        elif ord(char) <= 0xFF:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


def shorten(text: str, limit: int = VALUE_LIMIT) -> str:
    """At most ``limit`` characters; a cut value ends in an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excel_safe(text: str) -> str:
    """A cell Excel will show as text: a leading ``= + - @``, tab or CR gets a quote in front."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def write_error_report(errors: Sequence[RowError], path: Path) -> Path:
    """Write ``errors`` as CSV in UTF-8 with BOM (so Excel shows Chinese); return ``path``."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REPORT_HEADER)
        for error in errors:
            writer.writerow(
                (
                    error.row,
                    excel_safe(error.column),
                    error.field,
                    excel_safe(error.value),
                    error.reason_zh,
                    error.reason_en,
                )
            )
    return path


def summarise(errors: Sequence[RowError], *, limit: int = 5, total: int | None = None) -> str:
    """A few lines for the CLI: how many errors, that nothing was imported, and the first few."""
    count = len(errors) if total is None else total
    if count == 0:
        return "文件校验通过，没有错误 / the file passed validation with no errors"
    lines = [f"发现 {count} 处错误，整个文件未导入 / {count} error(s): the file was not imported"]
    for error in errors[:limit]:
        where = f"第 {error.row} 行「{error.column}」 / row {error.row} [{error.column}]"
        value = f" '{error.value}'" if error.value else ""
        lines.append(f"  {where}{value}: {error.reason_zh} / {error.reason_en}")
    if count > limit:
        more = count - limit
        lines.append(f"  …… 另有 {more} 处错误见错误报告 / … {more} more in the error report")
    return "\n".join(lines)
