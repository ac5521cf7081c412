"""Moving cases through their life-cycle, with the history and the audit entry in one go."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, update
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


def move_cases_bulk(
    session: Session,
    case_ids: list[int],
    source: CaseState,
    target: CaseState,
    *,
    reason: Reason,
    actor: str,
    at: datetime,
) -> int:
    """Move many cases that are all in ``source`` (a nightly job, an import, an allocation run).

    The move is checked once against the life-cycle table; every case gets its history row, and
    the audit log gets one entry naming how many cases moved and a digest of their ids.
    """
    if not case_ids:
        return 0
    moved = transition(source, target, reason=reason, actor=actor, at=at)
    table = cast(Table, Case.__table__)
    ids = sorted(case_ids)
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        session.execute(
            update(table)
            .where(table.c.id.in_(chunk), table.c.state == source.value)
            .values(state=target.value)
        )
    session.execute(
        insert(CaseTransition),
        [
            {
                "case_id": case_id,
                "from_state": source.value,
                "to_state": target.value,
                "reason": moved.reason.value,
                "actor": actor,
                "at": at,
                "note": "",
            }
            for case_id in ids
        ],
    )
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()
    record(
        session,
        at=at,
        actor=actor,
        action="case.transition.bulk",
        entity="case",
        entity_id=f"{len(ids)} cases",
        detail={
            "from": source.value,
            "to": target.value,
            "reason": moved.reason.value,
            "count": len(ids),
            "case_ids_sha256": digest,
        },
    )
    return len(ids)
