"""The reports as the web app serves them: who may open which, and the files themselves.

Data flow: a dashboard route names the report (overdue CSV / XLSX, monthly PDF) →
:func:`report_scope` decides from the caller's account alone which creditor's numbers they may
see (a creditor client: only its own, another creditor's id reads as "not found"; an in-house
manager or admin: any creditor, or all of them for the overdue report; an agency's manager and
every other role: none) → :func:`overdue_file` / :func:`monthly_pdf` build the bytes with
:mod:`huikuan.reports.overdue` and :mod:`huikuan.reports.monthly` (the same code as
``huikuan report …``) → an audit entry (``report.downloaded``: which report, which creditor)
in the request's transaction. :func:`report_links` lists what the caller may open, for the
dashboard pages' links. Reports hold aggregates only, no personal data.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal
from huikuan.audit.service import record
from huikuan.org.models import Creditor, Role
from huikuan.reports.monthly import creditor_month, render_pdf
from huikuan.reports.overdue import overdue_basis, overdue_report, write_csv, write_xlsx

REPORT_ROLES = frozenset({Role.MANAGER, Role.ADMIN, Role.CREDITOR_CLIENT})
OverdueFormat = Literal["csv", "xlsx"]


class ReportRefusedError(PermissionError):
    """The caller's role may hold a report right but their account does not (an agency's
    manager: creditor reports cover portfolios beyond the agency's cases)."""


@dataclass(frozen=True, slots=True)
class ReportLink:
    kind: str  # overdue_csv, overdue_xlsx, monthly_pdf
    creditor_id: int | None  # None: every creditor (overdue report only)
    creditor_code: str | None
    creditor_name: str | None
    href: str


def report_scope(session: Session, principal: Principal, creditor_id: int | None) -> int | None:
    """The creditor the caller's report covers (``None``: all; only in-house managers and
    admins get that). Another creditor's id, or an unknown one, is refused as not found."""
    if principal.role not in REPORT_ROLES:
        raise ReportRefusedError(f"role {principal.role.value} may not open reports")
    if principal.role is Role.CREDITOR_CLIENT:
        if principal.creditor_id is None:
            raise AccessDeniedError("this client account is bound to no creditor")
        if creditor_id is not None and creditor_id != principal.creditor_id:
            raise AccessDeniedError("another creditor's report")
        return principal.creditor_id
    if principal.agency_id is not None:
        raise ReportRefusedError("an agency's staff see no creditor reports")
    if creditor_id is not None and session.get(Creditor, creditor_id) is None:
        raise AccessDeniedError(f"no creditor {creditor_id}")
    return creditor_id


def _audit(
    session: Session, principal: Principal, at: datetime, kind: str, creditor: int | None
) -> None:
    record(
        session,
        at=at,
        actor=principal.username,
        action="report.downloaded",
        entity="creditor",
        entity_id=creditor if creditor is not None else "all",
        detail={"report": kind},
    )


def overdue_rows(
    session: Session, principal: Principal, as_of: date, creditor_id: int | None
) -> tuple[int | None, pl.DataFrame]:
    """The overdue report in the caller's scope: the creditor it covers and its rows."""
    scope = report_scope(session, principal, creditor_id)
    return scope, overdue_report(session, as_of, scope)


def overdue_file(
    session: Session,
    principal: Principal,
    as_of: date,
    creditor_id: int | None,
    fmt: OverdueFormat,
    *,
    at: datetime,
) -> bytes:
    """The overdue report as CSV or XLSX bytes (zh/en headers, amounts in fen; the XLSX notes
    whether the balances are that day's snapshot or today's)."""
    scope, frame = overdue_rows(session, principal, as_of, creditor_id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"overdue.{fmt}"
        if fmt == "csv":
            write_csv(frame, path)
        else:
            write_xlsx(frame, path, note=overdue_basis(session, as_of).note)
        content = path.read_bytes()
    _audit(session, principal, at, f"overdue_{fmt}", scope)
    return content


def monthly_pdf(
    session: Session,
    principal: Principal,
    creditor_id: int | None,
    period: str,
    *,
    today: date,
    at: datetime,
) -> bytes:
    """The creditor's monthly report (月度催收报告) as PDF. A client needs no creditor id (its
    own); a manager must name one. ``ValueError`` for a period that is not ``YYYY-MM``."""
    scope = report_scope(session, principal, creditor_id)
    if scope is None:
        raise ValueError("creditor: choose the creditor whose monthly report to open")
    content = render_pdf(creditor_month(session, scope, period, today=today))
    _audit(session, principal, at, "monthly_pdf", scope)
    return content


def report_links(
    session: Session, principal: Principal, *, as_of: date, period: str
) -> list[ReportLink]:
    """Every report the caller may open, with its link (none for other roles or accounts)."""
    try:
        scope = report_scope(session, principal, None)
    except (ReportRefusedError, AccessDeniedError):
        return []
    query = select(Creditor.id, Creditor.code, Creditor.name).order_by(Creditor.code)
    if scope is not None:
        query = query.where(Creditor.id == scope)
    creditors = session.execute(query).all()
    base = "/dashboards/reports"
    suffix = "" if scope is None else f"&creditor={scope}"
    links = [
        ReportLink(
            f"overdue_{fmt}",
            scope,
            None,
            None,
            f"{base}/overdue.{fmt}?date={as_of.isoformat()}{suffix}",
        )
        for fmt in ("xlsx", "csv")
    ]
    links += [
        ReportLink(
            "monthly_pdf", cid, code, name, f"{base}/monthly.pdf?creditor={cid}&month={period}"
        )
        for cid, code, name in creditors
    ]
    return links
