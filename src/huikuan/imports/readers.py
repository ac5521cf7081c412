"""Read a creditor's CSV or workbook into a table of stripped strings, or refuse it clearly.

Data flow: the first bytes decide the format (a ZIP or OLE signature is a workbook whatever the
file is called). CSV: a BOM picks UTF-8 or UTF-16; otherwise strict UTF-8, then GB18030 (a
superset of GBK and GB2312); NUL bytes or bytes neither can decode refuse the file. The text,
as UTF-8 bytes, goes to Polars' CSV reader with every column a string (the delimiter, comma, tab,
semicolon or bar, is sniffed from the header line). Workbooks: the first sheet through
python-calamine, every value turned into the text Excel shows (whole numbers without ``.0``,
dates as ``YYYY-MM-DD``); in XLSX the sheet XML is scanned for formula cells, which calamine
would silently replace by their cached values.

Both paths end in :func:`_table`: the first non-blank row is the header; cells are stripped and
blank cells become null; ``_row`` is the row number a person sees in Excel (header = row 1, so
the first data row is row 2, blank lines counted); blank rows are dropped. Problems with the
file as a whole raise :class:`FileRefused` (a ``ValueError`` with Chinese and English messages);
problems in cells are left to validation.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import IO
from xml.etree import ElementTree

import polars as pl
from python_calamine import CalamineWorkbook

ROW = "_row"
"""The column holding each data row's number as a person sees it (header = 1)."""

DEFAULT_MAX_ROWS = 2_000_000
DEFAULT_MAX_BYTES = 2 * 1024**3
HEADER_LIMIT = 200

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})
_DELIMITERS = (",", "\t", ";", "|")
_CHUNK = 16 * 1024 * 1024
_HEADER_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_LEADING_BLANK_LINES = re.compile(rb"(?:[ \t\r]*\n)+")


class Refusal(StrEnum):
    """Why a whole file was refused."""

    NOT_FOUND = "not_found"
    TOO_BIG = "too_big"
    EMPTY = "empty"
    BINARY = "binary"
    ENCODING = "encoding"
    MALFORMED = "malformed"
    NOT_WORKBOOK = "not_workbook"
    NO_DATA = "no_data"
    BAD_HEADER = "bad_header"
    DUPLICATE_HEADER = "duplicate_header"
    TOO_MANY_ROWS = "too_many_rows"


class FileRefused(ValueError):  # noqa: N818 - the name the CLI and callers use
    """The file cannot be read as a table; nothing in it was imported."""

    def __init__(self, code: Refusal, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True, slots=True)
class RawTable:
    """A file as strings: one String column per header plus :data:`ROW` (Int64).

    ``encoding`` is the text encoding detected for CSV (``utf-8``, ``utf-8-sig``, ``gb18030``,
    ``utf-16``) or the workbook format (``xlsx``, ``xls``). ``formula_cells`` lists the
    (row, header) of XLSX cells that hold a formula.
    """

    headers: tuple[str, ...]
    frame: pl.DataFrame
    encoding: str
    formula_cells: tuple[tuple[int, str], ...] = ()

    @property
    def rows(self) -> int:
        return self.frame.height


def read_table(
    path: Path, *, max_rows: int = DEFAULT_MAX_ROWS, max_bytes: int = DEFAULT_MAX_BYTES
) -> RawTable:
    """Read ``path`` (CSV or XLSX/XLS) as strings, or raise :class:`FileRefused`."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileRefused(
            Refusal.NOT_FOUND, f"无法打开文件：{path.name}", f"cannot open the file {path.name}"
        ) from exc
    if size > max_bytes:
        raise FileRefused(
            Refusal.TOO_BIG,
            f"文件过大（{size} 字节，上限 {max_bytes}）",
            f"file too large ({size} bytes, limit {max_bytes})",
        )
    data = path.read_bytes()
    if not data.strip():
        raise FileRefused(Refusal.EMPTY, "文件是空的", "the file is empty")
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return _read_workbook(path, data, max_rows)
    if path.suffix.lower() in _EXCEL_SUFFIXES:
        raise FileRefused(
            Refusal.NOT_WORKBOOK,
            "文件扩展名是 Excel，但内容不是有效的 Excel 工作簿",
            "the file is named as an Excel workbook but is not one",
        )
    return _read_csv(data, max_rows)


# --- CSV -----------------------------------------------------------------------------------


def _read_csv(data: bytes, max_rows: int) -> RawTable:
    utf8, encoding = _to_utf8(data)
    # Polars takes the width from the first line, so leading blank lines go (but are counted).
    leading = _LEADING_BLANK_LINES.match(utf8)
    skipped = leading.group(0).count(b"\n") if leading else 0
    utf8 = utf8[leading.end() :] if leading else utf8
    separator = _sniff_delimiter(utf8)
    try:
        frame = pl.read_csv(
            utf8,
            has_header=False,
            infer_schema=False,
            separator=separator,
            n_rows=max_rows + 2,  # the header, max_rows data rows, and one to notice excess
            quote_char='"',
        )
    except pl.exceptions.PolarsError as exc:
        raise _malformed(utf8, separator, skipped) from exc
    return _table(frame, encoding, max_rows, first_row=1 + skipped)[0]


def _to_utf8(data: bytes) -> tuple[bytes, str]:
    """The file's text as UTF-8 bytes (BOM removed) and the encoding it was read in."""
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        _refuse_nul(body)
        _decode(body, "utf-8")
        return body, "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(data, "utf-16")
        if "\x00" in text:
            raise _binary()
        return text.encode("utf-8"), "utf-16"
    _refuse_nul(data)
    try:
        _decode(data, "utf-8")
        return data, "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = _decode(data, "gb18030")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            Refusal.ENCODING,
            f"无法识别文件编码（第 {exc.start} 字节附近）：请另存为 UTF-8 或 GBK 编码的 CSV",
            f"cannot decode the file (near byte {exc.start}): save it as CSV in UTF-8 or GBK",
        ) from exc
    return text.encode("utf-8"), "gb18030"


