"""SMS channels: Aliyun (Dysmsapi), Tencent Cloud (SMS API 3.0), Twilio and a Kannel gateway.

Data flow::

    worker ── OutboundMessage(send_key, recipient phone, body | template + params)
        └─ XxxSmsChannel.send
             ├─ build the provider's request (pure: ``request_params`` / ``request_body``),
             │  signed by the pure functions below (deterministic given nonce and timestamp)
             ├─ one HTTP call with ``httpx`` and a timeout, to ``base_url`` (the provider, or a
             │  local fake from :mod:`huikuan.dispatch.provider_fakes` in tests and demos)
             └─ the answer → SendResult(provider id)  |  TemporaryFailure  |  PermanentFailure

Each provider gets the send key where it echoes it back in delivery reports (Aliyun ``OutId``,
Tencent ``SessionContext``, a ``send_key`` parameter on the Twilio ``StatusCallback`` and the
Kannel ``dlr-url``), so a report can be matched even when the provider id never reached us
(a timeout after the provider accepted). Template providers (Aliyun, Tencent) send our template
code through a configured mapping; text providers (Twilio, Kannel) send ``body``.

Failure classes: :class:`TemporaryFailure` for timeouts, connection errors, 5xx, throttling and
anything unrecognised at the transport level; :class:`PermanentFailure` only for codes that
say the *number* is bad or refuses us (it marks the contact point invalid);
:class:`ConfigurationFailure` (a ``PermanentFailure``) for refusals that are our set-up's fault
(credentials, sign name, template, unknown template mapping), which must not count against the
contact point. Provider text in errors always passes through :func:`redact`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from huikuan.dispatch.channels import (
    Channel,
    ConfigurationFailure,
    OutboundMessage,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    redact,
)
from huikuan.settings import Settings

ALIYUN_BASE_URL = "https://dysmsapi.aliyuncs.com"
TENCENT_BASE_URL = "https://sms.tencentcloudapi.com"
TWILIO_BASE_URL = "https://api.twilio.com"
KANNEL_BASE_URL = "http://127.0.0.1:13013"

DEFAULT_TIMEOUT = 10.0


Failure = TemporaryFailure | PermanentFailure


# --- phone numbers ---------------------------------------------------------------------------

_CN_MOBILE = re.compile(r"1[0-9]{10}")
_DIGITS_ONLY = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalise_phone(raw: str, default_country: str = "86") -> str:
    """A mainland mobile as its 11 digits; any other number as E.164 (``+`` and digits).

    Without a ``+`` or ``00`` prefix a number is read in ``default_country``. Raises
    :class:`ValueError` for text that is not a phone number.

    >>> normalise_phone("+86 138-0013-8000"), normalise_phone("8613800138000")
    ('13800138000', '13800138000')
    >>> normalise_phone("+1 (415) 555-0100")
    '+14155550100'
    """
    text = _SEPARATORS.sub("", raw)
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        digits = text[1:]
        if not _DIGITS_ONLY.fullmatch(digits):
            raise ValueError("not a phone number")
        if digits.startswith("86") and _CN_MOBILE.fullmatch(digits[2:]):
            return digits[2:]
        if not 8 <= len(digits) <= 15:
            raise ValueError("not a phone number")
        return "+" + digits
    if not _DIGITS_ONLY.fullmatch(text):
        raise ValueError("not a phone number")
    if default_country == "86":
        if _CN_MOBILE.fullmatch(text):
            return text
        if text.startswith("86") and _CN_MOBILE.fullmatch(text[2:]):
            return text[2:]
        raise ValueError("not a mainland mobile number")
    return normalise_phone("+" + default_country + text.lstrip("0"), default_country)


def to_e164(raw: str, default_country: str = "86") -> str:
    """``+8613800138000`` for a mainland mobile, else the E.164 form."""
    phone = normalise_phone(raw, default_country)
    return phone if phone.startswith("+") else "+86" + phone


def _phone_or_fail(raw: str, default_country: str = "86") -> str:
    try:
        return normalise_phone(raw, default_country)
    except ValueError as error:
        raise PermanentFailure(f"invalid phone number: {error}") from None


# --- Aliyun RPC signature (signature version 1.0, HMAC-SHA1) ---------------------------------


def aliyun_percent_encode(value: str) -> str:
    """RFC 3986 encoding of UTF-8 bytes: only ``A-Za-z0-9-_.~`` stay; space is ``%20``."""
    return quote(value, safe="~")


def aliyun_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&`` + the encoded canonical query (keys sorted, ``Signature`` left out)."""
    canonical = "&".join(
        f"{aliyun_percent_encode(key)}={aliyun_percent_encode(params[key])}"
        for key in sorted(params)
        if key != "Signature"
    )
    return f"{method.upper()}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"


