"""/metrics: the outbox lag and open call tasks by due day, next to the request metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from huikuan.calls.models import CallTask
from huikuan.db.engine import transaction
from huikuan.dispatch.models import OutboxMessage
from tests.web.conftest import FakeClock, World

# The fake clock says 2026-11-20 01:00 UTC: 09:00 on 2026-11-20 in Shanghai.
DUE = {
    "t-overdue-1": (date(2026, 11, 18), "open"),
    "t-overdue-2": (date(2026, 11, 19), "open"),
    "t-today-1": (date(2026, 11, 20), "open"),
    "t-today-2": (date(2026, 11, 20), "open"),
    "t-today-done": (date(2026, 11, 20), "done"),
    "t-tomorrow": (date(2026, 11, 21), "open"),
    "t-later": (date(2026, 12, 31), "open"),
}


def _scrape(client: TestClient) -> dict[str, dict[str, float]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    found: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            label = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found.setdefault(sample.name, {})[label] = sample.value
    return found


def test_open_call_tasks_by_due_day_and_the_outbox_lag(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    with transaction(world.engine) as session:
        for key, (due_on, status) in DUE.items():
            session.add(
                CallTask(
                    task_key=key,
                    case_id=world.ids["c1"],
                    due_on=due_on,
                    not_before=clock.now,
                    priority=1,
                    reason="test",
                    status=status,
                )
            )
        for key, due, status in (
            ("m-old", datetime(2026, 11, 19, 23, 0, tzinfo=UTC), "pending"),
            ("m-new", datetime(2026, 11, 20, 0, 45, tzinfo=UTC), "pending"),
            ("m-future", datetime(2026, 11, 20, 5, 0, tzinfo=UTC), "pending"),
            ("m-sent", datetime(2026, 11, 19, 20, 0, tzinfo=UTC), "sent"),
        ):
            session.add(
                OutboxMessage(
                    send_key=key,
                    channel="sms",
                    sender="s",
                    recipient="token",
                    body="b",
                    created_at=due,
                    not_before=due,
                    next_attempt_at=due,
                    status=status,
                )
            )
    metrics = _scrape(client)
    open_tasks = metrics["huikuan_call_tasks_open"]
    assert open_tasks["due=overdue"] == 2
    assert open_tasks["due=d0"] == 2  # the done one is not open
    assert open_tasks["due=d1"] == 1
    assert open_tasks["due=d6"] == 0
    assert open_tasks["due=later"] == 1
    # The oldest due pending message waits since 23:00; the sent one does not count.
    assert metrics["huikuan_outbox_lag_seconds"][""] == 2 * 3600

    clock.advance(days=1)  # tomorrow the d1 task is due today and today's are overdue
    later = _scrape(client)["huikuan_call_tasks_open"]
    assert later["due=overdue"] == 4
    assert later["due=d0"] == 1


def test_empty_database_reports_zeros(client: TestClient) -> None:
    metrics = _scrape(client)
    assert set(metrics["huikuan_call_tasks_open"].values()) == {0.0}
    assert len(metrics["huikuan_call_tasks_open"]) == 9
    assert metrics["huikuan_outbox_lag_seconds"][""] == 0
