"""WeChat Pay API v3 adapter: H5 payment (``POST /v3/pay/transactions/h5``), the payment
notify and the query by ``out_trade_no``.

Data flow:

* Every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
  signature="…",timestamp="…",serial_no="…"``, the signature being SHA256withRSA with our
  merchant API key over ``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n`` (URL = path and query)
  (:func:`request_message`, :func:`authorization`).
* Every answer and notify is signed by the platform key over ``TIMESTAMP\\nNONCE\\nBODY\\n``,
  carried in ``Wechatpay-Timestamp / -Nonce / -Signature / -Serial``; :func:`verify_signed`
  checks the serial, the signature and that the timestamp is within five minutes of ``now``.
* Pay: :func:`create_h5` sends the order and returns ``h5_url`` (the debtor's browser goes
  there; ``redirect_url`` is appended for the way back).
* Notify: a JSON body whose ``resource`` is AEAD_AES_256_GCM ciphertext under the APIv3 key
  (``nonce``, ``associated_data``); :func:`trade_from_notify` verifies, decrypts and reads the
  transaction. The merchant answers 200/204 for success, 4XX/5XX with ``{"code": "FAIL"}``
  otherwise (WeChat retries).
* Query: :func:`query_trade` GETs ``/v3/pay/transactions/out-trade-no/{no}?mchid=…``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from huikuan.payments.keys import sign_sha256_rsa, verify_sha256_rsa
from huikuan.payments.trades import NotifyRefusedError, Provider, ProviderError, ProviderTrade

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
H5_PATH = "/v3/pay/transactions/h5"
QUERY_PATH = "/v3/pay/transactions/out-trade-no/{out_trade_no}"
MAX_SKEW = timedelta(minutes=5)  # WeChat's advice for answers and notifies
PAID_STATE = "SUCCESS"
CLOSED_STATES = frozenset({"CLOSED", "REVOKED", "PAYERROR"})
PAID_EVENT = "TRANSACTION.SUCCESS"
ALGORITHM = "AEAD_AES_256_GCM"
HEADER_TIMESTAMP = "wechatpay-timestamp"
HEADER_NONCE = "wechatpay-nonce"
HEADER_SIGNATURE = "wechatpay-signature"
HEADER_SERIAL = "wechatpay-serial"


def nonce() -> str:
    return secrets.token_hex(16).upper()


def request_message(method: str, url: str, timestamp: str, nonce_str: str, body: str) -> str:
    """What a request signature covers.

    >>> request_message("GET", "/v3/x?mchid=1", "1554208460", "N1", "")
    'GET\\n/v3/x?mchid=1\\n1554208460\\nN1\\n\\n'
    """
    return f"{method}\n{url}\n{timestamp}\n{nonce_str}\n{body}\n"


def response_message(timestamp: str, nonce_str: str, body: str) -> str:
    """What an answer's or a notify's signature covers."""
    return f"{timestamp}\n{nonce_str}\n{body}\n"


def authorization(
    *,
    mchid: str,
    serial_no: str,
    private_key: RSAPrivateKey,
    method: str,
    url: str,
    body: str,
    timestamp: str,
    nonce_str: str,
) -> str:
    signature = sign_sha256_rsa(
        private_key, request_message(method, url, timestamp, nonce_str, body)
    )
    return (
        f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce_str}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(header: str) -> dict[str, str]:
    """The ``key="value"`` pairs of an Authorization header (empty if not our schema).

    >>> parse_authorization('WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n"')
    {'mchid': '1', 'nonce_str': 'n'}
    """
    schema, _, rest = header.partition(" ")
    if schema != SCHEMA:
        return {}
    pairs: dict[str, str] = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        pairs[name] = value.strip('"')
    return pairs


def sign_response(
    private_key: RSAPrivateKey, serial: str, body: str, now: datetime
) -> dict[str, str]:
    """The four headers the platform puts on an answer or notify (used by the fake)."""
    timestamp, nonce_str = str(int(now.timestamp())), nonce()
    return {
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce_str,
        "Wechatpay-Signature": sign_sha256_rsa(
            private_key, response_message(timestamp, nonce_str, body)
        ),
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": SCHEMA,
    }


def verify_signed(
    headers: Mapping[str, str],
    body: bytes,
    *,
    platform_key: RSAPublicKey,
    platform_serial: str,
    now: datetime,
) -> str | None:
    """None if the platform signed ``body`` recently, else the reason it is refused."""
    lower = {name.lower(): value for name, value in headers.items()}
    timestamp = lower.get(HEADER_TIMESTAMP, "")
    if lower.get(HEADER_SERIAL) != platform_serial:
        return "unknown platform serial"
    if not timestamp.isdigit():
        return "bad signature"
    signed_at = datetime.fromtimestamp(int(timestamp), UTC)
    if abs(signed_at - now) > MAX_SKEW:
        return "stale timestamp"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "bad signature"
    message = response_message(timestamp, lower.get(HEADER_NONCE, ""), text)
    if not verify_sha256_rsa(platform_key, message, lower.get(HEADER_SIGNATURE, "")):
        return "bad signature"
    return None


def encrypt_resource(
    plaintext: str, api_v3_key: bytes, *, associated_data: str = "transaction"
) -> dict[str, str]:
    """A notify's ``resource`` object (used by the fake; WeChat does this on its side)."""
    nonce_str = secrets.token_hex(6)  # 12 ASCII characters, as WeChat sends
    sealed = AESGCM(api_v3_key).encrypt(
        nonce_str.encode(), plaintext.encode("utf-8"), associated_data.encode()
    )
    return {
        "original_type": "transaction",
        "algorithm": ALGORITHM,
        "ciphertext": base64.b64encode(sealed).decode("ascii"),
        "associated_data": associated_data,
        "nonce": nonce_str,
    }


