"""Validation of creditor files: every refusal names its row, column, value and reason."""

from __future__ import annotations

import csv
import string
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.core.identity import gb11643_check_char, is_valid_cn_id
from huikuan.core.money import parse_minor
from huikuan.imports.mapping import (
    FIELDS,
    ColumnMapping,
    ImportKind,
    header_key,
    resolve,
)
from huikuan.imports.readers import ROW, FileRefused, RawTable, Refusal, read_table
from huikuan.imports.report import (
    REPORT_HEADER,
    ErrorCode,
    RowError,
    summarise,
    write_error_report,
)
from huikuan.imports.validation import DB_CHECKS, Validated, gb11643_valid, validate

VALID_ID = "11010519491231002X"
OTHER_ID = "110105198001010011"[:17] + gb11643_check_char("11010519800101001")
MAPPING = ColumnMapping("BANK1")
BASE = {
    "账号": "A001",
    "客户号": "D001",
    "姓名": "张三",
    "身份证号": VALID_ID,
    "手机号": "13812345678",
    "产品代码": "CC",
    "本金": "1000.00",
    "首期还款日": "2026-01-05",
    "每期应还": "100.00",
}


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    headers = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([row.get(header, "") for header in headers])
    return path


def _row(number: int, **cells: str) -> dict[str, str]:
    """A valid placement row with its own account number, changed by ``cells``."""
    return {**BASE, "账号": f"A{number:03d}", **cells}


def _validate(
    tmp_path: Path,
    rows: list[dict[str, str]],
    kind: ImportKind = ImportKind.PLACEMENTS,
    mapping: ColumnMapping = MAPPING,
    **options: object,
) -> Validated:
    raw = read_table(_write_csv(tmp_path / "in.csv", rows))
    return validate(raw, kind, mapping, **options)  # type: ignore[arg-type]


def _codes(result: Validated) -> list[tuple[int, str, str]]:
    return [(error.row, error.column, error.code) for error in result.errors]


def test_a_valid_file_gives_typed_records(tmp_path: Path) -> None:
    result = _validate(tmp_path, [_row(1), _row(2, 期数="12", 币种="人民币")])
    assert result.ok
    assert result.errors == ()
    assert result.rows_read == 2
    records = result.records
    assert records.get_column("row").to_list() == [2, 3]
    assert records.schema["principal"] == pl.Int64
    assert records.schema["first_due"] == pl.Date
    assert records.schema["cycles"] == pl.Int32
    first = records.row(0, named=True)
    assert first["principal"] == 100_000
    assert first["first_due"] == date(2026, 1, 5)
    assert first["cycles"] is None  # blank: revolving
    # Defaults for optional fields that are absent or blank.
    assert first["currency"] == "CNY"
    assert first["interest"] == first["penalty"] == first["fee"] == first["paid_to_schedule"] == 0
    assert first["language"] == "zh"
    assert first["contact_source"] == "contract"  # the debtor's own mobile: 合同约定
    assert first["emergency_source"] is None  # no emergency contact, no source
    assert records.row(1, named=True)["cycles"] == 12


