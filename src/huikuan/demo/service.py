"""Filling a database with the demo, the way a real deployment fills up.

``load_demo``: (1) resets or upgrades the schema; (2) registers the demo creditors and their
products, an agency, teams and one user per role (agents with capacity); (3) writes each
creditor a placement file in the default format and imports it through the real import path
(validation, encryption, cases); (4) allocates the cases (分案) by the demo rules; then (5) for
each simulated day records that day's receipts, closes the day through the nightly service and
allocates again, exactly as production would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Engine, func, insert, select

from huikuan.accounts.models import Account
from huikuan.accounts.service import load_accounts
from huikuan.assignment.engine import AllocationRules
from huikuan.assignment.rules_io import rules_from_dict
from huikuan.assignment.service import allocate_cases
from huikuan.compensation.schemes import install_default_schemes
from huikuan.cycle.service import DayCycleReport, run_day
from huikuan.db.engine import transaction
from huikuan.db.migrate import downgrade as downgrade_schema
from huikuan.db.migrate import upgrade as upgrade_schema
from huikuan.demo.catalogue import DEMO_AGENCY, DEMO_CREDITORS, DEMO_POLICIES, DEMO_TEAMS
from huikuan.dispatch.worker import WorkerStats
from huikuan.imports.mapping import FIELDS, ImportKind
from huikuan.imports.sample import sample_frame
from huikuan.imports.service import ImportRequest, ImportSummary, import_file
from huikuan.nightly.service import CloseReport, close_through
from huikuan.org.models import Agency, Role, Team, User
from huikuan.org.service import add_creditor, add_product
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher
from huikuan.strategy.document import default_strategy

CHANNELS = ("bank_transfer", "alipay", "wechat_pay")
ACTOR = "demo"
# Chance of a receipt on a day, by bucket: early buckets pay far more often than late ones.
PAY_PROPENSITY = {"M0": 0.02, "M1": 0.03, "M2": 0.015, "M3": 0.01, "M4": 0.006}
LATE_PROPENSITY = 0.003
FULL_CYCLE_DAYS = 3  # the last days of the demo run the full cycle (run-day)


class DemoExistsError(RuntimeError):
    """The database already holds data and no reset was asked for."""


@dataclass(frozen=True, slots=True)
class DemoResult:
    accounts: int
    users: tuple[tuple[str, str], ...]  # (username, role)
    start: date
    as_of: date
    imports: tuple[ImportSummary, ...]
    closes: tuple[CloseReport, ...]
    cycles: tuple[DayCycleReport, ...] = ()
    deliveries: tuple[WorkerStats, ...] = ()  # the worker's run after each full-cycle day


def reset_schema(engine: Engine) -> None:
    """Start from an empty database: a SQLite file is removed, PostgreSQL is migrated down."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)
    else:
        downgrade_schema(engine, "base")
    upgrade_schema(engine)


def _stamp(day: date) -> datetime:
    """Audit time for demo work done on a business day (the demo has no wall clock)."""
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def demo_rules() -> AllocationRules:
    """Early buckets stay in-house, balanced by count; late buckets go to the agency by amount."""
    creditors = [creditor.code for creditor in DEMO_CREDITORS]
    return rules_from_dict(
        {
            "code": "DEMO",
            "version": 1,
            "rules": [
                {
                    "code": "EARLY-IN-HOUSE",
                    "when": {"buckets": ["M0", "M1", "M2", "M3"]},
                    "target": {"teams": [code for code, _, agency in DEMO_TEAMS if not agency]},
                    "balance_by": "count",
                },
                {
                    "code": "LATE-AGENCY",
                    "when": {},
                    "target": {"agencies": [DEMO_AGENCY[0]]},
                    "balance_by": "amount",
                },
            ],
            "agency_approvals": [{"creditor": c, "agencies": [DEMO_AGENCY[0]]} for c in creditors],
        }
    )


