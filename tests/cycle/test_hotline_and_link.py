"""The daily cycle's texts carry each creditor's own hotline and the debtor's page link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from huikuan.cases.models import Case
from huikuan.cycle.service import run_day
from huikuan.db.engine import make_engine, transaction
from huikuan.demo.catalogue import DEMO_CREDITORS
from huikuan.demo.service import demo_rules, load_demo
from huikuan.dispatch.models import OutboxMessage
from huikuan.org.models import Creditor
from huikuan.security.crypto import FieldCipher
from huikuan.selfservice.links import link_secret, read_link_token
from huikuan.strategy.document import default_strategy
from tests.cycle.test_designations import TODAY, TOMORROW


@pytest.fixture
def demo(cipher: FieldCipher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("HUIKUAN_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("HUIKUAN_PUBLIC_BASE_URL", "https://collect.example.com")
    from huikuan.settings import get_settings

    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    load_demo(
        engine, accounts=400, as_of=TODAY, days=1, seed=7, cipher=cipher, work_dir=tmp_path / "d"
    )
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_texts_name_the_creditors_hotline_and_link_to_the_debtors_page(demo: Engine) -> None:
    run_day(demo, TOMORROW, strategy=default_strategy(), rules=demo_rules())
    hotlines = {c.code: c.hotline for c in DEMO_CREDITORS}
    with transaction(demo) as s:
        rows = s.execute(
            select(OutboxMessage.body, OutboxMessage.case_id, Creditor.code)
            .join(Case, Case.id == OutboxMessage.case_id)
            .join(Creditor, Creditor.id == Case.creditor_id)
            .where(OutboxMessage.channel == "sms", OutboxMessage.template_code == "SMS-M1-D1")
        ).all()
        linked = s.execute(
            select(OutboxMessage.body, OutboxMessage.case_id).where(
                OutboxMessage.template_code == "SMS-M1-D5"
            )
        ).all()
    assert rows, "the strategy planned day-1 texts"
    for body, _case_id, code in rows:
        assert hotlines[code] in body
        assert "95588" not in body
    assert linked, "the strategy planned day-5 texts"
    for body, case_id in linked:
        token = body.split("https://collect.example.com/d/")[1].split(" ")[0]
        facts = read_link_token(link_secret("k" * 48), token, today=TOMORROW)
        assert facts is not None
        assert facts.case_id == case_id
