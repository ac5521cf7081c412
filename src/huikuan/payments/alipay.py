"""Alipay OpenAPI adapter: ``alipay.trade.wap.pay`` (the phone-browser cashier), the
asynchronous notify and ``alipay.trade.query``, signed RSA2 (SHA256withRSA).

Data flow:

* Pay: :func:`wap_pay_url` builds the public parameters (``app_id``, ``method``, ``charset``,
  ``sign_type=RSA2``, ``timestamp`` in Beijing time, ``version=1.0``, ``notify_url``,
  ``return_url``) and ``biz_content`` (``out_trade_no``, ``total_amount`` in yuan, ``subject``,
  ``product_code=QUICK_WAP_WAY``, ``timeout_express``), signs :func:`content_to_sign` of them
  with our app private key and returns the gateway URL the debtor's browser is sent to.
* Notify: Alipay POSTs a form to ``notify_url``; :func:`verify_notify` checks ``sign`` with
  Alipay's public key over every other parameter except ``sign`` and ``sign_type``, sorted,
  ``k=v`` joined by ``&`` (values URL-decoded, empty ones left out); :func:`trade_from_notify`
  reads it. The merchant answers the literal text ``success`` or Alipay retries.
* Query: :func:`query_trade` POSTs a signed ``alipay.trade.query``; the answer's
  ``alipay_trade_query_response`` object is verified over its exact JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from huikuan.payments.keys import sign_sha256_rsa, verify_sha256_rsa
from huikuan.payments.trades import (
    NotifyRefusedError,
    Provider,
    ProviderError,
    ProviderTrade,
    fen_of,
    yuan_text,
)

BEIJING = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # every Alipay timestamp, in Beijing time
WAP_PAY = "alipay.trade.wap.pay"
TRADE_QUERY = "alipay.trade.query"
PAID_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
CLOSED_STATUS = "TRADE_CLOSED"
SUCCESS_CODE = "10000"
NOTIFY_ANSWER = "success"  # the literal text Alipay waits for
QUERY_RESPONSE_KEY = "alipay_trade_query_response"


def content_to_sign(params: Mapping[str, str], exclude: frozenset[str]) -> str:
    """The RSA2 string to sign: non-empty parameters not in ``exclude``, sorted by name.

    >>> content_to_sign({"b": "2", "a": "1", "sign": "x", "c": ""}, frozenset({"sign"}))
    'a=1&b=2'
    """
    return "&".join(
        f"{name}={params[name]}" for name in sorted(params) if name not in exclude and params[name]
    )


REQUEST_EXCLUDED = frozenset({"sign"})  # a request signs sign_type too
NOTIFY_EXCLUDED = frozenset({"sign", "sign_type"})  # a notify leaves both out


def beijing_time(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime(TIME_FORMAT)


def parse_beijing_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING)
    except ValueError:
        raise NotifyRefusedError("time is not yyyy-MM-dd HH:mm:ss") from None


def signed_request(
    *,
    app_id: str,
    method: str,
    biz_content: Mapping[str, object],
    now: datetime,
    private_key: RSAPrivateKey,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The public parameters plus ``biz_content`` and their RSA2 ``sign``."""
    params = {
        "app_id": app_id,
        "method": method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": beijing_time(now),
        "version": "1.0",
        "biz_content": json.dumps(biz_content, ensure_ascii=False, separators=(",", ":")),
        **(extra or {}),
    }
    params["sign"] = sign_sha256_rsa(private_key, content_to_sign(params, REQUEST_EXCLUDED))
    return params


def verify_request(params: Mapping[str, str], public_key: RSAPublicKey) -> bool:
    """Whether a request's ``sign`` is the app key's (what the gateway checks)."""
    return verify_sha256_rsa(
        public_key, content_to_sign(params, REQUEST_EXCLUDED), params.get("sign", "")
    )


