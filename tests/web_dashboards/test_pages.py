"""The dashboards over a demo portfolio: pages, JSON, exports, scope and refusals."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date

import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from huikuan.accounts.models import Account
from huikuan.cases.models import Case
from huikuan.compensation.service import agent_statements, remittance_statements
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import transaction
from huikuan.org.models import User
from huikuan.payments.models import Payment
from tests.web_dashboards.conftest import (
    AS_OF,
    PERIOD,
    START,
    XSS_NAME,
    Demo,
    data_blocks,
    signed_in,
)

MANAGER_CHARTS = {"recovery_curve", "roll_rates", "funnel", "agent_league", "compliance_blocks"}


def _paid(demo: Demo, *where: object, since: date | None = None) -> int:
    query = select(func.coalesce(func.sum(Payment.amount), 0)).join(
        Account, Account.id == Payment.account_id
    )
    query = query.join(Case, Case.id == Account.case_id).where(Payment.received_on <= AS_OF, *where)  # type: ignore[arg-type]
    if since is not None:
        query = query.where(Payment.received_on >= since)
    with transaction(demo.engine) as s:
        return int(s.scalar(query) or 0)


def _recovered(table: dict[str, object]) -> int:
    rows = table["rows"]
    assert isinstance(rows, list)
    return sum(int(r["recovered"]) for r in rows if r["month_index"] == 0)


def _page_and_api(client: TestClient, name: str, **extra: str) -> tuple[str, dict[str, object]]:
    params = PERIOD | extra
    page = client.get(f"/dashboards/{name}", params=params)
    assert page.status_code == 200, page.text
    api = client.get(f"/api/dashboards/{name}", params=params)
    assert api.status_code == 200, api.text
    return page.text, api.json()


def _blocks_match_api(html: str, api: dict[str, object]) -> dict[str, dict[str, object]]:
    """Every data block parses as JSON and equals the API's table of the same key."""
    blocks = {key: json.loads(text) for key, text in data_blocks(html).items()}
    tables = api["tables"]
    assert isinstance(tables, list)
    assert blocks == {t["key"]: t for t in tables}
    return blocks


# ---------------------------------------------------------------------------- manager


def test_manager_dashboard_draws_every_chart_from_the_api_numbers(
    client: TestClient, demo: Demo
) -> None:
    html, api = _page_and_api(signed_in(client, "manager"), "manager")
    blocks = _blocks_match_api(html, api)
    charted = {key for key, table in blocks.items() if table["chart"]}
    assert charted == MANAGER_CHARTS
    for key in charted:
        assert f'data-testid="chart-{key}"' in html
    assert set(blocks) == MANAGER_CHARTS | {"experiment"}
    assert api["scope"] == "all"
    # Hand check: the curve's recovered money is every receipt up to the end (one vintage).
    assert _recovered(blocks["recovery_curve"]) == _paid(demo) > 0
    funnel = {r["stage_en"]: r["count"] for r in blocks["funnel"]["rows"]}  # type: ignore[index, union-attr]
    with transaction(demo.engine) as s:
        executed = s.scalar(
            select(func.count()).where(ContactAttempt.executed.is_(True))  # type: ignore[arg-type]
        )
    assert funnel["Contact attempts"] == executed > 0
    # Roll rates: shares of each from-bucket add up to 1.
    shares: dict[str, float] = {}
    for row in blocks["roll_rates"]["rows"]:  # type: ignore[union-attr, index]
        shares[row["from_bucket"]] = shares.get(row["from_bucket"], 0.0) + row["rate"]
    assert shares
    assert all(abs(v - 1.0) < 1e-9 for v in shares.values())
    league = blocks["agent_league"]["rows"]
    assert league
    assert [r["recovered"] for r in league] == sorted(  # type: ignore[union-attr]
        (r["recovered"] for r in league),  # type: ignore[union-attr]
        reverse=True,
    )
    assert {r["arm"] for r in blocks["experiment"]["rows"]} <= {  # type: ignore[union-attr, index]
        "champion",
        "challenger",
        "holdout",
    }
    # The table behind each chart is on the page, money as yuan.
    assert "<details" in html
    assert "导出 XLSX" in html
    assert "/dashboards/manager/export.xlsx?start=2026-11-18&amp;end=2026-11-20" in html


def test_json_data_blocks_cannot_close_their_script_element(client: TestClient) -> None:
    html, api = _page_and_api(signed_in(client, "manager"), "manager")
    assert XSS_NAME not in html
    names = {r["agent_name"] for r in _blocks_match_api(html, api)["agent_league"]["rows"]}  # type: ignore[union-attr, index]
    assert XSS_NAME in names


