"""Languages of the web app: Simplified Chinese by default, English on request.

Data flow: each request picks its language once (:func:`choose_language`: the ``lang`` cookie
set by the switcher, else the first supported Accept-Language entry, else Chinese) → the
middleware stores it on ``request.state.lang`` → templates call ``_("key")`` and route code
calls :func:`translate`.

The catalogues are plain Python dicts, one per language, in this one module. That is the
simpler robust choice for now: there is no compile step that a deployment could forget (Babel's
``.po`` → ``.mo``), mypy and a test see every key, and a missing key fails a test instead of
silently showing the key. When translators outside the team need to work on the text, the
dicts convert one-to-one to ``.po`` files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from types import MappingProxyType

from huikuan.calls.dispositions import DISPOSITIONS

DEFAULT_LANGUAGE = "zh"
LANGUAGES: tuple[str, ...] = ("zh", "en")
LANGUAGE_COOKIE = "lang"

_ZH: dict[str, str] = {
    "code.kind.mobile": "手机",
    "code.kind.email": "邮箱",
    "code.kind.address": "地址",
    "code.kind.landline": "固话",
    "code.kind.im": "即时通讯",
    "code.owner.self": "本人",
    "code.owner.emergency": "紧急联系人",
    "code.owner.spouse": "配偶",
    "code.owner.relative": "亲属",
    "code.owner.colleague": "同事",
    "code.owner.friend": "朋友",
    "code.owner.third_party": "第三方",
    "code.point_status.unverified": "未核实",
    "code.point_status.verified": "已核实",
    "code.point_status.invalid": "无效",
    "code.promise.pending": "待兑现",
    "code.promise.kept": "已兑现",
    "code.promise.broken": "已跳票",
    "code.plan_kind.instalment": "分期",
    "code.plan_kind.settlement": "协商结清",
    "code.plan_kind.waiver": "减免",
    "code.plan_status.proposed": "待审批",
    "code.plan_status.approved": "已批准",
    "code.plan_status.rejected": "已驳回",
    "code.plan_status.active": "执行中",
    "code.plan_status.broken": "已违约",
    "code.plan_status.completed": "已完成",
    "app.name": "回款 催收工作台",
    "nav.queue": "工作队列",
    "nav.cases": "案件",
    "nav.api_docs": "API 文档",
    "nav.signed_in_as": "当前用户",
    "nav.logout": "退出登录",
    "nav.language": "语言",
    "login.title": "登录",
    "login.username": "用户名",
    "login.password": "密码",
    "login.submit": "登录",
    "login.failed": "用户名或密码错误。",
    "login.throttled": "登录失败次数过多，请 15 分钟后再试。",
    "login.expired": "会话已过期，请重新登录。",
    "queue.title": "我的工作队列",
    "queue.empty": "队列中没有案件。",
    "queue.case_no": "案件号",
    "queue.debtor": "债务人",
    "queue.mobile": "手机",
    "queue.dpd": "逾期天数",
    "queue.bucket": "账龄",
    "queue.balance": "余额（元）",
    "queue.state": "状态",
    "queue.ptp_today": "今日承诺",
    "queue.creditor": "委托方",
    "queue.more": "加载更多",
    "queue.open": "打开",
    "case.title": "案件",
    "case.debtor": "债务人",
    "case.name": "姓名",
    "case.id_number": "身份证号",
    "case.region": "地区",
    "case.contacts": "联系方式",
    "case.kind": "类型",
    "case.owner": "归属",
    "case.value": "号码 / 地址",
    "case.status": "状态",
    "case.reveal": "查看完整信息",
    "case.reveal_note": "查看完整信息会记入审计日志。",
    "case.accounts": "账户",
    "case.account_no": "账号",
    "case.product": "产品",
    "case.principal": "本金",
    "case.interest": "利息",
    "case.penalty": "罚息",
    "case.fee": "费用",
    "case.total": "合计",
    "case.payments": "还款记录",
    "case.received_on": "到账日期",
    "case.amount": "金额（元）",
    "case.channel": "渠道",
    "case.reference": "流水号",
    "case.timeline": "联系记录",
    "case.designations": "债务人的联系要求（生效中）",
    "case.at": "时间",
    "case.party": "对象",
    "case.outcome": "结果",
    "case.decision": "合规结论",
    "case.reasons": "原因",
    "case.next_allowed": "下次允许",
    "case.promises": "承诺还款",
    "case.promised_on": "承诺日期",
    "case.created_on": "登记日期",
    "case.plans": "分期 / 协商方案",
    "case.plan_kind": "类型",
    "case.proposed_by": "发起人",
    "case.approved_by": "审批人",
    "case.none": "暂无记录",
    "case.placement_end": "委案到期",
    "case.agent": "坐席",
    "decision.allowed": "允许",
    "decision.blocked": "禁止",
    "decision.deferred": "延后",
    "error.403.title": "无权访问",
    "error.403.body": "您没有权限执行此操作。",
    "error.404.title": "未找到",
    "error.404.body": "页面或案件不存在，或不在您的权限范围内。",
    "error.500.title": "系统错误",
    "error.500.body": "系统出现错误，已记录。请稍后再试。",
    "error.csrf": "表单已失效，请刷新页面后重试。",
    "error.back": "返回首页",
    "home.title": "首页",
    "home.welcome": "欢迎使用回款。您的角色对应的页面正在建设中。",
    "role.agent": "坐席",
    "role.team_lead": "组长",
    "role.qa": "质检 / 合规",
    "role.legal": "法务",
    "role.manager": "经理",
    "role.admin": "管理员",
    "role.creditor_client": "委托方",
    "state.new": "入催",
    "state.active": "在催",
    "state.promised": "承诺",
    "state.in_plan": "分期中",
    "state.on_hold": "停催",
    "state.legal": "法催",
    "state.settled": "结清",
    "state.recalled": "撤案",
    "state.written_off": "核销",
}

_EN: dict[str, str] = {
    "code.kind.mobile": "Mobile",
    "code.kind.email": "Email",
    "code.kind.address": "Address",
    "code.kind.landline": "Landline",
    "code.kind.im": "Messaging",
    "code.owner.self": "Debtor",
    "code.owner.emergency": "Emergency contact",
    "code.owner.spouse": "Spouse",
    "code.owner.relative": "Relative",
    "code.owner.colleague": "Colleague",
    "code.owner.friend": "Friend",
    "code.owner.third_party": "Third party",
    "code.point_status.unverified": "Unverified",
    "code.point_status.verified": "Verified",
    "code.point_status.invalid": "Invalid",
    "code.promise.pending": "Pending",
    "code.promise.kept": "Kept",
    "code.promise.broken": "Broken",
    "code.plan_kind.instalment": "Instalments",
    "code.plan_kind.settlement": "Settlement",
    "code.plan_kind.waiver": "Waiver",
    "code.plan_status.proposed": "Awaiting approval",
    "code.plan_status.approved": "Approved",
    "code.plan_status.rejected": "Rejected",
    "code.plan_status.active": "Active",
    "code.plan_status.broken": "Broken",
    "code.plan_status.completed": "Completed",
    "app.name": "Huikuan collections workbench",
    "nav.queue": "Work queue",
    "nav.cases": "Cases",
    "nav.api_docs": "API docs",
    "nav.signed_in_as": "Signed in as",
    "nav.logout": "Sign out",
    "nav.language": "Language",
    "login.title": "Sign in",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Sign in",
    "login.failed": "Wrong username or password.",
    "login.throttled": "Too many failed sign-ins. Try again in 15 minutes.",
    "login.expired": "Your session has expired. Please sign in again.",
    "queue.title": "My work queue",
    "queue.empty": "No cases in your queue.",
    "queue.case_no": "Case",
    "queue.debtor": "Debtor",
    "queue.mobile": "Mobile",
    "queue.dpd": "DPD",
    "queue.bucket": "Bucket",
    "queue.balance": "Balance (CNY)",
    "queue.state": "State",
    "queue.ptp_today": "PTP today",
    "queue.creditor": "Creditor",
    "queue.more": "Load more",
    "queue.open": "Open",
    "case.title": "Case",
    "case.debtor": "Debtor",
    "case.name": "Name",
    "case.id_number": "ID number",
    "case.region": "Region",
    "case.contacts": "Contact points",
    "case.kind": "Kind",
    "case.owner": "Whose",
    "case.value": "Number / address",
    "case.status": "Status",
    "case.reveal": "Show in full",
    "case.reveal_note": "Showing personal data in full is recorded in the audit log.",
    "case.accounts": "Accounts",
    "case.account_no": "Account",
    "case.product": "Product",
    "case.principal": "Principal",
    "case.interest": "Interest",
    "case.penalty": "Penalty",
    "case.fee": "Fees",
    "case.total": "Total",
    "case.payments": "Payments",
    "case.received_on": "Received",
    "case.amount": "Amount (CNY)",
    "case.channel": "Channel",
    "case.reference": "Reference",
    "case.timeline": "Contact timeline",
    "case.designations": "The debtor's contact wishes in force",
    "case.at": "When",
    "case.party": "Party",
    "case.outcome": "Outcome",
    "case.decision": "Compliance verdict",
    "case.reasons": "Reasons",
    "case.next_allowed": "Next allowed",
    "case.promises": "Promises to pay",
    "case.promised_on": "Promised for",
    "case.created_on": "Recorded",
    "case.plans": "Plans and settlements",
    "case.plan_kind": "Kind",
    "case.proposed_by": "Proposed by",
    "case.approved_by": "Approved by",
    "case.none": "Nothing yet",
    "case.placement_end": "Placement ends",
    "case.agent": "Agent",
    "decision.allowed": "Allowed",
    "decision.blocked": "Blocked",
    "decision.deferred": "Deferred",
    "error.403.title": "Not allowed",
    "error.403.body": "You are not allowed to do this.",
    "error.404.title": "Not found",
    "error.404.body": "The page or case does not exist, or is outside what you may see.",
    "error.500.title": "Something went wrong",
    "error.500.body": "Something went wrong on our side; it has been logged. Try again later.",
    "error.csrf": "This form has expired. Reload the page and try again.",
    "error.back": "Back to the start page",
    "home.title": "Home",
    "home.welcome": "Welcome to Huikuan. The pages for your role are being built.",
    "role.agent": "Agent",
    "role.team_lead": "Team lead",
    "role.qa": "QA / compliance",
    "role.legal": "Legal",
    "role.manager": "Manager",
    "role.admin": "Administrator",
    "role.creditor_client": "Creditor client",
    "state.new": "New",
    "state.active": "Active",
    "state.promised": "Promised",
    "state.in_plan": "In plan",
    "state.on_hold": "On hold",
    "state.legal": "Legal",
    "state.settled": "Settled",
    "state.recalled": "Recalled",
    "state.written_off": "Written off",
}


def _disposition_names(language: str) -> dict[str, str]:
    """``code.disposition.<code>``: the call dispositions' own names (one definition)."""
    return {
        f"code.disposition.{code.value}": entry.label(language)
        for code, entry in DISPOSITIONS.items()
    }