def wap_pay_url(
    *,
    gateway: str,
    app_id: str,
    private_key: RSAPrivateKey,
    out_trade_no: str,
    amount: int,
    subject: str,
    notify_url: str,
    return_url: str | None,
    now: datetime,
    ttl: timedelta,
) -> str:
    """The signed gateway URL that opens Alipay's cashier for this order."""
    biz = {
        "out_trade_no": out_trade_no,
        "total_amount": yuan_text(amount),
        "subject": subject,
        "product_code": "QUICK_WAP_WAY",
        "timeout_express": f"{max(1, int(ttl.total_seconds() // 60))}m",
    }
    extra = {"notify_url": notify_url}
    if return_url:
        extra["return_url"] = return_url
    params = signed_request(
        app_id=app_id,
        method=WAP_PAY,
        biz_content=biz,
        now=now,
        private_key=private_key,
        extra=extra,
    )
    return f"{gateway}?{urlencode(params)}"


def verify_notify(form: Mapping[str, str], public_key: RSAPublicKey) -> bool:
    """Whether an async notify was signed by Alipay (RSA2 only)."""
    if form.get("sign_type") != "RSA2":
        return False
    return verify_sha256_rsa(
        public_key, content_to_sign(form, NOTIFY_EXCLUDED), form.get("sign", "")
    )


def _trade(fields: Mapping[str, object], merchant: str, paid_at_key: str) -> ProviderTrade:
    def text(name: str) -> str:
        value = fields.get(name)
        if not isinstance(value, str) or not value:
            raise NotifyRefusedError(f"{name} is missing")
        return value

    status = text("trade_status")
    paid = status in PAID_STATUSES
    paid_time = fields.get(paid_at_key)
    return ProviderTrade(
        provider=Provider.ALIPAY,
        merchant=merchant,
        out_trade_no=text("out_trade_no"),
        trade_no=text("trade_no"),
        amount=fen_of(text("total_amount")),
        paid=paid,
        closed=status == CLOSED_STATUS,
        paid_at=parse_beijing_time(paid_time) if isinstance(paid_time, str) and paid_time else None,
    )


def trade_from_notify(form: Mapping[str, str], public_key: RSAPublicKey) -> ProviderTrade:
    """The trade a verified notify reports; :class:`NotifyRefusedError` when it is not genuine."""
    if not verify_notify(form, public_key):
        raise NotifyRefusedError("bad signature")
    return _trade(form, form.get("app_id", ""), "gmt_payment")


def raw_member(body: str, key: str) -> str:
    """The exact JSON text of ``key``'s object in ``body`` (Alipay signs those bytes).

    >>> raw_member('{"r": {"a": 1, "b":"x"}, "sign": "s"}', "r")
    '{"a": 1, "b":"x"}'
    """
    decoder = json.JSONDecoder()
    marker = body.find(f'"{key}"')
    if marker < 0:
        raise ProviderError(f"the answer has no {key}")
    start = body.index(":", marker + len(key) + 2) + 1
    while body[start].isspace():
        start += 1
    _, end = decoder.raw_decode(body, start)
    return body[start:end]


def query_trade(
    client: httpx.Client,
    *,
    gateway: str,
    app_id: str,
    private_key: RSAPrivateKey,
    alipay_public_key: RSAPublicKey,
    out_trade_no: str,
    now: datetime,
) -> ProviderTrade | None:
    """``alipay.trade.query`` for our order; None when Alipay has no such trade yet."""
    params = signed_request(
        app_id=app_id,
        method=TRADE_QUERY,
        biz_content={"out_trade_no": out_trade_no},
        now=now,
        private_key=private_key,
    )
    try:
        answer = client.post(gateway, data=params)
    except httpx.HTTPError as exc:
        raise ProviderError(f"alipay query failed: {type(exc).__name__}") from None
    if answer.status_code != 200:
        raise ProviderError(f"alipay query answered HTTP {answer.status_code}")
    raw = raw_member(answer.text, QUERY_RESPONSE_KEY)
    sign = json.loads(answer.text).get("sign", "")
    if not verify_sha256_rsa(alipay_public_key, raw, sign):
        raise ProviderError("alipay query answer has a bad signature")
    fields = json.loads(raw)
    if fields.get("code") != SUCCESS_CODE:
        if fields.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return None
        raise ProviderError(f"alipay query refused: {fields.get('sub_code') or fields.get('code')}")
    return _trade(fields, app_id, "send_pay_date")