CELL_ERRORS = [
    ("姓名", "'; DROP TABLE accounts;--", ErrorCode.NAME_CHARS),
    ("姓名", "<script>alert(1)</script>", ErrorCode.NAME_CHARS),
    ("姓名", "张三1", ErrorCode.NAME_CHARS),
    ("姓名", '=HYPERLINK("http://evil.example","点我")', ErrorCode.FORMULA),
    ("姓名", "@SUM(A1)", ErrorCode.FORMULA),
    ("姓名", "-张三", ErrorCode.FORMULA),
    ("姓名", "张\x01三", ErrorCode.CONTROL_CHAR),
    ("姓名", "张三\u202e", ErrorCode.CONTROL_CHAR),
    ("姓名", "张" * 201, ErrorCode.TOO_LONG),
    ("账号", "A 01", ErrorCode.CODE_FORMAT),
    ("账号", "+A01", ErrorCode.FORMULA),
    ("产品代码", "", ErrorCode.REQUIRED),
    ("本金", "abc", ErrorCode.NOT_AMOUNT),
    ("本金", "1.005", ErrorCode.AMOUNT_PRECISION),
    ("本金", "12,34", ErrorCode.NOT_AMOUNT),
    ("本金", "1e5", ErrorCode.NOT_AMOUNT),
    ("本金", "100000000000.01", ErrorCode.AMOUNT_TOO_LARGE),
    ("本金", "99999999999999999999999999", ErrorCode.AMOUNT_TOO_LARGE),
    ("本金", "-5", ErrorCode.AMOUNT_TOO_SMALL),
    ("本金", "=1+1", ErrorCode.FORMULA),
    ("每期应还", "0", ErrorCode.AMOUNT_TOO_SMALL),
    ("首期还款日", "2026-02-30", ErrorCode.NOT_DATE),
    ("首期还款日", "05/01/2026", ErrorCode.NOT_DATE),
    ("首期还款日", "1800-01-01", ErrorCode.DATE_OUT_OF_RANGE),
    ("身份证号", "110105194912310021", ErrorCode.ID_CHECK_DIGIT),
    ("身份证号", "1101051949123100", ErrorCode.ID_FORMAT),
    ("身份证号", "1.10105194912310E+17", ErrorCode.ID_FORMAT),
    ("手机号", "12812345678", ErrorCode.MOBILE_FORMAT),
    ("手机号", "1381234567", ErrorCode.MOBILE_FORMAT),
    ("期数", "abc", ErrorCode.NOT_INT),
    ("期数", "601", ErrorCode.INT_OUT_OF_RANGE),
    ("期数", "0", ErrorCode.INT_OUT_OF_RANGE),
    ("币种", "XYZ", ErrorCode.ENUM_VALUE),
    ("电子邮箱", "not-an-email", ErrorCode.EMAIL_FORMAT),
    ("手机号来源", "小道消息", ErrorCode.ENUM_VALUE),
    ("地址", "北京\x00", ErrorCode.CONTROL_CHAR),
]


@pytest.mark.parametrize(("header", "value", "code"), CELL_ERRORS)
def test_each_bad_cell_is_one_error_with_row_column_value_and_reason(
    tmp_path: Path, header: str, value: str, code: ErrorCode
) -> None:
    if "\x00" in value:
        raw = _table_of([_row(1, **{header: value})])  # a file with NUL is refused earlier
        result = validate(raw, ImportKind.PLACEMENTS, MAPPING)
    else:
        result = _validate(tmp_path, [_row(1), _row(2, **{header: value})])
    assert not result.ok
    assert result.errors_total == 1
    (error,) = result.errors
    assert (error.row, error.column, error.code) == (3 if "\x00" not in value else 2, header, code)
    assert error.reason_zh
    assert error.reason_en
    assert error.reason_zh != error.reason_en
    assert any("\u4e00" <= char <= "\u9fff" for char in error.reason_zh)
    assert len(error.value) <= 50
    assert error.value.isprintable()


def test_values_in_errors_are_masked_for_personal_identifiers(tmp_path: Path) -> None:
    result = _validate(
        tmp_path,
        [_row(1, 身份证号="110105194912310021", 手机号="12812345678", 电子邮箱="zhangsan@")],
    )
    values = {error.field: error.value for error in result.errors}
    assert values["id_number"] == "110105********0021"
    assert values["mobile"] == "128****5678"
    assert values["email"] == "z***@"
    assert all(
        "12812345678" not in e.value and "194912310021" not in e.value for e in result.errors
    )


def test_long_values_are_cut_and_invisible_characters_escaped(tmp_path: Path) -> None:
    result = _validate(tmp_path, [_row(1, 姓名="李" * 300), _row(2, 姓名="李\u202e四")])
    cut, escaped = result.errors
    assert cut.value == "李" * 49 + "…"
    assert cut.reason_en == "longer than 200 characters"
    assert escaped.value == "李\\u202e四"


def test_injection_text_in_free_text_is_kept_verbatim(tmp_path: Path) -> None:
    hostile = "'; DROP TABLE accounts;-- <script>alert(1)</script>"
    result = _validate(tmp_path, [_row(1, 地址=hostile)])
    assert result.ok
    assert result.records.get_column("address").to_list() == [hostile]