def _decode(data: bytes, encoding: str) -> str:
    """Strict decoding in chunks (a bad byte's offset is reported relative to the file)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    parts: list[str] = []
    for start in range(0, len(data), _CHUNK):
        try:
            parts.append(decoder.decode(data[start : start + _CHUNK], final=False))
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError(
                exc.encoding, exc.object, exc.start + start, exc.end + start, exc.reason
            ) from exc
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def _refuse_nul(data: bytes) -> None:
    if b"\x00" in data:
        raise _binary()


def _binary() -> FileRefused:
    return FileRefused(
        Refusal.BINARY,
        "文件含有 NUL 字节，不是文本 CSV（可能是二进制文件或损坏的文件）",
        "the file contains NUL bytes: it is not a text CSV (binary or corrupt)",
    )


def _sniff_delimiter(utf8: bytes) -> str:
    first_line = utf8.split(b"\n", 1)[0].decode("utf-8")
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _malformed(utf8: bytes, separator: str, skipped: int) -> FileRefused:
    """Find the first record the CSV module also rejects, to name its row."""
    reader = csv.reader(
        io.StringIO(utf8.decode("utf-8"), newline=""), delimiter=separator, strict=True
    )
    width: int | None = None
    row = skipped
    try:
        for row, record in enumerate(reader, start=1 + skipped):
            if not record:
                continue
            if width is None:
                width = len(record)
            elif len(record) > width:
                return FileRefused(
                    Refusal.MALFORMED,
                    f"第 {row} 行有 {len(record)} 列，多于表头的 {width} 列",
                    f"row {row} has {len(record)} fields, more than the header's {width}",
                )
    except csv.Error as exc:
        return FileRefused(
            Refusal.MALFORMED,
            f"第 {row + 1} 行 CSV 格式错误（引号不匹配？）",
            f"row {row + 1} is not valid CSV (unbalanced quotes?): {exc}",
        )
    return FileRefused(Refusal.MALFORMED, "CSV 格式错误", "the file is not valid CSV")


# --- Workbooks -----------------------------------------------------------------------------


def _read_workbook(path: Path, data: bytes, max_rows: int) -> RawTable:
    is_xlsx = data.startswith(_ZIP_MAGIC)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        values = sheet.to_python(skip_empty_area=True, nrows=max_rows + 2)
        start_row, start_col = sheet.start or (0, 0)
    except Exception as exc:  # calamine raises several unrelated types for a broken workbook
        raise FileRefused(
            Refusal.NOT_WORKBOOK,
            "无法读取 Excel 工作簿（文件损坏、加密或不是 Excel）",
            f"cannot read the Excel workbook (corrupt, encrypted or not Excel): {exc}",
        ) from exc
    width = max((len(row) for row in values), default=0)
    if width == 0:
        raise FileRefused(Refusal.EMPTY, "第一个工作表是空的", "the first worksheet is empty")
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for row in values:
        for index in range(width):
            columns[index].append(_cell_text(row[index]) if index < len(row) else None)
    names = [f"column_{i + 1}" for i in range(width)]
    frame = pl.DataFrame(
        dict(zip(names, columns, strict=True)), schema=dict.fromkeys(names, pl.String)
    )
    table, header_of, header_row = _table(
        frame, "xlsx" if is_xlsx else "xls", max_rows, first_row=start_row + 1
    )
    if not is_xlsx:
        return table  # legacy .xls: no formula scan; the text checks still apply
    found = tuple(
        (row, header_of[names[col - start_col]])
        for row, col in _xlsx_formula_cells(data)
        if row >= header_row
        and 0 <= col - start_col < width
        and names[col - start_col] in header_of
    )
    return RawTable(table.headers, table.frame, table.encoding, found) if found else table


def _cell_text(value: object) -> str | None:
    """The text Excel shows for a cell value, exactly (15 significant digits for numbers)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta | time):
        return str(value)
    return str(value)


