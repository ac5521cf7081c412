"""QA services: the contact sample, score sheets, complaints and disputes (see ``docs.md``).

Every function takes the SQLAlchemy ``Session`` of the caller's unit of work and the
:class:`~huikuan.access.policy.Principal` acting, checks the role (:class:`NotAllowedError`,
answered 403) and the case scope (``get_case`` / ``case_filter``: out of scope raises
:class:`~huikuan.access.policy.AccessDeniedError`, answered 404 without saying whether the thing
exists), writes, and records the change in the audit log in the same transaction. Times come in
as ``now`` from the entry point (a page, the API, the CLI); nothing here reads the clock.

Holds: a complaint about the collectors' conduct and every dispute put the case on a hold of
kind ``complaint`` / ``dispute`` (:class:`huikuan.cases.models.Hold`), which the compliance
guard reads on every proposed contact. The guard knows one hold state per kind and case (a
later lift of that kind ends it), so a case never gets a second open hold of a kind: a new
complaint or dispute joins the one in force, and it is lifted (``ended_on``) only when the last
open complaint or dispute sharing it is closed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal, case_filter, get_case
from huikuan.audit.service import record
from huikuan.calls.models import CallTask
from huikuan.cases.models import Case, Hold
from huikuan.compliance.content import Category, ScreenResult, screen, screen_note
from huikuan.compliance.models import ContactAttempt
from huikuan.core.money import Rounding, divide
from huikuan.org.models import Role, User
from huikuan.quality.highlight import segments
from huikuan.quality.models import Complaint, Dispute, QaReview
from huikuan.quality.schemas import (
    ComplaintRead,
    DisputeRead,
    QaContactRead,
    QaCriterionRead,
    QaHitRead,
    QaRatingRead,
    QaReasonRead,
    QaReviewRead,
    QaSampleRead,
    QaScorecardRead,
    QaScreenedRead,
    QaSegmentRead,
    QaSheetRead,
    TimerRead,
)
from huikuan.quality.scorecard import (
    CRITERIA,
    RATING_LABELS,
    RATING_PERCENT,
    SCORECARD_VERSION,
    Rating,
    ScoreError,
    compute_total,
    suggested_ratings,
)
from huikuan.quality.sla import SLAS, Source, deadlines, timer

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")

# Who may do what (the web routes check the same sets before calling).
SAMPLE_ROLES = frozenset({Role.QA, Role.MANAGER})
REVIEW_ROLES = SAMPLE_ROLES
HANDLE_ROLES = SAMPLE_ROLES  # complaints and disputes: list, acknowledge, resolve, decide
OPEN_ROLES = frozenset({Role.QA, Role.MANAGER, Role.TEAM_LEAD, Role.AGENT})

MAX_SAMPLE = 50
DEFAULT_SAMPLE = 10
LOOKBACK_DAYS = 7
MAX_TEXT = 4000
MAX_COMMENT = 2000
NOTE_MATCH = timedelta(seconds=60)  # a call task closed this close to an attempt holds its note


class NotAllowedError(PermissionError):
    """The role may not do this (answered 403)."""


class InvalidInputError(ValueError):
    """A value the user entered is refused; ``field`` names it, ``key`` is the catalogue key."""

    def __init__(self, field: str, key: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.key = key
        self.message = message


class ConflictError(ValueError):
    """The thing is not in a state that allows this (already reviewed, already decided …)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class Choice:
    code: str
    label_zh: str
    label_en: str
    about_conduct: bool = False  # complaints: starts a ``complaint`` hold