def aliyun_signature(access_key_secret: str, method: str, params: Mapping[str, str]) -> str:
    """Base64 HMAC-SHA1 of the string to sign, keyed with ``secret + "&"``."""
    digest = hmac.new(
        (access_key_secret + "&").encode(),
        aliyun_string_to_sign(method, params).encode(),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode()


def aliyun_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second, as the API wants it: ``2017-07-12T02:42:19Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Tencent Cloud TC3-HMAC-SHA256 -----------------------------------------------------------

TC3_ALGORITHM = "TC3-HMAC-SHA256"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_canonical_request(
    method: str,
    uri: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    payload: bytes,
) -> str:
    """Method, URI, query, ``name:value`` lines of the signed headers (lower-case, sorted),
    their names, and the hex SHA-256 of the payload, joined by newlines."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    names = sorted(name.lower() for name in signed_headers)
    canonical_headers = "".join(f"{name}:{lowered.get(name, '').lower()}\n" for name in names)
    return "\n".join(
        [method.upper(), uri, query, canonical_headers, ";".join(names), _sha256_hex(payload)]
    )


def tc3_credential_scope(timestamp: int, service: str) -> str:
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    return f"{day}/{service}/tc3_request"


def tc3_signature(secret_key: str, service: str, timestamp: int, canonical_request: str) -> str:
    """Hex HMAC-SHA256 of the string to sign with the key derived date → service → request."""
    scope = tc3_credential_scope(timestamp, service)
    string_to_sign = "\n".join(
        [TC3_ALGORITHM, str(timestamp), scope, _sha256_hex(canonical_request.encode())]
    )
    key = _hmac_sha256(("TC3" + secret_key).encode(), scope.split("/")[0])
    key = _hmac_sha256(key, service)
    key = _hmac_sha256(key, "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    headers: Mapping[str, str],
    payload: bytes,
    signed_headers: Sequence[str] = ("content-type", "host"),
) -> str:
    """The ``Authorization`` header value for a POST to ``/`` with an empty query."""
    names = sorted(name.lower() for name in signed_headers)
    canonical = tc3_canonical_request("POST", "/", "", headers, names, payload)
    signature = tc3_signature(secret_key, service, timestamp, canonical)
    scope = tc3_credential_scope(timestamp, service)
    return (
        f"{TC3_ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )


# --- shared HTTP plumbing --------------------------------------------------------------------


@contextmanager
def _http(client: httpx.Client | None, timeout: float) -> Iterator[httpx.Client]:
    """The caller's pooled client, or a short-lived one (closed, so no socket outlives us)."""
    if client is not None:
        yield client
        return
    with httpx.Client(timeout=timeout, follow_redirects=False) as own:
        yield own


def _call(
    provider: str,
    client: httpx.Client | None,
    timeout: float,
    request: Callable[[httpx.Client], httpx.Response],
) -> httpx.Response:
    try:
        with _http(client, timeout) as http:
            return request(http)
    except httpx.TimeoutException as error:
        # The provider may still have taken it: the send key it echoes settles that later.
        raise TemporaryFailure(f"{provider}: timed out ({type(error).__name__})") from None
    except httpx.HTTPError as error:  # connection refused or reset, protocol errors
        raise TemporaryFailure(redact(f"{provider}: {type(error).__name__}: {error}")) from None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _now() -> datetime:
    return datetime.now(UTC)


def _nonce() -> str:
    return uuid.uuid4().hex


# --- Aliyun ----------------------------------------------------------------------------------

# Codes that say the number is unusable: the contact point becomes invalid.
_ALIYUN_ADDRESS = frozenset({"isv.MOBILE_NUMBER_ILLEGAL"})
# Flow control and transient trouble on the provider's side: try again later.
_ALIYUN_TEMPORARY = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",  # topped up, the same message goes through
        "isv.OUT_OF_SERVICE",
        "isp.SYSTEM_ERROR",
        "isp.RAM_PERMISSION_DENY",
        "SignatureNonceUsed",  # a retry carries a fresh nonce
        "InvalidTimeStamp.Expired",  # clock skew; a retry carries a fresh timestamp
        "ServiceUnavailable",
        "InternalError",
    }
)


