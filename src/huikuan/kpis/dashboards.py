"""The numbers behind the workbench dashboards (manager, team lead, creditor client, commissions).

Data flow: :func:`scope_of` turns the caller into a :class:`Scope` (or refuses the role) →
:func:`~huikuan.kpis.service.load_frames` reads the portfolio once → :func:`scoped_frames` keeps
only the caller's cases (their creditor, agency or team; never a query parameter) and what hangs
off them (accounts, bucket history, payments, contacts, promises …) → the vectorised engine
(:func:`~huikuan.kpis.engine.compute_all`, unsliced and by agent, and the champion/challenger
comparison of :mod:`huikuan.kpis.experiments`) → each dashboard's :class:`ReportTable` list:
rows of plain values (fen as integers, rates as floats) with zh/en column titles and, where the
page draws it, a :class:`ChartSpec` telling ``static/dashboards.js`` which columns to plot.

The same tables feed the HTML page (each chart's JSON data block and the table behind it), the
``/api/dashboards/...`` routes and the XLSX/CSV exports (:func:`write_xlsx`, :func:`write_csv`),
so the three cannot disagree.

The recovery curve by vintage is the one figure the KPI engine does not give: per vintage (month
of 入催), money recovered by the end of each month since 入催, cumulative, over the vintage's
placed balance, rebuilt as today's balance + every payment ever received (accrual since
placement is not subtracted, as in the engine's recovery rate: the curve is conservative).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Literal

import polars as pl
import xlsxwriter  # type: ignore[import-untyped]  # ships no type information
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal
from huikuan.accounts.service import load_policies
from huikuan.compensation.schemes import NoSchemeError
from huikuan.compensation.service import (
    AgentStatement,
    RemittanceStatement,
    StatementDocument,
    SubjectKind,
    agent_statements,
    remittance_statements,
    statement_documents,
)
from huikuan.core.money import format_minor
from huikuan.kpis import frames as kf
from huikuan.kpis.engine import account_dims, compute_all, cure_rate, positions
from huikuan.kpis.experiments import CHAMPION, compare_arms, experiment_frames
from huikuan.kpis.service import load_frames
from huikuan.org.models import Role, User
from huikuan.payments.models import Payment
from huikuan.quality.service import quality_score

Cell = str | int | float | bool | None
ColumnKind = Literal["text", "int", "money", "rate", "number", "bool"]
ChartKind = Literal["line", "bar", "heatmap", "funnel"]

MANAGER_ROLES = frozenset({Role.MANAGER, Role.ADMIN})
TEAM_ROLES = frozenset({Role.TEAM_LEAD})
CLIENT_ROLES = frozenset({Role.CREDITOR_CLIENT})
COMMISSION_ROLES = frozenset({Role.MANAGER, Role.ADMIN, Role.TEAM_LEAD})
MAX_DAYS = 366  # one KPI refresh per request: a year is the widest window a page asks for


class Column(BaseModel):
    key: str
    zh: str
    en: str
    kind: ColumnKind = "text"


class ChartSpec(BaseModel):
    """Which columns ``dashboards.js`` plots: ``x`` along the axis (or the funnel's stage),
    ``y`` the value (the heat map's y axis), ``series`` one line per value, ``value`` the heat
    map's cell value."""

    kind: ChartKind
    x: str
    y: str
    series: str | None = None
    value: str | None = None


class ReportTable(BaseModel):
    key: str
    zh: str
    en: str
    columns: list[Column]
    rows: list[dict[str, Cell]]
    chart: ChartSpec | None = None


class DashboardRead(BaseModel):
    """One dashboard for one period: its tables, in page order."""

    name: str
    start: date
    end: date
    month: str | None = None  # the statement month (client dashboard, commissions)
    scope: str  # "all", "agency:<id>", "team:<id>", "creditor:<id>"
    tables: list[ReportTable]

    def table(self, key: str) -> ReportTable:
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(key)


class DashboardUnavailableError(Exception):
    """The numbers cannot be computed until someone fixes the set-up (a product policy that
    cannot be read, no commission scheme in force); the message says what to fix."""


def _load(session: Session, start: date, end: date) -> kf.KpiFrames:
    try:
        load_policies(session)  # read first, so a broken policy is named, not a KeyError
    except (KeyError, TypeError, ValueError) as exc:
        raise DashboardUnavailableError(
            f"a product policy cannot be read ({type(exc).__name__}: {exc}); fix the product set-up"
        ) from exc
    return load_frames(session, start, end)


def _remittances(session: Session, period: str) -> list[RemittanceStatement]:
    try:
        return remittance_statements(session, period)
    except NoSchemeError as exc:
        raise DashboardUnavailableError(str(exc)) from exc


# ------------------------------------------------------------------------------------ scope


class Scope(BaseModel):
    """The cases a dashboard covers; every ``None`` field is unrestricted."""

    creditor_id: int | None = None
    agency_id: int | None = None
    team_id: int | None = None
    nothing: bool = False  # a team lead without a team, a client without a creditor

    def label(self) -> str:
        if self.nothing:
            return "none"
        for name in ("creditor", "team", "agency"):
            value = getattr(self, f"{name}_id")
            if value is not None:
                return f"{name}:{value}"
        return "all"


def scope_of(principal: Principal, allowed: frozenset[Role]) -> Scope:
    """The caller's scope, from their account only; a role outside ``allowed`` is refused."""
    if principal.role not in allowed:
        raise AccessDeniedError(f"role {principal.role.value} may not see this dashboard")
    if principal.role is Role.CREDITOR_CLIENT:
        return Scope(creditor_id=principal.creditor_id, nothing=principal.creditor_id is None)
    if principal.role is Role.TEAM_LEAD:
        return Scope(
            agency_id=principal.agency_id,
            team_id=principal.team_id,
            nothing=principal.team_id is None,
        )
    return Scope(agency_id=principal.agency_id)


def _in(column: str, values: pl.Series) -> pl.Expr:
    return pl.col(column).is_in(values.implode())


def scoped_frames(frames: kf.KpiFrames, scope: Scope) -> kf.KpiFrames:
    """The frames cut down to the scope's cases and what belongs to them."""
    keep = pl.lit(not scope.nothing)
    for column, value in (
        ("creditor_id", scope.creditor_id),
        ("agency_id", scope.agency_id),
        ("team_id", scope.team_id),
    ):
        if value is not None:
            keep = keep & (pl.col(column) == value)
    cases = frames.cases.filter(keep)
    case_ids = cases.get_column("case_id")
    accounts = frames.accounts.filter(_in("case_id", case_ids))
    account_ids = accounts.get_column("account_id")
    staff = frames.staff
    if scope.nothing:
        staff = staff.clear()
    elif scope.team_id is not None:
        staff = staff.filter(pl.col("team_id") == scope.team_id)
    elif scope.agency_id is not None:
        staff = staff.filter(pl.col("agency_id") == scope.agency_id)
    elif scope.creditor_id is not None:
        staff = staff.clear()  # a client sees no staff figures
    return replace(
        frames,
        accounts=accounts,
        cases=cases,
        history=frames.history.filter(_in("account_id", account_ids)),
        payments=frames.payments.filter(_in("account_id", account_ids)),
        attempts=frames.attempts.filter(_in("case_id", case_ids)),
        stopped_actions=frames.stopped_actions.filter(_in("case_id", case_ids)),
        promises=frames.promises.filter(_in("case_id", case_ids)),
        complaints=frames.complaints.filter(_in("case_id", case_ids)),
        legal=frames.legal.filter(_in("case_id", case_ids)),
        activity=frames.activity.filter(_in("agent_id", staff.get_column("agent_id"))),
        staff=staff,
        arms=frames.arms.filter(_in("account_id", account_ids)),
        surveys=frames.surveys.filter(_in("case_id", case_ids)),
        assignments=frames.assignments.filter(_in("case_id", case_ids)),
        snapshots=frames.snapshots.filter(_in("account_id", account_ids)),
    )


# ------------------------------------------------------------------------------------ tables


def _col(key: str, zh: str, en: str, kind: ColumnKind = "text") -> Column:
    return Column(key=key, zh=zh, en=en, kind=kind)


def _rows(frame: pl.DataFrame, columns: Sequence[Column]) -> list[dict[str, Cell]]:
    keys = [c.key for c in columns]
    return [{k: row[k] for k in keys} for row in frame.select(keys).iter_rows(named=True)]


def _total(frame: pl.DataFrame, column: str) -> int:
    return int(frame.get_column(column).sum() or 0) if frame.height else 0


def _all_payments(session: Session) -> pl.DataFrame:
    """Every receipt ever (the curve's base needs those after the period end too)."""
    rows = session.execute(select(Payment.account_id, Payment.received_on, Payment.amount)).all()
    return kf.frame([tuple(r) for r in rows], kf.PAYMENTS)


def recovery_curve(frames: kf.KpiFrames, all_payments: pl.DataFrame, end: date) -> ReportTable:
    """Cumulative recovery rate by month since 入催, one line per vintage (see the module doc)."""
    columns = [
        _col("vintage", "账龄批次(入催月)", "Vintage (month of 入催)"),
        _col("month_index", "入催后月数", "Months since 入催", "int"),
        _col("recovered", "累计回收", "Recovered to date", "money"),
        _col("base", "入催余额", "Placed balance", "money"),
        _col("rate", "累计回收率", "Cumulative recovery rate", "rate"),
    ]
    month_no = pl.col("opened_on").dt.year() * 12 + pl.col("opened_on").dt.month() - 1
    end_no = end.year * 12 + end.month - 1
    accounts = (
        frames.accounts.select("account_id", "case_id", "balance")
        .join(frames.cases.select("case_id", "opened_on"), on="case_id", how="inner")
        .filter(pl.col("opened_on") <= end)
        .with_columns(month_no.alias("vintage_no"))
    )
    paid = all_payments.join(accounts.select("account_id", "vintage_no"), on="account_id")
    ever = paid.group_by("account_id").agg(pl.col("amount").sum().alias("ever"))
    base = (
        accounts.join(ever, on="account_id", how="left")
        .group_by("vintage_no")
        .agg((pl.col("balance") + pl.col("ever").fill_null(0)).sum().cast(pl.Int64).alias("base"))
    )
    received_no = pl.col("received_on").dt.year() * 12 + pl.col("received_on").dt.month() - 1
    monthly = (
        paid.filter(pl.col("received_on") <= end)
        .with_columns((received_no - pl.col("vintage_no")).alias("month_index"))
        .group_by("vintage_no", "month_index")
        .agg(pl.col("amount").sum().cast(pl.Int64).alias("amount"))
    )
    grid = base.with_columns(
        pl.int_ranges(0, end_no - pl.col("vintage_no") + 1).alias("month_index")
    ).explode("month_index")
    curve = (
        grid.with_columns(pl.col("month_index").cast(pl.Int64))
        .join(
            monthly.with_columns(pl.col("month_index").cast(pl.Int64)),
            on=["vintage_no", "month_index"],
            how="left",
        )
        .sort("vintage_no", "month_index")
        .with_columns(
            pl.col("amount")
            .fill_null(0)
            .cum_sum()
            .over("vintage_no")
            .cast(pl.Int64)
            .alias("recovered"),
            (
                (pl.col("vintage_no") // 12).cast(pl.String)
                + "-"
                + (pl.col("vintage_no") % 12 + 1).cast(pl.String).str.zfill(2)
            ).alias("vintage"),
        )
        .with_columns(
            pl.when(pl.col("base") > 0)
            .then(pl.col("recovered").cast(pl.Float64) / pl.col("base").cast(pl.Float64))
            .otherwise(None)
            .alias("rate")
        )
    )
    return ReportTable(
        key="recovery_curve",
        zh="分账龄批次回收曲线",
        en="Recovery curve by vintage",
        columns=columns,
        rows=_rows(curve, columns),
        chart=ChartSpec(kind="line", x="month_index", y="rate", series="vintage"),
    )


def roll_rates(report: dict[str, pl.DataFrame]) -> ReportTable:
    """The period's roll-rate matrix: every month's moves added up (count-weighted)."""
    columns = [
        _col("from_bucket", "期初账龄", "From bucket"),
        _col("to_bucket", "期末账龄", "To bucket"),
        _col("accounts", "迁移户数", "Accounts moved", "int"),
        _col("base", "期初户数", "Accounts at start", "int"),
        _col("rate", "迁徙率", "Roll rate", "rate"),
    ]
    matrix = report["roll_rate_matrix"]
    cells = matrix.group_by("from_bucket", "to_bucket").agg(
        pl.col("numerator").sum().cast(pl.Int64).alias("accounts")
    )
    rows = (
        matrix.select("month", "from_bucket", "denominator")
        .unique()
        .group_by("from_bucket")
        .agg(pl.col("denominator").sum().cast(pl.Int64).alias("base"))
    )
    table = (
        cells.join(rows, on="from_bucket")
        .with_columns(
            (pl.col("accounts").cast(pl.Float64) / pl.col("base").cast(pl.Float64)).alias("rate")
        )
        .sort("from_bucket", "to_bucket")
    )
    return ReportTable(
        key="roll_rates",
        zh="迁徙率矩阵",
        en="Roll-rate matrix",
        columns=columns,
        rows=_rows(table, columns),
        chart=ChartSpec(kind="heatmap", x="to_bucket", y="from_bucket", value="rate"),
    )


def funnel(report: dict[str, pl.DataFrame]) -> ReportTable:
    columns = [
        _col("stage", "环节", "Stage"),
        _col("stage_en", "环节(英文)", "Stage (English)"),
        _col("count", "数量", "Count", "int"),
    ]
    stages = (
        ("执行的联系", "Contact attempts", _total(report["complaint_rate"], "denominator")),
        ("本人接通", "Right-party contacts", _total(report["rpc_rate"], "numerator")),
        ("承诺还款", "Promises to pay", _total(report["ptp_rate"], "numerator")),
        ("承诺兑现", "Promises kept", _total(report["ptp_kept_rate"], "numerator")),
        ("有回款账户", "Accounts paying", _total(report["recovery_rate_count"], "numerator")),
    )
    return ReportTable(
        key="funnel",
        zh="从联系到回款漏斗",
        en="Funnel from contact to payment",
        columns=columns,
        rows=[{"stage": zh, "stage_en": en, "count": n} for zh, en, n in stages],
        chart=ChartSpec(kind="funnel", x="stage", y="count"),
    )


def agent_league(
    session: Session,
    sliced: dict[str, pl.DataFrame],
    agent_ids: Iterable[int],
    start: date,
    end: date,
) -> ReportTable:
    """Per agent (the case's current agent): recovered, RPC rate, PTP-kept rate, QA score, and
    the mean satisfaction score of the surveys after the agent's own contacts."""
    columns = [
        _col("agent", "坐席", "Agent"),
        _col("agent_name", "姓名", "Name"),
        _col("recovered", "回收金额", "Recovered", "money"),
        _col("rpc_rate", "本人接通率", "RPC rate", "rate"),
        _col("ptp_kept_rate", "承诺兑现率", "PTP-kept rate", "rate"),
        _col("qa_score", "质检分", "QA score", "int"),
        _col("satisfaction", "满意度(1-5)", "Satisfaction (1-5)", "number"),
    ]
    wanted = sorted(set(agent_ids))
    users = {
        u.id: u
        for u in session.scalars(select(User).where(User.id.in_(wanted)))
        if u.role == Role.AGENT.value
    }

    def by_agent(code: str, column: str) -> dict[int, object]:
        frame = sliced[code].filter(pl.col("agent").is_not_null())
        return dict(
            zip(
                frame.get_column("agent").to_list(), frame.get_column(column).to_list(), strict=True
            )
        )

    recovered = by_agent("recovery_rate_amount", "numerator")
    rpc = by_agent("rpc_rate", "value")
    kept = by_agent("ptp_kept_rate", "value")
    satisfied = by_agent("satisfaction_score", "value")
    rows: list[dict[str, Cell]] = []
    for agent_id, user in users.items():
        rows.append(
            {
                "agent": user.username,
                "agent_name": user.display_name,
                "recovered": int(recovered.get(agent_id) or 0),  # type: ignore[call-overload]
                "rpc_rate": rpc.get(agent_id),  # type: ignore[dict-item]
                "ptp_kept_rate": kept.get(agent_id),  # type: ignore[dict-item]
                "qa_score": quality_score(session, agent_id, start, end),
                "satisfaction": _score(satisfied.get(agent_id)),
            }
        )
    rows.sort(key=lambda r: (-int(r["recovered"] or 0), str(r["agent"])))
    return ReportTable(
        key="agent_league",
        zh="坐席排行榜",
        en="Agent league table",
        columns=columns,
        rows=rows,
        chart=ChartSpec(kind="bar", x="agent", y="recovered"),
    )


def _score(value: object) -> float | None:
    return round(value, 2) if isinstance(value, float) else None


def compliance_by_rule(report: dict[str, pl.DataFrame]) -> ReportTable:
    columns = [
        _col("rule_id", "规则", "Rule"),
        _col("blocked", "拦截或推迟", "Blocked or deferred", "int"),
        _col("proposals", "全部联系提议", "All proposals", "int"),
        _col("rate", "拦截率", "Block rate", "rate"),
    ]
    frame = report["compliance_blocks"].rename(
        {"numerator": "blocked", "denominator": "proposals", "value": "rate"}
    )
    return ReportTable(
        key="compliance_blocks",
        zh="合规拦截(按规则)",
        en="Compliance blocks by rule",
        columns=columns,
        rows=_rows(frame.sort("blocked", "rule_id", descending=[True, False]), columns),
        chart=ChartSpec(kind="bar", x="rule_id", y="blocked"),
    )


def experiment_table(frames: kf.KpiFrames, start: date, end: date) -> ReportTable:
    """Cure rate per strategy arm with its Wilson interval; each arm's lift over the champion
    (the champion's over the hold-out) with its Newcombe interval and significance."""
    columns = [
        _col("arm", "策略分组", "Arm"),
        _col("cured", "治愈户数", "Cured", "int"),
        _col("accounts", "户数", "Accounts", "int"),
        _col("rate", "治愈率", "Cure rate", "rate"),
        _col("low", "区间下限", "Interval low", "rate"),
        _col("high", "区间上限", "Interval high", "rate"),
        _col("baseline", "对照组", "Compared with"),
        _col("lift", "提升", "Lift", "rate"),
        _col("lift_low", "提升下限", "Lift low", "rate"),
        _col("lift_high", "提升上限", "Lift high", "rate"),
        _col("significant", "显著", "Significant", "bool"),
    ]
    positioned = positions(
        frames.accounts,
        frames.history,
        frames.payments,
        frames.severity,
        start,
        end,
        frames.snapshots,
    )
    dims = account_dims(frames.accounts, frames.cases, positioned, frames.arms)
    arms, lifts = experiment_frames(compare_arms(cure_rate(positioned, dims, ["arm"])))
    lift_of = {row["arm"]: row for row in lifts.iter_rows(named=True)}
    rows: list[dict[str, Cell]] = []
    for arm in arms.iter_rows(named=True):
        found = lift_of.get(arm["arm"])
        rows.append(
            {
                "arm": arm["arm"],
                "cured": arm["successes"],
                "accounts": arm["trials"],
                "rate": arm["rate"],
                "low": arm["low"],
                "high": arm["high"],
                "baseline": found["baseline"] if found else None,
                "lift": found["difference"] if found else None,
                "lift_low": found["low"] if found else None,
                "lift_high": found["high"] if found else None,
                "significant": found["significant"] if found else None,
            }
        )
    rows.sort(key=lambda r: (r["arm"] != CHAMPION, str(r["arm"])))
    return ReportTable(
        key="experiment",
        zh="冠军/挑战者对比",
        en="Champion / challenger",
        columns=columns,
        rows=rows,
    )


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise ValueError("end: the period ends before it starts")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"start: the period is longer than {MAX_DAYS} days")


def _team_agents(session: Session, scope: Scope) -> list[int]:
    query = select(User.id).where(User.role == Role.AGENT.value)
    if scope.nothing or scope.creditor_id is not None:
        return []
    if scope.team_id is not None:
        query = query.where(User.team_id == scope.team_id)
    if scope.agency_id is not None:
        query = query.where(User.agency_id == scope.agency_id)
    return list(session.scalars(query))


def staff_dashboard(
    session: Session, principal: Principal, start: date, end: date, *, name: str
) -> DashboardRead:
    """The manager dashboard (``name="manager"``: manager, admin) or the team lead's
    (``name="team"``: the lead's team only): the same tables over the caller's scope."""
    allowed = MANAGER_ROLES if name == "manager" else TEAM_ROLES
    scope = scope_of(principal, allowed)
    _check_period(start, end)
    frames = scoped_frames(_load(session, start, end), scope)
    report = compute_all(frames, start, end)
    sliced = compute_all(frames, start, end, ["agent"])
    all_payments = _all_payments(session).filter(
        _in("account_id", frames.accounts.get_column("account_id"))
    )
    tables = [
        recovery_curve(frames, all_payments, end),
        roll_rates(report),
        funnel(report),
        agent_league(session, sliced, _team_agents(session, scope), start, end),
        compliance_by_rule(report),
        experiment_table(frames, start, end),
    ]
    return DashboardRead(name=name, start=start, end=end, scope=scope.label(), tables=tables)


def _month_of(period: str | None, end: date) -> str:
    return period or end.strftime("%Y-%m")


def client_dashboard(
    session: Session, principal: Principal, start: date, end: date, month: str | None = None
) -> DashboardRead:
    """A creditor client's own portfolio: recovery curve, recovered by month, and the
    remittance statement (recovered, agencies' fees, net) of ``month`` (default: ``end``'s)."""
    scope = scope_of(principal, CLIENT_ROLES)
    _check_period(start, end)
    period = _month_of(month, end)
    frames = scoped_frames(_load(session, start, end), scope)
    all_payments = _all_payments(session).filter(
        _in("account_id", frames.accounts.get_column("account_id"))
    )
    month_columns = [
        _col("month", "月份", "Month"),
        _col("payments", "笔数", "Payments", "int"),
        _col("recovered", "回收金额", "Recovered", "money"),
    ]
    by_month = (
        all_payments.filter(pl.col("received_on").is_between(start, end))
        .group_by(pl.col("received_on").dt.strftime("%Y-%m").alias("month"))
        .agg(
            pl.len().cast(pl.Int64).alias("payments"),
            pl.col("amount").sum().cast(pl.Int64).alias("recovered"),
        )
        .sort("month")
    )
    remit_columns = [
        _col("line", "来源", "Source"),
        _col("recovered", "回收金额", "Recovered", "money"),
        _col("fee", "委外佣金", "Agency fee", "money"),
        _col("net", "应汇净额", "Net to remit", "money"),
    ]
    remit_rows: list[dict[str, Cell]] = []
    if not scope.nothing:
        for statement in _remittances(session, period):
            if statement.creditor_id != scope.creditor_id:
                continue
            for line in statement.lines():
                recovered, fee = int(str(line["recovered"])), int(str(line["fee"]))
                label = "in_house" if line["kind"] == "in_house" else f"agency:{line['agency']}"
                remit_rows.append(
                    {"line": label, "recovered": recovered, "fee": fee, "net": recovered - fee}
                )
            remit_rows.append(
                {
                    "line": "total",
                    "recovered": statement.recovered,
                    "fee": statement.agency_fees,
                    "net": statement.net,
                }
            )
    tables = [
        recovery_curve(frames, all_payments, end),
        ReportTable(
            key="recovered_by_month",
            zh="按月回收",
            en="Recovered by month",
            columns=month_columns,
            rows=_rows(by_month, month_columns),
            chart=ChartSpec(kind="bar", x="month", y="recovered"),
        ),
        ReportTable(
            key="remittance",
            zh=f"{period} 回款结算单",
            en=f"Remittance statement {period}",
            columns=remit_columns,
            rows=remit_rows,
        ),
    ]
    return DashboardRead(
        name="client", start=start, end=end, month=period, scope=scope.label(), tables=tables
    )


# ------------------------------------------------------------------------------ commissions


def commission_agent_ids(session: Session, principal: Principal) -> set[int] | None:
    """Whose statements the caller may see: ``None`` for every agent (an in-house manager or
    admin); a team lead's team, an agency manager's agency otherwise."""
    scope = scope_of(principal, COMMISSION_ROLES)
    if scope.team_id is None and scope.agency_id is None and not scope.nothing:
        return None
    return set(_team_agents(session, scope))


def commission_statements(
    session: Session, principal: Principal, period: str
) -> list[AgentStatement]:
    allowed = commission_agent_ids(session, principal)
    try:
        found = agent_statements(session, period)
    except NoSchemeError as exc:
        raise DashboardUnavailableError(str(exc)) from exc
    return [s for s in found if allowed is None or s.agent_id in allowed]


def commission_documents(
    session: Session, principal: Principal, period: str
) -> list[StatementDocument]:
    allowed = commission_agent_ids(session, principal)
    try:
        found = statement_documents(session, period, SubjectKind.AGENT)
    except NoSchemeError as exc:
        raise DashboardUnavailableError(str(exc)) from exc
    return [d for d in found if allowed is None or d.subject_id in allowed]


def commissions_dashboard(
    session: Session, principal: Principal, period: str, start: date, end: date
) -> DashboardRead:
    columns = [
        _col("agent", "坐席", "Agent"),
        _col("agent_name", "姓名", "Name"),
        _col("collected", "回收金额", "Collected", "money"),
        _col("base", "提成基数", "Base", "money"),
        _col("commission", "提成", "Commission", "money"),
        _col("quality_adjustment", "质检调整", "Quality adjustment", "money"),
        _col("qa_score", "质检分", "QA score", "int"),
        _col("quality_multiplier", "质检系数", "Quality multiplier"),
        _col("clawback", "追回", "Clawback", "money"),
        _col("net", "净额", "Net", "money"),
    ]
    rows: list[dict[str, Cell]] = []
    for s in commission_statements(session, principal, period):
        totals = s.totals()
        rows.append(
            {
                "agent": s.username,
                "agent_name": s.display_name,
                **{c.key: totals[c.key] for c in columns[2:]},  # type: ignore[misc]
            }
        )
    scope = scope_of(principal, COMMISSION_ROLES)
    table = ReportTable(
        key="commissions",
        zh=f"{period} 坐席提成单",
        en=f"Agent commission statements {period}",
        columns=columns,
        rows=rows,
        chart=ChartSpec(kind="bar", x="agent", y="net"),
    )
    return DashboardRead(
        name="commissions",
        start=start,
        end=end,
        month=period,
        scope=scope.label(),
        tables=[table],
    )


# ---------------------------------------------------------------------------------- exports


def _header(column: Column) -> str:
    return f"{column.zh} {column.en}"


def _sheet_name(table: ReportTable, used: set[str]) -> str:
    name = "".join(ch for ch in table.en if ch not in "[]:*?/\\")[:28]
    while name in used:
        name = name[:26] + f"{len(used):02d}"
    used.add(name)
    return name


def write_xlsx(dashboard: DashboardRead) -> bytes:
    """Every table of the dashboard on its own sheet, headers in Chinese and English; money in
    yuan (exact, from fen), rates as percentages."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    try:
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "text_wrap": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        rate = workbook.add_format({"num_format": "0.00%"})
        used: set[str] = set()
        for table in dashboard.tables:
            sheet = workbook.add_worksheet(_sheet_name(table, used))
            sheet.freeze_panes(1, 0)
            for col, column in enumerate(table.columns):
                sheet.write_string(0, col, _header(column), header)
                sheet.set_column(col, col, 18)
            for index, row in enumerate(table.rows, start=1):
                for col, column in enumerate(table.columns):
                    value = row.get(column.key)
                    if value is None:
                        continue
                    if isinstance(value, bool):
                        sheet.write_boolean(index, col, value)
                    elif column.kind == "money" and isinstance(value, int):
                        sheet.write_number(index, col, Decimal(value).scaleb(-2), money)
                    elif column.kind == "rate" and isinstance(value, float):
                        sheet.write_number(index, col, value, rate)
                    elif isinstance(value, int | float):
                        sheet.write_number(index, col, value)
                    else:
                        sheet.write_string(index, col, str(value))
    finally:
        workbook.close()
    return buffer.getvalue()


def _text(column: Column, value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if column.kind == "money" and isinstance(value, int):
        return format_minor(value, "CNY", grouping=False)
    if column.kind == "rate" and isinstance(value, float):
        return f"{value:.6f}"
    return str(value)


def write_csv(dashboard: DashboardRead) -> bytes:
    """Every table one after the other (a title line, the headers, the rows, a blank line), in
    UTF-8 with a BOM so Excel opens the Chinese headers; money in yuan, rates as fractions."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for table in dashboard.tables:
        writer.writerow([f"{table.zh} {table.en}"])
        writer.writerow([_header(c) for c in table.columns])
        for row in table.rows:
            writer.writerow([_text(c, row.get(c.key)) for c in table.columns])
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
