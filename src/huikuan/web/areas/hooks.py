"""Provider push endpoints: debtors' SMS replies and delivery reports, pushed to us by the SMS
providers (Aliyun, Tencent Cloud, Twilio, a local Kannel gateway).

Data flow of one push (``POST /hooks/sms/{provider}/replies`` or ``…/reports``; Kannel may
also ``GET``, since its ``get-url`` and ``dlr-url`` put everything in the query):

1. :func:`read_push` takes the raw request apart (query pairs, form pairs, body). No session
   and no CSRF token: these callers are servers, so the app's CSRF check skips ``/hooks/``
   (:data:`huikuan.web.auth.CSRF_EXEMPT_PREFIXES`) and the route authenticates the caller
   itself: Twilio by ``X-Twilio-Signature`` (HMAC over the URL it called and the form, keyed
   with the auth token, ``HUIKUAN_SMS_ACCESS_KEY_SECRET`` when ``HUIKUAN_SMS_PROVIDER=twilio``),
   every other provider by the shared secret ``HUIKUAN_SMS_WEBHOOK_TOKEN`` carried as
   ``?token=`` in the callback URL configured at the provider (compared in constant time).
   Aliyun's and Tencent's pushes carry no signature of their own; without the token anyone
   could forge an opt-out or a bounce. No secret configured: every push is refused (403).
2. :func:`~huikuan.dispatch.sms_inbound.parse_replies` / ``parse_reports`` turn the payload
   into plain values (a malformed push is answered 400 and nothing is written).
3. Replies go to :func:`~huikuan.dispatch.inbound.record_replies` (stored once per provider
   id; an opt-out closes the channel and withdraws pending outbox messages at once). Reports
   go to :func:`record_reports`, which skips a report already recorded and otherwise calls
   :func:`~huikuan.dispatch.outbox.record_receipt` (a bounce marks the contact point invalid,
   audited here). Everything runs in the request's one transaction
   (:data:`~huikuan.web.deps.DbSession`), so a push is applied whole or not at all, and the
   same push twice changes nothing.
4. Each provider gets the answer its documentation asks for: Aliyun ``{"code":0,"msg":"成功"}``,
   Tencent ``{"result":0,"errmsg":"OK"}``, Twilio an empty TwiML ``<Response/>``, Kannel an
   empty 200 (configure its sms-service with ``max-messages = 0`` so it sends no reply).

The area has no screens: no menu items and no catalogue entries; the routes stay out of the
OpenAPI document (they are the providers' formats, not our API).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.audit.service import record
from huikuan.dispatch.inbound import record_replies
from huikuan.dispatch.models import DeliveryReceipt, OutboxMessage, ReceiptEvent
from huikuan.dispatch.outbox import record_receipt
from huikuan.dispatch.sms_inbound import (
    DeliveryReport,
    parse_replies,
    parse_reports,
    verify_twilio_signature,
)
from huikuan.settings import Settings, get_settings
from huikuan.web.areas import NavItem
from huikuan.web.deps import Cipher, Config, DbSession

PROVIDERS = frozenset({"aliyun", "tencent", "twilio", "kannel"})
TOKEN_PARAM = "token"
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY = 1024 * 1024  # a push is a few KB; anything this large is not a provider's
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
FORM_TYPE = "application/x-www-form-urlencoded"

router = APIRouter(prefix="/hooks/sms", include_in_schema=False)
NAV: tuple[NavItem, ...] = ()
ZH: dict[str, str] = {}
EN: dict[str, str] = {}


def hook_settings() -> Settings:
    """The secrets the pushes are checked against (tests override this dependency)."""
    return get_settings()


HookSettings = Annotated[Settings, Depends(hook_settings)]


@dataclass(frozen=True, slots=True)
class Push:
    """One provider request, taken apart; ``query`` and ``form`` keep every pair in order."""

    method: str
    path: str
    query_string: str
    query: tuple[tuple[str, str], ...]
    form: tuple[tuple[str, str], ...]
    body: bytes
    signature: str | None

    def fields(self) -> dict[str, str]:
        """Query then form fields as one mapping, our own token left out."""
        merged = {name: value for name, value in self.query if name != TOKEN_PARAM}
        merged.update(self.form)
        return merged

    def token(self) -> str | None:
        return next((value for name, value in self.query if name == TOKEN_PARAM), None)


async def read_push(request: Request) -> Push:
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(status_code=413)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(status_code=413)
    form: list[tuple[str, str]] = []
    if request.headers.get("content-type", "").startswith(FORM_TYPE):
        try:
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            raise HTTPException(status_code=400) from None
    return Push(
        method=request.method,
        path=request.url.path,
        query_string=request.url.query,
        query=tuple(request.query_params.multi_items()),
        form=tuple(form),
        body=body,
        signature=request.headers.get(TWILIO_SIGNATURE_HEADER),
    )


PushRequest = Annotated[Push, Depends(read_push)]


def _same(supplied: str | None, expected: str | None) -> bool:
    if not supplied or not expected:
        return False
    return hmac.compare_digest(supplied.encode(), expected.encode())


def _twilio_url(push: Push, request_base: str, settings: Settings) -> str:
    """The URL Twilio called: the configured public base (behind a proxy) or this request's."""
    base = (settings.sms_webhook_base_url or request_base).rstrip("/")
    return base + push.path + (f"?{push.query_string}" if push.query_string else "")


