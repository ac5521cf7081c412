"""Paying for real over sockets: our app under uvicorn, the provider fakes, the notify twice.

Each test starts an order through the service, follows its redirect to the fake cashier with
an HTTP client, presses Pay (a form POST), and the fake delivers its signed notify to our
``/hooks/pay/{provider}/notify``. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import date, datetime
from html import unescape
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from huikuan.accounts.models import Account
from huikuan.audit.models import AuditLog
from huikuan.audit.service import verify
from huikuan.db.engine import transaction
from huikuan.nightly.service import close_through
from huikuan.payments import wechatpay
from huikuan.payments.config import DEV_FAKE_WECHAT
from huikuan.payments.keys import generate_private_pem, load_private_key
from huikuan.payments.models import Payment, PaymentOrder
from huikuan.payments.service import (
    NotifyResult,
    OrderStarted,
    accept_notification,
    create_order,
    reconcile_order,
)
from tests.payments.conftest import NEW, NOW, OLD, TODAY, Paying

FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)">')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
FORGER = load_private_key(generate_private_pem())


def start(paying: Paying, provider: str, amount: int, account: str | None = None) -> OrderStarted:
    ids = paying.world.ids
    with transaction(paying.world.engine) as s:
        return create_order(
            s,
            case_id=ids["CASE-P1"],
            amount=amount,
            provider=provider,
            now=NOW,
            account_id=ids[account] if account else None,
            actor="debtor:D-BANKA",
            config=paying.config,
        )


def open_cashier(started: OrderStarted) -> tuple[str, dict[str, str]]:
    """GET the cashier page the redirect leads to; its Pay form's action URL and fields."""
    assert started.redirect_url is not None
    page = httpx.get(started.redirect_url)
    assert page.status_code == 200, page.text
    assert started.order_no in page.text
    action = FORM_ACTION.search(page.text)
    assert action is not None
    base = str(page.url.copy_with(path="/", query=None)).rstrip("/")
    fields = {name: unescape(value) for name, value in HIDDEN.findall(page.text)}
    return base + action.group(1), fields


def pay(started: OrderStarted) -> httpx.Response:
    action, fields = open_cashier(started)
    return httpx.post(action, data=fields, timeout=60)


def balances(paying: Paying, name: str) -> tuple[int, int, int, int, str]:
    with transaction(paying.world.engine) as s:
        a = s.get(Account, paying.world.ids[name])
        assert a is not None
        return (a.principal, a.interest, a.penalty, a.fee, a.status)


def payments(paying: Paying) -> list[Payment]:
    with transaction(paying.world.engine) as s:
        return list(s.scalars(select(Payment).order_by(Payment.id)))


def audit_count(paying: Paying, action: str) -> int:
    with transaction(paying.world.engine) as s:
        return int(s.scalar(select(func.count()).where(AuditLog.action == action)) or 0)


def test_alipay_pay_notify_twice_posts_once_by_the_waterfall(paying: Paying) -> None:
    started = start(paying, "alipay", 2_000, account="old")
    paid = pay(started)
    assert paid.status_code == 200
    assert "付款成功" in paid.text
    deliveries = paying.fakes.alipay.deliveries
    assert [(d.status, d.body) for d in deliveries] == [(200, "success"), (200, "success")]
    [payment] = payments(paying)
    trade = paying.fakes.alipay.trades[started.order_no]
    assert payment.reference == trade.trade_no
    assert (payment.amount, payment.channel, payment.source) == (2_000, "alipay", "portal_alipay")
    assert (payment.received_on, payment.posted_on) == (TODAY, TODAY)
    principal, interest, _penalty, _fee = OLD
    # fee 500 → penalty 1,000 → interest 500 of 2,000; principal untouched
    assert balances(paying, "old") == (principal, interest - 500, 0, 0, "open")
    assert balances(paying, "new") == (*NEW, "open")
    with transaction(paying.world.engine) as s:
        order = s.scalars(select(PaymentOrder)).one()
        assert (order.status, order.payment_id, order.provider_trade_no) == (
            "paid",
            payment.id,
            trade.trade_no,
        )
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "payment.posted")).one()
        detail = json.loads(entry.detail)
        assert detail["postings"] == [
            {
                "account_id": paying.world.ids["old"],
                "amount": 2_000,
                "fee": 500,
                "penalty": 1_000,
                "interest": 500,
                "principal": 0,
                "credit": 0,
            }
        ]
        assert verify(s) == []