def _with_areas(base: dict[str, str], language: str) -> Mapping[str, str]:
    """The core catalogue plus every workbench area's entries (:mod:`huikuan.web.areas`)."""
    from huikuan.web.areas import catalogue

    extra = catalogue(language)
    clash = set(extra) & set(base)
    if clash:
        raise ValueError(f"area catalogue keys clash with the core catalogue: {sorted(clash)}")
    return MappingProxyType(base | extra)


class _Catalogues(Mapping[str, Mapping[str, str]]):
    """Built on first use: area modules import this module, so they cannot be read at import."""

    @cached_property
    def _built(self) -> dict[str, Mapping[str, str]]:
        return {
            "zh": _with_areas(_ZH | _disposition_names("zh"), "zh"),
            "en": _with_areas(_EN | _disposition_names("en"), "en"),
        }

    def __getitem__(self, language: str) -> Mapping[str, str]:
        return self._built[language]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built)

    def __len__(self) -> int:
        return len(self._built)


CATALOGUES: Mapping[str, Mapping[str, str]] = _Catalogues()

# The <html lang> value of each language.
HTML_LANG: Mapping[str, str] = MappingProxyType({"zh": "zh-CN", "en": "en"})


def translate(lang: str, key: str) -> str:
    """The text of ``key`` in ``lang``; the key itself if missing (a test keeps that from
    happening for the shipped catalogues)."""
    catalogue = CATALOGUES.get(lang, CATALOGUES[DEFAULT_LANGUAGE])
    return catalogue.get(key, key)


def translate_code(lang: str, group: str, value: str | None) -> str:
    """A stored code's name (``code.<group>.<value>``), or the code itself when it has none."""
    if value is None:
        return ""
    catalogue = CATALOGUES.get(lang, CATALOGUES[DEFAULT_LANGUAGE])
    return catalogue.get(f"code.{group}.{value}", value)


def parse_accept_language(header: str | None) -> str | None:
    """The best supported language of an Accept-Language header, honouring q-values.

    >>> parse_accept_language("en-US,en;q=0.9,zh-CN;q=0.8")
    'en'
    >>> parse_accept_language("fr;q=1, zh-TW;q=0.5, en;q=0.4")
    'zh'
    >>> parse_accept_language("de") is None
    True
    """
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The cookie wins (the user chose), then the browser's preference, then Chinese.

    >>> choose_language("en", "zh-CN"), choose_language(None, "en-GB"), choose_language("xx", None)
    ('en', 'en', 'zh')
    """
    if cookie in LANGUAGES:
        return str(cookie)
    return parse_accept_language(accept_language) or DEFAULT_LANGUAGE
