"""The KPI benchmark runs end to end on a small synthetic portfolio (no timing asserted)."""

from __future__ import annotations

import json

import pytest

from huikuan.bench.kpis import build_frames, run
from huikuan.kpis.definitions import KPIS, SLICES


def test_bench_prints_a_line_per_run(capsys: pytest.CaptureFixture[str]) -> None:
    lines = run(2_000)
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed == lines
    assert [line["bench"] for line in lines] == [
        "kpis.build",
        "kpis.refresh.total",
        *(f"kpis.refresh.{name}" for name in SLICES),
        "kpis.refresh",
    ]
    assert lines[1]["kpis"] == len(KPIS)


def test_synthetic_frames_have_a_year_of_history() -> None:
    frames, counts = build_frames(1_000, seed=3)
    assert counts["accounts"] == 1_000
    months = frames.history.get_column("business_date").dt.strftime("%Y-%m").n_unique()
    assert months >= 12
    assert frames.accounts.get_column("balance").min() >= 0  # type: ignore[operator]
    answered = frames.surveys.filter(frames.surveys.get_column("score").is_not_null())
    assert counts["surveys"] > answered.height > 0
    assert set(answered.get_column("score").unique().to_list()) <= {1, 2, 3, 4, 5}
