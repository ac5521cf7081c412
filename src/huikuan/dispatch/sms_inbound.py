"""What SMS providers push to us: debtors' replies (MO) and delivery reports, as plain values.

Data flow::

    provider ──HTTP push──► web endpoint (not here: it checks the source, e.g.
                             verify_twilio_signature, and answers the provider)
                 └─ parse_replies(provider, payload)  → [InboundReply]    (opt-outs, disputes…)
                 └─ parse_reports(provider, payload)  → [DeliveryReport]  → outbox.record_receipt

Parsers are pure: no clock, no database. Push formats:

* Aliyun (HTTP batch push): ``SmsUp`` and ``SmsReport`` JSON arrays; times are Beijing time
  strings; ``out_id`` echoes our send key, ``biz_id`` the ``BizId``.
* Tencent Cloud: the reply callback (one object or an array; ``time`` in Unix seconds) and the
  status callback array (``sid`` = ``SerialNo``, ``ext`` echoes ``SessionContext``).
* Twilio: form posts (incoming message; status callback with ``MessageStatus``). Neither
  carries a time, so the caller passes ``received_at``. ``send_key`` comes from the query
  string the channel put on ``StatusCallback`` (merge it into the payload).
* Kannel: the query of the MO ``get-url`` and of the ``dlr-url``. Configure the service as
  ``get-url = "https://…/sms/kannel/mo?from=%p&to=%P&text=%a&ts=%T&id=%I"``; the channel builds
  the ``dlr-url`` itself (``send_key``, ``type=%d``, ``ts=%T``, ``smsc_reply=%A``).

Phones come out as the mainland 11-digit form, other countries as E.164.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from huikuan.dispatch.sms import decode_dlr_key, normalise_phone


class PayloadError(ValueError):
    """A push that is not in the provider's documented format (answer it with HTTP 400)."""


@dataclass(frozen=True, slots=True)
class InboundReply:
    provider: str
    phone: str
    text: str
    received_at: datetime
    provider_id: str


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    provider: str
    provider_message_id: str
    send_key: str | None
    delivered: bool
    error_code: str | None
    at: datetime


# --- helpers ---------------------------------------------------------------------------------


def _json_items(payload: object) -> list[Mapping[str, Any]]:
    """A JSON array (or one object) of objects, from text, bytes or already decoded JSON."""
    if isinstance(payload, bytes | bytearray):
        payload = payload.decode("utf-8")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError as error:
            raise PayloadError(f"not JSON: {error}") from None
    items = [payload] if isinstance(payload, Mapping) else payload
    if not isinstance(items, list) or not all(isinstance(item, Mapping) for item in items):
        raise PayloadError("expected a JSON object or an array of objects")
    return items


def _form(payload: object) -> dict[str, str]:
    """A form post or query string (text, bytes, or a mapping of one value per name)."""
    if isinstance(payload, bytes | bytearray):
        payload = payload.decode("utf-8")
    if isinstance(payload, str):
        return dict(parse_qsl(payload.lstrip("?"), keep_blank_values=True))
    if isinstance(payload, Mapping):
        return {str(key): str(value) for key, value in payload.items()}
    raise PayloadError("expected form fields")


def _field(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name)
    if value is None or value == "":
        raise PayloadError(f"missing field {name!r}")
    return str(value)