COMPLAINT_CATEGORIES: Mapping[str, Choice] = {
    c.code: c
    for c in (
        Choice("collector_conduct", "催收人员言行（威胁、辱骂、欺骗）", "Collector conduct", True),
        Choice(
            "harassment", "频繁骚扰或非合理时间联系", "Harassment or contact at bad times", True
        ),
        Choice("third_party", "联系或骚扰第三方", "Contacting or harassing third parties", True),
        Choice("privacy", "泄露个人信息", "Personal data disclosed", True),
        Choice("amount", "金额、利息或费用异议", "Amount, interest or fees"),
        Choice("other", "其他", "Other"),
    )
}
COMPLAINT_SOURCES: Mapping[str, Choice] = {
    Source.DEBTOR_PAGE.value: Choice(Source.DEBTOR_PAGE.value, "债务人自助页面", "Debtor page"),
    Source.PHONE.value: Choice(Source.PHONE.value, "电话", "Phone"),
    Source.REGULATOR_12378.value: Choice(
        Source.REGULATOR_12378.value, "监管转办（12378）", "Regulator (12378)"
    ),
    Source.CREDITOR.value: Choice(Source.CREDITOR.value, "委托方转交", "Creditor"),
}
DISPUTE_REASONS: Mapping[str, Choice] = {
    c.code: c
    for c in (
        Choice("not_my_debt", "非本人债务", "Not my debt"),
        Choice("identity_theft", "身份被冒用", "Identity theft"),
        Choice("already_paid", "已还款", "Already paid"),
        Choice("amount_wrong", "金额有误", "Amount wrong"),
        Choice("fees_interest", "利息或费用异议", "Interest or fees contested"),
        Choice("other", "其他", "Other"),
    )
}
COMPLAINT_STATUSES = ("open", "acknowledged", "escalated", "resolved")
OPEN_COMPLAINT = ("open", "acknowledged", "escalated")
DISPUTE_OUTCOMES = ("upheld", "rejected")


# --- helpers --------------------------------------------------------------------------------


def _require(principal: Principal, roles: frozenset[Role], what: str) -> None:
    if principal.role not in roles:
        raise NotAllowedError(f"role {principal.role.value} may not {what}")


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their offset; they are stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def business_date(now: datetime) -> date:
    return _utc(now).astimezone(BUSINESS_TZ).date()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ).astimezone(UTC)


def _text(field: str, value: str, *, required: bool, limit: int) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidInputError(field, "quality.error.required", "is required")
    if len(cleaned) > limit:
        raise InvalidInputError(field, "quality.error.too_long", f"at most {limit} characters")
    return cleaned


def _choice(field: str, value: str, choices: Mapping[str, Choice] | Sequence[str]) -> str:
    if value not in choices:
        raise InvalidInputError(
            field, "quality.error.choice", f"must be one of {', '.join(sorted(choices))}"
        )
    return value


def _case_no(session: Session, case_id: int) -> str:
    return str(session.scalar(select(Case.case_no).where(Case.id == case_id)))


def case_by_number(session: Session, principal: Principal, case_no: str) -> Case:
    """The case numbered ``case_no`` in the principal's scope (forms take numbers, not ids)."""
    found = session.scalars(
        select(Case).where(Case.case_no == case_no.strip(), case_filter(principal))
    ).one_or_none()
    if found is None:
        raise InvalidInputError("case_no", "quality.error.case", "no such case in your scope")
    return found


# --- holds ----------------------------------------------------------------------------------


def _join_or_start_hold(
    session: Session, case_id: int, kind: str, actor: str, now: datetime, why: str
) -> Hold:
    hold = session.scalars(
        select(Hold)
        .where(Hold.case_id == case_id, Hold.kind == kind, Hold.ended_on.is_(None))
        .order_by(Hold.id)
    ).first()
    if hold is not None:
        return hold
    hold = Hold(case_id=case_id, kind=kind, started_on=business_date(now), reason=why, actor=actor)
    session.add(hold)
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        action="hold.started",
        entity="case",
        entity_id=case_id,
        detail={"hold": hold.id, "kind": kind, "reason": why},
    )
    return hold


def _release_hold(session: Session, hold_id: int | None, actor: str, now: datetime) -> bool:
    """Lift the hold when no open complaint or dispute still relies on it; True if lifted."""
    if hold_id is None:
        return False
    hold = session.get(Hold, hold_id)
    if hold is None or hold.ended_on is not None:
        return False
    still_complaints = session.scalar(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.hold_id == hold_id, Complaint.status.in_(OPEN_COMPLAINT))
    )
    still_disputes = session.scalar(
        select(func.count())
        .select_from(Dispute)
        .where(Dispute.hold_id == hold_id, Dispute.status == "open")
    )
    if still_complaints or still_disputes:
        return False
    hold.ended_on = max(business_date(now), hold.started_on)
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        action="hold.lifted",
        entity="case",
        entity_id=hold.case_id,
        detail={"hold": hold.id, "kind": hold.kind},
    )
    return True


def _hold_active(session: Session, hold_id: int | None) -> bool:
    if hold_id is None:
        return False
    hold = session.get(Hold, hold_id)
    return hold is not None and hold.ended_on is None


