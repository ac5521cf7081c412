"""Request signing and phone numbers, pinned to the providers' documented worked examples."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from huikuan.dispatch.channels import OutboundMessage
from huikuan.dispatch.sms import (
    AliyunSmsChannel,
    TencentSmsChannel,
    TencentTemplate,
    aliyun_percent_encode,
    aliyun_signature,
    aliyun_string_to_sign,
    aliyun_timestamp,
    decode_dlr_key,
    encode_dlr_key,
    kannel_dlr_url,
    normalise_phone,
    tc3_authorization,
    tc3_canonical_request,
    tc3_signature,
    to_e164,
)
from huikuan.dispatch.sms_inbound import twilio_signature, verify_twilio_signature

# Aliyun SMS "signature mechanism" page: SendSms with AccessKeyId testId / secret testSecret.
ALIYUN_DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
ALIYUN_DOC_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
    "%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF"
    "%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
    "%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode"
    "%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)


def test_aliyun_string_to_sign_matches_the_documented_example() -> None:
    assert aliyun_string_to_sign("GET", ALIYUN_DOC_PARAMS) == ALIYUN_DOC_STRING_TO_SIGN


def test_aliyun_signature_matches_the_documented_example() -> None:
    assert (
        aliyun_signature("testSecret", "GET", ALIYUN_DOC_PARAMS) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )
    # The Signature parameter itself never takes part.
    signed = {**ALIYUN_DOC_PARAMS, "Signature": "zJDF+Lrzhj/ThnlvIToysFRq6t4="}
    assert aliyun_signature("testSecret", "GET", signed) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert (
        aliyun_signature("testSecreT", "GET", ALIYUN_DOC_PARAMS) != "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [("a b", "a%20b"), ("*", "%2A"), ("~-_.", "~-_."), ("+/=", "%2B%2F%3D"), ("短", "%E7%9F%AD")],
)
def test_aliyun_percent_encoding_is_rfc3986(raw: str, encoded: str) -> None:
    assert aliyun_percent_encode(raw) == encoded


def test_aliyun_channel_request_is_deterministic_given_nonce_and_time() -> None:
    channel = AliyunSmsChannel("testId", "testSecret", "惠款", {"SMS-M1-D1": "SMS_71390007"})
    message = OutboundMessage(
        send_key="123",
        sender="",
        recipient="+86 153 0000 0001",
        subject="",
        body="",
        template="SMS-M1-D1",
        params={"customer": "test"},
    )
    moment = datetime(2017, 7, 12, 2, 42, 19, tzinfo=UTC)
    params = channel.request_params(message, timestamp=moment, nonce="n-1")
    assert params == channel.request_params(message, timestamp=moment, nonce="n-1")
    assert params["PhoneNumbers"] == "15300000001"
    assert params["OutId"] == "123"
    assert params["Format"] == "JSON"
    assert params["Timestamp"] == "2017-07-12T02:42:19Z" == aliyun_timestamp(moment)
    assert json.loads(params["TemplateParam"]) == {"customer": "test"}
    assert params["Signature"] == aliyun_signature("testSecret", "GET", params)
    other = channel.request_params(message, timestamp=moment, nonce="n-2")
    assert other["Signature"] != params["Signature"]


# Tencent Cloud API 3.0 signature v3 page: the CVM DescribeInstances example.
TENCENT_DOC_PAYLOAD = (
    b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
)
TENCENT_DOC_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Host": "cvm.tencentcloudapi.com",
}
TENCENT_DOC_SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
TENCENT_DOC_SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
TENCENT_DOC_TIMESTAMP = 1551113065
TENCENT_DOC_SIGNATURE = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


def test_tc3_canonical_request_matches_the_documented_example() -> None:
    canonical = tc3_canonical_request(
        "POST", "/", "", TENCENT_DOC_HEADERS, ["content-type", "host"], TENCENT_DOC_PAYLOAD
    )
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n"
        "\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    assert digest == "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"


def test_tc3_signature_and_authorization_match_the_documented_example() -> None:
    canonical = tc3_canonical_request(
        "POST", "/", "", TENCENT_DOC_HEADERS, ["content-type", "host"], TENCENT_DOC_PAYLOAD
    )
    signature = tc3_signature(TENCENT_DOC_SECRET_KEY, "cvm", TENCENT_DOC_TIMESTAMP, canonical)
    assert signature == TENCENT_DOC_SIGNATURE
    authorization = tc3_authorization(
        TENCENT_DOC_SECRET_ID,
        TENCENT_DOC_SECRET_KEY,
        "cvm",
        TENCENT_DOC_TIMESTAMP,
        TENCENT_DOC_HEADERS,
        TENCENT_DOC_PAYLOAD,
    )
    assert authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        f"tc3_request, SignedHeaders=content-type;host, Signature={TENCENT_DOC_SIGNATURE}"
    )
    wrong = tc3_signature(TENCENT_DOC_SECRET_KEY + "x", "cvm", TENCENT_DOC_TIMESTAMP, canonical)
    assert wrong != TENCENT_DOC_SIGNATURE


def test_tencent_channel_request_orders_params_by_the_template() -> None:
    channel = TencentSmsChannel(
        "id",
        "key",
        "1400006666",
        "惠款",
        {"SMS-M1-D1": TencentTemplate("1110", ("name", "amount"))},
        base_url="http://127.0.0.1:9",
    )
    message = OutboundMessage(
        send_key="k-1",
        sender="",
        recipient="13800138000",
        subject="",
        body="",
        template="SMS-M1-D1",
        params={"amount": "1,234.56", "name": "王先生"},
    )
    body = json.loads(channel.request_body(message))
    assert body == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400006666",
        "SignName": "惠款",
        "TemplateId": "1110",
        "TemplateParamSet": ["王先生", "1,234.56"],
        "SessionContext": "k-1",
    }
    payload = channel.request_body(message)
    headers = channel.request_headers(payload, 1_800_000_000)
    assert headers == channel.request_headers(payload, 1_800_000_000)
    assert headers["Host"] == "127.0.0.1:9"
    assert headers["X-TC-Action"] == "SendSms"
    assert headers["X-TC-Version"] == "2021-01-11"
    assert headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=id/2027-01-15/sms/")


# Twilio "Webhooks security" page: auth token 12345 and a voice request's parameters.
TWILIO_DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
TWILIO_DOC_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_signature_matches_the_documented_example() -> None:
    assert twilio_signature(TWILIO_DOC_URL, TWILIO_DOC_PARAMS, "12345") == TWILIO_DOC_SIGNATURE


@pytest.mark.parametrize(
    ("url", "params", "signature", "token", "valid"),
    [
        (TWILIO_DOC_URL, TWILIO_DOC_PARAMS, TWILIO_DOC_SIGNATURE, "12345", True),
        # Twilio may sign with or without the default port.
        (
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            TWILIO_DOC_PARAMS,
            TWILIO_DOC_SIGNATURE,
            "12345",
            True,
        ),
        (TWILIO_DOC_URL, TWILIO_DOC_PARAMS, TWILIO_DOC_SIGNATURE, "54321", False),
        (
            TWILIO_DOC_URL,
            {**TWILIO_DOC_PARAMS, "Digits": "1235"},
            TWILIO_DOC_SIGNATURE,
            "12345",
            False,
        ),
        (
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            TWILIO_DOC_PARAMS,
            TWILIO_DOC_SIGNATURE,
            "12345",
            False,
        ),
        (TWILIO_DOC_URL, TWILIO_DOC_PARAMS, "", "12345", False),
        (TWILIO_DOC_URL, TWILIO_DOC_PARAMS, "签名", "12345", False),
    ],
)
def test_verify_twilio_signature(
    url: str, params: dict[str, str], signature: str, token: str, valid: bool
) -> None:
    assert verify_twilio_signature(url, params, signature, token) is valid


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("86-138-0013-8000", "13800138000"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+852 9123 4567", "+85291234567"),
    ],
)
def test_phone_normalisation(raw: str, normal: str) -> None:
    assert normalise_phone(raw) == normal


@pytest.mark.parametrize("raw", ["", "1380013800", "23800138000", "+86 abc", "+123", "电话"])
def test_not_a_phone_number(raw: str) -> None:
    with pytest.raises(ValueError, match=r"phone|mobile"):
        normalise_phone(raw)


def test_e164_and_other_default_countries() -> None:
    assert to_e164("13800138000") == "+8613800138000"
    assert to_e164("+14155550100") == "+14155550100"
    assert to_e164("4155550100", "1") == "+14155550100"


@pytest.mark.parametrize(
    "key", ["case-42:reminder:2027-03-01", "提醒 %A3&x=1", "b64.looks-encoded"]
)
def test_dlr_send_key_survives_kannel_escapes(key: str) -> None:
    encoded = encode_dlr_key(key)
    assert "%" not in encoded
    assert "&" not in encoded
    assert decode_dlr_key(encoded) == key
    url = kannel_dlr_url("https://huikuan.example/sms/kannel/dlr", key)
    assert url.endswith(f"?send_key={encoded}&type=%d&ts=%T&smsc_reply=%A")
