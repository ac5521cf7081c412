"""The post-contact satisfaction survey (满意度回访): planned, sent via the guard, answered once.

Data flow:

1. **A contact reached the debtor.** :func:`collect_contacts` (run-day stage, before sending)
   turns each executed right-party conversation an agent logged (phone or visit, party
   ``consumer``, outcome ``conversation``, actor a person, in the ``LOOKBACK_DAYS`` before the
   run-day) into a ``due`` :class:`~huikuan.kpis.models.Survey` — the latest contact per
   debtor, so the survey's agent is the agent of that contact. The debtor's own action on the
   self-service page calls :func:`note_debtor_action`, which does the same without an agent.
   Either way a debtor gets **at most one survey per** ``SURVEY_EVERY_DAYS`` (30) days: none
   while one is still due, none within 30 days of the last one sent.
2. **The next run-day sends it.** :func:`send_due_surveys` renders the stored template
   ``SMS-SURVEY`` (screened when saved, like any template: signature, collector number,
   回复TD退订), puts a fresh link ``<base>/s/<token>`` in it (only the token's SHA-256 is
   kept), asks the compliance guard (:func:`huikuan.compliance.service.propose_contact`,
   purpose ``survey``: holds, opt-outs, quiet hours and caps apply as to any SMS) and stages
   the message in the outbox. Deferred: tried again the next run-day; blocked: kept as
   ``blocked`` with the rule ids; not sent within ``SEND_WITHIN_DAYS`` of the contact:
   ``expired``.
3. **One answer.** A reply that is a lone digit 1–5 from the number the survey went to
   (:func:`answer_by_reply`, called by :mod:`huikuan.dispatch.inbound` after its opt-out
   check) or a tap on the page (:func:`answer_by_token`) records the score once; any later
   answer is ignored (the result says so) and never counted twice. A survey is open for
   ``ANSWER_WITHIN_DAYS`` after it was sent.

Every change is audited (no personal data in the detail). The KPIs over these rows are in
:mod:`huikuan.kpis.engine` (``satisfaction_score``, ``satisfaction_share``,
``survey_response_rate``).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal
from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.compliance.models import ContactAttempt
from huikuan.compliance.service import ProposedContact, propose_contact
from huikuan.dispatch.outbox import NewMessage, stage
from huikuan.kpis.models import Survey, SurveySource, SurveyStatus
from huikuan.messaging.models import Channel
from huikuan.messaging.service import (
    TemplateNotFoundError,
    TemplatesRefusedError,
    get_template,
    render_row,
    save_template,
)
from huikuan.org.models import Creditor, Role, User

SYSTEM = Principal(username="system", user_id=0, role=Role.ADMIN)
TEMPLATE = "SMS-SURVEY"
LINK = "{link}"  # literal text in the template (not a template variable): the page link
SURVEY_EVERY_DAYS = 30
LOOKBACK_DAYS = 7  # contacts older than this on a run-day are not surveyed any more
SEND_WITHIN_DAYS = 7
ANSWER_WITHIN_DAYS = 14
SEND_UNTIL = clock_time(21, 0)  # local: a survey SMS not out by then is not sent late
SCORES = range(1, 6)
SATISFIED = 4  # 4 and 5 count as satisfied
VOICE = ("phone", "visit")
CLOSED_CASE_STATES = ("settled", "recalled", "written_off")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
ZONE = ZoneInfo("Asia/Shanghai")

# The survey texts. ``{link}`` is filled in after rendering with the survey's own page link;
# everything else is screened by the template store like any other template.
_US_TAIL = "This is a communication from a debt collector. Reply STOP to opt out."
DEFAULT_TEXTS: tuple[tuple[str, str, str], ...] = (
    (
        "zh",
        "CN",
        "【{{ institution }}】您好，请为近期与我们的沟通打分：回复1-5（5为非常满意），"
        "或点击 {link} 。工号{{ agent_no }}。回复TD退订",
    ),
    (
        "en",
        "CN",
        "【{{ institution }}】Hello, please rate your recent contact with us: reply 1-5 "
        "(5 = very satisfied) or tap {link} . Collector ID {{ agent_no }}. "
        "Reply TD to unsubscribe.",
    ),
    (
        "en",
        "US",
        "{{ institution }}: please rate your recent contact with us: reply 1-5 "
        "(5 = very satisfied) or tap {link} . Reference {{ agent_no }}. " + _US_TAIL,
    ),
)


class AnswerOutcome(StrEnum):
    RECORDED = "recorded"
    ALREADY_ANSWERED = "already_answered"  # ignored: the first answer stands
    CLOSED = "closed"  # expired, or never sent


class SurveyNotFoundError(LookupError):
    """No survey has that link token."""


class ScoreError(ValueError):
    """The score is not a whole number from 1 to 5."""

    field = "score"


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: AnswerOutcome
    survey_id: int
    score: int | None  # the score that stands (the first one)


@dataclass
class SurveyRun:
    """What one run-day's survey stage did."""

    created: int = 0
    sent: int = 0
    deferred: int = 0
    blocked: int = 0
    no_contact_point: int = 0
    no_template: int = 0
    expired: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_score(text: str) -> int | None:
    """A reply that is a lone digit 1–5 (full-width digits and spaces allowed), else ``None``.

    >>> [parse_score(t) for t in ("5", " ４ ", "1。", "6", "5分", "45", "TD", "")]
    [5, 4, 1, None, None, None, None, None]
    """
    folded = unicodedata.normalize("NFKC", text).strip().rstrip("。.!！ ")
    if len(folded) == 1 and folded.isdigit() and int(folded) in SCORES:
        return int(folded)
    return None