# --- the contact sample ---------------------------------------------------------------------


def _screened(text: str | None, result: ScreenResult | None) -> QaScreenedRead | None:
    if not text or result is None:
        return None
    return QaScreenedRead(
        text=text,
        segments=[
            QaSegmentRead(
                text=s.text,
                marked=s.marked,
                categories=list(s.categories),
                phrases=list(s.phrases),
                effect=s.effect,
            )
            for s in segments(text, result.hits)
        ],
        hits=[
            QaHitRead(
                category=h.category.value,
                phrase=h.phrase,
                start=h.start,
                end=h.end,
                effect=h.effect.value,
            )
            for h in result.hits
        ],
        blocked=result.blocked,
    )


def _notes(session: Session, attempts: Sequence[ContactAttempt]) -> dict[int, str]:
    """Agents' notes of the attempts: the note of the call task the same agent closed on the
    same case at the time of the call (calls are logged together with their task)."""
    if not attempts:
        return {}
    tasks = session.scalars(
        select(CallTask).where(
            CallTask.case_id.in_({a.case_id for a in attempts}),
            CallTask.closed_by.in_({a.actor for a in attempts}),
            CallTask.note.is_not(None),
            CallTask.closed_at.is_not(None),
        )
    ).all()
    found: dict[int, str] = {}
    for attempt in attempts:
        at = _utc(attempt.at)
        for task in tasks:
            if (
                task.case_id == attempt.case_id
                and task.closed_by == attempt.actor
                and task.closed_at is not None
                and abs(_utc(task.closed_at) - at) <= NOTE_MATCH
                and task.note
            ):
                found[attempt.id] = task.note
                break
    return found


def _noted_ids(session: Session, in_window: tuple[ColumnElement[bool], ...]) -> set[int]:
    """Ids of the window's attempts that have an agent's note (see :func:`_notes`)."""
    pairs = session.execute(
        select(ContactAttempt.id, ContactAttempt.at, CallTask.closed_at)
        .join(Case, Case.id == ContactAttempt.case_id)
        .join(
            CallTask,
            (CallTask.case_id == ContactAttempt.case_id)
            & (CallTask.closed_by == ContactAttempt.actor),
        )
        .where(*in_window, CallTask.note.is_not(None), CallTask.note != "")
    ).all()
    return {
        attempt_id
        for attempt_id, at, closed_at in pairs
        if closed_at is not None and abs(_utc(closed_at) - _utc(at)) <= NOTE_MATCH
    }


def _contacts(
    session: Session, attempts: Sequence[ContactAttempt]
) -> tuple[list[QaContactRead], frozenset[str]]:
    notes = _notes(session, attempts)
    case_nos = dict(
        session.execute(
            select(Case.id, Case.case_no).where(Case.id.in_({a.case_id for a in attempts}))
        ).all()
    )
    totals = dict(
        session.execute(
            select(QaReview.attempt_id, QaReview.total).where(
                QaReview.attempt_id.in_([a.id for a in attempts])
            )
        ).all()
    )
    contacts = []
    every: set[str] = set()
    for attempt in attempts:
        content_result = screen(attempt.content) if attempt.content else None
        note = notes.get(attempt.id)
        note_result = screen_note(note) if note else None
        categories = {
            h.category.value for r in (content_result, note_result) if r is not None for h in r.hits
        }
        every |= categories
        contacts.append(
            QaContactRead(
                attempt_id=attempt.id,
                case_id=attempt.case_id,
                case_no=str(case_nos.get(attempt.case_id, "")),
                at=_utc(attempt.at),
                channel=attempt.channel,
                direction=attempt.direction,
                party=attempt.party,
                actor=attempt.actor,
                outcome=attempt.outcome,
                decision=attempt.decision,
                executed=attempt.executed,
                reasons=[
                    QaReasonRead(
                        rule_id=str(r.get("rule_id", "")),
                        message=str(r.get("message", "")),
                        message_zh=str(r.get("message_zh", "")),
                    )
                    for r in attempt.reasons
                ],
                next_allowed_at=None
                if attempt.next_allowed_at is None
                else _utc(attempt.next_allowed_at),
                content=_screened(attempt.content, content_result),
                note=_screened(note, note_result),
                categories=sorted(categories),
                review_total=totals.get(attempt.id),
            )
        )
    return contacts, frozenset(every)


