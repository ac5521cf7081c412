"""Calls an agent makes from a case, the call tasks waiting for them, and the guard's dry run.

Logging a call (:func:`log_call`), in one transaction:

1. role and scope (:func:`huikuan.cases.work.working_case`), the disposition code
   (:mod:`huikuan.calls.dispositions`) and the contact point (the case debtor's, usable by this
   principal, not invalid) are checked;
2. the note is screened with :func:`huikuan.compliance.content.screen_note`: banned wording
   refuses the call log with the hits, and nothing at all is written;
3. the call goes through :func:`huikuan.compliance.service.propose_contact` (channel phone,
   call type agent, the disposition's guard outcome). Blocked or deferred: the stored attempt is
   evidence of what the guard stopped (``executed`` false) and the result carries the reasons
   and the next allowed time; nothing else happens;
4. allowed: the attempt keeps the note as its content; a wrong number marks the contact point
   invalid; a dispute or complaint adds a :class:`~huikuan.cases.models.Hold` of that kind
   (the guard then stops collection) and moves the case to ON_HOLD when the life-cycle allows;
   the case's open call task for today, if any, is closed with the disposition; every change
   is audited.

:func:`open_tasks` lists today's open call tasks in the principal's scope (agents: their own
and their cases' unassigned ones) by priority. :func:`contact_status` asks the guard, for each
channel, whether a contact now would be allowed, without storing an attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal, case_filter
from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.calls.dispositions import Disposition, disposition
from huikuan.calls.models import CallTask, CallTaskStatus
from huikuan.cases.models import Case, Hold
from huikuan.cases.service import move_case
from huikuan.cases.work import (
    FieldError,
    WorkInputError,
    contact_points,
    party_of,
    require_worker,
    usable_point,
    working_case,
)
from huikuan.cases.worklist import refresh_worklist
from huikuan.compliance.content import Hit, screen_note
from huikuan.compliance.engine import check
from huikuan.compliance.models import ContactAttempt
from huikuan.compliance.registry import default_packs
from huikuan.compliance.service import ProposedContact, build_request, propose_contact
from huikuan.compliance.verdict import Reason as VerdictReason
from huikuan.core.lifecycle import CaseState, check_transition

MAX_NOTE = 2000
STATUS_CHANNELS: tuple[str, ...] = ("phone", "sms", "email")


class NoteRefusedError(WorkInputError):
    """The note holds banned wording; ``hits`` say where (nothing was saved)."""

    def __init__(self, hits: tuple[Hit, ...]) -> None:
        phrases = "、".join(dict.fromkeys(hit.phrase for hit in hits))
        super().__init__(
            [
                FieldError(
                    "note",
                    f"the note contains banned wording: {phrases}",
                    f"备注含有禁用表述：{phrases}",
                )
            ]
        )
        self.hits = hits


@dataclass(frozen=True, slots=True)
class CallResult:
    logged: bool  # the call counts as made (the guard allowed it)
    decision: str
    reasons: tuple[VerdictReason, ...]
    next_allowed_at: datetime | None
    attempt_id: int
    disposition: Disposition
    task_closed: int | None = None
    hold_id: int | None = None
    number_invalidated: bool = False
    case_state: str | None = None


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def log_call(
    session: Session,
    principal: Principal,
    case_id: int,
    *,
    contact_point_id: int,
    disposition_code: str,
    note: str,
    today: date,
    at: datetime,
) -> CallResult:
    """Log a call on a case through the guard (see the module docstring for the steps)."""
    case = working_case(session, principal, case_id)
    errors: list[FieldError] = []
    try:
        chosen = disposition(disposition_code)
    except ValueError:
        errors.append(FieldError("disposition", "choose a disposition code", "请选择通话结果"))
    note = note.strip()
    if len(note) > MAX_NOTE:
        errors.append(
            FieldError(
                "note", f"the note is longer than {MAX_NOTE} characters", f"备注超过 {MAX_NOTE} 字"
            )
        )
    try:
        point = usable_point(session, principal, case, contact_point_id, "contact_point_id")
    except WorkInputError as exc:
        errors.extend(exc.errors)
    if errors:
        raise WorkInputError(errors)
    if point.kind not in ("mobile", "landline"):
        raise WorkInputError.one(
            "contact_point_id", "choose a phone number to call", "请选择可拨打的电话号码"
        )
    screened = screen_note(note)
    if screened.blocked:
        raise NoteRefusedError(screened.blocking)
    party, purpose, relationship = party_of(point)
    proposal = propose_contact(
        session,
        principal,
        case.id,
        ProposedContact(
            at=at,
            channel="phone",
            contact_point_id=point.id,
            party=party,
            purpose=purpose,
            call_type="agent",
            relationship=relationship,
        ),
        outcome=chosen.outcome,
    )
    verdict = proposal.verdict
    result = CallResult(
        logged=verdict.allowed,
        decision=verdict.decision.value,
        reasons=verdict.reasons,
        next_allowed_at=verdict.next_allowed_at,
        attempt_id=proposal.attempt_id,
        disposition=chosen,
        case_state=case.state,
    )
    if not verdict.allowed:
        return result
    attempt = session.get(ContactAttempt, proposal.attempt_id)
    if attempt is not None:
        attempt.disposition = chosen.code.value
        if note:
            attempt.content = note
    invalidated = False
    if chosen.invalidates_number and point.status != "invalid":
        point.status = "invalid"
        invalidated = True
    hold_id = None
    if chosen.hold is not None:
        hold = Hold(
            case_id=case.id,
            kind=chosen.hold,
            started_on=today,
            reason=note,
            actor=principal.username,
        )
        session.add(hold)
        session.flush()
        hold_id = hold.id
        if (
            chosen.hold_reason is not None
            and case.state != CaseState.ON_HOLD.value
            and check_transition(case.state, CaseState.ON_HOLD, chosen.hold_reason) is None
        ):
            move_case(
                session,
                case,
                CaseState.ON_HOLD,
                reason=chosen.hold_reason,
                actor=principal.username,
                at=at,
            )
    task = session.scalars(
        select(CallTask)
        .where(
            CallTask.case_id == case.id,
            CallTask.status == CallTaskStatus.OPEN.value,
            CallTask.due_on == today,
        )
        .order_by(CallTask.priority, CallTask.id)
    ).first()
    if task is not None:
        task.status = CallTaskStatus.DONE.value
        task.closed_at = at
        task.closed_by = principal.username
        task.outcome = chosen.code.value
        task.note = note or None
        session.flush()
        refresh_worklist(session, today, [case.id])  # the case's call for today is made
    record(
        session,
        at=at,
        actor=principal.username,
        action="call.logged",
        entity="case",
        entity_id=case.id,
        detail={
            "attempt": proposal.attempt_id,
            "disposition": chosen.code.value,
            "outcome": chosen.outcome,
            "contact": point.value_masked,
            "number_invalidated": invalidated,
            "hold": hold_id,
            "task": None if task is None else task.id,
        },
    )
    return CallResult(
        logged=True,
        decision=result.decision,
        reasons=result.reasons,
        next_allowed_at=result.next_allowed_at,
        attempt_id=result.attempt_id,
        disposition=chosen,
        task_closed=None if task is None else task.id,
        hold_id=hold_id,
        number_invalidated=invalidated,
        case_state=case.state,
    )


# --------------------------------------------------------------------------------------------
# Call tasks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskRow:
    task_id: int
    case_id: int
    case_no: str
    debtor_name_masked: str | None
    priority: int
    script: str | None
    reason: str
    not_before: datetime
    due_on: date


def open_tasks(
    session: Session,
    principal: Principal,
    *,
    today: date,
    case_id: int | None = None,
    limit: int = 200,
) -> list[TaskRow]:
    """Today's open call tasks the principal works, most urgent (lowest priority) first."""
    require_worker(principal)
    query = (
        select(CallTask, Case.case_no, Debtor.name_masked)
        .join(Case, Case.id == CallTask.case_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .where(
            case_filter(principal),
            CallTask.status == CallTaskStatus.OPEN.value,
            CallTask.due_on == today,
        )
    )
    if principal.role.value == "agent":
        query = query.where(
            or_(CallTask.agent_id == principal.user_id, CallTask.agent_id.is_(None))
        )
    if case_id is not None:
        query = query.where(CallTask.case_id == case_id)
    rows = session.execute(
        query.order_by(CallTask.priority, CallTask.not_before, CallTask.id).limit(limit)
    ).all()
    return [
        TaskRow(
            task_id=task.id,
            case_id=task.case_id,
            case_no=case_no,
            debtor_name_masked=name,
            priority=task.priority,
            script=task.script,
            reason=task.reason,
            not_before=_utc(task.not_before) or task.not_before,
            due_on=task.due_on,
        )
        for task, case_no, name in rows
    ]


# --------------------------------------------------------------------------------------------
# Why blocked / next allowed (a dry run: nothing stored)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    channel: str
    contact_point_id: int | None
    contact_masked: str | None
    decision: str | None  # None: no usable contact point for the channel
    reasons: tuple[VerdictReason, ...] = ()
    next_allowed_at: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


def _first_point(points: list[ContactPoint], channel: str) -> ContactPoint | None:
    kinds = (
        ("email",)
        if channel == "email"
        else ("mobile",)
        if channel == "sms"
        else (
            "mobile",
            "landline",
        )
    )
    for point in points:
        if point.owner_type == "self" and point.kind in kinds and point.status != "invalid":
            return point
    return None


def contact_status(
    session: Session, principal: Principal, case_id: int, *, at: datetime
) -> list[ChannelStatus]:
    """Would a contact to the debtor's own point on each channel be allowed at ``at``?

    The request is built exactly as :func:`propose_contact` builds it and checked with the
    default packs, but no attempt is stored and nothing is audited (nothing was contacted).
    """
    case: Case = working_case(session, principal, case_id)
    points = contact_points(session, principal, case)
    found: list[ChannelStatus] = []
    for channel in STATUS_CHANNELS:
        point = _first_point(points, channel)
        if point is None:
            found.append(ChannelStatus(channel, None, None, None))
            continue
        request = build_request(
            session,
            case,
            ProposedContact(
                at=at,
                channel=channel,
                contact_point_id=point.id,
                call_type="agent" if channel == "phone" else None,
            ),
        )
        verdict = check(request, default_packs())
        found.append(
            ChannelStatus(
                channel,
                point.id,
                point.value_masked,
                verdict.decision.value,
                verdict.reasons,
                verdict.next_allowed_at,
            )
        )
    return found
