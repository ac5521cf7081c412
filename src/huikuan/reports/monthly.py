"""The monthly report to one creditor (月度催收报告), as numbers and as an A4 PDF.

Data flow: :func:`creditor_month` reads, for one creditor and one month (``YYYY-MM``):

* placements: the creditor's accounts placed (入催) by the month end, and those placed in it;
  the placed amount is rebuilt as today's balance + every payment ever received on those
  accounts (the KPI dashboards' convention: accrual since placement is not subtracted);
* recoveries: payments received in the month and up to its end, over the placed amount
  (by amount) and paying accounts over placed accounts (by count);
* the bucket table: :func:`huikuan.reports.overdue.overdue_report` at the month end;
* remittance: recovered, agency fees and net from
  :func:`huikuan.compensation.service.remittance_statements`.

The bucket table is the month end's balance snapshot (:mod:`huikuan.kpis.snapshots`, written
by the daily cycle on the last day of each month) where it exists; otherwise the accounts'
current state, and ``MonthlyReport.state_note`` says which (for the running month it is the
month-to-date picture, for a past month without a snapshot today's balances of the accounts
placed by then: approximate).

:func:`render_pdf` copies the letters' approach (:mod:`huikuan.letters.render`): a Jinja2 HTML
template + CSS → WeasyPrint, text in WenQuanYi Micro Hei; the only date in the metadata is the
month end, so the same report gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import polars as pl
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account
from huikuan.compensation.service import parse_period, remittance_statements
from huikuan.kpis.service import BUSINESS_ZONE
from huikuan.letters.render import FONT_FAMILY, format_amount
from huikuan.org.models import Creditor
from huikuan.payments.models import Payment
from huikuan.reports.overdue import ALL, overdue_basis, overdue_report


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """One creditor's month; money in fen, rates as ``Decimal`` fractions (``None`` if 0/0)."""

    creditor_id: int
    creditor_code: str
    creditor_name: str
    period: str
    month_start: date
    month_end: date
    current_month: bool
    placed_accounts: int  # placed by the month end
    placed_in_month: int
    placed_amount: int  # today's balance + all payments ever, of the accounts placed by then
    recovered_month: int
    recovered_to_date: int  # received up to the month end
    paying_accounts_to_date: int
    buckets: pl.DataFrame  # overdue_report() rows for this creditor
    remitted_recovered: int
    agency_fees: int
    net: int
    buckets_from_snapshot: bool = False  # the bucket table is the month end's snapshot

    @property
    def recovery_rate_month(self) -> Decimal | None:
        return _rate(self.recovered_month, self.placed_amount)

    @property
    def recovery_rate_to_date(self) -> Decimal | None:
        return _rate(self.recovered_to_date, self.placed_amount)

    @property
    def recovery_rate_count(self) -> Decimal | None:
        return _rate(self.paying_accounts_to_date, self.placed_accounts)

    @property
    def state_note(self) -> str:
        if self.buckets_from_snapshot:
            return "账龄分布取自月末日终余额快照。"
        if self.current_month:
            return "本月尚未结束：账龄分布为账户当前状态（截至报告生成日）。"
        return "月末无余额快照：账龄分布按账户当前余额计算（近似值），仅含月末前入催的账户。"


def _rate(numerator: int, denominator: int) -> Decimal | None:
    return None if denominator == 0 else Decimal(numerator) / Decimal(denominator)


def creditor_month(
    session: Session, creditor_id: int, period: str, *, today: date | None = None
) -> MonthlyReport:
    """The creditor's month; ``today`` (default: today in Shanghai) decides the current month."""
    span = parse_period(period)
    creditor = session.get(Creditor, creditor_id)
    if creditor is None:
        raise LookupError(f"no creditor with id {creditor_id}")
    reference = today or datetime.now(ZoneInfo(BUSINESS_ZONE)).date()
    placed = (Account.creditor_id == creditor_id) & (Account.placed_on <= span.last)
    placed_accounts, balances = session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(Account.principal + Account.interest + Account.penalty + Account.fee), 0
            ),
        ).where(placed)
    ).one()
    placed_in_month = session.scalar(
        select(func.count()).where(placed, Account.placed_on >= span.first)
    )
    paid = select(Payment.account_id, Payment.received_on, Payment.amount).join(
        Account, Account.id == Payment.account_id
    )
    payments = pl.DataFrame(
        [tuple(row) for row in session.execute(paid.where(placed))],
        schema={"account_id": pl.Int64(), "received_on": pl.Date(), "amount": pl.Int64()},
        orient="row",
    )
    to_date = payments.filter(pl.col("received_on") <= span.last)
    in_month = to_date.filter(pl.col("received_on") >= span.first)
    statement = next(
        (s for s in remittance_statements(session, period) if s.creditor_id == creditor_id), None
    )
    return MonthlyReport(
        creditor_id=creditor.id,
        creditor_code=creditor.code,
        creditor_name=creditor.name,
        period=f"{span.first:%Y-%m}",
        month_start=span.first,
        month_end=span.last,
        current_month=span.first <= reference <= span.last,
        placed_accounts=int(placed_accounts),
        placed_in_month=int(placed_in_month or 0),
        placed_amount=int(balances) + int(payments["amount"].sum()),
        recovered_month=int(in_month["amount"].sum()),
        recovered_to_date=int(to_date["amount"].sum()),
        paying_accounts_to_date=to_date["account_id"].n_unique(),
        buckets=overdue_report(session, span.last, creditor_id),
        remitted_recovered=0 if statement is None else statement.recovered,
        agency_fees=0 if statement is None else statement.agency_fees,
        net=0 if statement is None else statement.net,
        buckets_from_snapshot=overdue_basis(session, span.last).snapshot,
    )


def yuan(minor: int) -> str:
    """``1234567`` fen → ``12,345.67 元`` (the letters' formatting)."""
    return format_amount(minor, "CNY", "zh")


def percent(rate: Decimal | None) -> str:
    if rate is None:
        return "—"
    return f"{(rate * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("huikuan.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _stylesheet() -> str:
    return (resources.files("huikuan.reports") / "templates" / "monthly.css").read_text("utf-8")


def _context(report: MonthlyReport) -> dict[str, Any]:
    bucket_rows = [
        {
            "product": "全部产品" if row["product_code"] == ALL else row["product_code"],
            "bucket": row["bucket"],
            "accounts": f"{row['accounts']:,}",
            "amounts": [yuan(row[name]) for name in ("principal", "interest", "penalty", "fee")],
            "total": yuan(row["total"]),
            "subtotal": row["bucket"] == ALL,
        }
        for row in report.buckets.iter_rows(named=True)
    ]
    return {
        "r": report,
        "title": f"{report.creditor_name} 月度催收报告 {report.period}",
        "font_family": FONT_FAMILY,
        # Markup: our own packaged stylesheet.
        "css": Markup(_stylesheet()),
        "yuan": yuan,
        "percent": percent,
        "bucket_rows": bucket_rows,
    }


def render_html(report: MonthlyReport) -> str:
    """The report as a complete HTML document (what WeasyPrint lays out)."""
    return _environment().get_template("monthly.html").render(_context(report))


def render_pdf(report: MonthlyReport) -> bytes:
    """The report as A4 PDF bytes; the same report always gives the same bytes."""
    html = render_html(report)
    import weasyprint  # type: ignore[import-untyped]  # heavy, needs Pango: load on first use

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