def sample_rank(seed: str, attempt_id: int) -> bytes:
    """The attempt's place in the sample drawn with ``seed``: the smallest ranks are drawn.

    Hash ranks make the draw reproducible on any machine and Python version, and stable: a
    contact added to the window later never pushes out one already drawn unless it ranks lower.
    """
    return hashlib.sha256(f"{seed}|{attempt_id}".encode()).digest()


def sample_contacts(
    session: Session,
    principal: Principal,
    *,
    on: date,
    size: int = DEFAULT_SAMPLE,
    lookback_days: int = LOOKBACK_DAYS,
    text_only: bool = False,
    now: datetime,
) -> QaSampleRead:
    """A reproducible random sample of the contacts of the ``lookback_days`` before ``on``.

    The seed is the sample date and the reviewer, so the same reviewer sees the same sample all
    day (the window ends the day before, so it no longer grows) and two reviewers see different
    ones. ``text_only`` keeps contacts with a message text or an agent's note.
    """
    _require(principal, SAMPLE_ROLES, "sample contacts")
    if not 1 <= size <= MAX_SAMPLE:
        raise InvalidInputError("size", "quality.error.size", f"between 1 and {MAX_SAMPLE}")
    if not 1 <= lookback_days <= 31:
        raise InvalidInputError("days", "quality.error.days", "between 1 and 31")
    first = on - timedelta(days=lookback_days)
    in_window = (
        case_filter(principal),
        ContactAttempt.at >= _day_start(first),
        ContactAttempt.at < _day_start(on),
    )
    # Only ids (and what text_only needs) are read for the whole window: a week of contacts
    # can be large, and only the drawn few are loaded in full.
    rows = session.execute(
        select(ContactAttempt.id, ContactAttempt.content)
        .join(Case, Case.id == ContactAttempt.case_id)
        .where(*in_window)
    ).all()
    if text_only:
        noted = _noted_ids(session, in_window)
        ids = [row[0] for row in rows if (row[1] or "").strip() or row[0] in noted]
    else:
        ids = [row[0] for row in rows]
    seed = f"{on.isoformat()}|{principal.username}"
    chosen = sorted(ids, key=lambda attempt_id: sample_rank(seed, attempt_id))[:size]
    drawn = sorted(
        session.scalars(select(ContactAttempt).where(ContactAttempt.id.in_(chosen))),
        key=lambda a: (_utc(a.at), a.id),
    )
    contacts, _ = _contacts(session, drawn)
    record(
        session,
        at=now,
        actor=principal.username,
        action="qa.sample",
        entity="qa_sample",
        entity_id=f"{on.isoformat()}:{principal.username}",
        detail={"attempts": [a.id for a in drawn], "population": len(ids)},
    )
    return QaSampleRead(
        business_date=on,
        reviewer=principal.username,
        size=size,
        population=len(ids),
        window_start=first,
        window_end=on - timedelta(days=1),
        text_only=text_only,
        contacts=contacts,
    )


# --- score sheets ---------------------------------------------------------------------------


def scorecard() -> QaScorecardRead:
    return QaScorecardRead(
        version=SCORECARD_VERSION,
        criteria=[
            QaCriterionRead(
                code=c.code,
                weight=c.weight,
                label_zh=c.label_zh,
                label_en=c.label_en,
                critical=c.critical,
                may_be_na=c.may_be_na,
            )
            for c in CRITERIA
        ],
        ratings=[
            QaRatingRead(
                code=r.value,
                percent=RATING_PERCENT.get(r),
                label_zh=RATING_LABELS[r][0],
                label_en=RATING_LABELS[r][1],
            )
            for r in Rating
        ],
    )


def _attempt_in_scope(session: Session, principal: Principal, attempt_id: int) -> ContactAttempt:
    attempt = session.get(ContactAttempt, attempt_id)
    if attempt is None:
        raise AccessDeniedError(f"contact attempt {attempt_id} is not available")
    get_case(session, principal, attempt.case_id)
    return attempt


def _review_read(review: QaReview) -> QaReviewRead:
    return QaReviewRead(
        id=review.id,
        attempt_id=review.attempt_id,
        case_id=review.case_id,
        agent_id=review.agent_id,
        contact_at=_utc(review.contact_at),
        reviewer=review.reviewer,
        reviewed_at=_utc(review.reviewed_at),
        scorecard_version=review.scorecard_version,
        scores=dict(review.scores),
        total=review.total,
        comment=review.comment,
    )


