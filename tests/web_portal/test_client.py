"""The creditor client's portal: placements, recoveries and files of its own creditor only;
uploads through the import service, refused whole with row/field/reason, idempotent by hash."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from huikuan.db.engine import transaction
from huikuan.imports.models import ImportedFile
from huikuan.payments.models import Payment
from huikuan.portal.models import ClientUpload
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import FakeClock, World, csrf_of, login
from tests.web_portal.conftest import portal_app, portal_world

GOOD = "账号,还款金额,还款日期,交易流水号\nACC-c1-1,100.00,2026-11-19,P-100\n"
BAD = (
    "账号,还款金额,还款日期,交易流水号\n"
    "ACC-c1-1,100.00,2026-11-19,P-200\n"
    "ACC-c3-1,abc,2026-11-19,P-201\n"
)


def payments_count(world: World) -> int:
    with transaction(world.engine) as s:
        return int(s.scalar(select(func.count(Payment.id))) or 0)


def upload(client: TestClient, csrf: str, text: str, name: str = "pay.csv") -> dict[str, object]:
    response = client.post(
        "/api/client/payments",
        files={"file": (name, text.encode(), "text/csv")},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code in (200, 422), response.text
    body: dict[str, object] = response.json()
    body["_status"] = response.status_code
    return body


def test_a_creditor_client_lands_on_its_placements_and_sees_only_its_own(
    client: TestClient, world: World
) -> None:
    login(client, "cli_a")
    assert client.get("/", follow_redirects=False).headers["location"] == "/client/placements"
    page = client.get("/client/placements").text
    assert ">pa<" in page
    assert ">pax<" in page
    assert ">pb<" not in page
    rows = {r["batch_no"]: r for r in client.get("/api/client/placements").json()}
    assert set(rows) == {"pa", "pax"}
    assert rows["pa"]["cases"] == 3
    assert rows["pa"]["accounts"] == 3
    assert rows["pa"]["recovered"] == 50_000
    assert rows["pax"]["recovered"] == 0
    assert rows["pa"]["placed_principal"] == 3_000_000
    assert rows["pax"]["agency"] == "X 催收"
    recoveries = client.get("/api/client/recoveries").json()
    assert recoveries == [
        {
            "month": "2026-11",
            "placement_id": rows["pa"]["placement_id"],
            "batch_no": "pa",
            "payments": 1,
            "amount": 50_000,
        }
    ]
    assert "500.00" in client.get("/client/recoveries").text


def test_the_other_creditors_client_sees_only_its_portfolio(
    client: TestClient, world: World
) -> None:
    login(client, "cli_b")
    assert [r["batch_no"] for r in client.get("/api/client/placements").json()] == ["pb"]
    assert client.get("/api/client/recoveries").json() == []
    assert ">pa<" not in client.get("/client/placements").text


def test_an_upload_with_a_bad_row_is_refused_whole_naming_row_field_and_reason(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "cli_a")
    before = payments_count(world)
    body = upload(client, csrf, BAD)
    assert body["_status"] == 422
    assert body["status"] == "refused"
    assert body["written"] == 0
    errors = body["errors"]
    assert isinstance(errors, list)
    assert [(e["row"], e["field"]) for e in errors] == [(3, "amount")]
    assert "不是有效金额" in errors[0]["reason_zh"]
    assert "not a valid amount" in errors[0]["reason_en"]
    assert payments_count(world) == before
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count(ImportedFile.id))) == 0
    report = client.get(str(body["error_report_url"]))
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    assert "not a valid amount" in report.content.decode("utf-8-sig")
    files = client.get("/client/files").text
    assert "已拒绝" in files


def test_the_same_file_twice_changes_nothing(client: TestClient, world: World) -> None:
    csrf = login(client, "cli_a")
    before = payments_count(world)
    first = upload(client, csrf, GOOD)
    assert (first["_status"], first["status"], first["written"]) == (200, "imported", 1)
    second = upload(client, csrf, GOOD, name="renamed.csv")
    assert (second["status"], second["written"], second["already_imported"]) == (
        "duplicate",
        0,
        True,
    )
    assert payments_count(world) == before + 1
    statuses = [f["status"] for f in client.get("/api/client/files").json()]
    assert statuses == ["duplicate", "imported"]


def test_a_client_cannot_touch_another_creditors_accounts_or_files(
    client: TestClient, other_client: TestClient, world: World
) -> None:
    csrf_b = login(other_client, "cli_b")
    refused = upload(other_client, csrf_b, BAD.replace("ACC-c3-1,abc", "ACC-c1-1,1.00"))
    # ACC-c1-1 belongs to BANKA: unknown to LENDB's client, so the whole file is refused.
    assert refused["status"] == "refused"
    errors = refused["errors"]
    assert isinstance(errors, list)
    assert {e["field"] for e in errors} == {"account_no"}
    csrf_a = login(client, "cli_a")
    assert client.get(str(refused["error_report_url"])).status_code == 404
    assert client.get("/api/client/files").json() == []
    upload(client, csrf_a, GOOD)
    assert [f["file_name"] for f in other_client.get("/api/client/files").json()] == ["pay.csv"]
    assert len(client.get("/api/client/files").json()) == 1


def test_the_files_page_uploads_and_shows_the_errors(client: TestClient, world: World) -> None:
    login(client, "cli_a")
    page = client.get("/client/files")
    csrf = csrf_of(page.text)
    response = client.post(
        "/client/files",
        data={"csrf_token": csrf, "kind": "payments", "period_days": "90"},
        files={"file": ("bad.csv", BAD.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert 'data-testid="upload-errors"' in response.text
    assert "不是有效金额" in response.text
    ok = client.post(
        "/client/files",
        data={"csrf_token": csrf, "kind": "payments"},
        files={"file": ("good.csv", GOOD.encode(), "text/csv")},
    )
    assert ok.status_code == 200
    assert "已导入" in ok.text
    no_csrf = client.post(
        "/client/files",
        data={"kind": "payments"},
        files={"file": ("good2.csv", GOOD.encode(), "text/csv")},
    )
    assert no_csrf.status_code == 403
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count(ClientUpload.id))) == 2


@pytest.mark.parametrize("path", ["/client/placements", "/client/recoveries", "/client/files"])
def test_staff_roles_are_refused_the_client_pages(client: TestClient, path: str) -> None:
    login(client, "a1")
    assert client.get(path).status_code == 403
    assert client.get("/api" + path).status_code == 403


def test_recalls_by_api_on_each_database(engine: Engine, cipher: FieldCipher) -> None:
    world = portal_world(engine, cipher)
    app = portal_app(world, cipher, FakeClock())
    with TestClient(app) as client:
        csrf = login(client, "cli_a")
        recall = "账号,撤案日期\nACC-c3-1,2026-11-19\n"
        response = client.post(
            "/api/client/recalls",
            content=recall.encode(),
            headers={"X-CSRF-Token": csrf, "Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["details"] == {"cases_recalled": 1}
        rows = {r["batch_no"]: r for r in client.get("/api/client/placements").json()}
        assert rows["pa"]["recalled_accounts"] == 1
        assert client.get("/client/placements").status_code == 200
        months = [r["month"] for r in client.get("/api/client/recoveries").json()]
        assert months == ["2026-11"]