def test_a_file_with_nul_bytes_is_refused_whole(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "in.csv", [_row(1, 地址="北京\x00朝阳")])
    with pytest.raises(FileRefused) as refused:
        read_table(path)
    assert refused.value.code is Refusal.BINARY


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1,234.56", 123_456),
        ("¥100", 10_000),
        ("￥1,000.5", 100_050),
        ("¥ 2", 200),
        ("0.1", 10),
        ("1.50", 150),
        ("1.500", 150),  # trailing zeros are not precision
        ("+5", 500),
        ("100元", 10_000),
        ("0", 0),
        ("007", 700),
        ("1,234,567.00", 123_456_700),
        ("100000000000", 10**13),  # the limit itself is allowed
    ],
)
def test_amounts_are_parsed_exactly(tmp_path: Path, text: str, minor: int) -> None:
    result = _validate(tmp_path, [_row(1, 利息=text)])
    assert result.ok, result.errors
    assert result.records.get_column("interest").to_list() == [minor]


def test_amount_precision_follows_the_currency(tmp_path: Path) -> None:
    result = _validate(
        tmp_path, [_row(1, 币种="JPY", 本金="1500"), _row(2, 币种="日元", 本金="1.5")]
    )
    assert result.records.get_column("principal").to_list()[0] == 1500
    (error,) = result.errors
    assert (error.row, error.code, error.reason_en) == (
        3,
        ErrorCode.AMOUNT_PRECISION,
        "more than 0 decimal places",
    )
    usd = _validate(tmp_path, [_row(1, 币种="usd", 本金="1.005")])
    assert usd.errors[0].reason_zh == "小数位数超过 2 位"


@pytest.mark.parametrize(
    "text",
    ["2026-01-05", "2026/1/5", "20260105", "2026年1月5日", "2026-01-05 00:00:00", "2026.1.5"],
)
def test_date_formats(tmp_path: Path, text: str) -> None:
    result = _validate(tmp_path, [_row(1, 首期还款日=text)])
    assert result.ok, result.errors
    assert result.records.get_column("first_due").to_list() == [date(2026, 1, 5)]


def test_mobile_numbers_are_normalised(tmp_path: Path) -> None:
    result = _validate(
        tmp_path, [_row(1, 手机号="+86 138-1234-5678"), _row(2, 手机号="0086 13912345678")]
    )
    assert result.ok, result.errors
    assert result.records.get_column("mobile").to_list() == ["13812345678", "13912345678"]


def test_names_allow_cjk_letters_middle_dot_and_spaces(tmp_path: Path) -> None:
    names = ["买买提·艾力", "阿依古丽・买买提", "John  Smith", "José Ñúñez"]
    result = _validate(tmp_path, [_row(i, 姓名=name) for i, name in enumerate(names)])
    assert result.ok, result.errors
    assert result.records.get_column("name").to_list() == [
        "买买提·艾力",
        "阿依古丽·买买提",
        "John Smith",
        "José Ñúñez",
    ]


def test_enumerations_accept_chinese_and_english(tmp_path: Path) -> None:
    rows = [
        _row(1, 紧急联系人="李四", 紧急联系人手机号="13900000000", 紧急联系人关系="配偶"),
        _row(2, 紧急联系人="王五", 紧急联系人手机号="13900000001", 紧急联系人关系="Friend"),
        _row(3, 手机号来源="债务人预留", 语言="English"),
    ]
    result = _validate(tmp_path, rows)
    assert result.ok, result.errors
    records = result.records
    assert records.get_column("emergency_relationship").to_list() == ["spouse", "friend", None]
    assert records.get_column("emergency_source").to_list() == [
        "debtor_named_contact",
        "debtor_named_contact",
        None,
    ]
    assert records.get_column("contact_source").to_list() == [
        "contract",
        "contract",
        "debtor_provided",
    ]
    assert records.get_column("language").to_list() == ["zh", "zh", "en"]


def test_an_emergency_contact_needs_name_and_mobile(tmp_path: Path) -> None:
    rows = [
        _row(1, 紧急联系人="李四", 紧急联系人关系="配偶"),
        _row(2, 紧急联系人手机号="13900000000"),
        _row(3, 紧急联系人="王五", 紧急联系人手机号="13900000001", 紧急联系人关系="邻居"),
    ]
    result = _validate(tmp_path, rows)
    assert _codes(result) == [
        (2, "紧急联系人手机号", ErrorCode.EMERGENCY_INCOMPLETE),
        (3, "紧急联系人", ErrorCode.EMERGENCY_INCOMPLETE),
        (4, "紧急联系人关系", ErrorCode.ENUM_VALUE),
    ]
    assert "配偶" in result.errors[2].reason_zh  # the allowed values are listed


