"""Load benchmark of the staff workbench: 50 agents working their queues on a full database.

Data flow (``python -m huikuan.bench --suite web --accounts 100000``):

1. A throwaway PostgreSQL server (:func:`~huikuan.db.throwaway_pg.temporary_postgres`, on
   127.0.0.1) gets the demo portfolio of ``accounts`` accounts through the fastest existing
   path, the demo loader's own steps: its organisation, synthetic placement files and the
   real bulk import; then one UPDATE shares the cases among the in-house agents
   (:func:`build_database` says why not ``allocate_cases``). The agents get their demo
   password; the other roles through :func:`~huikuan.web.demo_users.seed_demo_users`.
2. ``EXPLAIN (ANALYZE)`` of every statement behind ``/queue`` and ``/cases/{id}`` (captured
   by running the real read functions for one agent) reports each sequential scan of a large
   table, so a missing index shows up as a line, not as a vague slowness.
3. The app runs under uvicorn in its own process on 127.0.0.1 (one worker, as ``huikuan web
   serve``); a second process drives it with ``users`` concurrent users (httpx, asyncio):
   each signs in once (the agents are shared round-robin when there are fewer agents than
   users), reads its case ids from ``/api/queue``, then loops ``GET /queue`` and
   ``GET /cases/{id}`` over its cases until ``seconds`` have passed or ``requests`` were made.
4. One JSON line per page: requests, errors, p50 and p99 in milliseconds, and the ratio of
   p99 to the 100 ms target (≤ 1 meets it).

Nothing listens on or connects to any address but 127.0.0.1. The server process builds its
own field cipher: the pages measured show masked values only and decrypt nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from huikuan.bench.memory import peak_memory

HOST = "127.0.0.1"
AS_OF = date(2026, 11, 20)
CLOCK = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on the business date
TARGET_P99_MS = 100.0
BIG_TABLES = frozenset(
    {"accounts", "cases", "debtors", "contact_points", "payments", "contact_attempts", "promises"}
)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _emit(line: dict[str, object]) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# --- 1. the database -------------------------------------------------------------------------


# Every in-house agent gets an equal share of the cases, round-robin by case id.
SHARE_CASES = """
UPDATE cases SET agent_id = agents.id, team_id = agents.team_id
FROM (
    SELECT id, team_id, row_number() OVER (ORDER BY id) - 1 AS slot, count(*) OVER () AS seats
    FROM users WHERE role = 'agent' AND agency_id IS NULL AND active
) AS agents
WHERE cases.agency_id IS NULL AND agents.slot = cases.id % agents.seats
"""


def build_database(url: str, accounts: int, work: Path) -> list[tuple[str, str]]:
    """The demo portfolio in ``url``; returns the in-house agents' ``(username, password)``.

    The organisation and the placement import are the demo's own (generate, then the real
    bulk import). The cases are then shared among the in-house agents by one UPDATE rather
    than through ``allocate_cases`` (the benchmark measures the pages, not 分案), and the work
    list is refreshed as the daily cycle would.
    """
    from sqlalchemy import select, text

    from huikuan.cases.worklist import refresh_worklist
    from huikuan.db.engine import make_engine, transaction
    from huikuan.db.migrate import upgrade
    from huikuan.demo import service as demo
    from huikuan.org.models import Role, User
    from huikuan.security.crypto import FieldCipher, generate_key, generate_spec
    from huikuan.web.auth import default_hasher
    from huikuan.web.demo_users import demo_password, seed_demo_users

    cipher = FieldCipher.from_spec(generate_spec("bench"), generate_key())
    engine = make_engine(url)
    started = time.perf_counter()
    with peak_memory() as peak:
        upgrade(engine)
        demo._organisation(engine, accounts, AS_OF)
        summaries = demo._place(engine, cipher, accounts, 20260101, AS_OF, AS_OF, work)
        with engine.begin() as connection:
            shared = connection.execute(text(SHARE_CASES)).rowcount
        with transaction(engine) as session:  # the work list, as the daily cycle leaves it
            refresh_worklist(session, AS_OF)
    _emit(
        {
            "bench": "web.load_portfolio",
            "n": sum(summary.written for summary in summaries),
            "cases_shared": shared,
            "seconds": round(time.perf_counter() - started, 3),
            "peak_mb": round(peak.mb, 1),
        }
    )
    hasher = default_hasher()
    password = demo_password(Role.AGENT.value)
    with transaction(engine) as session:
        seed_demo_users(session, hasher=hasher, as_of=AS_OF)
        agents = session.scalars(
            select(User).where(
                User.role == Role.AGENT.value, User.active.is_(True), User.agency_id.is_(None)
            )
        ).all()
        hashed = hasher.hash(password)
        for agent in agents:
            agent.password_hash = hashed
        names = sorted(agent.username for agent in agents)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return [(name, password) for name in names]


# --- 2. the plans ----------------------------------------------------------------------------


def _seq_scans(plan: dict[str, Any]) -> Iterator[tuple[str, int]]:
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in BIG_TABLES:
        yield str(plan["Relation Name"]), int(plan.get("Actual Rows", 0) or 0)
    for child in plan.get("Plans", ()):
        yield from _seq_scans(child)


def explain_pages(url: str, username: str) -> None:
    """EXPLAIN ANALYZE each statement the queue and case pages run for ``username``."""
    from sqlalchemy import event

    from huikuan.access.policy import principal_for
    from huikuan.db.engine import make_engine, transaction
    from huikuan.web.queries import case_detail, work_queue

    engine = make_engine(url)
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    pages: dict[str, list[tuple[str, Any]]] = {}
    with transaction(engine) as session:
        principal = principal_for(session, username)
        event.listen(engine, "before_cursor_execute", capture)
        queue = work_queue(session, principal, today=AS_OF)
        pages["queue"], statements = statements, []
        if queue.rows:
            case_detail(session, principal, queue.rows[0].case_id)
        pages["case"], statements = statements, []
        event.remove(engine, "before_cursor_execute", capture)
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        for page, captured in pages.items():
            total_ms = 0.0
            scans: list[dict[str, object]] = []
            for statement, parameters in captured:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                cursor = raw.cursor()
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                fetched = cursor.fetchone()
                assert fetched is not None
                document = fetched[0][0]
                cursor.close()
                total_ms += float(document.get("Execution Time", 0.0))
                scans.extend(
                    {"table": table, "rows": rows} for table, rows in _seq_scans(document["Plan"])
                )
            _emit(
                {
                    "bench": f"web.explain.{page}",
                    "statements": len(captured),
                    "execution_ms": round(total_ms, 2),
                    "seq_scans_of_large_tables": scans,
                }
            )
        connection.rollback()
    engine.dispose()


# --- 3. server and load ----------------------------------------------------------------------


# Memory for a 1M-account database on this 24 GB machine, as production would be tuned (the
# defaults, 128 MB of shared buffers, are sized for a laptop).
PG_SETTINGS = {"shared_buffers": "2GB", "effective_cache_size": "8GB", "work_mem": "16MB"}
WORKERS = 2  # one uvicorn process per core, as a deployment on this machine would run it


def bench_app() -> Any:
    """The app for each uvicorn worker process (settings passed through the environment)."""
    from huikuan.db.engine import make_engine
    from huikuan.security.crypto import FieldCipher
    from huikuan.web.app import create_app

    return create_app(
        make_engine(os.environ["HUIKUAN_BENCH_URL"]),
        FieldCipher.from_spec(os.environ["HUIKUAN_BENCH_KEYS"], os.environ["HUIKUAN_BENCH_SEARCH"]),
        secret_key=os.environ["HUIKUAN_BENCH_SECRET"],
        clock=lambda: CLOCK,  # the portfolio's business date, whatever today is
    )


def serve(url: str, port: int, secret_key: str, workers: int = WORKERS) -> None:
    """The workbench app on 127.0.0.1:``port`` with ``workers`` processes (own process)."""
    import uvicorn

    from huikuan.security.crypto import generate_key, generate_spec

    os.environ["HUIKUAN_BENCH_URL"] = url
    os.environ["HUIKUAN_BENCH_SECRET"] = secret_key
    os.environ["HUIKUAN_BENCH_KEYS"] = generate_spec("bench")
    os.environ["HUIKUAN_BENCH_SEARCH"] = generate_key()
    uvicorn.run(
        "huikuan.bench.web:bench_app",
        factory=True,
        workers=workers,
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
    )


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


async def _sign_in(
    http: httpx.AsyncClient, username: str, password: str, errors: dict[str, int]
) -> list[int]:
    """Sign in through the form; the case ids of the user's first queue page."""
    try:
        form = await http.get("/login")
        found = CSRF.search(form.text)
        if found is None:
            raise httpx.HTTPError("the sign-in form carries no CSRF token")
        fields = {"username": username, "password": password, "csrf_token": found.group(1)}
        signed = await http.post("/login", data=fields)
        if signed.status_code != 303:
            raise httpx.HTTPError(f"sign-in answered {signed.status_code}")
        listing = await http.get("/api/queue", params={"limit": 50})
        case_ids = [int(row["case_id"]) for row in listing.json().get("rows", [])]
    except (httpx.HTTPError, ValueError, KeyError, AttributeError):
        errors["login"] = errors.get("login", 0) + 1
        return []
    if not case_ids:
        errors["no_cases"] = errors.get("no_cases", 0) + 1
    return case_ids


