"""Dashboards (看板): KPIs and money in charts for managers, team leads and creditor clients.

Data flow: each route resolves the caller (``require_roles``: a role outside the dashboard's
→ 403) and the period from the query (default: the 30 days up to the business date) → one
function of :mod:`huikuan.kpis.dashboards`, which scopes the numbers by the caller's account
(creditor, agency, team; never by a query parameter) → a :class:`DashboardRead`:

* the HTML page renders each table behind a ``<details>`` and its chart data as a JSON block
  (``<script type="application/json">``, not executed, so the CSP ``script-src 'self'`` allows
  it) that ``static/dashboards.js`` draws with the vendored ECharts;
* ``/api/dashboards/...`` returns the same model;
* ``/dashboards/<name>/export.xlsx`` and ``.csv`` write the same tables (zh/en headers); the
  commission exports are :mod:`huikuan.compensation.exports`' statement files;
* ``/dashboards/reports/overdue.xlsx|csv`` and ``/dashboards/reports/monthly.pdf`` serve the
  reports of :mod:`huikuan.reports` (the regulator-style overdue report, the monthly creditor
  PDF) through :mod:`huikuan.reports.service`, which scopes them by the caller's account (a
  creditor client: its own creditor only; in-house managers and admins: any) and audits each
  download; the manager's and the client's dashboards link to them.

Nothing here writes to the database but the audit entry of a report download.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from pydantic import BaseModel
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal
from huikuan.compensation.exports import write_csv as write_statement_csv
from huikuan.compensation.exports import write_xlsx as write_statement_xlsx
from huikuan.compensation.service import SubjectKind
from huikuan.kpis.dashboards import (
    CLIENT_ROLES,
    COMMISSION_ROLES,
    MANAGER_ROLES,
    TEAM_ROLES,
    DashboardRead,
    DashboardUnavailableError,
    ReportTable,
    client_dashboard,
    commission_documents,
    commissions_dashboard,
    staff_dashboard,
    write_csv,
    write_xlsx,
)
from huikuan.org.models import Role
from huikuan.reports.overdue import ALL
from huikuan.reports.service import (
    REPORT_ROLES,
    ReportRefusedError,
    monthly_pdf,
    overdue_file,
    overdue_rows,
    report_links,
)
from huikuan.web.areas import NavItem
from huikuan.web.auth import require_roles
from huikuan.web.deps import Config, DbSession, WebConfig
from huikuan.web.rendering import render

Manager = Annotated[Principal, Depends(require_roles(*MANAGER_ROLES))]
Lead = Annotated[Principal, Depends(require_roles(*TEAM_ROLES))]
Client = Annotated[Principal, Depends(require_roles(*CLIENT_ROLES))]
Payroll = Annotated[Principal, Depends(require_roles(*COMMISSION_ROLES))]
Reader = Annotated[Principal, Depends(require_roles(*REPORT_ROLES))]
AsOf = Annotated[
    date | None, Query(alias="date", description="As-of date (default: the business date)")
]
CreditorId = Annotated[
    int | None,
    Query(ge=1, le=2**31, description="Creditor id (a client: its own, the default)"),
]
Start = Annotated[date | None, Query(description="First business day (default: end − 29 days)")]
End = Annotated[date | None, Query(description="Last business day (default: the business date)")]
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
Month = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="Statement month YYYY-MM")]
DEFAULT_DAYS = 30

router = APIRouter()
pages = APIRouter(prefix="/dashboards", include_in_schema=False)
api = APIRouter(prefix="/api/dashboards", tags=["dashboards"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "The caller's role may not see this dashboard"},
    409: {
        "description": "The set-up is incomplete (no commission scheme or fee schedule in "
        "force, a product policy that cannot be read); the detail says what to fix"
    },
    422: {"description": "A period that ends before it starts, or longer than a year"},
}

NAV = (
    NavItem("dashboards.nav.manager", "/dashboards/manager", MANAGER_ROLES, order=60),
    NavItem("dashboards.nav.team", "/dashboards/team", TEAM_ROLES, order=60),
    NavItem("dashboards.nav.client", "/dashboards/client", CLIENT_ROLES, order=60),
    NavItem("dashboards.nav.commissions", "/dashboards/commissions", COMMISSION_ROLES, order=61),
)
# The creditor client keeps the portal as home; the manager's work starts from the numbers.
HOME = {Role.MANAGER: "/dashboards/manager"}


def _period(config: WebConfig, start: date | None, end: date | None) -> tuple[date, date]:
    last = end or config.business_date()
    return start or last - timedelta(days=DEFAULT_DAYS - 1), last


def _json_block(table: ReportTable) -> Markup:
    """The table as JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and
    ``&`` escaped so no value (an agent's name, a rule id) can close the element."""
    text = json.dumps(table.model_dump(mode="json"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # escaped above for the script-data context


Build = Callable[[Session, Principal, date, date, str | None], DashboardRead]


def _build(name: str) -> Build:
    def build(
        session: Session, principal: Principal, start: date, end: date, month: str | None
    ) -> DashboardRead:
        if name == "client":
            return client_dashboard(session, principal, start, end, month)
        if name == "commissions":
            return commissions_dashboard(
                session, principal, month or end.strftime("%Y-%m"), start, end
            )
        return staff_dashboard(session, principal, start, end, name=name)

    return build


def _query(start: date, end: date, month: str | None) -> str:
    params = {"start": start.isoformat(), "end": end.isoformat()}
    if month:
        params["month"] = month
    return urlencode(params)


def _page(
    request: Request,
    name: str,
    principal: Principal,
    session: Session,
    config: WebConfig,
    start: date | None,
    end: date | None,
    month: str | None = None,
) -> Response:
    first, last = _period(config, start, end)
    status = 200
    try:
        dashboard: DashboardRead | None = _build(name)(session, principal, first, last, month)
        error = None
    except ValueError as exc:
        dashboard, error, status = None, str(exc), 422
    except DashboardUnavailableError as exc:
        dashboard, error, status = None, str(exc), 409
    chosen = dashboard.month if dashboard is not None else month
    links = (
        report_links(session, principal, as_of=last, period=chosen or last.strftime("%Y-%m"))
        if name in ("manager", "client") and dashboard is not None
        else []
    )
    return render(
        request,
        "dashboards/page.html",
        {
            "title_key": f"dashboards.{name}.title",
            "name": name,
            "dashboard": dashboard,
            "start": first,
            "end": last,
            "month": chosen,
            "with_month": name in ("client", "commissions"),
            "error": error,
            "query": _query(first, last, chosen),
            "json_block": _json_block,
            "report_links": links,
        },
        status_code=status,
    )


def _api(
    name: str,
    principal: Principal,
    session: Session,
    config: WebConfig,
    start: date | None,
    end: date | None,
    month: str | None = None,
) -> DashboardRead:
    first, last = _period(config, start, end)
    try:
        return _build(name)(session, principal, first, last, month)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    except DashboardUnavailableError as exc:
        raise HTTPException(409, str(exc)) from exc


def _file(content: bytes, name: str, suffix: str) -> Response:
    media = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if suffix == "xlsx"
        else "text/csv; charset=utf-8"
    )
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{safe}.{suffix}"'},
    )


def _export(
    name: str,
    suffix: str,
    principal: Principal,
    session: Session,
    config: WebConfig,
    start: date | None,
    end: date | None,
    month: str | None = None,
) -> Response:
    dashboard = _api(name, principal, session, config, start, end, month)
    content = write_xlsx(dashboard) if suffix == "xlsx" else write_csv(dashboard)
    tag = dashboard.month or f"{dashboard.start}_{dashboard.end}"
    return _file(content, f"dashboard-{name}-{tag}", suffix)


# --------------------------------------------------------------------------------- manager


@pages.get("/manager")
def manager_page(
    request: Request,
    principal: Manager,
    session: DbSession,
    config: Config,
    start: Start = None,
    end: End = None,
) -> Response:
    return _page(request, "manager", principal, session, config, start, end)


@pages.get("/manager/export.{suffix}")
def manager_export(
    suffix: str,
    principal: Manager,
    session: DbSession,
    config: Config,
    start: Start = None,
    end: End = None,
) -> Response:
    return _export("manager", _suffix(suffix), principal, session, config, start, end)


@api.get("/manager", response_model=DashboardRead, responses=ERRORS)
def manager_json(
    principal: Manager, session: DbSession, config: Config, start: Start = None, end: End = None
) -> DashboardRead:
    """Recovery curve by vintage, roll-rate matrix, contact-to-payment funnel, agent league,
    compliance blocks by rule, champion/challenger: over the caller's whole scope (an agency
    manager: the agency's cases)."""
    return _api("manager", principal, session, config, start, end)


# ------------------------------------------------------------------------------------ team


@pages.get("/team")
def team_page(
    request: Request,
    principal: Lead,
    session: DbSession,
    config: Config,
    start: Start = None,
    end: End = None,
) -> Response:
    return _page(request, "team", principal, session, config, start, end)


@pages.get("/team/export.{suffix}")
def team_export(
    suffix: str,
    principal: Lead,
    session: DbSession,
    config: Config,
    start: Start = None,
    end: End = None,
) -> Response:
    return _export("team", _suffix(suffix), principal, session, config, start, end)


@api.get("/team", response_model=DashboardRead, responses=ERRORS)
def team_json(
    principal: Lead, session: DbSession, config: Config, start: Start = None, end: End = None
) -> DashboardRead:
    """The manager dashboard's tables over the team lead's own team only."""
    return _api("team", principal, session, config, start, end)


# ---------------------------------------------------------------------------------- client


@pages.get("/client")
def client_page(
    request: Request,
    principal: Client,
    session: DbSession,
    config: Config,
    start: Start = None,
    end: End = None,
    month: Month = None,
) -> Response:
    return _page(request, "client", principal, session, config, start, end, month)


@pages.get("/client/export.{suffix}")
def client_export(
    suffix: str,
    principal: Client,
    session: DbSession,
    config: Config,
    start: Start = None,
    end: End = None,
    month: Month = None,
) -> Response:
    return _export("client", _suffix(suffix), principal, session, config, start, end, month)


@api.get("/client", response_model=DashboardRead, responses=ERRORS)
def client_json(
    principal: Client,
    session: DbSession,
    config: Config,
    start: Start = None,
    end: End = None,
    month: Month = None,
) -> DashboardRead:
    """The caller's own creditor only (from their account): recovery curve, recovered by month,
    the remittance statement of ``month`` (default: the end date's month)."""
    return _api("client", principal, session, config, start, end, month)


# ----------------------------------------------------------------------------- commissions


@pages.get("/commissions")
def commissions_page(
    request: Request,
    principal: Payroll,
    session: DbSession,
    config: Config,
    month: Month = None,
) -> Response:
    return _page(request, "commissions", principal, session, config, None, None, month)


@pages.get("/commissions/export.{suffix}")
def commissions_export(
    suffix: str,
    principal: Payroll,
    session: DbSession,
    config: Config,
    month: Month = None,
) -> Response:
    """The agents' statement files of :mod:`huikuan.compensation.exports` (summary + lines)."""
    kind = _suffix(suffix)
    period = month or config.business_date().strftime("%Y-%m")
    try:
        docs = commission_documents(session, principal, period)
    except DashboardUnavailableError as exc:
        raise HTTPException(409, str(exc)) from exc
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / f"statements.{kind}"
        if kind == "xlsx":
            write_statement_xlsx(docs, SubjectKind.AGENT, path)
        else:
            write_statement_csv(docs, SubjectKind.AGENT, path)
        content = path.read_bytes()
    return _file(content, f"commissions-{period}", kind)


@api.get("/commissions", response_model=DashboardRead, responses=ERRORS)
def commissions_json(
    principal: Payroll, session: DbSession, config: Config, month: Month = None
) -> DashboardRead:
    """Agent commission statements of ``month``: every agent for an in-house manager or admin,
    the agency's for an agency manager, the team's for a team lead."""
    return _api("commissions", principal, session, config, None, None, month)


# --------------------------------------------------------------------------------- reports


class ReportLinkRead(BaseModel):
    kind: str
    creditor_id: int | None
    creditor_code: str | None
    creditor_name: str | None
    href: str


class OverdueRowRead(BaseModel):
    """One product × bucket cell; ``合计`` in product and/or bucket marks a (sub)total."""

    product_code: str
    bucket: str
    accounts: int
    principal: int
    interest: int
    penalty: int
    fee: int
    total: int


class OverdueReportRead(BaseModel):
    as_of: date
    creditor_id: int | None  # None: every creditor
    total_label: str = ALL
    rows: list[OverdueRowRead]


def _refused(exc: ReportRefusedError) -> HTTPException:
    return HTTPException(403, str(exc))


@pages.get("/reports/overdue.{suffix}")
def overdue_export(
    suffix: str,
    principal: Reader,
    session: DbSession,
    config: Config,
    on: AsOf = None,
    creditor: CreditorId = None,
) -> Response:
    """The regulator-style overdue report (逾期报表): balances and counts by product × bucket."""
    kind = _suffix(suffix)
    as_of = on or config.business_date()
    try:
        content = overdue_file(
            session, principal, as_of, creditor, "csv" if kind == "csv" else "xlsx", at=config.now()
        )
    except ReportRefusedError as exc:
        raise _refused(exc) from exc
    tag = f"{as_of.isoformat()}-{creditor or 'all'}"
    return _file(content, f"overdue-{tag}", kind)


@pages.get("/reports/monthly.pdf")
def monthly_export(
    principal: Reader,
    session: DbSession,
    config: Config,
    creditor: CreditorId = None,
    month: Month = None,
) -> Response:
    """The monthly creditor report (月度催收报告) as PDF: a client's own creditor only."""
    today = config.business_date()
    period = month or today.strftime("%Y-%m")
    try:
        content = monthly_pdf(session, principal, creditor, period, today=today, at=config.now())
    except ReportRefusedError as exc:
        raise _refused(exc) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"monthly-{creditor or 'own'}-{period}")
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{safe}.pdf"'},
    )


