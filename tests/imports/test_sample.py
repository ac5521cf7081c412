"""Sample files are valid in the default mapping, for every kind, as CSV and as XLSX."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from huikuan.core.identity import is_valid_cn_id, is_valid_cn_mobile
from huikuan.imports.mapping import FIELDS, ColumnMapping, ImportKind
from huikuan.imports.readers import read_table
from huikuan.imports.sample import sample_frame, write_sample
from huikuan.imports.validation import validate

MAPPING = ColumnMapping("DEMO")
AS_OF = date(2026, 11, 20)


@pytest.mark.parametrize("kind", list(ImportKind))
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_samples_validate_with_zero_errors(tmp_path: Path, kind: ImportKind, suffix: str) -> None:
    path = write_sample(tmp_path / f"{kind}{suffix}", kind, 300, seed=7)
    raw = read_table(path)
    assert raw.headers == tuple(f.label_zh for f in FIELDS[kind])  # Chinese default headers
    result = validate(raw, kind, MAPPING, as_of=AS_OF)
    assert result.errors == ()
    assert result.ok
    assert result.rows_read == 300
    assert raw.encoding == ("utf-8-sig" if suffix == ".csv" else "xlsx")


def test_csv_and_xlsx_samples_give_the_same_records(tmp_path: Path) -> None:
    records = [
        validate(
            read_table(write_sample(tmp_path / f"p{suffix}", ImportKind.PLACEMENTS, 200, seed=3)),
            ImportKind.PLACEMENTS,
            MAPPING,
        ).records
        for suffix in (".csv", ".xlsx")
    ]
    assert records[0].equals(records[1])


def test_sample_people_pass_the_core_identity_rules() -> None:
    frame = sample_frame(ImportKind.PLACEMENTS, 2_000, seed=5, as_of=AS_OF)
    assert all(is_valid_cn_id(value) for value in frame.get_column("id_number"))
    assert all(is_valid_cn_mobile(value) for value in frame.get_column("mobile"))
    contacts = frame.get_column("emergency_mobile").drop_nulls()
    assert 0 < contacts.len() < frame.height
    assert all(is_valid_cn_mobile(value) for value in contacts)
    assert set(frame.get_column("product_code")) == {"CC", "CL", "OL"}
    # A debtor with two accounts is the same person in both rows.
    per_debtor = frame.group_by("debtor_no").agg(pl.col("id_number").n_unique().alias("ids"))
    assert per_debtor.get_column("ids").max() == 1
    assert per_debtor.height < frame.height


def test_samples_are_deterministic_and_share_accounts_across_kinds() -> None:
    first = sample_frame(ImportKind.PLACEMENTS, 100, seed=9, as_of=AS_OF)
    again = sample_frame(ImportKind.PLACEMENTS, 100, seed=9, as_of=AS_OF)
    other = sample_frame(ImportKind.PLACEMENTS, 100, seed=10, as_of=AS_OF)
    assert first.equals(again)
    assert not first.equals(other)
    payments = sample_frame(ImportKind.PAYMENTS, 100, seed=9, as_of=AS_OF)
    assert payments.get_column("account_no").equals(first.get_column("account_no"))


def test_sample_arguments_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one row"):
        write_sample(tmp_path / "p.csv", ImportKind.PLACEMENTS, 0)
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        write_sample(tmp_path / "p.json", ImportKind.PLACEMENTS, 1)


def test_a_larger_placement_file_end_to_end(tmp_path: Path) -> None:
    """A scale smoke test: 50,000 rows written, read and validated (no timing asserted)."""
    rows = 50_000
    path = write_sample(tmp_path / "big.csv", ImportKind.PLACEMENTS, rows, seed=2)
    raw = read_table(path)
    result = validate(raw, ImportKind.PLACEMENTS, MAPPING, as_of=AS_OF)
    assert result.ok, result.errors[:5]
    assert result.records.height == rows
    assert result.records.get_column("row").to_list() == list(range(2, rows + 2))
    assert result.records.get_column("principal").min() > 0  # type: ignore[operator]
    assert result.keys("account_no").len() == rows