async def _work(
    http: httpx.AsyncClient,
    case_ids: list[int],
    deadline: float,
    budget: list[int],
    timings: dict[str, list[float]],
    errors: dict[str, int],
    think: float,
    pacing: random.Random,
) -> None:
    turn = 0
    if think:  # people do not all click at the same instant: start staggered
        await asyncio.sleep(pacing.uniform(0, think))
    while case_ids and time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 2
        for page, path in (("queue", "/queue"), ("case", f"/cases/{case_ids[turn]}")):
            started = time.perf_counter()
            try:
                response = await http.get(path)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            timings[page].append((time.perf_counter() - started) * 1000)
            if not ok:
                errors[page] = errors.get(page, 0) + 1
            if think:  # a person reads the page before the next click (as locust's between())
                await asyncio.sleep(pacing.uniform(0.5 * think, 1.5 * think))
        turn = (turn + 1) % len(case_ids)


async def _drive(
    base: str,
    logins: list[tuple[str, str]],
    users: int,
    seconds: float,
    requests: int,
    think: float,
) -> dict[str, Any]:
    timings: dict[str, list[float]] = {"queue": [], "case": []}
    errors: dict[str, int] = {}
    budget = [requests]
    clients = [
        httpx.AsyncClient(base_url=base, timeout=120.0, follow_redirects=False, trust_env=False)
        for _ in range(users)
    ]
    try:
        # Signing in (argon2, deliberately slow) is not what is measured: all users sign in
        # first, then the clock starts.
        started = time.perf_counter()
        cases = await asyncio.gather(
            *(
                _sign_in(http, *logins[number % len(logins)], errors)
                for number, http in enumerate(clients)
            )
        )
        _emit(
            {
                "bench": "web.sign_in",
                "users": users,
                "seconds": round(time.perf_counter() - started, 3),
                "errors": errors.get("login", 0),
            }
        )
        deadline = time.monotonic() + seconds
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _work(http, ids, deadline, budget, timings, errors, think, random.Random(number))
                for number, (http, ids) in enumerate(zip(clients, cases, strict=True))
            )
        )
    finally:
        for http in clients:
            await http.aclose()
    return {"seconds": time.perf_counter() - started, "timings": timings, "errors": errors}


