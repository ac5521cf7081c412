"""The debtor's own page (债务人自助), reached from the link in a reminder or a letter.

Data flow of a visit: ``GET /d/<link>`` → :func:`~huikuan.selfservice.links.read_link_token`
(a forged, altered or expired link gets the same "link not valid" page, 404) → no debtor
session for this case: the sign-in page (type the phone or email on file → a code is sent if
it matches, same answer either way → type the code → a session cookie scoped to ``/d/``) →
the page itself (:func:`~huikuan.selfservice.service.overview`) and its forms, each a POST
with the CSRF token of the anonymous web session, each one transaction through
:mod:`huikuan.selfservice.service`. Money typed in yuan is read exactly into fen. The pages
are plain HTML forms (no script needed), mobile-first, labelled for screen readers.

Staff never sign in here and the debtor never reaches staff pages: the debtor's session is
its own cookie and its own table, valid for one case only.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.cases.work import WorkInputError, parse_yuan
from huikuan.letters.certificate import NotSettledError, settlement_certificate_pdf
from huikuan.org.models import Creditor
from huikuan.org.service import DEFAULT_HOTLINE, hotline_of
from huikuan.payments.service import OrderStarted, PaymentInputError, create_order
from huikuan.payments.trades import ProviderError
from huikuan.quality.service import COMPLAINT_CATEGORIES, DISPUTE_REASONS
from huikuan.selfservice import access, service
from huikuan.selfservice.delivery import DemoInbox, sender_from_settings
from huikuan.selfservice.links import LinkFacts, link_secret, read_link_token
from huikuan.selfservice.offers import Ask
from huikuan.settings import get_settings
from huikuan.web.areas.payhooks import PayConfigDep
from huikuan.web.auth import CurrentPrincipal, ensure_session
from huikuan.web.deps import BUSINESS_TZ, Cipher, Config, DbSession, RowId, WebConfig
from huikuan.web.rendering import PageRefusal, render

router = APIRouter(include_in_schema=False)

COOKIE = "huikuan_debtor"
MAX_UPLOAD = service.MAX_ATTACHMENT


@dataclass(frozen=True, slots=True)
class SelfServiceSetup:
    """What the page needs besides the engine and cipher; tests pass their own."""

    send_code: access.CodeSender
    institution: str = "回款"
    demo_inbox: DemoInbox | None = None


def setup_of(request: Request) -> SelfServiceSetup:
    setup: SelfServiceSetup | None = getattr(request.app.state, "selfservice", None)
    if setup is None:
        sender = sender_from_settings(get_settings())
        setup = SelfServiceSetup(
            send_code=sender, demo_inbox=sender if isinstance(sender, DemoInbox) else None
        )
        request.app.state.selfservice = setup
    return setup


Setup = Annotated[SelfServiceSetup, Depends(setup_of)]
PAY_PROVIDERS = ("alipay", "wechat", "bank_transfer")


def _secret(config: WebConfig) -> bytes:
    return link_secret(config.secret_key)


def _today(config: WebConfig) -> date:
    return config.clock().astimezone(BUSINESS_TZ).date()


def _client(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:45]


def _invalid(request: Request) -> Response:
    return render(request, "debtor/invalid.html", {"hotline": DEFAULT_HOTLINE}, status_code=404)


@dataclass(frozen=True, slots=True)
class Visit:
    link: str
    facts: LinkFacts
    case: Case
    debtor: access.DebtorPrincipal | None
    hotline: str


def _visit(request: Request, session: Session, config: WebConfig, link: str) -> Visit | None:
    ensure_session(request, config)  # the anonymous web session carries the CSRF token
    facts = read_link_token(_secret(config), link, today=_today(config))
    if facts is None:
        return None
    case = session.get(Case, facts.case_id)
    if case is None:
        return None
    debtor = access.current_debtor(
        session, _secret(config), request.cookies.get(COOKIE), case_id=case.id, now=config.now()
    )
    hotline = hotline_of(session.get(Creditor, case.creditor_id))
    return Visit(link, facts, case, debtor, hotline)


def _institution(session: Session, case: Case, setup: SelfServiceSetup) -> str:
    creditor = session.get(Creditor, case.creditor_id)
    return creditor.name if creditor is not None else setup.institution


def _signin(
    request: Request, visit: Visit, *, step: str, error: str | None = None, until: str = ""
) -> Response:
    return render(
        request,
        "debtor/signin.html",
        {
            "link": visit.link,
            "step": step,
            "error": error,
            "until": until,
            "hotline": visit.hotline,
        },
        status_code=429 if error == "locked" else 200,
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(BUSINESS_TZ).strftime("%H:%M")


@router.get("/d/{link}")
def debtor_home(request: Request, link: str, session: DbSession, config: Config) -> Response:
    visit = _visit(request, session, config, link)
    if visit is None:
        return _invalid(request)
    if visit.debtor is None:
        return _signin(request, visit, step="ask")
    view = service.overview(session, visit.debtor, now=config.now())
    return render(request, "debtor/home.html", {"link": link, "v": view})


@router.post("/d/{link}/code")
def debtor_send_code(
    request: Request,
    link: str,
    session: DbSession,
    config: Config,
    cipher: Cipher,
    setup: Setup,
    contact: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    visit = _visit(request, session, config, link)
    if visit is None:
        return _invalid(request)
    try:
        access.request_code(
            session,
            cipher,
            _secret(config),
            case=visit.case,
            typed=contact,
            client=_client(request),
            now=config.now(),
            institution=_institution(session, visit.case, setup),
            language=getattr(request.state, "lang", "zh"),
            send=setup.send_code,
        )
    except access.TooManyAttemptsError as exc:
        return _signin(request, visit, step="ask", error="locked", until=_local(exc.until))
    return _signin(request, visit, step="code")


@router.post("/d/{link}/verify")
def debtor_verify(
    request: Request,
    link: str,
    session: DbSession,
    config: Config,
    code: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    visit = _visit(request, session, config, link)
    if visit is None:
        return _invalid(request)
    try:
        signed = access.verify_code(
            session,
            _secret(config),
            case=visit.case,
            code=code,
            client=_client(request),
            now=config.now(),
        )
    except access.TooManyAttemptsError as exc:
        return _signin(request, visit, step="code", error="locked", until=_local(exc.until))
    except access.CodeRejectedError:
        return _signin(request, visit, step="code", error="wrong_code")
    response = RedirectResponse(f"/d/{link}", status_code=303)
    response.set_cookie(
        COOKIE,
        signed.token,
        max_age=int(access.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=config.secure_cookies,
        path="/d/",
    )
    return response


@router.post("/d/{link}/signout")
def debtor_sign_out(request: Request, link: str, session: DbSession, config: Config) -> Response:
    visit = _visit(request, session, config, link)
    if visit is not None and visit.debtor is not None:
        access.sign_out(session, visit.debtor, config.now())
    response = RedirectResponse(f"/d/{link}", status_code=303)
    response.delete_cookie(COOKIE, path="/d/", httponly=True, samesite="strict")
    return response


@dataclass(frozen=True, slots=True)
class SignedInVisit:
    link: str
    case: Case
    debtor: access.DebtorPrincipal
    hotline: str


def signed_in_visit(
    request: Request, link: str, session: DbSession, config: Config
) -> SignedInVisit:
    """The visit of a signed-in debtor; otherwise the "link not valid" page or the sign-in
    (raised as :class:`PageRefusal`, so nothing the request began is kept)."""
    visit = _visit(request, session, config, link)
    if visit is None:
        raise PageRefusal(_invalid(request))
    if visit.debtor is None:
        raise PageRefusal(RedirectResponse(f"/d/{link}", status_code=303))
    return SignedInVisit(visit.link, visit.case, visit.debtor, visit.hotline)


SignedIn = Annotated[SignedInVisit, Depends(signed_in_visit)]


def _done(request: Request, link: str, result: service.RequestView) -> Response:
    return render(request, "debtor/done.html", {"link": link, "r": result})


# ------------------------------------------------------------------------------- plan


def _plan_page(
    request: Request,
    session: Session,
    visit: SignedInVisit,
    config: WebConfig,
    *,
    form: dict[str, str] | None = None,
    error: service.RequestInputError | None = None,
    preview: Any = None,
    status_code: int = 200,
) -> Response:
    view = service.overview(session, visit.debtor, now=config.now())
    return render(
        request,
        "debtor/plan.html",
        {
            "link": visit.link,
            "v": view,
            "form": form or {},
            "error": error,
            "preview": preview,
            "today": _today(config),
        },
        status_code=status_code,
    )


@router.get("/d/{link}/plan")
def debtor_plan_form(
    request: Request, link: str, visit: SignedIn, session: DbSession, config: Config
) -> Response:
    return _plan_page(request, session, visit, config)


def _read_ask(form: dict[str, str]) -> Ask:
    try:
        months = int(form.get("months") or "0")
    except ValueError:
        raise service.RequestInputError("months", "a whole number", "请填写整数") from None
    try:
        first = date.fromisoformat(form.get("first_due_on", ""))
    except ValueError:
        raise service.RequestInputError("first_due_on", "a date", "请选择日期") from None
    try:
        down = parse_yuan(form.get("down_payment"), "down_payment", required=False) or 0
        amount = parse_yuan(form.get("settlement_amount"), "settlement_amount", required=False) or 0
    except WorkInputError as exc:
        first_error = exc.errors[0]
        raise service.RequestInputError(
            first_error.field, first_error.message, first_error.message_zh
        ) from None
    return Ask(
        kind=form.get("kind", ""),
        months=months,
        first_due_on=first,
        down_payment=down,
        settlement_amount=amount,
    )


@router.post("/d/{link}/plan")
def debtor_plan(
    request: Request,
    link: str,
    visit: SignedIn,
    session: DbSession,
    config: Config,
    kind: Annotated[str, Form(max_length=16)] = "",
    months: Annotated[str, Form(max_length=4)] = "",
    first_due_on: Annotated[str, Form(max_length=12)] = "",
    down_payment: Annotated[str, Form(max_length=20)] = "",
    settlement_amount: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str, Form(max_length=10)] = "preview",
) -> Response:
    form = {
        "kind": kind,
        "months": months,
        "first_due_on": first_due_on,
        "down_payment": down_payment,
        "settlement_amount": settlement_amount,
    }
    try:
        ask = _read_ask(form)
        if action != "submit":
            proposal, breaches = service.preview_plan(
                session, visit.debtor, ask, today=_today(config)
            )
            return _plan_page(
                request, session, visit, config, form=form, preview=(proposal, breaches)
            )
        asked = service.ask_for_plan(
            session, visit.debtor, ask, today=_today(config), now=config.now()
        )
    except service.RequestInputError as exc:
        raise PageRefusal(
            _plan_page(request, session, visit, config, form=form, error=exc, status_code=422)
        ) from None
    return render(request, "debtor/plan_done.html", {"link": link, "asked": asked})


# ------------------------------------------------------------------- dispute, complaint


async def _upload(file: UploadFile | None) -> service.Upload | None:
    if file is None or not file.filename:
        return None
    data = await file.read(MAX_UPLOAD + 1)
    return service.Upload(file.filename, data)


_FILINGS = {
    "dispute": ("debtor/dispute.html", "reasons", DISPUTE_REASONS),
    "complaint": ("debtor/complaint.html", "categories", COMPLAINT_CATEGORIES),
}


def _filing_page(
    request: Request,
    link: str,
    kind: str,
    form: dict[str, str],
    error: service.RequestInputError | None = None,
) -> Response:
    template, name, choices = _FILINGS[kind]
    context = {"link": link, name: choices, "form": form, "error": error}
    return render(request, template, context, status_code=200 if error is None else 422)


@router.get("/d/{link}/dispute")
def debtor_dispute_form(
    request: Request, link: str, visit: SignedIn, session: DbSession, config: Config
) -> Response:
    return _filing_page(request, link, "dispute", {})


@router.post("/d/{link}/dispute")
async def debtor_dispute(
    request: Request,
    link: str,
    visit: SignedIn,
    session: DbSession,
    config: Config,
    cipher: Cipher,
    reason: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    attachment: UploadFile | None = None,
) -> Response:
    upload = await _upload(attachment)
    try:
        result = service.dispute(
            session, visit.debtor, cipher, reason=reason, note=note, upload=upload, now=config.now()
        )
    except service.RequestInputError as exc:
        form = {"reason": reason, "note": note}
        raise PageRefusal(_filing_page(request, link, "dispute", form, exc)) from None
    return _done(request, link, result)


@router.get("/d/{link}/complaint")
def debtor_complaint_form(
    request: Request, link: str, visit: SignedIn, session: DbSession, config: Config
) -> Response:
    return _filing_page(request, link, "complaint", {})


@router.post("/d/{link}/complaint")
async def debtor_complaint(
    request: Request,
    link: str,
    visit: SignedIn,
    session: DbSession,
    config: Config,
    cipher: Cipher,
    category: Annotated[str, Form(max_length=40)] = "",
    summary: Annotated[str, Form(max_length=4000)] = "",
    attachment: UploadFile | None = None,
) -> Response:
    upload = await _upload(attachment)
    try:
        result = service.complain(
            session,
            visit.debtor,
            cipher,
            category=category,
            summary=summary,
            upload=upload,
            now=config.now(),
        )
    except service.RequestInputError as exc:
        form = {"category": category, "summary": summary}
        raise PageRefusal(_filing_page(request, link, "complaint", form, exc)) from None
    return _done(request, link, result)


# ----------------------------------------------------------- contact preferences


def _contact_page(
    request: Request,
    link: str,
    *,
    form: dict[str, Any] | None = None,
    error: service.RequestInputError | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "debtor/contact.html",
        {
            "link": link,
            "weekdays": service.WEEKDAYS,
            "channels": service.OPT_OUT_CHANNELS,
            "form": form or {},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/d/{link}/contact")
def debtor_contact_form(
    request: Request, link: str, visit: SignedIn, session: DbSession, config: Config
) -> Response:
    return _contact_page(request, link)


@router.post("/d/{link}/contact/stop-calls")
def debtor_stop_calls(
    request: Request, link: str, visit: SignedIn, session: DbSession, config: Config
) -> Response:
    return _done(request, link, service.stop_calls(session, visit.debtor, now=config.now()))


@router.post("/d/{link}/contact/opt-out")
def debtor_opt_out(
    request: Request,
    link: str,
    visit: SignedIn,
    session: DbSession,
    config: Config,
    channel: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        result = service.opt_out(session, visit.debtor, channel=channel, now=config.now())
    except service.RequestInputError as exc:
        raise PageRefusal(_contact_page(request, link, error=exc, status_code=422)) from None
    return _done(request, link, result)


@router.post("/d/{link}/contact/times")
def debtor_inconvenient_times(
    request: Request,
    link: str,
    visit: SignedIn,
    session: DbSession,
    config: Config,
    weekdays: Annotated[list[str] | None, Form(max_length=7)] = None,
    start: Annotated[str, Form(max_length=8)] = "",
    end: Annotated[str, Form(max_length=8)] = "",
    until: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    try:
        result = service.inconvenient_time(
            session,
            visit.debtor,
            weekdays=weekdays or [],
            start=start,
            end=end,
            until=until,
            now=config.now(),
        )
    except service.RequestInputError as exc:
        form = {"weekdays": weekdays or [], "start": start, "end": end, "until": until}
        raise PageRefusal(
            _contact_page(request, link, form=form, error=exc, status_code=422)
        ) from None
    return _done(request, link, result)


# ----------------------------------------------------------------------------- pay


def _pay_page(
    request: Request,
    session: Session,
    visit: SignedInVisit,
    config: WebConfig,
    *,
    form: dict[str, str] | None = None,
    error: service.RequestInputError | None = None,
    started: OrderStarted | None = None,
    status_code: int = 200,
) -> Response:
    view = service.overview(session, visit.debtor, now=config.now())
    return render(
        request,
        "debtor/pay.html",
        {
            "link": visit.link,
            "v": view,
            "form": form or {},
            "error": error,
            "started": started,
            "providers": PAY_PROVIDERS,
            "suggested": service.suggested_payment(view, today=_today(config)),
        },
        status_code=status_code,
    )


@router.get("/d/{link}/pay")
def debtor_pay_form(
    request: Request, link: str, visit: SignedIn, session: DbSession, config: Config
) -> Response:
    return _pay_page(request, session, visit, config)


@router.post("/d/{link}/pay")
def debtor_pay(
    request: Request,
    link: str,
    visit: SignedIn,
    session: DbSession,
    config: Config,
    pay: PayConfigDep,
    amount: Annotated[str, Form(max_length=20)] = "",
    provider: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    form = {"amount": amount, "provider": provider}
    try:
        try:
            fen = parse_yuan(amount, "amount")
        except WorkInputError as exc:
            first = exc.errors[0]
            raise service.RequestInputError("amount", first.message, first.message_zh) from None
        assert fen is not None
        try:
            started = create_order(
                session,
                case_id=visit.case.id,
                amount=fen,
                provider=provider,
                now=config.now(),
                actor=visit.debtor.actor,
                payer_ip=_client(request),
                config=pay,
                return_url=str(request.url_for("debtor_home", link=link)),
            )
        except PaymentInputError as exc:
            raise service.RequestInputError(exc.field, exc.reason, exc.reason) from None
        except ProviderError:
            raise service.RequestInputError(
                "provider",
                "the payment service cannot be reached; please try again shortly",
                "支付服务暂时无法连接，请稍后再试",
            ) from None
    except service.RequestInputError as exc:
        raise PageRefusal(
            _pay_page(request, session, visit, config, form=form, error=exc, status_code=422)
        ) from None
    # A page with a link, not a redirect: the app's CSP keeps forms posting to itself only
    # (form-action 'self', which browsers apply to a form's redirects too).
    return _pay_page(request, session, visit, config, form=form, started=started)


# ------------------------------------------------------------ settlement certificate


def certificate_secret(config: WebConfig) -> bytes:
    """The key of the certificates' verification codes, derived from the app's secret."""
    return hmac.new(
        config.secret_key.encode(), b"huikuan settlement certificates v1", hashlib.sha256
    ).digest()


@router.get("/d/{link}/certificate.pdf")
def debtor_certificate(
    request: Request, link: str, visit: SignedIn, session: DbSession, config: Config, cipher: Cipher
) -> Response:
    lang: Literal["zh", "en"] = "en" if getattr(request.state, "lang", "zh") == "en" else "zh"
    try:
        pdf = settlement_certificate_pdf(
            session,
            cipher,
            visit.case.id,
            secret=certificate_secret(config),
            issued_on=_today(config),
            language=lang,
        )
    except NotSettledError:
        return RedirectResponse(f"/d/{link}", status_code=303)
    record(
        session,
        at=config.now(),
        actor=visit.debtor.actor,
        action="debtor.certificate_downloaded",
        entity="case",
        entity_id=visit.case.id,
        detail={},
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="settlement-{visit.case.case_no}.pdf"'
        },
    )


# ------------------------------------------------------- staff: the debtor's files


@router.get("/staff/attachments/{attachment_id}")
def staff_attachment(
    attachment_id: RowId,
    principal: CurrentPrincipal,
    session: DbSession,
    config: Config,
    cipher: Cipher,
) -> Response:
    """A debtor's attachment for QA, legal, team leads and managers (scope-checked, audited)."""
    info, data = service.read_attachment(session, principal, cipher, attachment_id, at=config.now())
    return Response(
        data,
        media_type=info.content_type,
        headers={"Content-Disposition": f'attachment; filename="{info.filename}"'},
    )