def aliyun_failure(code: str, message: str) -> Failure:
    """The failure class for a Dysmsapi ``Code`` other than ``OK``.

    Unknown ``isv.*`` business codes and signature / key errors are configuration failures;
    other unknown codes are temporary (a bounded retry never invalidates a contact point).
    """
    text = redact(f"aliyun {code}: {message}")
    if code in _ALIYUN_ADDRESS:
        return PermanentFailure(text)
    if code in _ALIYUN_TEMPORARY or code.startswith("Throttling"):
        return TemporaryFailure(text)
    if code.startswith(("isv.", "InvalidAccessKeyId", "Forbidden")) or code in {
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingParameter",
        "InvalidParameter",
    }:
        return ConfigurationFailure(text)
    return TemporaryFailure(text)


class AliyunSmsChannel:
    """Aliyun SMS (Dysmsapi 2017-05-25 ``SendSms``), RPC style: a signed GET query.

    ``templates`` maps our template code (``SMS-M1-D1``) to the approved Aliyun
    ``TemplateCode`` (``SMS_123456789``); the message's ``params`` become ``TemplateParam``.
    ``OutId`` carries the send key; ``BizId`` is the provider id.
    """

    provider = "aliyun"

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: Mapping[str, str],
        *,
        base_url: str = ALIYUN_BASE_URL,
        region: str = "cn-hangzhou",
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = _now,
        nonce: Callable[[], str] = _nonce,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.base_url = base_url.rstrip("/")
        self.region = region
        self.timeout = timeout
        self.client = client
        self.clock = clock
        self.nonce = nonce

    def request_params(
        self, message: OutboundMessage, *, timestamp: datetime, nonce: str
    ) -> dict[str, str]:
        """The signed query for ``message`` (pure given ``timestamp`` and ``nonce``)."""
        template_code = self.templates.get(message.template)
        if template_code is None:
            raise ConfigurationFailure(
                f"aliyun: no Aliyun TemplateCode configured for template {message.template!r}"
            )
        phone = _phone_or_fail(message.recipient).removeprefix("+")
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": message.send_key,
            "PhoneNumbers": phone,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "TemplateCode": template_code,
            "Timestamp": aliyun_timestamp(timestamp),
            "Version": "2017-05-25",
        }
        if message.params:
            params["TemplateParam"] = json.dumps(
                dict(message.params), ensure_ascii=False, sort_keys=True, separators=(",", ":")
            )
        params["Signature"] = aliyun_signature(self.access_key_secret, "GET", params)
        return params

    def send(self, message: OutboundMessage) -> SendResult:
        params = self.request_params(message, timestamp=self.clock(), nonce=self.nonce())
        response = _call(
            self.provider,
            self.client,
            self.timeout,
            lambda http: http.get(self.base_url + "/", params=params, timeout=self.timeout),
        )
        body = _json(response)
        if not isinstance(body, dict) or not isinstance(body.get("Code"), str):
            raise TemporaryFailure(f"aliyun: HTTP {response.status_code} without a result code")
        code = body["Code"]
        if code == "OK" and response.status_code == 200:
            return SendResult(provider_message_id=str(body.get("BizId", "")))
        if response.status_code >= 500:
            raise TemporaryFailure(redact(f"aliyun {code}: HTTP {response.status_code}"))
        raise aliyun_failure(code, str(body.get("Message", "")))


