"""Column-wise validation of a creditor file: typed records and row errors, never a partial file.

Data flow: :func:`validate` resolves the file's headers (:func:`~huikuan.imports.mapping.resolve`),
then builds one Polars plan over the raw strings in three stages: the minor-unit exponent of
each row's currency; helper columns per field (regex extractions, normalised forms); then per
field a typed column and an error-code column. The code column is a ``when/then`` chain in a
fixed order, so each cell reports its first problem only:

blank but required → control or invisible characters → longer than the field allows →
formula injection → the field kind's own checks (format, check digit, precision, range).

Cross-row checks run on the typed values of cells that passed: duplicates of the file's unique
key (naming the first row), one ID number per debtor number, complete emergency contacts. Error
rows are gathered only from code columns that have any, sorted by row then column position, and
at most ``max_errors`` become :class:`RowError` values (``errors_total`` counts them all).

Formula injection. Cells whose text is stored as text (names, codes, free text, enumerations,
emails) are refused when they start with ``=``, ``+``, ``-`` or ``@``. Cells that are parsed
and stored in canonical form (amounts, whole numbers, dates, mobiles, ID numbers) are refused
only for ``=`` and ``@``: there a leading ``+`` or ``-`` is a sign the parser judges, and no
import amount may be negative (``-5`` is "below the minimum", not a formula).

Amounts are parsed exactly from text, never through float: optional ``+``/``-`` sign, optional
``¥``/``￥``, digits with correct thousands grouping (``1,234.56``; ``12,34`` is refused as it
may be a European decimal comma), at most as many decimals as the currency has (trailing zeros
ignored), optional ``元`` suffix, at most :data:`~huikuan.imports.mapping.MAX_AMOUNT_MINOR`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from huikuan.core.identity import mask_id_number, mask_phone
from huikuan.core.money import CURRENCY_EXPONENT, format_minor
from huikuan.imports.mapping import (
    FIELDS,
    MAX_AMOUNT_MINOR,
    UNIQUE_KEY,
    ColumnMapping,
    Field,
    FieldKind,
    ImportKind,
    Resolved,
    resolve,
)
from huikuan.imports.readers import ROW, RawTable
from huikuan.imports.report import ErrorCode, RowError, row_error

__all__ = [
    "DB_CHECKS",
    "GB11643_CHECK_CHARS",
    "GB11643_WEIGHTS",
    "KeyCheck",
    "KeyRule",
    "RowError",
    "Validated",
    "gb11643_valid",
    "validate",
]

# GB 11643 / ISO 7064 MOD 11-2: weight of position i is 2^(17 - i) mod 11; the check character
# for a weighted sum s is (12 - s mod 11) mod 11, written X when it is 10.
GB11643_WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
GB11643_CHECK_CHARS = "".join("X" if (12 - r) % 11 == 10 else str((12 - r) % 11) for r in range(11))

_INVISIBLE = r"\x7F-\x9F\x{200B}-\x{200F}\x{202A}-\x{202E}\x{2060}-\x{2069}\x{FEFF}"
_CONTROL_TEXT = rf"[\x00-\x08\x0B\x0C\x0E-\x1F{_INVISIBLE}]"  # free text may hold tab and newline
_CONTROL_STRICT = rf"[\x00-\x1F{_INVISIBLE}]"
_FORMULA_TEXT = r"^[=+\-@]"
_FORMULA_PARSED = r"^[=@]"
_PARSED_KINDS = frozenset(
    {FieldKind.AMOUNT, FieldKind.INT, FieldKind.DATE, FieldKind.MOBILE, FieldKind.ID_NUMBER}
)
_AMOUNT = r"^[+-]?[¥￥]?\s*(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?元?$"
_DATE_SEPARATED = (
    r"^(?P<y>[0-9]{4})[-/.年](?P<m>[0-9]{1,2})[-/.月](?P<d>[0-9]{1,2})日?"
    r"(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
)
_DATE_COMPACT = r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$"
_INT = r"^\+?[0-9]{1,9}$"
_ID = r"^[0-9]{17}[0-9X]$"
_MOBILE = r"^1[3-9][0-9]{9}$"
_EMAIL = r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$"
_NAME = r"^\p{L}[\p{L}\p{M}]*(?:[· ]\p{L}[\p{L}\p{M}]*)*$"
_NAME_DOTS = r"[・•‧∙･]"
_CODE = r"^[A-Za-z0-9][A-Za-z0-9_\-./#:]*$"
_MIN_DATE, _MAX_DATE = date(1900, 1, 1), date(2100, 12, 31)
_DIGITS_LIMIT = 15  # integer digits parsed before the amount limit is applied (no Int64 overflow)

_EXPONENT = "\x01exponent"  # helper and output column names cannot clash with headers:
_HELPER = "\x01{field}:{part}"  # the reader refuses headers with control characters
_TYPED = "\x01{field}:typed"
_CODE_COL = "\x01{field}:code"

_ERROR_SCHEMA = {
    "row": pl.Int64,
    "position": pl.Int64,
    "field": pl.String,
    "value": pl.String,
    "code": pl.String,
    "detail": pl.String,
}
_DTYPES: Mapping[FieldKind, pl.DataType] = MappingProxyType(
    {FieldKind.AMOUNT: pl.Int64(), FieldKind.DATE: pl.Date(), FieldKind.INT: pl.Int32()}
)


class KeyRule(StrEnum):
    MUST_EXIST = "must_exist"
    MUST_NOT_EXIST = "must_not_exist"


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """A check the persistence layer makes against the database for every value of ``field``."""

    field: str
    rule: KeyRule
    code: ErrorCode  # the row error when the rule fails: see ``Validated.errors_for``


DB_CHECKS: Mapping[ImportKind, tuple[KeyCheck, ...]] = MappingProxyType(
    {
        ImportKind.PLACEMENTS: (
            KeyCheck("account_no", KeyRule.MUST_NOT_EXIST, ErrorCode.ACCOUNT_EXISTS),
            KeyCheck("product_code", KeyRule.MUST_EXIST, ErrorCode.PRODUCT_UNKNOWN),
        ),
        ImportKind.PAYMENTS: (
            KeyCheck("account_no", KeyRule.MUST_EXIST, ErrorCode.ACCOUNT_UNKNOWN),
            KeyCheck("reference", KeyRule.MUST_NOT_EXIST, ErrorCode.REFERENCE_EXISTS),
        ),
        ImportKind.UPDATES: (
            KeyCheck("account_no", KeyRule.MUST_EXIST, ErrorCode.ACCOUNT_UNKNOWN),
        ),
        ImportKind.RECALL: (KeyCheck("account_no", KeyRule.MUST_EXIST, ErrorCode.ACCOUNT_UNKNOWN),),
    }
)
"""Per kind, what the persistence layer checks against the database (and the creditor's
products) before storing; also: the creditor exists, and a payment's or update's currency is
the account's (:attr:`ErrorCode.CURRENCY_MISMATCH`)."""