@api.get(
    "/reports",
    response_model=list[ReportLinkRead],
    responses={401: ERRORS[401], 403: ERRORS[403]},
)
def reports_json(
    principal: Reader, session: DbSession, config: Config, month: Month = None
) -> list[ReportLinkRead]:
    """The reports the caller may open (overdue CSV / XLSX, monthly PDF per creditor)."""
    today = config.business_date()
    links = report_links(session, principal, as_of=today, period=month or today.strftime("%Y-%m"))
    return [ReportLinkRead.model_validate(link, from_attributes=True) for link in links]


@api.get(
    "/reports/overdue",
    response_model=OverdueReportRead,
    responses={**ERRORS, 404: {"description": "Another creditor's report"}},
)
def overdue_json(
    principal: Reader,
    session: DbSession,
    config: Config,
    on: AsOf = None,
    creditor: CreditorId = None,
) -> OverdueReportRead:
    """The overdue report's rows (amounts in fen), in the caller's scope."""
    as_of = on or config.business_date()
    try:
        scope, frame = overdue_rows(session, principal, as_of, creditor)
    except ReportRefusedError as exc:
        raise _refused(exc) from exc
    rows = [OverdueRowRead.model_validate(row) for row in frame.iter_rows(named=True)]
    return OverdueReportRead(as_of=as_of, creditor_id=scope, rows=rows)


