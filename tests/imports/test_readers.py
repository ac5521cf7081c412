"""Reading creditor files: encodings, workbooks, row numbers, and files refused whole."""

from __future__ import annotations

import codecs
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter  # type: ignore[import-untyped]

from huikuan.imports.readers import ROW, FileRefused, Refusal, read_table

HEADER = "账号,姓名,本金\n"
BODY = "A001,张三,1234.56\nA002,李四,99\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _rows(frame: pl.DataFrame) -> list[tuple[object, ...]]:
    return frame.rows()


def test_utf8_csv_has_headers_row_numbers_and_string_cells(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, "p.csv", (HEADER + BODY).encode()))
    assert table.encoding == "utf-8"
    assert table.headers == ("账号", "姓名", "本金")
    assert table.frame.columns == [ROW, "账号", "姓名", "本金"]
    assert all(dtype == pl.String for dtype in table.frame.drop(ROW).dtypes)
    # The header is row 1, so the first data row is row 2, as Excel shows it.
    assert _rows(table.frame) == [(2, "A001", "张三", "1234.56"), (3, "A002", "李四", "99")]


def test_utf8_with_bom(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, "p.csv", codecs.BOM_UTF8 + (HEADER + BODY).encode()))
    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == "账号"  # the BOM is not part of the first header


def test_gbk_encoded_chinese_headers(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, "p.csv", (HEADER + BODY).encode("gbk")))
    assert table.encoding == "gb18030"
    assert table.headers == ("账号", "姓名", "本金")
    assert table.frame.get_column("姓名").to_list() == ["张三", "李四"]


def test_utf16_with_bom_and_tab_delimiter(tmp_path: Path) -> None:
    # What Excel's "Unicode text" export writes.
    text = (HEADER + BODY).replace(",", "\t")
    table = read_table(_write(tmp_path, "p.txt", text.encode("utf-16")))
    assert table.encoding == "utf-16"
    assert table.headers == ("账号", "姓名", "本金")
    assert table.frame.height == 2


def test_cells_are_stripped_blank_cells_null_and_blank_lines_counted(tmp_path: Path) -> None:
    data = "\n账号 , 姓名,本金\n  A001 ,\u3000张三\u3000, \n\n,,\nA002,李四,5\n"
    table = read_table(_write(tmp_path, "p.csv", data.encode()))
    assert table.headers == ("账号", "姓名", "本金")
    # Header on row 2 (a blank line above it); blank rows 4 and 5 are dropped but still counted.
    assert _rows(table.frame) == [(3, "A001", "张三", None), (6, "A002", "李四", "5")]


def test_quoted_cells_keep_commas_and_newlines(tmp_path: Path) -> None:
    data = '账号,地址\nA001,"北京市, 朝阳区\n建国路1号"\nA002,"说 ""你好"""\n'
    table = read_table(_write(tmp_path, "p.csv", data.encode()))
    assert table.frame.get_column("地址").to_list() == ["北京市, 朝阳区\n建国路1号", '说 "你好"']
    assert table.frame.get_column(ROW).to_list() == [2, 3]  # one record, one row


