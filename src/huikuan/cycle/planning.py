"""The day's strategy actions over the database portfolio, checked by the guard in bulk.

Data flow (one transaction, so a day's plan is written whole or not at all):

1. **Frames in.** Open accounts with their nightly state, plus the exit columns the strategy
   reads (``paid_since_start``, ``promise_kept``, ``in_plan``) → :func:`assign_segments` →
   :func:`due_actions`. Actions deferred on an earlier day whose retry date has come are added
   back (they keep their arm, segment and step).
2. **One action per case and channel a day**, the most urgent first (lowest priority number,
   then lowest account id): two accounts of one debtor never produce two identical texts.
3. **Contact points.** The debtor's own, still valid mobile (SMS and calls), email or postal
   address, the lowest id first; none → ``no_contact_point``.
4. **The guard.** Debtors of CN creditors with no stored debtor events are checked in one call
   of :func:`huikuan.compliance.batch.plan_contacts` (vectorised, the same verdicts as the
   scalar engine); every other proposal goes through
   :func:`huikuan.compliance.service.propose_contact` one by one, as a person's contact would:
   US creditors, and debtors with any stored event (consents, opt-out replies, and the debtor's
   own designations from :mod:`huikuan.compliance.designations`: stop calls, channel opt-outs,
   inconvenient times, withdrawals). The batch frames carry none of those events, so this
   routing is what keeps a run-day from planning a contact the scalar guard would refuse.
5. **Writes.** Messages allowed → a contact attempt (executed) and an outbox row with a send key
   unique per strategy, account, day and channel; calls allowed → a call task in the case
   agent's queue; deferred → the action waits for the guard's next allowed time (``retry_on``)
   and is proposed again on that day; blocked → the rule ids are kept. Every action, whatever
   became of it, is a ``strategy_actions`` row carrying its arm.

Message texts come from ``render`` (template code + values → subject and body, or ``None`` when
no template exists); their content is screened when the template is saved, so the bulk path
does not re-screen each copy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, cast
from zoneinfo import ZoneInfo

import polars as pl
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal
from huikuan.accounts.models import Account, ContactPoint, Debtor
from huikuan.accounts.service import load_accounts
from huikuan.calls.models import CallTask
from huikuan.cases.models import Case, Hold, Plan, Promise
from huikuan.compliance.batch import plan_contacts
from huikuan.compliance.models import ContactAttempt, DebtorEvent
from huikuan.compliance.service import (
    DEFAULT_ZONES,
    NOTICE_PURPOSES,
    ProposedContact,
    holds_in_view,
    propose_contact,
)
from huikuan.cycle.letters import letter_text_for
from huikuan.cycle.models import StrategyAction
from huikuan.cycle.templates import Text
from huikuan.db.bulk import reserve_ids, sync_id_sequence
from huikuan.dispatch.outbox import NewMessage, stage
from huikuan.org.models import Agency, Creditor, Role, User
from huikuan.org.service import DEFAULT_HOTLINE
from huikuan.payments.models import Payment
from huikuan.selfservice.links import LinkMaker, configured_link_maker
from huikuan.strategy.document import Strategy
from huikuan.strategy.planning import ACTION_SCHEMA, assign_segments, due_actions

SYSTEM = Principal(username="system", user_id=0, role=Role.ADMIN)
SENDER = "collections"
MESSAGE_CHANNELS = ("sms", "email", "letter")
POINT_KINDS = {"sms": "mobile", "email": "email", "letter": "address", "call": "mobile"}
GUARD_CHANNELS = {"sms": "sms", "email": "email", "letter": "letter", "call": "phone"}
CLOSED_CASE_STATES = ("settled", "recalled", "written_off")
ACTIVE_PLAN_STATES = ("active", "approved", "agreed", "current")
SEND_UNTIL = clock_time(21, 0)  # a message not out by 21:00 local expires (never sent late)
HISTORY_DAYS = 60  # CN caps count within a day; notices are read whatever their age
_CHUNK = 10_000
_LOOKUP = 5_000  # ids per IN (...): SQLite caps the variables of one statement

Texts = Callable[[str, dict[str, object], str, str], Text | None]
"""(template code, values, jurisdiction, language) → the text, or None when none is active."""


@dataclass
class PlanCounts:
    planned: int = 0
    sent: int = 0  # staged in the outbox
    deferred: int = 0
    blocked: int = 0
    call_tasks: int = 0
    letters: int = 0
    legal_referrals: int = 0
    no_contact_point: int = 0
    rescheduled: int = 0  # earlier deferrals proposed again today
    reasons: Counter[str] = field(default_factory=Counter)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _maybe_utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


def _frame(rows: Sequence[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame([tuple(row) for row in rows], schema=schema, orient="row")


# --------------------------------------------------------------------------------------------
# 1. Actions due today
# --------------------------------------------------------------------------------------------


def exit_columns(session: Session, accounts: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """``accounts`` plus the Boolean exit columns the strategy's steps may name.

    * ``paid_since_start``: a payment received since the account fell behind (within ``dpd``
      days, so a payment that did not cure still ends the steps that exit on payment);
    * ``promise_kept``: a promise on the case kept during this delinquency;
    * ``in_plan``: an instalment plan or settlement in force on the case.
    """
    paid = _frame(
        session.execute(
            select(Payment.account_id, func.max(Payment.received_on))
            .where(Payment.received_on <= as_of)
            .group_by(Payment.account_id)
        ).all(),
        {"account_id": pl.Int64(), "_last_paid": pl.Date()},
    )
    kept = _frame(
        session.execute(
            select(Account.id, func.max(Promise.promised_on))
            .join(Promise, Promise.case_id == Account.case_id)
            .where(Promise.status == "kept", Promise.promised_on <= as_of)
            .group_by(Account.id)
        ).all(),
        {"account_id": pl.Int64(), "_last_kept": pl.Date()},
    )
    planned = _frame(
        session.execute(
            select(Account.id)
            .join(Plan, Plan.case_id == Account.case_id)
            .where(Plan.status.in_(ACTIVE_PLAN_STATES))
            .distinct()
        ).all(),
        {"account_id": pl.Int64()},
    ).with_columns(pl.lit(True).alias("in_plan"))
    since = pl.lit(as_of) - pl.duration(days=pl.col("dpd"))
    return (
        accounts.join(paid, on="account_id", how="left")
        .join(kept, on="account_id", how="left")
        .join(planned, on="account_id", how="left")
        .with_columns(
            ((pl.col("dpd") > 0) & (pl.col("_last_paid") > since))
            .fill_null(False)
            .alias("paid_since_start"),
            ((pl.col("dpd") > 0) & (pl.col("_last_kept") > since))
            .fill_null(False)
            .alias("promise_kept"),
            pl.col("in_plan").fill_null(False),
        )
        .drop("_last_paid", "_last_kept")
    )


def _deferred_due(session: Session, strategy: Strategy, as_of: date) -> pl.DataFrame:
    """Actions deferred on an earlier day whose next allowed date has come, as action rows."""
    rows = session.execute(
        select(
            StrategyAction.id,
            StrategyAction.action_key,
            StrategyAction.account_id,
            StrategyAction.segment,
            StrategyAction.treatment,
            StrategyAction.arm,
            StrategyAction.step,
            StrategyAction.channel,
            StrategyAction.template,
            StrategyAction.priority,
            StrategyAction.retry_at,
        ).where(
            StrategyAction.status == "deferred",
            StrategyAction.retry_on <= as_of,
            StrategyAction.strategy_code == strategy.code,
        )
    ).all()
    schema: dict[str, pl.DataType] = {
        "_retry_of": pl.Int64(),
        "_retry_key": pl.String(),
        "account_id": pl.Int64(),
        "segment": pl.String(),
        "treatment": pl.String(),
        "arm": pl.String(),
        "step": pl.Int32(),
        "channel": pl.String(),
        "template": pl.String(),
        "priority": pl.Int32(),
        "_retry_at": pl.Datetime("us", "UTC"),
    }
    frame = _frame(
        [(*row[:-1], _maybe_utc(cast(datetime | None, row[-1]))) for row in rows], schema
    )
    return frame.with_columns(
        pl.lit(strategy.code).alias("strategy_code"),
        pl.lit(strategy.version).cast(pl.Int32()).alias("strategy_version"),
        pl.lit(as_of).alias("as_of"),
        pl.lit("retry").alias("reason"),
    )


def _with_cases(session: Session, actions: pl.DataFrame) -> pl.DataFrame:
    """Each action with its case, debtor, creditor, agency and agent; closed cases dropped."""
    cases = _frame(
        session.execute(
            select(
                Account.id,
                Account.account_no,
                Case.id,
                Case.debtor_id,
                Case.creditor_id,
                Case.agency_id,
                Case.agent_id,
                Case.state,
            ).join(Case, Case.id == Account.case_id)
        ).all(),
        {
            "account_id": pl.Int64(),
            "account_no": pl.String(),
            "case_id": pl.Int64(),
            "debtor_id": pl.Int64(),
            "creditor_id": pl.Int64(),
            "agency_id": pl.Int64(),
            "agent_id": pl.Int64(),
            "case_state": pl.String(),
        },
    )
    return actions.join(cases, on="account_id", how="inner").filter(
        ~pl.col("case_state").is_in(CLOSED_CASE_STATES)
    )


def _one_per_case_and_channel(actions: pl.DataFrame) -> pl.DataFrame:
    return (
        actions.sort("priority", "account_id", "step")
        .unique(subset=["case_id", "channel"], keep="first", maintain_order=True)
        .sort("priority", "case_id", "channel")
    )


def _contact_points(session: Session) -> pl.DataFrame:
    """The first valid own point of each kind per debtor: ``debtor_id``, ``kind``, id, token."""
    rows = session.execute(
        select(
            ContactPoint.debtor_id,
            ContactPoint.kind,
            ContactPoint.id,
            ContactPoint.value_enc,
            ContactPoint.value_masked,
        )
        .where(ContactPoint.owner_type == "self", ContactPoint.status != "invalid")
        .order_by(ContactPoint.debtor_id, ContactPoint.kind, ContactPoint.id)
    ).all()
    frame = _frame(
        rows,
        {
            "debtor_id": pl.Int64(),
            "point_kind": pl.String(),
            "point_id": pl.Int64(),
            "recipient": pl.String(),
            "point_masked": pl.String(),
        },
    )
    return frame.unique(subset=["debtor_id", "point_kind"], keep="first", maintain_order=True)


# --------------------------------------------------------------------------------------------
# 2. The guard
# --------------------------------------------------------------------------------------------


def _history(session: Session, since: datetime, debtor_ids: pl.Series) -> pl.DataFrame:
    """Executed attempts (the last ``HISTORY_DAYS`` days, and notices of any age) and holds,
    in the frame format :func:`plan_contacts` reads, the same fields ``build_request`` gives."""
    attempt_rows = session.execute(
        select(
            ContactAttempt.debtor_id,
            ContactAttempt.at,
            ContactAttempt.channel,
            ContactAttempt.direction,
            ContactAttempt.party,
            ContactAttempt.caller,
            ContactAttempt.contact_point_id,
            ContactAttempt.outcome,
            ContactAttempt.call_type,
            ContactAttempt.purpose,
            ContactAttempt.case_id,
        ).where(
            ContactAttempt.executed.is_(True),
            (ContactAttempt.at >= since) | ContactAttempt.purpose.in_(NOTICE_PURPOSES),
        )
    ).all()
    attempts = _frame(
        [(*row[:1], _utc(row[1]), *row[2:]) for row in attempt_rows],
        {
            "debtor_id": pl.Int64(),
            "datetime": pl.Datetime("us", "UTC"),
            "channel": pl.String(),
            "direction": pl.String(),
            "party": pl.String(),
            "caller": pl.String(),
            "_point": pl.Int64(),
            "outcome": pl.String(),
            "call_type": pl.String(),
            "purpose": pl.String(),
            "case_id": pl.Int64(),
        },
    ).with_columns(
        pl.format("cp-{}", pl.col("_point")).alias("to_number"),
        pl.when(pl.col("purpose").is_in(list(NOTICE_PURPOSES)))
        .then(pl.col("purpose"))
        .otherwise(None)
        .alias("content_type"),
        pl.lit(None, dtype=pl.String()).alias("status"),
        pl.concat_list(pl.format("case-{}", pl.col("case_id"))).alias("debt_ids"),
    )
    hold_rows = session.execute(
        select(Case.debtor_id, Hold.case_id, Hold.kind, Hold.started_on, Hold.ended_on).join(
            Case, Case.id == Hold.case_id
        )
    ).all()
    holds = _frame(
        holds_in_view(hold_rows, lambda row: (row[1], row[2], row[3], row[4])),
        {
            "debtor_id": pl.Int64(),
            "case_id": pl.Int64(),
            "content_type": pl.String(),
            "_started": pl.Date(),
            "_ended": pl.Date(),
        },
    ).with_columns(
        # build_request dates a hold at midnight in the proposal's zone (Beijing here).
        pl.col("_started")
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone(DEFAULT_ZONES["CN"])
        .dt.convert_time_zone("UTC")
        .alias("datetime"),
        pl.lit("hold").alias("channel"),
        pl.when(pl.col("_ended").is_not_null()).then(pl.lit("lifted")).alias("status"),
        pl.concat_list(pl.format("case-{}", pl.col("case_id"))).alias("debt_ids"),
    )
    columns = ["debtor_id", "datetime", "channel", "direction", "party", "caller", "to_number"]
    columns += ["outcome", "call_type", "content_type", "status", "debt_ids"]
    history = pl.concat([attempts, holds], how="diagonal_relaxed").select(columns)
    return history.filter(pl.col("debtor_id").is_in(debtor_ids.implode()))


def _verdicts(session: Session, proposals: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """``decision``, ``next_allowed_at`` and ``rule_ids`` per proposal, by the batch guard."""
    since = _utc(at) - timedelta(days=HISTORY_DAYS)
    history = _history(session, since, proposals.get_column("debtor_id").unique())
    frame = proposals.select(
        pl.col("_row").alias("proposal_id"),
        "debtor_id",
        pl.lit(_utc(at)).alias("datetime"),
        pl.col("channel").replace_strict(GUARD_CHANNELS, return_dtype=pl.String()).alias("channel"),
        pl.format("case-{}", pl.col("case_id")).alias("debt_id"),
        pl.lit("consumer").alias("party"),
        "caller",
        pl.format("cp-{}", pl.col("point_id")).alias("to_number"),
        pl.when(pl.col("channel") == "call").then(pl.lit("agent")).alias("call_type"),
        (
            pl.col("purpose").fill_null("collection")
            if "purpose" in proposals.columns
            else pl.lit("collection")
        ).alias("purpose"),
        pl.col("timezone"),
    )
    verdicts = plan_contacts(frame, history)
    return verdicts.select(
        pl.col("proposal_id").alias("_row"), "decision", "next_allowed_at", "rule_ids"
    )


# --------------------------------------------------------------------------------------------
# 3. The day's plan
# --------------------------------------------------------------------------------------------


def plan_day(
    session: Session,
    strategy: Strategy,
    as_of: date,
    at: datetime,
    texts: Texts,
    *,
    hotline: str = DEFAULT_HOTLINE,
    demo_letters: bool = False,
    link_of: LinkMaker | None = None,
) -> PlanCounts:
    """Decide, check and write the day's actions (module docstring); returns the counts.

    ``link_of``: the debtor-page link of a case for a day (the installation's when None).
    """
    link_of = link_of or configured_link_maker()
    counts = PlanCounts()
    zone = at.tzinfo
    assert isinstance(zone, ZoneInfo)
    accounts = load_accounts(session).filter(pl.col("status") == "open")
    accounts = exit_columns(session, accounts, as_of)
    fresh = due_actions(assign_segments(accounts, strategy), strategy, as_of)
    retries = _deferred_due(session, strategy, as_of)
    counts.rescheduled = retries.height
    actions = pl.concat(
        [
            fresh.with_columns(
                pl.lit(None, dtype=pl.Int64()).alias("_retry_of"),
                pl.lit(None, dtype=pl.String()).alias("_retry_key"),
                pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("_retry_at"),
            ),
            retries.select(*ACTION_SCHEMA, "_retry_of", "_retry_key", "_retry_at"),
        ],
        how="diagonal_relaxed",
    )
    actions = _one_per_case_and_channel(_with_cases(session, actions))
    counts.planned = actions.height
    if actions.is_empty():
        return counts
    owed = accounts.select(
        "account_id",
        "dpd",
        "principal",
        "interest",
        "penalty",
        "fee",
        pl.sum_horizontal("principal", "interest", "penalty", "fee").alias("balance"),
    )
    points = _contact_points(session)
    actions = (
        actions.join(owed, on="account_id", how="left")
        .with_columns(
            pl.col("channel")
            .replace_strict(POINT_KINDS, default=None, return_dtype=pl.String())
            .alias("point_kind")
        )
        .join(points, on=["debtor_id", "point_kind"], how="left")
        .with_row_index("_row")
    )
    actions = _with_context(session, actions)
    decided = _decide(session, actions, at)
    writer = _Writer(session, strategy, as_of, at, zone)
    for action in actions.iter_rows(named=True):
        channel = action["channel"]
        values = _values(action, as_of, hotline, link_of)
        if channel == "legal":
            counts.legal_referrals += 1
            writer.action(action, "queued", [])
            continue
        if action["point_id"] is None:
            counts.no_contact_point += 1
            counts.reasons["no-contact-point"] += 1
            writer.action(action, "no_contact_point", [])
            continue
        text = _text(texts, action, values, as_of, hotline, demo=demo_letters)
        if text is None:
            counts.blocked += 1
            counts.reasons["no-template"] += 1
            writer.action(action, "no_template", [])
            continue
        # A retry goes at its next allowed time, or now when that time has passed (a deferral
        # to later the same day is proposed again on the next run, never back-dated).
        retry_at = action["_retry_at"]
        when = max(_utc(retry_at), _utc(at)) if retry_at is not None else _utc(at)
        verdict = decided.get(action["_row"])
        if verdict is None:  # the scalar path: a person's contact would take the same one
            decision, next_allowed_at, rule_ids, attempt_id = _propose_one(
                session, action, channel, when, text.body
            )
        else:
            decision, next_allowed_at, rule_ids = verdict
            attempt_id = None
        for rule_id in rule_ids:
            counts.reasons[rule_id] += 1
        if decision == "allowed":
            if channel == "call":
                counts.call_tasks += 1
                writer.call_task(action, when)
                continue
            if channel == "letter":
                counts.letters += 1
            counts.sent += 1
            writer.message(action, text, when, attempt_id, rule_ids)
        elif decision == "deferred":
            counts.deferred += 1
            writer.deferred(action, channel, next_allowed_at, attempt_id, rule_ids)
        else:
            counts.blocked += 1
            writer.blocked(action, channel, attempt_id, rule_ids)
    writer.flush()
    return counts


def plan_outsourcing_notices(
    session: Session,
    as_of: date,
    at: datetime,
    texts: Texts,
    *,
    hotline: str = DEFAULT_HOTLINE,
    link_of: LinkMaker | None = None,
) -> int:
    """The lender tells each debtor whose case went to an agency, before the agency may contact
    them (C6 art. 41): one SMS from the lender per case and agency, through the guard, staged
    like any message; returns how many were staged. A case whose notice the guard stopped is
    tried again the next day."""
    link_of = link_of or configured_link_maker()
    zone = at.tzinfo
    assert isinstance(zone, ZoneInfo)
    told = select(ContactAttempt.case_id).where(
        ContactAttempt.purpose == "outsourcing_notice", ContactAttempt.executed.is_(True)
    )
    rows = session.execute(
        select(
            Case.id,
            Case.debtor_id,
            Case.creditor_id,
            Case.agency_id,
            Case.agent_id,
            func.min(Account.id),
        )
        .join(Account, Account.case_id == Case.id)
        .where(
            Case.agency_id.is_not(None),
            Case.id.not_in(told),
            Case.state.not_in(CLOSED_CASE_STATES),
        )
        .group_by(Case.id, Case.debtor_id, Case.creditor_id, Case.agency_id, Case.agent_id)
    ).all()
    if not rows:
        return 0
    cases = _frame(
        rows,
        {
            "case_id": pl.Int64(),
            "debtor_id": pl.Int64(),
            "creditor_id": pl.Int64(),
            "agency_id": pl.Int64(),
            "agent_id": pl.Int64(),
            "account_id": pl.Int64(),
        },
    ).with_columns(
        pl.lit("sms").alias("channel"),
        pl.lit("mobile").alias("point_kind"),
        pl.lit("SMS-OUTSOURCING-NOTICE").alias("template"),
        pl.lit("outsourcing_notice").alias("purpose"),
        pl.lit(None, dtype=pl.Int64()).alias("dpd"),
        pl.lit(None, dtype=pl.Int64()).alias("balance"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("_retry_at"),
    )
    notices = (
        cases.join(_contact_points(session), on=["debtor_id", "point_kind"], how="inner")
        .sort("case_id")
        .with_row_index("_row")
    )
    notices = _with_context(session, notices).with_columns(pl.lit("lender").alias("caller"))
    decided = _decide(session, notices, at)
    writer = _Writer(session, None, as_of, at, zone)
    staged = 0
    for notice in notices.iter_rows(named=True):
        values = _values(notice, as_of, hotline, link_of)
        values["agent_no"] = "system"
        text = texts("SMS-OUTSOURCING-NOTICE", values, notice["jurisdiction"], notice["language"])
        if text is None:
            continue
        verdict = decided.get(notice["_row"])
        if verdict is None:
            decision, _, _, attempt_id = _propose_one(session, notice, "sms", _utc(at), text.body)
            if decision == "allowed":
                writer.message(notice, text, _utc(at), attempt_id, [], log_action=False)
                staged += 1
            continue
        decision, next_allowed_at, rule_ids = verdict
        if decision == "allowed":
            writer.message(notice, text, _utc(at), None, rule_ids, log_action=False)
            staged += 1
        else:
            writer.stopped(notice, decision, rule_ids, next_allowed_at)
    writer.flush()
    return staged


def _with_context(session: Session, actions: pl.DataFrame) -> pl.DataFrame:
    """Add what the guard and the texts need: jurisdiction, caller, the debtor's zone and
    language, the institution and agency names, the agent's number, the name token."""
    creditors = session.execute(
        select(Creditor.id, Creditor.name, Creditor.jurisdiction, Creditor.hotline)
    ).all()
    names = {row[0]: row[1] for row in creditors}
    hotlines = {row[0]: row[3] or "" for row in creditors}
    jurisdictions = {row[0]: row[2] or "CN" for row in creditors}
    agencies = session.execute(select(Agency.id, Agency.code, Agency.name)).all()
    agents = dict(session.execute(select(User.id, User.username)).all())
    wanted = _ids(actions, "debtor_id")
    columns = (Debtor.id, Debtor.timezone, Debtor.language, Debtor.name_enc, Debtor.name_masked)
    debtors = _frame(
        [
            row
            for start in range(0, len(wanted), _LOOKUP)
            for row in session.execute(
                select(*columns).where(Debtor.id.in_(wanted[start : start + _LOOKUP]))
            ).all()
        ],
        {
            "debtor_id": pl.Int64(),
            "timezone": pl.String(),
            "language": pl.String(),
            "name_token": pl.String(),
            "name_masked": pl.String(),
        },
    )
    with_events = session.scalars(select(DebtorEvent.debtor_id).distinct()).all()
    agency_code = {row[0]: row[1] for row in agencies}
    agency_name = {row[0]: row[2] for row in agencies}
    return actions.join(debtors, on="debtor_id", how="left").with_columns(
        pl.col("creditor_id")
        .replace_strict(jurisdictions, default="CN", return_dtype=pl.String())
        .alias("jurisdiction"),
        pl.col("creditor_id")
        .replace_strict(names, default="", return_dtype=pl.String())
        .alias("institution"),
        pl.col("creditor_id")
        .replace_strict(hotlines, default="", return_dtype=pl.String())
        .alias("hotline"),
        pl.when(pl.col("agency_id").is_null())
        .then(pl.lit("lender"))
        .otherwise(
            pl.format(
                "agency:{}",
                pl.col("agency_id").replace_strict(
                    agency_code, default="", return_dtype=pl.String()
                ),
            )
        )
        .alias("caller"),
        pl.col("agency_id")
        .replace_strict(agency_name, default="", return_dtype=pl.String())
        .fill_null("")
        .alias("agency_name"),
        pl.col("agent_id")
        .replace_strict(agents, default="system", return_dtype=pl.String())
        .fill_null("system")
        .alias("agent_no"),
        pl.col("language").fill_null("zh"),
        pl.col("debtor_id").is_in(list(with_events)).alias("_has_events"),
    )


_NO_VERDICTS: dict[str, pl.DataType] = {
    "_row": pl.UInt32(),
    "decision": pl.String(),
    "next_allowed_at": pl.Datetime("us", "UTC"),
    "rule_ids": pl.List(pl.String()),
}


def _decide(
    session: Session, actions: pl.DataFrame, at: datetime
) -> dict[int, tuple[str, datetime | None, list[str]]]:
    """Verdicts by the batch guard for the proposals it can decide exactly (CN creditors,
    debtors without stored consents or opt-outs); the rest are left to the scalar path."""
    bulk = actions.filter(
        pl.col("channel").is_in([*MESSAGE_CHANNELS, "call"])
        & pl.col("point_id").is_not_null()
        & (pl.col("jurisdiction") == "CN")
        & ~pl.col("_has_events")
    )
    verdicts = _verdicts(session, bulk, at) if bulk.height else pl.DataFrame(schema=_NO_VERDICTS)
    return {row[0]: (row[1], row[2], row[3]) for row in verdicts.iter_rows()}


def _values(
    action: dict[str, Any], as_of: date, hotline: str, link_of: LinkMaker
) -> dict[str, object]:
    """The template variables of :data:`huikuan.messaging.service.VARIABLES` for an action."""
    return {
        "link": link_of(int(action["case_id"]), as_of),
        "institution": action["institution"],
        "agent_no": action["agent_no"],
        "amount": int(action["balance"] or 0),
        "dpd": int(action["dpd"] or 0),
        "due_date": as_of,
        "hotline": action.get("hotline") or hotline,
        "agency": action["agency_name"],
    }


def _text(
    texts: Texts,
    action: dict[str, Any],
    values: dict[str, object],
    as_of: date,
    hotline: str,
    *,
    demo: bool,
) -> Text | None:
    channel = action["channel"]
    if channel == "call":
        return Text("", "", 0)
    if channel == "letter":
        return letter_text_for(action, as_of, action.get("hotline") or hotline, demo=demo)
    return texts(action["template"], values, action["jurisdiction"], action["language"])


def _ids(frame: pl.DataFrame, column: str) -> list[int]:
    return [int(value) for value in frame.get_column(column).drop_nulls().unique().to_list()]


def _propose_one(
    session: Session, action: dict[str, Any], channel: str, when: datetime, body: str
) -> tuple[str, datetime | None, list[str], int | None]:
    proposal = propose_contact(
        session,
        SYSTEM,
        action["case_id"],
        ProposedContact(
            at=when,
            channel=GUARD_CHANNELS[channel],
            contact_point_id=action["point_id"],
            content=body or None,
            purpose=action.get("purpose") or "collection",
            call_type="agent" if channel == "call" else None,
            caller="lender" if action.get("purpose") == "outsourcing_notice" else None,
        ),
        outcome="sent" if channel == "sms" else None,
    )
    verdict = proposal.verdict
    rule_ids = sorted({reason.rule_id for reason in verdict.reasons})
    if channel == "call":
        # A planned call is not a call made: the attempt is recorded when the agent dials.
        session.execute(delete(ContactAttempt).where(ContactAttempt.id == proposal.attempt_id))
        return verdict.decision.value, verdict.next_allowed_at, rule_ids, None
    return verdict.decision.value, verdict.next_allowed_at, rule_ids, proposal.attempt_id


class _Writer:
    """Collects the day's rows and writes them in bulk, ids reserved up front."""

    def __init__(
        self,
        session: Session,
        strategy: Strategy | None,
        as_of: date,
        at: datetime,
        zone: ZoneInfo,
    ) -> None:
        self.session = session
        self.strategy = strategy
        self.as_of = as_of
        self.at = at
        self.zone = zone
        self.actions: list[dict[str, Any]] = []
        self.attempts: list[dict[str, Any]] = []
        self.tasks: list[dict[str, Any]] = []
        self.messages: list[NewMessage] = []
        self.retried: list[int] = []

    def _key(self, action: dict[str, Any]) -> str:
        if action.get("purpose") == "outsourcing_notice":
            return f"OUTSOURCING-NOTICE:{action['case_id']}:{action['agency_id']}"
        if action["_retry_key"]:
            return f"{action['_retry_key']}@{self.as_of:%Y%m%d}"
        assert self.strategy is not None
        return f"{self.strategy.code}:{action['case_id']}:{self.as_of:%Y%m%d}:{action['channel']}"

    def action(
        self,
        action: dict[str, Any],
        status: str,
        rule_ids: Sequence[str],
        *,
        attempt_id: int | None = None,
        retry_at: datetime | None = None,
        template_version: int | None = None,
    ) -> str:
        key = self._key(action)
        assert self.strategy is not None
        if action["_retry_of"] is not None:
            self.retried.append(action["_retry_of"])
        self.actions.append(
            {
                "action_key": key,
                "as_of": self.as_of,
                "strategy_code": self.strategy.code,
                "strategy_version": self.strategy.version,
                "account_id": action["account_id"],
                "case_id": action["case_id"],
                "segment": action["segment"],
                "treatment": action["treatment"],
                "arm": action["arm"],
                "step": action["step"],
                "channel": action["channel"],
                "template": action["template"],
                "template_version": template_version,
                "priority": action["priority"],
                "reason": action["reason"],
                "status": status,
                "rule_ids": list(rule_ids),
                "contact_attempt_id": attempt_id,
                "retry_on": retry_at.astimezone(self.zone).date() if retry_at else None,
                "retry_at": retry_at,
            }
        )
        return key

    def _attempt(
        self,
        action: dict[str, Any],
        when: datetime,
        decision: str,
        rule_ids: Sequence[str],
        next_allowed_at: datetime | None = None,
        content: str | None = None,
    ) -> int:
        attempt_id = len(self.attempts)  # replaced by the reserved id in flush()
        self.attempts.append(
            {
                "case_id": action["case_id"],
                "debtor_id": action["debtor_id"],
                "contact_point_id": action["point_id"],
                "at": _utc(when),
                "channel": GUARD_CHANNELS[action["channel"]],
                "direction": "outbound",
                "party": "consumer",
                "caller": action["caller"],
                "call_type": None,
                "purpose": action.get("purpose") or "collection",
                "outcome": "sent" if decision == "allowed" and action["channel"] == "sms" else None,
                "content": content,
                "executed": decision == "allowed",
                "decision": decision,
                "next_allowed_at": next_allowed_at,
                "reasons": [{"rule_id": rule_id, "source": "batch"} for rule_id in rule_ids],
                "actor": SYSTEM.username,
            }
        )
        return -1 - attempt_id  # a placeholder: negative numbers index self.attempts

    def message(
        self,
        action: dict[str, Any],
        text: Text,
        when: datetime,
        attempt_id: int | None,
        rule_ids: Sequence[str],
        *,
        log_action: bool = True,
    ) -> None:
        if attempt_id is None:
            attempt_id = self._attempt(action, when, "allowed", rule_ids, content=text.body)
        if log_action:
            key = self.action(
                action,
                "staged",
                rule_ids,
                attempt_id=attempt_id,
                template_version=text.version or None,
            )
        else:
            key = self._key(action)
        local_day = when.astimezone(self.zone).date()
        self.messages.append(
            NewMessage(
                send_key=key,
                channel=action["channel"],
                sender=SENDER,
                recipient=action["recipient"],
                subject=text.subject,
                body=text.body,
                not_before=when,
                expires_at=datetime.combine(local_day, SEND_UNTIL, tzinfo=self.zone),
                case_id=action["case_id"],
                contact_attempt_id=attempt_id,
                contact_point_id=action["point_id"],
                template_code=action["template"],
                template_params=text.params,
            )
        )

    def call_task(self, action: dict[str, Any], when: datetime) -> None:
        key = self.action(action, "queued", [])
        self.tasks.append(
            {
                "task_key": key,
                "case_id": action["case_id"],
                "account_id": action["account_id"],
                "agent_id": action["agent_id"],
                "agency_id": action["agency_id"],
                "due_on": self.as_of,
                "not_before": _utc(when),
                "priority": action["priority"],
                "script": action["template"],
                "reason": action["reason"],
                "status": "open",
                "_action": len(self.actions) - 1,
            }
        )

    def deferred(
        self,
        action: dict[str, Any],
        channel: str,
        next_allowed_at: datetime | None,
        attempt_id: int | None,
        rule_ids: Sequence[str],
    ) -> None:
        if attempt_id is None and channel != "call":
            attempt_id = self._attempt(
                action, self.at, "deferred", rule_ids, next_allowed_at=next_allowed_at
            )
        retry_at = _utc(next_allowed_at) if next_allowed_at else None
        self.action(action, "deferred", rule_ids, attempt_id=attempt_id, retry_at=retry_at)

    def blocked(
        self,
        action: dict[str, Any],
        channel: str,
        attempt_id: int | None,
        rule_ids: Sequence[str],
    ) -> None:
        if attempt_id is None and channel != "call":
            attempt_id = self._attempt(action, self.at, "blocked", rule_ids)
        self.action(action, "blocked", rule_ids, attempt_id=attempt_id)

    def stopped(
        self,
        action: dict[str, Any],
        decision: str,
        rule_ids: Sequence[str],
        next_allowed_at: datetime | None,
    ) -> None:
        """A contact the guard stopped that belongs to no strategy action (a notice)."""
        self._attempt(action, self.at, decision, rule_ids, next_allowed_at=next_allowed_at)

    def flush(self) -> None:
        session = self.session
        attempt_ids = reserve_ids(session, ContactAttempt, len(self.attempts))

        def real(attempt_id: int | None) -> int | None:
            if attempt_id is None or attempt_id >= 0:
                return attempt_id
            return attempt_ids[-1 - attempt_id]

        for offset, row in enumerate(self.attempts):
            row["id"] = attempt_ids[offset]
        _insert(session, ContactAttempt, self.attempts)
        action_ids = reserve_ids(session, StrategyAction, len(self.actions))
        for offset, row in enumerate(self.actions):
            row["id"] = action_ids[offset]
            row["contact_attempt_id"] = real(row["contact_attempt_id"])
        _insert(session, StrategyAction, self.actions)
        task_ids = reserve_ids(session, CallTask, len(self.tasks))
        for offset, row in enumerate(self.tasks):
            row["id"] = task_ids[offset]
            row["strategy_action_id"] = action_ids[row.pop("_action")]
        _insert(session, CallTask, self.tasks)
        for model in (ContactAttempt, StrategyAction, CallTask):
            sync_id_sequence(session, model)
        stage(
            session,
            (
                replace(message, contact_attempt_id=real(message.contact_attempt_id))
                for message in self.messages
            ),
            now=self.at,
        )
        if self.retried:
            for start in range(0, len(self.retried), _CHUNK):
                session.execute(
                    update(StrategyAction)
                    .where(StrategyAction.id.in_(self.retried[start : start + _CHUNK]))
                    .values(status="rescheduled")
                )


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    table = cast(Table, model.__table__)
    for chunk in _chunks(rows):
        session.execute(insert(table), chunk)
