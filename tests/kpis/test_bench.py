"""The KPI benchmark runs end to end on a small synthetic portfolio (no timing asserted)."""

from __future__ import annotations

import json

import pytest

from huikuan.bench.kpis import build_frames, run, snapshot_write
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
        "kpis.refresh_with_snapshots",
    ]
    assert lines[1]["kpis"] == len(KPIS)
    assert int(str(lines[-1]["snapshot_rows"])) > 0
    assert int(str(lines[-1]["assignments"])) > 2_000


def test_snapshot_write_bench_writes_once(capsys: pytest.CaptureFixture[str]) -> None:
    line = snapshot_write(300)
    assert json.loads(capsys.readouterr().out) == line
    assert line["rows"] == 300
    assert line["second_call_written"] is False


def test_synthetic_frames_have_a_year_of_history() -> None:
    frames, counts = build_frames(1_000, seed=3)
    assert counts["accounts"] == 1_000
    months = frames.history.get_column("business_date").dt.strftime("%Y-%m").n_unique()
    assert months >= 12
    assert frames.accounts.get_column("balance").min() >= 0  # type: ignore[operator]
    answered = frames.surveys.filter(frames.surveys.get_column("score").is_not_null())
    assert counts["surveys"] > answered.height > 0
    assert set(answered.get_column("score").unique().to_list()) <= {1, 2, 3, 4, 5}