def load_demo(
    engine: Engine,
    *,
    accounts: int,
    as_of: date,
    days: int,
    cipher: FieldCipher,
    work_dir: Path,
    seed: int = 20260101,
    reset: bool = False,
    on_day: Callable[[date], None] | None = None,
    deliver: bool = False,
    agents_work: bool = False,
) -> DemoResult:
    """Build the demo portfolio and run its days (the module docstring).

    ``agents_work``: on the full-cycle days agents also dial part of their call list (each call
    through the guard, with a disposition; promises recorded) and debtors answer some of the
    satisfaction surveys, so the dashboards have contacts, RPCs, PTPs and scores to show.
    """
    if days < 0:
        raise ValueError("--days cannot be negative")
    if accounts <= 0:
        raise ValueError("--accounts must be positive")
    if reset:
        reset_schema(engine)
    else:
        upgrade_schema(engine)
    with transaction(engine) as session:
        if session.scalar(select(func.count()).select_from(Account)):
            raise DemoExistsError("the database already holds accounts; use --reset to start over")
    start = as_of - timedelta(days=days)
    placed = start + timedelta(days=1)  # files arrive on the first open day
    users = _organisation(engine, accounts, start)
    with transaction(engine) as session:  # commission and agency-fee schemes (the seed's)
        install_default_schemes(session, effective_from=start)
    imports = _place(engine, cipher, accounts, seed, start, placed, work_dir)
    rules = demo_rules()
    strategy = default_strategy()
    closes = []
    cycles = []
    deliveries = []
    for offset in range(1, days + 1):
        day = start + timedelta(days=offset)
        if offset > 1:
            _record_receipts(engine, day, seed)
        if offset > days - FULL_CYCLE_DAYS:
            _debtors_respond(engine, cipher, day, seed)
            if agents_work:
                _debtors_rate(engine, day, seed)
            # The last days run the whole cycle: strategy, guard and outbox included.
            cycles.append(run_day(engine, day, strategy=strategy, rules=rules, demo_letters=True))
            closes.append(close_through(engine, day))
            if deliver:
                deliveries.append(_deliver(engine, cipher, day, work_dir))
            if agents_work:
                _agents_work(engine, day, seed)
        else:
            closes.append(close_through(engine, day))
            allocate_cases(engine, rules, as_of=day, actor=ACTOR, at=_stamp(day))
        if on_day is not None:
            on_day(day)
    if days == 0:
        allocate_cases(engine, rules, as_of=placed, actor=ACTOR, at=_stamp(placed))
    written = sum(summary.written for summary in imports)
    return DemoResult(
        written,
        users,
        start,
        as_of,
        tuple(imports),
        tuple(closes),
        tuple(cycles),
        tuple(deliveries),
    )


def _organisation(engine: Engine, accounts: int, start: date) -> tuple[tuple[str, str], ...]:
    policies = {policy.code: policy for policy in DEMO_POLICIES}
    at = _stamp(start)
    with transaction(engine) as session:
        creditor_ids = {}
        for spec in DEMO_CREDITORS:
            creditor = add_creditor(
                session, spec.code, spec.name, actor=ACTOR, at=at, hotline=spec.hotline or None
            )
            creditor_ids[spec.code] = creditor.id
            for code, name in spec.products:
                policy = replace(policies[code], code=f"{spec.code}.{code}")
                add_product(session, creditor, code, name, policy)
        agency = Agency(code=DEMO_AGENCY[0], name=DEMO_AGENCY[1])
        session.add(agency)
        session.flush()
        teams: list[tuple[int, int | None]] = []
        for code, name, agency_code in DEMO_TEAMS:
            team = Team(code=code, name=name, agency_id=agency.id if agency_code else None)
            session.add(team)
            session.flush()
            teams.append((team.id, team.agency_id))
        users = _demo_users(teams, accounts, creditor_id=creditor_ids[DEMO_CREDITORS[0].code])
        session.execute(insert(User), users)
    return tuple((str(u["username"]), str(u["role"])) for u in users)


def _demo_users(
    teams: list[tuple[int, int | None]], accounts: int, *, creditor_id: int
) -> list[dict[str, object]]:
    users: list[dict[str, object]] = [
        {"username": "admin", "display_name": "系统管理员", "role": Role.ADMIN.value},
        {"username": "manager", "display_name": "催收经理 周明", "role": Role.MANAGER.value},
        {"username": "qa", "display_name": "质检专员 林芳", "role": Role.QA.value},
        {"username": "legal", "display_name": "法务专员 陈律", "role": Role.LEGAL.value},
        {
            "username": "creditor",
            "display_name": "委托方对接人",
            "role": Role.CREDITOR_CLIENT.value,
            "creditor_id": creditor_id,
        },
    ]
    seats = 4
    # Enough room for everyone's share with a margin, so capacity matters but rarely binds.
    capacity = max(50, int(accounts / (len(teams) * seats) * 1.5))
    for number, (team_id, agency_id) in enumerate(teams, start=1):
        users.append(
            {
                "username": f"lead{number}",
                "display_name": f"组长{number}",
                "role": Role.TEAM_LEAD.value,
                "team_id": team_id,
                "agency_id": agency_id,
            }
        )
        for seat in range(1, seats + 1):
            users.append(
                {
                    "username": f"agent{number}{seat}",
                    "display_name": f"坐席{number}-{seat}",
                    "role": Role.AGENT.value,
                    "team_id": team_id,
                    "agency_id": agency_id,
                    "capacity_count": capacity,
                    "languages": "zh,en" if seat == 1 else "zh",
                }
            )
    for user in users:
        for key in ("team_id", "creditor_id", "agency_id", "capacity_count", "capacity_amount"):
            user.setdefault(key, None)
        user.setdefault("languages", "zh")
        user.setdefault("active", True)
    return users