def check_score(score: object) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise ScoreError("score: choose a whole number from 1 to 5")
    return score


# ------------------------------------------------------------------------------- templates


def ensure_survey_templates(session: Session, at: datetime, actor: str = "system") -> int:
    """Save the survey texts that have no active version yet, through the template store's own
    screening (a person's later edit is left alone); returns how many were saved."""
    saved = 0
    for language, jurisdiction, body in DEFAULT_TEXTS:
        try:
            get_template(session, TEMPLATE, language, jurisdiction=jurisdiction)
            continue
        except TemplateNotFoundError:
            pass
        result = save_template(
            session,
            actor,
            TEMPLATE,
            Channel.SMS.value,
            language,
            jurisdiction,
            "",
            body,
            activate=True,
            at=at,
        )
        if result.refused:
            problems = "; ".join(problem.message for problem in result.problems)
            raise TemplatesRefusedError(f"{TEMPLATE} ({language}/{jurisdiction}): {problems}")
        saved += 1
    return saved


# ------------------------------------------------------------------------------ planning


def _recent_debtors(session: Session, at: datetime) -> set[int]:
    """Debtors who may not get a new survey: one due, or one sent in the last 30 days."""
    since = _utc(at) - timedelta(days=SURVEY_EVERY_DAYS)
    rows = session.scalars(
        select(Survey.debtor_id).where(
            or_(Survey.status == SurveyStatus.DUE.value, Survey.sent_at >= since)
        )
    )
    return set(rows)


def _new_survey(
    session: Session,
    case: tuple[int, int],
    source: SurveySource,
    contact_at: datetime,
    at: datetime,
    *,
    agent_id: int | None = None,
    attempt_id: int | None = None,
    actor: str = "system",
) -> Survey:
    survey = Survey(
        case_id=case[0],
        debtor_id=case[1],
        agent_id=agent_id,
        source=source.value,
        contact_attempt_id=attempt_id,
        contact_at=_utc(contact_at),
        status=SurveyStatus.DUE.value,
        rule_ids=[],
        created_at=_utc(at),
    )
    session.add(survey)
    session.flush()
    record(
        session,
        at=at,
        actor=actor,
        action="survey.planned",
        entity="case",
        entity_id=case[0],
        detail={"survey": survey.id, "source": source.value, "attempt": attempt_id},
    )
    return survey


