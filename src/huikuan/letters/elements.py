"""What a letter must say: the typed content of a collection letter or a lawyer letter.

:class:`LetterContent` holds every element the CN credit-card measures require of a collection
letter (C4 art. 69, see COMPLIANCE-RULES.md §1.2): the debtor's name and the amount owed with
its breakdown, the reason for collection and its legal basis, the debtor's rights and duties,
how to check the account and repayments, how to raise objections and submit evidence (with a
deadline), the creditor's contact details and the institution's seal; plus the issuing agency
and collector number when an agency sends it, the date and a reference number. A lawyer letter
(律师函) adds :class:`LawyerDetails`.

:func:`missing_elements` names what a letter lacks, as stable keys (see :data:`ELEMENTS` for
their English and Chinese names): rendering refuses such a letter and the letter channel fails
it permanently. :func:`to_params` / :func:`from_params` carry the content through an outbox row
as strings (amounts in fen, dates ISO), the debtor's name optionally as a field-cipher token
under ``debtor_name_enc``. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Literal, get_args

from huikuan.core.money import exponent_of

Kind = Literal["collection", "lawyer"]
Language = Literal["zh", "en"]
KINDS: tuple[str, ...] = get_args(Kind)
LANGUAGES: tuple[str, ...] = get_args(Language)

ENCRYPTED_SUFFIX = "_enc"

# Every element a letter can lack: key -> (English name, Chinese name).
ELEMENTS: dict[str, tuple[str, str]] = {
    "reference": ("the reference number", "函件编号"),
    "letter_date": ("the date of the letter", "发函日期"),
    "debtor_name": ("the debtor's name", "债务人姓名"),
    "debtor_address": ("the debtor's postal address", "债务人通讯地址"),
    "account": ("the account concerned", "涉及账户"),
    "amount_owed": ("the amount owed with its breakdown", "欠款金额及明细"),
    "amount_as_of": ("the date the amount is stated at", "欠款计算截止日"),
    "reason": ("the reason for collection", "催收事由"),
    "legal_basis": ("the legal basis", "法律依据"),
    "rights_and_duties": ("the debtor's rights and duties", "债务人的权利和义务"),
    "account_enquiry": ("how to check the account and repayments", "账户及还款查询方式"),
    "objection_route": ("how to raise objections and submit evidence", "提出异议及提交证据的途径"),
    "objection_deadline": ("the deadline for objections", "提出异议的期限"),
    "creditor_name": ("the creditor's name", "债权机构名称"),
    "creditor_contact": ("the creditor's contact details", "债权机构联系方式"),
    "seal": ("the institution's seal", "机构印章"),
    "collector_number": ("the collector's number (agency letters)", "催收人员工号（委外机构发函）"),
    "lawyer": ("the lawyer letter details", "律师函信息"),
    "lawyer.law_firm": ("the law firm's name", "律师事务所名称"),
    "lawyer.firm_contact": ("the law firm's address and telephone", "律师事务所地址及电话"),
    "lawyer.lawyer_name": ("the lawyer's name", "承办律师姓名"),
    "lawyer.licence_number": ("the lawyer's licence number", "律师执业证号"),
    "lawyer.facts": ("the facts", "基本事实"),
    "lawyer.demand": ("the demand", "委托人的要求"),
    "lawyer.deadline": ("the deadline to comply", "履行期限"),
    "lawyer.consequences": ("the consequences of not complying", "逾期不履行的后果"),
}


@dataclass(frozen=True, slots=True)
class AmountOwed:
    """The amount owed in minor units (fen), broken down as the creditor's statement does."""

    principal: int
    interest: int = 0
    penalty: int = 0
    fee: int = 0
    currency: str = "CNY"

    def __post_init__(self) -> None:
        for name in ("principal", "interest", "penalty", "fee"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be integer minor units, got {type(value).__name__}")
            if value < 0:
                raise ValueError(f"{name} must not be negative")
        exponent_of(self.currency)

    @property
    def total(self) -> int:
        """The sum of the parts: a letter never states a total its breakdown does not add to.

        >>> AmountOwed(1_000_000, 200_000, 34_567, 0).total
        1234567
        """
        return self.principal + self.interest + self.penalty + self.fee


@dataclass(frozen=True, slots=True, kw_only=True)
class LawyerDetails:
    """What a lawyer letter adds: who writes on the creditor's behalf, and what is asked."""

    law_firm: str = ""
    firm_address: str = ""
    firm_contact: str = ""  # telephone (and email) of the firm
    lawyer_name: str = ""
    licence_number: str = ""  # 律师执业证号
    facts: str = ""
    demand: str = ""
    deadline: date | None = None
    consequences: str = ""  # stated as facts: what the creditor may lawfully do, nothing more


@dataclass(frozen=True, slots=True, kw_only=True)
class LetterContent:
    """Everything a collection letter states (C4 art. 69), as plain values.

    Free-text fields are in the letter's language; line breaks in them are kept when printed.
    Empty strings and ``None`` mean "not given" (see :func:`missing_elements`).
    """

    reference: str = ""
    letter_date: date | None = None
    debtor_name: str = ""
    debtor_address: str = ""
    account: str = ""  # masked, e.g. "信用卡（尾号 1234）"
    amount: AmountOwed | None = None
    amount_as_of: date | None = None
    reason: str = ""
    legal_basis: str = ""
    rights_and_duties: str = ""
    account_enquiry: str = ""
    repayment: str = ""  # how to pay; optional, the letter has a paragraph when given
    objection_route: str = ""
    objection_deadline: date | None = None
    creditor_name: str = ""
    creditor_contact: str = ""
    seal_institution: str = ""  # the name drawn on the seal (the creditor or the agency)
    agency_name: str = ""  # set when an outsourced agency (委外催收机构) sends the letter
    collector_number: str = ""
    demo: bool = False  # a specimen: the seal and every page say so
    lawyer: LawyerDetails | None = None


def _blank(value: str) -> bool:
    return not value.strip()


def missing_elements(content: LetterContent, kind: Kind = "collection") -> list[str]:
    """The keys of :data:`ELEMENTS` the letter lacks, in the order the letter states them.

    A deadline for objections on or before the letter's date gives the debtor no time, so it
    counts as missing; so does a zero amount (there is nothing to collect).

    >>> missing_elements(LetterContent(debtor_name="张三"))[:3]
    ['reference', 'letter_date', 'debtor_address']
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    missing: list[str] = []
    text_fields = (
        "reference",
        "letter_date",
        "debtor_name",
        "debtor_address",
        "account",
        "amount_owed",
        "amount_as_of",
        "reason",
        "legal_basis",
        "rights_and_duties",
        "account_enquiry",
        "objection_route",
        "objection_deadline",
        "creditor_name",
        "creditor_contact",
    )
    for key in text_fields:
        if key == "amount_owed":
            if content.amount is None or content.amount.total <= 0:
                missing.append(key)
            continue
        if key == "objection_deadline":
            deadline = content.objection_deadline
            if deadline is None or (
                content.letter_date is not None and deadline <= content.letter_date
            ):
                missing.append(key)
            continue
        value = getattr(content, key)
        if value is None or (isinstance(value, str) and _blank(value)):
            missing.append(key)
    if _blank(content.seal_institution):
        missing.append("seal")
    if not _blank(content.agency_name) and _blank(content.collector_number):
        missing.append("collector_number")
    if kind == "lawyer":
        missing.extend(_missing_lawyer(content))
    return missing


def _missing_lawyer(content: LetterContent) -> list[str]:
    details = content.lawyer
    if details is None:
        return ["lawyer"]
    missing: list[str] = []
    for name in (
        "law_firm",
        "firm_contact",
        "lawyer_name",
        "licence_number",
        "facts",
        "demand",
        "deadline",
        "consequences",
    ):
        if name == "deadline":
            deadline = details.deadline
            lacking = deadline is None or (
                content.letter_date is not None and deadline <= content.letter_date
            )
        else:
            lacking = _blank(getattr(details, name))
        if lacking:
            missing.append(f"lawyer.{name}")
    return missing


def describe_missing(keys: list[str], language: Language = "en") -> str:
    """The missing elements by name, for an error message a person can act on.

    >>> describe_missing(["seal", "objection_route"])
    "the institution's seal; how to raise objections and submit evidence"
    """
    index = 0 if language == "en" else 1
    separator = "; " if language == "en" else "；"
    return separator.join(ELEMENTS[key][index] if key in ELEMENTS else key for key in keys)


# --- through the outbox: every value a string -------------------------------------------------

_AMOUNT_KEYS = ("principal", "interest", "penalty", "fee")
_DATE_KEYS = ("letter_date", "amount_as_of", "objection_deadline")
_LAWYER_PREFIX = "lawyer_"


def to_params(
    content: LetterContent,
    *,
    kind: Kind = "collection",
    language: Language = "zh",
    encrypt_name: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """The letter as outbox ``template_params``; with ``encrypt_name`` the debtor's name is
    stored only as a token under ``debtor_name_enc``. The postal address is not included: it
    travels as the message's recipient."""
    params: dict[str, str] = {"kind": kind, "language": language}
    for item in fields(LetterContent):
        name = item.name
        value = getattr(content, name)
        if name in ("amount", "lawyer", "debtor_address"):
            continue
        if name == "debtor_name" and encrypt_name is not None:
            params["debtor_name" + ENCRYPTED_SUFFIX] = encrypt_name(value)
        elif isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, date):
            params[name] = value.isoformat()
        elif value is not None:
            params[name] = str(value)
    if content.amount is not None:
        for key in _AMOUNT_KEYS:
            params[key] = str(getattr(content.amount, key))
        params["currency"] = content.amount.currency
    if content.lawyer is not None:
        for item in fields(LawyerDetails):
            value = getattr(content.lawyer, item.name)
            if isinstance(value, date):
                params[_LAWYER_PREFIX + item.name] = value.isoformat()
            elif value is not None:
                params[_LAWYER_PREFIX + item.name] = value
    return params