def review_sheet(session: Session, principal: Principal, attempt_id: int) -> QaSheetRead:
    """One contact, highlighted, with the score sheet, suggestions and any saved review."""
    _require(principal, REVIEW_ROLES, "review contacts")
    attempt = _attempt_in_scope(session, principal, attempt_id)
    contacts, categories = _contacts(session, [attempt])
    review = session.scalars(
        select(QaReview).where(QaReview.attempt_id == attempt.id)
    ).one_or_none()
    suggested = suggested_ratings(frozenset(Category(c) for c in categories))
    return QaSheetRead(
        contact=contacts[0],
        scorecard=scorecard(),
        suggested={code: rating.value for code, rating in suggested.items()},
        review=None if review is None else _review_read(review),
        can_review=review is None and attempt.actor != principal.username,
    )


def create_review(
    session: Session,
    principal: Principal,
    attempt_id: int,
    *,
    scores: Mapping[str, str],
    comment: str = "",
    now: datetime,
) -> QaReviewRead:
    """Score one contact (once; never one's own); the total is computed here, exactly."""
    _require(principal, REVIEW_ROLES, "review contacts")
    attempt = _attempt_in_scope(session, principal, attempt_id)
    if attempt.actor == principal.username:
        raise NotAllowedError("nobody scores their own contact")
    if session.scalar(select(QaReview.id).where(QaReview.attempt_id == attempt.id)) is not None:
        raise ConflictError("quality.error.reviewed", "this contact already has a score sheet")
    remark = _text("comment", comment, required=False, limit=MAX_COMMENT)
    try:
        total = compute_total(scores)
    except ScoreError as error:
        raise InvalidInputError(error.field, "quality.error.rating", error.message) from None
    agent_id = session.scalar(select(User.id).where(User.username == attempt.actor))
    review = QaReview(
        attempt_id=attempt.id,
        case_id=attempt.case_id,
        agent_id=agent_id,
        contact_at=_utc(attempt.at),
        reviewer=principal.username,
        reviewed_at=_utc(now),
        scorecard_version=SCORECARD_VERSION,
        scores={code: str(scores[code]) for code in (c.code for c in CRITERIA)},
        total=total,
        comment=remark,
    )
    session.add(review)
    session.flush()
    record(
        session,
        at=now,
        actor=principal.username,
        action="qa.reviewed",
        entity="case",
        entity_id=attempt.case_id,
        detail={"attempt": attempt.id, "review": review.id, "total": total},
    )
    return _review_read(review)


def quality_score(
    session: Session, agent_id: int, period_start: date, period_end: date
) -> int | None:
    """The agent's QA score for contacts made from ``period_start`` to ``period_end`` (both
    included, Asia/Shanghai dates): the mean sheet total rounded half up, or ``None`` when no
    contact of the period was scored. For the commission run's quality multiplier."""
    if period_end < period_start:
        raise ValueError("period_end is before period_start")
    count, summed = session.execute(
        select(func.count(QaReview.id), func.coalesce(func.sum(QaReview.total), 0)).where(
            QaReview.agent_id == agent_id,
            QaReview.contact_at >= _day_start(period_start),
            QaReview.contact_at < _day_start(period_end + timedelta(days=1)),
        )
    ).one()
    if not count:
        return None
    return divide(int(summed), int(count), Rounding.HALF_UP)


# --- complaints -----------------------------------------------------------------------------


def _timer_of(complaint: Complaint, now: datetime) -> TimerRead | None:
    if complaint.status == "resolved":
        return None
    if complaint.acknowledged_at is None:
        deadline, due = "acknowledge", _utc(complaint.acknowledge_due_at)
    else:
        deadline, due = "resolve", _utc(complaint.due_at)
    shown = timer(due, _utc(now))
    return TimerRead(
        deadline=deadline, due_at=due, overdue=shown.overdue, amount=shown.amount, unit=shown.unit
    )