@dataclass(frozen=True, slots=True)
class Validated:
    """The outcome of :func:`validate`.

    ``records`` has a ``row`` column (the file's row number) and one typed column per field of
    the kind: amounts Int64 minor units, dates Date, ``cycles`` Int32, codes canonical. It is
    only fit to store when :attr:`ok`; with errors it is kept for diagnosis, the offending cells
    null or unreliable.
    """

    kind: ImportKind
    records: pl.DataFrame
    errors: tuple[RowError, ...]
    errors_total: int
    rows_read: int
    resolved: Resolved

    @property
    def ok(self) -> bool:
        return self.errors_total == 0

    def keys(self, field: str) -> pl.Series:
        """The distinct non-null values of ``field``, sorted: what a DB check looks up."""
        return self.records.get_column(field).drop_nulls().unique().sort()

    def errors_for(
        self, field: str, values: Iterable[str], code: ErrorCode
    ) -> tuple[RowError, ...]:
        """Row errors for every row whose ``field`` is one of ``values`` (a failed DB check)."""
        spec = next((f for f in FIELDS[self.kind] if f.name == field), None)
        if spec is None:
            raise ValueError(f"{self.kind} imports have no field {field!r}")
        column = self.resolved.header_for(field) or spec.label_zh
        hits = self.records.filter(pl.col(field).is_in(pl.Series(list(values), dtype=pl.String)))
        mask = _MASKS.get(spec.kind)
        return tuple(
            row_error(row, column, field, value, code, mask=mask)
            for row, value in hits.select("row", field).iter_rows()
        )


