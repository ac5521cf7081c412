"""Prometheus metrics of the web app: requests, latencies and the outbox queue.

Data flow: the app's middleware calls :meth:`WebMetrics.observe` once per request with the
route *template* (``/cases/{case_id}``, never the concrete path, so the number of series stays
bounded and no identifier lands in a label) → ``/metrics`` renders the app's own registry, and
at that moment :class:`OutboxCollector` counts outbox messages by status and the age of the
oldest message that is due but not sent (the outbox lag), and :class:`CallTaskCollector`
counts open call tasks by due day (one grouped query over the ``ix_call_tasks_queue`` index).
Each collector answers from its own short connection; a database that does not answer leaves
its series out rather than failing the scrape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from huikuan.calls.models import CallTask, CallTaskStatus
from huikuan.dispatch.models import MessageStatus, OutboxMessage
from huikuan.web.deps import BUSINESS_TZ

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class OutboxCollector(Collector):
    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self.engine = engine
        self.now = now

    def describe(self) -> Iterable[Metric]:
        # Describing without collecting: registering must not query a database yet.
        yield GaugeMetricFamily(
            "huikuan_outbox_messages", "Outbox messages by status", labels=["status"]
        )
        yield GaugeMetricFamily(
            "huikuan_outbox_lag_seconds", "Age of the oldest due, unsent outbox message"
        )

    def collect(self) -> Iterable[Metric]:
        depth = GaugeMetricFamily(
            "huikuan_outbox_messages", "Outbox messages by status", labels=["status"]
        )
        lag = GaugeMetricFamily(
            "huikuan_outbox_lag_seconds", "Age of the oldest due, unsent outbox message"
        )
        now = self.now()
        try:
            with self.engine.connect() as connection:
                counts = dict(
                    connection.execute(
                        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                    ).all()
                )
                oldest = connection.scalar(
                    select(func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status == MessageStatus.PENDING.value,
                        OutboxMessage.next_attempt_at <= now,
                    )
                )
        except SQLAlchemyError:
            return  # no database answer: the request metrics are still worth serving
        for status in MessageStatus:
            depth.add_metric([status.value], float(counts.get(status.value, 0)))
        yield depth
        if isinstance(oldest, datetime):
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            lag.add_metric([], max(0.0, (now - oldest).total_seconds()))
        else:
            lag.add_metric([], 0.0)
        yield lag


CALL_TASK_DAYS_AHEAD = 6
"""Open call tasks are labelled by due day relative to today's business date: ``overdue``,
``d0`` (today) … ``d6``, ``later``. Relative labels keep the number of series fixed (a date
label would start a new series every day)."""


def due_label(due_on: date, today: date) -> str:
    """
    >>> today = date(2026, 11, 20)
    >>> [due_label(date(2026, 11, d), today) for d in (19, 20, 26, 27)]
    ['overdue', 'd0', 'd6', 'later']
    """
    ahead = (due_on - today).days
    if ahead < 0:
        return "overdue"
    return f"d{ahead}" if ahead <= CALL_TASK_DAYS_AHEAD else "later"


def _due_labels() -> list[str]:
    return ["overdue", *(f"d{day}" for day in range(CALL_TASK_DAYS_AHEAD + 1)), "later"]


class CallTaskCollector(Collector):
    """Open call tasks by due day: what the agents' queues hold and how much is overdue."""

    NAME = "huikuan_call_tasks_open"
    HELP = "Open call tasks by due day relative to the business date (overdue, d0..d6, later)"

    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self.engine = engine
        self.now = now

    def describe(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(self.NAME, self.HELP, labels=["due"])

    def collect(self) -> Iterable[Metric]:
        today = self.now().astimezone(BUSINESS_TZ).date()
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    select(CallTask.due_on, func.count())
                    .where(CallTask.status == CallTaskStatus.OPEN.value)
                    .group_by(CallTask.due_on)
                ).all()
        except SQLAlchemyError:
            return
        counts = dict.fromkeys(_due_labels(), 0)
        for due_on, count in rows:
            counts[due_label(due_on, today)] += int(count)
        family = GaugeMetricFamily(self.NAME, self.HELP, labels=["due"])
        for label, count in counts.items():
            family.add_metric([label], float(count))
        yield family


class WebMetrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "huikuan_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "huikuan_http_request_duration_seconds",
            "HTTP request latency by method, route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(OutboxCollector(engine, now))
        self.registry.register(CallTaskCollector(engine, now))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route, str(status)).observe(seconds)
