"""Every KPI against the hand-computed portfolio of :mod:`tests.kpis.portfolio` (March 2026)."""

from __future__ import annotations

import doctest
from datetime import date

import polars as pl
import pytest

from huikuan.kpis import engine, experiments
from huikuan.kpis.definitions import KPIS, SLICES, STAFF_SLICES
from huikuan.kpis.engine import compute_all, positions
from tests.kpis.portfolio import END, START, d, portfolio


@pytest.fixture(scope="module")
def report() -> dict[str, pl.DataFrame]:
    return compute_all(portfolio(), START, END)


def total(frame: pl.DataFrame) -> tuple[int, int, float | None]:
    assert frame.height == 1
    row = frame.row(0, named=True)
    return row["numerator"], row["denominator"], row["value"]


def by_key(frame: pl.DataFrame, key: str) -> dict[object, tuple[int, int]]:
    return {r[key]: (r["numerator"], r["denominator"]) for r in frame.iter_rows(named=True)}


def test_the_report_has_every_defined_kpi(report: dict[str, pl.DataFrame]) -> None:
    assert list(report) == [kpi.code for kpi in KPIS]


def test_positions() -> None:
    f = portfolio()
    p = positions(f.accounts, f.history, f.payments, f.severity, START, END)
    rows = {r["account_id"]: r for r in p.iter_rows(named=True)}
    assert [rows[i]["open_bucket"] for i in range(1, 7)] == [
        "M2",
        "M1",
        "M3",
        None,
        "settled",
        "M2",
    ]
    assert [rows[i]["close_bucket"] for i in range(1, 7)] == [
        "M1",
        "settled",
        "M3",
        "M2",
        "settled",
        "M0",
    ]
    # opening = today's balance + receipts since 03-01: A1 50,000 + 20,000; A4 40,000 + 10,000
    # (paid 04-02, after the period); A5's February payment is before the start.
    assert [rows[i]["opening_balance"] for i in range(1, 7)] == [
        70_000,
        30_000,
        100_000,
        50_000,
        0,
        75_000,
    ]
    assert [rows[i]["paid"] for i in range(1, 7)] == [20_000, 30_000, 0, 0, 0, 15_000]
    assert rows[4]["entry_bucket"] == "M1"


def test_recovery_rates(report: dict[str, pl.DataFrame]) -> None:
    # Base: A1, A2, A3, A4, A6 (A5 owed nothing at the start).
    # Amount: (20,000 + 30,000 + 0 + 0 + 15,000) / (70,000 + 30,000 + 100,000 + 50,000 + 75,000)
    #       = 65,000 / 325,000 = 0.2
    assert total(report["recovery_rate_amount"]) == (65_000, 325_000, 0.2)
    # Count: A1, A2, A6 paid, out of 5 = 0.6
    assert total(report["recovery_rate_count"]) == (3, 5, 0.6)


def test_on_time_repayment_and_cure(report: dict[str, pl.DataFrame]) -> None:
    # Overdue at start: A1 (M2), A2 (M1), A3 (M3), A6 (M2); A4 not placed, A5 settled.
    # Paid in March: A1, A2, A6 -> 3 / 4.
    assert total(report["on_time_repayment_rate"]) == (3, 4, 0.75)
    # Cured: A2 (settled 03-20), A6 (M0 on 03-31) -> 2 / 4.
    assert total(report["cure_rate"]) == (2, 4, 0.5)


def test_roll_back(report: dict[str, pl.DataFrame]) -> None:
    # M2+ at start: A1 (M2 -> M1: 降期), A3 (M3 stays), A6 (M2 -> M0: a cure, not 降期) -> 1 / 3.
    num, den, value = total(report["roll_back_rate"])
    assert (num, den) == (1, 3)
    assert value == pytest.approx(1 / 3)