def validate(
    raw: RawTable,
    kind: ImportKind,
    mapping: ColumnMapping,
    *,
    as_of: date | None = None,
    max_errors: int = 10_000,
) -> Validated:
    """Check every cell of ``raw`` as ``kind``; ``as_of`` (the business date) enables the
    "not after today" checks on dates of events that have already happened."""
    resolved = resolve(raw.headers, kind, mapping)
    fields = FIELDS[kind]
    positions = {header: index for index, header in enumerate(raw.headers)}
    rules = {f.name: _rule(f, resolved.header_for(f.name), as_of) for f in fields}

    plan = raw.frame.lazy().with_columns(_exponent(resolved))
    helpers = [expr.alias(name) for rule in rules.values() for name, expr in rule.helpers.items()]
    if helpers:
        plan = plan.with_columns(helpers)
    plan = plan.with_columns(
        *(rule.typed.alias(_TYPED.format(field=name)) for name, rule in rules.items()),
        *(
            rule.code.alias(_CODE_COL.format(field=name))
            for name, rule in rules.items()
            if rule.code is not None
        ),
    )
    checked = plan.collect()

    parts: list[pl.DataFrame] = []
    for f in fields:
        header = resolved.header_for(f.name)
        code_col = _CODE_COL.format(field=f.name)
        if header is None or checked.get_column(code_col).null_count() == checked.height:
            continue
        # The one detail that varies by row: the decimals allowed by the row's currency.
        precision = pl.col(code_col) == ErrorCode.AMOUNT_PRECISION.value
        detail = pl.when(precision).then(pl.col(_EXPONENT)) if f.kind is FieldKind.AMOUNT else None
        parts.append(
            _error_part(
                checked.filter(pl.col(code_col).is_not_null()),
                positions[header],
                f.name,
                pl.col(header),
                pl.col(code_col),
                detail,
            )
        )
    parts.extend(_cross_checks(checked, kind, resolved, positions))
    parts.extend(_formula_cells(raw, resolved, positions))

    records = _records(checked, fields)
    errors_frame = pl.concat(parts) if parts else pl.DataFrame(schema=_ERROR_SCHEMA)
    header_errors = resolved.errors
    total = len(header_errors) + errors_frame.height
    keep = max(max_errors - len(header_errors), 0)
    shown = errors_frame.sort("row", "position", "field").head(keep)
    by_name = {f.name: f for f in fields}
    row_errors = [
        _to_row_error(row, resolved, by_name[field], value, ErrorCode(code), detail, as_of)
        for row, _, field, value, code, detail in shown.iter_rows()
    ]
    header_sorted = sorted(header_errors, key=lambda e: positions.get(e.column, len(positions)))
    return Validated(
        kind=kind,
        records=records,
        errors=(*header_sorted[:max_errors], *row_errors),
        errors_total=total,
        rows_read=raw.frame.height,
        resolved=resolved,
    )


def gb11643_valid(id_number: pl.Expr) -> pl.Expr:
    """Vectorised :func:`huikuan.core.identity.is_valid_cn_id`: format and GB 11643 check digit.

    Null in, null out. Only ASCII digits count as digits.
    """
    return _gb11643_check(id_number.str.strip_chars().str.to_uppercase())


def _gb11643_check(value: pl.Expr) -> pl.Expr:
    """:func:`gb11643_valid` for text already stripped and upper-case (best a column: each of
    the 18 slices re-evaluates ``value``)."""
    total: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for position, weight in enumerate(GB11643_WEIGHTS):
        total = total + value.str.slice(position, 1).cast(pl.Int64, strict=False) * weight
    expected = (total % 11).replace_strict(
        list(range(11)), list(GB11643_CHECK_CHARS), return_dtype=pl.String
    )
    return value.str.contains(_ID) & (value.str.slice(17, 1) == expected)


# --- Per-field rules ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    helpers: Mapping[str, pl.Expr]
    typed: pl.Expr
    code: pl.Expr | None  # None when the column is absent


@dataclass(frozen=True, slots=True)
class _Checks:
    helpers: Mapping[str, pl.Expr]
    value: pl.Expr  # the typed value of a non-blank cell
    checks: tuple[tuple[pl.Expr, ErrorCode], ...]  # in order: a cell reports the first that holds


