"""Replies from debtors (SMS MO, email replies): kept once, and an opt-out honoured at once.

A provider pushes replies to us (see :mod:`huikuan.dispatch.sms_inbound` for each provider's
format). :func:`record_replies` stores each one once per provider id (a pushed batch that is
pushed again changes nothing), finds the debtor's own contact points with that address by
search hash, and when the text is an opt-out (STOP, 退订, TD …):

1. records a ``medium_opt_out`` event on each such debtor, naming the address, so the
   compliance guard blocks that channel to that address from then on (rule
   ``CN-PIPL-44-OPT-OUT``; Reg F §1006.14(h) for US creditors);
2. cancels every message still waiting in the outbox for those contact points on that channel,
   so nothing already planned goes out after the person said stop.

Only when the reply is not an opt-out, a lone digit 1–5 answers the satisfaction survey last
sent to that number, if one is open (:func:`huikuan.kpis.survey.answer_by_reply`: the first
answer stands, a second is ignored); the reply is then kept with action ``survey``.

Everything happens in the caller's transaction: the reply, the events and the cancellations are
committed together or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from huikuan.accounts.models import ContactPoint
from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.compliance.models import DebtorEvent
from huikuan.dispatch.models import InboundMessage, MessageStatus, OutboxMessage
from huikuan.kpis.survey import AnswerOutcome, answer_by_reply
from huikuan.security.crypto import FieldCipher

# Whole-message keywords (after removing spaces and punctuation, upper-cased). Carriers and the
# CTIA handbook use the English set; Chinese providers' templates end with 回复TD退订 / 回T退订.
OPT_OUT_WORDS = frozenset(
    {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "OPTOUT",
        "TD",
        "T",
        "N",
        "退订",
        "退定",
        "取消",
        "拒收",
        "退出",
        "不要再发",
    }
)
# Phrases that opt out wherever they appear in a longer reply ("请退订，谢谢").
OPT_OUT_PHRASES = ("退订", "拒收", "不要再发", "别再发", "UNSUBSCRIBE", "STOP")
_SEPARATORS = re.compile(r"[\s\W_]+", re.UNICODE)
_WORD_STOP = re.compile(r"\bSTOP\b|\bUNSUBSCRIBE\b")

POINT_KINDS = {"sms": "mobile", "email": "email"}
SEARCH_KINDS = {"sms": "phone", "email": "email"}


class Reply(Protocol):
    """What a provider adapter parses a pushed reply into."""

    @property
    def provider(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def provider_id(self) -> str: ...


def is_opt_out(text: str) -> bool:
    """Whether a reply asks to stop: a keyword alone, or an unmistakable phrase in a sentence.

    >>> [is_opt_out(t) for t in ("stop", " 退订 ", "TD", "请退订，谢谢", "Stop please", "我明天还")]
    [True, True, True, True, True, False]
    >>> is_opt_out("I can't stop worrying, will pay Friday")  # 'stop' inside a sentence: no
    False
    """
    folded = unicodedata.normalize("NFKC", text).upper()
    compact = _SEPARATORS.sub("", folded)
    if compact in OPT_OUT_WORDS:
        return True
    if any(phrase in compact for phrase in OPT_OUT_PHRASES if not phrase.isascii()):
        return True
    # English words only as the first word ("STOP please"), not inside a sentence.
    first = folded.strip().split(maxsplit=1)
    return bool(first) and _WORD_STOP.fullmatch(_SEPARATORS.sub("", first[0])) is not None


@dataclass
class InboundResult:
    received: int = 0
    duplicates: int = 0
    opt_outs: int = 0
    unmatched: int = 0  # no debtor has that address as their own
    cancelled: int = 0  # outbox messages withdrawn
    survey_answers: int = 0  # scores recorded (a repeated answer is not counted)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def record_replies(
    session: Session,
    cipher: FieldCipher,
    replies: Iterable[Reply],
    *,
    channel: str = "sms",
    actor: str = "inbound",
) -> InboundResult:
    """Store each reply once and honour opt-outs (module docstring)."""
    if channel not in POINT_KINDS:
        raise ValueError(f"channel {channel!r}: replies are taken for sms and email")
    result = InboundResult()
    for reply in replies:
        seen = session.scalar(
            select(InboundMessage.id).where(
                InboundMessage.provider == reply.provider,
                InboundMessage.provider_id == reply.provider_id,
            )
        )
        if seen is not None:
            result.duplicates += 1
            continue
        result.received += 1
        digest = cipher.search_hash(reply.phone, kind=SEARCH_KINDS[channel])
        points = session.scalars(
            select(ContactPoint).where(
                ContactPoint.value_hash == digest,
                ContactPoint.kind == POINT_KINDS[channel],
                ContactPoint.owner_type == "self",
            )
        ).all()
        opt_out = is_opt_out(reply.text)
        at = _utc(reply.received_at)
        # Opt-outs first: a survey answer is looked for only in a reply that is not one.
        answer = (
            None
            if opt_out or channel != "sms"
            else answer_by_reply(session, [point.id for point in points], reply.text, at)
        )
        answered = answer is not None and answer.outcome is AnswerOutcome.RECORDED
        if answered:
            result.survey_answers += 1
        session.add(
            InboundMessage(
                provider=reply.provider,
                provider_id=reply.provider_id,
                channel=channel,
                sender_enc=cipher.encrypt(reply.phone, context="inbound.sender"),
                sender_hash=digest,
                text_enc=cipher.encrypt(reply.text, context="inbound.text"),
                received_at=at,
                action="opt_out" if opt_out and points else "survey" if answered else "none",
                contact_points=len(points),
            )
        )
        if not points:
            result.unmatched += 1
            continue
        if not opt_out:
            continue
        result.opt_outs += 1
        for point in points:
            result.cancelled += _close_channel(session, point, channel, at, actor)
    session.flush()
    return result


def _close_channel(
    session: Session, point: ContactPoint, channel: str, at: datetime, actor: str
) -> int:
    """Record the opt-out on the debtor and withdraw what is waiting for that address."""
    case_id = session.scalar(
        select(Case.id).where(Case.debtor_id == point.debtor_id).order_by(Case.id)
    )
    address = f"cp-{point.id}"
    event: dict[str, object] = {
        "datetime": at.isoformat(),
        "channel": "medium_opt_out",
        "medium": channel,
        "party": "consumer",
        "to_number" if channel == "sms" else "to_address": address,
    }
    session.add(
        DebtorEvent(
            debtor_id=point.debtor_id,
            case_id=case_id,
            at=at,
            channel="medium_opt_out",
            event=event,
            recorded_by=actor,
        )
    )
    cancelled = session.scalars(
        update(OutboxMessage)
        .where(
            OutboxMessage.contact_point_id == point.id,
            OutboxMessage.channel == channel,
            OutboxMessage.status == MessageStatus.PENDING.value,
        )
        .values(status=MessageStatus.CANCELLED.value, last_error=f"opted out ({channel})")
        .returning(OutboxMessage.id)
    ).all()
    record(
        session,
        at=at,
        actor=actor,
        action="contact.opted_out",
        entity="contact_point",
        entity_id=point.id,
        detail={"channel": channel, "cancelled": len(cancelled)},
    )
    return len(cancelled)
