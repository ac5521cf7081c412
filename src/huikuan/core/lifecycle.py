"""The case life-cycle (案件生命周期): a state machine whose allowed moves are a table of data.

Data flow::

    current state + target state + reason (+ actor, at, note)
      --check_transition(table)--> Refusal | None
      --transition(table)--------> Transition record (for the case history), or
                                   TransitionRefused (bilingual, lists the allowed targets)

The table :data:`CASE_LIFECYCLE` (code ``CASE_LIFECYCLE``, version 1) holds one
:class:`Edge` per allowed ``(from, to)`` pair with the reason codes that may justify it. A move
that is not in the table is refused; so is an allowed move given a reason that does not belong
to it. A state never "moves" to itself: a second promise while PROMISED, or a second hold
reason while ON_HOLD, is recorded by the promises / holds registers, not here.

How the industry moves a case, and how the table reads::

    NEW 入催      -> ACTIVE (allocated 分案) — and, because the creditor's files can carry them
                     before anyone has worked the case: ON_HOLD (a hold reason), SETTLED
                     (payment_received at the creditor), RECALLED (recalled_by_creditor)
    ACTIVE 在催   -> PROMISED, IN_PLAN, ON_HOLD, LEGAL, SETTLED, RECALLED, WRITTEN_OFF
    PROMISED 承诺 -> ACTIVE (promise_broken; or promise_kept with a balance still owing),
                     IN_PLAN, SETTLED, ON_HOLD, RECALLED
    IN_PLAN 分期中 -> ACTIVE (plan_broken), SETTLED (plan_completed …), ON_HOLD, RECALLED
    ON_HOLD 停催  -> ACTIVE (hold_lifted), LEGAL, SETTLED, RECALLED, WRITTEN_OFF
    LEGAL 法催    -> SETTLED, WRITTEN_OFF, RECALLED, ON_HOLD, and ACTIVE (legal_withdrawn: the
                     lawyers hand back a case not worth suing, e.g. no assets to enforce on)
    SETTLED 结清, RECALLED 撤案: final, no exits.
    WRITTEN_OFF 核销: closed to collection work but not final. Chinese lenders practise
                     账销案存 (written off in the books, the claim kept): money that still
                     arrives settles the case (核销后回收, payment_received / settlement_paid),
                     and a sale or recall of the written-off debt closes it as RECALLED.
                     Renewed collection after write-off is a new placement, i.e. a new case.

A write-off or a legal referral is taken from ACTIVE or ON_HOLD (and write-off from LEGAL), not
from PROMISED / IN_PLAN: a live promise or plan is first ended (promise_broken / plan_broken) so
the break is on record. Lifting a hold returns the case to ACTIVE; the agent re-establishes any
promise or plan. Pure: no clock, no I/O; ``at`` is given by the caller and must be aware.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType


class CaseState(StrEnum):
    """Where a case stands in collection. Values are stable codes; ``label`` is the UI word."""

    NEW = "new"
    ACTIVE = "active"
    PROMISED = "promised"
    IN_PLAN = "in_plan"
    ON_HOLD = "on_hold"
    LEGAL = "legal"
    SETTLED = "settled"
    RECALLED = "recalled"
    WRITTEN_OFF = "written_off"

    @property
    def label(self) -> str:
        """The Chinese word users know, e.g. ``在催``."""
        return STATE_LABELS[self]

    @property
    def display(self) -> str:
        """``label`` and code together, for bilingual messages: ``在催 ACTIVE``."""
        return f"{STATE_LABELS[self]} {self.name}"


STATE_LABELS: Mapping[CaseState, str] = MappingProxyType(
    {
        CaseState.NEW: "入催",
        CaseState.ACTIVE: "在催",
        CaseState.PROMISED: "承诺",
        CaseState.IN_PLAN: "分期中",
        CaseState.ON_HOLD: "停催",
        CaseState.LEGAL: "法催",
        CaseState.SETTLED: "结清",
        CaseState.RECALLED: "撤案",
        CaseState.WRITTEN_OFF: "核销",
    }
)


class Reason(StrEnum):
    """Why a case moved. Stable codes stored in the case history."""

    ALLOCATED = "allocated"  # 分案，开始催收
    PROMISE_MADE = "promise_made"  # 承诺还款
    PROMISE_KEPT = "promise_kept"  # 承诺兑现（仍有余额）
    PROMISE_BROKEN = "promise_broken"  # 承诺跳票
    PLAN_AGREED = "plan_agreed"  # 分期协议达成
    PLAN_BROKEN = "plan_broken"  # 分期违约
    PLAN_COMPLETED = "plan_completed"  # 分期还清
    PAYMENT_RECEIVED = "payment_received"  # 全额还款
    SETTLEMENT_PAID = "settlement_paid"  # 协商结清款到账（余额减免）
    DISPUTE = "dispute"  # 争议
    COMPLAINT = "complaint"  # 投诉
    CEASE_REQUEST = "cease_request"  # 要求停止催收
    DECEASED = "deceased"  # 债务人死亡
    BANKRUPTCY = "bankruptcy"  # 破产
    LITIGATION_HOLD = "litigation_hold"  # 诉讼暂停
    HOLD_LIFTED = "hold_lifted"  # 停催解除
    LEGAL_REFERRAL = "legal_referral"  # 转法催
    LEGAL_WITHDRAWN = "legal_withdrawn"  # 法务退回
    RECALLED_BY_CREDITOR = "recalled_by_creditor"  # 委托方撤案
    PLACEMENT_EXPIRED = "placement_expired"  # 委案到期
    WRITE_OFF = "write_off"  # 核销

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS: Mapping[Reason, str] = MappingProxyType(
    {
        Reason.ALLOCATED: "分案",
        Reason.PROMISE_MADE: "承诺还款",
        Reason.PROMISE_KEPT: "承诺兑现",
        Reason.PROMISE_BROKEN: "承诺跳票",
        Reason.PLAN_AGREED: "达成分期",
        Reason.PLAN_BROKEN: "分期违约",
        Reason.PLAN_COMPLETED: "分期还清",
        Reason.PAYMENT_RECEIVED: "全额还款",
        Reason.SETTLEMENT_PAID: "协商结清",
        Reason.DISPUTE: "争议",
        Reason.COMPLAINT: "投诉",
        Reason.CEASE_REQUEST: "要求停催",
        Reason.DECEASED: "死亡",
        Reason.BANKRUPTCY: "破产",
        Reason.LITIGATION_HOLD: "诉讼暂停",
        Reason.HOLD_LIFTED: "解除停催",
        Reason.LEGAL_REFERRAL: "转法催",
        Reason.LEGAL_WITHDRAWN: "法务退回",
        Reason.RECALLED_BY_CREDITOR: "委托方撤案",
        Reason.PLACEMENT_EXPIRED: "委案到期",
        Reason.WRITE_OFF: "核销",
    }
)

HOLD_REASONS: tuple[Reason, ...] = (
    Reason.DISPUTE,
    Reason.COMPLAINT,
    Reason.CEASE_REQUEST,
    Reason.DECEASED,
    Reason.BANKRUPTCY,
    Reason.LITIGATION_HOLD,
)
"""Reasons that stop collection (停催); any of them moves a case to ON_HOLD."""

PAID: tuple[Reason, ...] = (Reason.PAYMENT_RECEIVED, Reason.SETTLEMENT_PAID)
"""Reasons that settle a case: paid in full, or the negotiated amount paid and the rest waived."""

RECALL: tuple[Reason, ...] = (Reason.RECALLED_BY_CREDITOR, Reason.PLACEMENT_EXPIRED)


@dataclass(frozen=True, slots=True)
class Edge:
    """One allowed move and the reasons that may justify it."""

    source: CaseState
    target: CaseState
    reasons: tuple[Reason, ...]

    def __post_init__(self) -> None:
        if self.source is self.target:
            raise ValueError(f"{self.source.name}: a state cannot move to itself")
        if not self.reasons:
            raise ValueError(f"{self.source.name} -> {self.target.name}: needs a reason")
        if len(set(self.reasons)) != len(self.reasons):
            raise ValueError(f"{self.source.name} -> {self.target.name}: repeated reason")


@dataclass(frozen=True, slots=True)
class LifecycleTable:
    """The allowed moves, with a stable code and version recorded on every transition."""

    code: str
    version: int
    edges: tuple[Edge, ...]
    _index: Mapping[tuple[CaseState, CaseState], Edge] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.code or self.version < 1:
            raise ValueError("a life-cycle table needs a code and a version of at least 1")
        index: dict[tuple[CaseState, CaseState], Edge] = {}
        for edge in self.edges:
            key = (edge.source, edge.target)
            if key in index:
                raise ValueError(f"{edge.source.name} -> {edge.target.name} is listed twice")
            index[key] = edge
        object.__setattr__(self, "_index", MappingProxyType(index))

    def edge(self, source: CaseState, target: CaseState) -> Edge | None:
        return self._index.get((source, target))

    def targets(self, source: CaseState) -> tuple[CaseState, ...]:
        """States reachable in one move from ``source``, in declaration order."""
        return tuple(state for state in CaseState if (source, state) in self._index)

    def is_final(self, state: CaseState) -> bool:
        """No exits at all (SETTLED, RECALLED in the standard table)."""
        return not self.targets(state)


def _edges(source: CaseState, moves: Iterable[tuple[CaseState, tuple[Reason, ...]]]) -> list[Edge]:
    return [Edge(source, target, reasons) for target, reasons in moves]


_S = CaseState
CASE_LIFECYCLE = LifecycleTable(
    code="CASE_LIFECYCLE",
    version=1,
    edges=tuple(
        _edges(
            _S.NEW,
            [
                (_S.ACTIVE, (Reason.ALLOCATED,)),
                (_S.ON_HOLD, HOLD_REASONS),
                (_S.SETTLED, (Reason.PAYMENT_RECEIVED,)),
                (_S.RECALLED, (Reason.RECALLED_BY_CREDITOR,)),
            ],
        )
        + _edges(
            _S.ACTIVE,
            [
                (_S.PROMISED, (Reason.PROMISE_MADE,)),
                (_S.IN_PLAN, (Reason.PLAN_AGREED,)),
                (_S.ON_HOLD, HOLD_REASONS),
                (_S.LEGAL, (Reason.LEGAL_REFERRAL,)),
                (_S.SETTLED, PAID),
                (_S.RECALLED, RECALL),
                (_S.WRITTEN_OFF, (Reason.WRITE_OFF,)),
            ],
        )
        + _edges(
            _S.PROMISED,
            [
                (_S.ACTIVE, (Reason.PROMISE_BROKEN, Reason.PROMISE_KEPT)),
                (_S.IN_PLAN, (Reason.PLAN_AGREED,)),
                (_S.ON_HOLD, HOLD_REASONS),
                (_S.SETTLED, PAID),
                (_S.RECALLED, RECALL),
            ],
        )
        + _edges(
            _S.IN_PLAN,
            [
                (_S.ACTIVE, (Reason.PLAN_BROKEN,)),
                (_S.ON_HOLD, HOLD_REASONS),
                (_S.SETTLED, (Reason.PLAN_COMPLETED, *PAID)),
                (_S.RECALLED, RECALL),
            ],
        )
        + _edges(
            _S.ON_HOLD,
            [
                (_S.ACTIVE, (Reason.HOLD_LIFTED,)),
                (_S.LEGAL, (Reason.LEGAL_REFERRAL,)),
                (_S.SETTLED, PAID),
                (_S.RECALLED, RECALL),
                (_S.WRITTEN_OFF, (Reason.WRITE_OFF,)),
            ],
        )
        + _edges(
            _S.LEGAL,
            [
                (_S.ACTIVE, (Reason.LEGAL_WITHDRAWN,)),
                (_S.ON_HOLD, HOLD_REASONS),
                (_S.SETTLED, PAID),
                (_S.RECALLED, (Reason.RECALLED_BY_CREDITOR,)),
                (_S.WRITTEN_OFF, (Reason.WRITE_OFF,)),
            ],
        )
        + _edges(
            _S.WRITTEN_OFF,
            [
                (_S.SETTLED, PAID),  # 核销后回收
                (_S.RECALLED, (Reason.RECALLED_BY_CREDITOR,)),  # debt sold or recalled
            ],
        )
    ),
)
"""The standard case life-cycle, version 1."""

CLOSED_STATES: frozenset[CaseState] = frozenset(
    {CaseState.SETTLED, CaseState.RECALLED, CaseState.WRITTEN_OFF}
)
"""Out of collection work (no queue, no contact). Only WRITTEN_OFF has exits (账销案存)."""


class RefusalCode(StrEnum):
    UNKNOWN_STATE = "unknown_state"
    UNKNOWN_REASON = "unknown_reason"
    SAME_STATE = "same_state"
    FINAL_STATE = "final_state"
    NOT_ALLOWED = "not_allowed"
    REASON_NOT_ALLOWED = "reason_not_allowed"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a move was refused, as a value (for batch paths that must not raise)."""

    code: RefusalCode
    message: str  # "中文 / English"
    allowed_targets: tuple[CaseState, ...] = ()
    allowed_reasons: tuple[Reason, ...] = ()