# --- Tencent Cloud ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TencentTemplate:
    """An approved Tencent template: its id and our parameter names in the template's order."""

    template_id: str
    params: tuple[str, ...] = ()


_TENCENT_ADDRESS = frozenset(
    {
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.PhoneNumberParseFail",
        "InvalidParameterValue.IncorrectPhoneNumber",
    }
)
_TENCENT_TEMPORARY_PREFIXES = (
    "LimitExceeded.",
    "RequestLimitExceeded",
    "InternalError",
    "ResourceUnavailable",
)
_TENCENT_TEMPORARY = frozenset(
    {
        "AuthFailure.SignatureExpire",  # clock skew; a retry is signed afresh
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "FailedOperation.FailResolvePacket",
    }
)


def tencent_failure(code: str, message: str) -> Failure:
    """The failure class for a Tencent ``Error.Code`` or a ``SendStatusSet[].Code``."""
    text = redact(f"tencent {code}: {message}")
    if code in _TENCENT_ADDRESS:
        return PermanentFailure(text)
    if code in _TENCENT_TEMPORARY or code.startswith(_TENCENT_TEMPORARY_PREFIXES):
        return TemporaryFailure(text)
    if code.startswith(
        (
            "AuthFailure",
            "UnauthorizedOperation",
            "FailedOperation",
            "InvalidParameter",
            "MissingParameter",
            "UnsupportedOperation",
        )
    ):
        return ConfigurationFailure(text)
    return TemporaryFailure(text)


class TencentSmsChannel:
    """Tencent Cloud SMS API 3.0 (``SendSms``, version 2021-01-11): a POST of JSON signed with
    TC3-HMAC-SHA256 in the ``Authorization`` header.

    ``templates`` maps our template code to a :class:`TencentTemplate`; the message's ``params``
    are sent as ``TemplateParamSet`` in the template's order. ``SessionContext`` carries the
    send key; the per-number ``SerialNo`` is the provider id.
    """

    provider = "tencent"
    service = "sms"
    action = "SendSms"
    version = "2021-01-11"

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        app_id: str,
        sign_name: str,
        templates: Mapping[str, TencentTemplate],
        *,
        base_url: str = TENCENT_BASE_URL,
        region: str = "ap-guangzhou",
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.app_id = app_id
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.base_url = base_url.rstrip("/")
        self.region = region
        self.timeout = timeout
        self.client = client
        self.clock = clock

    def request_body(self, message: OutboundMessage) -> bytes:
        template = self.templates.get(message.template)
        if template is None:
            raise ConfigurationFailure(
                f"tencent: no Tencent TemplateId configured for template {message.template!r}"
            )
        missing = [name for name in template.params if name not in message.params]
        if missing:
            raise ConfigurationFailure(
                f"tencent: template {message.template!r} lacks values for {', '.join(missing)}"
            )
        body = {
            "PhoneNumberSet": [to_e164(_phone_or_fail(message.recipient))],
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": template.template_id,
            "TemplateParamSet": [message.params[name] for name in template.params],
            "SessionContext": message.send_key,
        }
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    def request_headers(self, payload: bytes, timestamp: int) -> dict[str, str]:
        """Headers for ``payload`` signed at ``timestamp`` (pure)."""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Host": httpx.URL(self.base_url).netloc.decode("ascii"),
            "X-TC-Action": self.action,
            "X-TC-Version": self.version,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }
        headers["Authorization"] = tc3_authorization(
            self.secret_id, self.secret_key, self.service, timestamp, headers, payload
        )
        return headers

    def send(self, message: OutboundMessage) -> SendResult:
        payload = self.request_body(message)
        headers = self.request_headers(payload, int(self.clock().timestamp()))
        response = _call(
            self.provider,
            self.client,
            self.timeout,
            lambda http: http.post(
                self.base_url + "/", content=payload, headers=headers, timeout=self.timeout
            ),
        )
        if response.status_code >= 500 or response.status_code == 429:
            raise TemporaryFailure(f"tencent: HTTP {response.status_code}")
        body = _json(response)
        result = body.get("Response") if isinstance(body, dict) else None
        if not isinstance(result, dict):
            raise TemporaryFailure(f"tencent: HTTP {response.status_code} without a Response")
        error = result.get("Error")
        if isinstance(error, dict):
            raise tencent_failure(str(error.get("Code", "")), str(error.get("Message", "")))
        statuses = result.get("SendStatusSet")
        if not isinstance(statuses, list) or not statuses or not isinstance(statuses[0], dict):
            raise TemporaryFailure("tencent: no SendStatusSet in the answer")
        status = statuses[0]
        code = str(status.get("Code", ""))
        if code != "Ok":
            raise tencent_failure(code, str(status.get("Message", "")))
        return SendResult(provider_message_id=str(status.get("SerialNo", "")))