def authentic(push: Push, provider: str, settings: Settings, request_base: str) -> bool:
    """Whether the push comes from the provider (module docstring, step 1)."""
    if provider == "twilio":
        auth_token = settings.sms_access_key_secret if settings.sms_provider == "twilio" else None
        if not auth_token or not push.signature:
            return False
        url = _twilio_url(push, request_base, settings)
        return verify_twilio_signature(url, push.form, push.signature, auth_token)
    return _same(push.token(), settings.sms_webhook_token)


def _payload(push: Push, provider: str) -> Any:
    if provider in ("aliyun", "tencent"):
        return push.body
    return push.fields()


def _answer(provider: str) -> Response:
    if provider == "aliyun":
        return JSONResponse({"code": 0, "msg": "成功"})
    if provider == "tencent":
        return JSONResponse({"result": 0, "errmsg": "OK"})
    if provider == "twilio":
        return Response(TWIML_EMPTY, media_type="text/xml")
    return PlainTextResponse("")


def _checked(provider: str, push: Push, request: Request, settings: Settings) -> Response | None:
    """The refusal to send back, or ``None`` when the push may be processed."""
    if provider not in PROVIDERS:
        raise HTTPException(status_code=404)
    if push.method != "POST" and provider != "kannel":
        raise HTTPException(status_code=405)
    if not authentic(push, provider, settings, str(request.base_url)):
        return PlainTextResponse("forbidden", status_code=403)
    return None


@dataclass
class ReportResult:
    received: int = 0
    duplicates: int = 0
    unmatched: int = 0  # no message was sent under that provider id
    bounced: int = 0


def record_reports(
    session: Session, reports: Sequence[DeliveryReport], *, actor: str
) -> ReportResult:
    """Record each final report once (a re-pushed report changes nothing); a bounce marks the
    message's contact point invalid (through ``record_receipt``) and is audited."""
    result = ReportResult()
    for report in reports:
        event = ReceiptEvent.DELIVERED if report.delivered else ReceiptEvent.BOUNCED
        message = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.provider_message_id == report.provider_message_id
            )
        ).first()
        if message is None:
            result.unmatched += 1
            continue
        seen = session.scalar(
            select(DeliveryReceipt.id).where(
                DeliveryReceipt.message_id == message.id,
                DeliveryReceipt.event == event.value,
                DeliveryReceipt.provider_message_id == report.provider_message_id,
            )
        )
        if seen is not None:
            result.duplicates += 1
            continue
        detail = report.error_code or ""
        record_receipt(session, report.provider_message_id, event, report.at, detail)
        session.flush()
        result.received += 1
        if event is ReceiptEvent.BOUNCED:
            result.bounced += 1
            if message.contact_point_id is not None:
                record(
                    session,
                    at=report.at,
                    actor=actor,
                    action="contact.bounced",
                    entity="contact_point",
                    entity_id=message.contact_point_id,
                    detail={
                        "provider": report.provider,
                        "message_id": message.id,
                        "error_code": report.error_code,
                    },
                )
    return result


@router.api_route("/{provider}/replies", methods=["GET", "POST"])
def replies_pushed(
    provider: str,
    request: Request,
    push: PushRequest,
    session: DbSession,
    cipher: Cipher,
    config: Config,
    settings: HookSettings,
) -> Response:
    refused = _checked(provider, push, request, settings)
    if refused is not None:
        return refused
    try:
        replies = parse_replies(provider, _payload(push, provider), received_at=config.now())
    except ValueError:  # PayloadError, and bodies that are not UTF-8
        return PlainTextResponse("bad payload", status_code=400)
    record_replies(session, cipher, replies, actor=f"hooks.{provider}")
    return _answer(provider)


@router.api_route("/{provider}/reports", methods=["GET", "POST"])
def reports_pushed(
    provider: str,
    request: Request,
    push: PushRequest,
    session: DbSession,
    config: Config,
    settings: HookSettings,
) -> Response:
    refused = _checked(provider, push, request, settings)
    if refused is not None:
        return refused
    try:
        reports = parse_reports(provider, _payload(push, provider), received_at=config.now())
    except ValueError:
        return PlainTextResponse("bad payload", status_code=400)
    record_reports(session, reports, actor=f"hooks.{provider}")
    return _answer(provider)


__all__ = [
    "EN",
    "NAV",
    "ZH",
    "Push",
    "ReportResult",
    "authentic",
    "hook_settings",
    "record_reports",
    "router",
]
