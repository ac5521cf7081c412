"""The satisfaction KPIs against the surveys of :mod:`tests.kpis.portfolio` (March 2026).

By hand: answered in March: S1 (5), S2 (3), S4 (4) → mean 12 / 3 = 4.0, satisfied (4–5) 2 / 3.
Sent in March: S1, S2, S3, S5 → answered by now: S1, S2, S5 → response rate 3 / 4.
"""

from __future__ import annotations

import polars as pl
import pytest

from huikuan.kpis.definitions import BY_CODE, SLICES, Unit
from huikuan.kpis.engine import compute_all
from tests.kpis.portfolio import END, START, portfolio

SURVEY_KPIS = ("satisfaction_score", "satisfaction_share", "survey_response_rate")


@pytest.fixture(scope="module")
def report() -> dict[str, pl.DataFrame]:
    return compute_all(portfolio(), START, END)


def figures(frame: pl.DataFrame, key: str | None = None) -> dict[object, tuple[int, int, float]]:
    return {
        (row[key] if key else None): (row["numerator"], row["denominator"], row["value"])
        for row in frame.iter_rows(named=True)
    }


def test_the_survey_kpis_are_defined_once() -> None:
    assert BY_CODE["satisfaction_score"].unit is Unit.SCORE
    assert BY_CODE["satisfaction_share"].unit is Unit.RATIO
    assert all(code in BY_CODE for code in SURVEY_KPIS)


def test_totals_match_the_hand_computed_figures(report: dict[str, pl.DataFrame]) -> None:
    assert figures(report["satisfaction_score"]) == {None: (12, 3, 4.0)}
    assert figures(report["satisfaction_share"]) == {None: (2, 3, pytest.approx(2 / 3))}
    assert figures(report["survey_response_rate"]) == {None: (3, 4, 0.75)}


def test_agent_is_the_agent_of_the_surveyed_contact() -> None:
    sliced = compute_all(portfolio(), START, END, ["agent"])
    # Agent 7: S1 (5) and S4 (4); agent 8: S2 (3), although case 11's current agent is 7.
    assert figures(sliced["satisfaction_score"], "agent") == {7: (9, 2, 4.5), 8: (3, 1, 3.0)}
    assert figures(sliced["satisfaction_share"], "agent") == {7: (2, 2, 1.0), 8: (0, 1, 0.0)}
    # Sent in March: agent 7 S1 (answered); agent 8 S2 (answered), S3 (not); S5 has no agent.
    assert figures(sliced["survey_response_rate"], "agent") == {
        7: (1, 1, 1.0),
        8: (1, 2, 0.5),
        None: (1, 1, 1.0),
    }


def test_creditor_slice() -> None:
    sliced = compute_all(portfolio(), START, END, ["creditor"])
    # Case 12 (S3, unanswered) is creditor 2's; the rest creditor 1's.
    assert figures(sliced["survey_response_rate"], "creditor") == {
        1: (3, 3, 1.0),
        2: (0, 1, 0.0),
    }


@pytest.mark.parametrize("slice_name", list(SLICES))
@pytest.mark.parametrize("code", SURVEY_KPIS)
def test_every_slicing_adds_up_to_the_total(slice_name: str, code: str) -> None:
    whole = compute_all(portfolio(), START, END)[code]
    sliced = compute_all(portfolio(), START, END, [slice_name])[code]
    assert sliced["numerator"].sum() == whole["numerator"].sum()
    assert sliced["denominator"].sum() == whole["denominator"].sum()


def test_a_period_without_surveys_gives_no_value() -> None:
    from datetime import date

    empty = compute_all(portfolio(), date(2025, 1, 1), date(2025, 1, 31))
    assert figures(empty["satisfaction_score"]) == {None: (0, 0, None)}