def decrypt_resource(resource: Mapping[str, Any], api_v3_key: bytes) -> bytes:
    """The plaintext of a notify's ``resource`` (ciphertext = AES-256-GCM output with tag)."""
    if resource.get("algorithm") != ALGORITHM:
        raise NotifyRefusedError("unsupported resource algorithm")
    try:
        sealed = base64.b64decode(str(resource.get("ciphertext", "")), validate=True)
        return AESGCM(api_v3_key).decrypt(
            str(resource.get("nonce", "")).encode(),
            sealed,
            str(resource.get("associated_data", "")).encode(),
        )
    except (InvalidTag, binascii.Error, ValueError):
        raise NotifyRefusedError("resource does not decrypt") from None


def trade_from_transaction(data: Mapping[str, Any]) -> ProviderTrade:
    """Our view of a WeChat transaction object (notify resource or query answer)."""
    amount = data.get("amount")
    total = amount.get("total") if isinstance(amount, Mapping) else None
    if not isinstance(total, int) or isinstance(total, bool):
        raise NotifyRefusedError("amount.total is missing")
    state = str(data.get("trade_state", ""))
    success_time = data.get("success_time")
    paid_at = None
    if isinstance(success_time, str) and success_time:
        try:
            paid_at = datetime.fromisoformat(success_time)
        except ValueError:
            raise NotifyRefusedError("success_time is not RFC 3339") from None
    out_trade_no = data.get("out_trade_no")
    if not isinstance(out_trade_no, str) or not out_trade_no:
        raise NotifyRefusedError("out_trade_no is missing")
    return ProviderTrade(
        provider=Provider.WECHAT,
        merchant=str(data.get("mchid", "")),
        out_trade_no=out_trade_no,
        trade_no=str(data.get("transaction_id", "")),
        amount=total,
        paid=state == PAID_STATE,
        closed=state in CLOSED_STATES,
        paid_at=paid_at,
    )