def collect_contacts(session: Session, as_of: date, at: datetime) -> int:
    """Make ``due`` surveys from the agents' right-party contacts before ``as_of`` (module
    docstring, step 1); returns how many were made."""
    day_start = datetime.combine(as_of, clock_time(0), tzinfo=ZONE).astimezone(UTC)
    low = day_start - timedelta(days=LOOKBACK_DAYS)
    taken = select(Survey.contact_attempt_id).where(Survey.contact_attempt_id.is_not(None))
    people = dict(
        session.execute(
            select(User.username, User.id).where(User.role != Role.CREDITOR_CLIENT.value)
        ).all()
    )
    rows = session.execute(
        select(
            ContactAttempt.id,
            ContactAttempt.case_id,
            ContactAttempt.debtor_id,
            ContactAttempt.at,
            ContactAttempt.actor,
        )
        .where(
            ContactAttempt.executed.is_(True),
            ContactAttempt.channel.in_(VOICE),
            ContactAttempt.party == "consumer",
            ContactAttempt.outcome == "conversation",
            ContactAttempt.at >= low,
            ContactAttempt.at < day_start,
            ContactAttempt.id.not_in(taken),
        )
        .order_by(ContactAttempt.at.desc(), ContactAttempt.id.desc())
    ).all()
    blocked = _recent_debtors(session, at)
    made = 0
    for attempt_id, case_id, debtor_id, contact_at, actor in rows:
        agent_id = people.get(actor)
        if agent_id is None or debtor_id in blocked:
            continue  # the system's own contacts are not a conversation with a person
        blocked.add(debtor_id)  # the latest contact per debtor only
        _new_survey(
            session,
            (case_id, debtor_id),
            SurveySource.CALL,
            contact_at,
            at,
            agent_id=agent_id,
            attempt_id=attempt_id,
        )
        made += 1
    return made


def note_debtor_action(
    session: Session, case_id: int, at: datetime, *, action: str, actor: str = "debtor"
) -> Survey | None:
    """The debtor did something on their own page (paid, asked for instalments …): plan a
    survey for the next run-day, unless the 30-day rule says no (``None``)."""
    row = session.execute(select(Case.id, Case.debtor_id).where(Case.id == case_id)).one_or_none()
    if row is None:
        raise LookupError(f"no case {case_id}")
    if row[1] in _recent_debtors(session, at):
        return None
    survey = _new_survey(session, (row[0], row[1]), SurveySource.DEBTOR_PAGE, at, at, actor=actor)
    record(
        session,
        at=at,
        actor=actor,
        action="survey.page_action",
        entity="case",
        entity_id=case_id,
        detail={"survey": survey.id, "action": action[:40]},
    )
    return survey


# ------------------------------------------------------------------------------- sending


def _own_mobile(session: Session, debtor_id: int) -> ContactPoint | None:
    return session.scalars(
        select(ContactPoint)
        .where(
            ContactPoint.debtor_id == debtor_id,
            ContactPoint.kind == "mobile",
            ContactPoint.owner_type == "self",
            ContactPoint.status != "invalid",
        )
        .order_by(ContactPoint.id)
    ).first()


def _agent_no(session: Session, agent_id: int | None) -> str:
    if agent_id is None:
        return "system"
    return session.scalar(select(User.username).where(User.id == agent_id)) or "system"


def _close(session: Session, survey: Survey, status: SurveyStatus, at: datetime) -> None:
    survey.status = status.value
    record(
        session,
        at=at,
        actor="system",
        action=f"survey.{status.value}",
        entity="case",
        entity_id=survey.case_id,
        detail={"survey": survey.id, "rules": list(survey.rule_ids or [])},
    )


