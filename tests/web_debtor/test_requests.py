"""What the debtor asks for lands where the staff work, and the guard obeys it at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from huikuan.access.policy import principal_for
from huikuan.approvals.service import approval_queue
from huikuan.cases.models import Case, Plan
from huikuan.compliance.service import ProposedContact, propose_contact
from huikuan.db.engine import transaction
from huikuan.quality.models import Complaint, Dispute
from huikuan.selfservice.models import DebtorAttachment, DebtorRequest, SelfServiceTerms
from tests.web.conftest import START, FakeClock, World, login
from tests.web_debtor.conftest import REFERENCE, Phone, link_for, sign_in

TODAY = date(2026, 11, 20)
NEXT_MORNING = START + timedelta(days=1)  # 09:00 Shanghai the next day


def _verdict(
    world: World, case: str, channel: str, at: datetime = NEXT_MORNING
) -> tuple[str, set[str]]:
    with transaction(world.engine) as s:
        agent = principal_for(s, "a1")
        proposal = propose_contact(
            s,
            agent,
            world.ids[case],
            ProposedContact(at=at, channel=channel, contact_point_id=world.ids[f"{case}_mobile"]),
        )
        verdict = proposal.verdict
        return verdict.decision.value, {r.rule_id for r in verdict.reasons}


def _plan(client: TestClient, link: str, token: str, **fields: str) -> str:
    data = {"csrf_token": token, "action": "submit", "first_due_on": "2026-12-01", **fields}
    response = client.post(f"/d/{link}/plan", data=data)
    assert response.status_code == 200, response.text
    return response.text


def test_a_plan_within_the_published_rules_is_agreed_at_once(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c3"])
    token = sign_in(debtor_client, link, phone)
    page = _plan(debtor_client, link, token, kind="instalment", months="6")
    assert REFERENCE.search(page)
    with transaction(world.engine) as s:
        plan = s.scalars(select(Plan).where(Plan.case_id == world.ids["c3"])).one()
        case = s.get(Case, world.ids["c3"])
        assert plan.status == "approved"
        assert plan.approved_by is not None
        assert plan.approved_by.startswith("rules:SELF-SERVICE-OFFERS")
        assert case is not None
        assert case.state == "in_plan"
        schedule = plan.terms["schedule"]
        assert isinstance(schedule, list)
        assert sum(int(line["amount"]) for line in schedule) == 1_027_134  # the whole balance
    home = debtor_client.get(f"/d/{link}").text
    assert "分期还款" in home
    assert "已生效" in home


def test_a_plan_beyond_the_rules_waits_in_the_team_leads_queue(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c3"])
    token = sign_in(debtor_client, link, phone)
    page = _plan(debtor_client, link, token, kind="instalment", months="24")
    assert "自助分期最多 12 期" in page
    with transaction(world.engine) as s:
        plan = s.scalars(select(Plan).where(Plan.case_id == world.ids["c3"])).one()
        assert plan.status == "proposed"
        queue = approval_queue(s, principal_for(s, "lead"))
        assert plan.id in {row.plan_id for row in queue.rows}
        case = s.get(Case, world.ids["c3"])
        assert case is not None
        assert case.state == "active"


def test_a_settlement_follows_the_creditors_own_terms(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    # c1b is 95 days past due: settlements are offered. Its balance: principal 1,009,500 +
    # interest 12,345 + penalty 6,789 + fee 1,000. Default rules waive all fees and penalty and
    # 30 % of interest (3,703): the lowest is 1,009,500 + 12,345 - 3,703 = 1,018,142 fen.
    link = link_for(world.ids["c1b"])
    token = sign_in(debtor_client, link, phone)
    low = _plan(
        debtor_client, link, token, kind="settlement", months="1", settlement_amount="10181.41"
    )
    assert "10,181.42" in low  # named as the lowest
    with transaction(world.engine) as s:
        plan = s.scalars(select(Plan).where(Plan.case_id == world.ids["c1b"])).one()
        assert plan.status == "proposed"
        for row in s.scalars(select(DebtorRequest)):
            s.delete(row)
        s.flush()
        s.delete(plan)
    _plan(debtor_client, link, token, kind="settlement", months="1", settlement_amount="10181.42")
    with transaction(world.engine) as s:
        plan = s.scalars(select(Plan).where(Plan.case_id == world.ids["c1b"])).one()
        assert plan.status == "approved"
        assert plan.terms["payable"] == 1_018_142
    # A creditor that publishes no settlement discount: the same ask goes to a person.
    with transaction(world.engine) as s:
        case = s.get(Case, world.ids["c1b"])
        assert case is not None
        s.add(
            SelfServiceTerms(
                creditor_id=case.creditor_id,
                version=2,
                terms={"waive_interest_ppm": 0},
                updated_at=START,
            )
        )
    preview = debtor_client.post(
        f"/d/{link}/plan",
        data={
            "csrf_token": token,
            "action": "preview",
            "kind": "settlement",
            "months": "1",
            "first_due_on": "2026-12-01",
            "settlement_amount": "10181.42",
        },
    )
    assert "10,218.45" in preview.text  # 1,009,500 + 12,345 fen: no interest waived now


def test_a_dispute_holds_collection_from_that_moment_and_reaches_qa(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    assert _verdict(world, "c1", "sms")[0] == "allowed"
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    statement = b"%PDF-1.4\n% a bank statement\n"
    response = debtor_client.post(
        f"/d/{link}/dispute",
        data={"csrf_token": token, "reason": "not_my_debt", "note": "这不是我的卡"},
        files={"attachment": ("statement.pdf", statement, "application/pdf")},
    )
    assert response.status_code == 200, response.text
    assert REFERENCE.search(response.text)
    decision, rules = _verdict(world, "c1", "sms")
    assert decision == "blocked"
    assert "CN-CBA-2026-HOLD" in rules
    with transaction(world.engine) as s:
        dispute = s.scalars(select(Dispute).where(Dispute.case_id == world.ids["c1"])).one()
        assert dispute.status == "open"
        attachment = s.scalars(select(DebtorAttachment)).one()
        assert attachment.content_type == "application/pdf"
        assert attachment.size == len(statement)
        assert b"bank statement" not in attachment.data_enc.encode()  # encrypted at rest
    assert "核查中" in debtor_client.get(f"/d/{link}").text


def test_a_complaint_with_a_recording_opens_with_its_deadlines(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    recording = b"ID3\x04\x00" + b"\x00" * 64
    response = debtor_client.post(
        f"/d/{link}/complaint",
        data={"csrf_token": token, "category": "collector_conduct", "summary": "催收员辱骂我"},
        files={"attachment": ("call.mp3", recording, "audio/mpeg")},
    )
    assert response.status_code == 200, response.text
    with transaction(world.engine) as s:
        complaint = s.scalars(select(Complaint).where(Complaint.case_id == world.ids["c1"])).one()
        assert complaint.source == "debtor_page"
        assert complaint.due_at is not None
        assert complaint.hold_id is not None  # conduct: collection holds
    assert _verdict(world, "c1", "phone")[0] == "blocked"


def test_an_attachment_that_is_not_a_document_or_recording_is_refused_whole(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    response = debtor_client.post(
        f"/d/{link}/dispute",
        data={"csrf_token": token, "reason": "not_my_debt"},
        files={"attachment": ("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    with transaction(world.engine) as s:
        assert s.scalars(select(Dispute)).first() is None  # nothing half-written
        assert s.scalars(select(DebtorRequest)).first() is None


def test_stop_calls_blocks_calls_and_leaves_texts(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    response = debtor_client.post(f"/d/{link}/contact/stop-calls", data={"csrf_token": token})
    assert response.status_code == 200
    decision, rules = _verdict(world, "c1", "phone")
    assert decision == "blocked"
    assert "CN-PIPL-44-OPT-OUT" in rules
    assert _verdict(world, "c1", "sms")[0] == "allowed"


def test_an_sms_opt_out_closes_that_channel(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    debtor_client.post(f"/d/{link}/contact/opt-out", data={"csrf_token": token, "channel": "sms"})
    assert _verdict(world, "c1", "sms")[0] == "blocked"
    assert _verdict(world, "c1", "phone")[0] == "allowed"


def test_inconvenient_times_defer_contacts_inside_them(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    saturday = NEXT_MORNING.date()  # 2026-11-21 is a Saturday
    response = debtor_client.post(
        f"/d/{link}/contact/times",
        data={"csrf_token": token, "weekdays": ["SAT"], "start": "08:00", "end": "12:00"},
    )
    assert response.status_code == 200, response.text
    assert saturday.weekday() == 5
    decision, rules = _verdict(world, "c1", "phone")
    assert decision == "deferred"
    assert "CN-HK-DEBTOR-TIMES" in rules
    afternoon = NEXT_MORNING + timedelta(hours=5)  # 14:00 Saturday
    assert _verdict(world, "c1", "phone", afternoon)[0] == "allowed"


def test_bad_input_names_the_field(debtor_client: TestClient, world: World, phone: Phone) -> None:
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    times = debtor_client.post(
        f"/d/{link}/contact/times",
        data={"csrf_token": token, "weekdays": ["SAT"], "start": "12:00", "end": "08:00"},
    )
    assert times.status_code == 422
    assert "结束时间" in times.text
    plan = debtor_client.post(
        f"/d/{link}/plan",
        data={"csrf_token": token, "action": "submit", "kind": "instalment", "months": "x"},
    )
    assert plan.status_code == 422
    assert "期数" in plan.text


def test_another_debtors_requests_never_show(
    debtor_client: TestClient, world: World, phone: Phone, clock: FakeClock
) -> None:
    c1 = link_for(world.ids["c1"])
    token = sign_in(debtor_client, c1, phone)
    debtor_client.post(f"/d/{c1}/contact/stop-calls", data={"csrf_token": token})
    debtor_client.cookies.clear()
    c3 = link_for(world.ids["c3"])
    sign_in(debtor_client, c3, phone)
    home = debtor_client.get(f"/d/{c3}").text
    assert "停止电话联系" not in home.split("我的申请与进度")[1]
    assert "CASE-c1" not in home


def test_qa_opens_the_debtors_attachment_and_an_agent_may_not(
    debtor_app: FastAPI, debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    recording = b"ID3\x04\x00" + b"\x01" * 40
    debtor_client.post(
        f"/d/{link}/complaint",
        data={"csrf_token": token, "category": "collector_conduct", "summary": "被辱骂"},
        files={"attachment": ("call.mp3", recording, "audio/mpeg")},
    )
    with transaction(world.engine) as s:
        attachment_id = s.scalars(select(DebtorAttachment.id)).one()
    with TestClient(debtor_app, base_url="http://testserver") as qa:
        login(qa, "qa")
        listing = qa.get("/quality/complaints").text
        assert f'data-testid="attachment-{attachment_id}"' in listing
        download = qa.get(f"/staff/attachments/{attachment_id}")
        assert download.status_code == 200
        assert download.content == recording
    with TestClient(debtor_app, base_url="http://testserver") as agent:
        login(agent, "a1")
        assert agent.get(f"/staff/attachments/{attachment_id}").status_code == 404
    with TestClient(debtor_app, base_url="http://testserver") as stranger:
        refused = stranger.get(f"/staff/attachments/{attachment_id}", follow_redirects=False)
        assert refused.status_code == 303  # to the sign-in page
        assert refused.content != recording


def test_the_agent_sees_the_debtors_wishes_on_the_case_page(
    debtor_app: FastAPI, debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    debtor_client.post(f"/d/{link}/contact/stop-calls", data={"csrf_token": token})
    with TestClient(debtor_app, base_url="http://testserver") as agent:
        login(agent, "a1")
        page = agent.get(f"/cases/{world.ids['c1']}").text
    assert 'data-testid="designations"' in page
    assert "debtor_page" in page