def _rule(f: Field, header: str | None, as_of: date | None) -> _Rule:
    default = _default(f)
    if header is None:
        return _Rule({}, default, None)
    raw = pl.col(header)
    kind_checks = _BUILDERS[f.kind](f, raw, as_of)
    strict = f.kind is not FieldKind.TEXT
    formula = _FORMULA_PARSED if f.kind in _PARSED_KINDS else _FORMULA_TEXT
    first: list[tuple[pl.Expr, ErrorCode]] = [
        (raw.str.contains(_CONTROL_STRICT if strict else _CONTROL_TEXT), ErrorCode.CONTROL_CHAR),
        (raw.str.len_chars() > f.max_length, ErrorCode.TOO_LONG),
        (raw.str.contains(formula), ErrorCode.FORMULA),
    ]
    blank = pl.lit(ErrorCode.REQUIRED.value if f.required else None, dtype=pl.String)
    chain: Then | ChainedThen = pl.when(raw.is_null()).then(blank)
    for condition, code in (*first, *kind_checks.checks):
        chain = chain.when(condition).then(pl.lit(code.value, dtype=pl.String))
    code_expr = chain.otherwise(pl.lit(None, dtype=pl.String))
    typed = pl.when(raw.is_null()).then(default).otherwise(kind_checks.value)
    return _Rule(kind_checks.helpers, typed.cast(_DTYPES.get(f.kind, pl.String())), code_expr)


def _default(f: Field) -> pl.Expr:
    dtype = _DTYPES.get(f.kind, pl.String())
    if f.default is None:
        return pl.lit(None, dtype=dtype)
    if f.kind is FieldKind.AMOUNT:
        return pl.lit(int(f.default), dtype=pl.Int64)
    return pl.lit(f.default, dtype=dtype)


def _helper(f: Field, part: str) -> str:
    return _HELPER.format(field=f.name, part=part)


