"""Local stand-ins for the SMS providers' HTTP APIs, for tests, demos and crash drills.

Each fake is a real HTTP server (stdlib ``ThreadingHTTPServer`` on 127.0.0.1, a free port, in
a daemon thread) that speaks one provider's protocol closely enough for our channels to be
tested end to end over a socket:

* it checks the request the way the provider does (Aliyun's signature v1.0 over the decoded
  query and its nonce replay rule; Tencent's TC3-HMAC-SHA256 ``Authorization`` over the raw
  body and headers; Twilio's basic auth; Kannel's sendsms username and password) and refuses a
  bad one with that provider's error code;
* it validates the number (and, when configured, sign name and templates) with the provider's
  error codes, and records every accepted message in a :class:`ProviderRecorder`;
* it can be told to misbehave: ``recorder.fail_next(n, code=…, status=…, delay=…)`` makes the
  next ``n`` requests answer with a provider error code and/or HTTP status, after an optional
  delay. A delay with no code or status is a *slow success*: the message is recorded after
  the delay, even if the client timed out meanwhile, which is exactly the provider-side half
  of the outbox's "in doubt" window.

Usage::

    with aliyun_server(templates={"SMS_1"}) as (base_url, recorder):
        channel = AliyunSmsChannel(FAKE_KEY_ID, FAKE_KEY_SECRET, "惠款", {"SMS-M1-D1": "SMS_1"},
                                   base_url=base_url, timeout=2)
        channel.send(message)
        assert recorder.send_keys() == [message.send_key]

The report helpers at the end (:func:`aliyun_report`, :func:`tencent_report`,
:func:`twilio_status_callback`, :func:`kannel_dlr_callback`) build the push a provider would
send back for a recorded message, in the format :mod:`huikuan.dispatch.sms_inbound` parses.

The fakes verify signatures with the same pure functions the channels sign with; those
functions are pinned to the providers' documented worked examples in the tests.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import json
import re
import threading
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, NamedTuple
from urllib.parse import parse_qsl, quote, urlsplit

from huikuan.dispatch.sms import (
    aliyun_signature,
    decode_dlr_key,
    tc3_canonical_request,
    tc3_credential_scope,
    tc3_signature,
)
from huikuan.dispatch.sms_inbound import twilio_signature

FAKE_KEY_ID = "huikuan-fake-key-id"
FAKE_KEY_SECRET = "huikuan-fake-key-secret"
FAKE_TENCENT_APP_ID = "1400000000"
FAKE_TWILIO_SID = "AC" + "0" * 31 + "1"
FAKE_TWILIO_TOKEN = "huikuan-fake-auth-token"
FAKE_KANNEL_USER = "huikuan"
FAKE_KANNEL_PASSWORD = "huikuan-fake-password"


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --- recording and fault injection -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fault:
    """What one request gets instead of the normal answer (see the module docstring)."""

    code: str | None = None
    status: int | None = None
    delay: float = 0.0


@dataclass(frozen=True, slots=True)
class ReceivedSms:
    """One message the fake accepted, as the provider saw it."""

    provider: str
    provider_message_id: str
    send_key: str | None
    phone: str
    sender: str
    text: str  # Twilio / Kannel body; empty for template providers
    template: str  # the provider's template code / id; empty for text providers
    params: Mapping[str, str]  # Aliyun by name; Tencent by position "1", "2", …
    fields: Mapping[str, str]  # the request's fields as received (for Kannel: dlr-url …)
    at: datetime


class ProviderRecorder:
    """Thread-safe record of what a fake accepted, refused and was told to do next."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.messages: list[ReceivedSms] = []
        self.refusals: list[str] = []  # provider error codes (or HTTP statuses) answered
        self._faults: deque[Fault] = deque()

    def fail_next(
        self,
        count: int = 1,
        *,
        code: str | None = None,
        status: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """The next ``count`` requests answer ``code`` / ``status`` after ``delay`` seconds."""
        with self.lock:
            self._faults.extend(Fault(code, status, delay) for _ in range(count))

    def take_fault(self) -> Fault | None:
        with self.lock:
            self.requests += 1
            return self._faults.popleft() if self._faults else None

    def record(self, message: ReceivedSms) -> None:
        with self.lock:
            self.messages.append(message)

    def refuse(self, code: str) -> None:
        with self.lock:
            self.refusals.append(code)

    def accepted(self) -> list[ReceivedSms]:
        with self.lock:
            return list(self.messages)

    def send_keys(self) -> list[str | None]:
        return [message.send_key for message in self.accepted()]


class FakeServer(NamedTuple):
    base_url: str
    recorder: ProviderRecorder


# --- HTTP plumbing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FakeRequest:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes

    def fields(self) -> dict[str, str]:
        """Query fields, plus form fields of a form POST (decoded as UTF-8)."""
        fields = dict(parse_qsl(self.query, keep_blank_values=True))
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            fields.update(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))
        return fields


