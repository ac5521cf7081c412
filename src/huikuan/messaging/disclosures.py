"""Required disclosures per channel and jurisdiction (必备披露要素): the one definition.

:data:`REQUIRED` maps ``(channel, jurisdiction)`` to the :class:`Disclosure` items a template
must carry. :func:`check` takes what the service knows about a candidate template (the
variables it uses and its renderings with the sample values of each sample set) and returns
one :class:`DisclosureCheck` per item. Checks run on *renderings*, not on the source, so a
disclosure hidden in a branch the samples skip, or a variable that is referenced but never
printed, does not count. Pure: no database, no clock.

Sources (COMPLIANCE-RULES.md): CN identity elements for SMS and calls (institution name,
collector ID, purpose; policy default, §1.2 "Identity disclosure by collectors"), the SMS
signature and 退订 line carriers require; US Reg F §1006.18(e) ("this communication is from a
debt collector" in every later communication, in the message's language) and §1006.6(e) (a
clear, free opt-out in every electronic message, e.g. "Reply STOP to stop texts"). Letters
are checked element by element by the letters module; here only that they name the
institution and its hotline.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from huikuan.messaging.models import Channel


class Kind(StrEnum):
    SIGNATURE = "signature"  # the text starts with 【…】 holding ``variable``
    VARIABLE = "variable"  # ``variable`` is used and its value is printed
    TEXT = "text"  # one of ``patterns`` (for the template's language) matches


@dataclass(frozen=True, slots=True)
class Disclosure:
    code: str
    title: str
    title_zh: str
    kind: Kind
    variable: str | None = None
    # (language, regular expression): matched case-insensitively against the rendered body.
    patterns: tuple[tuple[str, str], ...] = ()
    example: str = ""  # what to write, shown when it is missing
    source: str = ""

    def patterns_for(self, language: str) -> tuple[str, ...]:
        """The patterns written for ``language``; all of them if none is."""
        own = tuple(pattern for lang, pattern in self.patterns if lang == language)
        return own or tuple(pattern for _, pattern in self.patterns)


@dataclass(frozen=True, slots=True)
class DisclosureCheck:
    code: str
    passed: bool
    title: str
    title_zh: str
    example: str = ""

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "passed": self.passed,
            "title": self.title,
            "title_zh": self.title_zh,
        }


def _variable(code: str, variable: str, title: str, title_zh: str, source: str) -> Disclosure:
    return Disclosure(
        code,
        title,
        title_zh,
        Kind.VARIABLE,
        variable=variable,
        example=f"{{{{ {variable} }}}}",
        source=source,
    )


_CN_IDENTITY = "COMPLIANCE-RULES §1.2 identity disclosure (policy default)"

CN_SIGNATURE = Disclosure(
    "CN-SMS-SIGNATURE",
    "SMS starts with the signature 【institution】",
    "短信以【机构名称】签名开头",
    Kind.SIGNATURE,
    variable="institution",
    example="【{{ institution }}】",
    source=_CN_IDENTITY + "; carrier SMS signature rules",
)
CN_INSTITUTION = _variable(
    "CN-INSTITUTION", "institution", "institution name", "机构名称", _CN_IDENTITY
)
CN_AGENT_NO = _variable("CN-AGENT-NO", "agent_no", "collector number", "催收员工号", _CN_IDENTITY)
HOTLINE = _variable(
    "HOTLINE", "hotline", "hotline for questions", "咨询电话", "C4 art. 69 (contact details)"
)
INSTITUTION = _variable(
    "INSTITUTION", "institution", "institution name", "机构名称", "C4 art. 69; §1006.18(b)"
)
CN_SMS_OPT_OUT = Disclosure(
    "CN-SMS-OPT-OUT",
    "opt-out instruction (回复TD退订)",
    "退订方式（如“回复TD退订”）",
    Kind.TEXT,
    patterns=(
        ("zh", r"回复\s*[“\"']?[A-Za-z0-9]{1,4}[”\"']?\s*(?:即可)?退订"),
        ("en", r"reply\s+[\"'“]?[A-Za-z0-9]{1,4}[\"'”]?\s+to\s+(?:unsubscribe|opt[\s-]?out)"),
    ),
    example="回复TD退订 / Reply TD to unsubscribe",
    source="Civil Code art. 1033 (consent to messages); carrier rules",
)
CN_EMAIL_UNSUBSCRIBE = Disclosure(
    "CN-EMAIL-UNSUBSCRIBE",
    "unsubscribe line",
    "退订说明",
    Kind.TEXT,
    patterns=(("zh", r"退订"), ("en", r"\bunsubscribe\b|\bopt[\s-]?out\b")),
    example="如不希望再收到此类邮件，请回复“退订”。 / Reply UNSUBSCRIBE to stop these emails.",
    source="Civil Code art. 1033",
)
CN_PURPOSE = Disclosure(
    "CN-PURPOSE",
    "purpose of the contact (repayment)",
    "联系目的（还款事宜）",
    Kind.TEXT,
    patterns=(
        ("zh", r"还款|欠款|账单|逾期"),
        ("en", r"\b(?:repay\w*|payment|balance|overdue|past due|bill)\b"),
    ),
    example="关于您的账单还款事宜 / about the repayment of your account",
    source=_CN_IDENTITY,
)
US_DEBT_COLLECTOR = Disclosure(
    "US-1006.18(e)",
    'debt-collector disclosure ("This is a communication from a debt collector.")',
    "债务催收方身份声明（“此信息来自债务催收方”）",
    Kind.TEXT,
    patterns=(
        ("en", r"\bfrom\s+a\s+debt\s+collector\b|\battempt(?:ing)?\s+to\s+collect\s+a\s+debt\b"),
        ("zh", r"来自(?:一家|一名)?债务催收(?:方|机构|人员?)"),
    ),
    example="This is a communication from a debt collector.",
    source="Reg F §1006.18(e)",
)
US_SMS_OPT_OUT = Disclosure(
    "US-1006.6(e)-SMS",
    'opt-out instruction ("Reply STOP to opt out")',
    "退订方式（“回复STOP退订”）",
    Kind.TEXT,
    patterns=(
        ("en", r"\breply\s+[\"'“]?stop\b"),
        ("zh", r"回复\s*[“\"']?STOP"),
    ),
    example="Reply STOP to opt out.",
    source="Reg F §1006.6(e); cmt. 6(e)-1",
)
US_EMAIL_OPT_OUT = Disclosure(
    "US-1006.6(e)-EMAIL",
    "unsubscribe route",
    "退订方式",
    Kind.TEXT,
    patterns=(("en", r"\bunsubscribe\b|\bopt[\s-]?out\b"), ("zh", r"退订")),
    example="To stop emails from us, reply UNSUBSCRIBE.",
    source="Reg F §1006.6(e)",
)

REQUIRED: Mapping[tuple[str, str], tuple[Disclosure, ...]] = {
    (Channel.SMS, "CN"): (CN_SIGNATURE, CN_AGENT_NO, CN_SMS_OPT_OUT),
    (Channel.EMAIL, "CN"): (CN_INSTITUTION, HOTLINE, CN_AGENT_NO, CN_EMAIL_UNSUBSCRIBE),
    (Channel.LETTER, "CN"): (INSTITUTION, HOTLINE),
    (Channel.CALL_SCRIPT, "CN"): (CN_INSTITUTION, CN_AGENT_NO, CN_PURPOSE),
    (Channel.SMS, "US"): (US_DEBT_COLLECTOR, US_SMS_OPT_OUT),
    (Channel.EMAIL, "US"): (US_DEBT_COLLECTOR, US_EMAIL_OPT_OUT),
    (Channel.LETTER, "US"): (INSTITUTION, HOTLINE),
    (Channel.CALL_SCRIPT, "US"): (US_DEBT_COLLECTOR,),
}


def required(channel: str, jurisdiction: str) -> tuple[Disclosure, ...]:
    """What a template of ``channel`` for ``jurisdiction`` must carry."""
    try:
        return REQUIRED[(Channel(channel), jurisdiction)]
    except (KeyError, ValueError):
        raise ValueError(f"no disclosure rules for {channel!r} in {jurisdiction!r}") from None


def _passes(
    item: Disclosure,
    language: str,
    used: Collection[str],
    bodies: Sequence[tuple[str, Mapping[str, object]]],
) -> bool:
    if item.kind is Kind.TEXT:
        patterns = [re.compile(p, re.IGNORECASE) for p in item.patterns_for(language)]
        return all(any(p.search(body) for p in patterns) for body, _ in bodies)
    assert item.variable is not None
    if item.variable not in used:
        return False
    for body, values in bodies:
        shown = str(values[item.variable])
        if item.kind is Kind.VARIABLE and shown not in body:
            return False
        if item.kind is Kind.SIGNATURE:
            text = body.lstrip()
            closing = text.find("】")
            if not text.startswith("【") or closing < 0 or shown not in text[:closing]:
                return False
    return True


def check(
    channel: str,
    jurisdiction: str,
    language: str,
    used: Collection[str],
    bodies: Sequence[tuple[str, Mapping[str, object]]],
) -> tuple[DisclosureCheck, ...]:
    """One check per required item: ``used`` are the template's variables, ``bodies`` each
    rendered body with the sample values it was rendered with (every one must pass)."""
    return tuple(
        DisclosureCheck(
            item.code,
            _passes(item, language, used, bodies),
            item.title,
            item.title_zh,
            item.example,
        )
        for item in required(channel, jurisdiction)
    )
