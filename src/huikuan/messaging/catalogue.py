"""The default message templates, and installing them through the same screen as any other.

:data:`DEFAULTS` holds the texts the strategy's template codes expect: the six CN SMS and
email texts that lived in ``cycle/templates.py`` (ported to Jinja2, amounts now printed with
``|yuan`` from integer fen), their English versions, US (Reg F) variants of the SMS and email
texts, a promise-to-pay confirmation, an agent call script and a letter cover text.
:func:`install_defaults` saves each with :func:`~huikuan.messaging.service.save_template`, so a
default gets no easier passage than a person's template, and skips any whose active version
already has the same text (and any a person has since replaced with their own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from huikuan.messaging.models import Channel
from huikuan.messaging.service import (
    TemplateNotFoundError,
    TemplatesRefusedError,
    get_template,
    save_template,
)


@dataclass(frozen=True, slots=True)
class DefaultTemplate:
    code: str
    channel: str
    language: str
    jurisdiction: str
    subject: str
    body: str


SMS, EMAIL, LETTER, CALL = (
    Channel.SMS.value,
    Channel.EMAIL.value,
    Channel.LETTER.value,
    Channel.CALL_SCRIPT.value,
)

_US_SMS_TAIL = "This is a communication from a debt collector. Reply STOP to opt out."
_US_EMAIL_TAIL = (
    "This is a communication from a debt collector.\n"
    "To stop receiving emails from us, reply UNSUBSCRIBE to this message."
)

DEFAULTS: tuple[DefaultTemplate, ...] = (
    # --- CN, Chinese: the six texts of cycle/templates.py -------------------------------------
    DefaultTemplate(
        "SMS-PRE-D3",
        SMS,
        "zh",
        "CN",
        "",
        "【{{ institution }}】尊敬的客户，您的账单将于{{ due_date }}到期，应还{{ amount|yuan }}元，"
        "请按时还款。工号{{ agent_no }}。回复TD退订",
    ),
    DefaultTemplate(
        "SMS-PRE-D1",
        SMS,
        "zh",
        "CN",
        "",
        "【{{ institution }}】尊敬的客户，您的账单明日({{ due_date }})到期，"
        "应还{{ amount|yuan }}元，请按时还款。工号{{ agent_no }}。回复TD退订",
    ),
    DefaultTemplate(
        "SMS-M1-D1",
        SMS,
        "zh",
        "CN",
        "",
        "【{{ institution }}】尊敬的客户，您的账户已逾期{{ dpd }}天，欠款{{ amount|yuan }}元，"
        "请尽快还款。如有疑问请致电{{ hotline }}。工号{{ agent_no }}。回复TD退订",
    ),
    DefaultTemplate(
        "SMS-M1-D5",
        SMS,
        "zh",
        "CN",
        "",
        "【{{ institution }}】尊敬的客户，您的账户已逾期{{ dpd }}天，欠款{{ amount|yuan }}元。"
        "查看明细、还款或申请分期：{{ link }} 。工号{{ agent_no }}。回复TD退订",
    ),
    # C6 art. 41: the lender tells the debtor before an agency may contact them.
    DefaultTemplate(
        "SMS-OUTSOURCING-NOTICE",
        SMS,
        "zh",
        "CN",
        "",
        "【{{ institution }}】尊敬的客户，关于您的账单还款事宜，我行已委托{{ agency }}协助联系您，"
        "对方将表明身份与工号。如有疑问请致电{{ hotline }}。工号{{ agent_no }}。回复TD退订",
    ),
    DefaultTemplate(
        "EMAIL-M2-NOTICE",
        EMAIL,
        "zh",
        "CN",
        "{{ institution }}：账户逾期还款提醒",
        "尊敬的客户：\n\n您在{{ institution }}的账户已逾期{{ dpd }}天，"
        "当前欠款{{ amount|yuan }}元。请尽快还款，如有困难可申请分期或协商还款。\n\n"
        "查看欠款明细、在线还款、申请分期或提出异议：{{ link }}\n"
        "如有疑问请致电{{ hotline }}。\n"
        "{{ institution }} 催收中心 工号{{ agent_no }}\n"
        "如不希望再收到此类邮件，请回复“退订”。",
    ),
    # --- CN, English ---------------------------------------------------------------------------
    DefaultTemplate(
        "SMS-PRE-D3",
        SMS,
        "en",
        "CN",
        "",
        "【{{ institution }}】Dear customer, your bill of CNY {{ amount|yuan }} is due on "
        "{{ due_date }}. Please repay on time. Collector ID {{ agent_no }}. "
        "Reply TD to unsubscribe.",
    ),
    DefaultTemplate(
        "SMS-PRE-D1",
        SMS,
        "en",
        "CN",
        "",
        "【{{ institution }}】Dear customer, your bill of CNY {{ amount|yuan }} is due tomorrow "
        "({{ due_date }}). Please repay on time. Collector ID {{ agent_no }}. "
        "Reply TD to unsubscribe.",
    ),
    DefaultTemplate(
        "SMS-M1-D1",
        SMS,
        "en",
        "CN",
        "",
        "【{{ institution }}】Dear customer, your account is {{ dpd }} days overdue with "
        "CNY {{ amount|yuan }} outstanding. Please repay as soon as you can. Questions: call "
        "{{ hotline }}. Collector ID {{ agent_no }}. Reply TD to unsubscribe.",
    ),
    DefaultTemplate(
        "SMS-M1-D5",
        SMS,
        "en",
        "CN",
        "",
        "【{{ institution }}】Dear customer, your account is {{ dpd }} days overdue with "
        "CNY {{ amount|yuan }} outstanding. See the details, pay or ask for a plan: {{ link }} "
        ". Collector ID {{ agent_no }}. Reply TD to unsubscribe.",
    ),
    DefaultTemplate(
        "SMS-OUTSOURCING-NOTICE",
        SMS,
        "en",
        "CN",
        "",
        "【{{ institution }}】Dear customer, about the repayment of your account: we have asked "
        "{{ agency }} to contact you on our behalf; they will give their name and collector ID. "
        "Questions: call {{ hotline }}. Collector ID {{ agent_no }}. Reply TD to unsubscribe.",
    ),
    DefaultTemplate(
        "EMAIL-M2-NOTICE",
        EMAIL,
        "en",
        "CN",
        "{{ institution }}: your account is overdue",
        "Dear customer,\n\nYour account with {{ institution }} is {{ dpd }} days overdue and "
        "CNY {{ amount|yuan }} is outstanding. Please repay as soon as you can; if that is "
        "difficult, you can ask for instalments or agree a repayment plan with us.\n\n"
        "See the details, pay online, ask for a plan or dispute the debt: {{ link }}\n"
        "Questions: call {{ hotline }}.\n"
        "{{ institution }} collections, collector ID {{ agent_no }}\n"
        "To stop receiving these emails, reply UNSUBSCRIBE.",
    ),
    # --- US (Reg F): debt-collector disclosure and opt-out in every electronic message --------
    DefaultTemplate(
        "SMS-PRE-D3",
        SMS,
        "en",
        "US",
        "",
        "{{ institution }}: your payment of ${{ amount|yuan }} is due on {{ due_date }}. "
        "Questions: {{ hotline }}. " + _US_SMS_TAIL,
    ),
    DefaultTemplate(
        "SMS-PRE-D1",
        SMS,
        "en",
        "US",
        "",
        "{{ institution }}: your payment of ${{ amount|yuan }} is due tomorrow ({{ due_date }}). "
        "Questions: {{ hotline }}. " + _US_SMS_TAIL,
    ),
    DefaultTemplate(
        "SMS-M1-D1",
        SMS,
        "en",
        "US",
        "",
        "{{ institution }}: your account is {{ dpd }} days past due with a balance of "
        "${{ amount|yuan }}. Call {{ hotline }} to discuss payment options. " + _US_SMS_TAIL,
    ),
    DefaultTemplate(
        "SMS-M1-D5",
        SMS,
        "en",
        "US",
        "",
        "{{ institution }}: your account is {{ dpd }} days past due with a balance of "
        "${{ amount|yuan }}. A payment plan may be available: call {{ hotline }}. " + _US_SMS_TAIL,
    ),
    DefaultTemplate(
        "EMAIL-M2-NOTICE",
        EMAIL,
        "en",
        "US",
        "{{ institution }}: your account is past due",
        "Hello,\n\nYour account with {{ institution }} is {{ dpd }} days past due and the "
        "current balance is ${{ amount|yuan }}. If paying in full is difficult, ask us about a "
        "payment plan.\n\nQuestions: call {{ hotline }} (reference {{ agent_no }}).\n\n"
        "{{ institution }}\n" + _US_EMAIL_TAIL,
    ),
    # --- promise to pay (承诺还款) confirmation -------------------------------------------------
    DefaultTemplate(
        "SMS-PTP-CONFIRM",
        SMS,
        "zh",
        "CN",
        "",
        "【{{ institution }}】尊敬的客户，已记录您承诺于{{ promised_date }}前还款"
        "{{ promised_amount|yuan }}元，感谢您的配合。如有疑问请致电{{ hotline }}。"
        "工号{{ agent_no }}。回复TD退订",
    ),
    DefaultTemplate(
        "SMS-PTP-CONFIRM",
        SMS,
        "en",
        "CN",
        "",
        "【{{ institution }}】Dear customer, we have noted your promise to repay "
        "CNY {{ promised_amount|yuan }} by {{ promised_date }}. Thank you. Questions: call "
        "{{ hotline }}. Collector ID {{ agent_no }}. Reply TD to unsubscribe.",
    ),
    DefaultTemplate(
        "SMS-PTP-CONFIRM",
        SMS,
        "en",
        "US",
        "",
        "{{ institution }}: we have noted your promise to pay ${{ promised_amount|yuan }} by "
        "{{ promised_date }}. Thank you. Questions: {{ hotline }}. " + _US_SMS_TAIL,
    ),
    # --- agent call script (read aloud; identity first, nothing about the debt to others) -----
    DefaultTemplate(
        "CALL-M1",
        CALL,
        "zh",
        "CN",
        "",
        "1. 您好，请问是手机号{{ phone|mask_phone }}的机主本人吗？\n"
        "   （确认是本人后再继续；不是本人时，只请对方转告回电{{ hotline }}，不说明来电事由。）\n"
        "2. 我是{{ institution }}的工作人员，工号{{ agent_no }}，本次通话将被录音。\n"
        "3. 本次来电是关于您在{{ institution }}的账户还款事宜：账户已逾期{{ dpd }}天，"
        "当前应还{{ amount|yuan }}元。\n"
        "4. 请问您计划什么时候还款？如有困难，我们可以一起商量分期或其他还款方案。\n"
        "{% if dpd >= 90 %}"
        "5. 您的账户逾期时间较长，建议尽快与我们确定还款安排。\n"
        "{% endif %}"
        "6. 如对账务有疑问，可致电{{ hotline }}核实。感谢您的配合，再见。",
    ),
    DefaultTemplate(
        "CALL-M1",
        CALL,
        "en",
        "CN",
        "",
        "1. Hello, am I speaking with the holder of mobile number {{ phone|mask_phone }}?\n"
        "   (Go on only with that person; otherwise just ask them to pass on a request to call "
        "{{ hotline }}, and say nothing about why.)\n"
        "2. I am calling from {{ institution }}, collector ID {{ agent_no }}; this call is "
        "recorded.\n"
        "3. I am calling about the repayment of your account with {{ institution }}: it is "
        "{{ dpd }} days overdue and CNY {{ amount|yuan }} is due.\n"
        "4. When are you able to repay? If it is difficult, we can agree instalments or another "
        "plan.\n"
        "5. Questions about the account: call {{ hotline }}. Thank you, goodbye.",
    ),
    DefaultTemplate(
        "CALL-M1",
        CALL,
        "en",
        "US",
        "",
        "1. Hello, may I speak with the account holder? Please confirm the mobile number "
        "{{ phone|mask_phone }} is yours.\n"
        "   (Go on only with the consumer; with anyone else, give only your name and "
        "{{ hotline }} and do not mention the account.)\n"
        "2. My collector ID is {{ agent_no }}, calling for {{ institution }}. This is an attempt "
        "to collect a debt and any information obtained will be used for that purpose. This "
        "call is from a debt collector and may be recorded.\n"
        "3. Your account is {{ dpd }} days past due with a balance of ${{ amount|yuan }}.\n"
        "4. Would you like to set up a payment, or talk about a payment plan?\n"
        "5. You can reach us at {{ hotline }}. Thank you.",
    ),
    # --- letter cover text (the letter's own elements are checked by the letters module) ------
    DefaultTemplate(
        "LETTER-COVER",
        LETTER,
        "zh",
        "CN",
        "{{ institution }}：账户还款事宜通知",
        "尊敬的客户：\n\n随函附上关于您在{{ institution }}账户还款事宜的通知，请您查阅。"
        "您的账户已逾期{{ dpd }}天，当前应还{{ amount|yuan }}元。\n\n"
        "如对通知内容有异议，可致电{{ hotline }}或书面提出并附相关材料，我们将及时核实并答复。\n\n"
        "{{ institution }}\n经办工号：{{ agent_no }}",
    ),
    DefaultTemplate(
        "LETTER-COVER",
        LETTER,
        "en",
        "US",
        "{{ institution }}: about your account",
        "Dear customer,\n\nPlease find enclosed a notice about your account with "
        "{{ institution }}. The account is {{ dpd }} days past due and the balance is "
        "${{ amount|yuan }}.\n\nIf you think the notice is wrong, call {{ hotline }} or write "
        "to us with any documents that support your view; we will look into it and reply.\n\n"
        "This is a communication from a debt collector.\n{{ institution }}",
    ),
)


def install_defaults(session: Session, actor: str = "system", *, at: datetime | None = None) -> int:
    """Save and activate each default whose text is not already the active one; returns how
    many were saved. A default a person has replaced (active version not by ``actor``) stays
    as they left it. A default that fails screening raises: it is a bug in this catalogue."""
    saved = 0
    for default in DEFAULTS:
        try:
            active = get_template(
                session, default.code, default.language, jurisdiction=default.jurisdiction
            )
        except TemplateNotFoundError:
            active = None
        if active is not None and (
            (active.channel, active.subject, active.body)
            == (default.channel, default.subject, default.body)
            or active.created_by != actor
        ):
            continue
        result = save_template(
            session,
            actor,
            default.code,
            default.channel,
            default.language,
            default.jurisdiction,
            default.subject,
            default.body,
            activate=True,
            at=at,
        )
        if result.refused:
            problems = "; ".join(problem.message for problem in result.problems)
            raise TemplatesRefusedError(
                f"default template {default.code} ({default.language}/{default.jurisdiction}) "
                f"was refused: {problems}"
            )
        saved += 1
    return saved