@dataclass(frozen=True, slots=True)
class FakeResponse:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"


def _json_response(status: int, body: object) -> FakeResponse:
    return FakeResponse(status, json.dumps(body, ensure_ascii=False).encode())


class _FakeProvider(ABC):
    name: ClassVar[str]

    def __init__(self, recorder: ProviderRecorder, clock: Callable[[], datetime]) -> None:
        self.recorder = recorder
        self.clock = clock
        self.ids = itertools.count(1)

    def respond(self, request: FakeRequest, stopping: threading.Event) -> FakeResponse:
        fault = self.recorder.take_fault()
        if fault is not None and fault.delay > 0:
            stopping.wait(fault.delay)  # cut short when the server shuts down
        if fault is not None and (fault.code is not None or fault.status is not None):
            self.recorder.refuse(fault.code or str(fault.status))
            return self.fault_response(fault, request)
        return self.handle(request)

    def refuse(self, code: str, response: FakeResponse) -> FakeResponse:
        self.recorder.refuse(code)
        return response

    @abstractmethod
    def handle(self, request: FakeRequest) -> FakeResponse: ...

    @abstractmethod
    def fault_response(self, fault: Fault, request: FakeRequest) -> FakeResponse: ...


class _Handler(BaseHTTPRequestHandler):
    fake: ClassVar[_FakeProvider]
    stopping: ClassVar[threading.Event]

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = FakeRequest(self.command, split.path, split.query, headers, body)
        response = self.fake.respond(request, self.stopping)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
        except OSError:
            pass  # the client gave up (a delay past its timeout): nobody to answer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # request lines carry phone numbers: keep them out of test output


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-request is normal in timeout tests


@contextmanager
def _serve(fake: _FakeProvider) -> Iterator[FakeServer]:
    stopping = threading.Event()
    handler = type("Handler", (_Handler,), {"fake": fake, "stopping": stopping})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield FakeServer(f"http://127.0.0.1:{server.server_address[1]}", fake.recorder)
    finally:
        stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


def _skewed(moment: datetime, now: datetime, max_skew: timedelta | None) -> bool:
    return max_skew is not None and abs(moment - now) > max_skew


_CN_MOBILE = re.compile(r"1[0-9]{10}")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


# --- Aliyun ----------------------------------------------------------------------------------


