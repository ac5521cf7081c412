"""Message texts per template code (zh), carrying the CN identity elements: institution name,
collector ID and purpose. Rendered with exact yuan amounts; screened by the guard before use."""

from __future__ import annotations

from string import Formatter

TEMPLATES: dict[str, tuple[str, str]] = {
    # code: (subject, body)
    "SMS-PRE-D3": (
        "",
        "【{institution}】尊敬的客户，您的账单将于{due_date}到期，应还{amount}元，请按时还款。工号{agent_no}。回复TD退订",
    ),
    "SMS-PRE-D1": (
        "",
        "【{institution}】尊敬的客户，您的账单明日({due_date})到期，应还{amount}元，请按时还款。工号{agent_no}。回复TD退订",
    ),
    "SMS-M1-D1": (
        "",
        "【{institution}】尊敬的客户，您的账户已逾期{dpd}天，欠款{amount}元，请尽快还款。如有疑问请致电{hotline}。工号{agent_no}。回复TD退订",
    ),
    "SMS-M1-D5": (
        "",
        "【{institution}】尊敬的客户，您的账户已逾期{dpd}天，欠款{amount}元。如需分期还款可联系我们协商。工号{agent_no}。回复TD退订",
    ),
    # C6 art. 41: the lender tells the debtor before an agency may contact them.
    "SMS-OUTSOURCING-NOTICE": (
        "",
        "【{institution}】尊敬的客户，关于您的账单还款事宜，我行已委托{agency}协助联系您，"
        "对方将表明身份与工号。如有疑问请致电{hotline}。工号{agent_no}。回复TD退订",
    ),
    "EMAIL-M2-NOTICE": (
        "{institution}：账户逾期还款提醒",
        "尊敬的客户：\n\n您在{institution}的账户已逾期{dpd}天，当前欠款{amount}元。请尽快还款，"
        "如有困难可申请分期或协商还款。\n\n如有疑问请致电{hotline}。\n"
        "{institution} 催收中心 工号{agent_no}\n"
        "如不希望再收到此类邮件，请回复“退订”。",
    ),
}


def render(code: str, values: dict[str, object]) -> tuple[str, str] | None:
    """The subject and body for ``code``, or ``None`` when no text is defined for it."""
    template = TEMPLATES.get(code)
    if template is None:
        return None
    needed = {name for _, name, _, _ in Formatter().parse(template[1]) if name}
    missing = needed - set(values)
    if missing:
        raise KeyError(f"template {code}: missing value(s) {', '.join(sorted(missing))}")
    return template[0].format(**values), template[1].format(**values)