def _xlsx_formula_cells(data: bytes) -> list[tuple[int, int]]:
    """(1-based row, 0-based column) of every formula cell in the first sheet of an XLSX."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = _first_sheet_member(archive)
            if member is None:
                return []
            with archive.open(member) as stream:
                if not _has_formula_tag(stream):
                    return []
            with archive.open(member) as stream:
                return list(_formula_refs(stream))
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError):
        return []  # calamine read the values; an unreadable XML part has no formulas we can see


def _first_sheet_member(archive: zipfile.ZipFile) -> str | None:
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheet = workbook.find(f"{ns_main}sheets/{ns_main}sheet")
    if sheet is None:
        return None
    rel_id = sheet.get(f"{ns_rel}id")
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None


def _has_formula_tag(stream: IO[bytes]) -> bool:
    tail = b""
    while chunk := stream.read(_CHUNK):
        if _FORMULA_TAG.search(tail + chunk):
            return True
        tail = chunk[-64:]
    return False


def _formula_refs(stream: IO[bytes]) -> Iterator[tuple[int, int]]:
    row_number = 0
    column = -1
    cell_ref: tuple[int, int] | None = None
    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
        tag = element.tag.rsplit("}", 1)[-1]
        if event == "start":
            if tag == "row":
                row_number = int(element.get("r", row_number + 1))
                column = -1
            elif tag == "c":
                column += 1
                match = _CELL_REF.match(element.get("r", ""))
                if match:
                    column = _column_index(match.group(1))
                    row_number = int(match.group(2))
                cell_ref = (row_number, column)
        elif tag == "f" and cell_ref is not None:
            yield cell_ref
            cell_ref = None
        elif tag == "row":
            element.clear()


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - ord("A") + 1)
    return index - 1


# --- Both ----------------------------------------------------------------------------------


def _table(
    frame: pl.DataFrame, encoding: str, max_rows: int, *, first_row: int
) -> tuple[RawTable, dict[str, str], int]:
    """The table, each kept source column's header, and the header's row number.

    The header is the first non-blank row; cells are stripped, blanks null, blank rows dropped.
    ``frame`` holds at most ``max_rows + 2`` records: reaching that many means too many rows.
    """
    if frame.height > max_rows + 1:
        raise FileRefused(
            Refusal.TOO_MANY_ROWS,
            f"数据行超过上限 {max_rows} 行，请拆分文件",
            f"more than {max_rows} data rows; split the file",
        )
    names = frame.columns
    cleaned = frame.select(
        pl.int_range(first_row, first_row + pl.len(), dtype=pl.Int64).alias(ROW),
        *(_clean(pl.col(name)).alias(name) for name in names),
    ).filter(~pl.all_horizontal(pl.col(name).is_null() for name in names))
    if cleaned.height == 0:
        raise FileRefused(Refusal.EMPTY, "文件没有内容", "the file has no content")
    header_values = cleaned.row(0)
    data = cleaned.slice(1)
    if data.height == 0:
        raise FileRefused(
            Refusal.NO_DATA, "文件只有表头，没有数据行", "the file has a header but no data rows"
        )
    header_of: dict[str, str] = {}
    for position, (name, value) in enumerate(zip(names, header_values[1:], strict=True), 1):
        if value is None:
            if data.get_column(name).null_count() < data.height:
                raise FileRefused(
                    Refusal.BAD_HEADER,
                    f"第 {position} 列有数据但没有列名",
                    f"column {position} has data but no header",
                )
            continue
        header = str(value)
        _check_header(header, position)
        if header in header_of.values():
            raise FileRefused(
                Refusal.DUPLICATE_HEADER,
                f"列名「{header}」出现了不止一次",
                f"the header '{header}' appears more than once",
            )
        header_of[name] = header
    table = data.select(pl.col(ROW), *(pl.col(n).alias(h) for n, h in header_of.items()))
    return RawTable(tuple(header_of.values()), table, encoding), header_of, int(header_values[0])


def _clean(cell: pl.Expr) -> pl.Expr:
    stripped = cell.str.strip_chars()
    return pl.when(stripped.str.len_bytes() > 0).then(stripped).otherwise(None)


def _check_header(header: str, position: int) -> None:
    if header == ROW or len(header) > HEADER_LIMIT or _HEADER_BAD.search(header):
        shown = header[:40].encode("unicode_escape").decode("ascii")
        raise FileRefused(
            Refusal.BAD_HEADER,
            f"第 {position} 列的列名无效：{shown}",
            f"column {position} has an invalid header: {shown}",
        )