class _Aliyun(_FakeProvider):
    name = "aliyun"

    def __init__(
        self,
        recorder: ProviderRecorder,
        clock: Callable[[], datetime],
        keys: Mapping[str, str],
        sign_names: Collection[str] | None,
        templates: Collection[str] | None,
        max_skew: timedelta | None,
    ) -> None:
        super().__init__(recorder, clock)
        self.keys = dict(keys)
        self.sign_names = sign_names
        self.templates = templates
        self.max_skew = max_skew
        self.nonces: set[str] = set()

    def error(self, code: str, message: str, status: int = 200) -> FakeResponse:
        body = {
            "RequestId": str(uuid.uuid4()).upper(),
            "Code": code,
            "Message": message,
            "HostId": "dysmsapi.aliyuncs.com",
        }
        return self.refuse(code, _json_response(status, body))

    def fault_response(self, fault: Fault, request: FakeRequest) -> FakeResponse:
        status = fault.status
        code = fault.code
        if code is None:
            code = "ServiceUnavailable" if (status or 500) >= 500 else "Throttling.User"
        if status is None:
            status = 200 if code.startswith("isv.") else 400
        body = {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": "injected"}
        return _json_response(status, body)

    def handle(self, request: FakeRequest) -> FakeResponse:
        params = request.fields()
        key_id, signature = params.get("AccessKeyId"), params.get("Signature")
        if not key_id or not signature:
            return self.error("IncompleteSignature", "The request signature is incomplete.", 400)
        secret = self.keys.get(key_id)
        if secret is None:
            return self.error(
                "InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404
            )
        expected = aliyun_signature(secret, request.method, params)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return self.error(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
                400,
            )
        nonce = params.get("SignatureNonce", "")
        if not nonce or nonce in self.nonces:
            return self.error(
                "SignatureNonceUsed", "Specified signature nonce was used already.", 400
            )
        self.nonces.add(nonce)
        try:
            stamp = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return self.error("InvalidTimeStamp.Format", "Specified time stamp is not valid.", 400)
        if _skewed(stamp, self.clock(), self.max_skew):
            return self.error("InvalidTimeStamp.Expired", "Specified time stamp is expired.", 400)
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return self.error("InvalidAction.NotFound", "Specified api is not found.", 404)
        phone = params.get("PhoneNumbers", "")
        mainland = _CN_MOBILE.fullmatch(phone)
        # Landlines cannot take SMS: a number with the +86 prefix must be a mobile.
        abroad = re.fullmatch(r"[1-9][0-9]{7,14}", phone) and not phone.startswith("86")
        if not (mainland or abroad):
            return self.error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        sign_name = params.get("SignName", "")
        if self.sign_names is not None and sign_name not in self.sign_names:
            return self.error("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        template = params.get("TemplateCode", "")
        if self.templates is not None and template not in self.templates:
            return self.error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return self.error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        if not isinstance(values, dict):
            return self.error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        biz_id = f"{next(self.ids):018d}^0"
        self.recorder.record(
            ReceivedSms(
                provider=self.name,
                provider_message_id=biz_id,
                send_key=params.get("OutId"),
                phone=phone,
                sender=sign_name,
                text="",
                template=template,
                params={str(key): str(value) for key, value in values.items()},
                fields=params,
                at=self.clock(),
            )
        )
        body = {
            "Message": "OK",
            "RequestId": str(uuid.uuid4()).upper(),
            "BizId": biz_id,
            "Code": "OK",
        }
        return _json_response(200, body)


@contextmanager
def aliyun_server(
    *,
    keys: Mapping[str, str] | None = None,
    sign_names: Collection[str] | None = None,
    templates: Collection[str] | None = None,
    max_skew: timedelta | None = timedelta(minutes=15),
    clock: Callable[[], datetime] = _utcnow,
    recorder: ProviderRecorder | None = None,
) -> Iterator[FakeServer]:
    """A Dysmsapi ``SendSms`` endpoint. ``keys``: AccessKeyId → secret (default the
    ``FAKE_KEY_*`` pair); ``sign_names`` / ``templates``: the approved ones (None accepts any);
    ``max_skew``: how far ``Timestamp`` may be from ``clock`` (None: not checked)."""
    fake = _Aliyun(
        recorder or ProviderRecorder(),
        clock,
        keys or {FAKE_KEY_ID: FAKE_KEY_SECRET},
        sign_names,
        templates,
        max_skew,
    )
    with _serve(fake) as server:
        yield server


# --- Tencent Cloud ---------------------------------------------------------------------------

_TC3_AUTH = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[\w-]+)"
    r"/tc3_request, SignedHeaders=(?P<signed>[\w;-]+), Signature=(?P<signature>[0-9a-f]{64})"
)
# Codes Tencent reports per number in SendStatusSet; any other code fails the whole request.
_TENCENT_REQUEST_LEVEL = (
    "AuthFailure",
    "RequestLimitExceeded",
    "InternalError",
    "UnauthorizedOperation",
    "MissingParameter",
    "InvalidParameter.",
    "FailedOperation.Template",
    "FailedOperation.Signature",
    "FailedOperation.InsufficientBalanceInSmsPackage",
)


