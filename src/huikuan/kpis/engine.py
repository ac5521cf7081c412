"""The KPI engine: pure, vectorised functions over Polars frames (no I/O, no clock).

Data flow: :func:`positions` turns bucket history, balances and payments into one row per
account for the period (bucket at start and end, severity, opening balance, amount paid);
:func:`account_dims` and :func:`case_dims` attach the slice columns (creditor, product, …, arm)
to each account and case. Each KPI function (named as in :data:`~huikuan.kpis.definitions.KPIS`)
reduces its events to *units* — one row per account, case, attempt, promise … with an integer
``numerator`` and ``denominator`` — joins the dims, groups by the requested slices and divides
last. Every result has the slice columns, ``numerator``, ``denominator`` (Int64: counts, fen,
days, hours) and ``value`` (Float64, null when the denominator is 0). :func:`compute_all` runs
every KPI over a :class:`~huikuan.kpis.frames.KpiFrames`.

Because each unit lands in exactly one slice group, a KPI's numerators and denominators summed
over any slicing equal the unsliced totals (the tests check it).

Staff slices (agent, team, agency) follow the 分案 history: every unit carries the business day
it is attributed on (``on``: an event's own day — contact, promise made, payment, resolution,
filing — or, for a stock such as an opening balance, the period's first day or the account's
placement in it), and :func:`holders_on` names the holder of the case on that day by the rule
the commissions use (:mod:`huikuan.compensation.attribution`; a Hypothesis test proves the two
agree). So a payment counts for the agent who held the case when the money came in, not for
whoever holds it now.

Balances in the past come from balance snapshots (:mod:`huikuan.kpis.snapshots`) where one
exists for the day needed (the day before the period, each month end of the roll matrix);
otherwise they are rebuilt as today's balance + the receipts after that day (accrual since then
is not subtracted), and :func:`balance_basis` says which was used, per day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from huikuan.core.policy import ProductPolicy
from huikuan.kpis.definitions import SLICES, STAFF_SLICES
from huikuan.kpis.frames import ASSIGNMENTS, PAYMENTS, SEVERITY, SNAPSHOTS, KpiFrames, empty

SETTLED = "settled"  # the pseudo-bucket of a paid-off account in snapshots and the matrix
VOICE_CHANNELS = ("phone", "visit")
STOPPED = ("blocked", "deferred")
JUDGED = ("kept", "broken")
DEFAULT_SHIFT_HOURS = 8
PER_10K = 10_000
SATISFIED_SCORE = 4  # a survey answer of 4 or 5 counts as satisfied

_NUM, _DEN = pl.col("numerator"), pl.col("denominator")
STAFF = ("agent", "team", "agency")  # the slices the 分案 history decides
ON = "on"  # a unit's attribution day


def severity_table(policies: Sequence[ProductPolicy]) -> pl.DataFrame:
    """``product_code, bucket, severity`` (0 = current) from each product's bucket scheme."""
    rows = [
        (policy.code, code, index)
        for policy in policies
        for index, code in enumerate(policy.bucket_scheme.codes)
    ]
    return pl.DataFrame(rows, schema=dict(SEVERITY), orient="row")


def check_slices(by: Sequence[str], allowed: frozenset[str] = frozenset(SLICES)) -> None:
    unknown = [name for name in by if name not in allowed]
    if unknown:
        raise ValueError(f"unknown slice {', '.join(unknown)}; one of {', '.join(sorted(allowed))}")


def _in_period(column: str, start: date, end: date) -> pl.Expr:
    return pl.col(column).is_between(pl.lit(start, pl.Date()), pl.lit(end, pl.Date()))


def _finish(
    units: pl.DataFrame,
    dims: pl.DataFrame,
    key: str,
    by: Sequence[str],
    *,
    extra: Sequence[str] = (),
    scale: int = 1,
    holders: Holders | None = None,
    attributed: Sequence[str] = STAFF,
) -> pl.DataFrame:
    """Sum each unit's numerator and denominator by slices (+ ``extra`` keys), divide last.

    With ``holders``, the ``attributed`` staff slices come from the holder of the unit's case on
    the unit's ``on`` day; without, from ``dims`` (the case's current holder).
    """
    check_slices(by)
    keys = [*by, *extra]
    data = units
    staff = [name for name in by if name in attributed]
    if staff and holders is not None and ON in data.columns:
        if "case_id" not in data.columns:
            data = data.join(dims.select(key, "case_id"), on=key, how="left")
        data = holders_on(data, holders, ON).drop([n for n in STAFF if n not in staff])
    rest = [name for name in by if name not in data.columns]
    if rest:
        data = data.join(dims.select(key, *rest), on=key, how="left")
    sums = (_NUM.sum().cast(pl.Int64), _DEN.sum().cast(pl.Int64))
    grouped = (
        data.group_by(keys).agg(*sums).sort(keys, nulls_last=True) if keys else data.select(*sums)
    )
    value = (
        pl.when(_DEN > 0)
        .then(_NUM.cast(pl.Float64) * scale / _DEN.cast(pl.Float64))
        .otherwise(None)
        .alias("value")
    )
    return grouped.with_columns(value)


def _units(
    frame: pl.DataFrame,
    key: str,
    numerator: pl.Expr,
    denominator: pl.Expr,
    on: pl.Expr | None = None,
) -> pl.DataFrame:
    """One row per unit: ``key, numerator, denominator`` and, with ``on``, its attribution day."""
    columns = [
        pl.col(key),
        numerator.cast(pl.Int64).alias("numerator"),
        denominator.cast(pl.Int64).alias("denominator"),
    ]
    if on is not None:
        columns.append(on.cast(pl.Date()).alias(ON))
    return frame.select(columns)