# --- Twilio ----------------------------------------------------------------------------------

# 21211 invalid To, 21214 To cannot be reached, 21614 not a mobile number, 21610 the recipient
# replied STOP (unsubscribed): the number is not ours to text.
_TWILIO_ADDRESS = frozenset({21211, 21214, 21610, 21614})
_TWILIO_TEMPORARY = frozenset({20429, 20500, 20503, 30001})


def twilio_failure(status: int, code: int | None, message: str) -> Failure:
    text = redact(f"twilio {code if code is not None else status}: {message}")
    if code in _TWILIO_ADDRESS:
        return PermanentFailure(text)
    if status == 429 or status >= 500 or code in _TWILIO_TEMPORARY:
        return TemporaryFailure(text)
    if 400 <= status < 500:  # a deterministic refusal of our request (auth, From, body …)
        return ConfigurationFailure(text)
    return TemporaryFailure(text)


def _with_query(url: str, name: str, value: str) -> str:
    return str(httpx.URL(url).copy_add_param(name, value))


class TwilioSmsChannel:
    """Twilio Programmable Messaging: ``POST /2010-04-01/Accounts/{sid}/Messages.json`` with
    HTTP basic auth and form fields ``To``, ``From`` (or ``MessagingServiceSid``), ``Body``.

    ``status_callback``, when set, gets a ``send_key`` query parameter per message so a status
    callback names its message even before the sid is stored. ``default_country`` is the
    country code for numbers stored without ``+``.
    """

    provider = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
        base_url: str = TWILIO_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
        default_country: str = "86",
    ) -> None:
        if not from_number and not messaging_service_sid:
            raise ValueError("Twilio needs a From number or a MessagingServiceSid")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.client = client
        self.default_country = default_country

    def request_form(self, message: OutboundMessage) -> dict[str, str]:
        try:
            to = to_e164(message.recipient, self.default_country)
        except ValueError as error:
            raise PermanentFailure(f"invalid phone number: {error}") from None
        form = {"To": to, "Body": message.body}
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            form["From"] = self.from_number or ""
        if self.status_callback:
            form["StatusCallback"] = _with_query(self.status_callback, "send_key", message.send_key)
        return form

    def send(self, message: OutboundMessage) -> SendResult:
        form = self.request_form(message)
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        response = _call(
            self.provider,
            self.client,
            self.timeout,
            lambda http: http.post(
                url, data=form, auth=(self.account_sid, self.auth_token), timeout=self.timeout
            ),
        )
        body = _json(response)
        if response.status_code in (200, 201) and isinstance(body, dict) and body.get("sid"):
            return SendResult(provider_message_id=str(body["sid"]))
        code: int | None = None
        text = ""
        if isinstance(body, dict):
            raw_code = body.get("code")
            code = raw_code if isinstance(raw_code, int) else None
            text = str(body.get("message", ""))
        raise twilio_failure(response.status_code, code, text)


# --- Kannel ----------------------------------------------------------------------------------