# --------------------------------------------------------------------- demo inbox


@router.get("/d-inbox")
def demo_inbox(request: Request, setup: Setup) -> Response:
    """The demo's stand-in for the debtors' phones (only with ``--demo-users``)."""
    if setup.demo_inbox is None:
        return render(request, "debtor/invalid.html", {"hotline": DEFAULT_HOTLINE}, status_code=404)
    return render(request, "debtor/inbox.html", {"messages": setup.demo_inbox.messages()})


ZH: dict[str, str] = {
    "debtor.title": "我的欠款",
    "debtor.skip": "跳到正文",
    "debtor.footer": "本页面由催收机构提供，仅显示您本人的这笔欠款。请勿将链接或验证码告诉他人。",
    "debtor.invalid.title": "链接无效或已过期",
    "debtor.invalid.body": "请使用最近一次短信、邮件或信函中的链接，或致电客服。",
    "debtor.hotline": "客服电话",
    "debtor.case_no": "案件号",
    "debtor.signin.title": "验证身份",
    "debtor.signin.intro": (
        "为保护您的信息，请输入我们登记的您本人的手机号或邮箱，我们会发送一次性验证码。"
    ),
    "debtor.signin.contact": "手机号或邮箱",
    "debtor.signin.contact_help": "例如 13800138000 或 name@example.com",
    "debtor.signin.send": "发送验证码",
    "debtor.signin.sent": (
        "如果您输入的号码或邮箱与这笔欠款登记的一致，验证码已发送，10 分钟内有效。"
    ),
    "debtor.signin.code": "验证码（6 位数字）",
    "debtor.signin.enter": "进入",
    "debtor.signin.again": "重新获取验证码",
    "debtor.signin.wrong_code": "验证码不正确或已失效，请重试或重新获取。",
    "debtor.signin.locked": "尝试次数过多，请稍后再试，可再次尝试的时间：",
    "debtor.signin.privacy": (
        "我们不会通过本页面向任何人透露您的信息；页面只显示与本链接对应的欠款。"
    ),
    "debtor.home.title": "我的欠款",
    "debtor.home.owed": "当前应还总额",
    "debtor.home.as_of": "计算截至",
    "debtor.home.breakdown": "欠款构成",
    "debtor.principal": "本金",
    "debtor.interest": "利息",
    "debtor.penalty": "罚息",
    "debtor.fee": "费用",
    "debtor.home.settled": "这笔欠款已结清。",
    "debtor.home.certificate": "下载结清证明（PDF）",
    "debtor.home.pay": "立即还款",
    "debtor.home.actions": "我可以",
    "debtor.home.plan": "申请分期或协商结清",
    "debtor.home.dispute": "对欠款有异议",
    "debtor.home.contact": "联系方式与时间",
    "debtor.home.complaint": "投诉催收人员",
    "debtor.home.your_plan": "我的还款方案",
    "debtor.home.how": "金额是怎样计算的",
    "debtor.home.accounts": "账户明细",
    "debtor.home.payments": "还款记录",
    "debtor.home.no_payments": "暂无还款记录。",
    "debtor.home.requests": "我的申请与进度",
    "debtor.home.no_requests": "暂无申请。",
    "debtor.home.who": "债权人与催收机构",
    "debtor.home.designations": "我对联系方式的要求（已生效）",
    "debtor.account": "账户",
    "debtor.product": "产品",
    "debtor.dpd": "逾期天数",
    "debtor.amount": "金额",
    "debtor.date": "日期",
    "debtor.channel": "方式",
    "debtor.due_on": "还款日",
    "debtor.creditor": "债权人（委托方）",
    "debtor.agency": "催收机构",
    "debtor.signout": "退出",
    "debtor.back": "返回",
    "debtor.reference": "受理编号",
    "debtor.kind.instalment": "分期还款",
    "debtor.kind.settlement": "协商结清",
    "debtor.kind.waiver": "减免",
    "debtor.kind.dispute": "欠款异议",
    "debtor.kind.complaint": "投诉",
    "debtor.kind.stop_calls": "停止电话联系",
    "debtor.kind.opt_out": "退订渠道",
    "debtor.kind.inconvenient_time": "不便联系时间",
    "debtor.status.approved": "已生效",
    "debtor.status.proposed": "待审批",
    "debtor.status.rejected": "未通过",
    "debtor.status.active": "执行中",
    "debtor.status.completed": "已完成",
    "debtor.status.broken": "已违约",
    "debtor.status.in_force": "已生效",
    "debtor.status.in_review": "处理中",
    "debtor.status.dispute_open": "核查中（暂停催收）",
    "debtor.status.dispute_upheld": "异议成立",
    "debtor.status.dispute_rejected": "异议不成立",
    "debtor.status.complaint_open": "已受理",
    "debtor.status.complaint_acknowledged": "处理中",
    "debtor.status.complaint_resolved": "已办结",
    "debtor.status.complaint_escalated": "已升级处理",
    "debtor.plan.title": "申请分期或协商结清",
    "debtor.plan.rules": "债权人公布的自助方案规则",
    "debtor.plan.rule_months": "自助分期最多期数：",
    "debtor.plan.rule_monthly": "每期最低金额：",
    "debtor.plan.rule_first": "首期还款日须在多少天内：",
    "debtor.plan.rule_settle": "一次性协商结清最低金额：",
    "debtor.plan.outside": (
        "在规则内的申请立即生效；超出规则的申请将提交人工审批，结果会显示在“我的申请与进度”中。"
    ),
    "debtor.plan.kind": "方案类型",
    "debtor.plan.settle_help": "仅协商结清时填写（元）。",
    "debtor.plan.preview": "试算",
    "debtor.plan.submit": "提交申请",
    "debtor.plan.schedule": "还款计划",
    "debtor.plan.needs_approval": "该方案超出自助规则，提交后需人工审批：",
    "debtor.plan.within": "该方案在自助规则内，提交后立即生效。",
    "debtor.plan.total": "应还合计",
    "debtor.plan.waived": "减免",
    "debtor.plan.agreed": "方案已生效",
    "debtor.plan.sent": "已提交审批",
    "debtor.field.kind": "方案类型",
    "debtor.field.months": "期数",
    "debtor.field.first_due_on": "首期还款日",
    "debtor.field.down_payment": "首付金额（元，可不填）",
    "debtor.field.settlement_amount": "协商结清金额（元）",
    "debtor.field.custom_amounts": "金额",
    "debtor.field.reason": "异议原因",
    "debtor.field.note": "说明",
    "debtor.field.attachment": "附件（可选）",
    "debtor.field.category": "投诉类别",
    "debtor.field.summary": "投诉内容",
    "debtor.field.weekdays": "哪几天",
    "debtor.field.start": "开始时间",
    "debtor.field.end": "结束时间",
    "debtor.field.until": "截止日期（可不填）",
    "debtor.field.channel": "渠道",
    "debtor.field.evidence_note": "说明",
    "debtor.field.received_at": "时间",
    "debtor.attachment_help": "支持 PDF、图片（JPEG/PNG）或录音（MP3/M4A/WAV/AMR），不超过 5 MB。",
    "debtor.dispute.title": "对欠款有异议",
    "debtor.dispute.intro": "提交后，我们将立即暂停对这笔欠款的催收联系，直到核查完成。",
    "debtor.dispute.submit": "提交异议",
    "debtor.complaint.title": "投诉催收人员",
    "debtor.complaint.intro": (
        "如催收人员有威胁、辱骂、欺骗、骚扰等行为，请告诉我们。"
        "涉及催收人员言行的投诉提交后，催收联系将暂停，直至处理完毕。"
    ),
    "debtor.complaint.submit": "提交投诉",
    "debtor.contact.title": "联系方式与时间",
    "debtor.contact.stop_calls": "不要再给我打电话",
    "debtor.contact.stop_calls_help": (
        "提交后立即生效，我们不再以电话方式联系您；短信、邮件等书面方式不受影响。"
    ),
    "debtor.contact.stop_calls_button": "停止电话联系",
    "debtor.contact.times": "设置不便联系的时间",
    "debtor.contact.all_day": "开始和结束时间都不填表示全天。",
    "debtor.contact.times_button": "保存不便联系时间",
    "debtor.contact.opt_out": "退订某个渠道",
    "debtor.contact.opt_out_button": "退订",
    "debtor.contact.opt_out_help": "退订立即生效，尚未发出的该渠道消息将被撤回。",
    "debtor.channel.sms": "短信",
    "debtor.channel.email": "邮件",
    "debtor.channel.letter": "信函",
    "debtor.channel.phone": "电话",
    "debtor.day.MON": "周一",
    "debtor.day.TUE": "周二",
    "debtor.day.WED": "周三",
    "debtor.day.THU": "周四",
    "debtor.day.FRI": "周五",
    "debtor.day.SAT": "周六",
    "debtor.day.SUN": "周日",
    "debtor.done.title": "已收到您的申请",
    "debtor.done.effect.dispute": "催收联系已暂停，核查结果将显示在本页面。",
    "debtor.done.effect.complaint": "我们将在规定时限内处理并答复。",
    "debtor.done.effect.stop_calls": "已生效：我们不会再以电话方式联系您。",
    "debtor.done.effect.opt_out": "已生效：该渠道不会再向您发送消息。",
    "debtor.done.effect.inconvenient_time": "已生效：我们不会在您设置的时间联系您。",
    "debtor.done.effect.instalment": "",
    "debtor.done.effect.settlement": "",
    "debtor.inbox.title": "演示收件箱",
    "debtor.inbox.intro": (
        "仅用于演示：这里代替债务人的手机和邮箱，显示发出的验证码。生产环境中不存在此页面。"
    ),
    "debtor.inbox.empty": "暂无消息。",
    "debtor.pay.title": "还款",
    "debtor.pay.amount": "还款金额（元）",
    "debtor.pay.method": "支付方式",
    "debtor.pay.alipay": "支付宝",
    "debtor.pay.wechat": "微信支付",
    "debtor.pay.bank_transfer": "银行转账",
    "debtor.pay.submit": "去支付",
    "debtor.pay.go_title": "订单已生成",
    "debtor.pay.go": "前往付款",
    "debtor.pay.bank_title": "银行转账信息",
    "debtor.pay.bank_reference": "转账附言（请务必填写）",
    "debtor.pay.bank_help": "请在转账附言中填写上述编号，到账后将自动入账。",
    "debtor.pay.returned": "支付结果以支付平台通知为准，入账后将显示在还款记录中。",
    "debtor.field.amount": "还款金额",
    "debtor.field.provider": "支付方式",
    "debtor.field.account_id": "账户",
}
EN: dict[str, str] = {
    "debtor.title": "My debt",
    "debtor.skip": "Skip to content",
    "debtor.footer": (
        "This page is provided by the collection agency and shows only your "
        "own debt. Never share the link or a code."
    ),
    "debtor.invalid.title": "This link is not valid or has expired",
    "debtor.invalid.body": "Please use the link in your latest text, email or letter, or call us.",
    "debtor.hotline": "Hotline",
    "debtor.case_no": "Case",
    "debtor.signin.title": "Confirm it is you",
    "debtor.signin.intro": (
        "To protect your information, type your own mobile number or email we "
        "have on file and we will send a one-time code."
    ),
    "debtor.signin.contact": "Mobile number or email",
    "debtor.signin.contact_help": "For example 13800138000 or name@example.com",
    "debtor.signin.send": "Send code",
    "debtor.signin.sent": (
        "If what you typed matches what we have on file for this debt, a code "
        "is on its way. It is valid for 10 minutes."
    ),
    "debtor.signin.code": "Code (6 digits)",
    "debtor.signin.enter": "Continue",
    "debtor.signin.again": "Get a new code",
    "debtor.signin.wrong_code": (
        "That code is wrong or no longer valid. Try again or get a new one."
    ),
    "debtor.signin.locked": "Too many attempts. You can try again after",
    "debtor.signin.privacy": (
        "This page never tells anyone about you; it shows only the debt this link is for."
    ),
    "debtor.home.title": "My debt",
    "debtor.home.owed": "Total owed now",
    "debtor.home.as_of": "Computed up to",
    "debtor.home.breakdown": "What it is made of",
    "debtor.principal": "Principal",
    "debtor.interest": "Interest",
    "debtor.penalty": "Penalty interest",
    "debtor.fee": "Fees",
    "debtor.home.settled": "This debt is settled.",
    "debtor.home.certificate": "Download the settlement certificate (PDF)",
    "debtor.home.pay": "Pay now",
    "debtor.home.actions": "I can",
    "debtor.home.plan": "Ask for a plan or a settlement",
    "debtor.home.dispute": "Dispute the debt",
    "debtor.home.contact": "How and when to contact me",
    "debtor.home.complaint": "Complain about a collector",
    "debtor.home.your_plan": "My payment plan",
    "debtor.home.how": "How the amount was computed",
    "debtor.home.accounts": "Accounts",
    "debtor.home.payments": "Payments",
    "debtor.home.no_payments": "No payments yet.",
    "debtor.home.requests": "My requests and their status",
    "debtor.home.no_requests": "No requests yet.",
    "debtor.home.who": "Creditor and collection agency",
    "debtor.home.designations": "My contact wishes in force",
    "debtor.account": "Account",
    "debtor.product": "Product",
    "debtor.dpd": "Days past due",
    "debtor.amount": "Amount",
    "debtor.date": "Date",
    "debtor.channel": "Channel",
    "debtor.due_on": "Due on",
    "debtor.creditor": "Creditor",
    "debtor.agency": "Collection agency",
    "debtor.signout": "Sign out",
    "debtor.back": "Back",
    "debtor.reference": "Reference",
    "debtor.kind.instalment": "Instalment plan",
    "debtor.kind.settlement": "Settlement",
    "debtor.kind.waiver": "Waiver",
    "debtor.kind.dispute": "Dispute",
    "debtor.kind.complaint": "Complaint",
    "debtor.kind.stop_calls": "Stop calls",
    "debtor.kind.opt_out": "Channel opt-out",
    "debtor.kind.inconvenient_time": "Inconvenient times",
    "debtor.status.approved": "In force",
    "debtor.status.proposed": "Waiting for approval",
    "debtor.status.rejected": "Not approved",
    "debtor.status.active": "Running",
    "debtor.status.completed": "Completed",
    "debtor.status.broken": "Broken",
    "debtor.status.in_force": "In force",
    "debtor.status.in_review": "In review",
    "debtor.status.dispute_open": "Being checked (collection paused)",
    "debtor.status.dispute_upheld": "Upheld",
    "debtor.status.dispute_rejected": "Not upheld",
    "debtor.status.complaint_open": "Received",
    "debtor.status.complaint_acknowledged": "Being handled",
    "debtor.status.complaint_resolved": "Resolved",
    "debtor.status.complaint_escalated": "Escalated",
    "debtor.plan.title": "Ask for a plan or a settlement",
    "debtor.plan.rules": "The creditor's published self-service rules",
    "debtor.plan.rule_months": "Most months for a self-service plan:",
    "debtor.plan.rule_monthly": "Least per month:",
    "debtor.plan.rule_first": "First payment within (days):",
    "debtor.plan.rule_settle": "Lowest one-off settlement:",
    "debtor.plan.outside": (
        "A request within the rules takes effect at once; one outside them "
        "goes to a person for approval, and the answer shows under My requests."
    ),
    "debtor.plan.kind": "Kind",
    "debtor.plan.settle_help": "Settlements only (yuan).",
    "debtor.plan.preview": "Calculate",
    "debtor.plan.submit": "Send request",
    "debtor.plan.schedule": "Schedule",
    "debtor.plan.needs_approval": "This goes beyond the self-service rules and needs approval:",
    "debtor.plan.within": "This is within the self-service rules and takes effect when sent.",
    "debtor.plan.total": "Total to pay",
    "debtor.plan.waived": "Waived",
    "debtor.plan.agreed": "Your plan is in force",
    "debtor.plan.sent": "Sent for approval",
    "debtor.field.kind": "Kind",
    "debtor.field.months": "Months",
    "debtor.field.first_due_on": "First payment on",
    "debtor.field.down_payment": "Down payment (yuan, optional)",
    "debtor.field.settlement_amount": "Settlement amount (yuan)",
    "debtor.field.custom_amounts": "Amounts",
    "debtor.field.reason": "Reason",
    "debtor.field.note": "Details",
    "debtor.field.attachment": "Attachment (optional)",
    "debtor.field.category": "What it is about",
    "debtor.field.summary": "What happened",
    "debtor.field.weekdays": "Days",
    "debtor.field.start": "From",
    "debtor.field.end": "To",
    "debtor.field.until": "Until (optional)",
    "debtor.field.channel": "Channel",
    "debtor.field.evidence_note": "Details",
    "debtor.field.received_at": "Time",
    "debtor.attachment_help": (
        "PDF, a picture (JPEG/PNG) or a recording (MP3/M4A/WAV/AMR), at most 5 MB."
    ),
    "debtor.dispute.title": "Dispute the debt",
    "debtor.dispute.intro": (
        "Once you send it, we stop collection contacts on this debt until it has been checked."
    ),
    "debtor.dispute.submit": "Send dispute",
    "debtor.complaint.title": "Complain about a collector",
    "debtor.complaint.intro": (
        "Tell us if a collector threatened, insulted, deceived or harassed you."
        " A complaint about a collector's conduct pauses collection contacts "
        "until it is handled."
    ),
    "debtor.complaint.submit": "Send complaint",
    "debtor.contact.title": "How and when to contact me",
    "debtor.contact.stop_calls": "Stop calling me",
    "debtor.contact.stop_calls_help": (
        "Takes effect at once: no more phone calls. Texts, emails and letters are not affected."
    ),
    "debtor.contact.stop_calls_button": "Stop calls",
    "debtor.contact.times": "Times that are inconvenient",
    "debtor.contact.all_day": "Leave both times empty for the whole day.",
    "debtor.contact.times_button": "Save inconvenient times",
    "debtor.contact.opt_out": "Opt out of a channel",
    "debtor.contact.opt_out_button": "Opt out",
    "debtor.contact.opt_out_help": (
        "Takes effect at once; messages on that channel not yet sent are withdrawn."
    ),
    "debtor.channel.sms": "Text messages",
    "debtor.channel.email": "Email",
    "debtor.channel.letter": "Letters",
    "debtor.channel.phone": "Phone calls",
    "debtor.day.MON": "Mon",
    "debtor.day.TUE": "Tue",
    "debtor.day.WED": "Wed",
    "debtor.day.THU": "Thu",
    "debtor.day.FRI": "Fri",
    "debtor.day.SAT": "Sat",
    "debtor.day.SUN": "Sun",
    "debtor.done.title": "We have your request",
    "debtor.done.effect.dispute": (
        "Collection contacts are paused; the outcome will show on this page."
    ),
    "debtor.done.effect.complaint": "We will handle it and answer within the time limits.",
    "debtor.done.effect.stop_calls": "In force: we will not phone you.",
    "debtor.done.effect.opt_out": "In force: nothing more will be sent to you that way.",
    "debtor.done.effect.inconvenient_time": "In force: we will not contact you at those times.",
    "debtor.done.effect.instalment": "",
    "debtor.done.effect.settlement": "",
    "debtor.inbox.title": "Demo inbox",
    "debtor.inbox.intro": (
        "Demo only: this stands in for the debtors' phones and mailboxes and "
        "shows the codes sent. It does not exist in production."
    ),
    "debtor.inbox.empty": "No messages yet.",
    "debtor.pay.title": "Pay",
    "debtor.pay.amount": "Amount (yuan)",
    "debtor.pay.method": "How to pay",
    "debtor.pay.alipay": "Alipay",
    "debtor.pay.wechat": "WeChat Pay",
    "debtor.pay.bank_transfer": "Bank transfer",
    "debtor.pay.submit": "Continue to payment",
    "debtor.pay.go_title": "Your order is ready",
    "debtor.pay.go": "Go to the payment page",
    "debtor.pay.bank_title": "Bank transfer details",
    "debtor.pay.bank_reference": "Transfer reference (required)",
    "debtor.pay.bank_help": (
        "Write this reference on the transfer; it is posted automatically when it arrives."
    ),
    "debtor.pay.returned": (
        "The payment counts once the provider confirms it; it then shows under Payments."
    ),
    "debtor.field.amount": "Amount",
    "debtor.field.provider": "How to pay",
    "debtor.field.account_id": "Account",
}