def _complaint_read(session: Session, complaint: Complaint, now: datetime) -> ComplaintRead:
    def opt(moment: datetime | None) -> datetime | None:
        return None if moment is None else _utc(moment)

    return ComplaintRead(
        id=complaint.id,
        case_id=complaint.case_id,
        case_no=_case_no(session, complaint.case_id),
        source=complaint.source,
        category=complaint.category,
        about_conduct=COMPLAINT_CATEGORIES[complaint.category].about_conduct
        if complaint.category in COMPLAINT_CATEGORIES
        else False,
        summary=complaint.summary,
        received_at=_utc(complaint.received_at),
        acknowledge_due_at=_utc(complaint.acknowledge_due_at),
        due_at=_utc(complaint.due_at),
        sla_basis=SLAS[Source(complaint.source)].basis,
        status=complaint.status,
        owner=complaint.owner,
        opened_by=complaint.opened_by,
        acknowledged_at=opt(complaint.acknowledged_at),
        escalated_at=opt(complaint.escalated_at),
        escalation_reason=complaint.escalation_reason,
        resolved_at=opt(complaint.resolved_at),
        resolved_by=complaint.resolved_by,
        resolution=complaint.resolution,
        hold_id=complaint.hold_id,
        hold_active=_hold_active(session, complaint.hold_id),
        timer=_timer_of(complaint, now),
    )


def _handler(session: Session, username: str) -> str:
    user = session.scalars(select(User).where(User.username == username.strip())).one_or_none()
    if user is None or not user.active or Role(user.role) not in HANDLE_ROLES:
        raise InvalidInputError("owner", "quality.error.owner", "not an active QA user or manager")
    return user.username


def open_complaint(
    session: Session,
    principal: Principal,
    *,
    case_id: int,
    source: str,
    category: str,
    summary: str,
    now: datetime,
    received_at: datetime | None = None,
    owner: str | None = None,
) -> ComplaintRead:
    """Register a complaint with its deadlines; one about conduct puts the case on hold."""
    _require(principal, OPEN_ROLES, "open complaints")
    case = get_case(session, principal, case_id)
    handler = _handler(session, owner) if owner else None
    if handler is None and principal.role in HANDLE_ROLES:
        handler = principal.username
    return register_complaint(
        session,
        case,
        actor=principal.username,
        source=source,
        category=category,
        summary=summary,
        now=now,
        received_at=received_at,
        owner=handler,
    )


def register_complaint(
    session: Session,
    case: Case,
    *,
    actor: str,
    source: str,
    category: str,
    summary: str,
    now: datetime,
    received_at: datetime | None = None,
    owner: str | None = None,
) -> ComplaintRead:
    """The complaint itself, for a caller already entitled to the case (staff through
    :func:`open_complaint`, the debtor through their own page)."""
    _choice("source", source, COMPLAINT_SOURCES)
    _choice("category", category, COMPLAINT_CATEGORIES)
    text = _text("summary", summary, required=True, limit=MAX_TEXT)
    if received_at is not None and received_at.tzinfo is None:
        raise InvalidInputError("received_at", "quality.error.timezone", "needs a time zone")
    received = _utc(now if received_at is None else received_at)
    if received > _utc(now):
        raise InvalidInputError("received_at", "quality.error.future", "is in the future")
    due = deadlines(Source(source), received)
    complaint = Complaint(
        case_id=case.id,
        source=source,
        category=category,
        summary=text,
        received_at=received,
        acknowledge_due_at=due.acknowledge_by,
        due_at=due.resolve_by,
        status="open",
        owner=owner,
        opened_by=actor,
    )
    session.add(complaint)
    session.flush()
    if COMPLAINT_CATEGORIES[category].about_conduct:
        hold = _join_or_start_hold(
            session, case.id, "complaint", actor, now, f"complaint {complaint.id}"
        )
        complaint.hold_id = hold.id
        session.flush()
    record(
        session,
        at=now,
        actor=actor,
        action="complaint.opened",
        entity="case",
        entity_id=case.id,
        detail={
            "complaint": complaint.id,
            "source": source,
            "category": category,
            "due_at": due.resolve_by.isoformat(),
            "hold": complaint.hold_id,
        },
    )
    return _complaint_read(session, complaint, now)