def test_missing_required_columns_are_errors_on_the_header_row(tmp_path: Path) -> None:
    row = {k: v for k, v in _row(1).items() if k not in {"姓名", "每期应还"}}
    result = _validate(tmp_path, [row, {**row, "账号": "A002", "本金": "x"}])
    assert _codes(result) == [
        (1, "姓名", ErrorCode.MISSING_COLUMN),
        (1, "每期应还", ErrorCode.MISSING_COLUMN),
        (3, "本金", ErrorCode.NOT_AMOUNT),  # the rest of the file is still checked
    ]
    assert "客户姓名" in result.errors[0].reason_zh  # the accepted headers are named
    assert "Name" in result.errors[0].reason_en


def test_two_headers_for_one_field_are_ambiguous(tmp_path: Path) -> None:
    result = _validate(tmp_path, [{**_row(1), "客户姓名": "张三"}])
    (error,) = result.errors
    assert (error.row, error.column, error.code) == (1, "客户姓名", ErrorCode.AMBIGUOUS_COLUMN)
    assert "姓名" in error.reason_zh


def test_duplicate_account_numbers_name_the_first_row(tmp_path: Path) -> None:
    rows = [_row(1), _row(2), _row(1), _row(3), _row(1)]
    result = _validate(tmp_path, rows)
    assert _codes(result) == [(4, "账号", ErrorCode.DUPLICATE), (6, "账号", ErrorCode.DUPLICATE)]
    assert result.errors[0].value == "A001"
    assert result.errors[0].reason_zh == "与第 2 行重复"
    assert result.errors[1].reason_en == "duplicates row 2"


def test_one_debtor_number_carries_one_id_number(tmp_path: Path) -> None:
    result = _validate(tmp_path, [_row(1), _row(2, 身份证号=OTHER_ID), _row(3, 客户号="D002")])
    (error,) = result.errors
    assert (error.row, error.column, error.code) == (3, "身份证号", ErrorCode.DEBTOR_MISMATCH)
    assert error.value == "110105********" + OTHER_ID[-4:]
    assert "2" in error.reason_en


def test_errors_are_sorted_by_row_then_column(tmp_path: Path) -> None:
    rows = [_row(1, 每期应还="x", 姓名="1"), _row(2), _row(3, 本金="y", 账号="A 3")]
    result = _validate(tmp_path, rows)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "姓名"),
        (2, "每期应还"),
        (4, "账号"),
        (4, "本金"),
    ]


def test_error_count_is_complete_when_the_list_is_capped(tmp_path: Path) -> None:
    rows = [_row(i, 本金="bad") for i in range(30)]
    result = _validate(tmp_path, rows, max_errors=10)
    assert len(result.errors) == 10
    assert result.errors_total == 30
    assert result.errors[-1].row == 11


def test_english_headers_and_a_creditors_own_mapping(tmp_path: Path) -> None:
    english = {
        "Account No": "A1",
        "Customer No": "D1",
        "Name": "Zhang San",
        "ID Number": VALID_ID,
        "Mobile": "13812345678",
        "product_code": "cl",
        "Principal (CNY)": "5,000",
        "First Due Date": "2026/03/01",
        "Installment": "500",
    }
    result = _validate(tmp_path, [english])
    assert result.ok, result.errors
    assert result.records.get_column("product_code").to_list() == ["CL"]
    own = {**{k: v for k, v in _row(1).items() if k != "账号"}, "客户账号": "Z9", "备注": "x"}
    mapping = ColumnMapping("BANK2", {"客户账号": "account_no", "姓名": "name", "备注": ""})
    custom = _validate(tmp_path, [own], mapping=mapping)
    assert custom.ok, custom.errors
    assert custom.records.get_column("account_no").to_list() == ["Z9"]
    assert custom.resolved.unmapped == ("备注",)
    with pytest.raises(ValueError, match="unknown fields"):
        ColumnMapping("BANK3", {"客户账号": "acount_no"})