def _place(
    engine: Engine,
    cipher: FieldCipher,
    accounts: int,
    seed: int,
    start: date,
    placed: date,
    work_dir: Path,
) -> list[ImportSummary]:
    """Each creditor sends a placement file of its own products; each is imported for real."""
    frame = sample_frame(ImportKind.PLACEMENTS, accounts, seed=seed, as_of=start)
    labels = {f.name: f.label_zh for f in FIELDS[ImportKind.PLACEMENTS]}
    work_dir.mkdir(parents=True, exist_ok=True)
    summaries = []
    for spec in DEMO_CREDITORS:
        products = [code for code, _ in spec.products]
        part = frame.filter(pl.col("product_code").is_in(products))
        if part.height == 0:
            continue
        path = work_dir / f"{spec.code}-placements-{placed:%Y%m%d}.csv"
        part.rename(labels).write_csv(path, include_bom=True)
        request = ImportRequest(
            path=path,
            kind=ImportKind.PLACEMENTS,
            creditor_code=spec.code,
            business_date=placed,
            actor=ACTOR,
            at=_stamp(placed),
            report_dir=work_dir,
            batch_no=f"{spec.code}-{placed:%Y%m%d}",
        )
        summary = import_file(engine, request, cipher)
        if not summary.ok:
            raise RuntimeError(f"demo placement file was refused: {summary.message}")
        summaries.append(summary)
    return summaries


def _record_receipts(engine: Engine, day: date, seed: int) -> None:
    """The day's receipts: open accounts pay with a chance that falls with the bucket."""
    with transaction(engine) as session:
        accounts = load_accounts(session).filter(pl.col("status") == "open")
        if accounts.height == 0:
            return
        rng = np.random.default_rng([seed, day.toordinal()])
        chance = accounts.get_column("bucket").replace_strict(
            PAY_PROPENSITY, default=LATE_PROPENSITY, return_dtype=pl.Float64
        )
        paying = accounts.filter(pl.Series(rng.random(accounts.height)) < chance)
        if paying.height == 0:
            return
        kind = rng.random(paying.height)
        instalment = paying.get_column("instalment").to_numpy()
        balance = paying.select(pl.sum_horizontal("principal", "interest", "penalty", "fee"))
        owed = balance.to_series().to_numpy()
        amount = np.where(
            kind < 0.1,
            owed,  # pays off everything
            np.where(kind < 0.7, instalment, np.round(instalment * rng.uniform(0.3, 0.7), -2)),
        ).astype(np.int64)
        channels = np.array(CHANNELS)[rng.integers(0, len(CHANNELS), paying.height)]
        rows = [
            {
                "account_id": account_id,
                "received_on": day,
                "amount": int(value),
                "channel": str(channel),
                "reference": f"DEMO-{day:%Y%m%d}-{account_id}",
                "source": "channel",
                "posted_on": None,
            }
            for account_id, value, channel in zip(
                paying.get_column("account_id").to_list(), amount, channels, strict=True
            )
            if value > 0
        ]
        if rows:
            session.execute(insert(Payment), rows)


DISPUTE_CHANCE = 0.004  # a case a day whose debtor disputes the debt or complains (hold)
STOP_CHANCE = 0.05  # of yesterday's texts, the share answered with 退订 / TD