def _complaint_in_scope(session: Session, principal: Principal, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise AccessDeniedError(f"complaint {complaint_id} is not available")
    get_case(session, principal, complaint.case_id)
    return complaint


def get_complaint(
    session: Session, principal: Principal, complaint_id: int, *, now: datetime
) -> ComplaintRead:
    _require(principal, HANDLE_ROLES, "read complaints")
    return _complaint_read(session, _complaint_in_scope(session, principal, complaint_id), now)


def acknowledge_complaint(
    session: Session, principal: Principal, complaint_id: int, *, now: datetime
) -> ComplaintRead:
    """受理: the complaint is taken on (an escalated one stays escalated)."""
    _require(principal, HANDLE_ROLES, "handle complaints")
    complaint = _complaint_in_scope(session, principal, complaint_id)
    if complaint.status == "resolved" or complaint.acknowledged_at is not None:
        raise ConflictError("quality.error.acknowledged", "already acknowledged or resolved")
    complaint.acknowledged_at = _utc(now)
    if complaint.status == "open":
        complaint.status = "acknowledged"
    complaint.owner = complaint.owner or principal.username
    session.flush()
    record(
        session,
        at=now,
        actor=principal.username,
        action="complaint.acknowledged",
        entity="case",
        entity_id=complaint.case_id,
        detail={"complaint": complaint.id},
    )
    return _complaint_read(session, complaint, now)


def resolve_complaint(
    session: Session, principal: Principal, complaint_id: int, *, resolution: str, now: datetime
) -> ComplaintRead:
    """Close the complaint with its resolution; lift its hold if nothing else holds the case."""
    _require(principal, HANDLE_ROLES, "handle complaints")
    complaint = _complaint_in_scope(session, principal, complaint_id)
    text = _text("resolution", resolution, required=True, limit=MAX_TEXT)
    if complaint.status == "resolved":
        raise ConflictError("quality.error.resolved", "already resolved")
    complaint.status = "resolved"
    complaint.resolution = text
    complaint.resolved_at = _utc(now)
    complaint.resolved_by = principal.username
    complaint.acknowledged_at = complaint.acknowledged_at or _utc(now)
    complaint.owner = complaint.owner or principal.username
    session.flush()
    lifted = _release_hold(session, complaint.hold_id, principal.username, now)
    record(
        session,
        at=now,
        actor=principal.username,
        action="complaint.resolved",
        entity="case",
        entity_id=complaint.case_id,
        detail={"complaint": complaint.id, "hold_lifted": lifted},
    )
    return _complaint_read(session, complaint, now)


def escalate_overdue(session: Session, now: datetime, *, actor: str = "system") -> list[int]:
    """Mark every open complaint past a deadline escalated; returns their ids.

    Called when the complaint list loads and by ``python -m huikuan.quality escalate``; running
    it twice changes nothing the second time.
    """
    at = _utc(now)
    overdue = session.scalars(
        select(Complaint)
        .where(
            Complaint.status.in_(("open", "acknowledged")),
            (Complaint.due_at < at)
            | (Complaint.acknowledged_at.is_(None) & (Complaint.acknowledge_due_at < at)),
        )
        .order_by(Complaint.id)
    ).all()
    for complaint in overdue:
        missed_ack = complaint.acknowledged_at is None and _utc(complaint.acknowledge_due_at) < at
        complaint.status = "escalated"
        complaint.escalated_at = at
        complaint.escalation_reason = "acknowledge" if missed_ack else "resolve"
        record(
            session,
            at=now,
            actor=actor,
            action="complaint.escalated",
            entity="case",
            entity_id=complaint.case_id,
            detail={"complaint": complaint.id, "missed": complaint.escalation_reason},
        )
    session.flush()
    return [c.id for c in overdue]


def list_complaints(
    session: Session, principal: Principal, *, now: datetime, status: str | None = None
) -> list[ComplaintRead]:
    """Complaints of the cases in scope: open ones first, by their next deadline."""
    _require(principal, HANDLE_ROLES, "read complaints")
    query = select(Complaint).join(Case, Case.id == Complaint.case_id).where(case_filter(principal))
    if status:
        query = query.where(Complaint.status == _choice("status", status, COMPLAINT_STATUSES))
    rows = session.scalars(query.order_by(Complaint.id.desc()).limit(500)).all()
    reads = [_complaint_read(session, c, now) for c in rows]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(
        reads,
        key=lambda c: (c.status == "resolved", c.timer.due_at if c.timer else far, -c.id),
    )


# --- disputes -------------------------------------------------------------------------------


def _dispute_read(session: Session, dispute: Dispute) -> DisputeRead:
    return DisputeRead(
        id=dispute.id,
        case_id=dispute.case_id,
        case_no=_case_no(session, dispute.case_id),
        reason=dispute.reason,
        evidence_note=dispute.evidence_note,
        status=dispute.status,
        opened_by=dispute.opened_by,
        opened_at=_utc(dispute.opened_at),
        decided_by=dispute.decided_by,
        decided_at=None if dispute.decided_at is None else _utc(dispute.decided_at),
        decision_note=dispute.decision_note,
        hold_id=dispute.hold_id,
        hold_active=_hold_active(session, dispute.hold_id),
        adjustment_follow_up=dispute.status == "upheld",
    )


def open_dispute(
    session: Session,
    principal: Principal,
    *,
    case_id: int,
    reason: str,
    evidence_note: str = "",
    now: datetime,
) -> DisputeRead:
    """Register a dispute; collection on the case stops (a ``dispute`` hold) until decided."""
    _require(principal, OPEN_ROLES, "open disputes")
    case = get_case(session, principal, case_id)
    return register_dispute(
        session, case, actor=principal.username, reason=reason, evidence_note=evidence_note, now=now
    )


def register_dispute(
    session: Session, case: Case, *, actor: str, reason: str, evidence_note: str, now: datetime
) -> DisputeRead:
    """The dispute itself and its hold, for a caller already entitled to the case."""
    _choice("reason", reason, DISPUTE_REASONS)
    note = _text("evidence_note", evidence_note, required=False, limit=MAX_TEXT)
    dispute = Dispute(
        case_id=case.id,
        reason=reason,
        evidence_note=note,
        status="open",
        opened_by=actor,
        opened_at=_utc(now),
    )
    session.add(dispute)
    session.flush()
    hold = _join_or_start_hold(session, case.id, "dispute", actor, now, f"dispute {dispute.id}")
    dispute.hold_id = hold.id
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        action="dispute.opened",
        entity="case",
        entity_id=case.id,
        detail={"dispute": dispute.id, "reason": reason, "hold": hold.id},
    )
    return _dispute_read(session, dispute)


