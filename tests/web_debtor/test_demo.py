"""The demo prints a debtor link that opens the debtor's own page (and the number to type)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update

from huikuan.cases.models import Case
from huikuan.db.engine import transaction
from huikuan.security.crypto import FieldCipher
from huikuan.selfservice.links import link_secret, read_link_token
from huikuan.settings import Settings
from huikuan.web.serve import demo_debtor_lines
from tests.web.conftest import SECRET, TODAY, World
from tests.web_debtor.conftest import DEBTOR_MOBILE


def test_the_demo_link_opens_the_sign_in_of_a_case_that_can_settle(
    debtor_client: TestClient, world: World, cipher: FieldCipher
) -> None:
    settings = Settings(public_base_url="http://127.0.0.1:8000")
    lines = demo_debtor_lines(world.engine, cipher, SECRET, settings, TODAY)
    assert DEBTOR_MOBILE in lines[2]
    url = lines[1].strip()
    assert url.startswith("http://127.0.0.1:8000/d/")
    page = debtor_client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert 'name="contact"' in page.text
    # The first case 90+ days past due with no plan: c1b (95 days; c1 has a plan).
    token = url.rsplit("/", 1)[1]
    assert read_link_token(link_secret(SECRET), token, today=TODAY).case_id == world.ids["c1b"]  # type: ignore[union-attr]
    with transaction(world.engine) as s:
        s.execute(update(Case).where(Case.dpd >= 90).values(state="closed"))
    assert demo_debtor_lines(world.engine, cipher, SECRET, settings, TODAY) == []