# Kannel DLR escapes: %d report type, %T Unix time, %A the SMSC's reply (stat:/err:).
KANNEL_DLR_FIELDS = "type=%d&ts=%T&smsc_reply=%A"


# Characters a query value may hold unescaped. Kannel expands every ``%x`` in a dlr-url, so a
# percent-escape in the send key (``%A3`` …) would be mangled: such keys travel as base64url.
_DLR_SAFE_KEY = re.compile(r"[A-Za-z0-9._~:@!$'()*,;/-]+")
_DLR_B64 = "b64."


def encode_dlr_key(send_key: str) -> str:
    """The send key as it travels in a Kannel dlr-url: as is, or ``b64.`` + base64url.

    >>> encode_dlr_key("case-42:reminder:2027-03-01"), encode_dlr_key("提醒 1")
    ('case-42:reminder:2027-03-01', 'b64.5o-Q6YaSIDE')
    """
    if _DLR_SAFE_KEY.fullmatch(send_key) and not send_key.startswith(_DLR_B64):
        return send_key
    return _DLR_B64 + base64.urlsafe_b64encode(send_key.encode()).decode().rstrip("=")


def decode_dlr_key(value: str) -> str:
    """Inverse of :func:`encode_dlr_key` (raises :class:`ValueError` on a bad encoding)."""
    if not value.startswith(_DLR_B64):
        return value
    data = value[len(_DLR_B64) :]
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode()