def _debtors_respond(engine: Engine, cipher: FieldCipher, day: date, seed: int) -> None:
    """What debtors do overnight: some dispute or complain (a hold: collection stops until it
    is resolved) and some answer yesterday's text with 退订 (the channel closes at once). The
    guard then blocks what the strategy would have sent them, with the rule named."""
    from huikuan.cases.models import Case, Hold
    from huikuan.dispatch.inbound import record_replies
    from huikuan.dispatch.models import OutboxMessage

    rng = np.random.default_rng([seed, day.toordinal(), 7])
    with transaction(engine) as session:
        case_ids = session.scalars(
            select(Case.id).where(Case.state.not_in(("settled", "recalled"))).order_by(Case.id)
        ).all()
        chosen = [case_id for case_id in case_ids if rng.random() < DISPUTE_CHANCE]
        for case_id in chosen:
            kind = "dispute" if rng.random() < 0.6 else "complaint"
            session.add(
                Hold(case_id=case_id, kind=kind, started_on=day, reason="demo", actor=ACTOR)
            )
        yesterday = datetime.combine(day - timedelta(days=1), time(0), tzinfo=UTC)
        texts = session.execute(
            select(OutboxMessage.id, OutboxMessage.recipient)
            .where(OutboxMessage.channel == "sms", OutboxMessage.not_before >= yesterday)
            .order_by(OutboxMessage.id)
        ).all()
        replies = [
            _DemoReply(
                "demo",
                cipher.decrypt(recipient, context="contact.value"),
                "退订" if rng.random() < 0.5 else "TD",
                datetime.combine(day, time(8, 30), tzinfo=UTC) - timedelta(hours=8),
                f"DEMO-{day:%Y%m%d}-{message_id}",
            )
            for message_id, recipient in texts
            if rng.random() < STOP_CHANCE
        ]
        if replies:
            record_replies(session, cipher, replies, actor=ACTOR)


WORK_SHARE = 0.12  # of the day's assigned call tasks, the share the demo's agents dial
# What a dial gives (the mix of a collection floor; disputes and complaints come from
# ``_debtors_respond``): code, probability.
CALL_MIX: tuple[tuple[str, float], ...] = (
    ("no_answer", 0.46),
    ("rpc", 0.22),
    ("promise", 0.14),
    ("third_party", 0.08),
    ("refuse", 0.07),
    ("wrong_number", 0.03),
)
ANSWER_SHARE = 0.35  # of the surveys sent, the share debtors answer
SCORES = ((1, 0.05), (2, 0.07), (3, 0.18), (4, 0.36), (5, 0.34))


def _agents_work(engine: Engine, day: date, seed: int) -> int:
    """The agents dial part of today's call list between 09:00 and 18:00 (Beijing): each call
    through :func:`huikuan.calls.service.log_call` (the guard decides; a refused call is stored
    as evidence only), and a promise recorded for the ``promise`` dispositions. Returns how
    many calls were logged."""
    from huikuan.access.policy import AccessDeniedError, principal_for
    from huikuan.accounts.models import ContactPoint
    from huikuan.calls.models import CallTask
    from huikuan.calls.service import log_call
    from huikuan.cases.models import Case
    from huikuan.cases.work import WorkInputError, case_balance, record_promise

    rng = np.random.default_rng([seed, day.toordinal(), 11])
    codes = [code for code, _ in CALL_MIX]
    weights = [weight for _, weight in CALL_MIX]
    with transaction(engine) as session:
        tasks = session.execute(
            select(CallTask.case_id, User.username, ContactPoint.id)
            .join(User, User.id == CallTask.agent_id)
            .join(Case, Case.id == CallTask.case_id)
            .join(
                ContactPoint,
                (ContactPoint.debtor_id == Case.debtor_id)
                & (ContactPoint.owner_type == "self")
                & (ContactPoint.kind == "mobile")
                & (ContactPoint.status != "invalid"),
            )
            .where(CallTask.due_on == day, CallTask.status == "open")
            .order_by(CallTask.id, ContactPoint.id)
        ).all()
    seen: set[int] = set()
    chosen = []
    for case_id, username, point_id in tasks:
        if case_id not in seen and rng.random() < WORK_SHARE:
            chosen.append((case_id, username, point_id))
        seen.add(case_id)
    logged = 0
    for start in range(0, len(chosen), 200):
        with transaction(engine) as session:
            principals: dict[str, Any] = {}
            for case_id, username, point_id in chosen[start : start + 200]:
                principal = principals.get(username) or principal_for(session, username)
                principals[username] = principal
                minutes = int(rng.integers(60, 600))  # 09:00–18:00 Beijing is 01:00–10:00 UTC
                at = datetime.combine(day, time(0), tzinfo=UTC) + timedelta(minutes=minutes)
                code = str(rng.choice(codes, p=weights))
                try:
                    made = log_call(
                        session,
                        principal,
                        case_id,
                        contact_point_id=point_id,
                        disposition_code=code,
                        note="",
                        today=day,
                        at=at,
                    )
                    if made.logged and code == "promise":
                        case = session.get(Case, case_id)
                        assert case is not None
                        balance = case_balance(session, case).total
                        share = float(rng.choice([0.1, 0.2, 0.5, 1.0]))
                        record_promise(
                            session,
                            principal,
                            case_id,
                            amount=max(1, min(balance, int(balance * share))),
                            promised_on=day + timedelta(days=int(rng.integers(1, 8))),
                            today=day,
                            at=at,
                        )
                except (WorkInputError, AccessDeniedError, PermissionError):
                    continue  # a case this agent may no longer work, or nothing owed
                logged += int(made.logged)
    return logged