def test_no_alias_serves_two_fields_and_labels_resolve() -> None:
    for kind, fields in FIELDS.items():
        owners: dict[str, set[str]] = {}
        for f in fields:
            for alias in (f.name, *f.aliases):
                owners.setdefault(header_key(alias), set()).add(f.name)
        assert all(len(names) == 1 for names in owners.values()), kind
        labels = [f.label_zh for f in fields]
        resolved = resolve(labels, kind, MAPPING)
        assert resolved.errors == ()
        assert dict(resolved.columns) == {f.name: f.label_zh for f in fields}


def test_payments(tmp_path: Path) -> None:
    base = {"账号": "A001", "还款金额": "100", "还款日期": "2026-11-19", "交易流水号": "T1"}
    rows = [
        {**base, "还款渠道": "支付宝"},
        {**base, "交易流水号": "T2"},
        {**base, "交易流水号": "T1", "还款渠道": "微信"},
        {**base, "交易流水号": "T3", "还款金额": "0"},
        {**base, "交易流水号": "T4", "还款日期": "2026-11-21"},
    ]
    result = _validate(tmp_path, rows, ImportKind.PAYMENTS, as_of=date(2026, 11, 20))
    assert _codes(result) == [
        (4, "交易流水号", ErrorCode.DUPLICATE),
        (5, "还款金额", ErrorCode.AMOUNT_TOO_SMALL),
        (6, "还款日期", ErrorCode.DATE_AFTER_AS_OF),
    ]
    assert result.errors[2].reason_zh == "日期晚于业务日期 2026-11-20"
    assert result.records.get_column("channel").to_list()[:3] == ["alipay", "other", "wechat_pay"]
    assert result.records.get_column("amount").to_list()[0] == 10_000


def test_updates_and_recalls(tmp_path: Path) -> None:
    updates = [{"账号": "A1", "本金": "10", "利息": "", "数据日期": "2026-11-20"}]
    result = _validate(tmp_path, updates, ImportKind.UPDATES)
    assert result.ok
    assert result.records.select("principal", "interest", "penalty", "fee").row(0) == (
        1000,
        0,
        0,
        0,
    )
    recall = [{"账号": "A1", "撤案日期": "2026-11-20", "撤案原因": "委托方撤案"}] * 2
    recalled = _validate(tmp_path, recall, ImportKind.RECALL)
    assert _codes(recalled) == [(3, "账号", ErrorCode.DUPLICATE)]


def test_formula_cells_in_a_workbook_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    for col, (header, value) in enumerate(_row(1).items()):
        sheet.write_string(0, col, header)
        sheet.write_string(1, col, value)
        sheet.write_string(2, col, _row(2)[header])
    name_col = list(BASE).index("姓名")
    sheet.write_formula(2, name_col, '=HYPERLINK("http://evil.example","李四")', None, "李四")
    sheet.write_string(0, len(BASE), "备注")
    sheet.write_formula(1, len(BASE), "=1+1", None, 2)  # an ignored column: not an error
    workbook.close()
    result = validate(read_table(path), ImportKind.PLACEMENTS, MAPPING)
    assert _codes(result) == [(3, "姓名", ErrorCode.FORMULA_CELL)]
    assert "公式" in result.errors[0].reason_zh


def test_keys_and_database_errors_for_the_persistence_layer(tmp_path: Path) -> None:
    result = _validate(tmp_path, [_row(2), _row(1), _row(3, 产品代码="OL")])
    assert result.keys("account_no").to_list() == ["A001", "A002", "A003"]
    assert result.keys("product_code").to_list() == ["CC", "OL"]
    assert [check.field for check in DB_CHECKS[ImportKind.PLACEMENTS]] == [
        "account_no",
        "product_code",
    ]
    (error,) = result.errors_for("account_no", ["A001"], ErrorCode.ACCOUNT_EXISTS)
    assert (error.row, error.column, error.value) == (3, "账号", "A001")
    assert error.reason_zh == "该账号已委案"
    masked = result.errors_for("mobile", ["13812345678"], ErrorCode.ACCOUNT_EXISTS)
    assert {e.value for e in masked} == {"138****5678"}