def test_roll_rate_matrix_one_month(report: dict[str, pl.DataFrame]) -> None:
    # 02-28 -> 03-31: A1 M2->M1, A2 M1->settled, A3 M3->M3, A6 M2->M0 (A4 not yet placed,
    # A5 already settled: neither is in the step).
    matrix = report["roll_rate_matrix"]
    cells = {
        (r["month"], r["from_bucket"], r["to_bucket"]): (
            r["numerator"],
            r["denominator"],
            r["numerator_amount"],
            r["denominator_amount"],
        )
        for r in matrix.iter_rows(named=True)
    }
    assert cells == {
        ("2026-03", "M1", "settled"): (1, 1, 30_000, 30_000),
        ("2026-03", "M2", "M0"): (1, 2, 75_000, 145_000),  # 70,000 + 75,000
        ("2026-03", "M2", "M1"): (1, 2, 70_000, 145_000),
        ("2026-03", "M3", "M3"): (1, 1, 100_000, 100_000),
    }
    m2_m1 = matrix.filter((pl.col("from_bucket") == "M2") & (pl.col("to_bucket") == "M1"))
    assert m2_m1.get_column("value").to_list() == [0.5]
    assert m2_m1.get_column("value_amount").item() == pytest.approx(70_000 / 145_000)


def test_roll_rate_matrix_month_over_month() -> None:
    f = portfolio()
    p = positions(f.accounts, f.history, f.payments, f.severity, d(2, 1), END)
    dims = engine.account_dims(f.accounts, f.cases, p, f.arms)
    matrix = engine.roll_rate_matrix(f.accounts, f.history, p, dims, d(2, 1), END)
    cells = {
        (r["month"], r["from_bucket"], r["to_bucket"]): (r["numerator"], r["denominator"])
        for r in matrix.iter_rows(named=True)
    }
    # February (01-31 -> 02-28): only A1 and A5 were placed: A1 M1->M2, A5 M1->settled (02-20).
    # March as in the one-month test.
    assert cells == {
        ("2026-02", "M1", "M2"): (1, 2),
        ("2026-02", "M1", "settled"): (1, 2),
        ("2026-03", "M1", "settled"): (1, 1),
        ("2026-03", "M2", "M0"): (1, 2),
        ("2026-03", "M2", "M1"): (1, 2),
        ("2026-03", "M3", "M3"): (1, 1),
    }


def test_contact_funnel(report: dict[str, pl.DataFrame]) -> None:
    # Worked: 10, 11 (closed 03-20), 12, 13 (opened 03-10), 14; 15 closed 02-15 is out.
    # Executed attempts in March on 10, 11, 12, 14 -> 4 / 5.
    assert total(report["contact_rate"]) == (4, 5, 0.8)
    # Executed voice in March: t1, t2, t3, t6, t7, t10 = 6 (t4 is an SMS, t8 is February);
    # right party: t1, t3, t7, t10 = 4 (t6 reached a third party).
    num, den, value = total(report["rpc_rate"])
    assert (num, den) == (4, 6)
    assert value == pytest.approx(4 / 6)
    # Promises made in March: p1, p2, p5 = 3, per 4 RPCs.
    assert total(report["ptp_rate"]) == (3, 4, 0.75)
    # Due in March and judged: p1 kept, p2 broken, p4 kept (p5 pending is left out) -> 2 / 3.
    num, den, value = total(report["ptp_kept_rate"])
    assert (num, den) == (2, 3)
    assert value == pytest.approx(2 / 3)


def test_resolution(report: dict[str, pl.DataFrame]) -> None:
    # Case 11 closed settled on 03-20, opened 02-01: 27 days to 02-28 + 20 = 47 days.
    # Case 10 still has A1 open; 15 was recalled, not resolved.
    assert total(report["days_to_resolution"]) == (47, 1, 47.0)
    # Touches on case 11 from 02-01 to 03-20: t8 (02-27) and t3 (03-03) -> 2 per resolution.
    assert total(report["touches_per_resolution"]) == (2, 1, 2.0)


def test_complaints_legal_and_blocks(report: dict[str, pl.DataFrame]) -> None:
    # One complaint in March (the April one is out) per 7 executed attempts
    # (t1, t2, t3, t4, t6, t7, t10): 1 × 10,000 / 7.
    num, den, value = total(report["complaint_rate"])
    assert (num, den) == (1, 7)
    assert value == pytest.approx(10_000 / 7)
    # Case 12: referred 02-20, filed 03-12: 8 days to 02-28 + 12 = 20 (the April filing is out).
    assert total(report["legal_filing_days"]) == (20, 1, 20.0)
    # Proposals in March: 9 attempts (t8 is February) + 1 stopped action (the 02-10 one is out)
    # = 10. Stopped: t5 (quiet hours, cap), t9 (quiet hours), the action (hold).
    blocks = report["compliance_blocks"]
    assert blocks.rows() == [
        ("CN-CAP6", 1, 10, 0.1),
        ("CN-HOLD", 1, 10, 0.1),
        ("CN-QUIET", 2, 10, 0.2),
    ]


