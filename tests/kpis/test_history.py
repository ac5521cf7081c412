"""Exact historical KPIs on the hand-computed portfolio of :mod:`tests.kpis.portfolio`.

Two changes to the March 2026 portfolio, each worked out by hand:

* **分案 history.** Case 11 (account A2) was held by agent 9 (team 3) from 02-01 until 03-25 and
  only then went to agent 7 (team 1), its current holder. Everything that happened on case 11 in
  March before the 25th — the right-party call t3 (03-03), the promise p2 (03-03), A2's payment
  of 30,000 (03-20) and A2's opening balance (03-01) — belongs to agent 9, not agent 7. Case 13
  has a history in which nobody held it in March (an agency recall ended 03-01): its figures
  go to no agent.
* **Balance snapshot of 02-28.** A1 owed 65,000 and A3 96,000 at that close (the interest
  accrued since has raised today's balances); A2 30,000, A5 0 and A6 75,000. A4 was placed on
  03-10, so it is not in the snapshot and its opening balance is rebuilt (50,000).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huikuan.compensation.attribution import _Holder, _holder_on
from huikuan.kpis import engine
from huikuan.kpis import frames as kf
from huikuan.kpis.engine import Holders, balance_basis, compute_all, holders_on
from tests.kpis.portfolio import END, START, d, portfolio

HISTORY = kf.frame(
    [
        # assignment_id, case, assigned_on, ended_on, agent, team, agency
        (1, 11, d(2, 1), d(3, 25), 9, 3, None),
        (2, 11, d(3, 25), None, 7, 1, None),
        (3, 13, d(2, 1), d(3, 1), 8, 2, 5),
    ],
    kf.ASSIGNMENTS,
)
SNAPSHOT = kf.frame(
    [
        (d(2, 28), 1, 65_000),
        (d(2, 28), 2, 30_000),
        (d(2, 28), 3, 96_000),
        (d(2, 28), 5, 0),
        (d(2, 28), 6, 75_000),
    ],
    kf.SNAPSHOTS,
)


def with_history() -> kf.KpiFrames:
    return replace(portfolio(), assignments=HISTORY)


def by_agent(frame: pl.DataFrame) -> dict[object, tuple[int, int]]:
    return {r["agent"]: (r["numerator"], r["denominator"]) for r in frame.iter_rows(named=True)}


def test_events_go_to_the_agent_holding_the_case_at_the_time() -> None:
    now = compute_all(portfolio(), START, END, ["agent"])
    then = compute_all(with_history(), START, END, ["agent"])
    # Current holder: agent 7 holds cases 10, 11, 13: A1 20,000 of 70,000, A2 30,000 of 30,000,
    # A4 0 of 50,000. By the history, A2 is agent 9's; A4 (case 13) had no holder in March.
    assert by_agent(now["recovery_rate_amount"])[7] == (50_000, 150_000)
    assert by_agent(then["recovery_rate_amount"]) == {
        7: (20_000, 70_000),
        8: (15_000, 175_000),  # A3 0 of 100,000 and A6 15,000 of 75,000, as before
        9: (30_000, 30_000),
        None: (0, 50_000),
    }
    # Voice attempts: t1, t2 on case 10 (agent 7), t3 on case 11 (03-03: agent 9).
    assert by_agent(now["rpc_rate"])[7] == (2, 3)
    assert by_agent(then["rpc_rate"])[7] == (1, 2)
    assert by_agent(then["rpc_rate"])[9] == (1, 1)
    # Promises per RPC: p1 (case 10) / t1 for agent 7; p2 (case 11, 03-03) / t3 for agent 9.
    assert by_agent(now["ptp_rate"])[7] == (2, 2)
    assert by_agent(then["ptp_rate"])[7] == (1, 1)
    assert by_agent(then["ptp_rate"])[9] == (1, 1)
    # p2 (made 03-03 under agent 9) was broken: agent 9's kept rate is 0 of 1.
    assert by_agent(then["ptp_kept_rate"])[9] == (0, 1)
    # Per hour: agent 7 keeps 20,000 over 24 h; agent 9 recovered 30,000 but logged no hours.
    hourly = {r["agent"]: r for r in then["amount_per_agent_hour"].iter_rows(named=True)}
    assert (hourly[7]["numerator"], hourly[7]["denominator"]) == (20_000, 24)
    assert (hourly[9]["numerator"], hourly[9]["denominator"], hourly[9]["value"]) == (
        30_000,
        0,
        None,
    )
    # Case 11 was resolved on 03-20, under agent 9.
    assert by_agent(then["days_to_resolution"]) == {9: (47, 1)}
    teams = {
        r["team"]: (r["numerator"], r["denominator"])
        for r in compute_all(with_history(), START, END, ["team"])["contact_rate"].iter_rows(
            named=True
        )
    }
    # Worked cases: 10 (team 1), 11 (team 3 on 03-01, touched 03-03), 12 and 14 (team 2),
    # 13 (opened 03-10, nobody's).
    assert teams == {1: (1, 1), 2: (2, 2), 3: (1, 1), None: (0, 1)}


@pytest.mark.parametrize("by", [["agent"], ["team"], ["agency"], ["agent", "product"]])
def test_attributed_slices_still_add_up(by: list[str]) -> None:
    whole = compute_all(with_history(), START, END)
    sliced = compute_all(with_history(), START, END, by)
    for code, frame in sliced.items():
        if code in ("roll_rate_matrix", "compliance_blocks"):
            continue
        for column in ("numerator", "denominator"):
            assert frame.get_column(column).sum() == whole[code].get_column(column).sum(), code


def test_the_roll_matrix_follows_the_holder_of_the_month() -> None:
    matrix = compute_all(with_history(), START, END, ["agent"])["roll_rate_matrix"]
    cells = {
        (r["agent"], r["from_bucket"], r["to_bucket"]): (r["numerator"], r["denominator"])
        for r in matrix.iter_rows(named=True)
    }
    # A2 (M1 -> settled) was agent 9's on 03-01.
    assert cells[(9, "M1", "settled")] == (1, 1)
    assert (7, "M1", "settled") not in cells


def test_a_snapshot_gives_the_period_opening_balance_and_the_fallback_says_it_guesses() -> None:
    exact = replace(portfolio(), snapshots=SNAPSHOT)
    # Recovered 65,000 over 65,000 + 30,000 + 96,000 + 50,000 (A4, rebuilt) + 75,000 = 316,000.
    got = compute_all(exact, START, END)["recovery_rate_amount"].row(0, named=True)
    assert (got["numerator"], got["denominator"]) == (65_000, 316_000)
    assert got["value"] == pytest.approx(65_000 / 316_000)
    # Without it: today's balance + receipts since 03-01 (A1 70,000, A3 100,000): 325,000.
    rebuilt = compute_all(portfolio(), START, END)["recovery_rate_amount"].row(0, named=True)
    assert (rebuilt["numerator"], rebuilt["denominator"], rebuilt["value"]) == (
        65_000,
        325_000,
        0.2,
    )
    # The basis says which: A4 alone rebuilt with the snapshot; all six rebuilt without.
    assert balance_basis(exact, START, END).filter(pl.col("use") == "opening").rows() == [
        ("opening", d(2, 28), "snapshot", 5, 266_000),
        ("opening", d(2, 28), "rebuilt", 1, 50_000),
    ]
    assert balance_basis(portfolio(), START, END).filter(pl.col("use") == "opening").rows() == [
        ("opening", d(2, 28), "rebuilt", 6, 70_000 + 30_000 + 100_000 + 50_000 + 0 + 75_000),
    ]


def test_the_roll_matrix_weighs_each_month_by_its_own_snapshot() -> None:
    f = replace(portfolio(), snapshots=SNAPSHOT)
    p = engine.positions(f.accounts, f.history, f.payments, f.severity, d(2, 1), END, f.snapshots)
    dims = engine.account_dims(f.accounts, f.cases, p, f.arms)
    matrix = engine.roll_rate_matrix(
        f.accounts, f.history, p, dims, d(2, 1), END, payments=f.payments, snapshots=f.snapshots
    )
    amounts = {
        (r["month"], r["from_bucket"], r["to_bucket"]): r["numerator_amount"]
        for r in matrix.iter_rows(named=True)
    }
    # March weighs by the 02-28 snapshot: A1 65,000 (M2 -> M1), A3 96,000 (M3 -> M3).
    assert amounts[("2026-03", "M2", "M1")] == 65_000
    assert amounts[("2026-03", "M3", "M3")] == 96_000
    # February has no snapshot of 01-31: A1 is rebuilt as 50,000 + 20,000 received since.
    assert amounts[("2026-02", "M1", "M2")] == 70_000


# ------------------------------------------------------------------ one rule with commissions

DAY0 = date(2026, 1, 1)
spans = st.tuples(
    st.integers(0, 40),  # assigned_on offset
    st.one_of(st.none(), st.integers(0, 20)),  # length (None: open-ended)
    st.one_of(st.none(), st.integers(1, 4)),  # agent
)


@settings(max_examples=60, deadline=None)
@given(
    history=st.lists(st.tuples(st.integers(1, 4), spans), max_size=14),
    events=st.lists(st.tuples(st.integers(1, 5), st.integers(0, 60)), min_size=1, max_size=30),
)
def test_vectorised_holders_agree_with_the_commission_rule(
    history: list[tuple[int, tuple[int, int | None, int | None]]],
    events: list[tuple[int, int]],
) -> None:
    """The engine's :func:`holders_on` and the commissions' scalar ``_holder_on`` name the same
    holder for any history (overlaps, gaps, zero-length spans, cases without history)."""
    rows = [
        (
            index,
            case,
            DAY0 + timedelta(days=start),
            None if length is None else DAY0 + timedelta(days=start + length),
            agent,
            None if agent is None else agent * 10,
            None,
        )
        for index, (case, (start, length, agent)) in enumerate(history, start=1)
    ]
    assignments = kf.frame(rows, kf.ASSIGNMENTS)
    cases = kf.frame(
        [(case, 1, 1, None, 990, 99, "active", DAY0, None) for case in range(1, 6)], kf.CASES
    )
    frame = pl.DataFrame(
        {
            "event": list(range(len(events))),
            "case_id": [case for case, _ in events],
            "day": [DAY0 + timedelta(days=offset) for _, offset in events],
        },
        schema={"event": pl.Int64(), "case_id": pl.Int64(), "day": pl.Date()},
    )
    got = {
        r["event"]: (r["agent"], r["team"])
        for r in holders_on(frame, Holders(assignments, cases), "day").iter_rows(named=True)
    }
    for event, (case, offset) in enumerate(events):
        held = sorted((row for row in rows if row[1] == case), key=lambda row: (row[2], row[0]))
        day = DAY0 + timedelta(days=offset)
        if held:
            holder = _holder_on([_Holder(r[2], r[3], r[4], r[5], r[6]) for r in held], day)
            expected = (None, None) if holder is None else (holder.agent_id, holder.team_id)
        else:
            expected = (99, 990)  # no history: the current holder
        assert got[event] == expected, (case, day)