def test_error_report_is_excel_friendly_and_neutralises_formulas(tmp_path: Path) -> None:
    result = _validate(tmp_path, [_row(1, 姓名='=HYPERLINK("http://x","y")', 本金="abc")])
    path = write_error_report(result.errors, tmp_path / "errors.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert tuple(lines[0]) == REPORT_HEADER
    assert lines[0] == [
        "行号 Row",
        "列 Column",
        "字段 Field",
        "值 Value",
        "原因 Reason",
        "Reason (English)",
    ]
    assert lines[1][:4] == ["2", "姓名", "name", '\'=HYPERLINK("http://x","y")']
    assert lines[2][:4] == ["2", "本金", "principal", "abc"]
    text = summarise(result.errors)
    assert "2 处错误" in text
    assert "第 2 行「姓名」" in text
    assert "row 2 [本金]" in text
    assert "通过" in summarise(())


def test_summary_mentions_the_errors_left_out() -> None:
    errors = [
        RowError(row, "本金", "principal", "x", "not_amount", "不是有效金额", "not an amount")
        for row in range(2, 12)
    ]
    text = summarise(errors, limit=3, total=500)
    assert "500" in text
    assert "497" in text
    assert text.count("不是有效金额") == 3


# --- One rule, two forms --------------------------------------------------------------------


def _table_of(rows: list[dict[str, str]]) -> RawTable:
    headers = tuple(dict.fromkeys(key for row in rows for key in row))
    frame = pl.DataFrame(
        {
            ROW: pl.Series(range(2, len(rows) + 2), dtype=pl.Int64),
            **{
                h: pl.Series([row.get(h) or None for row in rows], dtype=pl.String) for h in headers
            },
        }
    )
    return RawTable(headers, frame, "utf-8")


_first17 = st.text(alphabet=string.digits, min_size=17, max_size=17)
_valid_ids = st.builds(
    lambda digits, lower: (
        digits + gb11643_check_char(digits).lower()
        if lower
        else digits + gb11643_check_char(digits)
    ),
    _first17,
    st.booleans(),
)
_mutated_ids = st.builds(
    lambda id_, pos, char: id_[:pos] + char + id_[pos + 1 :],
    _valid_ids,
    st.integers(0, 17),
    st.sampled_from(string.digits + "Xx "),
)
_id_like = st.one_of(
    _valid_ids,
    _mutated_ids,
    st.text(alphabet=string.digits + "Xx", max_size=20),
    st.text(alphabet=string.printable, max_size=20),
    st.builds(lambda v, pad: pad + v + pad, _valid_ids, st.sampled_from(["", " ", "\t", "\n"])),
)


@given(st.lists(_id_like, min_size=1, max_size=50))
@settings(max_examples=150, deadline=None)
def test_vectorised_gb11643_agrees_with_the_scalar_rule(values: list[str]) -> None:
    frame = pl.DataFrame({"id": values}, schema={"id": pl.String})
    vectorised = frame.select(gb11643_valid(pl.col("id")).fill_null(False)).to_series().to_list()
    assert vectorised == [is_valid_cn_id(value) for value in values]


_amount_text = st.builds(
    lambda whole, fraction, grouped, yen: (
        ("¥" if yen else "")
        + (f"{whole:,}" if grouped else str(whole))
        + (f".{fraction}" if fraction else "")
    ),
    st.integers(0, 10**11 - 1),
    st.text(alphabet=string.digits, max_size=4),
    st.booleans(),
    st.booleans(),
)


@given(st.lists(_amount_text, min_size=1, max_size=40))
@settings(max_examples=150, deadline=None)
def test_vectorised_amounts_agree_with_parse_minor(texts: list[str]) -> None:
    rows = [
        {"账号": f"A{i}", "本金": text, "数据日期": "2026-11-20"} for i, text in enumerate(texts)
    ]
    result = validate(_table_of(rows), ImportKind.UPDATES, MAPPING)
    refused = {error.row for error in result.errors}
    for row, text, minor in zip(
        result.records.get_column("row"), texts, result.records.get_column("principal"), strict=True
    ):
        try:
            expected: int | None = parse_minor(text.removeprefix("¥"))
        except ValueError:
            expected = None
        if expected is None:
            assert row in refused, text
        else:
            assert row not in refused, text
            assert minor == expected, text
            assert Decimal(minor) / 100 == Decimal(text.removeprefix("¥").replace(",", ""))