def _debtors_rate(engine: Engine, day: date, seed: int) -> int:
    """Some debtors answer yesterday's satisfaction text with a digit (overnight)."""
    from huikuan.kpis.models import Survey, SurveyStatus
    from huikuan.kpis.survey import answer_by_reply

    rng = np.random.default_rng([seed, day.toordinal(), 13])
    scores = [score for score, _ in SCORES]
    weights = [weight for _, weight in SCORES]
    at = datetime.combine(day, time(0, 40), tzinfo=UTC)  # 08:40 in Beijing
    answered = 0
    with transaction(engine) as session:
        open_surveys = session.execute(
            select(Survey.id, Survey.contact_point_id)
            .where(Survey.status == SurveyStatus.SENT.value, Survey.contact_point_id.is_not(None))
            .order_by(Survey.id)
        ).all()
        for _survey_id, point_id in open_surveys:
            if point_id is None or rng.random() >= ANSWER_SHARE:
                continue
            score = int(rng.choice(scores, p=weights))
            if answer_by_reply(session, [point_id], str(score), at) is not None:
                answered += 1
    return answered


@dataclass(frozen=True, slots=True)
class _DemoReply:
    provider: str
    phone: str
    text: str
    received_at: datetime
    provider_id: str


def _deliver(engine: Engine, cipher: FieldCipher, day: date, work_dir: Path) -> WorkerStats:
    """The outbox worker sends the day's messages at 10:05 that morning: letters as PDFs into
    ``<work_dir>/letters`` (the print house's folder), texts to a local SMS gateway that speaks
    Kannel's ``sendsms`` protocol (no phone network here), email to a local SMTP server that
    keeps each message under ``<work_dir>/mail``. Exactly once, like any worker run, with
    eight messages in flight; letters are rendered one at a time."""
    import httpx

    from huikuan.dispatch.channels import Channel, SmtpEmailChannel
    from huikuan.dispatch.local_smtp import maildir_smtp_server
    from huikuan.dispatch.models import OutboxMessage
    from huikuan.dispatch.provider_fakes import (
        FAKE_KANNEL_PASSWORD,
        FAKE_KANNEL_USER,
        kannel_server,
    )
    from huikuan.dispatch.sms import KannelSmsChannel
    from huikuan.dispatch.worker import run_worker
    from huikuan.letters.channel import LetterChannel

    moment = datetime.combine(day, time(2, 5), tzinfo=UTC)  # 10:05 in Beijing

    def reveal(message: OutboxMessage) -> str:
        return cipher.decrypt(message.recipient, context="contact.value")

    with (
        kannel_server(clock=lambda: moment) as gateway,
        maildir_smtp_server(work_dir / "mail") as (host, port),
        # One pooled client for every text: a new client per message costs more (its TLS
        # set-up) than the request to the gateway itself.
        httpx.Client(timeout=10.0, follow_redirects=False) as http,
    ):
        channels: dict[str, Channel] = {
            "sms": KannelSmsChannel(
                FAKE_KANNEL_USER, FAKE_KANNEL_PASSWORD, base_url=gateway.base_url, client=http
            ),
            "email": SmtpEmailChannel(host, port, "collections@huikuan.example"),
            "letter": LetterChannel(
                work_dir / "letters",
                lambda token: cipher.decrypt(token, context="debtor.name"),
            ),
        }
        return run_worker(
            engine,
            channels,
            f"demo-worker-{day:%Y%m%d}",
            lambda: moment,
            batch=500,
            reveal=reveal,
            stop_when_idle=True,
            concurrency=8,
            serial_channels={"letter"},  # PDF rendering: CPU-bound, and Pango is not thread-safe
        )