def test_wechat_h5_pays_the_oldest_due_account_first_and_settles_it(paying: Paying) -> None:
    amount = sum(OLD) + 6_500
    started = start(paying, "wechat", amount)
    assert started.redirect_url is not None
    assert started.redirect_url.startswith(paying.fakes.wechat.api_base + "/cgi-bin/")
    assert pay(started).status_code == 200
    assert [d.status for d in paying.fakes.wechat.deliveries] == [204, 204]
    first, second = payments(paying)
    trade_no = paying.fakes.wechat.trades[started.order_no].trade_no
    assert (first.reference, first.account_id, first.amount) == (
        trade_no,
        paying.world.ids["old"],
        sum(OLD),
    )
    assert (second.reference, second.account_id, second.amount) == (
        f"{trade_no}/2",
        paying.world.ids["new"],
        6_500,
    )
    assert {p.source for p in (first, second)} == {"portal_wechat"}
    assert balances(paying, "old") == (0, 0, 0, 0, "settled")
    # 6,500 on the newer account: fee 200, penalty 300, interest 700, then 5,300 of principal
    assert balances(paying, "new") == (NEW[0] - 5_300, 0, 0, 0, "open")
    assert audit_count(paying, "payment.posted") == 1


def test_the_nightly_does_not_post_a_portal_payment_again(paying: Paying) -> None:
    started = start(paying, "alipay", 2_000, account="old")
    pay(started)
    before = balances(paying, "old")
    report = close_through(paying.world.engine, TODAY)
    assert report.days[0].received == 0
    principal, interest, penalty, fee, status = balances(paying, "old")
    assert (principal, fee, status) == (before[0], before[3], before[4])
    # The day accrues on the balance after the payment (penalty restarts from 0).
    assert interest == before[1]
    assert 0 < penalty < OLD[2]
    [payment] = payments(paying)
    assert payment.posted_on == TODAY


def test_a_forged_alipay_notify_is_refused_and_nothing_is_written(paying: Paying) -> None:
    started = start(paying, "alipay", 2_000)
    open_cashier(started)  # the gateway knows the trade; nobody paid
    delivery = paying.fakes.alipay.deliver(
        started.order_no,
        overrides={"trade_status": "TRADE_SUCCESS", "trade_no": "2026112022001999"},
        signing_key=FORGER,
    )
    assert (delivery.status, delivery.body) == (400, "failure")
    assert payments(paying) == []
    assert balances(paying, "old") == (*OLD, "open")
    assert audit_count(paying, "payment.posted") == 0


def test_an_alipay_notify_for_another_amount_is_refused(paying: Paying) -> None:
    started = start(paying, "alipay", 2_000)
    open_cashier(started)
    delivery = paying.fakes.alipay.deliver(
        started.order_no,
        overrides={
            "trade_status": "TRADE_SUCCESS",
            "trade_no": "2026112022001888",
            "total_amount": "0.01",
        },
    )
    assert (delivery.status, delivery.body) == (400, "failure")
    assert payments(paying) == []


def test_forged_and_short_wechat_notifies_are_refused(paying: Paying) -> None:
    started = start(paying, "wechat", 2_000)
    open_cashier(started)
    paid = {"trade_state": "SUCCESS", "transaction_id": "4200000000000000000000000000009"}
    forged = paying.fakes.wechat.deliver(started.order_no, overrides=paid, signing_key=FORGER)
    assert forged.status == 400
    assert json.loads(forged.body)["code"] == "FAIL"
    short = paying.fakes.wechat.deliver(
        started.order_no, overrides={**paid, "amount": {"total": 1, "currency": "CNY"}}
    )
    assert short.status == 400
    assert "amount" in json.loads(short.body)["message"]
    assert payments(paying) == []


