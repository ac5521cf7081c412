"""Column layouts of the frames the KPI engine reads, and empty frames of each.

Money is Int64 fen, dates are Polars ``Date`` (business dates: a contact attempt's instant is
turned into its business day by the service, before the engine sees it). The service builds
these from the database; tests and the benchmark build them by hand or with NumPy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

ACCOUNTS: Mapping[str, pl.DataType] = {
    "account_id": pl.Int64(),
    "case_id": pl.Int64(),
    "creditor_id": pl.Int64(),
    "product_code": pl.String(),
    "placement_id": pl.Int64(),
    "placed_on": pl.Date(),
    "balance": pl.Int64(),  # owed now: principal + interest + penalty + fee (fen)
    "settled_on": pl.Date(),  # null unless settled: the day the last payment cleared it
}
CASES: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "creditor_id": pl.Int64(),
    "placement_id": pl.Int64(),
    "agency_id": pl.Int64(),
    "team_id": pl.Int64(),
    "agent_id": pl.Int64(),
    "state": pl.String(),
    "opened_on": pl.Date(),
    "closed_on": pl.Date(),
}
HISTORY: Mapping[str, pl.DataType] = {
    "account_id": pl.Int64(),
    "business_date": pl.Date(),
    "to_bucket": pl.String(),
}
PAYMENTS: Mapping[str, pl.DataType] = {
    "account_id": pl.Int64(),
    "received_on": pl.Date(),
    "amount": pl.Int64(),
}
ATTEMPTS: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "day": pl.Date(),
    "channel": pl.String(),
    "party": pl.String(),
    "outcome": pl.String(),
    "executed": pl.Boolean(),
    "decision": pl.String(),
    "rule_ids": pl.List(pl.String()),
    "agent_id": pl.Int64(),  # the user who made it; null for the system
}
# Strategy actions the guard stopped without a contact attempt being recorded.
STOPPED_ACTIONS: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "day": pl.Date(),
    "decision": pl.String(),
    "rule_ids": pl.List(pl.String()),
}
PROMISES: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "created_on": pl.Date(),
    "promised_on": pl.Date(),
    "status": pl.String(),
    "amount": pl.Int64(),
}
COMPLAINTS: Mapping[str, pl.DataType] = {"case_id": pl.Int64(), "received_on": pl.Date()}
LEGAL: Mapping[str, pl.DataType] = {
    "case_id": pl.Int64(),
    "referred_on": pl.Date(),
    "filed_on": pl.Date(),
}
# One row per agent and day with work done outside contact attempts (closed call tasks).
ACTIVITY: Mapping[str, pl.DataType] = {"agent_id": pl.Int64(), "day": pl.Date()}
STAFF: Mapping[str, pl.DataType] = {
    "agent_id": pl.Int64(),
    "team_id": pl.Int64(),
    "agency_id": pl.Int64(),
}
ARMS: Mapping[str, pl.DataType] = {"account_id": pl.Int64(), "arm": pl.String()}
# Post-contact satisfaction surveys (huikuan.kpis.survey): the agent is the agent of the
# surveyed contact (null after a debtor's own page action); score 1–5, null until answered.
SURVEYS: Mapping[str, pl.DataType] = {
    "survey_id": pl.Int64(),
    "case_id": pl.Int64(),
    "agent_id": pl.Int64(),
    "sent_on": pl.Date(),
    "answered_on": pl.Date(),
    "score": pl.Int64(),
}
# 分案 history (huikuan.cases.models.Assignment): who held a case from ``assigned_on`` up to,
# not including, ``ended_on`` (null: still holds it).
ASSIGNMENTS: Mapping[str, pl.DataType] = {
    "assignment_id": pl.Int64(),
    "case_id": pl.Int64(),
    "assigned_on": pl.Date(),
    "ended_on": pl.Date(),
    "agent_id": pl.Int64(),
    "team_id": pl.Int64(),
    "agency_id": pl.Int64(),
}
# Balance snapshots (huikuan.kpis.models.BalanceSnapshot) of the days a report needs: what each
# account owed (principal + interest + penalty + fee, fen) at the close of ``business_date``.
# A date is present whole or not at all.
SNAPSHOTS: Mapping[str, pl.DataType] = {
    "business_date": pl.Date(),
    "account_id": pl.Int64(),
    "balance": pl.Int64(),
}
SEVERITY: Mapping[str, pl.DataType] = {
    "product_code": pl.String(),
    "bucket": pl.String(),
    "severity": pl.Int64(),
}


def empty(schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=dict(schema))


def frame(rows: Sequence[Sequence[object]], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Rows (tuples in schema order) as a frame of exactly that layout."""
    return pl.DataFrame(list(rows), schema=dict(schema), orient="row")


@dataclass(frozen=True, slots=True)
class KpiFrames:
    """Everything the full report reads. ``payments`` holds every receipt on or after the period
    start (later ones too: they rebuild the opening balance where no snapshot exists); the
    other event frames may hold more than the period, the engine filters. ``assignments``
    (empty: every case is attributed to its current holder) and ``snapshots`` (empty: every
    balance is rebuilt) are optional."""

    accounts: pl.DataFrame
    cases: pl.DataFrame
    history: pl.DataFrame
    payments: pl.DataFrame
    attempts: pl.DataFrame
    stopped_actions: pl.DataFrame
    promises: pl.DataFrame
    complaints: pl.DataFrame
    legal: pl.DataFrame
    activity: pl.DataFrame
    staff: pl.DataFrame
    arms: pl.DataFrame
    severity: pl.DataFrame
    surveys: pl.DataFrame = field(default_factory=lambda: empty(SURVEYS))
    assignments: pl.DataFrame = field(default_factory=lambda: empty(ASSIGNMENTS))
    snapshots: pl.DataFrame = field(default_factory=lambda: empty(SNAPSHOTS))