def test_amount_per_agent_hour(report: dict[str, pl.DataFrame]) -> None:
    # Agent 7 (cases 10, 11, 13): 20,000 + 30,000 = 50,000 fen; active on 03-02, 03-03 (attempts)
    # and 03-04 (a closed call task) = 3 days × 8 h = 24 h.
    # Agent 8 (cases 12, 14): 15,000 fen; active 03-06 and 03-08 = 16 h (the blocked t5 and
    # the February task do not count). Total: 65,000 / 40 = 1,625 fen per hour.
    assert total(report["amount_per_agent_hour"]) == (65_000, 40, 1625.0)
    f = portfolio()
    per_agent = engine.amount_per_agent_hour(
        f.accounts, f.cases, f.payments, f.attempts, f.activity, f.staff, START, END, ["agent"]
    )
    assert per_agent.rows() == [(7, 50_000, 24, 50_000 / 24), (8, 15_000, 16, 937.5)]
    with pytest.raises(ValueError, match="unknown slice product"):
        engine.amount_per_agent_hour(
            f.accounts,
            f.cases,
            f.payments,
            f.attempts,
            f.activity,
            f.staff,
            START,
            END,
            ["product"],
        )


def test_slices_by_hand() -> None:
    sliced = compute_all(portfolio(), START, END, ["vintage"])
    # Vintage 2026-02: A2 (30,000 of 30,000), A3 (0 of 100,000), A6 (15,000 of 75,000).
    assert by_key(sliced["recovery_rate_amount"], "vintage") == {
        "2026-01": (20_000, 70_000),
        "2026-02": (45_000, 205_000),
        "2026-03": (0, 50_000),
    }
    by_bucket = compute_all(portfolio(), START, END, ["bucket"])
    # Bucket at start: M1 A2 (cured), M2 A1 (not) and A6 (cured), M3 A3 (not).
    assert by_key(by_bucket["cure_rate"], "bucket") == {"M1": (1, 1), "M2": (1, 2), "M3": (0, 1)}
    by_arm = compute_all(portfolio(), START, END, ["arm"])
    # Case 10's primary account is A1 (champion); cases 11 and 14 are challenger (A2, A6).
    assert by_key(by_arm["contact_rate"], "arm") == {
        "challenger": (2, 2),
        "champion": (1, 2),
        "holdout": (1, 1),
    }


@pytest.mark.parametrize("by", [[name] for name in SLICES] + [["creditor", "agent"]])
def test_slices_add_up_to_the_total(report: dict[str, pl.DataFrame], by: list[str]) -> None:
    sliced = compute_all(portfolio(), START, END, by)
    for code, frame in sliced.items():
        whole = report[code]
        extra = [c for c in ("month", "from_bucket", "to_bucket", "rule_id") if c in frame.columns]
        if extra:  # matrix and blocks: cells add up over the slices
            cells = frame.group_by(extra).agg(pl.col("numerator").sum()).sort(extra)
            assert (
                cells.rows()
                == whole.group_by(extra).agg(pl.col("numerator").sum()).sort(extra).rows()
            ), code
            continue
        assert frame.get_column("numerator").sum() == whole.get_column("numerator").sum(), code
        assert frame.get_column("denominator").sum() == whole.get_column("denominator").sum(), code
    assert ("amount_per_agent_hour" in sliced) == (set(by) <= STAFF_SLICES)


def test_an_unknown_slice_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown slice colour"):
        compute_all(portfolio(), START, END, ["colour"])


def test_a_backwards_period_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        compute_all(portfolio(), END, START)


def test_empty_period_gives_null_rates() -> None:
    quiet = compute_all(portfolio(), date(2025, 1, 1), date(2025, 1, 31))
    assert total(quiet["recovery_rate_amount"]) == (0, 0, None)
    assert quiet["roll_rate_matrix"].height == 0
    assert quiet["compliance_blocks"].height == 0


@pytest.mark.parametrize("module", [engine, experiments])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
