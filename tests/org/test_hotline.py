"""Each creditor's own hotline (客服热线) reaches its debtors: texts, letters, the debtor's page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from huikuan.db.engine import transaction
from huikuan.db.migrate import upgrade
from huikuan.org.service import DEFAULT_HOTLINE, add_creditor, hotline_of

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_a_creditor_keeps_its_hotline_and_others_get_the_default(engine: Engine) -> None:
    upgrade(engine)
    with transaction(engine) as s:
        own = add_creditor(s, "BANKH", "H 银行", actor="t", at=AT, hotline="400-000-0303")
        plain = add_creditor(s, "BANKP", "P 银行", actor="t", at=AT)
        assert hotline_of(own) == "400-000-0303"
        assert hotline_of(plain) == DEFAULT_HOTLINE
        assert hotline_of(None) == DEFAULT_HOTLINE


@pytest.mark.parametrize("bad", ["", "call us", "4" * 33, "400;DROP"])
def test_a_hotline_that_is_not_a_number_is_refused(engine: Engine, bad: str) -> None:
    upgrade(engine)
    with transaction(engine) as s, pytest.raises(ValueError, match="hotline"):
        add_creditor(s, "BANKX", "X 银行", actor="t", at=AT, hotline=bad)
