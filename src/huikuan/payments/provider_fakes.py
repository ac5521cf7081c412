"""Local stand-ins for Alipay and WeChat Pay that speak their protocols over a real socket.

For tests and the demo (``make run``), never production. Each fake is a stdlib
``ThreadingHTTPServer`` in a daemon thread with its own provider key:

* :class:`FakeAlipayGateway` — ``GET``/``POST /gateway.do``: ``alipay.trade.wap.pay`` (the
  request's RSA2 signature is checked with our app public key, then a tiny cashier page is
  shown) and ``alipay.trade.query`` (a signed JSON answer). The cashier's "确认付款 / Pay"
  button (a form POST to ``/cashier/pay``) marks the trade paid, POSTs the signed async notify
  to the order's ``notify_url`` ``notify_times`` times, then sends the browser to
  ``return_url``.
* :class:`FakeWechatPay` — ``POST /v3/pay/transactions/h5`` (our ``Authorization`` header is
  checked with our merchant public key; the answer carries ``h5_url`` to its own cashier page
  and the platform signature headers), ``GET /v3/pay/transactions/out-trade-no/{no}``, and the
  cashier, whose Pay button sends the AES-GCM-encrypted, platform-signed notify.

:func:`start_fakes` starts both for a :class:`~huikuan.payments.config.PayConfig` and returns a
copy of it that points at them (``RunningFakes.config``; ``RunningFakes.env()`` gives the same
as ``HUIKUAN_PAY_*`` variables). Tests drive the fakes only through HTTP, or with
:meth:`deliver` to re-send (or tamper with) a notify.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from huikuan.payments import alipay, wechatpay
from huikuan.payments.config import (
    DEV_FAKE_ALIPAY,
    DEV_FAKE_WECHAT,
    PayConfig,
    dev_secret,
    load_keys,
)
from huikuan.payments.keys import (
    generate_private_pem,
    load_private_key,
    load_public_key,
    public_pem,
    sign_sha256_rsa,
    verify_sha256_rsa,
)
from huikuan.payments.trades import fen_of, yuan_text

Clock = Callable[[], datetime]
MAX_BODY = 256 * 1024


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class FakeTrade:
    out_trade_no: str
    amount: int
    notify_url: str
    return_url: str | None
    subject: str
    status: str
    trade_no: str = ""
    paid_at: datetime | None = None


@dataclass
class Delivery:
    """One notify the fake sent and what our server answered."""

    out_trade_no: str
    status: int
    body: str


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    ).encode()


def _cashier(brand: str, trade: FakeTrade) -> bytes:
    number = html.escape(trade.out_trade_no)
    return _page(
        f"{brand} 收银台 (local fake)",
        f"<h1>{html.escape(brand)} 收银台</h1>"
        f'<p>订单 / Order: <span data-testid="order-no">{number}</span></p>'
        f"<p>{html.escape(trade.subject)}</p>"
        f'<p>金额 / Amount: <strong data-testid="amount">¥{yuan_text(trade.amount)}</strong></p>'
        '<form method="post" action="/cashier/pay">'
        f'<input type="hidden" name="out_trade_no" value="{number}">'
        '<button type="submit">确认付款 / Pay</button></form>',
    )


class _FakeServer:
    """The HTTP plumbing both fakes share: a threaded server and a tiny request object."""

    brand = "fake"

    def __init__(self, *, clock: Clock | None, notify_times: int) -> None:
        self.clock: Clock = clock or wall_clock
        self.notify_times = notify_times
        self.trades: dict[str, FakeTrade] = {}
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> _FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output stays readable."""

            def do_GET(self) -> None:
                self._answer("GET", b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._answer("POST", self.rfile.read(min(length, MAX_BODY)))

            def _answer(self, method: str, body: bytes) -> None:
                status, headers, payload = fake.handle(method, self.path, dict(self.headers), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> _FakeServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError

    def _html(self, status: int, content: bytes) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "text/html; charset=utf-8"}, content

    def _paid_page(self, trade: FakeTrade) -> tuple[int, dict[str, str], bytes]:
        if trade.return_url:
            return 303, {"Location": self._return_location(trade)}, b""
        return self._html(200, _page("付款成功 / Paid", "<h1>付款成功 / Paid</h1>"))

    def _return_location(self, trade: FakeTrade) -> str:
        return trade.return_url or "/"

    def _mark_paid(self, out_trade_no: str) -> FakeTrade | None:
        with self._lock:
            trade = self.trades.get(out_trade_no)
            if trade is None:
                return None
            if not trade.trade_no:
                trade.trade_no = self._new_trade_no()
                trade.paid_at = self.clock()
                trade.status = self._paid_status()
            return trade

    def _new_trade_no(self) -> str:
        raise NotImplementedError

    def _paid_status(self) -> str:
        raise NotImplementedError

    def _send(self, trade: FakeTrade, headers: Mapping[str, str], body: bytes) -> Delivery:
        try:
            with httpx.Client(timeout=30) as client:
                answer = client.post(trade.notify_url, content=body, headers=dict(headers))
            delivery = Delivery(trade.out_trade_no, answer.status_code, answer.text)
        except httpx.HTTPError as exc:
            delivery = Delivery(trade.out_trade_no, 0, type(exc).__name__)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery


class FakeAlipayGateway(_FakeServer):
    """Alipay's OpenAPI gateway for one app (module docstring)."""

    brand = "支付宝"

    def __init__(
        self,
        *,
        app_id: str,
        app_public_key: str,
        private_key: str | None = None,
        clock: Clock | None = None,
        notify_times: int = 1,
        seller_id: str = "2088000000000001",
    ) -> None:
        super().__init__(clock=clock, notify_times=notify_times)
        self.app_id = app_id
        self.seller_id = seller_id
        self._app_public = load_public_key(app_public_key)
        self._key: RSAPrivateKey = load_private_key(private_key or generate_private_pem())

    @property
    def public_key_pem(self) -> str:
        return public_pem(self._key)

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.do"

    def _new_trade_no(self) -> str:
        return f"{self.clock().astimezone(alipay.BEIJING):%Y%m%d}22001" + "".join(
            secrets.choice("0123456789") for _ in range(15)
        )

    def _paid_status(self) -> str:
        return "TRADE_SUCCESS"

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if method == "POST":
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if parts.path == "/cashier/pay" and method == "POST":
            return self._pay(params.get("out_trade_no", ""))
        if parts.path != "/gateway.do":
            return self._html(404, _page("404", "not found"))
        if params.get("app_id") != self.app_id or not alipay.verify_request(
            params, self._app_public
        ):
            if params.get("method") == alipay.TRADE_QUERY:
                return self._query_answer(
                    {
                        "code": "40002",
                        "msg": "Invalid Arguments",
                        "sub_code": "isv.invalid-signature",
                    }
                )
            return self._html(400, _page("错误 / Error", "<h1>invalid-signature</h1>"))
        if params.get("method") == alipay.WAP_PAY:
            return self._cashier(params)
        if params.get("method") == alipay.TRADE_QUERY:
            return self._query(params)
        return self._html(400, _page("错误 / Error", "<h1>invalid-method</h1>"))

    def _cashier(self, params: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        biz = json.loads(params.get("biz_content") or "{}")
        number = str(biz.get("out_trade_no", ""))
        with self._lock:
            trade = self.trades.get(number)
            if trade is None:
                trade = FakeTrade(
                    out_trade_no=number,
                    amount=fen_of(str(biz.get("total_amount", ""))),
                    notify_url=params.get("notify_url", ""),
                    return_url=params.get("return_url") or None,
                    subject=str(biz.get("subject", "")),
                    status="WAIT_BUYER_PAY",
                )
                self.trades[number] = trade
        return self._html(200, _cashier(self.brand, trade))

    def _pay(self, out_trade_no: str) -> tuple[int, dict[str, str], bytes]:
        trade = self._mark_paid(out_trade_no)
        if trade is None:
            return self._html(404, _page("404", "no such trade"))
        for _ in range(self.notify_times):
            self.deliver(out_trade_no)
        return self._paid_page(trade)

    def _return_location(self, trade: FakeTrade) -> str:
        # The synchronous return carries signed parameters; the page must not trust them for
        # money (only the notify counts), which is why ours only shows a status.
        params = {
            "app_id": self.app_id,
            "method": "alipay.trade.wap.pay.return",
            "charset": "utf-8",
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "total_amount": yuan_text(trade.amount),
            "seller_id": self.seller_id,
            "timestamp": alipay.beijing_time(self.clock()),
            "version": "1.0",
            "sign_type": "RSA2",
        }
        params["sign"] = sign_sha256_rsa(
            self._key, alipay.content_to_sign(params, alipay.NOTIFY_EXCLUDED)
        )
        joiner = "&" if "?" in (trade.return_url or "") else "?"
        return f"{trade.return_url}{joiner}{urlencode(params)}"

    def notify_form(
        self,
        trade: FakeTrade,
        overrides: Mapping[str, str] | None = None,
        signing_key: RSAPrivateKey | None = None,
    ) -> dict[str, str]:
        """The async notify Alipay posts for a paid trade (signed after ``overrides``)."""
        now = self.clock()
        paid_at = trade.paid_at or now
        form = {
            "notify_time": alipay.beijing_time(now),
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "app_id": self.app_id,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.status,
            "total_amount": yuan_text(trade.amount),
            "receipt_amount": yuan_text(trade.amount),
            "buyer_pay_amount": yuan_text(trade.amount),
            "subject": trade.subject,
            "seller_id": self.seller_id,
            "gmt_create": alipay.beijing_time(paid_at),
            "gmt_payment": alipay.beijing_time(paid_at),
            **(overrides or {}),
        }
        form["sign"] = sign_sha256_rsa(
            signing_key or self._key, alipay.content_to_sign(form, alipay.NOTIFY_EXCLUDED)
        )
        return form

    def deliver(
        self,
        out_trade_no: str,
        *,
        overrides: Mapping[str, str] | None = None,
        signing_key: RSAPrivateKey | None = None,
    ) -> Delivery:
        """POST the notify for ``out_trade_no`` to its notify_url once; what came back."""
        trade = self.trades[out_trade_no]
        form = self.notify_form(trade, overrides, signing_key)
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return self._send(trade, headers, urlencode(form).encode())

    def _query(self, params: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        biz = json.loads(params.get("biz_content") or "{}")
        trade = self.trades.get(str(biz.get("out_trade_no", "")))
        if trade is None:
            return self._query_answer(
                {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.TRADE_NOT_EXIST",
                    "sub_msg": "交易不存在",
                }
            )
        answer: dict[str, object] = {
            "code": alipay.SUCCESS_CODE,
            "msg": "Success",
            "trade_no": trade.trade_no or "",
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.status,
            "total_amount": yuan_text(trade.amount),
        }
        if trade.paid_at is not None:
            answer["send_pay_date"] = alipay.beijing_time(trade.paid_at)
        return self._query_answer(answer)

    def _query_answer(self, fields: Mapping[str, object]) -> tuple[int, dict[str, str], bytes]:
        inner = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        sign = sign_sha256_rsa(self._key, inner)
        text = f'{{"{alipay.QUERY_RESPONSE_KEY}":{inner},"sign":"{sign}"}}'
        return 200, {"Content-Type": "application/json; charset=utf-8"}, text.encode()


class FakeWechatPay(_FakeServer):
    """WeChat Pay API v3 for one merchant (module docstring)."""

    brand = "微信支付"

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        merchant_public_key: str,
        merchant_serial: str,
        api_v3_key: bytes,
        platform_serial: str,
        private_key: str | None = None,
        clock: Clock | None = None,
        notify_times: int = 1,
    ) -> None:
        super().__init__(clock=clock, notify_times=notify_times)
        self.mchid = mchid
        self.appid = appid
        self.merchant_serial = merchant_serial
        self.platform_serial = platform_serial
        self.api_v3_key = api_v3_key
        self._merchant_public = load_public_key(merchant_public_key)
        self._key: RSAPrivateKey = load_private_key(private_key or generate_private_pem())
        self._prepay: dict[str, str] = {}  # prepay id → out_trade_no

    @property
    def platform_public_key_pem(self) -> str:
        return public_pem(self._key)

    @property
    def api_base(self) -> str:
        return self.base_url

    def _new_trade_no(self) -> str:
        return "4200" + "".join(secrets.choice("0123456789") for _ in range(28))

    def _paid_status(self) -> str:
        return wechatpay.PAID_STATE

    def _json(
        self, status: int, payload: Mapping[str, object] | None
    ) -> tuple[int, dict[str, str], bytes]:
        text = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        headers = wechatpay.sign_response(self._key, self.platform_serial, text, self.clock())
        headers["Content-Type"] = "application/json; charset=utf-8"
        return status, headers, text.encode()

    def _authorized(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> bool:
        lower = {name.lower(): value for name, value in headers.items()}
        fields = wechatpay.parse_authorization(lower.get("authorization", ""))
        timestamp = fields.get("timestamp", "")
        if (
            fields.get("mchid") != self.mchid
            or fields.get("serial_no") != self.merchant_serial
            or not timestamp.isdigit()
        ):
            return False
        if abs(datetime.fromtimestamp(int(timestamp), UTC) - self.clock()) > wechatpay.MAX_SKEW:
            return False
        message = wechatpay.request_message(
            method, target, timestamp, fields.get("nonce_str", ""), body.decode("utf-8", "replace")
        )
        return verify_sha256_rsa(self._merchant_public, message, fields.get("signature", ""))

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path == "/cgi-bin/mmpayweb-bin/checkmweb" and method == "GET":
            number = self._prepay.get(params.get("prepay_id", ""))
            trade = self.trades.get(number or "")
            if trade is None:
                return self._html(404, _page("404", "no such order"))
            if params.get("redirect_url"):
                trade.return_url = params["redirect_url"]
            return self._html(200, _cashier(self.brand, trade))
        if parts.path == "/cashier/pay" and method == "POST":
            form = dict(parse_qsl(body.decode("utf-8", "replace")))
            return self._pay(form.get("out_trade_no", ""))
        if not parts.path.startswith("/v3/"):
            return self._html(404, _page("404", "not found"))
        if not self._authorized(method, target, headers, body):
            return self._json(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        if parts.path == wechatpay.H5_PATH and method == "POST":
            return self._create(body)
        prefix = wechatpay.QUERY_PATH.split("{", 1)[0]
        if parts.path.startswith(prefix) and method == "GET":
            if params.get("mchid") != self.mchid:
                return self._json(400, {"code": "PARAM_ERROR", "message": "mchid"})
            trade = self.trades.get(parts.path.removeprefix(prefix))
            if trade is None:
                return self._json(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
            return self._json(200, self.transaction(trade))
        return self._json(404, {"code": "NOT_FOUND", "message": "not found"})

    def _create(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            order = json.loads(body)
            number = str(order["out_trade_no"])
            total = order["amount"]["total"]
            notify_url = str(order["notify_url"])
        except (ValueError, KeyError, TypeError):
            return self._json(400, {"code": "PARAM_ERROR", "message": "参数错误"})
        if order.get("mchid") != self.mchid or order.get("appid") != self.appid:
            return self._json(400, {"code": "PARAM_ERROR", "message": "appid和mch_id不匹配"})
        if not isinstance(total, int) or total < 1:
            return self._json(400, {"code": "PARAM_ERROR", "message": "amount.total"})
        prepay_id = "wx" + secrets.token_hex(16)
        with self._lock:
            if number in self.trades:
                return self._json(400, {"code": "DUPLICATE_OUT_TRADE_NO", "message": "重复"})
            self.trades[number] = FakeTrade(
                out_trade_no=number,
                amount=total,
                notify_url=notify_url,
                return_url=None,
                subject=str(order.get("description", "")),
                status="NOTPAY",
            )
            self._prepay[prepay_id] = number
        query = urlencode({"prepay_id": prepay_id, "package": secrets.token_hex(4)})
        return self._json(
            200, {"h5_url": f"{self.base_url}/cgi-bin/mmpayweb-bin/checkmweb?{query}"}
        )

    def _pay(self, out_trade_no: str) -> tuple[int, dict[str, str], bytes]:
        trade = self._mark_paid(out_trade_no)
        if trade is None:
            return self._html(404, _page("404", "no such order"))
        for _ in range(self.notify_times):
            self.deliver(out_trade_no)
        return self._paid_page(trade)

    def transaction(
        self, trade: FakeTrade, overrides: Mapping[str, object] | None = None
    ) -> dict[str, object]:
        """The transaction object of the query answer and the notify's resource."""
        data: dict[str, object] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": trade.out_trade_no,
            "transaction_id": trade.trade_no,
            "trade_type": "MWEB",
            "trade_state": trade.status,
            "trade_state_desc": "支付成功" if trade.trade_no else "未支付",
            "bank_type": "OTHERS",
            "attach": "",
            "payer": {"openid": "o" + "x" * 27},
            "amount": {
                "total": trade.amount,
                "payer_total": trade.amount,
                "currency": "CNY",
                "payer_currency": "CNY",
            },
        }
        if trade.paid_at is not None:
            data["success_time"] = trade.paid_at.astimezone(alipay.BEIJING).isoformat(
                timespec="seconds"
            )
        data.update(overrides or {})
        return data

    def notify_body(self, trade: FakeTrade, overrides: Mapping[str, object] | None = None) -> str:
        now = self.clock()
        resource = wechatpay.encrypt_resource(
            json.dumps(self.transaction(trade, overrides), ensure_ascii=False), self.api_v3_key
        )
        envelope = {
            "id": secrets.token_hex(18),
            "create_time": now.astimezone(alipay.BEIJING).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": wechatpay.PAID_EVENT,
            "summary": "支付成功",
            "resource": resource,
        }
        return json.dumps(envelope, ensure_ascii=False)

    def deliver(
        self,
        out_trade_no: str,
        *,
        overrides: Mapping[str, object] | None = None,
        signing_key: RSAPrivateKey | None = None,
    ) -> Delivery:
        """POST the notify for ``out_trade_no`` to its notify_url once; what came back."""
        trade = self.trades[out_trade_no]
        body = self.notify_body(trade, overrides)
        headers = wechatpay.sign_response(
            signing_key or self._key, self.platform_serial, body, self.clock()
        )
        headers["Content-Type"] = "application/json"
        return self._send(trade, headers, body.encode("utf-8"))


@dataclass
class RunningFakes:
    """Both fakes, started, and the config that points at them."""

    alipay: FakeAlipayGateway
    wechat: FakeWechatPay
    config: PayConfig
    _stopped: bool = field(default=False, repr=False)

    def env(self) -> dict[str, str]:
        """The same as ``HUIKUAN_PAY_*`` variables (for a server started in another process)."""
        return {
            "HUIKUAN_PAY_ALIPAY_GATEWAY": self.config.alipay_gateway,
            "HUIKUAN_PAY_ALIPAY_PUBLIC_KEY": self.alipay.public_key_pem,
            "HUIKUAN_PAY_WECHAT_API_BASE": self.config.wechat_api_base,
            "HUIKUAN_PAY_WECHAT_PLATFORM_PUBLIC_KEY": self.wechat.platform_public_key_pem,
        }

    def stop(self) -> None:
        if not self._stopped:
            self.alipay.stop()
            self.wechat.stop()
            self._stopped = True


def start_fakes(
    config: PayConfig,
    *,
    host: str = "127.0.0.1",
    alipay_port: int = 0,
    wechat_port: int = 0,
    notify_times: int = 1,
    clock: Clock | None = None,
) -> RunningFakes:
    """Start both fakes for ``config``'s merchant (port 0: any free port).

    The fakes trust our public keys from ``config``; their own keys are the development keys
    under ``config.dev_key_dir`` (so a server that reads only that folder trusts them too).
    """
    keys = load_keys(config)
    fake_alipay = FakeAlipayGateway(
        app_id=config.alipay_app_id,
        app_public_key=public_pem(keys.alipay_app_private),
        private_key=dev_secret(config.dev_key_dir, DEV_FAKE_ALIPAY),
        clock=clock,
        notify_times=notify_times,
    )
    fake_wechat = FakeWechatPay(
        mchid=config.wechat_mchid,
        appid=config.wechat_appid,
        merchant_public_key=public_pem(keys.wechat_merchant_private),
        merchant_serial=config.wechat_merchant_serial,
        api_v3_key=keys.wechat_api_v3_key,
        platform_serial=config.wechat_platform_serial,
        private_key=dev_secret(config.dev_key_dir, DEV_FAKE_WECHAT),
        clock=clock,
        notify_times=notify_times,
    )
    fake_alipay.start(host, alipay_port)
    try:
        fake_wechat.start(host, wechat_port)
    except OSError:
        fake_alipay.stop()
        raise
    pointed = config.model_copy(
        update={
            "alipay_gateway": fake_alipay.gateway_url,
            "alipay_public_key": fake_alipay.public_key_pem,
            "wechat_api_base": fake_wechat.api_base,
            "wechat_platform_public_key": fake_wechat.platform_public_key_pem,
        }
    )
    return RunningFakes(fake_alipay, fake_wechat, pointed)


@contextmanager
def running_fakes(config: PayConfig, **options: Any) -> Iterator[RunningFakes]:
    """:func:`start_fakes` for a ``with`` block."""
    fakes = start_fakes(config, **options)
    try:
        yield fakes
    finally:
        fakes.stop()


__all__ = [
    "Delivery",
    "FakeAlipayGateway",
    "FakeTrade",
    "FakeWechatPay",
    "RunningFakes",
    "running_fakes",
    "start_fakes",
]
