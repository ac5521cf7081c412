"""Moving cases through their life-cycle, with the history and the audit entry in one go."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from huikuan.audit.service import record
from huikuan.cases.models import Case, CaseTransition
from huikuan.core.lifecycle import CaseState, Reason, transition

CLOSED_STATES = frozenset({CaseState.SETTLED, CaseState.RECALLED})


def move_case(
    session: Session,
    case: Case,
    target: CaseState,
    *,
    reason: Reason | str,
    actor: str,
    at: datetime,
    note: str = "",
) -> CaseTransition:
    """Apply an allowed transition (or raise ``TransitionRefused``); recorded and audited."""
    moved = transition(case.state, target, reason=reason, actor=actor, at=at, note=note)
    row = CaseTransition(
        case_id=case.id,
        from_state=moved.from_state.value,
        to_state=moved.to_state.value,
        reason=moved.reason.value,
        actor=actor,
        at=at,
        note=note,
    )
    case.state = moved.to_state.value
    if moved.to_state in CLOSED_STATES:
        case.closed_on = at.date()
    session.add(row)
    record(
        session,
        at=at,
        actor=actor,
        action="case.transition",
        entity="case",
        entity_id=case.id,
        detail={
            "from": moved.from_state.value,
            "to": moved.to_state.value,
            "reason": moved.reason.value,
            "table": f"{moved.table_code}@{moved.table_version}",
        },
    )
    return row
