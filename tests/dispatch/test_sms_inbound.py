"""Parsing what providers push: replies (MO) and delivery reports, in each documented format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from huikuan.dispatch.channels import OutboundMessage
from huikuan.dispatch.provider_fakes import (
    FAKE_KANNEL_PASSWORD,
    FAKE_KANNEL_USER,
    FAKE_KEY_ID,
    FAKE_KEY_SECRET,
    FAKE_TENCENT_APP_ID,
    FAKE_TWILIO_SID,
    FAKE_TWILIO_TOKEN,
    aliyun_report,
    aliyun_server,
    kannel_dlr_callback,
    kannel_server,
    tencent_report,
    tencent_server,
    twilio_server,
    twilio_status_callback,
)
from huikuan.dispatch.sms import (
    AliyunSmsChannel,
    KannelSmsChannel,
    TencentSmsChannel,
    TencentTemplate,
    TwilioSmsChannel,
)
from huikuan.dispatch.sms_inbound import (
    DeliveryReport,
    InboundReply,
    PayloadError,
    parse_replies,
    parse_reports,
    verify_twilio_signature,
)

ARRIVED = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def test_aliyun_sms_up_batch() -> None:
    payload = json.dumps(
        [
            {
                "phone_number": "13800138000",
                "send_time": "2027-03-01 17:12:13",
                "content": "已还款，请勿再发",
                "sign_name": "惠款",
                "dest_code": "1234",
                "sequence_id": 1234567890,
            },
            {
                "phone_number": "8613900139000",
                "send_time": "2027-03-01 08:00:00",
                "content": "TD",
                "sign_name": "惠款",
                "dest_code": "1234",
                "sequence_id": 1234567891,
            },
        ],
        ensure_ascii=False,
    ).encode()
    assert parse_replies("aliyun", payload) == [
        InboundReply(
            "aliyun",
            "13800138000",
            "已还款，请勿再发",
            datetime(2027, 3, 1, 9, 12, 13, tzinfo=UTC),
            "1234567890",
        ),
        InboundReply(
            "aliyun", "13900139000", "TD", datetime(2027, 3, 1, 0, 0, tzinfo=UTC), "1234567891"
        ),
    ]


def test_aliyun_sms_report_batch() -> None:
    payload = [
        {
            "phone_number": "13800138000",
            "send_time": "2027-03-01 17:12:13",
            "report_time": "2027-03-01 17:12:16",
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": "1",
            "biz_id": "932702304080415357^0",
            "out_id": "case-42:SMS-M1-D1:2027-03-01",
        },
        {
            "phone_number": "13900139000",
            "send_time": "2027-03-01 17:12:13",
            "report_time": "2027-03-01 17:13:00",
            "success": False,
            "err_code": "MK:0005",
            "err_msg": "用户接收失败",
            "sms_size": "1",
            "biz_id": "932702304080415358^0",
            "out_id": "",
        },
    ]
    assert parse_reports("aliyun", payload) == [
        DeliveryReport(
            "aliyun",
            "932702304080415357^0",
            "case-42:SMS-M1-D1:2027-03-01",
            True,
            None,
            datetime(2027, 3, 1, 9, 12, 16, tzinfo=UTC),
        ),
        DeliveryReport(
            "aliyun",
            "932702304080415358^0",
            None,
            False,
            "MK:0005",
            datetime(2027, 3, 1, 9, 13, tzinfo=UTC),
        ),
    ]


def test_tencent_reply_callback_object_and_array() -> None:
    reply = {
        "extend": "01",
        "mobile": "13800138000",
        "nationcode": "86",
        "sign": "惠款",
        "text": "我已经还了",
        "time": 1803893400,
    }
    expected = InboundReply(
        "tencent",
        "13800138000",
        "我已经还了",
        datetime.fromtimestamp(1803893400, UTC),
        "8613800138000@1803893400",
    )
    assert parse_replies("tencent", reply) == [expected]
    assert parse_replies("tencent", json.dumps([reply])) == [expected]
    abroad = {**reply, "nationcode": "852", "mobile": "91234567"}
    assert parse_replies("tencent", abroad)[0].phone == "+85291234567"


def test_tencent_status_callback() -> None:
    payload = [
        {
            "user_receive_time": "2027-03-01 17:03:04",
            "nationcode": "86",
            "mobile": "13800138000",
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "description": "用户短信送达成功",
            "sid": "2028:000000000000000000000001",
            "ext": "case-42",
        },
        {
            "user_receive_time": "2027-03-01 17:03:05",
            "nationcode": "86",
            "mobile": "13900139000",
            "report_status": "FAIL",
            "errmsg": "MN:0017",
            "description": "用户短信未送达",
            "sid": "2028:000000000000000000000002",
        },
    ]
    assert parse_reports("tencent", payload) == [
        DeliveryReport(
            "tencent",
            "2028:000000000000000000000001",
            "case-42",
            True,
            None,
            datetime(2027, 3, 1, 9, 3, 4, tzinfo=UTC),
        ),
        DeliveryReport(
            "tencent",
            "2028:000000000000000000000002",
            None,
            False,
            "MN:0017",
            datetime(2027, 3, 1, 9, 3, 5, tzinfo=UTC),
        ),
    ]


TWILIO_INBOUND = (
    "ToCountry=US&ToState=CA&SmsMessageSid=SM11111111111111111111111111111111&NumMedia=0"
    "&ToCity=&FromZip=&SmsSid=SM11111111111111111111111111111111&FromState=&SmsStatus=received"
    "&FromCity=&Body=STOP&FromCountry=CN&To=%2B15005550006&ToZip="
    "&MessageSid=SM11111111111111111111111111111111&AccountSid=AC00000000000000000000000000000001"
    "&From=%2B8613800138000&ApiVersion=2010-04-01"
)


def test_twilio_inbound_message_form() -> None:
    assert parse_replies("twilio", TWILIO_INBOUND, received_at=ARRIVED) == [
        InboundReply("twilio", "13800138000", "STOP", ARRIVED, "SM11111111111111111111111111111111")
    ]
    with pytest.raises(ValueError, match="received_at"):
        parse_replies("twilio", TWILIO_INBOUND)


@pytest.mark.parametrize(
    ("status", "delivered", "error"),
    [("delivered", True, None), ("undelivered", False, "30003"), ("failed", False, "30003")],
)
def test_twilio_final_status_callbacks(status: str, delivered: bool, error: str | None) -> None:
    form = {
        "MessageSid": "SM22222222222222222222222222222222",
        "MessageStatus": status,
        "AccountSid": "AC00000000000000000000000000000001",
        "To": "+8613800138000",
        "From": "+15005550006",
        "ApiVersion": "2010-04-01",
        "send_key": "case-42",
    }
    if error:
        form["ErrorCode"] = error
    assert parse_reports("twilio", form, received_at=ARRIVED) == [
        DeliveryReport(
            "twilio", "SM22222222222222222222222222222222", "case-42", delivered, error, ARRIVED
        )
    ]


@pytest.mark.parametrize("status", ["queued", "sending", "sent", "accepted"])
def test_twilio_intermediate_statuses_are_not_reports(status: str) -> None:
    form = {"MessageSid": "SM2", "MessageStatus": status}
    assert parse_reports("twilio", form, received_at=ARRIVED) == []


def test_kannel_mo_get_url() -> None:
    query = (
        "from=%2B8613800138000&to=10690000&text=%E6%88%91%E5%B7%B2%E8%BF%98%E6%AC%BE"
        "&ts=1803893400&id=7f3c"
    )
    assert parse_replies("kannel", query) == [
        InboundReply(
            "kannel", "13800138000", "我已还款", datetime.fromtimestamp(1803893400, UTC), "7f3c"
        )
    ]
    local = {"from": "13800138000", "to": "10690000", "text": "TD", "time": "2027-03-01 17:30:00"}
    assert parse_replies("kannel", local)[0].received_at == ARRIVED


@pytest.mark.parametrize(
    ("kind", "reply", "expected"),
    [
        ("1", "id:1 sub:001 dlvrd:001 stat:DELIVRD err:000", (True, None)),
        ("2", "id:1 sub:001 dlvrd:000 stat:UNDELIV err:001", (False, "UNDELIV:001")),
        ("16", "", (False, "type-16")),
    ],
)
def test_kannel_dlr_get_url(kind: str, reply: str, expected: tuple[bool, str | None]) -> None:
    query = {
        "send_key": "case-42:SMS-M1-D1:2027-03-01",
        "type": kind,
        "ts": "1803893400",
        "smsc_reply": reply,
    }
    [report] = parse_reports("kannel", query)
    assert (report.delivered, report.error_code) == expected
    assert report.send_key == report.provider_message_id == "case-42:SMS-M1-D1:2027-03-01"
    assert report.at == datetime.fromtimestamp(1803893400, UTC)


@pytest.mark.parametrize("kind", ["4", "8"])
def test_kannel_intermediate_reports_are_left_out(kind: str) -> None:
    assert parse_reports("kannel", {"send_key": "k", "type": kind, "ts": "1803893400"}) == []


@pytest.mark.parametrize(
    ("provider", "payload"),
    [
        ("aliyun", b"not json"),
        ("aliyun", [{"phone_number": "13800138000", "send_time": "yesterday", "sequence_id": 1}]),
        ("aliyun", [{"send_time": "2027-03-01 17:12:13", "sequence_id": 1}]),
        (
            "aliyun",
            [{"phone_number": "010-12345", "send_time": "2027-03-01 17:12:13", "sequence_id": 1}],
        ),
        ("tencent", "[1, 2]"),
        ("tencent", {"mobile": "13800138000", "time": "soon"}),
        ("kannel", {"to": "10690000", "text": "TD", "ts": "1"}),
    ],
)
def test_malformed_replies_are_payload_errors(provider: str, payload: object) -> None:
    with pytest.raises(PayloadError):
        parse_replies(provider, payload, received_at=ARRIVED)


def test_unknown_provider() -> None:
    with pytest.raises(ValueError, match="unknown SMS provider"):
        parse_reports("pager", {})


# --- what each fake would push back, for a message our channel sent --------------------------

MESSAGE = OutboundMessage(
    send_key="case-7:SMS-M2-D3:2027-03-02",
    sender="",
    recipient="13800138000",
    subject="",
    body="您好，请尽快还款。",
    template="SMS-M2-D3",
    params={"name": "李"},
)


def test_reports_for_what_the_fakes_accepted_round_trip() -> None:
    with aliyun_server() as (url, recorder):
        sent = AliyunSmsChannel(
            FAKE_KEY_ID, FAKE_KEY_SECRET, "惠款", {"SMS-M2-D3": "SMS_9"}, base_url=url
        ).send(MESSAGE)
        [received] = recorder.accepted()
    [report] = parse_reports(
        "aliyun", json.dumps([aliyun_report(received, delivered=False, at=ARRIVED)])
    )
    assert (report.provider_message_id, report.send_key) == (
        sent.provider_message_id,
        MESSAGE.send_key,
    )
    assert (report.delivered, report.at) == (False, ARRIVED)

    with tencent_server() as (url, recorder):
        sent = TencentSmsChannel(
            FAKE_KEY_ID,
            FAKE_KEY_SECRET,
            FAKE_TENCENT_APP_ID,
            "惠款",
            {"SMS-M2-D3": TencentTemplate("2220", ("name",))},
            base_url=url,
        ).send(MESSAGE)
        [received] = recorder.accepted()
    [report] = parse_reports("tencent", [tencent_report(received, delivered=True, at=ARRIVED)])
    assert (report.provider_message_id, report.send_key) == (
        sent.provider_message_id,
        MESSAGE.send_key,
    )
    assert (report.delivered, report.at) == (True, ARRIVED)


def test_twilio_status_callback_is_signed_and_names_the_send_key() -> None:
    with twilio_server() as (url, recorder):
        sent = TwilioSmsChannel(
            FAKE_TWILIO_SID,
            FAKE_TWILIO_TOKEN,
            messaging_service_sid="MG00000000000000000000000000000001",
            status_callback="https://huikuan.example/sms/twilio/status?tenant=a",
            base_url=url,
        ).send(MESSAGE)
        [received] = recorder.accepted()
    callback, form, signature = twilio_status_callback(received, status="undelivered")
    assert verify_twilio_signature(callback, form, signature, FAKE_TWILIO_TOKEN)
    assert not verify_twilio_signature(
        callback, {**form, "MessageStatus": "delivered"}, signature, FAKE_TWILIO_TOKEN
    )
    assert not verify_twilio_signature(callback, form, signature, "another-token")
    query = dict(parse_qsl(urlsplit(callback).query))  # the web layer merges the query in
    [report] = parse_reports("twilio", {**form, **query}, received_at=ARRIVED)
    assert (report.provider_message_id, report.send_key) == (
        sent.provider_message_id,
        MESSAGE.send_key,
    )
    assert (report.delivered, report.error_code) == (False, "30003")


@pytest.mark.parametrize("send_key", ["case-7:SMS-M2-D3:2027-03-02", "催收 %A3&type=1"])
def test_kannel_dlr_callback_round_trips_the_send_key(send_key: str) -> None:
    with kannel_server() as (url, recorder):
        KannelSmsChannel(
            FAKE_KANNEL_USER,
            FAKE_KANNEL_PASSWORD,
            dlr_url="https://huikuan.example/sms/kannel/dlr",
            base_url=url,
        ).send(OutboundMessage(send_key, "", "13800138000", "", "您好"))
        [received] = recorder.accepted()
    callback = kannel_dlr_callback(received, delivered=False, at=ARRIVED)
    assert callback.startswith("https://huikuan.example/sms/kannel/dlr?")
    [report] = parse_reports("kannel", urlsplit(callback).query)
    assert report.send_key == send_key
    assert (report.delivered, report.error_code, report.at) == (False, "UNDELIV:001", ARRIVED)