class _Tencent(_FakeProvider):
    name = "tencent"

    def __init__(
        self,
        recorder: ProviderRecorder,
        clock: Callable[[], datetime],
        keys: Mapping[str, str],
        app_id: str,
        sign_names: Collection[str] | None,
        templates: Mapping[str, int] | None,
        blacklist: Collection[str],
        max_skew: timedelta | None,
    ) -> None:
        super().__init__(recorder, clock)
        self.keys = dict(keys)
        self.app_id = app_id
        self.sign_names = sign_names
        self.templates = templates
        self.blacklist = set(blacklist)
        self.max_skew = max_skew

    def error(self, code: str, message: str) -> FakeResponse:
        body = {
            "Response": {
                "Error": {"Code": code, "Message": message},
                "RequestId": str(uuid.uuid4()),
            }
        }
        return self.refuse(code, _json_response(200, body))

    def _numbers(self, request: FakeRequest) -> list[str]:
        try:
            numbers = json.loads(request.body).get("PhoneNumberSet", [])
        except (ValueError, AttributeError):
            return []
        return [str(number) for number in numbers] if isinstance(numbers, list) else []

    def _status(self, number: str, code: str, message: str, session: str) -> dict[str, Any]:
        return {
            "SerialNo": "",
            "PhoneNumber": number,
            "Fee": 0,
            "SessionContext": session,
            "Code": code,
            "Message": message,
            "IsoCode": "CN" if number.startswith("+86") else "",
        }

    def fault_response(self, fault: Fault, request: FakeRequest) -> FakeResponse:
        if fault.code is None:
            status = fault.status or 502
            return FakeResponse(status, b"<html>injected gateway error</html>", "text/html")
        if fault.code.startswith(_TENCENT_REQUEST_LEVEL):
            body: dict[str, Any] = {
                "Response": {
                    "Error": {"Code": fault.code, "Message": "injected"},
                    "RequestId": str(uuid.uuid4()),
                }
            }
        else:
            statuses = [self._status(n, fault.code, "injected", "") for n in self._numbers(request)]
            body = {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}
        return _json_response(fault.status or 200, body)

    def _verify(self, request: FakeRequest) -> FakeResponse | None:
        match = _TC3_AUTH.fullmatch(request.headers.get("authorization", ""))
        if match is None:
            return self.error(
                "AuthFailure.InvalidAuthorization", "Authorization header is invalid."
            )
        secret = self.keys.get(match["id"])
        if secret is None:
            return self.error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        try:
            timestamp = int(request.headers.get("x-tc-timestamp", ""))
        except ValueError:
            return self.error("InvalidParameter", "X-TC-Timestamp is invalid.")
        if _skewed(datetime.fromtimestamp(timestamp, UTC), self.clock(), self.max_skew):
            return self.error("AuthFailure.SignatureExpire", "Signature expired.")
        signed = match["signed"].split(";")
        scope_ok = (
            tc3_credential_scope(timestamp, "sms")
            == f"{match['date']}/{match['service']}/tc3_request"
        )
        canonical = tc3_canonical_request(
            request.method,
            request.path or "/",
            request.query,
            request.headers,
            signed,
            request.body,
        )
        expected = tc3_signature(secret, match["service"], timestamp, canonical)
        if (
            not scope_ok
            or not {"content-type", "host"} <= set(signed)
            or not hmac.compare_digest(expected, match["signature"])
        ):
            return self.error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. "
                "Please check your signature is correct.",
            )
        return None

    def handle(self, request: FakeRequest) -> FakeResponse:
        refused = self._verify(request)
        if refused is not None:
            return refused
        if request.headers.get("x-tc-action") != "SendSms":
            return self.error("InvalidAction", "The action is not found.")
        if request.headers.get("x-tc-version") != "2021-01-11":
            return self.error("NoSuchVersion", "The API version is not supported.")
        try:
            body = json.loads(request.body)
        except ValueError:
            return self.error("InvalidParameter", "The request body is not JSON.")
        if not isinstance(body, dict):
            return self.error("InvalidParameter", "The request body is not an object.")
        if str(body.get("SmsSdkAppId")) != self.app_id:
            return self.error(
                "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verification failed."
            )
        sign_name = str(body.get("SignName", ""))
        if self.sign_names is not None and sign_name not in self.sign_names:
            return self.error(
                "FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误"
            )
        template = str(body.get("TemplateId", ""))
        values = [str(value) for value in body.get("TemplateParamSet") or []]
        if self.templates is not None:
            if template not in self.templates:
                return self.error(
                    "FailedOperation.TemplateIncorrectOrUnapproved", "模版未审批或内容不合法"
                )
            if len(values) != self.templates[template]:
                return self.error(
                    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                    "请求内容与审核通过的模版内容不匹配",
                )
        session = str(body.get("SessionContext", ""))
        statuses = []
        for number in [str(n) for n in body.get("PhoneNumberSet") or []]:
            if not _E164.fullmatch(number) or (
                number.startswith("+86") and not _CN_MOBILE.fullmatch(number[3:])
            ):
                code, text = "InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"
            elif number in self.blacklist:
                code, text = "FailedOperation.PhoneNumberInBlacklist", "手机号在免打扰名单库中"
            else:
                serial = f"2028:{next(self.ids):024d}"
                self.recorder.record(
                    ReceivedSms(
                        provider=self.name,
                        provider_message_id=serial,
                        send_key=session or None,
                        phone=number,
                        sender=sign_name,
                        text="",
                        template=template,
                        params={str(i): v for i, v in enumerate(values, start=1)},
                        fields={"SmsSdkAppId": self.app_id, "SessionContext": session},
                        at=self.clock(),
                    )
                )
                status = self._status(number, "Ok", "send success", session)
                status.update(SerialNo=serial, Fee=1)
                statuses.append(status)
                continue
            self.recorder.refuse(code)
            statuses.append(self._status(number, code, text, session))
        return _json_response(
            200, {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}
        )