def _amount(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    names = {part: _helper(f, part) for part in ("matched", "negative", "int", "frac")}
    # The regex only judges the shape; once it matches, the digits and the point are all that is
    # left after deleting sign, currency symbol, separators and spaces (cheaper than captures).
    number = raw.str.replace_all(r"[^0-9.]", "").str.split_exact(".", 1)
    helpers = {
        names["matched"]: raw.str.contains(_AMOUNT),
        names["negative"]: raw.str.starts_with("-"),
        names["int"]: number.struct.field("field_0").str.strip_chars_start("0"),
        names["frac"]: number.struct.field("field_1").fill_null("").str.strip_chars_end("0"),
    }
    digits, fraction = pl.col(names["int"]), pl.col(names["frac"])
    exponent = pl.col(_EXPONENT)
    int_len, frac_len = digits.str.len_bytes(), fraction.str.len_bytes()
    whole = (
        pl.when(int_len == 0)
        .then(pl.lit(0, dtype=pl.Int64))
        .when(int_len <= _DIGITS_LIMIT)
        .then(digits.cast(pl.Int64, strict=False))
    )
    minor: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for places in sorted(set(CURRENCY_EXPONENT.values())):
        cents = (
            fraction.str.pad_end(places, "0").str.slice(0, places).cast(pl.Int64, strict=False)
            if places
            else pl.lit(0, dtype=pl.Int64)
        )
        minor = pl.when(exponent == places).then(whole * 10**places + cents).otherwise(minor)
    signed = pl.when(pl.col(names["negative"])).then(-minor).otherwise(minor)
    minimum = 0 if f.minimum is None else f.minimum
    maximum = MAX_AMOUNT_MINOR if f.maximum is None else f.maximum
    return _Checks(
        helpers,
        signed,
        (
            (~pl.col(names["matched"]), ErrorCode.NOT_AMOUNT),
            (frac_len > exponent, ErrorCode.AMOUNT_PRECISION),
            ((int_len > _DIGITS_LIMIT) | (minor > maximum), ErrorCode.AMOUNT_TOO_LARGE),
            (signed < minimum, ErrorCode.AMOUNT_TOO_SMALL),
        ),
    )


def _date(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    name = _helper(f, "date")
    separated = raw.str.extract_groups(_DATE_SEPARATED)
    compact = raw.str.extract_groups(_DATE_COMPACT)
    year, month, day = (
        pl.coalesce(separated.struct.field(p), compact.struct.field(p)) for p in ("y", "m", "d")
    )
    text = pl.concat_str(
        [year, month.str.pad_start(2, "0"), day.str.pad_start(2, "0")], separator="-"
    )
    parsed = pl.col(name)
    checks: tuple[tuple[pl.Expr, ErrorCode], ...] = (
        (parsed.is_null(), ErrorCode.NOT_DATE),
        ((parsed < _MIN_DATE) | (parsed > _MAX_DATE), ErrorCode.DATE_OUT_OF_RANGE),
    )
    if as_of is not None and f.not_after_as_of:
        checks = (*checks, (parsed > pl.lit(as_of), ErrorCode.DATE_AFTER_AS_OF))
    return _Checks({name: text.str.to_date("%Y-%m-%d", strict=False)}, parsed, checks)


def _int(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    name = _helper(f, "int")
    value = pl.col(name)
    out_of_range = pl.lit(False)
    if f.minimum is not None:
        out_of_range = out_of_range | (value < f.minimum)
    if f.maximum is not None:
        out_of_range = out_of_range | (value > f.maximum)
    parsed = pl.when(raw.str.contains(_INT)).then(raw.str.strip_chars_start("+"))
    return _Checks(
        {name: parsed.cast(pl.Int64, strict=False)},
        value,
        ((value.is_null(), ErrorCode.NOT_INT), (out_of_range, ErrorCode.INT_OUT_OF_RANGE)),
    )


def _id_number(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    name = _helper(f, "upper")
    value = pl.col(name)
    return _Checks(
        {name: raw.str.to_uppercase()},
        value,
        (
            (~value.str.contains(_ID), ErrorCode.ID_FORMAT),
            (~_gb11643_check(value), ErrorCode.ID_CHECK_DIGIT),
        ),
    )


def _mobile(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    """Spaces, hyphens and a +86 / 0086 / 86 prefix are accepted; 11 digits are stored."""
    name = _helper(f, "digits")
    value = pl.col(name)
    digits = raw.str.replace_all(r"[\s\-()]", "").str.replace(
        r"^(?:\+86|0086|86)(1[0-9]{10})$", "${1}"
    )
    return _Checks(
        {name: digits}, value, ((~value.str.contains(_MOBILE), ErrorCode.MOBILE_FORMAT),)
    )


def _name(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    """Middle-dot variants become ·, runs of spaces one space."""
    name = _helper(f, "name")
    value = pl.col(name)
    normal = raw.str.replace_all(_NAME_DOTS, "·").str.replace_all(r"\s+", " ")
    return _Checks({name: normal}, value, ((~value.str.contains(_NAME), ErrorCode.NAME_CHARS),))


def _code(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    value = raw.str.to_uppercase() if f.upper else raw
    return _Checks({}, value, ((~raw.str.contains(_CODE), ErrorCode.CODE_FORMAT),))


def _email(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    return _Checks({}, raw, ((~raw.str.contains(_EMAIL), ErrorCode.EMAIL_FORMAT),))


def _text(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    return _Checks({}, raw, ())


def _enum_key(text: str) -> str:
    return re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", text).lower())


def _enum_key_expr(raw: pl.Expr) -> pl.Expr:
    return raw.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"[\s_\-]", "")


def _enum_lookup(f: Field) -> dict[str, str]:
    return {_enum_key(spelling): code for spelling, code in f.choices}


def _enum(f: Field, raw: pl.Expr, as_of: date | None) -> _Checks:
    name = _helper(f, "code")
    value = pl.col(name)
    lookup = _enum_lookup(f)
    mapped = _enum_key_expr(raw).replace_strict(
        list(lookup), list(lookup.values()), default=pl.lit(None, dtype=pl.String)
    )
    return _Checks({name: mapped}, value, ((value.is_null(), ErrorCode.ENUM_VALUE),))


_Builder = Callable[[Field, pl.Expr, date | None], _Checks]
_BUILDERS: Mapping[FieldKind, _Builder] = MappingProxyType(
    {
        FieldKind.TEXT: _text,
        FieldKind.NAME: _name,
        FieldKind.AMOUNT: _amount,
        FieldKind.DATE: _date,
        FieldKind.INT: _int,
        FieldKind.ID_NUMBER: _id_number,
        FieldKind.MOBILE: _mobile,
        FieldKind.EMAIL: _email,
        FieldKind.CODE: _code,
        FieldKind.ENUM: _enum,
    }
)


def _exponent(resolved: Resolved) -> pl.Expr:
    """Minor-unit exponent of each row's currency (2 when blank, absent or unknown)."""
    header = resolved.header_for("currency")
    if header is None:
        return pl.lit(2, dtype=pl.Int64).alias(_EXPONENT)
    spec = next(f for f in FIELDS[resolved.kind] if f.name == "currency")
    lookup = _enum_lookup(spec)
    codes = _enum_key_expr(pl.col(header)).replace_strict(
        list(lookup), list(lookup.values()), default=pl.lit(None, dtype=pl.String)
    )
    exponent = codes.replace_strict(
        list(CURRENCY_EXPONENT),
        list(CURRENCY_EXPONENT.values()),
        default=pl.lit(None, dtype=pl.Int64),
        return_dtype=pl.Int64,
    )
    return exponent.fill_null(2).alias(_EXPONENT)


# --- Errors across rows and fields ------------------------------------------------------


def _error_part(
    frame: pl.DataFrame,
    position: int,
    field: str,
    value: pl.Expr,
    code: pl.Expr,
    detail: pl.Expr | None = None,
) -> pl.DataFrame:
    return frame.select(
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.lit(position, dtype=pl.Int64).alias("position"),
        pl.lit(field, dtype=pl.String).alias("field"),
        value.cast(pl.String).alias("value"),
        code.cast(pl.String).alias("code"),
        (pl.lit(None, dtype=pl.String) if detail is None else detail.cast(pl.String)).alias(
            "detail"
        ),
    )


def _passed(field: str) -> pl.Expr:
    """The field's typed value exists and its cell had no error."""
    typed = pl.col(_TYPED.format(field=field))
    return typed.is_not_null() & pl.col(_CODE_COL.format(field=field)).is_null()


def _cross_checks(
    checked: pl.DataFrame, kind: ImportKind, resolved: Resolved, positions: Mapping[str, int]
) -> list[pl.DataFrame]:
    parts: list[pl.DataFrame] = []
    key = UNIQUE_KEY[kind]
    key_header = resolved.header_for(key)
    if key_header is not None:
        typed = _TYPED.format(field=key)
        duplicates = (
            checked.filter(_passed(key))
            .select(ROW, typed)
            .with_columns(pl.col(ROW).first().over(typed).alias("first"))
            .filter(pl.col(ROW) != pl.col("first"))
        )
        parts.append(
            _error_part(
                duplicates,
                positions[key_header],
                key,
                pl.col(typed),
                pl.lit(ErrorCode.DUPLICATE.value),
                pl.col("first"),
            )
        )
    if kind is ImportKind.PLACEMENTS:
        parts.extend(_debtor_mismatch(checked, resolved, positions))
        parts.extend(_emergency_incomplete(checked, resolved, positions))
    return [part for part in parts if part.height]


def _debtor_mismatch(
    checked: pl.DataFrame, resolved: Resolved, positions: Mapping[str, int]
) -> list[pl.DataFrame]:
    """Rows of one debtor number must carry one ID number (the first row's)."""
    id_header = resolved.header_for("id_number")
    if id_header is None or resolved.header_for("debtor_no") is None:
        return []
    debtor, id_number = _TYPED.format(field="debtor_no"), _TYPED.format(field="id_number")
    mismatched = (
        checked.filter(_passed("debtor_no") & _passed("id_number"))
        .select(ROW, debtor, id_number)
        .with_columns(
            pl.col(ROW).first().over(debtor).alias("first"),
            pl.col(id_number).first().over(debtor).alias("first_id"),
        )
        .filter(pl.col(id_number) != pl.col("first_id"))
    )
    return [
        _error_part(
            mismatched,
            positions[id_header],
            "id_number",
            pl.col(id_number),
            pl.lit(ErrorCode.DEBTOR_MISMATCH.value),
            pl.col("first"),
        )
    ]


def _emergency_incomplete(
    checked: pl.DataFrame, resolved: Resolved, positions: Mapping[str, int]
) -> list[pl.DataFrame]:
    """An emergency contact given in any column needs both its name and its mobile."""
    present: dict[str, pl.Expr] = {}
    for name in ("emergency_name", "emergency_mobile", "emergency_relationship"):
        header = resolved.header_for(name)
        present[name] = pl.lit(False) if header is None else pl.col(header).is_not_null()
    if not any(resolved.header_for(name) for name in present):
        return []
    given = pl.any_horizontal(*present.values())
    parts = []
    for name in ("emergency_name", "emergency_mobile"):
        header = resolved.header_for(name)
        position = positions[header] if header is not None else len(positions)
        missing = checked.filter(given & ~present[name])
        parts.append(
            _error_part(
                missing,
                position,
                name,
                pl.lit(None, dtype=pl.String),
                pl.lit(ErrorCode.EMERGENCY_INCOMPLETE.value),
            )
        )
    return parts


def _formula_cells(
    raw: RawTable, resolved: Resolved, positions: Mapping[str, int]
) -> list[pl.DataFrame]:
    """XLSX cells holding a formula, in the columns this import uses."""
    field_of = {header: name for name, header in resolved.columns.items()}
    used = [(row, header) for row, header in raw.formula_cells if header in field_of]
    if not used:
        return []
    cells = pl.DataFrame(
        {
            "row": [row for row, _ in used],
            "position": [positions[header] for _, header in used],
            "field": [field_of[header] for _, header in used],
            "value": [None] * len(used),
            "code": [ErrorCode.FORMULA_CELL.value] * len(used),
            "detail": [None] * len(used),
        },
        schema=_ERROR_SCHEMA,
    )
    return [cells]


# --- Output ------------------------------------------------------------------------------


def _records(checked: pl.DataFrame, fields: tuple[Field, ...]) -> pl.DataFrame:
    records = checked.select(
        pl.col(ROW).alias("row"),
        *(pl.col(_TYPED.format(field=f.name)).alias(f.name) for f in fields),
    )
    if "emergency_source" in records.columns:
        # The default source applies only where there is an emergency contact.
        contact = pl.col("emergency_name").is_not_null() | pl.col("emergency_mobile").is_not_null()
        records = records.with_columns(
            pl.when(contact).then(pl.col("emergency_source")).alias("emergency_source")
        )
    return records


def _mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    if not at:
        return value[:2] + "***"
    return f"{local[:1]}***@{domain}"


_MASKS: Mapping[FieldKind, Callable[[str], str]] = MappingProxyType(
    {
        FieldKind.ID_NUMBER: mask_id_number,
        FieldKind.MOBILE: mask_phone,
        FieldKind.EMAIL: _mask_email,
    }
)


def _static_detail(f: Field, code: ErrorCode, as_of: date | None) -> str:
    if code is ErrorCode.TOO_LONG:
        return str(f.max_length)
    if code is ErrorCode.AMOUNT_TOO_SMALL:
        return format_minor(f.minimum or 0)
    if code is ErrorCode.AMOUNT_TOO_LARGE:
        return format_minor(f.maximum or MAX_AMOUNT_MINOR)
    if code is ErrorCode.DATE_OUT_OF_RANGE:
        return f"{_MIN_DATE.isoformat()} – {_MAX_DATE.isoformat()}"
    if code is ErrorCode.DATE_AFTER_AS_OF and as_of is not None:
        return as_of.isoformat()
    if code is ErrorCode.INT_OUT_OF_RANGE:
        return f"{f.minimum}–{f.maximum}"
    if code is ErrorCode.ENUM_VALUE:
        return ", ".join(_enum_label(f, code_) for code_ in f.codes)
    return ""


def _enum_label(f: Field, code: str) -> str:
    chinese = next((s for s, c in f.choices if c == code and not s.isascii()), None)
    return f"{code}（{chinese}）" if chinese else code


def _to_row_error(
    row: int,
    resolved: Resolved,
    f: Field,
    value: str | None,
    code: ErrorCode,
    detail: str | None,
    as_of: date | None,
) -> RowError:
    column = resolved.header_for(f.name) or f.label_zh
    mask = _MASKS.get(f.kind)
    if code is ErrorCode.AMOUNT_PRECISION:
        shown_detail = detail or "2"
    elif detail is not None:
        shown_detail = detail
    else:
        shown_detail = _static_detail(f, code, as_of)
    return row_error(row, column, f.name, value, code, shown_detail, mask=mask)