def kannel_dlr_url(base: str, send_key: str) -> str:
    """Our DLR endpoint with the send key and Kannel's escapes (expanded by Kannel)."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}send_key={encode_dlr_key(send_key)}&{KANNEL_DLR_FIELDS}"


class KannelSmsChannel:
    """A Kannel gateway's ``sendsms`` CGI: ``GET /cgi-bin/sendsms`` with the text as UTF-8,
    sent on as UCS-2 (``coding=2``) so Chinese text survives.

    ``sendsms`` returns no message id: the send key is the provider id, and the ``dlr-url``
    carries it back. 202 is accepted (or queued), 403 an authorisation failure or a number
    refused by the gateway's lists, other 4xx permanent, 5xx (503) temporary.
    """

    provider = "kannel"

    def __init__(
        self,
        username: str,
        password: str,
        *,
        sender: str | None = None,
        dlr_url: str | None = None,
        dlr_mask: int = 19,  # 1 delivered + 2 failed + 16 rejected by the SMSC
        smsc: str | None = None,
        base_url: str = KANNEL_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
    ) -> None:
        self.username = username
        self.password = password
        self.sender = sender
        self.dlr_url = dlr_url
        self.dlr_mask = dlr_mask
        self.smsc = smsc
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.client = client

    def request_params(self, message: OutboundMessage) -> dict[str, str]:
        params = {
            "username": self.username,
            "password": self.password,
            "to": _phone_or_fail(message.recipient),
            "text": message.body,
            "charset": "UTF-8",
            "coding": "2",
        }
        if self.sender:
            params["from"] = self.sender
        if self.smsc:
            params["smsc"] = self.smsc
        if self.dlr_url:
            params["dlr-mask"] = str(self.dlr_mask)
            params["dlr-url"] = kannel_dlr_url(self.dlr_url, message.send_key)
        return params

    def send(self, message: OutboundMessage) -> SendResult:
        params = self.request_params(message)
        response = _call(
            self.provider,
            self.client,
            self.timeout,
            lambda http: http.get(
                self.base_url + "/cgi-bin/sendsms", params=params, timeout=self.timeout
            ),
        )
        text = response.text.strip()
        if response.status_code == 202 or (
            response.status_code == 200 and text.startswith(("0:", "3:"))
        ):
            return SendResult(provider_message_id=message.send_key)
        detail = redact(f"kannel HTTP {response.status_code}: {text}")
        if response.status_code >= 500:
            raise TemporaryFailure(detail)
        if "authorization" in text.lower() or response.status_code == 401:
            raise ConfigurationFailure(detail)
        if 400 <= response.status_code < 500:
            raise PermanentFailure(detail)
        raise TemporaryFailure(detail)


# --- wiring ----------------------------------------------------------------------------------

PROVIDERS = ("aliyun", "tencent", "twilio", "kannel")


def _require(settings: Settings, *names: str) -> None:
    missing = [name for name in names if not getattr(settings, name)]
    if missing:
        fields = ", ".join(f"HUIKUAN_{name.upper()}" for name in missing)
        raise ValueError(f"SMS provider {settings.sms_provider!r} needs {fields}")


def _tencent_templates(raw: Mapping[str, str | list[str]]) -> dict[str, TencentTemplate]:
    templates: dict[str, TencentTemplate] = {}
    for code, value in raw.items():
        if isinstance(value, str):
            templates[code] = TencentTemplate(value)
        elif value:
            templates[code] = TencentTemplate(value[0], tuple(value[1:]))
        else:
            raise ValueError(f"sms_templates[{code!r}] is empty")
    return templates


def _aliyun_templates(raw: Mapping[str, str | list[str]]) -> dict[str, str]:
    templates: dict[str, str] = {}
    for code, value in raw.items():
        if not isinstance(value, str):
            raise ValueError(f"sms_templates[{code!r}] must be an Aliyun TemplateCode string")
        templates[code] = value
    return templates


def sms_channel_from_settings(
    settings: Settings, client: httpx.Client | None = None
) -> Channel | None:
    """The configured SMS channel, or None when ``sms_provider`` is unset.

    ``client``: one HTTP client for every message (a worker shares it across its threads;
    making one per message costs tens of milliseconds of CPU).

    Raises :class:`ValueError` naming the missing or wrong settings (a start-up error).
    """
    provider = (settings.sms_provider or "").strip().lower()
    if not provider:
        return None
    timeout = settings.sms_timeout
    base_url = settings.sms_base_url
    key_id = settings.sms_access_key_id or ""
    secret = settings.sms_access_key_secret or ""
    if provider == "aliyun":
        _require(settings, "sms_access_key_id", "sms_access_key_secret", "sms_sign_name")
        return AliyunSmsChannel(
            key_id,
            secret,
            settings.sms_sign_name or "",
            _aliyun_templates(settings.sms_templates),
            base_url=base_url or ALIYUN_BASE_URL,
            region=settings.sms_region or "cn-hangzhou",
            timeout=timeout,
            client=client,
        )
    if provider == "tencent":
        _require(
            settings,
            "sms_access_key_id",
            "sms_access_key_secret",
            "sms_sign_name",
            "sms_app_id",
        )
        return TencentSmsChannel(
            key_id,
            secret,
            settings.sms_app_id or "",
            settings.sms_sign_name or "",
            _tencent_templates(settings.sms_templates),
            base_url=base_url or TENCENT_BASE_URL,
            region=settings.sms_region or "ap-guangzhou",
            timeout=timeout,
            client=client,
        )
    if provider == "twilio":
        _require(settings, "sms_access_key_id", "sms_access_key_secret")
        if not settings.sms_sender and not settings.sms_messaging_service_sid:
            raise ValueError("SMS provider 'twilio' needs HUIKUAN_SMS_SENDER or a service sid")
        return TwilioSmsChannel(
            key_id,
            secret,
            from_number=settings.sms_sender,
            messaging_service_sid=settings.sms_messaging_service_sid,
            status_callback=settings.sms_status_callback_url,
            base_url=base_url or TWILIO_BASE_URL,
            timeout=timeout,
            default_country=settings.sms_default_country,
            client=client,
        )
    if provider == "kannel":
        _require(settings, "sms_access_key_id", "sms_access_key_secret")
        return KannelSmsChannel(
            key_id,
            secret,
            sender=settings.sms_sender,
            dlr_url=settings.sms_status_callback_url,
            base_url=base_url or KANNEL_BASE_URL,
            timeout=timeout,
            client=client,
        )
    raise ValueError(f"unknown SMS provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
