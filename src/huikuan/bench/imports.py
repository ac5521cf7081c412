"""Import and allocation benchmarks: 1M placement rows into SQLite and PostgreSQL, and 分案 of
1M cases over 500 agents. Each prints JSON lines with ``bench``, ``n``, ``seconds``,
``peak_mb`` and ``rows_per_second``."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from huikuan.assignment.engine import (
    AgencyApproval,
    AllocationRules,
    BalanceBy,
    Conditions,
    Rule,
    Target,
    allocate,
)
from huikuan.bench.memory import peak_memory
from huikuan.db.engine import make_engine, transaction
from huikuan.db.migrate import upgrade
from huikuan.db.throwaway_pg import temporary_postgres
from huikuan.demo.catalogue import DEMO_POLICIES
from huikuan.imports.mapping import ColumnMapping, ImportKind
from huikuan.imports.readers import read_table
from huikuan.imports.sample import write_sample
from huikuan.imports.service import ImportRequest, import_file
from huikuan.imports.validation import validate
from huikuan.org.service import add_creditor, add_product
from huikuan.security.crypto import FieldCipher, generate_key, generate_spec

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)


def _emit(line: dict[str, object]) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


def bench_import(rows: int, work: Path) -> None:
    path = work / f"placements-{rows}.csv"
    started = time.perf_counter()
    with peak_memory() as peak:
        write_sample(path, ImportKind.PLACEMENTS, rows)
    _emit(
        {
            "bench": "sample_placements_csv",
            "n": rows,
            "seconds": round(time.perf_counter() - started, 3),
            "peak_mb": round(peak.mb, 1),
        }
    )
    started = time.perf_counter()
    with peak_memory() as peak:
        validated = validate(
            read_table(path), ImportKind.PLACEMENTS, ColumnMapping.default("B"), as_of=DAY
        )
    seconds = time.perf_counter() - started
    assert validated.ok
    _emit(
        {
            "bench": "import_read_validate",
            "n": rows,
            "seconds": round(seconds, 3),
            "peak_mb": round(peak.mb, 1),
            "rows_per_second": round(rows / seconds),
        }
    )
    cipher = FieldCipher.from_spec(generate_spec(), generate_key())
    with temporary_postgres() as postgres_url:
        for name, url in (
            ("sqlite", f"sqlite:///{work / 'bench.db'}"),
            ("postgresql", postgres_url),
        ):
            engine = make_engine(url)
            upgrade(engine)
            with transaction(engine) as session:
                creditor = add_creditor(session, "B", "bench", actor="bench", at=AT)
                for policy in DEMO_POLICIES:
                    add_product(
                        session,
                        creditor,
                        policy.code,
                        policy.code,
                        replace(policy, code=f"B.{policy.code}"),
                    )
            request = ImportRequest(
                path=path,
                kind=ImportKind.PLACEMENTS,
                creditor_code="B",
                business_date=DAY,
                actor="bench",
                at=AT,
                report_dir=work,
            )
            started = time.perf_counter()
            with peak_memory() as peak:
                summary = import_file(engine, request, cipher)
            seconds = time.perf_counter() - started
            assert summary.ok, summary.message
            assert summary.written == rows
            _emit(
                {
                    "bench": f"import_placements.{name}",
                    "n": rows,
                    "seconds": round(seconds, 3),
                    "peak_mb": round(peak.mb, 1),
                    "rows_per_second": round(rows / seconds),
                }
            )
            engine.dispose()


def bench_allocation(cases: int, agents: int) -> None:
    rng = np.random.default_rng(5)
    creditors = np.array(["C1", "C2", "C3", "C4", "C5"])
    buckets = np.array(["M1", "M2", "M3", "M4", "M5", "M6", "M7+"])
    case_frame = pl.DataFrame(
        {
            "case_id": np.arange(1, cases + 1),
            "creditor_code": creditors[rng.integers(0, 5, cases)],
            "product_code": "P",
            "bucket": buckets[rng.integers(0, 7, cases)],
            "balance": rng.integers(10_000, 50_000_000, cases),
            "region": None,
            "language": np.where(rng.random(cases) < 0.02, "en", "zh"),
            "score_band": None,
            "current_agent_id": None,
            "keep_until": None,
            "placement_end": None,
            "agency_code": None,
        },
        schema_overrides={
            "region": pl.String,
            "score_band": pl.String,
            "current_agent_id": pl.Int64,
            "keep_until": pl.Date,
            "placement_end": pl.Date,
            "agency_code": pl.String,
        },
    )
    in_house = int(agents * 0.8)
    agent_frame = pl.DataFrame(
        {
            "agent_id": np.arange(1, agents + 1),
            "team_code": [f"T{i % 20}" if i < in_house else f"A{i % 4}" for i in range(agents)],
            "agency_code": [None if i < in_house else f"AG{i % 4}" for i in range(agents)],
            "capacity_count": np.full(agents, cases // agents * 2),
            "capacity_amount": None,
            "languages": ["zh,en" if i % 10 == 0 else "zh" for i in range(agents)],
            "active": True,
        },
        schema_overrides={"capacity_amount": pl.Int64},
    )
    rules = AllocationRules(
        code="BENCH",
        version=1,
        rules=(
            Rule(
                "EARLY",
                Target(teams=tuple(f"T{i}" for i in range(20))),
                Conditions(buckets=("M1", "M2", "M3")),
            ),
            Rule(
                "LATE", Target(agencies=("AG0", "AG1", "AG2", "AG3")), balance_by=BalanceBy.AMOUNT
            ),
        ),
        agency_approvals=tuple(AgencyApproval(c, ("AG0", "AG1", "AG2", "AG3")) for c in creditors),
    )
    started = time.perf_counter()
    with peak_memory() as peak:
        result = allocate(case_frame, agent_frame, rules, as_of=DAY)
    seconds = time.perf_counter() - started
    _emit(
        {
            "bench": "allocation.first_run",
            "n": cases,
            "agents": agents,
            "seconds": round(seconds, 3),
            "peak_mb": round(peak.mb, 1),
            "rows_per_second": round(cases / seconds),
            "assigned": result.assignments.height,
        }
    )
    current = case_frame.drop("current_agent_id").join(
        result.assignments.select("case_id", pl.col("agent_id").alias("current_agent_id")),
        on="case_id",
        how="left",
    )
    started = time.perf_counter()
    with peak_memory() as peak:
        again = allocate(current, agent_frame, rules, as_of=DAY)
    seconds = time.perf_counter() - started
    kept = again.assignments.filter(pl.col("reason") == "kept").height
    _emit(
        {
            "bench": "allocation.steady_state",
            "n": cases,
            "agents": agents,
            "seconds": round(seconds, 3),
            "peak_mb": round(peak.mb, 1),
            "rows_per_second": round(cases / seconds),
            "kept": kept,
        }
    )


def run(rows: int, cases: int, agents: int) -> None:
    with tempfile.TemporaryDirectory(prefix="huikuan-bench-") as folder:
        bench_import(rows, Path(folder))
    bench_allocation(cases, agents)