def drive(
    base: str, logins_json: str, users: int, seconds: float, requests: int, think: float = 0.0
) -> None:
    """The load (run in its own process): prints one JSON line per page. ``think``: the mean
    seconds a user spends on a page before the next request, drawn uniformly from half to one
    and a half of it, users starting staggered (0: back-to-back, a stress test)."""
    logins = [(str(name), str(password)) for name, password in json.loads(logins_json)]
    outcome = asyncio.run(_drive(base, logins, users, seconds, requests, think))
    for page, values in outcome["timings"].items():
        p99 = _percentile(values, 0.99)
        _emit(
            {
                "bench": f"web.page.{page}",
                "users": users,
                "think_seconds": think,
                "requests": len(values),
                "errors": outcome["errors"].get(page, 0),
                "seconds": round(outcome["seconds"], 3),
                "requests_per_second": round(len(values) / outcome["seconds"], 1),
                "p50_ms": round(_percentile(values, 0.5), 1),
                "p99_ms": round(p99, 1),
                "target_p99_ms": TARGET_P99_MS,
                "p99_to_target": round(p99 / TARGET_P99_MS, 2),
            }
        )
    other = {k: v for k, v in outcome["errors"].items() if k not in outcome["timings"]}
    if other:
        _emit({"bench": "web.errors", **other})


@contextmanager
def _server(url: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from huikuan.bench.web import serve; "
            "serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])",
            url,
            str(port),
            secrets.token_urlsafe(48),
        ],
    )
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError("the web server exited while starting")
            try:
                with socket.create_connection((HOST, port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the web server did not start")
        yield f"http://{HOST}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(
    accounts: int = 1_000_000,
    users: int = 50,
    seconds: float = 60.0,
    requests: int = 10**9,
    think_times: tuple[float, ...] = (1.0, 0.0),
) -> None:
    """Build, serve, then drive the pages once per think time: 1 s (people working cases) and
    0 s (back-to-back requests, the saturation case)."""
    from huikuan.db.throwaway_pg import temporary_postgres

    with (
        tempfile.TemporaryDirectory(prefix="huikuan-bench-web-") as folder,
        temporary_postgres(PG_SETTINGS) as url,
    ):
        logins = build_database(url, accounts, Path(folder))
        explain_pages(url, logins[0][0])
        with _server(url) as base:
            for think in think_times:
                completed = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        "import sys; from huikuan.bench.web import drive; "
                        "drive(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), "
                        "int(sys.argv[5]), float(sys.argv[6]))",
                        base,
                        json.dumps(logins),
                        str(users),
                        str(seconds),
                        str(requests),
                        str(think),
                    ],
                    check=False,
                )
                if completed.returncode != 0:
                    raise RuntimeError(f"the load driver failed ({completed.returncode})")