def test_period_defaults_to_the_last_30_days_up_to_the_business_date(client: TestClient) -> None:
    api = signed_in(client, "admin").get("/api/dashboards/manager").json()
    assert (api["start"], api["end"]) == ("2026-10-22", "2026-11-20")


def test_agency_manager_sees_only_the_agency(client: TestClient, demo: Demo) -> None:
    _, whole = _page_and_api(signed_in(client, "manager"), "manager")
    client.cookies.clear()
    _, agency = _page_and_api(signed_in(client, "xmgr"), "manager")
    assert agency["scope"] == f"agency:{demo.ids['agency']}"
    curve = {t["key"]: t for t in agency["tables"]}["recovery_curve"]  # type: ignore[union-attr]
    assert _recovered(curve) == _paid(demo, Case.agency_id == demo.ids["agency"])
    assert _recovered(curve) < _recovered(
        {t["key"]: t for t in whole["tables"]}["recovery_curve"]  # type: ignore[union-attr]
    )


# ------------------------------------------------------------------------------- team


def test_team_lead_sees_only_the_team(client: TestClient, demo: Demo) -> None:
    html, api = _page_and_api(signed_in(client, "lead1"), "team")
    blocks = _blocks_match_api(html, api)
    assert api["scope"] == f"team:{demo.ids['team1']}"
    with transaction(demo.engine) as s:
        team_agents = set(
            s.scalars(
                select(User.username).where(User.team_id == demo.ids["team1"], User.role == "agent")
            )
        )
    league = {r["agent"] for r in blocks["agent_league"]["rows"]}  # type: ignore[union-attr, index]
    assert league == team_agents
    team_paid = _paid(demo, Case.team_id == demo.ids["team1"])
    assert _recovered(blocks["recovery_curve"]) == team_paid < _paid(demo)


# ----------------------------------------------------------------------------- client


def test_creditor_client_sees_only_their_creditor(client: TestClient, demo: Demo) -> None:
    mine = demo.ids["creditor_a"]
    other = demo.ids["creditor_b"]
    html, api = _page_and_api(signed_in(client, "creditor"), "client")
    blocks = _blocks_match_api(html, api)
    assert api["scope"] == f"creditor:{mine}"
    paid = _paid(demo, Account.creditor_id == mine, since=START)
    by_month = blocks["recovered_by_month"]["rows"]
    assert sum(r["recovered"] for r in by_month) == paid > 0  # type: ignore[union-attr, index]
    assert _recovered(blocks["recovery_curve"]) == _paid(demo, Account.creditor_id == mine)
    with transaction(demo.engine) as s:
        statement = next(r for r in remittance_statements(s, "2026-11") if r.creditor_id == mine)
    total = blocks["remittance"]["rows"][-1]  # type: ignore[index]
    assert total == {
        "line": "total",
        "recovered": statement.recovered,
        "fee": statement.agency_fees,
        "net": statement.net,
    }
    # A query parameter naming another creditor changes nothing.
    sneaky = client.get(
        "/api/dashboards/client", params=PERIOD | {"creditor_id": str(other), "creditor": "2"}
    ).json()
    assert sneaky == api
    client.cookies.clear()
    _, theirs = _page_and_api(signed_in(client, "cli_b"), "client")
    assert theirs["scope"] == f"creditor:{other}"
    assert theirs["tables"] != api["tables"]
    their_paid = _paid(demo, Account.creditor_id == other, since=START)
    rows = {t["key"]: t for t in theirs["tables"]}["recovered_by_month"]["rows"]  # type: ignore[union-attr]
    assert sum(r["recovered"] for r in rows) == their_paid != paid


def test_client_home_stays_the_portal(client: TestClient) -> None:
    signed_in(client, "creditor")
    home = client.get("/", follow_redirects=False)
    assert home.headers.get("location", "").startswith("/client/")


def test_manager_home_is_the_dashboard(client: TestClient) -> None:
    signed_in(client, "manager")
    assert client.get("/", follow_redirects=False).headers["location"] == "/dashboards/manager"


# ----------------------------------------------------------------------------- exports


