"""Provider pushes: each provider's replies and reports accepted once, refusals, and what an
opt-out and a bounce do to the outbox and the contact points."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huikuan.accounts.models import ContactPoint
from huikuan.audit.models import AuditLog
from huikuan.db.engine import transaction
from huikuan.dispatch.models import DeliveryReceipt, InboundMessage, OutboxMessage
from huikuan.dispatch.sms import encode_dlr_key
from huikuan.dispatch.sms_inbound import twilio_signature
from tests.web.conftest import FakeClock, World
from tests.web.live import live_server
from tests.web_ops.conftest import TWILIO_AUTH_TOKEN, WEBHOOK_TOKEN

PHONE = "13812345678"  # every debtor of the world has this mobile as their own
SENT_AT = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)


def _message(world: World, key: str, *, status: str, provider_id: str | None = None) -> int:
    with transaction(world.engine) as session:
        message = OutboxMessage(
            send_key=key,
            channel="sms",
            sender="s",
            recipient="token",
            body="b",
            case_id=world.ids["c1"],
            contact_point_id=world.ids["c1_mobile"],
            created_at=SENT_AT,
            not_before=SENT_AT,
            next_attempt_at=SENT_AT,
            status=status,
            provider_message_id=provider_id,
        )
        session.add(message)
        session.flush()
        return message.id


def _count(world: World, model: type[object]) -> int:
    with transaction(world.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def _status(world: World, message_id: int) -> str:
    with transaction(world.engine) as session:
        return session.get_one(OutboxMessage, message_id).status


def _point_status(world: World) -> str:
    with transaction(world.engine) as session:
        return session.get_one(ContactPoint, world.ids["c1_mobile"]).status


def _signed(path: str, form: dict[str, str]) -> dict[str, str]:
    url = f"http://testserver{path}"
    return {"X-Twilio-Signature": twilio_signature(url, form, TWILIO_AUTH_TOKEN)}


# One opt-out reply per provider, as each pushes it.
def _push_reply(client: TestClient, provider: str) -> httpx.Response:
    token = urlencode({"token": WEBHOOK_TOKEN})
    if provider == "aliyun":
        body = [
            {
                "phone_number": PHONE,
                "send_time": "2026-11-20 09:05:00",
                "content": "退订",
                "sign_name": "回款",
                "dest_code": "1234",
                "sequence_id": 987654,
            }
        ]
        return client.post(f"/hooks/sms/aliyun/replies?{token}", content=json.dumps(body))
    if provider == "tencent":
        body_one = {
            "extend": "",
            "mobile": PHONE,
            "nationcode": "86",
            "sign": "回款",
            "text": "TD",
            "time": 1763600700,
        }
        return client.post(f"/hooks/sms/tencent/replies?{token}", json=body_one)
    if provider == "twilio":
        form = {"From": "+86" + PHONE, "Body": "STOP", "MessageSid": "SM-reply-1", "To": "+1555"}
        path = "/hooks/sms/twilio/replies"
        return client.post(path, data=form, headers=_signed(path, form))
    query = urlencode(
        {"token": WEBHOOK_TOKEN, "from": PHONE, "to": "10690", "text": "TD", "ts": "1763600700"}
    )
    return client.get(f"/hooks/sms/kannel/replies?{query}")


# One failed-delivery report per provider for the message sent as ``provider_id``.
def _push_bounce(client: TestClient, provider: str, provider_id: str) -> httpx.Response:
    token = urlencode({"token": WEBHOOK_TOKEN})
    if provider == "aliyun":
        body = [
            {
                "phone_number": PHONE,
                "send_time": "2026-11-20 08:30:00",
                "report_time": "2026-11-20 08:31:00",
                "success": False,
                "err_code": "MK:0001",
                "err_msg": "号码无效",
                "sms_size": "1",
                "biz_id": provider_id,
                "out_id": "k-bounce",
            }
        ]
        return client.post(f"/hooks/sms/aliyun/reports?{token}", content=json.dumps(body))
    if provider == "tencent":
        body_list = [
            {
                "user_receive_time": "2026-11-20 08:31:00",
                "nationcode": "86",
                "mobile": PHONE,
                "report_status": "FAIL",
                "errmsg": "E:460",
                "description": "空号",
                "sid": provider_id,
                "ext": "k-bounce",
            }
        ]
        return client.post(f"/hooks/sms/tencent/reports?{token}", json=body_list)
    if provider == "twilio":
        form = {"MessageSid": provider_id, "MessageStatus": "undelivered", "ErrorCode": "30005"}
        path = "/hooks/sms/twilio/reports?send_key=k-bounce"
        return client.post(path, data=form, headers=_signed(path, form))
    query = urlencode(
        {
            "token": WEBHOOK_TOKEN,
            "send_key": encode_dlr_key(provider_id),
            "type": "2",
            "ts": "1763598660",
            "smsc_reply": "id:1 stat:UNDELIV err:001",
        }
    )
    return client.get(f"/hooks/sms/kannel/reports?{query}")


EXPECTED = {
    "aliyun": ("application/json", {"code": 0, "msg": "成功"}),
    "tencent": ("application/json", {"result": 0, "errmsg": "OK"}),
}


def _assert_answer(response: httpx.Response, provider: str) -> None:
    assert response.status_code == 200, response.text
    if provider in EXPECTED:
        kind, body = EXPECTED[provider]
        assert response.headers["content-type"].startswith(kind)
        assert response.json() == body
    elif provider == "twilio":
        assert response.headers["content-type"].startswith("text/xml")
        assert response.text.endswith("<Response/>")
    else:
        assert response.headers["content-type"].startswith("text/plain")


PROVIDERS = ["aliyun", "tencent", "twilio", "kannel"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_stop_reply_cancels_pending_messages_once(
    hooks_client: TestClient, world: World, provider: str
) -> None:
    pending = _message(world, "k-pending", status="pending")
    sent = _message(world, "k-sent", status="sent", provider_id="p-sent")
    first = _push_reply(hooks_client, provider)
    _assert_answer(first, provider)
    assert _status(world, pending) == "cancelled"
    assert _status(world, sent) == "sent"  # already gone out: nothing to withdraw
    assert _count(world, InboundMessage) == 1
    audits = _count(world, AuditLog)

    again = _push_reply(hooks_client, provider)
    _assert_answer(again, provider)
    assert _count(world, InboundMessage) == 1
    assert _count(world, AuditLog) == audits


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_bounce_invalidates_the_contact_point_once(
    hooks_client: TestClient, world: World, provider: str
) -> None:
    provider_id = f"{provider}-msg-1"
    _message(world, provider_id, status="sent", provider_id=provider_id)
    assert _point_status(world) == "unverified"
    first = _push_bounce(hooks_client, provider, provider_id)
    _assert_answer(first, provider)
    assert _point_status(world) == "invalid"
    with transaction(world.engine) as session:
        events = session.scalars(select(DeliveryReceipt.event)).all()
        bounced = session.scalars(
            select(AuditLog.action).where(AuditLog.action == "contact.bounced")
        ).all()
    assert events == ["bounced"]
    assert len(bounced) == 1

    again = _push_bounce(hooks_client, provider, provider_id)
    _assert_answer(again, provider)
    assert _count(world, DeliveryReceipt) == 1


def test_a_delivery_report_keeps_the_contact_point(hooks_client: TestClient, world: World) -> None:
    _message(world, "k-ok", status="sent", provider_id="SM-ok")
    form = {"MessageSid": "SM-ok", "MessageStatus": "delivered"}
    path = "/hooks/sms/twilio/reports"
    response = hooks_client.post(path, data=form, headers=_signed(path, form))
    _assert_answer(response, "twilio")
    with transaction(world.engine) as session:
        assert session.scalars(select(DeliveryReceipt.event)).all() == ["delivered"]
    assert _point_status(world) == "unverified"


def test_a_bad_twilio_signature_is_refused_and_changes_nothing(
    hooks_client: TestClient, world: World
) -> None:
    pending = _message(world, "k-pending", status="pending")
    form = {"From": "+86" + PHONE, "Body": "STOP", "MessageSid": "SM-forged"}
    path = "/hooks/sms/twilio/replies"
    headers = _signed(path, {**form, "Body": "hello"})  # signed over other content
    response = hooks_client.post(path, data=form, headers=headers)
    assert response.status_code == 403
    unsigned = hooks_client.post(path, data=form)
    assert unsigned.status_code == 403
    assert _status(world, pending) == "pending"
    assert _count(world, InboundMessage) == 0


@pytest.mark.parametrize("token", ["wrong-secret", None])
def test_a_bad_kannel_token_is_refused(
    hooks_client: TestClient, world: World, token: str | None
) -> None:
    pending = _message(world, "k-pending", status="pending")
    fields = {"from": PHONE, "text": "TD", "ts": "1763600700"}
    if token is not None:
        fields["token"] = token
    response = hooks_client.get(f"/hooks/sms/kannel/replies?{urlencode(fields)}")
    assert response.status_code == 403
    assert _status(world, pending) == "pending"


def test_aliyun_without_the_token_is_refused(hooks_client: TestClient, world: World) -> None:
    response = hooks_client.post("/hooks/sms/aliyun/replies", content="[]")
    assert response.status_code == 403


def test_pushes_need_no_session_or_csrf_but_the_app_still_does(
    hooks_client: TestClient,
) -> None:
    # The exemption is narrow: an unsafe request elsewhere still needs the CSRF token.
    assert hooks_client.post("/logout").status_code == 403


def test_unknown_provider_malformed_push_and_wrong_method(
    hooks_client: TestClient, world: World
) -> None:
    token = urlencode({"token": WEBHOOK_TOKEN})
    assert hooks_client.post(f"/hooks/sms/nexmo/replies?{token}", content="[]").status_code == 404
    bad = hooks_client.post(f"/hooks/sms/aliyun/replies?{token}", content="{not json")
    assert bad.status_code == 400
    missing = hooks_client.post(
        f"/hooks/sms/aliyun/replies?{token}", content=json.dumps([{"content": "TD"}])
    )
    assert missing.status_code == 400
    assert hooks_client.get(f"/hooks/sms/aliyun/replies?{token}").status_code == 405
    assert _count(world, InboundMessage) == 0


def test_pushes_are_refused_when_no_secret_is_configured(
    client: TestClient, app: FastAPI, world: World
) -> None:
    from huikuan.settings import Settings
    from huikuan.web.areas.hooks import hook_settings

    app.dependency_overrides[hook_settings] = lambda: Settings(_env_file=None)  # type: ignore[call-arg]
    response = client.get(f"/hooks/sms/kannel/replies?{urlencode({'token': '', 'from': PHONE})}")
    assert response.status_code == 403


@pytest.fixture
def live_hooks(hooks_app: FastAPI) -> Iterator[str]:
    """The app on a real socket (127.0.0.1), as a provider would reach it."""
    with live_server(hooks_app) as url:
        yield url


def test_a_twilio_push_over_a_real_socket_is_verified_against_the_called_url(
    live_hooks: str, world: World, clock: FakeClock
) -> None:
    pending = _message(world, "k-pending", status="pending")
    form = {"From": "+86" + PHONE, "Body": "退订", "MessageSid": "SM-live"}
    path = "/hooks/sms/twilio/replies"
    signature = twilio_signature(live_hooks + path, form, TWILIO_AUTH_TOKEN)
    with httpx.Client(base_url=live_hooks) as http:
        response = http.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert response.text.endswith("<Response/>")
    assert _status(world, pending) == "cancelled"