def trade_from_notify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    platform_key: RSAPublicKey,
    platform_serial: str,
    api_v3_key: bytes,
    now: datetime,
) -> ProviderTrade:
    """Verify, decrypt and read a payment notify; :class:`NotifyRefusedError` if not genuine."""
    refused = verify_signed(
        headers, body, platform_key=platform_key, platform_serial=platform_serial, now=now
    )
    if refused is not None:
        raise NotifyRefusedError(refused)
    try:
        envelope = json.loads(body)
    except ValueError:
        raise NotifyRefusedError("body is not JSON") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("resource"), dict):
        raise NotifyRefusedError("resource is missing")
    plaintext = decrypt_resource(envelope["resource"], api_v3_key)
    try:
        data = json.loads(plaintext)
    except ValueError:
        raise NotifyRefusedError("resource is not JSON") from None
    if not isinstance(data, dict):
        raise NotifyRefusedError("resource is not an object")
    return trade_from_transaction(data)


@dataclass(frozen=True, slots=True)
class Merchant:
    """What every API v3 call needs from the config."""

    api_base: str
    mchid: str
    appid: str
    serial_no: str
    private_key: RSAPrivateKey
    platform_key: RSAPublicKey
    platform_serial: str


def _call(
    client: httpx.Client, merchant: Merchant, method: str, url: str, body: str, now: datetime
) -> tuple[int, Any]:
    header = authorization(
        mchid=merchant.mchid,
        serial_no=merchant.serial_no,
        private_key=merchant.private_key,
        method=method,
        url=url,
        body=body,
        timestamp=str(int(now.timestamp())),
        nonce_str=nonce(),
    )
    headers = {"Authorization": header, "Accept": "application/json"}
    if body:
        headers["Content-Type"] = "application/json"
    try:
        answer = client.request(
            method, merchant.api_base.rstrip("/") + url, content=body.encode(), headers=headers
        )
    except httpx.HTTPError as exc:
        raise ProviderError(f"wechat pay call failed: {type(exc).__name__}") from None
    if answer.status_code >= 500:
        raise ProviderError(f"wechat pay answered HTTP {answer.status_code}")
    # Error answers are signed too; an unsigned answer of any kind is not WeChat's.
    refused = verify_signed(
        answer.headers,
        answer.content,
        platform_key=merchant.platform_key,
        platform_serial=merchant.platform_serial,
        now=now,
    )
    if refused is not None:
        raise ProviderError(f"wechat pay answer refused: {refused}")
    return answer.status_code, answer.json() if answer.content else None


def create_h5(
    client: httpx.Client,
    merchant: Merchant,
    *,
    out_trade_no: str,
    amount: int,
    description: str,
    notify_url: str,
    payer_ip: str,
    now: datetime,
    ttl: timedelta,
) -> str:
    """Place the H5 order; the ``h5_url`` the debtor's browser opens."""
    order = {
        "appid": merchant.appid,
        "mchid": merchant.mchid,
        "description": description,
        "out_trade_no": out_trade_no,
        "time_expire": (now + ttl).astimezone(UTC).isoformat(timespec="seconds"),
        "notify_url": notify_url,
        "amount": {"total": amount, "currency": "CNY"},
        "scene_info": {"payer_client_ip": payer_ip, "h5_info": {"type": "Wap"}},
    }
    body = json.dumps(order, ensure_ascii=False, separators=(",", ":"))
    status, answer = _call(client, merchant, "POST", H5_PATH, body, now)
    if status != 200 or not isinstance(answer, dict) or not answer.get("h5_url"):
        code = answer.get("code") if isinstance(answer, dict) else None
        raise ProviderError(f"wechat pay refused the order: HTTP {status} {code or ''}".strip())
    return str(answer["h5_url"])


def query_trade(
    client: httpx.Client, merchant: Merchant, *, out_trade_no: str, now: datetime
) -> ProviderTrade | None:
    """The transaction for our order; None when WeChat has no such order."""
    url = QUERY_PATH.format(out_trade_no=quote(out_trade_no, safe="")) + f"?mchid={merchant.mchid}"
    status, answer = _call(client, merchant, "GET", url, "", now)
    if status == 404:
        return None
    if status != 200 or not isinstance(answer, dict):
        raise ProviderError(f"wechat pay query answered HTTP {status}")
    try:
        return trade_from_transaction(answer)
    except NotifyRefusedError as exc:
        raise ProviderError(f"wechat pay query answer unusable: {exc}") from None