# --------------------------------------------------------------------------------------------
# Who held the case: the 分案 history
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holders:
    """The 分案 history (:data:`~huikuan.kpis.frames.ASSIGNMENTS`) and the cases (their current
    holder stands in for a case that has no history at all)."""

    assignments: pl.DataFrame
    cases: pl.DataFrame

    @classmethod
    def of(cls, frames: KpiFrames) -> Holders:
        return cls(frames.assignments, frames.cases)

    @classmethod
    def current(cls, cases: pl.DataFrame) -> Holders:
        """No history: every case is attributed to its current holder."""
        return cls(empty(ASSIGNMENTS), cases)


def holders_on(events: pl.DataFrame, holders: Holders, day: str) -> pl.DataFrame:
    """``events`` (with ``case_id`` and the date column ``day``) plus ``agent, team, agency``:
    who held the case on that day.

    The rule of :func:`huikuan.compensation.attribution.receipts_in`, vectorised: of the case's
    assignments covering the day (``assigned_on <= day < ended_on``, an open end covering every
    later day), the last in ``(assigned_on, id)`` order; none covering: nobody (nulls); a case
    with no assignment ever: its current holder; no case: nulls. Row order is not kept.
    """
    a = holders.assignments.select(
        "case_id",
        "assigned_on",
        "ended_on",
        "assignment_id",
        pl.col("agent_id").alias("_h_agent"),
        pl.col("team_id").alias("_h_team"),
        pl.col("agency_id").alias("_h_agency"),
    )
    # Resolve each distinct (case, day) once: events repeat them many times over.
    pairs = (
        events.select("case_id", pl.col(day).alias("_day"))
        .filter(pl.col("case_id").is_not_null() & pl.col("_day").is_not_null())
        .unique()
    )
    covers = (pl.col("assigned_on") <= pl.col("_day")) & (
        pl.col("ended_on").is_null() | (pl.col("_day") < pl.col("ended_on"))
    )
    chosen = (
        pairs.join(a, on="case_id", how="inner")
        .filter(covers)
        .sort("assigned_on", "assignment_id")
        .group_by("case_id", "_day")
        .agg(pl.col("_h_agent", "_h_team", "_h_agency").last())
    )
    with_history = a.select("case_id").unique().with_columns(pl.lit(True).alias("_history"))
    current = holders.cases.select(
        "case_id",
        pl.col("agent_id").alias("_c_agent"),
        pl.col("team_id").alias("_c_team"),
        pl.col("agency_id").alias("_c_agency"),
    )
    history = pl.col("_history").fill_null(False)
    return (
        events.with_columns(pl.col(day).alias("_day"))
        .join(chosen, on=["case_id", "_day"], how="left")
        .join(with_history, on="case_id", how="left")
        .join(current, on="case_id", how="left")
        .with_columns(
            pl.when(history)
            .then(pl.col(f"_h_{name}"))
            .otherwise(pl.col(f"_c_{name}"))
            .cast(pl.Int64)
            .alias(name)
            for name in STAFF
        )
        .drop(
            "_day",
            "_history",
            *(f"_{kind}_{name}" for kind in ("h", "c") for name in STAFF),
        )
    )


# --------------------------------------------------------------------------------------------
# Positions and dimensions
# --------------------------------------------------------------------------------------------