def send_due_surveys(
    session: Session,
    as_of: date,
    at: datetime,
    *,
    base_url: str = DEFAULT_BASE_URL,
    run: SurveyRun | None = None,
) -> SurveyRun:
    """Send each ``due`` survey through the guard and the outbox (module docstring, step 2)."""
    run = run or SurveyRun()
    local = at.astimezone(ZONE)
    due = session.scalars(
        select(Survey).where(Survey.status == SurveyStatus.DUE.value).order_by(Survey.id)
    ).all()
    for survey in due:
        case = session.get(Case, survey.case_id)
        assert case is not None
        too_old = _utc(survey.contact_at) < _utc(at) - timedelta(days=SEND_WITHIN_DAYS)
        if too_old or case.state in CLOSED_CASE_STATES:
            run.expired += 1
            _close(session, survey, SurveyStatus.EXPIRED, at)
            continue
        point = _own_mobile(session, survey.debtor_id)
        if point is None:
            run.no_contact_point += 1
            _close(session, survey, SurveyStatus.NO_CONTACT_POINT, at)
            continue
        creditor = session.get(Creditor, case.creditor_id)
        debtor = session.get(Debtor, survey.debtor_id)
        jurisdiction = (creditor.jurisdiction if creditor else None) or "CN"
        language = (debtor.language if debtor else None) or "zh"
        try:
            stored = get_template(session, TEMPLATE, language, jurisdiction=jurisdiction)
        except TemplateNotFoundError:
            run.no_template += 1  # stays due: tried again once the template is saved
            continue
        token = secrets.token_urlsafe(16)
        values: dict[str, object] = {
            "institution": creditor.name if creditor else "",
            "agent_no": _agent_no(session, survey.agent_id),
        }
        rendered = render_row(stored, values)
        body = rendered.body.replace(LINK, f"{base_url.rstrip('/')}/s/{token}")
        proposal = propose_contact(
            session,
            SYSTEM,
            case.id,
            ProposedContact(
                at=at,
                channel="sms",
                contact_point_id=point.id,
                purpose="survey",
                content=body,
                caller="lender",
            ),
            outcome="sent",
        )
        verdict = proposal.verdict
        rule_ids = sorted({reason.rule_id for reason in verdict.reasons})
        for rule_id in rule_ids:
            run.reasons[rule_id] = run.reasons.get(rule_id, 0) + 1
        survey.rule_ids = rule_ids
        if verdict.decision.value == "deferred":
            run.deferred += 1
            continue
        if not verdict.allowed:
            run.blocked += 1
            survey.contact_point_id = point.id
            survey.send_attempt_id = proposal.attempt_id
            _close(session, survey, SurveyStatus.BLOCKED, at)
            continue
        key = f"SURVEY:{survey.id}"
        stage(
            session,
            [
                NewMessage(
                    send_key=key,
                    channel="sms",
                    sender="collections",
                    recipient=point.value_enc,
                    body=body,
                    not_before=at,
                    expires_at=datetime.combine(local.date(), SEND_UNTIL, tzinfo=ZONE),
                    case_id=case.id,
                    contact_attempt_id=proposal.attempt_id,
                    contact_point_id=point.id,
                    template_code=TEMPLATE,
                    template_params={name: str(value) for name, value in values.items()},
                )
            ],
            now=at,
        )
        survey.status = SurveyStatus.SENT.value
        survey.contact_point_id = point.id
        survey.send_attempt_id = proposal.attempt_id
        survey.sent_on = as_of
        survey.sent_at = _utc(at)
        survey.token_hash = token_hash(token)
        run.sent += 1
        record(
            session,
            at=at,
            actor="system",
            action="survey.sent",
            entity="case",
            entity_id=case.id,
            detail={"survey": survey.id, "attempt": proposal.attempt_id, "contact": point.id},
        )
    session.flush()
    return run


def expire_unanswered(session: Session, at: datetime) -> int:
    """Close the surveys sent more than ``ANSWER_WITHIN_DAYS`` ago and still unanswered."""
    cutoff = _utc(at) - timedelta(days=ANSWER_WITHIN_DAYS)
    stale = session.scalars(
        select(Survey).where(Survey.status == SurveyStatus.SENT.value, Survey.sent_at < cutoff)
    ).all()
    for survey in stale:
        _close(session, survey, SurveyStatus.EXPIRED, at)
    return len(stale)


def plan_surveys(
    session: Session, as_of: date, at: datetime, *, base_url: str = DEFAULT_BASE_URL
) -> SurveyRun:
    """The run-day stage: templates in place, yesterday's contacts collected, due surveys
    sent, stale ones closed."""
    ensure_survey_templates(session, at)
    run = SurveyRun(created=collect_contacts(session, as_of, at))
    send_due_surveys(session, as_of, at, base_url=base_url, run=run)
    run.expired += expire_unanswered(session, at)
    return run


# ------------------------------------------------------------------------------ answering


def _is_open(survey: Survey, at: datetime) -> bool:
    if survey.status != SurveyStatus.SENT.value or survey.sent_at is None:
        return False
    return _utc(at) <= _utc(survey.sent_at) + timedelta(days=ANSWER_WITHIN_DAYS)