def _optional(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None or value == "" else str(value)


def _phone(raw: str, default_country: str = "86") -> str:
    try:
        return normalise_phone(raw, default_country)
    except ValueError as error:
        raise PayloadError(f"bad phone number: {error}") from None


def _beijing_time(text: str) -> datetime:
    """``2017-01-01 11:12:13`` in Beijing time (UTC+8 all year), as an aware UTC datetime."""
    try:
        local = datetime.strptime(text.strip() + " +0800", "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        raise PayloadError(f"bad time {text!r}") from None
    return local.astimezone(UTC)


def _unix_time(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (ValueError, OverflowError, OSError):
        raise PayloadError(f"bad Unix time {value!r}") from None


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() in {"true", "1"}


def _need(received_at: datetime | None, provider: str) -> datetime:
    if received_at is None:
        raise ValueError(f"{provider} pushes carry no time: pass received_at")
    return received_at.astimezone(UTC)


# --- replies (MO) ----------------------------------------------------------------------------


def _aliyun_replies(payload: object) -> list[InboundReply]:
    return [
        InboundReply(
            provider="aliyun",
            phone=_phone(_field(item, "phone_number")),
            text=str(item.get("content") or ""),
            received_at=_beijing_time(_field(item, "send_time")),
            provider_id=_field(item, "sequence_id"),
        )
        for item in _json_items(payload)
    ]


def _tencent_replies(payload: object) -> list[InboundReply]:
    replies = []
    for item in _json_items(payload):
        mobile = _field(item, "mobile")
        nation = str(item.get("nationcode") or "86")
        moment = _unix_time(_field(item, "time"))
        replies.append(
            InboundReply(
                provider="tencent",
                phone=_phone(mobile if nation == "86" else f"+{nation}{mobile}"),
                text=str(item.get("text") or ""),
                received_at=moment,
                # Tencent gives no id for a reply: number and time identify it.
                provider_id=f"{nation}{mobile}@{int(moment.timestamp())}",
            )
        )
    return replies


def _twilio_replies(payload: object, received_at: datetime | None) -> list[InboundReply]:
    form = _form(payload)
    return [
        InboundReply(
            provider="twilio",
            phone=_phone(_field(form, "From")),
            text=form.get("Body", ""),
            received_at=_need(received_at, "twilio"),
            provider_id=_optional(form, "MessageSid") or _field(form, "SmsSid"),
        )
    ]


def _kannel_time(form: Mapping[str, str], received_at: datetime | None) -> datetime:
    if form.get("ts"):
        return _unix_time(form["ts"])
    if form.get("time"):  # %t: the gateway's local time, Beijing for a mainland gateway
        return _beijing_time(form["time"])
    return _need(received_at, "kannel")


def _kannel_replies(payload: object, received_at: datetime | None) -> list[InboundReply]:
    form = _form(payload)
    moment = _kannel_time(form, received_at)
    sender = _field(form, "from")
    return [
        InboundReply(
            provider="kannel",
            phone=_phone(sender),
            text=form.get("text", ""),
            received_at=moment,
            provider_id=_optional(form, "id") or f"{sender}@{int(moment.timestamp())}",
        )
    ]


def parse_replies(
    provider: str, payload: object, *, received_at: datetime | None = None
) -> list[InboundReply]:
    """The debtors' replies in one push. ``payload`` is the body as text, bytes or decoded
    JSON (Aliyun, Tencent) or the form / query fields (Twilio, Kannel). ``received_at`` is the
    arrival time, used only where the push carries none. Raises :class:`PayloadError`."""
    if provider == "aliyun":
        return _aliyun_replies(payload)
    if provider == "tencent":
        return _tencent_replies(payload)
    if provider == "twilio":
        return _twilio_replies(payload, received_at)
    if provider == "kannel":
        return _kannel_replies(payload, received_at)
    raise ValueError(f"unknown SMS provider {provider!r}")


# --- delivery reports ------------------------------------------------------------------------


def _aliyun_reports(payload: object) -> list[DeliveryReport]:
    reports = []
    for item in _json_items(payload):
        delivered = _truthy(item.get("success"))
        reports.append(
            DeliveryReport(
                provider="aliyun",
                provider_message_id=_field(item, "biz_id"),
                send_key=_optional(item, "out_id"),
                delivered=delivered,
                error_code=None if delivered else _optional(item, "err_code"),
                at=_beijing_time(
                    _optional(item, "report_time") or _field(item, "send_time"),
                ),
            )
        )
    return reports


def _tencent_reports(payload: object) -> list[DeliveryReport]:
    reports = []
    for item in _json_items(payload):
        delivered = str(item.get("report_status", "")).upper() == "SUCCESS"
        reports.append(
            DeliveryReport(
                provider="tencent",
                provider_message_id=_field(item, "sid"),
                send_key=_optional(item, "ext"),
                delivered=delivered,
                error_code=None if delivered else _optional(item, "errmsg"),
                at=_beijing_time(_field(item, "user_receive_time")),
            )
        )
    return reports


# Twilio statuses that end a message's life; queued / sending / sent / accepted are not.
_TWILIO_FINAL = {"delivered": True, "read": True, "undelivered": False, "failed": False}


def _twilio_reports(payload: object, received_at: datetime | None) -> list[DeliveryReport]:
    form = _form(payload)
    status = (_optional(form, "MessageStatus") or _field(form, "SmsStatus")).lower()
    if status not in _TWILIO_FINAL:
        return []
    delivered = _TWILIO_FINAL[status]
    return [
        DeliveryReport(
            provider="twilio",
            provider_message_id=_optional(form, "MessageSid") or _field(form, "SmsSid"),
            send_key=_optional(form, "send_key"),
            delivered=delivered,
            error_code=None if delivered else (_optional(form, "ErrorCode") or status),
            at=_need(received_at, "twilio"),
        )
    ]


# Kannel report types (%d): 1 delivered to the phone, 2 not delivered to the phone, 16 rejected
# by the SMSC. 4 (buffered) and 8 (taken by the SMSC) are not final.
_KANNEL_FINAL = {1: True, 2: False, 16: False}
_SMSC_STAT = re.compile(r"\bstat:(\w+)")
_SMSC_ERR = re.compile(r"\berr:(\w+)")


def _kannel_reports(payload: object, received_at: datetime | None) -> list[DeliveryReport]:
    form = _form(payload)
    try:
        kind = int(_field(form, "type"))
    except ValueError:
        raise PayloadError(f"bad report type {form.get('type')!r}") from None
    if kind not in _KANNEL_FINAL:
        return []
    delivered = _KANNEL_FINAL[kind]
    error_code = None
    if not delivered:
        reply = form.get("smsc_reply", "")
        stat, err = _SMSC_STAT.search(reply), _SMSC_ERR.search(reply)
        parts = [match.group(1) for match in (stat, err) if match]
        error_code = ":".join(parts) if parts else f"type-{kind}"
    try:
        send_key = decode_dlr_key(_field(form, "send_key"))
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise PayloadError("bad send_key") from None
    return [
        DeliveryReport(
            provider="kannel",
            provider_message_id=send_key,  # sendsms gives no id; the channel used the send key
            send_key=send_key,
            delivered=delivered,
            error_code=error_code,
            at=_kannel_time(form, received_at),
        )
    ]


def parse_reports(
    provider: str, payload: object, *, received_at: datetime | None = None
) -> list[DeliveryReport]:
    """The final delivery reports in one push (intermediate states are left out). Arguments
    as for :func:`parse_replies`. Raises :class:`PayloadError`."""
    if provider == "aliyun":
        return _aliyun_reports(payload)
    if provider == "tencent":
        return _tencent_reports(payload)
    if provider == "twilio":
        return _twilio_reports(payload, received_at)
    if provider == "kannel":
        return _kannel_reports(payload, received_at)
    raise ValueError(f"unknown SMS provider {provider!r}")


# --- Twilio request signatures ---------------------------------------------------------------


def _pairs(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(params.items()) if isinstance(params, Mapping) else list(params)


def twilio_signature(
    url: str, params: Mapping[str, str] | Iterable[tuple[str, str]], auth_token: str
) -> str:
    """``X-Twilio-Signature``: Base64 HMAC-SHA1, keyed with the auth token, of the full URL
    followed by each POST field's name and value, sorted by name (then value)."""
    data = url + "".join(name + value for name, value in sorted(_pairs(params)))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _port_variants(url: str) -> list[str]:
    """The URL as given, and with the default port added or removed (Twilio signs either)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if default is None or not host:
        return [url]
    if parts.port is None:
        other = parts._replace(netloc=f"{parts.netloc}:{default}")
    elif parts.port == default:
        other = parts._replace(netloc=parts.netloc.rsplit(":", 1)[0])
    else:
        return [url]
    return [url, urlunsplit(other)]


def verify_twilio_signature(
    url: str,
    params: Mapping[str, str] | Iterable[tuple[str, str]],
    signature: str,
    auth_token: str,
) -> bool:
    """True when ``signature`` (the ``X-Twilio-Signature`` header) matches this request.

    ``url`` is the full URL Twilio called, query string included, as configured at Twilio.
    """
    pairs = _pairs(params)
    return any(
        hmac.compare_digest(
            twilio_signature(candidate, pairs, auth_token).encode(), (signature or "").encode()
        )
        for candidate in _port_variants(url)
    )