@contextmanager
def tencent_server(
    *,
    keys: Mapping[str, str] | None = None,
    app_id: str = FAKE_TENCENT_APP_ID,
    sign_names: Collection[str] | None = None,
    templates: Mapping[str, int] | None = None,
    blacklist: Collection[str] = (),
    max_skew: timedelta | None = timedelta(minutes=5),
    clock: Callable[[], datetime] = _utcnow,
    recorder: ProviderRecorder | None = None,
) -> Iterator[FakeServer]:
    """A Tencent Cloud SMS API 3.0 endpoint (``SendSms`` 2021-01-11). ``keys``: SecretId →
    SecretKey; ``templates``: approved TemplateId → number of parameters (None accepts any);
    ``blacklist``: E.164 numbers answered ``FailedOperation.PhoneNumberInBlacklist``."""
    fake = _Tencent(
        recorder or ProviderRecorder(),
        clock,
        keys or {FAKE_KEY_ID: FAKE_KEY_SECRET},
        app_id,
        sign_names,
        templates,
        blacklist,
        max_skew,
    )
    with _serve(fake) as server:
        yield server


# --- Twilio ----------------------------------------------------------------------------------

_TWILIO_PATH = re.compile(r"/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json")


def _twilio_error(status: int, code: int, message: str) -> FakeResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return _json_response(status, body)


class _Twilio(_FakeProvider):
    name = "twilio"

    def __init__(
        self,
        recorder: ProviderRecorder,
        clock: Callable[[], datetime],
        accounts: Mapping[str, str],
        unsubscribed: Collection[str],
    ) -> None:
        super().__init__(recorder, clock)
        self.accounts = dict(accounts)
        self.unsubscribed = set(unsubscribed)

    def error(self, status: int, code: int, message: str) -> FakeResponse:
        return self.refuse(str(code), _twilio_error(status, code, message))

    def fault_response(self, fault: Fault, request: FakeRequest) -> FakeResponse:
        if fault.code is None:
            status = fault.status or 500
            return _twilio_error(status, 20500 if status >= 500 else 20429, "injected")
        code = int(fault.code)
        status = fault.status or (429 if code == 20429 else 400)
        return _twilio_error(status, code, "injected")

    def _authorised(self, request: FakeRequest, sid: str) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        token = self.accounts.get(user)
        return (
            user == sid
            and token is not None
            and hmac.compare_digest(token.encode(), password.encode())
        )

    def handle(self, request: FakeRequest) -> FakeResponse:
        match = _TWILIO_PATH.fullmatch(request.path)
        if match is None or request.method != "POST":
            return self.error(404, 20404, "The requested resource was not found")
        if not self._authorised(request, match["sid"]):
            return self.error(401, 20003, "Authenticate")
        form = request.fields()
        to, body = form.get("To", ""), form.get("Body", "")
        sender = form.get("From") or form.get("MessagingServiceSid") or ""
        if not to:
            return self.error(400, 21604, "A 'To' phone number is required.")
        if not sender:
            return self.error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return self.error(400, 21602, "Message body is required.")
        if not _E164.fullmatch(to):
            return self.error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in self.unsubscribed:
            return self.error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = f"SM{uuid.uuid4().hex}"
        callback = form.get("StatusCallback", "")
        send_key = dict(parse_qsl(urlsplit(callback).query)).get("send_key") if callback else None
        now = self.clock()
        self.recorder.record(
            ReceivedSms(
                provider=self.name,
                provider_message_id=sid,
                send_key=send_key,
                phone=to,
                sender=sender,
                text=body,
                template="",
                params={},
                fields={**form, "AccountSid": match["sid"]},
                at=now,
            )
        )
        answer = {
            "sid": sid,
            "account_sid": match["sid"],
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": body,
            "status": "queued" if form.get("From") else "accepted",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": format_datetime(now, usegmt=True),
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{match['sid']}/Messages/{sid}.json",
        }
        return _json_response(201, answer)