def _suffix(suffix: str) -> str:
    if suffix not in ("xlsx", "csv"):
        raise HTTPException(404)
    return suffix


router.include_router(pages)
router.include_router(api)


ZH = {
    "dashboards.nav.manager": "经营看板",
    "dashboards.nav.team": "团队看板",
    "dashboards.nav.client": "回收看板",
    "dashboards.nav.commissions": "提成单",
    "dashboards.manager.title": "经营看板",
    "dashboards.team.title": "团队看板",
    "dashboards.client.title": "回收看板",
    "dashboards.commissions.title": "坐席提成单",
    "dashboards.start": "开始日期",
    "dashboards.end": "结束日期",
    "dashboards.month": "结算月份",
    "dashboards.show": "查看",
    "dashboards.export_xlsx": "导出 XLSX",
    "dashboards.export_csv": "导出 CSV",
    "dashboards.numbers": "数据表",
    "dashboards.empty": "本期没有数据",
    "dashboards.yes": "是",
    "dashboards.no": "否",
    "dashboards.period": "期间",
    "dashboards.error": "无法生成",
    "dashboards.chart": "图表",
    "dashboards.reports": "报表",
    "dashboards.report.overdue_xlsx": "逾期报表 XLSX",
    "dashboards.report.overdue_csv": "逾期报表 CSV",
    "dashboards.report.monthly_pdf": "月度催收报告 PDF",
    "dashboards.report.all": "全部委托方",
}
EN = {
    "dashboards.nav.manager": "Dashboard",
    "dashboards.nav.team": "Team dashboard",
    "dashboards.nav.client": "Recovery dashboard",
    "dashboards.nav.commissions": "Commissions",
    "dashboards.manager.title": "Management dashboard",
    "dashboards.team.title": "Team dashboard",
    "dashboards.client.title": "Recovery dashboard",
    "dashboards.commissions.title": "Agent commission statements",
    "dashboards.start": "From",
    "dashboards.end": "To",
    "dashboards.month": "Statement month",
    "dashboards.show": "Show",
    "dashboards.export_xlsx": "Export XLSX",
    "dashboards.export_csv": "Export CSV",
    "dashboards.numbers": "Numbers",
    "dashboards.empty": "No data for this period",
    "dashboards.yes": "yes",
    "dashboards.no": "no",
    "dashboards.period": "Period",
    "dashboards.error": "Cannot show this",
    "dashboards.chart": "Chart",
    "dashboards.reports": "Reports",
    "dashboards.report.overdue_xlsx": "Overdue report XLSX",
    "dashboards.report.overdue_csv": "Overdue report CSV",
    "dashboards.report.monthly_pdf": "Monthly report PDF",
    "dashboards.report.all": "all creditors",
}