def test_an_unpaid_notify_is_acknowledged_without_posting(paying: Paying) -> None:
    started = start(paying, "alipay", 2_000)
    open_cashier(started)
    delivery = paying.fakes.alipay.deliver(
        started.order_no, overrides={"trade_no": "2026112022001777", "trade_status": "TRADE_CLOSED"}
    )
    assert (delivery.status, delivery.body) == (200, "success")
    assert payments(paying) == []
    with transaction(paying.world.engine) as s:
        assert s.scalars(select(PaymentOrder.status)).one() == "closed"


@pytest.mark.parametrize("provider", ["alipay", "wechat"])
def test_reconcile_asks_the_provider_when_no_notify_comes(silent: Paying, provider: str) -> None:
    started = start(silent, provider, 1_000, account="new")
    with transaction(silent.world.engine) as s:
        early = reconcile_order(s, started.order_no, NOW, config=silent.config)
    assert early.result is NotifyResult.IGNORED  # WeChat: NOTPAY; Alipay: no trade yet
    pay(started)
    with transaction(silent.world.engine) as s:
        outcome = reconcile_order(s, started.order_no, NOW, config=silent.config)
    assert outcome.result is NotifyResult.POSTED
    with transaction(silent.world.engine) as s:
        again = reconcile_order(s, started.order_no, NOW, config=silent.config)
    assert again.result is NotifyResult.DUPLICATE
    fake = silent.fakes.alipay if provider == "alipay" else silent.fakes.wechat
    late = fake.deliver(started.order_no)  # the notify turns up after all
    assert late.status in (200, 204)
    [payment] = payments(silent)
    assert payment.amount == 1_000
    # fee 200 → penalty 300 → interest 500 of the newer account's 700
    assert balances(silent, "new") == (NEW[0], 200, 0, 0, "open")


@pytest.mark.parametrize("provider", ["alipay", "wechat"])
def test_two_notifies_at_once_post_one_payment(silent: Paying, provider: str) -> None:
    if silent.world.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time; the row lock matters on PostgreSQL")
    started = start(silent, provider, 3_000, account="old")
    pay(started)
    if provider == "alipay":
        trade = silent.fakes.alipay.trades[started.order_no]
        body = urlencode(silent.fakes.alipay.notify_form(trade)).encode()
        headers: dict[str, str] = {}
    else:
        trade = silent.fakes.wechat.trades[started.order_no]
        text = silent.fakes.wechat.notify_body(trade)
        headers = wechatpay.sign_response(
            load_private_key((silent.config.dev_key_dir / DEV_FAKE_WECHAT).read_text()),
            silent.config.wechat_platform_serial,
            text,
            NOW,
        )
        body = text.encode()
    barrier = threading.Barrier(2)
    results: list[NotifyResult] = []

    def receive() -> None:
        with transaction(silent.world.engine) as s:
            barrier.wait(10)
            outcome = accept_notification(
                s, provider, headers=headers, body=body, now=NOW, config=silent.config
            )
            results.append(outcome.result)

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == sorted([NotifyResult.POSTED, NotifyResult.DUPLICATE])
    assert len(payments(silent)) == 1
    assert balances(silent, "old")[3] == 0


def test_paid_at_gives_the_shanghai_business_date(paying: Paying) -> None:
    # 23:30 UTC on the 19th is 07:30 on the 20th in Shanghai.
    paying.fakes.alipay.clock = lambda: datetime.fromisoformat("2026-11-19T23:30:00+00:00")
    started = start(paying, "alipay", 500, account="old")
    pay(started)
    [payment] = payments(paying)
    assert payment.received_on == date(2026, 11, 20)