def test_xlsx_numbers_dates_text_and_formulas(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for col, header in enumerate(("账号", "本金", "期数", "首期还款日", "身份证号", "姓名")):
        sheet.write_string(0, col, header)
    sheet.write_string(1, 0, "A001")
    sheet.write_number(1, 1, 1234.56)
    sheet.write_number(1, 2, 12)
    sheet.write_datetime(1, 3, datetime(2026, 1, 5), date_format)
    sheet.write_string(1, 4, "11010519491231002X")
    sheet.write_string(1, 5, "张三")
    sheet.write_string(2, 0, "A002")
    sheet.write_number(2, 1, 0.1 + 0.2)  # shown by Excel as 0.3
    sheet.write_number(2, 2, 3.0)
    sheet.write_datetime(2, 3, date(2026, 2, 1), date_format)
    sheet.write_string(2, 4, "110105194912310021")
    sheet.write_formula(2, 5, '=HYPERLINK("http://evil.example","点我")', None, "点我")
    workbook.close()

    table = read_table(path)
    assert table.encoding == "xlsx"
    assert table.headers == ("账号", "本金", "期数", "首期还款日", "身份证号", "姓名")
    assert _rows(table.frame) == [
        (2, "A001", "1234.56", "12", "2026-01-05", "11010519491231002X", "张三"),
        (3, "A002", "0.3", "3", "2026-02-01", "110105194912310021", "点我"),
    ]
    # calamine gives the cached value; the sheet XML says it was a formula.
    assert table.formula_cells == ((3, "姓名"),)


def test_xlsx_rows_are_numbered_as_in_the_sheet(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_string(2, 1, "账号")  # header in B3
    sheet.write_string(3, 1, "A001")
    sheet.write_string(5, 1, "A002")  # row 5 left blank
    workbook.close()
    table = read_table(path)
    assert _rows(table.frame) == [(4, "A001"), (6, "A002")]


def test_binary_junk_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "junk.csv", bytes(range(256)) * 4))
    assert refused.value.code is Refusal.BINARY
    assert "NUL" in refused.value.message_zh
    assert "NUL" in refused.value.message_en


def test_bytes_in_no_known_encoding_are_refused(tmp_path: Path) -> None:
    junk = bytes([0x80, 0xFF, 0xFE, 0x81, 0x20, 0xFF]) * 10
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "junk.csv", HEADER.encode() + junk))
    assert refused.value.code is Refusal.ENCODING
    assert "UTF-8" in refused.value.message_zh


def test_a_file_named_xlsx_that_is_not_a_workbook(tmp_path: Path) -> None:
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "p.xlsx", (HEADER + BODY).encode()))
    assert refused.value.code is Refusal.NOT_WORKBOOK


def test_a_broken_zip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "p.xlsx", b"PK\x03\x04" + b"\x01" * 200))
    assert refused.value.code is Refusal.NOT_WORKBOOK


@pytest.mark.parametrize("data", [b"", b"  \r\n\n", b"\n,,\n"])
def test_empty_files_are_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "p.csv", data))
    assert refused.value.code is Refusal.EMPTY


def test_header_only_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "p.csv", HEADER.encode()))
    assert refused.value.code is Refusal.NO_DATA


def test_duplicate_headers_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "p.csv", "账号,姓名, 账号 \nA1,张三,A2\n".encode()))
    assert refused.value.code is Refusal.DUPLICATE_HEADER
    assert "账号" in str(refused.value)


def test_data_under_a_blank_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "p.csv", "账号,,姓名\nA1,x,张三\n".encode()))
    assert refused.value.code is Refusal.BAD_HEADER
    # An unnamed column that is empty throughout is simply dropped.
    table = read_table(_write(tmp_path, "q.csv", "账号,,姓名\nA1,,张三\n".encode()))
    assert table.headers == ("账号", "姓名")


def test_control_characters_in_a_header_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "p.csv", "账号,姓\x01名\nA1,张三\n".encode()))
    assert refused.value.code is Refusal.BAD_HEADER


def test_a_row_with_too_many_fields_is_refused_with_its_row(tmp_path: Path) -> None:
    data = HEADER + BODY + "A003,王五,1,extra\n"
    with pytest.raises(FileRefused) as refused:
        read_table(_write(tmp_path, "p.csv", data.encode()))
    assert refused.value.code is Refusal.MALFORMED
    assert "第 4 行" in refused.value.message_zh
    assert "row 4" in refused.value.message_en


def test_row_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.csv", (HEADER + BODY).encode())
    assert read_table(path, max_rows=2).frame.height == 2
    with pytest.raises(FileRefused) as refused:
        read_table(path, max_rows=1)
    assert refused.value.code is Refusal.TOO_MANY_ROWS


def test_byte_limit_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.csv", (HEADER + BODY).encode())
    with pytest.raises(FileRefused) as refused:
        read_table(path, max_bytes=10)
    assert refused.value.code is Refusal.TOO_BIG
    with pytest.raises(FileRefused) as missing:
        read_table(tmp_path / "nope.csv")
    assert missing.value.code is Refusal.NOT_FOUND
    assert isinstance(missing.value, ValueError)