@contextmanager
def twilio_server(
    *,
    accounts: Mapping[str, str] | None = None,
    unsubscribed: Collection[str] = (),
    clock: Callable[[], datetime] = _utcnow,
    recorder: ProviderRecorder | None = None,
) -> Iterator[FakeServer]:
    """Twilio's Messages resource. ``accounts``: Account SID → auth token (default
    ``FAKE_TWILIO_SID`` / ``FAKE_TWILIO_TOKEN``); ``unsubscribed``: E.164 numbers that replied
    STOP (answered with error 21610)."""
    fake = _Twilio(
        recorder or ProviderRecorder(),
        clock,
        accounts or {FAKE_TWILIO_SID: FAKE_TWILIO_TOKEN},
        unsubscribed,
    )
    with _serve(fake) as server:
        yield server


# --- Kannel ----------------------------------------------------------------------------------

_KANNEL_NUMBER = re.compile(r"[0-9 +\-]+")  # smsbox's allowed receiver characters


class _Kannel(_FakeProvider):
    name = "kannel"

    def __init__(
        self,
        recorder: ProviderRecorder,
        clock: Callable[[], datetime],
        users: Mapping[str, str],
        denied: Collection[str],
    ) -> None:
        super().__init__(recorder, clock)
        self.users = dict(users)
        self.denied = set(denied)

    def error(self, status: int, text: str) -> FakeResponse:
        return self.refuse(text, FakeResponse(status, text.encode(), "text/html"))

    def fault_response(self, fault: Fault, request: FakeRequest) -> FakeResponse:
        status = fault.status or 503
        if status < 300:  # e.g. 202 "3: Queued for later delivery": still a success
            accepted = self.handle(request)
            if accepted.status != 202:
                return accepted
            return FakeResponse(status, (fault.code or "").encode(), "text/html")
        default = "Sending failed." if status >= 500 else "Not routable. Do not try again."
        return FakeResponse(status, (fault.code or default).encode(), "text/html")

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path != "/cgi-bin/sendsms":
            return self.error(404, "Unknown service")
        fields = request.fields()
        password = self.users.get(fields.get("username", ""))
        if password is None or not hmac.compare_digest(
            password.encode(), fields.get("password", "").encode()
        ):
            return self.error(403, "Authorization failed for sendsms")
        to, text = fields.get("to", ""), fields.get("text")
        if not to:
            return self.error(400, "Missing receiver number")
        if not _KANNEL_NUMBER.fullmatch(to):
            return self.error(400, "Garbage 'to' field, rejected.")
        if to in self.denied:
            return self.error(403, "Number(s) has/have been denied by white- and/or black-lists.")
        if text is None:
            return self.error(400, "Missing text")
        dlr_url = fields.get("dlr-url", "")
        raw_key = dict(parse_qsl(urlsplit(dlr_url).query)).get("send_key") if dlr_url else None
        send_key = decode_dlr_key(raw_key) if raw_key else None
        self.recorder.record(
            ReceivedSms(
                provider=self.name,
                provider_message_id=send_key or f"kannel-{next(self.ids)}",
                send_key=send_key,
                phone=to,
                sender=fields.get("from", ""),
                text=text,
                template="",
                params={},
                fields=fields,
                at=self.clock(),
            )
        )
        return FakeResponse(202, b"0: Accepted for delivery", "text/html")


