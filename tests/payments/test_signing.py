"""Signing and verification against vectors checked by hand and by OpenSSL."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.payments import alipay, wechatpay
from huikuan.payments.bank_transfer import bank_reference, case_no_of
from huikuan.payments.keys import (
    generate_private_pem,
    load_private_key,
    load_public_key,
    public_pem,
    sign_sha256_rsa,
    verify_sha256_rsa,
)
from huikuan.payments.trades import NotifyRefusedError, fen_of, yuan_text

KEY_PEM = generate_private_pem()
KEY = load_private_key(KEY_PEM)
PUBLIC = load_public_key(public_pem(KEY))
OTHER = load_private_key(generate_private_pem())

NOTIFY = {
    "notify_time": "2026-11-20 10:00:05",
    "notify_type": "trade_status_sync",
    "app_id": "2021000000000001",
    "charset": "utf-8",
    "version": "1.0",
    "sign_type": "RSA2",
    "sign": "will-be-replaced",
    "trade_no": "2026112022001400000000000001",
    "out_trade_no": "HK20261120ABC",
    "trade_status": "TRADE_SUCCESS",
    "total_amount": "20.00",
    "subject": "回款 还款",
    "body": "",
}


def test_the_notify_string_to_sign_sorts_and_leaves_out_sign_sign_type_and_empty_values() -> None:
    assert alipay.content_to_sign(NOTIFY, alipay.NOTIFY_EXCLUDED) == (
        "app_id=2021000000000001&charset=utf-8&notify_time=2026-11-20 10:00:05"
        "&notify_type=trade_status_sync&out_trade_no=HK20261120ABC&subject=回款 还款"
        "&total_amount=20.00&trade_no=2026112022001400000000000001"
        "&trade_status=TRADE_SUCCESS&version=1.0"
    )


def test_a_request_signs_sign_type_too() -> None:
    params = {"method": "alipay.trade.query", "sign_type": "RSA2", "sign": "x", "app_id": "1"}
    assert alipay.content_to_sign(params, alipay.REQUEST_EXCLUDED) == (
        "app_id=1&method=alipay.trade.query&sign_type=RSA2"
    )


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_our_rsa2_signature_is_what_openssl_makes_and_accepts(tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text(KEY_PEM)
    public_file = tmp_path / "public.pem"
    public_file.write_text(public_pem(KEY))
    message = alipay.content_to_sign(NOTIFY, alipay.NOTIFY_EXCLUDED)
    (tmp_path / "message").write_bytes(message.encode())
    made = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(key_file), str(tmp_path / "message")],
        check=True,
        capture_output=True,
    ).stdout
    ours = sign_sha256_rsa(KEY, message)
    assert ours == base64.b64encode(made).decode()  # PKCS#1 v1.5 is deterministic
    (tmp_path / "sig").write_bytes(base64.b64decode(ours))
    checked = subprocess.run(
        [
            "openssl",
            "dgst",
            "-sha256",
            "-verify",
            str(public_file),
            "-signature",
            str(tmp_path / "sig"),
            str(tmp_path / "message"),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _signed_notify(signed: dict[str, str] | None = None, **changes: str) -> dict[str, str]:
    """The notify with ``signed`` fields, signed, then ``changes`` made after signing."""
    form = {**NOTIFY, **(signed or {})}
    form["sign"] = sign_sha256_rsa(KEY, alipay.content_to_sign(form, alipay.NOTIFY_EXCLUDED))
    form.update(changes)
    return form


def test_a_notify_verifies_only_as_signed() -> None:
    assert alipay.verify_notify(_signed_notify(), PUBLIC)
    assert not alipay.verify_notify(_signed_notify(total_amount="2000.00"), PUBLIC)
    assert not alipay.verify_notify(_signed_notify(sign_type="RSA"), PUBLIC)
    assert not alipay.verify_notify(_signed_notify(sign="bm90IGEgc2lnbmF0dXJl"), PUBLIC)
    assert not alipay.verify_notify(_signed_notify(sign="%%%"), PUBLIC)
    forged = dict(NOTIFY)
    forged["sign"] = sign_sha256_rsa(OTHER, alipay.content_to_sign(forged, alipay.NOTIFY_EXCLUDED))
    assert not alipay.verify_notify(forged, PUBLIC)


def test_a_verified_notify_reads_as_a_paid_trade_in_fen() -> None:
    trade = alipay.trade_from_notify(_signed_notify({"gmt_payment": "2026-11-20 00:30:00"}), PUBLIC)
    assert (trade.amount, trade.paid, trade.out_trade_no) == (2000, True, "HK20261120ABC")
    assert trade.paid_at == datetime(2026, 11, 19, 16, 30, tzinfo=UTC)
    with pytest.raises(NotifyRefusedError, match="bad signature"):
        alipay.trade_from_notify(_signed_notify(out_trade_no="HK-OTHER"), PUBLIC)


def test_the_wap_pay_url_is_signed_over_every_parameter_it_carries() -> None:
    url = alipay.wap_pay_url(
        gateway="https://openapi.alipay.com/gateway.do",
        app_id="2021000000000001",
        private_key=KEY,
        out_trade_no="HK20261120ABC",
        amount=123456,
        subject="回款 还款",
        notify_url="https://collect.example.com/hooks/pay/alipay/notify",
        return_url=None,
        now=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        ttl=timedelta(minutes=30),
    )
    from urllib.parse import parse_qsl, urlsplit

    params = dict(parse_qsl(urlsplit(url).query))
    assert params["timestamp"] == "2026-11-20 10:00:00"  # Beijing time
    assert params["method"] == "alipay.trade.wap.pay"
    assert "return_url" not in params
    assert json.loads(params["biz_content"]) == {
        "out_trade_no": "HK20261120ABC",
        "total_amount": "1234.56",
        "subject": "回款 还款",
        "product_code": "QUICK_WAP_WAY",
        "timeout_express": "30m",
    }
    assert alipay.verify_request(params, PUBLIC)
    params["notify_url"] = "https://attacker.example.com/"
    assert not alipay.verify_request(params, PUBLIC)


def test_the_raw_member_is_the_exact_text_alipay_signed() -> None:
    body = '{"alipay_trade_query_response":{"code":"10000","total_amount":"20.00"},"sign":"s"}'
    assert alipay.raw_member(body, "alipay_trade_query_response") == (
        '{"code":"10000","total_amount":"20.00"}'
    )


def test_the_wechat_request_message_and_authorization_header() -> None:
    assert wechatpay.request_message(
        "POST",
        "/v3/pay/transactions/h5",
        "1554208460",
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        '{"a":1}',
    ) == ('POST\n/v3/pay/transactions/h5\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{"a":1}\n')
    header = wechatpay.authorization(
        mchid="1900009191",
        serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
        private_key=KEY,
        method="GET",
        url="/v3/certificates",
        body="",
        timestamp="1554208460",
        nonce_str="N1",
    )
    assert header.startswith('WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="N1",')
    fields = wechatpay.parse_authorization(header)
    assert fields["serial_no"] == "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"
    assert verify_sha256_rsa(
        PUBLIC, "GET\n/v3/certificates\n1554208460\nN1\n\n", fields["signature"]
    )


NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
API_V3 = b"0123456789abcdefghijklmnopqrstuv"


def _notify(**transaction: object) -> tuple[dict[str, str], bytes]:
    data = {
        "mchid": "1900000001",
        "out_trade_no": "HK20261120ABC",
        "transaction_id": "4200000000000000000000000000001",
        "trade_state": "SUCCESS",
        "success_time": "2026-11-20T10:00:03+08:00",
        "amount": {"total": 2000, "currency": "CNY"},
        **transaction,
    }
    resource = wechatpay.encrypt_resource(json.dumps(data), API_V3)
    body = json.dumps({"event_type": "TRANSACTION.SUCCESS", "resource": resource})
    return wechatpay.sign_response(KEY, "PS1", body, NOW), body.encode()


def _read(headers: dict[str, str], body: bytes, now: datetime = NOW) -> wechatpay.ProviderTrade:
    return wechatpay.trade_from_notify(
        headers, body, platform_key=PUBLIC, platform_serial="PS1", api_v3_key=API_V3, now=now
    )


def test_a_wechat_notify_is_verified_then_decrypted() -> None:
    headers, body = _notify()
    trade = _read({k.upper(): v for k, v in headers.items()}, body)  # header names: any case
    assert (trade.amount, trade.paid, trade.merchant) == (2000, True, "1900000001")
    assert trade.paid_at == datetime(2026, 11, 20, 2, 0, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("body", "bad signature"),
        ("serial", "unknown platform serial"),
        ("stale", "stale timestamp"),
        ("key", "resource does not decrypt"),
        ("aad", "resource does not decrypt"),
    ],
)
def test_a_damaged_wechat_notify_is_refused(damage: str, reason: str) -> None:
    headers, body = _notify()
    key, now = API_V3, NOW
    if damage == "body":
        body = body.replace(b"TRANSACTION", b"TRANSACTIOM")
    elif damage == "serial":
        headers["Wechatpay-Serial"] = "PS2"
    elif damage == "stale":
        now = NOW + timedelta(minutes=6)
    elif damage == "key":
        key = b"x" * 32
    else:
        envelope = json.loads(body)
        envelope["resource"]["associated_data"] = "refund"
        body = json.dumps(envelope).encode()
        headers = wechatpay.sign_response(KEY, "PS1", body.decode(), NOW)
    with pytest.raises(NotifyRefusedError, match=reason):
        wechatpay.trade_from_notify(
            headers, body, platform_key=PUBLIC, platform_serial="PS1", api_v3_key=key, now=now
        )


@pytest.mark.parametrize("text", ["1.234", "-1.00", "1e3", "", "０.１", "01.00"])
def test_odd_yuan_amounts_are_refused(text: str) -> None:
    with pytest.raises(NotifyRefusedError):
        fen_of(text)


@given(st.integers(min_value=0, max_value=10**13))
def test_yuan_text_and_back_is_exact(fen: int) -> None:
    assert fen_of(yuan_text(fen)) == fen


@given(
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=3, max_size=12),
    st.data(),
)
def test_a_single_mistyped_character_in_a_bank_reference_is_caught(
    case_no: str, data: st.DataObject
) -> None:
    reference = bank_reference(case_no)
    assert case_no_of(reference) == case_no
    position = data.draw(st.integers(min_value=3, max_value=3 + len(case_no) - 1))
    replacement = data.draw(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
    typo = reference[:position] + replacement + reference[position + 1 :]
    if typo != reference:
        assert case_no_of(typo) is None
