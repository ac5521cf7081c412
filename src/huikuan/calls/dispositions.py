"""Disposition codes (通话结果代码): what an agent picks after a call, and what each implies.

One table, :data:`DISPOSITIONS`, keyed by :class:`DispositionCode`. Each entry says:

* ``outcome``: the call outcome the compliance guard counts (the vocabulary of
  ``shared/compliance-check-request.md``): ``conversation`` for anyone reached, ``unanswered``
  for no answer, ``not_in_service`` for a wrong number — the guard's only outcome that means
  "this number does not reach the debtor" (a 失联 trigger and an unanswered attempt);
* ``right_party``: the debtor was reached (RPC), which the team board counts;
* ``invalidates_number``: the contact point becomes ``invalid`` and is never dialled again;
* ``hold``: the hold kind a call with this result starts (a :class:`~huikuan.cases.models.Hold`
  row, which the guard reads as ``channel: hold`` and which stops collection), with the
  life-cycle reason that moves the case to ON_HOLD.

Pure data: no I/O. ``huikuan.calls.service.log_call`` applies it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from huikuan.core.lifecycle import Reason


class DispositionCode(StrEnum):
    RPC = "rpc"  # 本人接听
    THIRD_PARTY = "third_party"  # 第三方接听
    NO_ANSWER = "no_answer"  # 未接通
    WRONG_NUMBER = "wrong_number"  # 号码错误
    PROMISE = "promise"  # 承诺还款
    REFUSE = "refuse"  # 拒绝还款
    DISPUTE = "dispute"  # 争议
    COMPLAINT = "complaint"  # 投诉


@dataclass(frozen=True, slots=True)
class Disposition:
    code: DispositionCode
    label_zh: str
    label_en: str
    outcome: str  # the guard's call outcome
    right_party: bool = False
    invalidates_number: bool = False
    hold: str | None = None  # Hold.kind started by this result
    hold_reason: Reason | None = None  # the life-cycle reason for ON_HOLD

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


_D = DispositionCode
DISPOSITIONS: Mapping[DispositionCode, Disposition] = MappingProxyType(
    {
        _D.RPC: Disposition(_D.RPC, "本人接听", "Right party reached", "conversation", True),
        _D.THIRD_PARTY: Disposition(
            _D.THIRD_PARTY, "第三方接听", "Third party answered", "conversation"
        ),
        _D.NO_ANSWER: Disposition(_D.NO_ANSWER, "未接通", "No answer", "unanswered"),
        _D.WRONG_NUMBER: Disposition(
            _D.WRONG_NUMBER,
            "号码错误",
            "Wrong number",
            "not_in_service",
            invalidates_number=True,
        ),
        _D.PROMISE: Disposition(_D.PROMISE, "承诺还款", "Promise to pay", "conversation", True),
        _D.REFUSE: Disposition(_D.REFUSE, "拒绝还款", "Refuses to pay", "conversation", True),
        _D.DISPUTE: Disposition(
            _D.DISPUTE,
            "争议",
            "Dispute",
            "conversation",
            True,
            hold="dispute",
            hold_reason=Reason.DISPUTE,
        ),
        _D.COMPLAINT: Disposition(
            _D.COMPLAINT,
            "投诉",
            "Complaint",
            "conversation",
            True,
            hold="complaint",
            hold_reason=Reason.COMPLAINT,
        ),
    }
)


def disposition(code: str) -> Disposition:
    """The disposition of ``code``; ``ValueError`` naming the known codes when unknown.

    >>> disposition("wrong_number").invalidates_number, disposition("dispute").hold
    (True, 'dispute')
    """
    try:
        return DISPOSITIONS[DispositionCode(code)]
    except ValueError:
        known = ", ".join(item.value for item in DispositionCode)
        raise ValueError(f"unknown disposition {code!r}; one of {known}") from None