def test_manager_exports_open_with_bilingual_headers(client: TestClient, demo: Demo) -> None:
    signed_in(client, "manager")
    xlsx = client.get("/dashboards/manager/export.xlsx", params=PERIOD)
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as archive:
        assert "xl/worksheets/sheet1.xml" in archive.namelist()
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    assert len(book.sheet_names) == 6
    curve = book.get_sheet_by_index(0).to_python()
    assert curve[0][2] == "累计回收 Recovered to date"
    assert round(float(curve[1][2]) * 100) == _paid(demo)
    csv_file = client.get("/dashboards/manager/export.csv", params=PERIOD)
    assert csv_file.status_code == 200
    assert csv_file.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[0] == ["分账龄批次回收曲线 Recovery curve by vintage"]
    assert "累计回收 Recovered to date" in rows[1]
    assert any(r == ["迁徙率矩阵 Roll-rate matrix"] for r in rows)


def test_client_export_holds_only_their_creditor(client: TestClient, demo: Demo) -> None:
    signed_in(client, "creditor")
    api = client.get("/api/dashboards/client", params=PERIOD).json()
    content = client.get("/dashboards/client/export.csv", params=PERIOD).content.decode("utf-8-sig")
    rows = {t["key"]: t for t in api["tables"]}["recovered_by_month"]["rows"]
    total = sum(r["recovered"] for r in rows)
    assert f"{total // 100}.{total % 100:02d}" in content


# -------------------------------------------------------------------------- commissions


def test_commission_statements_for_manager_and_team_lead(client: TestClient, demo: Demo) -> None:
    with transaction(demo.engine) as s:
        statements = agent_statements(s, "2026-11")
        team = set(s.scalars(select(User.id).where(User.team_id == demo.ids["team1"])))
    assert statements
    signed_in(client, "manager")
    page = client.get("/dashboards/commissions", params={"month": "2026-11"})
    assert page.status_code == 200
    api = client.get("/api/dashboards/commissions", params={"month": "2026-11"}).json()
    rows = api["tables"][0]["rows"]
    assert [r["agent"] for r in rows] == [s.username for s in statements]
    assert [r["net"] for r in rows] == [s.net for s in statements]
    xlsx = client.get("/dashboards/commissions/export.xlsx", params={"month": "2026-11"})
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as archive:
        assert "xl/worksheets/sheet1.xml" in archive.namelist()
    client.cookies.clear()
    signed_in(client, "lead1")
    mine = client.get("/api/dashboards/commissions", params={"month": "2026-11"}).json()
    expected = [s.username for s in statements if s.agent_id in team]
    assert [r["agent"] for r in mine["tables"][0]["rows"]] == expected
    assert len(expected) < len(statements)
    outsiders = {s.username for s in statements if s.agent_id not in team}
    lead_csv = client.get("/dashboards/commissions/export.csv", params={"month": "2026-11"})
    text = lead_csv.content.decode("utf-8-sig")
    assert "期间 Period" in text
    assert not any(f",{name}," in text for name in outsiders)


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("agent11", "/dashboards/manager"),
        ("agent11", "/api/dashboards/manager"),
        ("agent11", "/dashboards/manager/export.xlsx"),
        ("agent11", "/dashboards/commissions"),
        ("agent11", "/api/dashboards/team"),
        ("lead1", "/dashboards/manager"),
        ("lead1", "/api/dashboards/client"),
        ("creditor", "/api/dashboards/manager"),
        ("creditor", "/dashboards/team/export.csv"),
        ("creditor", "/api/dashboards/commissions"),
        ("manager", "/api/dashboards/client"),
    ],
)
def test_roles_outside_a_dashboard_are_refused(
    client: TestClient, username: str, path: str
) -> None:
    signed_in(client, username)
    assert client.get(path, params=PERIOD).status_code == 403


def test_signed_out_api_is_401(client: TestClient) -> None:
    assert client.get("/api/dashboards/manager").status_code == 401


def test_a_period_ending_before_it_starts_names_the_field(client: TestClient) -> None:
    signed_in(client, "manager")
    bad = {"start": "2026-11-20", "end": "2026-11-01"}
    page = client.get("/dashboards/manager", params=bad)
    assert page.status_code == 422
    assert "end: the period ends before it starts" in page.text
    api = client.get("/api/dashboards/manager", params=bad)
    assert api.status_code == 422
    assert "end:" in api.json()["detail"]
    month = client.get("/api/dashboards/commissions", params={"month": "2026-13"})
    assert month.status_code == 422


def test_openapi_documents_the_dashboard_models(client: TestClient) -> None:
    signed_in(client, "admin")
    schema = client.get("/api/openapi.json").json()
    assert "/api/dashboards/manager" in schema["paths"]
    assert "DashboardRead" in schema["components"]["schemas"]