def _date(params: Mapping[str, str], key: str) -> date | None:
    text = params.get(key, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{key} is not an ISO date") from None


def _minor(params: Mapping[str, str], key: str) -> int:
    text = params.get(key, "").strip() or "0"
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{key} must be a whole number of minor units")
    return int(text)


def from_params(params: Mapping[str, str], *, debtor_address: str = "") -> LetterContent:
    """The content back from plain-text params (``_enc`` keys already revealed, so
    ``debtor_name`` is plain text). Raises :class:`ValueError` naming a malformed field (never
    its value: the text may end up in logs)."""
    values: dict[str, object] = {}
    for item in fields(LetterContent):
        name = item.name
        if name in ("amount", "lawyer"):
            continue
        if name in _DATE_KEYS:
            values[name] = _date(params, name)
        elif name == "demo":
            values[name] = params.get(name, "").strip().lower() in ("true", "1", "yes")
        elif name in params:
            values[name] = params[name]
    if debtor_address:
        values["debtor_address"] = debtor_address
    content = LetterContent(**values)  # type: ignore[arg-type]  # keys are the dataclass fields
    if any(key in params for key in _AMOUNT_KEYS):
        amount = AmountOwed(
            principal=_minor(params, "principal"),
            interest=_minor(params, "interest"),
            penalty=_minor(params, "penalty"),
            fee=_minor(params, "fee"),
            currency=params.get("currency", "CNY") or "CNY",
        )
        content = replace(content, amount=amount)
    lawyer_values: dict[str, object] = {}
    for item in fields(LawyerDetails):
        key = _LAWYER_PREFIX + item.name
        if key not in params:
            continue
        lawyer_values[item.name] = _date(params, key) if item.name == "deadline" else params[key]
    if lawyer_values:
        content = replace(content, lawyer=LawyerDetails(**lawyer_values))  # type: ignore[arg-type]
    return content


# --- a complete specimen, for the demo and for tests ------------------------------------------


def specimen(language: Language = "zh", *, letter_date: date = date(2026, 3, 2)) -> LetterContent:
    """A complete letter with made-up parties, marked as a specimen (``demo=True``)."""
    zh = language == "zh"
    deadline = date.fromordinal(letter_date.toordinal() + 15)
    lawyer = LawyerDetails(
        law_firm="示例律师事务所" if zh else "Example Law Firm LLP",
        firm_address=(
            "北京市朝阳区示例路 1 号 10 层" if zh else "10/F, 1 Example Road, Chaoyang, Beijing"
        ),
        firm_contact="电话 010-5555 0100" if zh else "Tel. +86 10 5555 0100",
        lawyer_name="李明" if zh else "Li Ming",
        licence_number="11101202610000001",
        facts=(
            "您于 2024 年 5 月向委托人申领信用卡并签署《信用卡领用合约》。自 2025 年 10 月起，"
            "您未按约定归还到期款项，截至下述日期仍有欠款未还。"
            if zh
            else "In May 2024 you applied to our client for a credit card and signed its "
            "cardholder agreement. Since October 2025 you have not repaid the amounts due "
            "under it, and the balance below remains unpaid."
        ),
        demand=(
            "请您在下述期限前归还全部欠款，或与委托人联系协商还款安排（含分期还款）。"
            if zh
            else "Please repay the full balance by the deadline below, or contact our client "
            "to agree a repayment arrangement (instalments are possible)."
        ),
        deadline=deadline,
        consequences=(
            "如您到期仍未履行还款义务，委托人保留依法通过诉讼或仲裁途径主张权利的权利，"
            "并将依法如实向金融信用信息基础数据库报送您的还款记录。"
            if zh
            else "If the balance remains unpaid after the deadline, our client reserves the "
            "right to pursue its claim through litigation or arbitration as the law allows, "
            "and will continue to report your repayment record truthfully to the credit "
            "reference database as the law requires."
        ),
    )
    if zh:
        return LetterContent(
            reference="HK-2026-000123",
            letter_date=letter_date,
            debtor_name="张三",
            debtor_address="上海市浦东新区示例街道 88 弄 8 号 801 室\n邮编 200120",
            account="信用卡（尾号 1234）",
            amount=AmountOwed(principal=1_000_000, interest=200_000, penalty=34_567, fee=0),
            amount_as_of=date.fromordinal(letter_date.toordinal() - 1),
            reason="您的信用卡账户自 2025 年 10 月起逾期未还款，已逾期 150 天。",
            legal_basis=(
                "《中华人民共和国民法典》第五百零九条、第六百七十四条、第六百七十五条，"
                "以及您签署的《信用卡领用合约》。"
            ),
            rights_and_duties=(
                "您有权查询账户明细、对欠款提出异议并提交证据、申请协商还款或分期还款、"
                "投诉不当催收行为；您的个人信息受法律保护。\n"
                "您有义务按合同约定归还欠款，并在通讯方式变更时及时告知我行。"
            ),
            account_enquiry=(
                "拨打客服热线 400-000-0000（每日 8:00–22:00），或登录手机银行“信用卡—账单查询”"
                "查看交易、还款及费用明细。"
            ),
            repayment="通过手机银行、网点柜台或向您的信用卡账户转账还款。",
            objection_route=(
                "致电 400-000-0000 转 3 或致函本行信用卡中心（上海市浦东新区示例路 100 号，"
                "邮编 200120），说明异议事由并附相关证据材料（如还款凭证）。"
                "本行收到后将及时核实并书面答复；核实期间暂停对争议部分的催收。"
            ),
            objection_deadline=deadline,
            creditor_name="示例银行股份有限公司信用卡中心",
            creditor_contact="上海市浦东新区示例路 100 号；客服热线 400-000-0000",
            seal_institution="示例银行股份有限公司信用卡中心",
            agency_name="示例资产管理有限公司",
            collector_number="CS-0427",
            demo=True,
            lawyer=lawyer,
        )
    return LetterContent(
        reference="HK-2026-000123",
        letter_date=letter_date,
        debtor_name="Zhang San",
        debtor_address="Room 801, No. 8, Lane 88, Example Street\nPudong, Shanghai 200120",
        account="credit card ending 1234",
        amount=AmountOwed(principal=1_000_000, interest=200_000, penalty=34_567, fee=0),
        amount_as_of=date.fromordinal(letter_date.toordinal() - 1),
        reason="Your credit card account has been overdue since October 2025 (150 days).",
        legal_basis=(
            "Articles 509, 674 and 675 of the Civil Code of the People's Republic of China, "
            "and the cardholder agreement you signed."
        ),
        rights_and_duties=(
            "You may view your account statement, dispute the balance and submit evidence, "
            "ask for a repayment plan or instalments, and complain about any improper "
            "collection conduct; your personal information is protected by law.\n"
            "You are obliged to repay what you owe under the agreement and to tell us when "
            "your contact details change."
        ),
        account_enquiry=(
            "Call 400-000-0000 (08:00–22:00 daily) or open Statements in the mobile banking app "
            "to see every transaction, repayment and charge."
        ),
        repayment="Pay through the mobile banking app, at any branch, or by bank transfer.",
        objection_route=(
            "Call 400-000-0000 (option 3) or write to the Credit Card Centre, 100 Example Road, "
            "Pudong, Shanghai 200120, stating why you dispute the amount and enclosing any "
            "evidence (such as payment receipts). We will check it promptly and reply in "
            "writing; collection of the disputed part stops while we check."
        ),
        objection_deadline=deadline,
        creditor_name="Example Bank Co., Ltd. Credit Card Centre",
        creditor_contact="100 Example Road, Pudong, Shanghai; hotline 400-000-0000",
        seal_institution="示例银行股份有限公司信用卡中心",
        agency_name="Example Asset Management Co., Ltd.",
        collector_number="CS-0427",
        demo=True,
        lawyer=lawyer,
    )
