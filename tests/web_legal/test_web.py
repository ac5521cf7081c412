"""The legal screens through the app: the referral queue (HTML and JSON), the matter page, the
letter and evidence downloads, claims, and every refusal (role, scope, CSRF, over-limit)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huikuan.audit.models import AuditLog
from huikuan.cases.models import Case
from huikuan.db.engine import transaction
from huikuan.legal import service as legal
from huikuan.legal.models import LegalMatter
from huikuan.payments.models import Payment
from huikuan.web.areas import legal as area
from huikuan.web.i18n import CATALOGUES
from tests.web.conftest import login
from tests.web_legal.conftest import FIRM, World

TEMPLATES = Path(area.__file__).resolve().parents[1] / "templates" / "legal"


def accept_strategy_referral(client: TestClient, world: World, csrf: str) -> int:
    response = client.post(
        f"/legal/strategy/{world.ids['action_c3']}/accept",
        data={"csrf_token": csrf, "kind": "litigation", "law_firm_id": str(world.ids["firm"])},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/legal/matters/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


def test_legal_lands_on_the_queue_and_accepts_a_strategy_referral(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "legal")
    landing = client.get("/", follow_redirects=False)
    assert landing.headers["location"] == "/legal/referrals"
    page = client.get("/legal/referrals")
    assert page.status_code == 200
    assert "CASE-c3" in page.text
    assert "策略转入" in page.text
    assert "李**" in page.text
    assert "10,271.34" in page.text  # the balance in yuan, exactly
    matter_id = accept_strategy_referral(client, world, csrf)
    matter = client.get(f"/legal/matters/{matter_id}")
    assert "法催" in matter.text
    assert FIRM in matter.text
    assert "CASE-c3" not in client.get("/legal/referrals").text
    with transaction(world.engine) as s:
        case = s.get(Case, world.ids["c3"])
        assert case is not None
        assert case.state == "legal"
    api = client.get(f"/api/legal/matters/{matter_id}").json()
    assert api["case"]["case_no"] == "CASE-c3"
    assert api["status"] == "open"


def test_a_team_lead_refers_a_case_and_legal_declines_it_with_a_reason(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "lead")
    empty = client.post("/legal/refer", data={"csrf_token": csrf, "case_no": "CASE-c1"})
    assert empty.status_code == 422
    assert "转案理由" in empty.text
    assert "必填" in empty.text
    done = client.post(
        "/legal/refer", data={"csrf_token": csrf, "case_no": "CASE-c1", "reason": "长期失联"}
    )
    assert done.status_code == 200
    assert "CASE-c1" in done.text
    # Another creditor's case reads as not found, and nothing is written.
    other = client.post(
        "/legal/refer", data={"csrf_token": csrf, "case_no": "CASE-c4", "reason": "x"}
    )
    assert other.status_code == 422
    assert "未找到" in other.text
    assert client.get("/legal/referrals").status_code == 403
    client.post("/logout", data={"csrf_token": csrf})
    csrf = login(client, "legal")
    rows = client.get("/api/legal/referrals").json()
    manual = [r for r in rows if r["source"] == "manual"]
    assert [r["case"]["case_no"] for r in manual] == ["CASE-c1"]
    referral_id = manual[0]["referral_id"]
    refused = client.post(
        f"/api/legal/referrals/{referral_id}/decline",
        json={"note": "  "},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "note"]
    declined = client.post(
        f"/api/legal/referrals/{referral_id}/decline",
        json={"note": "证据不足"},
        headers={"X-CSRF-Token": csrf},
    )
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    with transaction(world.engine) as s:
        case = s.get(Case, world.ids["c1"])
        assert case is not None
        assert case.state == "active"


def test_the_letter_and_the_evidence_pack_download_and_are_audited(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "legal")
    matter_id = accept_strategy_referral(client, world, csrf)
    pdf = client.get(f"/legal/matters/{matter_id}/letter.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    sent = client.post(f"/legal/matters/{matter_id}/letters", data={"csrf_token": csrf})
    assert sent.status_code == 200
    assert 'data-testid="letter-verdict"' in sent.text
    assert "允许" in sent.text
    pack = client.get(f"/legal/matters/{matter_id}/evidence.zip")
    assert pack.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(pack.content)).namelist()
    assert "manifest.json" in names
    assert any(n.startswith("letters/") for n in names)
    with transaction(world.engine) as s:
        actions = list(s.scalars(select(AuditLog.action)))
    assert actions.count("pii.reveal") == 2  # the download and the letter in the pack
    assert actions.count("legal.evidence_export") == 1
    assert actions.count("contact.proposed") == 1


def test_events_are_recorded_from_the_form_with_costs_in_yuan(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "legal")
    matter_id = accept_strategy_referral(client, world, csrf)
    bad = client.post(
        f"/legal/matters/{matter_id}/events",
        data={"csrf_token": csrf, "kind": "filing", "event_on": "2026-11-25", "court_fee": "1.234"},
    )
    assert bad.status_code == 422
    assert "诉讼费" in bad.text
    for kind, day, court, lawyer in (
        ("filing", "2026-11-25", "1,050.50", "3000"),
        ("hearing", "2027-01-10", "0.01", ""),
    ):
        response = client.post(
            f"/legal/matters/{matter_id}/events",
            data={
                "csrf_token": csrf,
                "kind": kind,
                "event_on": day,
                "court_fee": court,
                "lawyer_fee": lawyer,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
    detail = client.get(f"/api/legal/matters/{matter_id}").json()
    assert (detail["court_fees"], detail["lawyer_fees"], detail["total_costs"]) == (
        105_051,
        300_000,
        405_051,
    )
    assert detail["days_to_filing"] == 6  # referred on the 19th (the strategy's day)
    page = client.get(f"/legal/matters/{matter_id}").text
    assert "4,050.51" in page


def test_a_claim_recovery_posted_twice_from_the_form_makes_one_payment(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "mgr")
    over = client.post(
        "/legal/claims",
        data={
            "csrf_token": csrf,
            "account_no": "ACC-c3-1",
            "counterparty_kind": "guarantor",
            "counterparty_name": "张担保",
            "claimed_amount": "99999.00",
        },
    )
    assert over.status_code == 422
    assert "超过上限" in over.text
    created = client.post(
        "/legal/claims",
        data={
            "csrf_token": csrf,
            "account_no": "ACC-c3-1",
            "counterparty_kind": "guarantor",
            "counterparty_name": "张担保",
            "claimed_amount": "5,000.00",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    claim_url = created.headers["location"]
    form = {
        "csrf_token": csrf,
        "received_on": "2026-11-20",
        "amount": "1,200.00",
        "remittance_ref": "GT-20261120-01",
    }
    first = client.post(f"{claim_url}/recoveries", data=form)
    second = client.post(f"{claim_url}/recoveries", data=form)
    assert first.status_code == second.status_code == 200
    assert "已登记还款" in first.text
    assert "已登记过" in second.text
    with transaction(world.engine) as s:
        count = s.scalar(select(func.count()).select_from(Payment).where(Payment.source == "claim"))
        amount = s.scalar(select(Payment.amount).where(Payment.source == "claim"))
    assert (count, amount) == (1, 120_000)
    claim_id = int(claim_url.rsplit("/", 1)[1])
    api = client.post(
        f"/api/legal/claims/{claim_id}/recoveries",
        json={"received_on": "2026-11-20", "amount": 120_000, "remittance_ref": "GT-20261120-01"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 200
    assert api.json()["created"] is False
    too_much = client.post(
        f"/api/legal/claims/{claim_id}/recoveries",
        json={"received_on": "2026-11-20", "amount": 380_001, "remittance_ref": "GT-2"},
        headers={"X-CSRF-Token": csrf},
    )
    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["loc"] == ["body", "amount"]


@pytest.mark.parametrize(
    ("username", "method", "path"),
    [
        ("a1", "get", "/legal/referrals"),
        ("a1", "get", "/api/legal/matters"),
        ("qa", "get", "/legal/claims"),
        ("cli_a", "get", "/api/legal/referrals"),
        ("lead", "get", "/legal/matters"),
        ("legal", "get", "/legal/refer"),
        ("mgr", "get", "/legal/matters/1/letter.pdf"),
        ("mgr", "get", "/legal/matters/1/evidence.zip"),
    ],
)
def test_roles_without_the_right_are_refused(
    client: TestClient, world: World, username: str, method: str, path: str
) -> None:
    login(client, username)
    assert getattr(client, method)(path).status_code == 403


def test_out_of_scope_matters_and_claims_are_not_found(client: TestClient, world: World) -> None:
    csrf = login(client, "legal")
    matter_id = accept_strategy_referral(client, world, csrf)
    claim = client.post(
        "/api/legal/claims",
        json={
            "account_id": world.ids["c3_account"],
            "counterparty_kind": "credit_insurer",
            "counterparty_name": "示例保险",
            "claimed_amount": 10_000,
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert claim.status_code == 201
    client.post("/logout", data={"csrf_token": csrf})
    login(client, "xlegal")  # legal staff of agency X: in-house cases are not theirs
    for path in (
        f"/legal/matters/{matter_id}",
        f"/api/legal/matters/{matter_id}",
        f"/legal/matters/{matter_id}/letter.pdf",
        f"/legal/matters/{matter_id}/evidence.zip",
        f"/api/legal/claims/{claim.json()['id']}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/legal/claims").json() == []


def test_unsafe_requests_without_the_csrf_token_are_refused(
    client: TestClient, world: World
) -> None:
    login(client, "legal")
    form = client.post(
        f"/legal/strategy/{world.ids['action_c3']}/accept", data={"kind": "litigation"}
    )
    assert form.status_code == 403
    api = client.post("/api/legal/firms", json={"name": "x"})
    assert api.status_code == 403
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(LegalMatter)) == 0


def test_the_api_is_documented_and_the_catalogues_are_complete() -> None:
    from huikuan.web.app import create_app  # noqa: F401 - the schema is built from the routes

    zh, en = CATALOGUES["zh"], CATALOGUES["en"]
    assert set(area.ZH) == set(area.EN)
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""_\(["'](legal\.[a-z_.]+)["']\)""", template.read_text()))
    dynamic = (
        [
            f"legal.field.{f}"
            for f in (
                "case",
                "case_no",
                "reason",
                "note",
                "kind",
                "law_firm_id",
                "court",
                "case_number",
                "referral",
                "matter",
                "event_on",
                "court_fee",
                "lawyer_fee",
                "address",
                "debtor",
                "account",
                "name",
                "phone",
                "lawyer",
                "licence_number",
                "counterparty_kind",
                "counterparty_name",
                "claimed_amount",
                "account_no",
                "amount",
                "remittance_ref",
                "received_on",
                "status",
            )
        ]
        + [f"legal.kind.{k}" for k in legal.MATTER_KINDS]
        + [f"legal.status.{s}" for s in legal.MATTER_STATUSES]
        + [f"legal.event.{k}" for k in legal.EVENT_KINDS]
        + [f"legal.counterparty.{k}" for k in legal.COUNTERPARTY_KINDS]
        + [f"legal.claim_status.{k}" for k in ("open", "submitted", "paid", "rejected")]
        + ["legal.claim.recorded", "legal.claim.already"]
        + [item.label for item in area.NAV]
    )
    missing = sorted(key for key in used | set(dynamic) if key not in zh or key not in en)
    assert missing == []


def test_openapi_lists_the_legal_routes(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/legal/referrals",
        "/api/legal/referrals/{referral_id}/accept",
        "/api/legal/matters/{matter_id}/events",
        "/api/legal/matters/{matter_id}/letters",
        "/api/legal/claims/{claim_id}/recoveries",
    ):
        assert path in paths
    assert "/legal/referrals" not in paths
