"""The KPI definitions, written once: name (zh/en), formula, numerator, denominator, unit.

Data flow: this module is pure data. :mod:`huikuan.kpis.engine` computes each KPI named here
(one function per entry of :data:`KPIS`, same code), :mod:`huikuan.kpis.service` reports them,
and ``docs.md`` in this folder is rendered from :func:`definitions_markdown` (a test keeps the
two identical). Conventions shared by every KPI:

* The period is ``[start, end]``, both business dates inclusive. "At period start" means at the
  close of the day before ``start``; "at period end" at the close of ``end``.
* Every KPI returns ``numerator``, ``denominator`` (integers: counts, fen, days, hours) and
  ``value`` = numerator ÷ denominator as ``Float64``, computed last (null when the denominator
  is 0). Money stays Int64 fen until that final division.
* Slices (切片) name columns of each account's or case's attributes; see :data:`SLICES`.

一处定义: 每个指标的名称、公式、分子、分母、单位都只在这里写一次。
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class Unit(StrEnum):
    RATIO = "ratio"  # 0..1
    FEN_PER_HOUR = "fen/hour"
    DAYS = "days"
    TOUCHES = "touches"
    PER_10K = "per 10,000"
    MATRIX = "ratio (matrix)"
    SCORE = "score 1-5"


# Slice name -> the column it reads, and what it means. Case-level KPIs take product, bucket and
# arm from the case's primary account (its lowest account id): a case with accounts of two
# products is counted once, under one of them, so slice totals still add up.
SLICES: Final = MappingProxyType(
    {
        "creditor": "creditor id (委托方)",
        "product": "product code (产品)",
        "placement": "placement batch id (委案批次)",
        "vintage": "month of 入催, the case's opened_on, as YYYY-MM (账龄批次)",
        "bucket": "bucket at period start, or the entry bucket if placed during the period (账龄)",
        "team": "team id of the team holding the case on the unit's day (组), from the 分案 "
        "history (see below)",
        "agent": "user id of the agent holding the case on the unit's day (坐席), from the 分案 "
        "history; for the survey KPIs, the agent of the surveyed contact",
        "agency": "agency id holding the case on the unit's day (委外机构); null: in-house",
        "arm": "strategy arm of the account: champion / challenger / holdout (策略分组)",
    }
)

ATTRIBUTION: Final = (
    "Each unit counts for the agent, team and agency holding the case on the unit's day, by "
    "the rule the commissions use (`huikuan.compensation.attribution`): of the case's 分案 "
    "assignments covering the day (assigned_on <= day < ended_on), the latest; none covering: "
    "nobody (null); a case with no assignment history at all: its current holder. The day of "
    "an event is its own: contact attempt, promise made (also for the kept rate), payment "
    "received, resolution, legal filing, survey sent. A stock counts on the period's first day "
    "(or the day the account was placed or the case opened, if later): opening balances, "
    "accounts and cases in a base, bucket outcomes at period end; a first payment or first "
    "contact counts on its day. A roll-matrix move counts on the first day of its month. Hours "
    "count for the agent who worked them, under the agent's own team and agency."
)
PAST_BALANCES: Final = (
    "Balances in the past come from the balance snapshot (余额快照) of the day needed where "
    "one exists: the daily cycle writes one at each month end, `huikuan kpi snapshot --date D` "
    "on demand (only for the last closed day: balances are kept only as they are now). "
    "Without one, a past balance is rebuilt as today's balance + receipts after that day, "
    "which leaves in the accrual since: approximate. The KPI report's `balance_basis` table "
    "(and the CLI) says which days were rebuilt; the overdue report and the monthly PDF say "
    "whether their bucket table is the day's snapshot or today's balances."
)

# Slices for which hours can be attributed (amount per agent hour is undefined elsewhere).
STAFF_SLICES: Final = frozenset({"agent", "team", "agency"})


@dataclass(frozen=True, slots=True)
class Kpi:
    code: str
    name_zh: str
    name_en: str
    formula: str
    numerator: str
    denominator: str
    unit: Unit
    higher_is_better: bool
    sources: tuple[str, ...]
    slices: frozenset[str] = frozenset(SLICES)


_ALL = frozenset(SLICES)

KPIS: Final[tuple[Kpi, ...]] = (
    Kpi(
        "recovery_rate_amount",
        "回收率(金额)",
        "Recovery rate by amount",
        "recovered in the period / balance owed at period start (or at placement when placed "
        "during the period)",
        "sum of payments received in the period (fen)",
        "opening balance (fen) of accounts placed by period end: the balance snapshot of the "
        "day before the period where one exists; otherwise (and for accounts placed during the "
        "period) rebuilt as today's balance + payments received since period start (accrual "
        "since then is not subtracted: approximate, conservative; the report's balance_basis "
        "says which)",
        Unit.RATIO,
        True,
        ("accounts", "payments"),
    ),
    Kpi(
        "recovery_rate_count",
        "回收率(户数)",
        "Recovery rate by count",
        "accounts with at least one payment in the period / accounts in the base",
        "accounts with a payment received in the period",
        "accounts placed by period end with an opening balance above 0",
        Unit.RATIO,
        True,
        ("accounts", "payments"),
    ),
    Kpi(
        "on_time_repayment_rate",
        "逾期还款率",
        "Overdue repayment rate",
        "accounts overdue at period start (bucket other than current) that received a payment "
        "in the period / accounts overdue at period start",
        "overdue-at-start accounts with a payment in the period",
        "accounts whose bucket at period start is not the current bucket (M0)",
        Unit.RATIO,
        True,
        ("accounts", "bucket_history", "payments"),
    ),
    Kpi(
        "cure_rate",
        "出催率(治愈率)",
        "Cure rate",
        "accounts in M1 or worse at period start that are current (M0) or settled at period end "
        "/ accounts in M1 or worse at period start",
        "of those, accounts current or settled at period end",
        "accounts delinquent (M1+) at period start",
        Unit.RATIO,
        True,
        ("accounts", "bucket_history", "payments"),
    ),
    Kpi(
        "roll_rate_matrix",
        "迁徙率矩阵",
        "Roll-rate (migration) matrix",
        "month over month: accounts in bucket X at the month's start snapshot that are in bucket "
        "Y (or 'settled') at its end snapshot / accounts in X at the start snapshot. Snapshots: "
        "the day before period start, every month end inside the period, period end (the first "
        "and last step are partial months when the period is not whole months). Also weighted "
        "by each account's balance at the month's start snapshot (numerator_amount / "
        "denominator_amount): the balance snapshot of that day where one exists, else rebuilt "
        "as today's balance + later receipts (approximate)",
        "accounts moving from X to Y in the month",
        "accounts in X at the month's start snapshot",
        Unit.MATRIX,
        False,
        ("bucket_history", "accounts", "payments"),
    ),
    Kpi(
        "roll_back_rate",
        "降期率",
        "Roll-back (降期) rate",
        "accounts in M2 or worse at period start whose bucket at period end is less severe but "
        "still delinquent / accounts in M2 or worse at period start (a cure to M0 counts as "
        "cure, not 降期)",
        "M2+ accounts that moved to a less severe delinquent bucket",
        "accounts in M2 or worse at period start",
        Unit.RATIO,
        True,
        ("bucket_history", "accounts", "payments"),
    ),
    Kpi(
        "contact_rate",
        "触达率",
        "Contact rate",
        "cases with at least one executed contact attempt in the period / cases worked",
        "worked cases with an executed attempt in the period",
        "cases worked: opened by period end and not closed before period start",
        Unit.RATIO,
        True,
        ("cases", "contact_attempts"),
    ),
    Kpi(
        "rpc_rate",
        "本人接通率(RPC)",
        "Right-party contact rate",
        "right-party conversations / executed voice attempts (phone, visit) in the period",
        "executed voice attempts to the consumer with outcome 'conversation'",
        "executed phone and visit attempts",
        Unit.RATIO,
        True,
        ("contact_attempts",),
    ),
    Kpi(
        "ptp_rate",
        "承诺还款率(PTP)",
        "Promise-to-pay rate",
        "promises made in the period / right-party conversations in the period",
        "promises created in the period",
        "right-party conversations in the period",
        Unit.RATIO,
        True,
        ("promises", "contact_attempts"),
    ),
    Kpi(
        "ptp_kept_rate",
        "承诺兑现率",
        "PTP-kept rate",
        "promises due in the period and kept / promises due in the period and judged (kept or "
        "broken; still-pending ones are left out until judged)",
        "promises due in the period with status kept",
        "promises due in the period with status kept or broken",
        Unit.RATIO,
        True,
        ("promises",),
    ),
    Kpi(
        "amount_per_agent_hour",
        "人均小时回款",
        "Recovered amount per agent hour",
        "payments in the period on cases held by the agent / agent hours. Assumption: an agent "
        "works one standard shift (default 8 hours) on each day with at least one executed "
        "contact attempt or closed call task; there is no time clock",
        "payments received in the period on cases the agent held on the day of the payment (fen)",
        "shift hours × the agent's active days in the period",
        Unit.FEN_PER_HOUR,
        True,
        ("payments", "cases", "contact_attempts", "call_tasks"),
        STAFF_SLICES,
    ),
    Kpi(
        "days_to_resolution",
        "入催至结案天数",
        "Days from 入催 to resolution",
        "over cases resolved in the period: total days from opened_on to resolution / cases "
        "resolved. Resolved: closed as settled, or every account of the case settled (the "
        "account's last payment date)",
        "sum of days from 入催 to resolution",
        "cases resolved in the period",
        Unit.DAYS,
        False,
        ("cases", "accounts", "payments"),
    ),
    Kpi(
        "touches_per_resolution",
        "结案触达次数",
        "Touches per resolution",
        "executed contact attempts on cases resolved in the period (from 入催 to resolution) / "
        "cases resolved in the period",
        "executed attempts on those cases between opened_on and resolution",
        "cases resolved in the period",
        Unit.TOUCHES,
        False,
        ("cases", "accounts", "payments", "contact_attempts"),
    ),
    Kpi(
        "complaint_rate",
        "投诉率(每万次联系)",
        "Complaints per 10,000 contacts",
        "value = complaints received in the period × 10,000 / executed contact attempts in the "
        "period (the one KPI whose value is scaled: numerator × 10,000 / denominator)",
        "complaints received in the period",
        "executed contact attempts in the period",
        Unit.PER_10K,
        False,
        ("complaints", "contact_attempts"),
    ),
    Kpi(
        "legal_filing_days",
        "移交诉讼至立案天数",
        "Legal referral-to-filing days",
        "over legal matters filed in the period: total days from referral to filing / matters "
        "filed",
        "sum of days from referred_at to filed_at",
        "legal matters filed in the period",
        Unit.DAYS,
        False,
        ("legal_matters",),
    ),
    Kpi(
        "compliance_blocks",
        "合规拦截(按规则)",
        "Compliance blocks by rule",
        "per rule id: proposals blocked or deferred citing the rule / all proposals in the "
        "period (contact attempts, plus strategy actions stopped before an attempt was "
        "recorded). A proposal citing two rules counts under each",
        "blocked or deferred proposals citing the rule",
        "all proposals in the period",
        Unit.RATIO,
        False,
        ("contact_attempts", "strategy_actions"),
    ),
    Kpi(
        "satisfaction_score",
        "客户满意度(平均分)",
        "Satisfaction score",
        "over post-contact surveys answered in the period: total of the scores (1–5) / answers. "
        "A survey follows a contact that reached the debtor (an agent's right-party call or "
        "visit, or the debtor's own page action), at most one per debtor per 30 days; its "
        "first answer (SMS reply 1–5 or the page link) counts, later ones are ignored",
        "sum of the scores of surveys answered in the period",
        "surveys answered in the period",
        Unit.SCORE,
        True,
        ("surveys", "cases"),
    ),
    Kpi(
        "satisfaction_share",
        "满意率(4-5分)",
        "Share satisfied",
        "surveys answered in the period with a score of 4 or 5 / surveys answered in the period",
        "answers scoring 4 or 5",
        "surveys answered in the period",
        Unit.RATIO,
        True,
        ("surveys", "cases"),
    ),
    Kpi(
        "survey_response_rate",
        "回访应答率",
        "Survey response rate",
        "surveys sent in the period that have been answered (by the time of the report) / "
        "surveys sent in the period",
        "surveys sent in the period and answered",
        "surveys sent in the period",
        Unit.RATIO,
        True,
        ("surveys", "cases"),
    ),
)

BY_CODE: Final = MappingProxyType({kpi.code: kpi for kpi in KPIS})


def definitions_markdown() -> str:
    """The definitions table for ``docs.md`` (zh/en), one row per KPI, in declaration order."""
    lines = [
        "# KPI definitions (指标定义)",
        "",
        "Generated from `huikuan/kpis/definitions.py` (a test checks this file matches it).",
        "Period `[start, end]`, business dates inclusive. Each KPI gives numerator, denominator",
        "(integers: counts, fen, days, hours) and value = numerator / denominator (Float64,",
        "computed last; null when the denominator is 0; `complaint_rate` alone is scaled by",
        "10,000). Champion/challenger statistics: `huikuan/kpis/experiments.py`.",
        "",
        "| code | 指标 | KPI | formula | numerator | denominator | unit | better | sources |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kpi in KPIS:
        better = "higher" if kpi.higher_is_better else "lower"
        cells = (
            f"`{kpi.code}`",
            kpi.name_zh,
            kpi.name_en,
            kpi.formula,
            kpi.numerator,
            kpi.denominator,
            kpi.unit.value,
            better,
            ", ".join(kpi.sources),
        )
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += ["", "## Slices (切片)", "", "| slice | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {meaning} |" for name, meaning in SLICES.items()]
    lines += [
        "",
        "`amount_per_agent_hour` is sliced by agent, team and agency only (hours belong to "
        "people, not to products or buckets).",
        "",
        "## Attribution to agent, team and agency (按时归属)",
        "",
        ATTRIBUTION,
        "",
        "## Past balances (历史余额)",
        "",
        PAST_BALANCES,
        "",
    ]
    return "\n".join(lines)
