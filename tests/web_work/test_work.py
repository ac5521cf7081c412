"""The case tools through the HTML forms and the JSON API: calls through the guard, promises,
plan proposals, template messages, call tasks, the dry run, and every refusal."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huikuan.accounts.models import ContactPoint
from huikuan.audit.models import AuditLog
from huikuan.calls.models import CallTask
from huikuan.cases.models import Case, CaseTransition, Hold, Plan, Promise
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import transaction
from huikuan.dispatch.models import OutboxMessage
from huikuan.web.i18n import CATALOGUES
from tests.web.conftest import FakeClock, World, login

HX = {"HX-Request": "true"}


def _count(world: World, model: type) -> int:
    with transaction(world.engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _csrf_headers(token: str) -> dict[str, str]:
    return {"X-CSRF-Token": token}


# --- the panel on the case page ----------------------------------------------------------------


def test_the_case_page_loads_the_tools_for_agents_only(client: TestClient, world: World) -> None:
    case = world.ids["c1"]
    login(client, "a1")
    page = client.get(f"/cases/{case}").text
    assert f'hx-get="/cases/{case}/work"' in page
    fragment = client.get(f"/cases/{case}/work", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'data-testid="work-panel"' in fragment.text
    assert "138****5678" in fragment.text
    assert "13812345678" not in fragment.text  # masked, never the number
    assert "本人接听" in fragment.text
    assert "SMS-PTP-CONFIRM" in fragment.text
    # Without htmx the same panel is a page of its own.
    assert "<html" in client.get(f"/cases/{case}/work").text
    login(client, "qa")
    assert f"/cases/{case}/work" not in client.get(f"/cases/{case}").text
    assert client.get(f"/cases/{case}/work").status_code == 403


def test_the_dry_run_says_why_blocked_and_stores_nothing(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    login(client, "a1")
    before = _count(world, ContactAttempt)
    status = client.get(f"/api/cases/{world.ids['c1']}/contact-status").json()
    assert [s["channel"] for s in status] == ["phone", "sms", "email"]
    assert all(s["decision"] == "allowed" for s in status)
    clock.advance(hours=14)  # 23:00 in Shanghai: quiet hours
    login(client, "a1")  # the session idled out meanwhile
    late = client.get(f"/api/cases/{world.ids['c1']}/contact-status").json()
    phone = late[0]
    assert phone["decision"] == "deferred"
    assert phone["allowed"] is False
    assert phone["next_allowed_at"].startswith("2026-11-21T00:00")  # 08:00 local
    assert any(r["message_zh"] for r in phone["reasons"])
    page = client.get(f"/cases/{world.ids['c1']}/work", headers=HX).text
    assert "2026-11-21 08:00" in page
    assert _count(world, ContactAttempt) == before


# --- logging a call ------------------------------------------------------------------------------


def test_an_allowed_call_is_logged_with_its_note_and_closes_todays_task(
    client: TestClient, world: World
) -> None:
    token = login(client, "a1")
    response = client.post(
        f"/cases/{world.ids['c1']}/work/call",
        data={
            "csrf_token": token,
            "contact_point_id": world.ids["c1_mobile"],
            "disposition": "refuse",
            "note": "客户称本月资金紧张",
        },
    )
    assert response.status_code == 200
    assert "通话已记录" in response.text
    assert "今日外呼任务已关闭" in response.text
    with transaction(world.engine) as s:
        attempt = s.scalars(select(ContactAttempt).order_by(ContactAttempt.id.desc())).first()
        assert attempt is not None
        assert (attempt.executed, attempt.outcome, attempt.call_type) == (
            True,
            "conversation",
            "agent",
        )
        assert attempt.content == "客户称本月资金紧张"
        task = s.get(CallTask, world.ids["t-c1"])
        assert task is not None
        assert (task.status, task.outcome, task.closed_by) == ("done", "refuse", "a1")
        # Yesterday's task is not today's: left for the day-end job to expire.
        old = s.get(CallTask, world.ids["t-c1-old"])
        assert old is not None
        assert old.status == "open"
        actions = s.scalars(select(AuditLog.action)).all()
        assert "call.logged" in actions


def test_a_note_with_banned_wording_is_refused_and_nothing_is_saved(
    client: TestClient, world: World
) -> None:
    token = login(client, "a1")
    attempts, audits = _count(world, ContactAttempt), _count(world, AuditLog)
    response = client.post(
        f"/cases/{world.ids['c1']}/work/call",
        data={
            "csrf_token": token,
            "contact_point_id": world.ids["c1_mobile"],
            "disposition": "rpc",
            "note": "再不还钱就让你坐牢",
        },
    )
    assert response.status_code == 422
    assert "<mark>坐牢</mark>" in response.text
    assert "备注含有禁用表述" in response.text
    api = client.post(
        f"/api/cases/{world.ids['c1']}/calls",
        json={"contact_point_id": world.ids["c1_mobile"], "disposition": "rpc", "note": "f*ck you"},
        headers=_csrf_headers(token),
    )
    assert api.status_code == 422
    assert api.json()["detail"][0]["loc"] == ["body", "note"]
    assert api.json()["detail"][0]["hits"]
    assert (_count(world, ContactAttempt), _count(world, AuditLog)) == (attempts, audits)


def test_a_deferred_call_is_not_logged_as_made_and_shows_the_next_allowed_time(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    clock.advance(hours=14)  # 23:00 in Shanghai
    token = login(client, "a1")
    response = client.post(
        f"/api/cases/{world.ids['c1']}/calls",
        json={"contact_point_id": world.ids["c1_mobile"], "disposition": "rpc"},
        headers=_csrf_headers(token),
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["logged"], body["decision"]) == (False, "deferred")
    assert body["next_allowed_at"].startswith("2026-11-21T00:00")
    assert body["reasons"]
    assert body["task_closed"] is None
    page = client.post(
        f"/cases/{world.ids['c1']}/work/call",
        data={
            "csrf_token": token,
            "contact_point_id": world.ids["c1_mobile"],
            "disposition": "rpc",
        },
        headers=HX,
    ).text
    assert "合规检查未通过" in page
    assert "2026-11-21 08:00" in page
    with transaction(world.engine) as s:
        task = s.get(CallTask, world.ids["t-c1"])
        assert task is not None
        assert task.status == "open"
        attempt = s.get(ContactAttempt, body["attempt_id"])
        assert attempt is not None
        assert attempt.executed is False


def test_the_guard_blocks_an_agency_call_before_the_outsourcing_notice(
    client: TestClient, world: World
) -> None:
    token = login(client, "x1")
    body = client.post(
        f"/api/cases/{world.ids['c2']}/calls",
        json={"contact_point_id": world.ids["c2_mobile"], "disposition": "rpc"},
        headers=_csrf_headers(token),
    ).json()
    assert (body["logged"], body["decision"]) == (False, "blocked")
    assert any("OUTSOURCING" in r["rule_id"] for r in body["reasons"])
    # Agency staff see only the debtor's own mobile: the emergency contact is not theirs to use.
    refused = client.post(
        f"/api/cases/{world.ids['c2']}/calls",
        json={"contact_point_id": world.ids["c2_emergency"], "disposition": "rpc"},
        headers=_csrf_headers(token),
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "contact_point_id"]


def test_a_wrong_number_is_marked_invalid_and_never_offered_again(
    client: TestClient, world: World
) -> None:
    token = login(client, "a1")
    body = client.post(
        f"/api/cases/{world.ids['c1']}/calls",
        json={"contact_point_id": world.ids["c1_mobile"], "disposition": "wrong_number"},
        headers=_csrf_headers(token),
    ).json()
    assert body["logged"]
    assert body["number_invalidated"]
    with transaction(world.engine) as s:
        point = s.get(ContactPoint, world.ids["c1_mobile"])
        assert point is not None
        assert point.status == "invalid"
    again = client.post(
        f"/api/cases/{world.ids['c1']}/calls",
        json={"contact_point_id": world.ids["c1_mobile"], "disposition": "rpc"},
        headers=_csrf_headers(token),
    )
    assert again.status_code == 422
    panel = client.get(f"/api/cases/{world.ids['c1']}/work").json()
    phone = panel["contact_status"][0]
    assert phone["contact_point_id"] != world.ids["c1_mobile"]


def test_a_dispute_starts_a_hold_that_stops_collection(client: TestClient, world: World) -> None:
    token = login(client, "a1")
    body = client.post(
        f"/api/cases/{world.ids['c1']}/calls",
        json={
            "contact_point_id": world.ids["c1_mobile"],
            "disposition": "dispute",
            "note": "客户对利息金额有异议",
        },
        headers=_csrf_headers(token),
    ).json()
    assert body["logged"]
    assert body["hold_id"]
    assert body["case_state"] == "on_hold"
    with transaction(world.engine) as s:
        hold = s.get(Hold, body["hold_id"])
        assert hold is not None
        assert (hold.kind, hold.actor) == ("dispute", "a1")
        case = s.get(Case, world.ids["c1"])
        assert case is not None
        assert case.state == "on_hold"
    status = client.get(f"/api/cases/{world.ids['c1']}/contact-status").json()
    assert {s["decision"] for s in status} == {"blocked"}
    assert any("HOLD" in r["rule_id"] for r in status[0]["reasons"])


# --- promises ------------------------------------------------------------------------------------


def test_a_promise_in_yuan_is_stored_in_exact_fen_and_moves_the_case(
    client: TestClient, world: World
) -> None:
    token = login(client, "a1")
    response = client.post(
        f"/cases/{world.ids['c1']}/work/promise",
        data={"csrf_token": token, "amount": "1,234.56", "promised_on": "2026-11-27"},
    )
    assert response.status_code == 200
    assert "1,234.56" in response.text
    with transaction(world.engine) as s:
        promise = s.scalars(select(Promise).order_by(Promise.id.desc())).first()
        assert promise is not None
        assert (promise.amount, promise.promised_on, promise.status) == (
            123_456,
            date(2026, 11, 27),
            "pending",
        )
        assert promise.agent_id == world.ids["a1"]
        moved = s.scalars(select(CaseTransition).where(CaseTransition.case_id == world.ids["c1"]))
        assert [(t.from_state, t.to_state, t.reason) for t in moved] == [
            ("active", "promised", "promise_made")
        ]


@pytest.mark.parametrize(
    ("amount", "promised_on", "field", "message"),
    [
        ("10241.35", "2026-11-27", "amount", "超过欠款余额"),  # one fen over the balance
        ("0", "2026-11-27", "amount", "必须大于 0"),
        ("12.345", "2026-11-27", "amount", "最多两位小数"),
        ("100", "2026-11-19", "promised_on", "不能早于今天"),
        ("100", "2026-12-21", "promised_on", "30 天"),
        ("100", "tomorrow", "promised_on", "YYYY-MM-DD"),
    ],
)
def test_a_promise_over_the_limits_is_refused_with_the_field_named(
    client: TestClient, world: World, amount: str, promised_on: str, field: str, message: str
) -> None:
    token = login(client, "a1")
    before = _count(world, Promise)
    response = client.post(
        f"/cases/{world.ids['c1']}/work/promise",
        data={"csrf_token": token, "amount": amount, "promised_on": promised_on},
    )
    assert response.status_code == 422
    error = re.search(rf'data-testid="error-{field}">([^<]*)<', response.text)
    assert error is not None
    assert message in error.group(1)
    assert _count(world, Promise) == before


def test_the_balance_itself_may_be_promised_through_the_api(
    client: TestClient, world: World
) -> None:
    token = login(client, "a1")
    response = client.post(
        f"/api/cases/{world.ids['c1']}/promises",
        json={"amount": 1_024_134, "promised_on": "2026-12-20"},  # the balance, on day 30
        headers=_csrf_headers(token),
    )
    assert response.status_code == 201
    assert response.json()["case_state"] == "promised"
    over = client.post(
        f"/api/cases/{world.ids['c1']}/promises",
        json={"amount": 1_024_135, "promised_on": "2026-12-20"},
        headers=_csrf_headers(token),
    )
    assert over.status_code == 422
    assert over.json()["detail"][0]["loc"] == ["body", "amount"]


# --- plans, settlements, waivers -----------------------------------------------------------------


def test_a_plan_is_previewed_first_and_stored_as_proposed_on_submit(
    client: TestClient, world: World
) -> None:
    token = login(client, "a1")
    form = {
        "csrf_token": token,
        "kind": "instalment",
        "schedule": "equal_principal",
        "months": "3",
        "first_due_on": "2026-12-01",
        "annual_rate": "0",
        "down_payment": "1,000.00",
    }
    preview = client.post(f"/cases/{world.ids['c1']}/work/plan", data={**form, "action": "preview"})
    assert preview.status_code == 200
    assert "还款计划预览" in preview.text
    assert "10,241.34" in preview.text  # the total: balance at a zero rate
    assert _count(world, Plan) == 1  # the world's own plan only
    stored = client.post(f"/cases/{world.ids['c1']}/work/plan", data={**form, "action": "submit"})
    assert "等待组长审批" in stored.text
    with transaction(world.engine) as s:
        plan = s.scalars(select(Plan).order_by(Plan.id.desc())).first()
        assert plan is not None
        assert (plan.kind, plan.status, plan.proposed_by, plan.approved_by) == (
            "instalment",
            "proposed",
            "a1",
            None,
        )
        schedule = plan.terms["schedule"]
        assert isinstance(schedule, list)
        assert [line["number"] for line in schedule] == [0, 1, 2, 3]
        assert schedule[0] == {
            "number": 0,
            "due_on": "2026-11-20",
            "principal": 100_000,
            "interest": 0,
            "amount": 100_000,
        }
        assert sum(line["amount"] for line in schedule) == 1_024_134
        assert plan.terms["inputs"]["down_payment"] == "1,000.00"  # type: ignore[index]


def test_a_settlement_and_a_waiver_through_the_api(client: TestClient, world: World) -> None:
    token = login(client, "a1")
    settlement = client.post(
        f"/api/cases/{world.ids['c1']}/plans",
        json={
            "kind": "settlement",
            "first_due_on": "2026-11-30",
            "settlement_amount": 1_000_000,
            "submit": True,
        },
        headers=_csrf_headers(token),
    ).json()
    assert settlement["status"] == "proposed"
    assert settlement["payable"] == settlement["total"] == 1_000_000
    # Fees, penalty, interest, then principal are waived in turn: 24,134 fen in all.
    assert settlement["waived"] == {
        "principal": 4_000,
        "interest": 12_345,
        "penalty": 6_789,
        "fee": 1_000,
    }
    waiver = client.post(
        f"/api/cases/{world.ids['c1']}/plans",
        json={
            "kind": "waiver",
            "first_due_on": "2026-11-30",
            "waive_penalty": 6_789,
            "waive_fee": 1_000,
            "submit": True,
        },
        headers=_csrf_headers(token),
    ).json()
    assert waiver["kind"] == "waiver"
    assert waiver["payable"] == 1_024_134 - 7_789
    too_much = client.post(
        f"/api/cases/{world.ids['c1']}/plans",
        json={"kind": "waiver", "first_due_on": "2026-11-30", "waive_fee": 1_001},
        headers=_csrf_headers(token),
    )
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["loc"] == ["body", "waive_fee"]
    with transaction(world.engine) as s:
        kinds = s.scalars(select(Plan.kind).where(Plan.status == "proposed").order_by(Plan.id))
        assert list(kinds) == ["instalment", "settlement", "waiver"]


# --- template messages ---------------------------------------------------------------------------


def test_a_message_is_previewed_then_staged_once_however_often_it_is_sent(
    client: TestClient, world: World
) -> None:
    token = login(client, "a1")
    url = f"/cases/{world.ids['c1']}/work/message"
    form = {
        "csrf_token": token,
        "template": "SMS-M1-D1|zh",
        "contact_point_id": str(world.ids["c1_mobile"]),
        "nonce": "form-nonce-1",
    }
    preview = client.post(url, data={**form, "action": "preview"}, headers=HX)
    assert "预览（尚未发送）" in preview.text
    assert "10,241.34" in preview.text  # the case balance, rendered into the text
    assert 'value="form-nonce-1"' in preview.text  # the send that follows shares the nonce
    assert _count(world, OutboxMessage) == 0
    first = client.post(url, data={**form, "action": "send"}, headers=HX)
    second = client.post(url, data={**form, "action": "send"}, headers=HX)  # a double click
    assert "已进入发送队列" in first.text
    assert "不会重复发送" in second.text
    with transaction(world.engine) as s:
        rows = s.scalars(select(OutboxMessage)).all()
        assert len(rows) == 1
        (message,) = rows
        point = s.get(ContactPoint, world.ids["c1_mobile"])
        assert point is not None
        assert message.recipient == point.value_enc  # the stored token, never the number
        assert (message.channel, message.template_code, message.case_id) == (
            "sms",
            "SMS-M1-D1",
            world.ids["c1"],
        )
        attempt = s.get(ContactAttempt, message.contact_attempt_id)
        assert attempt is not None
        assert attempt.content == message.body
        assert attempt.executed
    # A new form (new nonce) is a new message.
    third = client.post(url, data={**form, "nonce": "form-nonce-2", "action": "send"})
    assert "已进入发送队列" in third.text
    assert _count(world, OutboxMessage) == 2


def test_an_email_needs_an_email_address_and_quiet_hours_stop_a_message(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    token = login(client, "a1")
    url = f"/api/cases/{world.ids['c1']}/messages"
    wrong = client.post(
        url,
        json={
            "template_code": "EMAIL-M2-NOTICE",
            "contact_point_id": world.ids["c1_mobile"],
            "nonce": "n1",
            "send": True,
        },
        headers=_csrf_headers(token),
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "contact_point_id"]
    clock.advance(hours=14)
    token = login(client, "a1")
    late = client.post(
        url,
        json={
            "template_code": "EMAIL-M2-NOTICE",
            "contact_point_id": world.ids["c1_email"],
            "nonce": "n2",
            "send": True,
        },
        headers=_csrf_headers(token),
    ).json()
    assert late["sent"] is False
    assert late["decision"] in ("deferred", "blocked")
    assert late["reasons"]
    assert _count(world, OutboxMessage) == 0


# --- call tasks ----------------------------------------------------------------------------------


def test_todays_open_call_tasks_in_priority_order(client: TestClient, world: World) -> None:
    login(client, "a1")
    tasks = client.get("/api/work/tasks").json()
    assert tasks["business_date"] == "2026-11-20"
    assert [t["task_id"] for t in tasks["tasks"]] == [world.ids["t-c1"], world.ids["t-c1b"]]
    assert tasks["tasks"][0]["script"] == "SCRIPT-PTP"
    page = client.get("/work/tasks").text
    assert 'href="/work/tasks"' in page  # the menu item
    assert page.index("SCRIPT-PTP") < page.index("SCRIPT-M4")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # escaped masked name
    assert "SCRIPT-M3" not in page  # a2's task
    login(client, "lead")
    lead = client.get("/api/work/tasks").json()
    assert {t["task_id"] for t in lead["tasks"]} == {
        world.ids["t-c1"],
        world.ids["t-c1b"],
        world.ids["t-c3"],
    }
    login(client, "mgr")
    assert client.get("/api/work/tasks").status_code == 403
    assert 'href="/work/tasks"' not in client.get("/home").text


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["qa", "legal", "mgr", "cli_a"])
def test_roles_that_do_not_work_cases_are_refused(
    client: TestClient, world: World, username: str
) -> None:
    token = login(client, username)
    response = client.post(
        f"/api/cases/{world.ids['c1']}/promises",
        json={"amount": 100, "promised_on": "2026-11-27"},
        headers=_csrf_headers(token),
    )
    assert response.status_code == 403
    form = client.post(
        f"/cases/{world.ids['c1']}/work/call",
        data={
            "csrf_token": token,
            "contact_point_id": world.ids["c1_mobile"],
            "disposition": "rpc",
        },
    )
    assert form.status_code == 403
    assert _count(world, ContactAttempt) == 2


@pytest.mark.parametrize(("username", "case"), [("a1", "c3"), ("a1", "c4"), ("x1", "c1")])
def test_another_creditors_or_agents_case_is_not_found(
    client: TestClient, world: World, username: str, case: str
) -> None:
    token = login(client, username)
    for path in ("work", "contact-status"):
        assert client.get(f"/api/cases/{world.ids[case]}/{path}").status_code == 404
    response = client.post(
        f"/api/cases/{world.ids[case]}/calls",
        json={"contact_point_id": world.ids[f"{case}_mobile"], "disposition": "rpc"},
        headers=_csrf_headers(token),
    )
    assert response.status_code == 404
    assert client.get(f"/cases/{world.ids[case]}/work").status_code == 404
    assert _count(world, ContactAttempt) == 2


def test_a_contact_point_of_another_case_is_refused(client: TestClient, world: World) -> None:
    token = login(client, "a1")
    response = client.post(
        f"/api/cases/{world.ids['c1']}/calls",
        json={"contact_point_id": world.ids["c1b_mobile"], "disposition": "rpc"},
        headers=_csrf_headers(token),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "contact_point_id"]


def test_unsafe_requests_without_the_csrf_token_are_refused(
    client: TestClient, world: World
) -> None:
    login(client, "a1")
    form = client.post(
        f"/cases/{world.ids['c1']}/work/promise",
        data={"amount": "100", "promised_on": "2026-11-27"},
    )
    assert form.status_code == 403
    api = client.post(
        f"/api/cases/{world.ids['c1']}/messages",
        json={
            "template_code": "SMS-M1-D1",
            "contact_point_id": world.ids["c1_mobile"],
            "send": True,
        },
    )
    assert api.status_code == 403
    assert _count(world, Promise) == 1
    assert _count(world, OutboxMessage) == 0


def test_the_api_is_documented_and_both_languages_have_every_key(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    for path in (
        "/api/work/tasks",
        "/api/cases/{case_id}/work",
        "/api/cases/{case_id}/contact-status",
        "/api/cases/{case_id}/calls",
        "/api/cases/{case_id}/promises",
        "/api/cases/{case_id}/plans",
        "/api/cases/{case_id}/messages",
    ):
        assert path in spec["paths"]
    assert "CallResultRead" in spec["components"]["schemas"]
    work_zh = {key for key in CATALOGUES["zh"] if key.startswith("work.")}
    work_en = {key for key in CATALOGUES["en"] if key.startswith("work.")}
    assert work_zh == work_en
    assert len(work_zh) > 50


def test_the_panel_speaks_english(client: TestClient, world: World) -> None:
    login(client, "a1")
    client.cookies.set("lang", "en")
    page = client.get(f"/cases/{world.ids['c1']}/work").text
    assert "Log a call" in page
    assert "Right party reached" in page
    assert "记录通话" not in page