def bucket_snapshots(
    history: pl.DataFrame, account_ids: pl.Series, days: Sequence[date]
) -> pl.DataFrame:
    """``account_id, snapshot, bucket``: each account's bucket at the close of each day.

    Each history row is tagged with the first snapshot it counts for (a sorted search over the
    few snapshot days), reduced to the last row per account and snapshot, and carried forward
    over the (account × snapshot) grid in NumPy (no as-of join, no per-row Python). ``bucket``
    is null before the account's first history row.
    """
    snapshot_days = sorted(set(days))
    snaps = pl.Series("snapshot", snapshot_days, dtype=pl.Date())
    changes = history.select("account_id", "business_date", "to_bucket").with_row_index("order")
    step = np.searchsorted(
        snaps.to_physical().to_numpy(),
        changes.get_column("business_date").to_physical().to_numpy(),
        side="left",
    )
    count = len(snapshot_days)
    tagged = (
        changes.with_columns(pl.Series("step", step, dtype=pl.Int64()))
        .filter(pl.col("step") < count)
        .sort("business_date", "order")
        .group_by("account_id", "step")
        .agg(pl.col("to_bucket").last())
        .with_columns(pl.col("to_bucket").rank("dense").cast(pl.Int64).alias("code"))
    )
    labels = tagged.get_column("to_bucket").unique().sort().to_list()
    # Scatter each (account, snapshot)'s code into a flat account-major grid, then carry it
    # forward: the running maximum of "index of the last filled cell", kept only while it
    # still points into the same account's block of ``count`` cells.
    ids = np.sort(account_ids.to_numpy())
    flat = np.zeros(ids.shape[0] * count, dtype=np.int64)
    cells = np.searchsorted(ids, tagged.get_column("account_id").to_numpy()) * count
    flat[cells + tagged.get_column("step").to_numpy()] = tagged.get_column("code").to_numpy()
    index = np.arange(flat.shape[0])
    last = np.maximum.accumulate(np.where(flat > 0, index, 0))
    filled = np.where(last >= (index // count) * count, flat[last], 0)
    return pl.DataFrame(
        {
            "account_id": np.repeat(ids, count),
            "step": np.tile(np.arange(count, dtype=np.int64), ids.shape[0]),
            "code": filled,
        },
        schema={"account_id": pl.Int64(), "step": pl.Int64(), "code": pl.Int64()},
    ).select(
        "account_id",
        pl.col("step").replace_strict(list(range(count)), snapshot_days).alias("snapshot"),
        pl.col("code")
        .replace_strict(list(range(1, len(labels) + 1)), labels, default=None)
        .cast(pl.String())
        .alias("bucket"),
    )


def _with_settled(bucket: str, day: pl.Expr) -> pl.Expr:
    """A paid-off account shows as ``settled`` from its settlement day (history keeps no row)."""
    settled = pl.col("settled_on").is_not_null() & (pl.col("settled_on") <= day)
    return pl.when(settled).then(pl.lit(SETTLED)).otherwise(pl.col(bucket))


def balances_on(
    accounts: pl.DataFrame,
    payments: pl.DataFrame,
    snapshots: pl.DataFrame,
    days: Sequence[date],
) -> pl.DataFrame:
    """``account_id, business_date, balance, exact``: what each account owed at the close of
    each day (fen).

    From the day's balance snapshot where the account is in it (``exact``); otherwise rebuilt
    as today's balance + the receipts after that day (``payments`` must hold them; accrual since
    then is not subtracted, so a rebuilt past balance is too high by that accrual).
    """
    wanted = sorted(set(days))
    day_frame = pl.DataFrame({"business_date": wanted}, schema={"business_date": pl.Date()})
    after = [
        payments.filter(pl.col("received_on") > pl.lit(day, pl.Date()))
        .group_by("account_id")
        .agg(pl.col("amount").sum().cast(pl.Int64).alias("_after"))
        .with_columns(pl.lit(day, pl.Date()).alias("business_date"))
        for day in wanted
    ]
    later = (
        pl.concat(after)
        if after
        else pl.DataFrame(
            schema={"account_id": pl.Int64(), "_after": pl.Int64(), "business_date": pl.Date()}
        )
    )
    taken = snapshots.filter(pl.col("business_date").is_in(wanted)).select(
        "business_date", "account_id", pl.col("balance").alias("_snap")
    )
    return (
        accounts.select("account_id", "balance")
        .join(day_frame, how="cross")
        .join(later, on=["account_id", "business_date"], how="left")
        .join(taken, on=["account_id", "business_date"], how="left")
        .select(
            "account_id",
            "business_date",
            pl.coalesce("_snap", pl.col("balance") + pl.col("_after").fill_null(0))
            .cast(pl.Int64)
            .alias("balance"),
            pl.col("_snap").is_not_null().alias("exact"),
        )
    )


def positions(
    accounts: pl.DataFrame,
    history: pl.DataFrame,
    payments: pl.DataFrame,
    severity: pl.DataFrame,
    start: date,
    end: date,
    snapshots: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per account: where it stood at period start and end, and what it paid.

    Columns: ``account_id, open_bucket, close_bucket, entry_bucket, open_severity,
    close_severity, settled_end, placed_by_end, opening_balance, opening_exact, paid, entry_on,
    first_paid_on``. Severity is null for ``settled`` and for accounts not yet placed.
    ``opening_balance`` is the balance at the close of the day before ``start``
    (:func:`balances_on`: the snapshot of that day where the account is in it, ``opening_exact``;
    else today's balance + every receipt since ``start``, so ``payments`` must hold all receipts
    on or after ``start``). ``entry_on``: the period's first day, or the placement day if later
    (the day stocks are attributed on); ``first_paid_on``: the first receipt in the period.
    """
    if end < start:
        raise ValueError("the period ends before it starts")
    before = start - timedelta(days=1)
    snaps = bucket_snapshots(history, accounts.get_column("account_id"), [before, end])
    open_b = snaps.filter(pl.col("snapshot") == before).select(
        "account_id", pl.col("bucket").alias("open_bucket")
    )
    close_b = snaps.filter(pl.col("snapshot") == end).select(
        "account_id", pl.col("bucket").alias("close_bucket")
    )
    entry = (
        history.filter(_in_period("business_date", start, end))
        .sort("business_date", maintain_order=True)
        .group_by("account_id")
        .agg(pl.col("to_bucket").first().alias("entry_bucket"))
    )
    opening = balances_on(
        accounts, payments, _no_snapshots() if snapshots is None else snapshots, [before]
    ).select(
        "account_id",
        pl.col("balance").alias("opening_balance"),
        pl.col("exact").alias("opening_exact"),
    )
    in_period = (
        payments.filter(_in_period("received_on", start, end))
        .group_by("account_id")
        .agg(
            pl.col("amount").sum().alias("paid"), pl.col("received_on").min().alias("first_paid_on")
        )
    )
    sev = severity.select("product_code", "bucket", "severity")
    base = (
        accounts.select("account_id", "product_code", "placed_on", "balance", "settled_on")
        .join(open_b, on="account_id", how="left")
        .join(close_b, on="account_id", how="left")
        .join(entry, on="account_id", how="left")
        .join(opening, on="account_id", how="left")
        .join(in_period, on="account_id", how="left")
        .with_columns(
            _with_settled("open_bucket", pl.lit(before, pl.Date())).alias("open_bucket"),
            _with_settled("close_bucket", pl.lit(end, pl.Date())).alias("close_bucket"),
            (pl.col("settled_on") <= end).fill_null(False).alias("settled_end"),
            (pl.col("placed_on") <= end).alias("placed_by_end"),
            pl.col("paid").fill_null(0),
            pl.max_horizontal(pl.col("placed_on"), pl.lit(start, pl.Date())).alias("entry_on"),
        )
    )
    return (
        base.join(
            sev.rename({"bucket": "open_bucket", "severity": "open_severity"}),
            on=["product_code", "open_bucket"],
            how="left",
        )
        .join(
            sev.rename({"bucket": "close_bucket", "severity": "close_severity"}),
            on=["product_code", "close_bucket"],
            how="left",
        )
        .select(
            "account_id",
            "open_bucket",
            "close_bucket",
            "entry_bucket",
            "open_severity",
            "close_severity",
            "settled_end",
            "placed_by_end",
            "opening_balance",
            "opening_exact",
            "paid",
            "entry_on",
            "first_paid_on",
        )
        .sort("account_id")
    )


def _no_snapshots() -> pl.DataFrame:
    return empty(SNAPSHOTS)


def account_dims(
    accounts: pl.DataFrame, cases: pl.DataFrame, positioned: pl.DataFrame, arms: pl.DataFrame
) -> pl.DataFrame:
    """``account_id, case_id`` and one column per slice (see :data:`SLICES`)."""
    case_part = cases.select(
        "case_id",
        pl.col("opened_on").dt.strftime("%Y-%m").alias("vintage"),
        pl.col("team_id").alias("team"),
        pl.col("agent_id").alias("agent"),
        pl.col("agency_id").alias("agency"),
    )
    bucket = positioned.select(
        "account_id",
        pl.coalesce(
            pl.when(pl.col("open_bucket").is_not_null()).then(pl.col("open_bucket")),
            pl.col("entry_bucket"),
            pl.col("close_bucket"),
        ).alias("bucket"),
    )
    return (
        accounts.select(
            "account_id",
            "case_id",
            pl.col("creditor_id").alias("creditor"),
            pl.col("product_code").alias("product"),
            pl.col("placement_id").alias("placement"),
        )
        .join(case_part, on="case_id", how="left")
        .join(bucket, on="account_id", how="left")
        .join(arms.select("account_id", "arm"), on="account_id", how="left")
        .select("account_id", "case_id", *SLICES)
    )


def case_dims(cases: pl.DataFrame, dims: pl.DataFrame) -> pl.DataFrame:
    """Slices per case: the case's own (creditor … agency), product, bucket and arm from its
    primary account (lowest account id), so each case falls in exactly one group."""
    primary = (
        dims.filter(pl.col("case_id").is_not_null())
        .sort("account_id")
        .group_by("case_id", maintain_order=True)
        .first()
        .select("case_id", "product", "bucket", "arm")
    )
    return (
        cases.select(
            "case_id",
            pl.col("creditor_id").alias("creditor"),
            pl.col("placement_id").alias("placement"),
            pl.col("opened_on").dt.strftime("%Y-%m").alias("vintage"),
            pl.col("team_id").alias("team"),
            pl.col("agent_id").alias("agent"),
            pl.col("agency_id").alias("agency"),
        )
        .join(primary, on="case_id", how="left")
        .select("case_id", *SLICES)
    )


# --------------------------------------------------------------------------------------------
# Account KPIs
# --------------------------------------------------------------------------------------------


def _recovery_base(positioned: pl.DataFrame) -> pl.DataFrame:
    return positioned.filter(pl.col("placed_by_end") & (pl.col("opening_balance") > 0))


def _entry() -> pl.Expr:
    return pl.col("entry_on")


def recovery_rate_amount(
    positioned: pl.DataFrame,
    dims: pl.DataFrame,
    by: Sequence[str] = (),
    *,
    paid: pl.DataFrame | None = None,
    holders: Holders | None = None,
) -> pl.DataFrame:
    """Recovered / opening balance. With ``paid`` (``account_id, received_on, amount``: the
    period's receipts), each receipt is its own unit, attributed on the day it came in; the
    opening balance is attributed on ``entry_on``."""
    base = _recovery_base(positioned)
    owed = _units(base, "account_id", pl.lit(0), pl.col("opening_balance"), _entry())
    if paid is None:
        got = _units(base, "account_id", pl.col("paid"), pl.lit(0), pl.col("first_paid_on"))
    else:
        in_base = paid.join(base.select("account_id"), on="account_id", how="semi")
        got = _units(in_base, "account_id", pl.col("amount"), pl.lit(0), pl.col("received_on"))
    return _finish(pl.concat([owed, got]), dims, "account_id", by, holders=holders)


def _paid_and_base(frame: pl.DataFrame) -> pl.DataFrame:
    """An account counted once in the denominator (on ``entry_on``) and, if it paid, once in the
    numerator on the day of its first receipt in the period."""
    return pl.concat(
        [
            _units(frame, "account_id", pl.lit(0), pl.lit(1), _entry()),
            _units(
                frame.filter(pl.col("paid") > 0),
                "account_id",
                pl.lit(1),
                pl.lit(0),
                pl.col("first_paid_on"),
            ),
        ]
    )


def recovery_rate_count(
    positioned: pl.DataFrame,
    dims: pl.DataFrame,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    units = _paid_and_base(_recovery_base(positioned))
    return _finish(units, dims, "account_id", by, holders=holders)


def on_time_repayment_rate(
    positioned: pl.DataFrame,
    dims: pl.DataFrame,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    overdue = positioned.filter(pl.col("open_severity") >= 1)
    return _finish(_paid_and_base(overdue), dims, "account_id", by, holders=holders)


def cure_rate(
    positioned: pl.DataFrame,
    dims: pl.DataFrame,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    delinquent = positioned.filter(pl.col("open_severity") >= 1)
    cured = pl.col("settled_end") | (pl.col("close_severity") == 0).fill_null(False)
    units = _units(delinquent, "account_id", cured, pl.lit(1), _entry())
    return _finish(units, dims, "account_id", by, holders=holders)


def roll_back_rate(
    positioned: pl.DataFrame,
    dims: pl.DataFrame,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    later = positioned.filter(pl.col("open_severity") >= 2)
    close, open_ = pl.col("close_severity"), pl.col("open_severity")
    moved = (~pl.col("settled_end") & (close >= 1) & (close < open_)).fill_null(False)
    units = _units(later, "account_id", moved, pl.lit(1), _entry())
    return _finish(units, dims, "account_id", by, holders=holders)


def month_steps(start: date, end: date) -> list[date]:
    """Snapshot days of the roll matrix: the day before ``start``, each month end strictly
    inside the period, and ``end``.

    >>> [d.isoformat() for d in month_steps(date(2026, 1, 1), date(2026, 3, 31))]
    ['2025-12-31', '2026-01-31', '2026-02-28', '2026-03-31']
    >>> [d.isoformat() for d in month_steps(date(2026, 11, 18), date(2026, 11, 20))]
    ['2026-11-17', '2026-11-20']
    """
    days = [start - timedelta(days=1)]
    cursor = date(start.year, start.month, 1)
    while True:
        following = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        month_end = following - timedelta(days=1)
        if month_end >= end:
            break
        if month_end > days[-1]:
            days.append(month_end)
        cursor = following
    days.append(end)
    return days


def roll_rate_matrix(
    accounts: pl.DataFrame,
    history: pl.DataFrame,
    positioned: pl.DataFrame,
    dims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    payments: pl.DataFrame | None = None,
    snapshots: pl.DataFrame | None = None,
    holders: Holders | None = None,
) -> pl.DataFrame:
    """Slices, ``month, from_bucket, to_bucket``, counts (numerator / denominator / value) and
    the same weighted by the balance at the month's start snapshot (``numerator_amount``,
    ``denominator_amount``, ``value_amount``; :func:`balances_on` with ``payments`` and
    ``snapshots``: none given, today's balances). Accounts settled before a step's start are not
    in that step. A move is attributed to the holder on the month's first day.
    ``positioned`` is not read; it stays in the signature for the callers'."""
    check_slices(by)
    del positioned
    days = month_steps(start, end)
    snaps = bucket_snapshots(history, accounts.get_column("account_id"), days).join(
        accounts.select("account_id", "case_id", "settled_on"), on="account_id", how="left"
    )
    step = pl.DataFrame(
        {"snapshot": days, "step": list(range(len(days)))},
        schema={"snapshot": pl.Date(), "step": pl.Int64()},
    )
    snaps = snaps.join(step, on="snapshot").with_columns(
        _with_settled("bucket", pl.col("snapshot")).alias("bucket")
    )
    weights = balances_on(
        accounts,
        payments if payments is not None else empty(PAYMENTS),
        snapshots if snapshots is not None else _no_snapshots(),
        days[:-1],
    ).select("account_id", pl.col("business_date").alias("snapshot"), "balance")
    before = (
        snaps.filter(pl.col("bucket").is_not_null() & (pl.col("bucket") != SETTLED))
        .join(weights, on=["account_id", "snapshot"], how="left")
        .with_columns((pl.col("snapshot") + pl.duration(days=1)).cast(pl.Date()).alias(ON))
    )
    after = snaps.select(
        "account_id",
        (pl.col("step") - 1).alias("step"),
        pl.col("bucket").alias("to_bucket"),
        pl.col("snapshot").dt.strftime("%Y-%m").alias("month"),
    )
    moves = before.select(
        "account_id", "case_id", "step", ON, "balance", pl.col("bucket").alias("from_bucket")
    ).join(after, on=["account_id", "step"], how="inner")
    staff = [name for name in by if name in STAFF]
    if staff and holders is not None:
        moves = holders_on(moves, holders, ON).drop([n for n in STAFF if n not in staff])
    rest = [name for name in by if name not in moves.columns]
    moves = moves.join(dims.select("account_id", *rest), on="account_id", how="left")
    cells = moves.group_by(*by, "month", "from_bucket", "to_bucket").agg(
        pl.len().cast(pl.Int64).alias("numerator"),
        pl.col("balance").sum().cast(pl.Int64).alias("numerator_amount"),
    )
    rows = moves.group_by(*by, "month", "from_bucket").agg(
        pl.len().cast(pl.Int64).alias("denominator"),
        pl.col("balance").sum().cast(pl.Int64).alias("denominator_amount"),
    )
    share = pl.col("numerator").cast(pl.Float64) / pl.col("denominator").cast(pl.Float64)
    amount_den = pl.col("denominator_amount")
    amount_share = (
        pl.when(amount_den > 0)
        .then(pl.col("numerator_amount").cast(pl.Float64) / amount_den.cast(pl.Float64))
        .otherwise(None)
    )
    keys = [*by, "month", "from_bucket", "to_bucket"]
    return (
        cells.join(rows, on=[*by, "month", "from_bucket"], nulls_equal=True)
        .with_columns(share.alias("value"), amount_share.alias("value_amount"))
        .select(
            *keys,
            "numerator",
            "denominator",
            "value",
            "numerator_amount",
            "denominator_amount",
            "value_amount",
        )
        .sort(keys, nulls_last=True)
    )


# --------------------------------------------------------------------------------------------
# Case and contact KPIs
# --------------------------------------------------------------------------------------------


def _executed(attempts: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    return attempts.filter(pl.col("executed") & _in_period("day", start, end))


def _rpc() -> pl.Expr:
    return (
        pl.col("channel").is_in(VOICE_CHANNELS)
        & (pl.col("party") == "consumer")
        & (pl.col("outcome") == "conversation")
    ).fill_null(False)


def contact_rate(
    cases: pl.DataFrame,
    attempts: pl.DataFrame,
    cdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    """A worked case counts in the denominator on the period's first day (or its opening day),
    and in the numerator on the day of its first executed attempt in the period."""
    worked = cases.filter(
        (pl.col("opened_on") <= end)
        & (pl.col("closed_on").is_null() | (pl.col("closed_on") >= start))
    ).select(
        "case_id",
        pl.max_horizontal(pl.col("opened_on"), pl.lit(start, pl.Date())).alias("entry_on"),
    )
    touched = (
        _executed(attempts, start, end)
        .group_by("case_id")
        .agg(pl.col("day").min().alias("first_on"))
        .join(worked.select("case_id"), on="case_id", how="semi")
    )
    units = pl.concat(
        [
            _units(worked, "case_id", pl.lit(0), pl.lit(1), _entry()),
            _units(touched, "case_id", pl.lit(1), pl.lit(0), pl.col("first_on")),
        ]
    )
    return _finish(units, cdims, "case_id", by, holders=holders)


def rpc_rate(
    attempts: pl.DataFrame,
    cdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    voice = _executed(attempts, start, end).filter(pl.col("channel").is_in(VOICE_CHANNELS))
    units = _units(voice, "case_id", _rpc(), pl.lit(1), pl.col("day"))
    return _finish(units, cdims, "case_id", by, holders=holders)


def ptp_rate(
    promises: pl.DataFrame,
    attempts: pl.DataFrame,
    cdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    made = _units(
        promises.filter(_in_period("created_on", start, end)),
        "case_id",
        pl.lit(1),
        pl.lit(0),
        pl.col("created_on"),
    )
    rpcs = _units(
        _executed(attempts, start, end).filter(_rpc()),
        "case_id",
        pl.lit(0),
        pl.lit(1),
        pl.col("day"),
    )
    return _finish(pl.concat([made, rpcs]), cdims, "case_id", by, holders=holders)


def ptp_kept_rate(
    promises: pl.DataFrame,
    cdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    """Judged on its due day, a promise counts for whoever took it (the holder on the day it
    was made)."""
    due = promises.filter(_in_period("promised_on", start, end) & pl.col("status").is_in(JUDGED))
    units = _units(due, "case_id", pl.col("status") == "kept", pl.lit(1), pl.col("created_on"))
    return _finish(units, cdims, "case_id", by, holders=holders)


def resolutions(cases: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """``case_id, opened_on, resolved_on``: closed as settled, or else the day its last account
    was paid off (every account settled); cases not resolved are absent."""
    paid_off = (
        accounts.filter(pl.col("case_id").is_not_null())
        .group_by("case_id")
        .agg(
            pl.col("settled_on").is_not_null().all().alias("all_settled"),
            pl.col("settled_on").max().alias("last_settled"),
        )
    )
    resolved = (
        pl.when((pl.col("state") == SETTLED) & pl.col("closed_on").is_not_null())
        .then(pl.col("closed_on"))
        .when(pl.col("all_settled").fill_null(False))
        .then(pl.col("last_settled"))
        .otherwise(None)
    )
    return (
        cases.join(paid_off, on="case_id", how="left")
        .select("case_id", "opened_on", resolved.alias("resolved_on"))
        .filter(pl.col("resolved_on").is_not_null())
    )


def days_to_resolution(
    resolved: pl.DataFrame,
    cdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    done = resolved.filter(_in_period("resolved_on", start, end))
    days = (pl.col("resolved_on") - pl.col("opened_on")).dt.total_days()
    units = _units(done, "case_id", days, pl.lit(1), pl.col("resolved_on"))
    return _finish(units, cdims, "case_id", by, holders=holders)


def touches_per_resolution(
    resolved: pl.DataFrame,
    attempts: pl.DataFrame,
    cdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    done = resolved.filter(_in_period("resolved_on", start, end))
    touches = (
        attempts.filter(pl.col("executed"))
        .join(done, on="case_id", how="inner")
        .filter(pl.col("day").is_between(pl.col("opened_on"), pl.col("resolved_on")))
        .group_by("case_id")
        .agg(pl.len().alias("touches"))
    )
    units = _units(
        done.join(touches, on="case_id", how="left"),
        "case_id",
        pl.col("touches").fill_null(0),
        pl.lit(1),
        pl.col("resolved_on"),
    )
    return _finish(units, cdims, "case_id", by, holders=holders)


def complaint_rate(
    complaints: pl.DataFrame,
    attempts: pl.DataFrame,
    cdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    received = _units(
        complaints.filter(_in_period("received_on", start, end)),
        "case_id",
        pl.lit(1),
        pl.lit(0),
        pl.col("received_on"),
    )
    contacts = _units(
        _executed(attempts, start, end), "case_id", pl.lit(0), pl.lit(1), pl.col("day")
    )
    return _finish(
        pl.concat([received, contacts]), cdims, "case_id", by, scale=PER_10K, holders=holders
    )


def legal_filing_days(
    legal: pl.DataFrame,
    cdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    filed = legal.filter(_in_period("filed_on", start, end))
    days = (pl.col("filed_on") - pl.col("referred_on")).dt.total_days()
    units = _units(filed, "case_id", days, pl.lit(1), pl.col("filed_on"))
    return _finish(units, cdims, "case_id", by, holders=holders)


def compliance_blocks(
    attempts: pl.DataFrame,
    stopped_actions: pl.DataFrame,
    cdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    """Slices, ``rule_id``, proposals stopped citing it / all proposals in the slice."""
    check_slices(by)
    columns = ("case_id", "day", "decision", "rule_ids")
    proposals = pl.concat(
        [
            attempts.filter(_in_period("day", start, end)).select(columns),
            stopped_actions.filter(_in_period("day", start, end)).select(columns),
        ]
    )
    staff = [name for name in by if name in STAFF]
    if staff and holders is not None:
        proposals = holders_on(proposals, holders, "day").drop([n for n in STAFF if n not in staff])
    rest = [name for name in by if name not in proposals.columns]
    proposals = proposals.join(cdims.select("case_id", *rest), on="case_id", how="left")
    totals = (
        proposals.group_by(*by).agg(pl.len().cast(pl.Int64).alias("denominator"))
        if by
        else proposals.select(pl.len().cast(pl.Int64).alias("denominator"))
    )
    stops = (
        proposals.filter(pl.col("decision").is_in(STOPPED))
        .explode("rule_ids")
        .with_columns(pl.col("rule_ids").fill_null("(none)").alias("rule_id"))
        .group_by(*by, "rule_id")
        .agg(pl.len().cast(pl.Int64).alias("numerator"))
    )
    joined = (
        stops.join(totals, on=list(by), nulls_equal=True) if by else stops.join(totals, how="cross")
    )
    keys = [*by, "rule_id"]
    return (
        joined.with_columns(
            (pl.col("numerator").cast(pl.Float64) / pl.col("denominator").cast(pl.Float64)).alias(
                "value"
            )
        )
        .select(*keys, "numerator", "denominator", "value")
        .sort(keys, nulls_last=True)
    )


def survey_dims(surveys: pl.DataFrame, cdims: pl.DataFrame) -> pl.DataFrame:
    """``survey_id`` and the slice columns: the case's, except ``agent``, which is the agent of
    the surveyed contact (null after a debtor's own page action)."""
    case_part = cdims.drop("agent") if "agent" in cdims.columns else cdims
    return surveys.select("survey_id", "case_id", pl.col("agent_id").alias("agent")).join(
        case_part, on="case_id", how="left"
    )


def _answered(surveys: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    return surveys.filter(_in_period("answered_on", start, end) & pl.col("score").is_not_null())


# The survey's agent is the agent of the surveyed contact (its own column); team and agency
# follow the holder of the case on the day the survey was sent.
_SURVEY_ATTRIBUTED = ("team", "agency")


def satisfaction_score(
    surveys: pl.DataFrame,
    sdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    """Mean score (1–5) of the surveys answered in the period."""
    answered = _answered(surveys, start, end)
    units = _units(answered, "survey_id", pl.col("score"), pl.lit(1), pl.col("sent_on"))
    return _finish(units, sdims, "survey_id", by, holders=holders, attributed=_SURVEY_ATTRIBUTED)


def satisfaction_share(
    surveys: pl.DataFrame,
    sdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    """Share of the period's answers scoring 4 or 5."""
    answered = _answered(surveys, start, end)
    units = _units(
        answered, "survey_id", pl.col("score") >= SATISFIED_SCORE, pl.lit(1), pl.col("sent_on")
    )
    return _finish(units, sdims, "survey_id", by, holders=holders, attributed=_SURVEY_ATTRIBUTED)


def survey_response_rate(
    surveys: pl.DataFrame,
    sdims: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    holders: Holders | None = None,
) -> pl.DataFrame:
    """Surveys sent in the period and answered (whenever) / surveys sent in the period."""
    sent = surveys.filter(_in_period("sent_on", start, end))
    units = _units(sent, "survey_id", pl.col("score").is_not_null(), pl.lit(1), pl.col("sent_on"))
    return _finish(units, sdims, "survey_id", by, holders=holders, attributed=_SURVEY_ATTRIBUTED)


def amount_per_agent_hour(
    accounts: pl.DataFrame,
    cases: pl.DataFrame,
    payments: pl.DataFrame,
    attempts: pl.DataFrame,
    activity: pl.DataFrame,
    staff: pl.DataFrame,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    shift_hours: int = DEFAULT_SHIFT_HOURS,
    holders: Holders | None = None,
) -> pl.DataFrame:
    """Fen recovered per hour worked (see the definition's assumption about hours); sliced by
    agent, team or agency. A receipt counts for the agent, team and agency holding the case on
    the day it came in (``holders``; none given: the case's current holder); hours count for
    the agent who worked them, under the agent's own team and agency."""
    check_slices(by, STAFF_SLICES)
    recovered = holders_on(
        payments.filter(_in_period("received_on", start, end)).join(
            accounts.select("account_id", "case_id"), on="account_id", how="inner"
        ),
        holders if holders is not None else Holders.current(cases),
        "received_on",
    ).filter(pl.col("agent").is_not_null())
    days = (
        pl.concat(
            [
                _executed(attempts, start, end).select("agent_id", "day"),
                activity.filter(_in_period("day", start, end)).select("agent_id", "day"),
            ]
        )
        .filter(pl.col("agent_id").is_not_null())
        .unique()
        .join(staff.select("agent_id", "team_id", "agency_id"), on="agent_id", how="left")
    )
    units = pl.concat(
        [
            recovered.select(
                pl.col("agent").alias("agent_id"),
                pl.col("amount").cast(pl.Int64).alias("numerator"),
                pl.lit(0, pl.Int64).alias("denominator"),
                "agent",
                "team",
                "agency",
            ),
            days.select(
                "agent_id",
                pl.lit(0, pl.Int64).alias("numerator"),
                pl.lit(shift_hours, pl.Int64).alias("denominator"),
                pl.col("agent_id").alias("agent"),
                pl.col("team_id").alias("team"),
                pl.col("agency_id").alias("agency"),
            ),
        ]
    ).select("agent_id", "numerator", "denominator", *by)
    return _finish(units, units.select("agent_id"), "agent_id", by)


# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------


def compute_all(
    frames: KpiFrames,
    start: date,
    end: date,
    by: Sequence[str] = (),
    *,
    shift_hours: int = DEFAULT_SHIFT_HOURS,
) -> dict[str, pl.DataFrame]:
    """Every KPI of :data:`~huikuan.kpis.definitions.KPIS`, keyed by its code.

    ``amount_per_agent_hour`` is left out when ``by`` names a slice hours cannot follow
    (anything but agent, team, agency). Staff slices follow ``frames.assignments``; past
    balances come from ``frames.snapshots`` where present (:func:`balance_basis` says where).
    """
    check_slices(by)
    f = frames
    h = Holders.of(f)
    positioned = positions(f.accounts, f.history, f.payments, f.severity, start, end, f.snapshots)
    adims = account_dims(f.accounts, f.cases, positioned, f.arms)
    cdims = case_dims(f.cases, adims)
    resolved = resolutions(f.cases, f.accounts)
    paid = f.payments.filter(_in_period("received_on", start, end))
    out = {
        "recovery_rate_amount": recovery_rate_amount(positioned, adims, by, paid=paid, holders=h),
        "recovery_rate_count": recovery_rate_count(positioned, adims, by, holders=h),
        "on_time_repayment_rate": on_time_repayment_rate(positioned, adims, by, holders=h),
        "cure_rate": cure_rate(positioned, adims, by, holders=h),
        "roll_rate_matrix": roll_rate_matrix(
            f.accounts,
            f.history,
            positioned,
            adims,
            start,
            end,
            by,
            payments=f.payments,
            snapshots=f.snapshots,
            holders=h,
        ),
        "roll_back_rate": roll_back_rate(positioned, adims, by, holders=h),
        "contact_rate": contact_rate(f.cases, f.attempts, cdims, start, end, by, holders=h),
        "rpc_rate": rpc_rate(f.attempts, cdims, start, end, by, holders=h),
        "ptp_rate": ptp_rate(f.promises, f.attempts, cdims, start, end, by, holders=h),
        "ptp_kept_rate": ptp_kept_rate(f.promises, cdims, start, end, by, holders=h),
    }
    if set(by) <= STAFF_SLICES:
        out["amount_per_agent_hour"] = amount_per_agent_hour(
            f.accounts,
            f.cases,
            f.payments,
            f.attempts,
            f.activity,
            f.staff,
            start,
            end,
            by,
            shift_hours=shift_hours,
            holders=h,
        )
    out |= {
        "days_to_resolution": days_to_resolution(resolved, cdims, start, end, by, holders=h),
        "touches_per_resolution": touches_per_resolution(
            resolved, f.attempts, cdims, start, end, by, holders=h
        ),
        "complaint_rate": complaint_rate(
            f.complaints, f.attempts, cdims, start, end, by, holders=h
        ),
        "legal_filing_days": legal_filing_days(f.legal, cdims, start, end, by, holders=h),
        "compliance_blocks": compliance_blocks(
            f.attempts, f.stopped_actions, cdims, start, end, by, holders=h
        ),
    }
    sdims = survey_dims(f.surveys, cdims)
    out |= {
        "satisfaction_score": satisfaction_score(f.surveys, sdims, start, end, by, holders=h),
        "satisfaction_share": satisfaction_share(f.surveys, sdims, start, end, by, holders=h),
        "survey_response_rate": survey_response_rate(f.surveys, sdims, start, end, by, holders=h),
    }
    return out


BASIS_SNAPSHOT = "snapshot"
BASIS_REBUILT = "rebuilt"


def balance_basis(frames: KpiFrames, start: date, end: date) -> pl.DataFrame:
    """Where each past balance of the report came from: ``use`` (``opening``: the recovery
    rate's base; ``roll_matrix``: a month's start), ``business_date``, ``source``
    (``snapshot`` or ``rebuilt``: today's balance + later receipts, approximate), ``accounts``
    and ``balance`` (fen) — over the accounts placed by period end (opening) or by that day
    (roll matrix). A source with no account has no row."""
    if end < start:
        raise ValueError("the period ends before it starts")
    days = month_steps(start, end)
    balances = balances_on(frames.accounts, frames.payments, frames.snapshots, days[:-1]).join(
        frames.accounts.select("account_id", "placed_on"), on="account_id", how="left"
    )
    opening = balances.filter(
        (pl.col("business_date") == days[0]) & (pl.col("placed_on") <= end)
    ).with_columns(pl.lit("opening").alias("use"))
    steps = balances.filter(pl.col("placed_on") <= pl.col("business_date")).with_columns(
        pl.lit("roll_matrix").alias("use")
    )
    source = pl.when(pl.col("exact")).then(pl.lit(BASIS_SNAPSHOT)).otherwise(pl.lit(BASIS_REBUILT))
    return (
        pl.concat([opening, steps])
        .with_columns(source.alias("source"))
        .group_by("use", "business_date", "source")
        .agg(
            pl.len().cast(pl.Int64).alias("accounts"),
            pl.col("balance").sum().cast(pl.Int64).alias("balance"),
        )
        .sort("use", "business_date", "source", descending=[True, False, True])
    )
