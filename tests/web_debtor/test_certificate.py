"""Once settled, the debtor downloads the settlement certificate (结清证明); not before."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from huikuan.accounts.models import Account
from huikuan.db.engine import transaction
from tests.web.conftest import World
from tests.web_debtor.conftest import Phone, link_for, sign_in


def test_the_certificate_only_once_settled(
    debtor_client: TestClient, world: World, phone: Phone, tmp_path: Path
) -> None:
    link = link_for(world.ids["c3"])
    sign_in(debtor_client, link, phone)
    early = debtor_client.get(f"/d/{link}/certificate.pdf", follow_redirects=False)
    assert early.status_code == 303
    assert 'data-testid="certificate"' not in debtor_client.get(f"/d/{link}").text
    with transaction(world.engine) as s:
        s.execute(
            update(Account)
            .where(Account.case_id == world.ids["c3"])
            .values(status="settled", principal=0, interest=0, penalty=0, fee=0)
        )
    home = debtor_client.get(f"/d/{link}").text
    assert 'data-testid="certificate"' in home
    pdf = debtor_client.get(f"/d/{link}/certificate.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "结清证明" in text.replace(" ", "")
    assert "JQ-CASE-c3" in text