@contextmanager
def kannel_server(
    *,
    users: Mapping[str, str] | None = None,
    denied: Collection[str] = (),
    clock: Callable[[], datetime] = _utcnow,
    recorder: ProviderRecorder | None = None,
) -> Iterator[FakeServer]:
    """A Kannel smsbox's ``/cgi-bin/sendsms``. ``users``: sendsms username → password (default
    ``FAKE_KANNEL_*``); ``denied``: receivers refused by the gateway's black list (403)."""
    fake = _Kannel(
        recorder or ProviderRecorder(),
        clock,
        users or {FAKE_KANNEL_USER: FAKE_KANNEL_PASSWORD},
        denied,
    )
    with _serve(fake) as server:
        yield server


# --- what the provider would push back -------------------------------------------------------


def _beijing(moment: datetime) -> str:
    return (moment.astimezone(UTC) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def aliyun_report(received: ReceivedSms, *, delivered: bool, at: datetime) -> dict[str, Any]:
    """One ``SmsReport`` item (Aliyun pushes a JSON array of these)."""
    return {
        "phone_number": received.phone,
        "send_time": _beijing(received.at),
        "report_time": _beijing(at),
        "success": delivered,
        "err_code": "DELIVERED" if delivered else "MK:0001",
        "err_msg": "用户接收成功" if delivered else "用户接收失败",
        "sms_size": "1",
        "biz_id": received.provider_message_id,
        "out_id": received.send_key or "",
    }


def tencent_report(received: ReceivedSms, *, delivered: bool, at: datetime) -> dict[str, Any]:
    """One status-callback item (Tencent pushes a JSON array of these)."""
    return {
        "user_receive_time": _beijing(at),
        "nationcode": "86",
        "mobile": received.phone.removeprefix("+86"),
        "report_status": "SUCCESS" if delivered else "FAIL",
        "errmsg": "DELIVRD" if delivered else "UNDELIV",
        "description": "用户短信送达成功" if delivered else "用户短信未送达",
        "sid": received.provider_message_id,
        "ext": received.send_key or "",
    }


def twilio_status_callback(
    received: ReceivedSms, *, status: str = "delivered", auth_token: str = FAKE_TWILIO_TOKEN
) -> tuple[str, dict[str, str], str]:
    """``(url, form, X-Twilio-Signature)`` of the status callback Twilio would POST."""
    url = received.fields.get("StatusCallback", "")
    form = {
        "MessageSid": received.provider_message_id,
        "SmsSid": received.provider_message_id,
        "AccountSid": received.fields.get("AccountSid", ""),
        "From": received.sender,
        "To": received.phone,
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
    }
    if status in {"failed", "undelivered"}:
        form["ErrorCode"] = "30003"  # unreachable destination handset
    return url, form, twilio_signature(url, form, auth_token)


def kannel_dlr_callback(received: ReceivedSms, *, delivered: bool, at: datetime) -> str:
    """The ``dlr-url`` with Kannel's escapes expanded, as the gateway would call it."""
    url = received.fields.get("dlr-url", "")
    stat = "DELIVRD" if delivered else "UNDELIV"
    reply = (
        f"id:1 sub:001 dlvrd:{int(delivered):03d} stat:{stat} err:{'000' if delivered else '001'}"
    )
    escapes = {
        "%d": "1" if delivered else "2",
        "%T": str(int(at.timestamp())),
        "%A": quote(reply, safe=""),
        "%p": quote(received.phone, safe=""),
        "%P": quote(received.sender, safe=""),
    }
    for escape, value in escapes.items():
        url = url.replace(escape, value)
    return url


__all__ = [
    "FAKE_KANNEL_PASSWORD",
    "FAKE_KANNEL_USER",
    "FAKE_KEY_ID",
    "FAKE_KEY_SECRET",
    "FAKE_TENCENT_APP_ID",
    "FAKE_TWILIO_SID",
    "FAKE_TWILIO_TOKEN",
    "FakeServer",
    "Fault",
    "ProviderRecorder",
    "ReceivedSms",
    "aliyun_report",
    "aliyun_server",
    "kannel_dlr_callback",
    "kannel_server",
    "tencent_report",
    "tencent_server",
    "twilio_server",
    "twilio_status_callback",
]
