"""The overdue report and the monthly creditor PDF against a demo portfolio, on both databases.

The expected figures come from SQL aggregates written here over the ``accounts`` and
``payments`` tables, independently of the polars grouping in :mod:`huikuan.reports.overdue`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from huikuan.accounts.models import Account
from huikuan.db.engine import transaction
from huikuan.demo.service import load_demo
from huikuan.org.models import Creditor
from huikuan.payments.models import Payment
from huikuan.reports.cli import app
from huikuan.reports.monthly import creditor_month, render_pdf, yuan
from huikuan.reports.overdue import ALL, headers, overdue_report
from huikuan.security.crypto import FieldCipher
from huikuan.settings import get_settings

AS_OF = date(2026, 11, 20)
TOTAL = Account.principal + Account.interest + Account.penalty + Account.fee


@pytest.fixture
def demo(engine: Engine, cipher: FieldCipher, tmp_path: Path) -> Engine:
    load_demo(engine, accounts=200, as_of=AS_OF, days=2, cipher=cipher, work_dir=tmp_path)
    return engine


def _sql_cells(engine: Engine, creditor_id: int | None) -> dict[tuple[str, str], tuple[int, ...]]:
    query = (
        select(
            Account.product_code,
            Account.bucket,
            func.count(),
            func.sum(Account.principal),
            func.sum(Account.interest),
            func.sum(Account.penalty),
            func.sum(Account.fee),
            func.sum(TOTAL),
        )
        .where(Account.status == "open", Account.placed_on <= AS_OF)
        .group_by(Account.product_code, Account.bucket)
    )
    if creditor_id is not None:
        query = query.where(Account.creditor_id == creditor_id)
    with transaction(engine) as session:
        return {(r[0], r[1]): tuple(int(v) for v in r[2:]) for r in session.execute(query)}


def _report_cells(frame_rows: list[tuple[object, ...]]) -> dict[tuple[str, str], tuple[int, ...]]:
    return {
        (str(row[0]), str(row[1])): tuple(int(v) for v in row[2:])  # type: ignore[call-overload]
        for row in frame_rows
    }


def test_overdue_report_equals_sql_sums(demo: Engine) -> None:
    with transaction(demo) as session:
        frame = overdue_report(session, AS_OF)
        creditor_id = session.scalars(select(Creditor.id).order_by(Creditor.id)).first()
        assert creditor_id is not None
        one = overdue_report(session, AS_OF, creditor_id)
    cells = _report_cells(list(frame.iter_rows()))
    expected = _sql_cells(demo, None)
    assert expected, "the demo portfolio has open accounts"
    # Every non-empty product × bucket cell equals SQL; every other bucket row is zero.
    for key, value in cells.items():
        if ALL in key:
            continue
        assert value == expected.get(key, (0,) * 6), key
    assert {k for k, v in cells.items() if ALL not in k and v[0]} == set(expected)
    grand = cells[(ALL, ALL)]
    assert grand == tuple(sum(v[i] for v in expected.values()) for i in range(6))
    for product in {p for p, _ in expected}:
        assert cells[(product, ALL)] == tuple(
            sum(v[i] for (p, _), v in expected.items() if p == product) for i in range(6)
        )
    # Bucket rows come in severity order: M0 first, M7+ last, then the subtotal.
    first_product = frame.row(0)[0]
    order = [r[1] for r in frame.iter_rows() if r[0] == first_product]
    assert order[:2] == ["M0", "M1"]
    assert order[-2:] == ["M7+", ALL]
    # A creditor filter keeps only that creditor's accounts.
    assert _report_cells(list(one.iter_rows()))[(ALL, ALL)] == tuple(
        sum(v[i] for v in _sql_cells(demo, creditor_id).values()) for i in range(6)
    )
    # Nothing is placed before the portfolio's first day: an early as_of gives an empty total.
    with transaction(demo) as session:
        early = overdue_report(session, date(2000, 1, 1))
    assert early.rows() == [(ALL, ALL, 0, 0, 0, 0, 0, 0)]


def test_monthly_pdf_names_creditor_period_and_recovered(demo: Engine) -> None:
    with transaction(demo) as session:
        creditor = session.scalars(select(Creditor).order_by(Creditor.id)).first()
        assert creditor is not None
        recovered = session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0))
            .join(Account, Account.id == Payment.account_id)
            .where(
                Account.creditor_id == creditor.id,
                Payment.received_on >= date(2026, 11, 1),
                Payment.received_on <= date(2026, 11, 30),
            )
        )
        recovered = int(recovered or 0)  # PostgreSQL sums BIGINT as NUMERIC
        report = creditor_month(session, creditor.id, "2026-11", today=AS_OF)
        name = creditor.name
    assert report.current_month
    assert report.recovered_month == recovered
    assert recovered, "the demo's two days bring payments"
    first = render_pdf(report)
    assert first.startswith(b"%PDF")
    assert render_pdf(report) == first
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(first)).pages)
    assert name in text
    assert "2026-11" in text
    assert yuan(recovered) in text


def test_cli_writes_the_files(
    demo: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUIKUAN_DATABASE_URL", demo.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        with transaction(demo) as session:
            code = session.scalars(select(Creditor.code).order_by(Creditor.id)).first()
        runner = CliRunner()
        out_csv, out_xlsx, out_pdf = tmp_path / "o.csv", tmp_path / "o.xlsx", tmp_path / "m.pdf"
        run = runner.invoke(
            app, ["overdue", "--date", AS_OF.isoformat(), "--format", "csv", "--out", str(out_csv)]
        )
        assert run.exit_code == 0, run.output
        rows = list(csv.reader(out_csv.read_text("utf-8-sig").splitlines()))
        assert rows[0] == headers()
        assert rows[-1][:2] == [ALL, ALL]
        assert int(rows[-1][2]) == sum(c[0] for c in _sql_cells(demo, None).values())
        run = runner.invoke(
            app,
            [
                *("overdue", "--date", AS_OF.isoformat(), "--creditor", str(code)),
                *("--format", "xlsx", "--out", str(out_xlsx)),
            ],
        )
        assert run.exit_code == 0, run.output
        with zipfile.ZipFile(out_xlsx) as book:
            strings = book.read("xl/sharedStrings.xml").decode()
            assert "xl/worksheets/sheet1.xml" in book.namelist()
        assert all(f">{escape(title)}<" in strings for title in headers())
        run = runner.invoke(
            app, ["monthly", "--creditor", str(code), "--period", "2026-11", "--out", str(out_pdf)]
        )
        assert run.exit_code == 0, run.output
        assert out_pdf.read_bytes().startswith(b"%PDF")
        run = runner.invoke(app, ["overdue", "--date", "2026-13-01"])
        assert run.exit_code != 0
    finally:
        get_settings.cache_clear()
