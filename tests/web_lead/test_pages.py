"""The lead's pages and JSON routes through the app: board, 调案, approvals, overrides, and
every refusal (wrong role, another team's or agency's case, CSRF missing, over the limit)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import World, login

from huikuan.approvals.models import ApprovalDecision
from huikuan.cases.models import Case, Plan
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import transaction
from huikuan.web.areas import lead
from huikuan.web.i18n import CATALOGUES
from huikuan.web.rendering import TEMPLATES


def test_a_team_lead_lands_on_the_board(client: TestClient, world: World) -> None:
    login(client, "lead")
    landing = client.get("/", follow_redirects=False)
    assert landing.headers["location"] == "/lead/board"
    page = client.get("/lead/board")
    assert page.status_code == 200
    assert "团队看板" in page.text
    assert 'data-testid="board-a1"' in page.text
    assert 'data-testid="board-b1"' not in page.text  # another team
    assert "20,537.68" in page.text  # a1's balance held, in yuan
    assert "888.00" in page.text  # a1's PTP due today
    assert "50%" in page.text  # kept rate this week
    board = client.get("/api/lead/board").json()
    a1 = next(row for row in board["rows"] if row["username"] == "a1")
    assert (a1["open_cases"], a1["balance"], a1["calls_open"], a1["calls_done"]) == (
        2,
        2_053_768,
        2,
        1,
    )
    assert (a1["contacts_today"], a1["blocked_today"]) == (1, 1)
    assert board["totals"]["open_cases"] == 3


def test_the_board_in_english(client: TestClient) -> None:
    login(client, "lead")
    client.get("/lang/en")
    page = client.get("/lead/board").text
    assert "Team board" in page
    assert "Calls open/done" in page


@pytest.mark.parametrize(
    "path", ["/lead/board", "/lead/cases", "/lead/approvals", "/lead/overrides"]
)
def test_other_roles_may_not_open_the_leads_pages(client: TestClient, path: str) -> None:
    login(client, "a1")
    assert client.get(path).status_code == 403
    assert client.get("/api" + path).status_code == 403
    anonymous = TestClient(client.app)
    assert anonymous.get("/api" + path).status_code == 401


def test_a_lead_reassigns_cases_from_the_case_list(client: TestClient, world: World) -> None:
    ids = world.ids
    csrf = login(client, "lead")
    listing = client.get(f"/lead/cases?agent_id={ids['a1']}")
    assert "CASE-c1b" in listing.text
    assert "CASE-c3" not in listing.text  # a2's
    assert "CASE-c5" not in listing.text  # another team's
    over = client.post(
        "/lead/cases/reassign",
        data={
            "csrf_token": csrf,
            "case_ids": [str(ids["c1"]), str(ids["c1b"])],
            "to_agent_id": str(ids["a2"]),
            "reason": "workload",
        },
    )
    assert over.status_code == 422
    assert "over capacity" in over.text
    done = client.post(
        "/lead/cases/reassign",
        data={
            "csrf_token": csrf,
            "case_ids": [str(ids["c1"])],
            "to_agent_id": str(ids["a2"]),
            "reason": "workload",
        },
    )
    assert done.status_code == 200
    assert 'data-testid="result"' in done.text
    with transaction(world.engine) as session:
        assert session.get_one(Case, ids["c1"]).agent_id == ids["a2"]


def test_reassign_form_errors_name_the_field(client: TestClient, world: World) -> None:
    csrf = login(client, "lead")
    missing = client.post("/lead/cases/reassign", data={"csrf_token": csrf, "reason": "workload"})
    assert missing.status_code == 422
    assert "case_ids" in missing.text
    assert "to_agent_id" in missing.text
    other = client.post(
        "/lead/cases/reassign",
        data={
            "csrf_token": csrf,
            "case_ids": [str(world.ids["c1"])],
            "to_agent_id": str(world.ids["a2"]),
            "reason": "other",
        },
    )
    assert other.status_code == 422
    assert "needs a note" in other.text


def test_reassign_json_refuses_out_of_scope(client: TestClient, world: World) -> None:
    ids = world.ids
    csrf = login(client, "lead")
    headers = {"X-CSRF-Token": csrf}
    other_case = client.post(
        "/api/lead/reassign",
        json={"case_ids": [ids["c5"]], "to_agent_id": ids["a2"], "reason": "workload"},
        headers=headers,
    )
    assert other_case.status_code == 404
    other_agent = client.post(
        "/api/lead/reassign",
        json={"case_ids": [ids["c1"]], "to_agent_id": ids["x1"], "reason": "workload"},
        headers=headers,
    )
    assert other_agent.status_code == 404
    moved = client.post(
        "/api/lead/reassign",
        json={"case_ids": [ids["c1"]], "to_agent_id": ids["a2"], "reason": "workload"},
        headers=headers,
    )
    assert moved.status_code == 200
    assert moved.json()["moved"][0]["to_agent_id"] == ids["a2"]


def test_unsafe_requests_without_csrf_are_refused(client: TestClient, world: World) -> None:
    login(client, "lead")
    plan = world.ids["p_inst"]
    assert client.post(f"/lead/approvals/{plan}", data={"decision": "approve"}).status_code == 403
    refused = client.post(f"/api/lead/approvals/{plan}", json={"decision": "approve"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert (
        client.post(
            f"/api/lead/overrides/{world.ids['t_7in7']}", json={"reason_code": "dropped_call"}
        ).status_code
        == 403
    )
    with transaction(world.engine) as session:
        assert session.get_one(Plan, plan).status == "proposed"


def test_a_lead_approves_a_plan_on_the_page(client: TestClient, world: World) -> None:
    csrf = login(client, "lead")
    page = client.get("/lead/approvals")
    assert f'data-testid="plan-{world.ids["p_inst"]}"' in page.text
    assert f'data-testid="plan-{world.ids["p_other"]}"' not in page.text  # IN-2's
    assert "5,000.00" in page.text  # the lead's limit, shown
    done = client.post(
        f"/lead/approvals/{world.ids['p_inst']}",
        data={"csrf_token": csrf, "decision": "approve", "comment": "ok"},
    )
    assert done.status_code == 200
    assert "已批准" in done.text
    assert f'data-testid="plan-{world.ids["p_inst"]}"' not in done.text
    with transaction(world.engine) as session:
        assert session.get_one(Case, world.ids["c1"]).state == "in_plan"


def test_over_the_limit_is_refused_on_the_page_and_reaches_the_manager(
    client: TestClient, world: World
) -> None:
    plan = world.ids["p_share"]
    csrf = login(client, "lead")
    refused = client.post(
        f"/lead/approvals/{plan}", data={"csrf_token": csrf, "decision": "approve"}
    )
    assert refused.status_code == 403
    assert "needs a manager" in refused.text
    with transaction(world.engine) as session:  # the escalation was kept, nothing else
        assert session.get_one(Plan, plan).status == "proposed"
        assert session.scalars(select(ApprovalDecision.decision)).all() == ["escalated"]
    client.post("/logout", data={"csrf_token": csrf})
    manager = login(client, "mgr")
    queue = client.get("/api/lead/approvals").json()
    assert queue["rows"][0]["plan_id"] == plan
    assert queue["rows"][0]["escalated_to"] == "manager"
    approved = client.post(
        f"/api/lead/approvals/{plan}",
        json={"decision": "approve", "comment": "经理批准"},
        headers={"X-CSRF-Token": manager},
    )
    assert approved.status_code == 200
    assert approved.json()["decision"] == "approved"
    assert approved.json()["limit_code"] == "APPROVAL-LIMITS@1:manager"


def test_the_json_decision_refusals(client: TestClient, world: World) -> None:
    ids = world.ids
    headers = {"X-CSRF-Token": login(client, "lead")}
    own = client.post(
        f"/api/lead/approvals/{ids['p_own']}", json={"decision": "approve"}, headers=headers
    )
    assert own.status_code == 403
    assert own.json()["code"] == "own"
    over = client.post(
        f"/api/lead/approvals/{ids['p_long']}", json={"decision": "approve"}, headers=headers
    )
    assert over.status_code == 403
    assert over.json()["decision"] == "escalated"
    assert "needs a manager" in over.json()["message"]
    other = client.post(
        f"/api/lead/approvals/{ids['p_other']}", json={"decision": "approve"}, headers=headers
    )
    assert other.status_code == 404
    no_comment = client.post(
        f"/api/lead/approvals/{ids['p_inst']}", json={"decision": "reject"}, headers=headers
    )
    assert no_comment.status_code == 422
    assert "comment" in no_comment.json()["detail"]
    bad = client.post(
        f"/api/lead/approvals/{ids['p_inst']}", json={"decision": "maybe"}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "decision"
    rejected = client.post(
        f"/api/lead/approvals/{ids['p_inst']}",
        json={"decision": "reject", "comment": "收入不足"},
        headers=headers,
    )
    assert rejected.status_code == 200
    twice = client.post(
        f"/api/lead/approvals/{ids['p_inst']}", json={"decision": "approve"}, headers=headers
    )
    assert twice.status_code == 409


def test_a_lead_overrides_a_presumed_violation(client: TestClient, world: World) -> None:
    ids = world.ids
    csrf = login(client, "lead")
    page = client.get("/lead/overrides")
    assert f'data-testid="attempt-{ids["t_7in7"]}"' in page.text
    assert f'data-testid="override-{ids["t_own"]}"' not in page.text  # own: no form
    assert f'data-testid="attempt-{ids["t_hard"]}"' not in page.text  # quiet hours: hard rule
    assert "US-REGF-1006.14(b)(2)(i)" in page.text
    done = client.post(
        f"/lead/overrides/{ids['t_7in7']}",
        data={"csrf_token": csrf, "reason_code": "dropped_call", "note": "通话中断"},
    )
    assert done.status_code == 200
    assert "已复核放行" in done.text
    with transaction(world.engine) as session:
        assert session.get_one(ContactAttempt, ids["t_7in7"]).decision == "overridden"
    own = client.post(
        f"/api/lead/overrides/{ids['t_own']}",
        json={"reason_code": "dropped_call"},
        headers={"X-CSRF-Token": csrf},
    )
    assert own.status_code == 403
    other = client.post(
        f"/api/lead/overrides/{ids['t_other']}",
        json={"reason_code": "dropped_call"},
        headers={"X-CSRF-Token": csrf},
    )
    assert other.status_code == 404
    unknown = client.post(
        f"/lead/overrides/{ids['t_a2']}", data={"csrf_token": csrf, "reason_code": "whim"}
    )
    assert unknown.status_code == 422
    assert "reason_code" in unknown.text


def test_an_agency_lead_sees_only_the_agency(client: TestClient, world: World) -> None:
    login(client, "xlead")
    board = client.get("/api/lead/board").json()
    assert {row["username"] for row in board["rows"]} == {"x1", "x2"}
    cases = client.get("/api/lead/cases").json()
    assert [row["case_id"] for row in cases["rows"]] == [world.ids["c2"]]
    assert client.get("/api/lead/approvals").json()["rows"] == []


def test_catalogue_covers_every_key_the_templates_use() -> None:
    assert set(lead.ZH) == set(lead.EN)
    used = {item.label for item in lead.NAV}
    for template in (TEMPLATES / "lead").glob("*.html"):
        used |= set(re.findall(r"""_\(["'](lead\.[a-z_.]+)["']\)""", template.read_text()))
    prefixes = ("lead.kind.", "lead.decision.", "lead.reason.", "lead.override.")
    dynamic = {key for key in lead.ZH if key.startswith(prefixes)}
    assert used - set(lead.ZH) == set()
    assert set(lead.ZH) - used - dynamic == set()
    for language in ("zh", "en"):
        assert all(CATALOGUES[language][key] for key in lead.ZH)


def test_the_openapi_documents_the_lead_routes(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/lead/board", "/api/lead/approvals", "/api/lead/overrides"):
        assert "get" in paths[path]
    decide = paths["/api/lead/approvals/{plan_id}"]["post"]
    assert decide["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "DecisionRead"
    )
    assert {"403", "404", "409", "422"} <= set(decide["responses"])
    assert "/lead/board" not in paths