class TransitionRefused(ValueError):  # noqa: N818 - the business word: the move is refused
    """A move the life-cycle table does not allow; ``refusal`` says why and what is allowed."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class Transition:
    """One move of one case, for its history: who moved it, when, why, under which table."""

    from_state: CaseState
    to_state: CaseState
    reason: Reason
    actor: str
    at: datetime
    note: str
    table_code: str
    table_version: int


def _names(states: Iterable[CaseState]) -> tuple[str, str]:
    listed = tuple(states)
    zh = "、".join(state.display for state in listed) or "无"
    en = ", ".join(state.name for state in listed) or "none"
    return zh, en


def allowed_targets(
    state: CaseState | str, table: LifecycleTable = CASE_LIFECYCLE
) -> tuple[CaseState, ...]:
    """The states a case in ``state`` may move to.

    >>> [s.name for s in allowed_targets(CaseState.IN_PLAN)]
    ['ACTIVE', 'ON_HOLD', 'SETTLED', 'RECALLED']
    >>> allowed_targets(CaseState.SETTLED)
    ()
    """
    return table.targets(CaseState(state))


def allowed_reasons(
    current: CaseState | str, target: CaseState | str, table: LifecycleTable = CASE_LIFECYCLE
) -> tuple[Reason, ...]:
    """The reasons that justify ``current -> target``; empty when the move is not allowed."""
    edge = table.edge(CaseState(current), CaseState(target))
    return () if edge is None else edge.reasons


def check_transition(
    current: CaseState | str,
    target: CaseState | str,
    reason: Reason | str,
    table: LifecycleTable = CASE_LIFECYCLE,
) -> Refusal | None:
    """``None`` when the table allows ``current -> target`` for ``reason``, else the refusal."""
    try:
        source, goal = CaseState(current), CaseState(target)
    except ValueError:
        known = ", ".join(state.value for state in CaseState)
        return Refusal(
            RefusalCode.UNKNOWN_STATE,
            f"未知的案件状态：{current!s} -> {target!s} / unknown case state "
            f"{current!s} -> {target!s}; known states: {known}",
        )
    targets = table.targets(source)
    zh_targets, en_targets = _names(targets)
    if source is goal:
        return Refusal(
            RefusalCode.SAME_STATE,
            f"案件已处于「{source.display}」，无需转换 / the case is already {source.name}; "
            f"allowed targets: {en_targets}",
            targets,
        )
    if not targets:
        return Refusal(
            RefusalCode.FINAL_STATE,
            f"「{source.display}」为终态，不能转为「{goal.display}」 / {source.name} is final: "
            f"a case cannot move from it to {goal.name}",
        )
    edge = table.edge(source, goal)
    if edge is None:
        return Refusal(
            RefusalCode.NOT_ALLOWED,
            f"不允许从「{source.display}」转为「{goal.display}」，可转为：{zh_targets} / "
            f"{source.name} cannot move to {goal.name}; allowed targets: {en_targets}",
            targets,
        )
    try:
        why = Reason(reason)
    except ValueError:
        why = None
    if why is None or why not in edge.reasons:
        codes = ", ".join(item.value for item in edge.reasons)
        labels = "、".join(item.label for item in edge.reasons)
        return Refusal(
            RefusalCode.UNKNOWN_REASON if why is None else RefusalCode.REASON_NOT_ALLOWED,
            f"原因「{reason!s}」不适用于「{source.display}」→「{goal.display}」，可用原因：{labels}"
            f" / reason {reason!s} does not justify {source.name} -> {goal.name}; "
            f"allowed reasons: {codes}",
            targets,
            edge.reasons,
        )
    return None


def transition(
    current: CaseState | str,
    target: CaseState | str,
    *,
    reason: Reason | str,
    actor: str,
    at: datetime,
    note: str = "",
    table: LifecycleTable = CASE_LIFECYCLE,
) -> Transition:
    """Move a case from ``current`` to ``target``, or raise :class:`TransitionRefused`.

    ``actor`` is who (a user name, or a job such as ``nightly``); ``at`` an aware timestamp.

    >>> from datetime import timezone
    >>> moved = transition(
    ...     CaseState.ACTIVE, CaseState.PROMISED, reason="promise_made", actor="agent-7",
    ...     at=datetime(2026, 3, 2, 10, 30, tzinfo=timezone.utc))
    >>> (moved.from_state.label, moved.to_state.label, moved.reason)
    ('在催', '承诺', <Reason.PROMISE_MADE: 'promise_made'>)
    """
    if not actor.strip():
        raise ValueError("a transition needs an actor (who moved the case)")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a transition time must be timezone-aware")
    refusal = check_transition(current, target, reason, table)
    if refusal is not None:
        raise TransitionRefused(refusal)
    return Transition(
        from_state=CaseState(current),
        to_state=CaseState(target),
        reason=Reason(reason),
        actor=actor,
        at=at,
        note=note,
        table_code=table.code,
        table_version=table.version,
    )
