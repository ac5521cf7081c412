"""Payment-provider notifications: ``POST /hooks/pay/alipay/notify`` and
``POST /hooks/pay/wechat/notify``.

Data flow of one notify: the raw body (and, for WeChat, the ``Wechatpay-*`` headers) goes to
:func:`huikuan.payments.service.accept_notification`, which verifies the provider's signature
(WeChat: and decrypts the resource), checks merchant, order and amount and posts the payment
exactly once, in the request's one transaction (:data:`~huikuan.web.deps.DbSession`). No
session and no CSRF token: these callers are the providers' servers (the app's CSRF check
skips ``/hooks/``) and the signature is the authentication.

Each provider gets the answer its documentation asks for: Alipay the literal text ``success``
(anything else, here ``failure`` with HTTP 400, makes it retry); WeChat Pay HTTP 204 with no
body, or 400 with ``{"code": "FAIL", "message": …}``. A notify already posted is answered as a
success, so the provider stops re-sending it. No screens, menu items or catalogue entries; the
routes stay out of the OpenAPI document (they are the providers' formats, not our API).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from huikuan.logs import get_logger
from huikuan.payments.config import PayConfig, get_pay_config
from huikuan.payments.service import NotifyOutcome, accept_notification
from huikuan.web.areas import NavItem
from huikuan.web.deps import Config, DbSession

MAX_BODY = 64 * 1024  # a notify is a few KB

log = get_logger("huikuan.payments")
router = APIRouter(prefix="/hooks/pay", include_in_schema=False)
NAV: tuple[NavItem, ...] = ()
ZH: dict[str, str] = {}
EN: dict[str, str] = {}


def pay_config() -> PayConfig:
    """The provider settings the notifies are checked against (tests override this)."""
    return get_pay_config()


PayConfigDep = Annotated[PayConfig, Depends(pay_config)]


async def notify_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(status_code=413)
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(status_code=413)
    return body


NotifyBody = Annotated[bytes, Depends(notify_body)]


def _logged(provider: str, outcome: NotifyOutcome) -> NotifyOutcome:
    # Order numbers and reasons only: a notify carries no personal data we would want logged.
    log_line = log.warning if not outcome.acknowledged else log.info
    log_line(
        "payment_notify",
        provider=provider,
        result=outcome.result.value,
        reason=outcome.reason,
        order_no=outcome.order_no,
    )
    return outcome


@router.post("/alipay/notify")
def alipay_notify(
    request: Request, body: NotifyBody, session: DbSession, config: Config, pay: PayConfigDep
) -> Response:
    outcome = accept_notification(
        session, "alipay", headers=dict(request.headers), body=body, now=config.now(), config=pay
    )
    if _logged("alipay", outcome).acknowledged:
        return PlainTextResponse("success")
    return PlainTextResponse("failure", status_code=400)


@router.post("/wechat/notify")
def wechat_notify(
    request: Request, body: NotifyBody, session: DbSession, config: Config, pay: PayConfigDep
) -> Response:
    outcome = accept_notification(
        session, "wechat", headers=dict(request.headers), body=body, now=config.now(), config=pay
    )
    if _logged("wechat", outcome).acknowledged:
        return Response(status_code=204)
    return JSONResponse({"code": "FAIL", "message": outcome.reason}, status_code=400)


__all__ = ["EN", "NAV", "ZH", "notify_body", "pay_config", "router"]
