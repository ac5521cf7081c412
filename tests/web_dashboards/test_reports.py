"""The reports reached from the dashboards: overdue CSV / XLSX and the monthly PDF, scoped by
the caller's account (a client: only its own creditor), refused to other roles, audited."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from huikuan.accounts.models import Account
from huikuan.audit.models import AuditLog
from huikuan.cases.models import Case
from huikuan.db.engine import transaction
from huikuan.kpis.models import Survey
from tests.web_dashboards.conftest import AS_OF, PERIOD, Demo, signed_in

MONTH = AS_OF.strftime("%Y-%m")


def open_accounts(demo: Demo, creditor: str | None = None) -> tuple[int, int]:
    """(count, total owed in fen) of the open accounts placed by AS_OF, straight from SQL."""
    query = select(
        func.count(),
        func.sum(Account.principal + Account.interest + Account.penalty + Account.fee),
    ).where(Account.status == "open", Account.placed_on <= AS_OF)
    if creditor is not None:
        query = query.where(Account.creditor_id == demo.ids[creditor])
    with transaction(demo.engine) as s:
        count, total = s.execute(query).one()
    return int(count), int(total or 0)


def grand_total(text: str) -> tuple[int, int]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    last = rows[-1]
    assert last[:2] == ["合计", "合计"], last
    return int(last[2]), int(last[-1])


def test_the_manager_dashboard_links_every_report(client: TestClient, demo: Demo) -> None:
    page = signed_in(client, "manager").get("/dashboards/manager", params=PERIOD).text
    assert f'href="/dashboards/reports/overdue.xlsx?date={AS_OF}"' in page
    assert f'href="/dashboards/reports/overdue.csv?date={AS_OF}"' in page
    for key in ("creditor_a", "creditor_b"):
        assert f"/dashboards/reports/monthly.pdf?creditor={demo.ids[key]}&amp;month={MONTH}" in page
    # Team leads see the team's numbers, never a creditor's report.
    team = signed_in(client, "lead1").get("/dashboards/team", params=PERIOD).text
    assert "report-links" not in team


def test_the_manager_downloads_the_overdue_report(client: TestClient, demo: Demo) -> None:
    signed_in(client, "manager")
    every = client.get("/dashboards/reports/overdue.csv", params={"date": AS_OF.isoformat()})
    assert every.status_code == 200
    assert every.headers["content-type"].startswith("text/csv")
    assert grand_total(every.text) == open_accounts(demo)
    one = client.get(
        "/dashboards/reports/overdue.xlsx",
        params={"date": AS_OF.isoformat(), "creditor": demo.ids["creditor_b"]},
    )
    assert one.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(one.content)).get_sheet_by_index(0)
    last = sheet.to_python()[-1]
    count, total = open_accounts(demo, "creditor_b")
    assert (int(last[2]), int(last[-1])) == (count, total)
    with transaction(demo.engine) as s:
        audited = s.scalars(
            select(AuditLog.detail).where(AuditLog.action == "report.downloaded")
        ).all()
    assert {json.loads(detail)["report"] for detail in audited} >= {"overdue_csv", "overdue_xlsx"}


def test_a_client_gets_only_its_own_creditors_reports(client: TestClient, demo: Demo) -> None:
    signed_in(client, "creditor")
    page = client.get("/dashboards/client", params=PERIOD).text
    assert f"monthly.pdf?creditor={demo.ids['creditor_a']}&amp;month={MONTH}" in page
    assert f"creditor={demo.ids['creditor_b']}" not in page
    own = client.get("/dashboards/reports/overdue.csv", params={"date": AS_OF.isoformat()})
    assert grand_total(own.text) == open_accounts(demo, "creditor_a")
    other = client.get(
        "/dashboards/reports/overdue.csv", params={"creditor": demo.ids["creditor_b"]}
    )
    assert other.status_code == 404
    pdf = client.get("/dashboards/reports/monthly.pdf", params={"month": MONTH})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    foreign = client.get(
        "/dashboards/reports/monthly.pdf",
        params={"creditor": demo.ids["creditor_b"], "month": MONTH},
    )
    assert foreign.status_code == 404
    api = client.get("/api/dashboards/reports/overdue", params={"date": AS_OF.isoformat()})
    body = api.json()
    assert body["creditor_id"] == demo.ids["creditor_a"]
    total = body["rows"][-1]
    assert (total["accounts"], total["total"]) == open_accounts(demo, "creditor_a")
    links = client.get("/api/dashboards/reports").json()
    assert {link["creditor_id"] for link in links} == {demo.ids["creditor_a"]}


def test_other_roles_and_agency_managers_are_refused(client: TestClient, demo: Demo) -> None:
    signed_in(client, "lead1")
    assert client.get("/dashboards/reports/overdue.csv").status_code == 403
    assert client.get("/api/dashboards/reports/overdue").status_code == 403
    client.cookies.clear()
    signed_in(client, "xmgr")
    assert client.get("/dashboards/reports/overdue.csv").status_code == 403
    assert client.get("/dashboards/reports/monthly.pdf", params={"creditor": 1}).status_code == 403


def test_a_manager_must_name_the_creditor_of_a_monthly_report(client: TestClient) -> None:
    signed_in(client, "manager")
    missing = client.get("/dashboards/reports/monthly.pdf", params={"month": MONTH})
    assert missing.status_code == 422
    bad = client.get("/dashboards/reports/monthly.pdf", params={"creditor": 1, "month": "2026-13"})
    assert bad.status_code == 422
    assert client.get("/dashboards/reports/overdue.pdf").status_code == 404


def test_the_reports_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "/api/dashboards/reports" in paths
    assert "/api/dashboards/reports/overdue" in paths


def test_the_agent_league_shows_the_satisfaction_of_each_agents_contacts(
    client: TestClient, demo: Demo
) -> None:
    agent = demo.ids["agent12"]
    with transaction(demo.engine) as s:
        case = s.scalars(select(Case).where(Case.agent_id == agent).order_by(Case.id)).first()
        assert case is not None
        sent = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)
        for score in (5, 2):  # two surveys after agent12's contacts: mean 3.5
            s.add(
                Survey(
                    case_id=case.id,
                    debtor_id=case.debtor_id,
                    agent_id=agent,
                    source="call",
                    contact_at=sent,
                    status="answered",
                    rule_ids=[],
                    sent_on=date(2026, 11, 19),
                    sent_at=sent,
                    score=score,
                    answered_at=sent + timedelta(hours=1),
                    answer_channel="sms",
                    created_at=sent,
                )
            )
    signed_in(client, "manager")
    body = client.get("/api/dashboards/manager", params=PERIOD).json()
    league = next(t for t in body["tables"] if t["key"] == "agent_league")
    scores = {row["agent"]: row["satisfaction"] for row in league["rows"]}
    assert scores["agent12"] == 3.5
    assert {value for name, value in scores.items() if name != "agent12"} == {None}