def decide_dispute(
    session: Session,
    principal: Principal,
    dispute_id: int,
    *,
    outcome: str,
    note: str,
    now: datetime,
) -> DisputeRead:
    """Uphold or reject (maker–checker: not by who opened it); the hold is lifted if no other
    open dispute shares it. Upheld records the outcome only: the balance adjustment it calls for
    is requested separately, outside this module."""
    _require(principal, HANDLE_ROLES, "decide disputes")
    dispute = session.get(Dispute, dispute_id)
    if dispute is None:
        raise AccessDeniedError(f"dispute {dispute_id} is not available")
    get_case(session, principal, dispute.case_id)
    _choice("outcome", outcome, DISPUTE_OUTCOMES)
    text = _text("note", note, required=True, limit=MAX_TEXT)
    if dispute.status != "open":
        raise ConflictError("quality.error.decided", "already decided")
    if dispute.opened_by == principal.username:
        raise NotAllowedError("whoever opened a dispute does not decide it (maker–checker)")
    dispute.status = outcome
    dispute.decided_by = principal.username
    dispute.decided_at = _utc(now)
    dispute.decision_note = text
    session.flush()
    lifted = _release_hold(session, dispute.hold_id, principal.username, now)
    record(
        session,
        at=now,
        actor=principal.username,
        action="dispute.decided",
        entity="case",
        entity_id=dispute.case_id,
        detail={
            "dispute": dispute.id,
            "outcome": outcome,
            "hold_lifted": lifted,
            "balance_adjustment": "to be requested separately" if outcome == "upheld" else None,
        },
    )
    return _dispute_read(session, dispute)


def list_disputes(
    session: Session, principal: Principal, *, status: str | None = None
) -> list[DisputeRead]:
    _require(principal, HANDLE_ROLES, "read disputes")
    query = select(Dispute).join(Case, Case.id == Dispute.case_id).where(case_filter(principal))
    if status:
        query = query.where(
            Dispute.status == _choice("status", status, ("open", *DISPUTE_OUTCOMES))
        )
    rows = session.scalars(query.order_by(Dispute.id.desc()).limit(500)).all()
    return sorted(
        (_dispute_read(session, d) for d in rows), key=lambda d: (d.status != "open", -d.id)
    )


def labels(choices: Mapping[str, Choice], language: str) -> dict[str, str]:
    """Code → label in ``language`` (``zh`` or ``en``), for forms and lists."""
    return {code: (c.label_zh if language == "zh" else c.label_en) for code, c in choices.items()}