def _answer(
    session: Session, survey: Survey, score: int, at: datetime, channel: str, actor: str
) -> Answer:
    if survey.status == SurveyStatus.ANSWERED.value:
        return Answer(AnswerOutcome.ALREADY_ANSWERED, survey.id, survey.score)
    if not _is_open(survey, at):
        return Answer(AnswerOutcome.CLOSED, survey.id, None)
    survey.status = SurveyStatus.ANSWERED.value
    survey.score = score
    survey.answered_at = _utc(at)
    survey.answer_channel = channel
    session.flush()
    record(
        session,
        at=at,
        actor=actor,
        action="survey.answered",
        entity="case",
        entity_id=survey.case_id,
        detail={"survey": survey.id, "score": score, "channel": channel},
    )
    return Answer(AnswerOutcome.RECORDED, survey.id, score)


def find_by_token(session: Session, token: str) -> Survey:
    if not token or len(token) > 128:
        raise SurveyNotFoundError("no such survey")
    survey = session.scalars(select(Survey).where(Survey.token_hash == token_hash(token))).first()
    if survey is None:
        raise SurveyNotFoundError("no such survey")
    return survey


def survey_state(session: Session, token: str, at: datetime) -> AnswerOutcome | None:
    """``None`` while the survey at ``token`` is open; else why it takes no answer."""
    survey = find_by_token(session, token)
    if survey.status == SurveyStatus.ANSWERED.value:
        return AnswerOutcome.ALREADY_ANSWERED
    return None if _is_open(survey, at) else AnswerOutcome.CLOSED


def answer_by_token(session: Session, token: str, score: object, at: datetime) -> Answer:
    """The page link's answer (module docstring, step 3); the first answer stands."""
    checked = check_score(score)
    survey = find_by_token(session, token)
    # Serialise two taps on the same link: the row is re-read under a lock where the database
    # has row locks (PostgreSQL); SQLite has one writer at a time anyway.
    session.refresh(survey, with_for_update=True)
    return _answer(session, survey, checked, at, "page", "debtor")


def answer_by_reply(
    session: Session, contact_point_ids: Sequence[int], text: str, at: datetime
) -> Answer | None:
    """An SMS reply from one of ``contact_point_ids``: a lone digit 1–5 answers the latest
    survey sent to that number and still open; anything else (or no open survey) → ``None``."""
    score = parse_score(text)
    if score is None or not contact_point_ids:
        return None
    survey = session.scalars(
        select(Survey)
        .where(
            Survey.contact_point_id.in_(list(contact_point_ids)),
            Survey.status.in_((SurveyStatus.SENT.value, SurveyStatus.ANSWERED.value)),
            Survey.sent_at >= _utc(at) - timedelta(days=ANSWER_WITHIN_DAYS),
        )
        .order_by(Survey.sent_at.desc(), Survey.id.desc())
        .with_for_update()
    ).first()
    if survey is None:
        return None
    return _answer(session, survey, score, at, "sms", "inbound")


# ------------------------------------------------------------------------------- reading


def surveys_frame_rows(
    session: Session, start: date, end: date, zone: ZoneInfo = ZONE
) -> list[tuple[int, int, int | None, date | None, date | None, int | None]]:
    """``survey_id, case_id, agent_id, sent_on, answered_on, score`` of the surveys sent or
    answered in ``[start, end]`` (business days in ``zone``), for the KPI engine."""
    low = datetime.combine(start, clock_time(0), tzinfo=zone).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), clock_time(0), tzinfo=zone).astimezone(UTC)
    rows = session.execute(
        select(
            Survey.id,
            Survey.case_id,
            Survey.agent_id,
            Survey.sent_at,
            Survey.answered_at,
            Survey.score,
        ).where(
            or_(
                (Survey.sent_at >= low) & (Survey.sent_at < high),
                (Survey.answered_at >= low) & (Survey.answered_at < high),
            )
        )
    ).all()

    def day(moment: datetime | None) -> date | None:
        return None if moment is None else _utc(moment).astimezone(zone).date()

    return [(r[0], r[1], r[2], day(r[3]), day(r[4]), r[5]) for r in rows]
