"""Starting a payment: amounts, accounts, providers and the bank-transfer reference."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from huikuan.accounts.models import Account
from huikuan.audit.models import AuditLog
from huikuan.db.engine import transaction
from huikuan.payments import alipay
from huikuan.payments.bank_transfer import case_no_of
from huikuan.payments.config import PayConfig, load_keys
from huikuan.payments.models import PaymentOrder
from huikuan.payments.service import PaymentInputError, create_order
from huikuan.payments.trades import Provider
from tests.payments.conftest import NEW, NOW, OLD, PayWorld

OPEN_BALANCE = sum(OLD) + sum(NEW)


def test_a_bank_transfer_gives_the_case_reference_and_the_creditors_account(
    pay_world: PayWorld, base_config: PayConfig
) -> None:
    with transaction(pay_world.engine) as s:
        started = create_order(
            s,
            case_id=pay_world.ids["CASE-P1"],
            amount=5_000,
            provider="bank_transfer",
            now=NOW,
            actor="debtor:D-BANKA",
            config=base_config,
        )
    assert started.provider is Provider.BANK_TRANSFER
    assert started.redirect_url is None
    assert started.bank_reference is not None
    assert case_no_of(started.bank_reference) == "CASE-P1"
    assert started.payee_lines == ("户名：A 银行股份有限公司", "账号：6222 0000 0000 0000")
    with transaction(pay_world.engine) as s:
        order = s.scalars(select(PaymentOrder)).one()
        assert (order.status, order.amount, order.bank_reference) == (
            "created",
            5_000,
            started.bank_reference,
        )
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "payment_order.created")).one()
        assert entry.actor == "debtor:D-BANKA"
        assert json.loads(entry.detail)["order_no"] == started.order_no


def test_the_alipay_order_is_a_signed_redirect_to_the_gateway(
    pay_world: PayWorld, base_config: PayConfig
) -> None:
    with transaction(pay_world.engine) as s:
        started = create_order(
            s,
            case_id=pay_world.ids["CASE-P1"],
            amount=OPEN_BALANCE,
            provider="alipay",
            now=NOW,
            config=base_config,
        )
    assert started.order_no.startswith("HK20261120")
    assert len(started.order_no) == 22
    assert started.redirect_url is not None
    assert started.redirect_url.startswith(base_config.alipay_gateway + "?")
    params = dict(parse_qsl(urlsplit(started.redirect_url).query))
    public = load_keys(base_config).alipay_app_private.public_key()
    assert alipay.verify_request(params, public)
    assert params["notify_url"] == "http://127.0.0.1:8000/hooks/pay/alipay/notify"
    biz = json.loads(params["biz_content"])
    assert biz["out_trade_no"] == started.order_no
    assert biz["total_amount"] == "1547.00"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": OPEN_BALANCE + 1}, "amount"),
        ({"amount": sum(NEW) + 1, "account": "new"}, "amount"),
        ({"amount": 1, "account": "other"}, "account_id"),
        ({"amount": 1, "provider": "paypal"}, "provider"),
        ({"amount": 1, "case": "missing"}, "case_id"),
    ],
)
def test_a_wrong_request_names_the_field_and_writes_nothing(
    pay_world: PayWorld, base_config: PayConfig, changes: dict[str, object], field: str
) -> None:
    ids = pay_world.ids
    case_id = 10**9 if changes.get("case") == "missing" else ids["CASE-P1"]
    account = changes.get("account")
    with pytest.raises(PaymentInputError) as refused, transaction(pay_world.engine) as s:
        create_order(
            s,
            case_id=case_id,
            amount=int(str(changes["amount"])),
            provider=str(changes.get("provider", "alipay")),
            now=NOW,
            account_id=ids[str(account)] if account else None,
            config=base_config,
        )
    assert refused.value.field == field
    with transaction(pay_world.engine) as s:
        assert s.scalars(select(PaymentOrder)).all() == []
        assert s.scalars(select(AuditLog)).all() == []


def test_a_settled_account_takes_no_new_order(pay_world: PayWorld, base_config: PayConfig) -> None:
    case_id = pay_world.ids["CASE-P1"]
    with transaction(pay_world.engine) as s:
        for account in s.scalars(select(Account).where(Account.case_id == case_id)):
            account.status = "settled"
    with (
        pytest.raises(PaymentInputError, match="nothing is owed"),
        transaction(pay_world.engine) as s,
    ):
        create_order(
            s,
            case_id=pay_world.ids["CASE-P1"],
            amount=1,
            provider="wechat",
            now=NOW,
            config=base_config,
        )
