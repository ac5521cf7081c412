"""The letters the daily cycle sends: a collection letter (催收函) or a lawyer letter (律师函)
built from the case's figures, with the CN required elements (C4 art. 69).

The outbox carries the letter as parameters (:func:`huikuan.letters.to_params`): the debtor's
name only as its field-cipher token, the postal address as the message's encrypted recipient.
The letter channel renders the PDF when the worker sends it. The stored body is the letter's
printed text with the name masked, which is what the guard and QA read.

A lawyer letter needs a law firm engaged by the creditor. Until creditors can record theirs, the
demo's specimen firm is used only for demo letters (clearly marked 样本 / SPECIMEN); a real run
records a lawyer-letter step as ``no_template`` rather than invent a firm.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from huikuan.cycle.templates import Text
from huikuan.letters import (
    AmountOwed,
    Kind,
    Language,
    LetterContent,
    letter_text,
    specimen,
    to_params,
)

OBJECTION_DAYS = 15  # days the debtor has to raise an objection, from the letter date
LAWYER_TEMPLATES = frozenset({"LETTER-LAWYER"})


def _masked_account(account_no: str | None, language: str) -> str:
    tail = (account_no or "")[-4:]
    return f"账户（尾号 {tail}）" if language == "zh" else f"account ending {tail}"


def letter_content(
    action: dict[str, Any], as_of: date, hotline: str, *, demo: bool, language: str = "zh"
) -> LetterContent:
    """The letter for an action row (the planner's frame: institution, balance parts, dpd …)."""
    base = specimen("zh" if language == "zh" else "en", letter_date=as_of)
    zh = language == "zh"
    institution = action["institution"]
    agency = action.get("agency_name") or ""
    dpd = int(action.get("dpd") or 0)
    return replace(
        base,
        reference=f"HK-{as_of:%Y%m%d}-{action['case_id']:08d}",
        letter_date=as_of,
        debtor_name=action.get("name_masked") or "",
        # Masked here (the stored text); the full address travels as the encrypted recipient.
        debtor_address=action.get("point_masked") or "",
        account=_masked_account(action.get("account_no"), language),
        amount=AmountOwed(
            principal=int(action.get("principal") or 0),
            interest=int(action.get("interest") or 0),
            penalty=int(action.get("penalty") or 0),
            fee=int(action.get("fee") or 0),
        ),
        amount_as_of=as_of - timedelta(days=1),
        reason=(
            f"您在{institution}的账户已逾期 {dpd} 天，欠款尚未归还。"
            if zh
            else f"Your account with {institution} is {dpd} days past due and remains unpaid."
        ),
        account_enquiry=(
            f"拨打{institution}客服热线 {hotline}，或登录手机银行查看交易、还款及费用明细。"
            if zh
            else f"Call {institution} on {hotline} or use mobile banking to see every charge."
        ),
        objection_route=(
            f"致电 {hotline} 或致函{institution}，说明异议事由并附相关证据材料（如还款凭证）。"
            "我方收到后将及时核实并书面答复；核实期间暂停对争议部分的催收。"
            if zh
            else f"Call {hotline} or write to {institution} stating why you dispute the amount, "
            "with any evidence. We check promptly and reply in writing; collection of the "
            "disputed part stops while we check."
        ),
        objection_deadline=as_of + timedelta(days=OBJECTION_DAYS),
        creditor_name=institution,
        creditor_contact=f"客服热线 {hotline}" if zh else f"hotline {hotline}",
        seal_institution=agency or institution,
        agency_name=agency,
        collector_number=action.get("agent_no") or "" if agency else "",
        demo=demo,
        lawyer=base.lawyer if demo else None,
    )


def letter_text_for(
    action: dict[str, Any], as_of: date, hotline: str, *, demo: bool
) -> Text | None:
    """The letter as an outbox text, or ``None`` when it cannot be sent (a lawyer letter with no
    engaged law firm)."""
    kind: Kind = "lawyer" if action["template"] in LAWYER_TEMPLATES else "collection"
    language: Language = "zh" if action.get("language", "zh") == "zh" else "en"
    content = letter_content(action, as_of, hotline, demo=demo, language=language)
    if kind == "lawyer" and content.lawyer is None:
        return None
    token = action.get("name_token") or ""
    params = to_params(content, kind=kind, language=language, encrypt_name=lambda _: token)
    title = (
        ("律师函" if kind == "lawyer" else "催收函")
        if language == "zh"
        else ("Lawyer's letter" if kind == "lawyer" else "Collection letter")
    )
    return Text(title, letter_text(content, kind, language), 0, params)
