"""Running 分案 against the database: ``huikuan allocate --date D``.

Data flow: open cases (with their creditor, main product, worst bucket, balance, debtor's region
and language, current agent, 留案 date, agency and placement end) and the agents are read into
frames → :func:`huikuan.assignment.engine.allocate` → in one transaction: cases get their new
agent, team and agency; the assignment history closes the old row and opens a new one for every
change; new cases move 入催 → 在催; one audit entry summarises the run. Running the same date
again changes nothing (every case keeps its agent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import polars as pl
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal, get_case
from huikuan.accounts.models import Account, Debtor
from huikuan.assignment.engine import (
    AllocationResult,
    AllocationRules,
    AssignmentChange,
    ReassignmentRefused,
    allocate,
    reassign,
)
from huikuan.audit.service import record
from huikuan.cases.models import Assignment, Case, Placement
from huikuan.cases.service import move_cases_bulk
from huikuan.core.lifecycle import CaseState, Reason
from huikuan.db.bulk import insert_rows, reserve_ids, sync_id_sequence, update_rows
from huikuan.db.engine import transaction
from huikuan.org.models import Agency, Creditor, Role, Team, User

WORKED_STATES = (
    CaseState.NEW.value,
    CaseState.ACTIVE.value,
    CaseState.PROMISED.value,
    CaseState.IN_PLAN.value,
    CaseState.ON_HOLD.value,
)


@dataclass(frozen=True, slots=True)
class AllocationReport:
    as_of: date
    cases: int
    assigned: int
    changed: int
    unassigned: int
    recalled: int
    by_reason: dict[str, int]

    def as_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(),
            "cases": self.cases,
            "assigned": self.assigned,
            "changed": self.changed,
            "unassigned": self.unassigned,
            "recalled": self.recalled,
            "by_reason": self.by_reason,
        }


def team_codes(session: Session) -> list[str]:
    return list(
        session.scalars(select(Team.code).where(Team.agency_id.is_(None)).order_by(Team.code))
    )


def load_cases(session: Session) -> pl.DataFrame:
    """Open cases in the engine's input shape."""
    per_case = (
        select(
            Account.case_id,
            func.sum(Account.principal + Account.interest + Account.penalty + Account.fee).label(
                "balance"
            ),
            func.max(Account.dpd).label("dpd"),
        )
        .where(Account.status == "open", Account.case_id.is_not(None))
        .group_by(Account.case_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Case.id,
            Creditor.code,
            per_case.c.balance,
            per_case.c.dpd,
            Debtor.region,
            Debtor.language,
            Case.agent_id,
            Case.keep_until,
            Placement.ends_on,
            Agency.code,
        )
        .join(Creditor, Creditor.id == Case.creditor_id)
        .join(per_case, per_case.c.case_id == Case.id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .join(Placement, Placement.id == Case.placement_id)
        .outerjoin(Agency, Agency.id == Case.agency_id)
        .where(Case.state.in_(WORKED_STATES))
        .order_by(Case.id)
    ).all()
    frame = pl.DataFrame(
        [tuple(row) for row in rows],
        schema={
            "case_id": pl.Int64,
            "creditor_code": pl.String,
            "balance": pl.Int64,
            "dpd": pl.Int64,
            "region": pl.String,
            "language": pl.String,
            "current_agent_id": pl.Int64,
            "keep_until": pl.Date,
            "placement_end": pl.Date,
            "agency_code": pl.String,
        },
        orient="row",
    )
    # The case's product and bucket are those of its worst account (highest DPD).
    worst = session.execute(
        select(Account.case_id, Account.product_code, Account.bucket, Account.dpd).where(
            Account.status == "open", Account.case_id.is_not(None)
        )
    ).all()
    accounts = pl.DataFrame(
        [tuple(row) for row in worst],
        schema={
            "case_id": pl.Int64,
            "product_code": pl.String,
            "bucket": pl.String,
            "dpd": pl.Int64,
        },
        orient="row",
    )
    picked = (
        accounts.sort("case_id", "dpd", "product_code", descending=[False, True, False])
        .group_by("case_id", maintain_order=True)
        .first()
        .select("case_id", "product_code", "bucket")
    )
    return frame.join(picked, on="case_id", how="left").with_columns(
        pl.lit(None, dtype=pl.String).alias("score_band")
    )


def load_agents(session: Session) -> pl.DataFrame:
    rows = session.execute(
        select(
            User.id,
            Team.code,
            Agency.code,
            User.capacity_count,
            User.capacity_amount,
            User.languages,
            User.active,
        )
        .join(Team, Team.id == User.team_id)
        .outerjoin(Agency, Agency.id == User.agency_id)
        .where(User.role == Role.AGENT.value)
        .order_by(User.id)
    ).all()
    return pl.DataFrame(
        [tuple(row) for row in rows],
        schema={
            "agent_id": pl.Int64,
            "team_code": pl.String,
            "agency_code": pl.String,
            "capacity_count": pl.Int64,
            "capacity_amount": pl.Int64,
            "languages": pl.String,
            "active": pl.Boolean,
        },
        orient="row",
    )


def allocate_cases(
    engine: Engine, rules: AllocationRules, *, as_of: date, actor: str, at: datetime
) -> AllocationReport:
    with transaction(engine) as session:
        cases = load_cases(session)
        agents = load_agents(session)
        result = allocate(cases, agents, rules, as_of=as_of)
        changed = _persist(session, result, cases, as_of=as_of, actor=actor, at=at)
        by_reason = {
            str(k): int(v) for k, v in result.assignments.group_by("reason").len().iter_rows()
        }
        report = AllocationReport(
            as_of=as_of,
            cases=cases.height,
            assigned=result.assignments.height,
            changed=changed,
            unassigned=result.unassigned.height,
            recalled=result.recalled.height,
            by_reason=dict(sorted(by_reason.items())),
        )
        record(
            session,
            at=at,
            actor=actor,
            action="allocation.run",
            entity="allocation",
            entity_id=f"{rules.code}@{rules.version}:{as_of.isoformat()}",
            detail=report.as_json(),
        )
        return report


def _persist(
    session: Session,
    result: AllocationResult,
    cases: pl.DataFrame,
    *,
    as_of: date,
    actor: str,
    at: datetime,
) -> int:
    teams: dict[str, int] = {
        str(row[0]): int(row[1]) for row in session.execute(select(Team.code, Team.id))
    }
    agencies: dict[str, int] = {
        str(row[0]): int(row[1]) for row in session.execute(select(Agency.code, Agency.id))
    }
    previous = dict(
        zip(
            cases.get_column("case_id").to_list(),
            cases.get_column("current_agent_id").to_list(),
            strict=True,
        )
    )
    moved = result.assignments.filter(
        pl.col("agent_id") != pl.col("previous_agent_id").fill_null(-1)
    )
    released = result.unassigned.filter(pl.col("previous_agent_id").is_not_null())
    touched = moved.get_column("case_id").to_list() + released.get_column("case_id").to_list()
    for start in range(0, len(touched), 10_000):  # SQLite caps the variables of a statement
        session.execute(
            update(Assignment)
            .where(
                Assignment.case_id.in_(touched[start : start + 10_000]),
                Assignment.ended_on.is_(None),
            )
            .values(ended_on=as_of)
        )
    # One executemany UPDATE and one bulk insert, not a statement per case: the first day of a
    # large portfolio assigns every case at once.
    case_updates: list[dict[str, object]] = []
    history: list[dict[str, object]] = []
    for row in moved.iter_rows(named=True):
        team_id = teams[row["team_code"]]
        agency_id = agencies.get(row["agency_code"]) if row["agency_code"] else None
        case_updates.append(
            {
                "key": row["case_id"],
                "agent_id": row["agent_id"],
                "team_id": team_id,
                "agency_id": agency_id,
            }
        )
        history.append(
            {
                "case_id": row["case_id"],
                "agent_id": row["agent_id"],
                "team_id": team_id,
                "agency_id": agency_id,
                "rule_code": row["rule_code"],
                "reason": row["reason"],
                "actor": actor,
                "assigned_on": as_of,
                "ended_on": None,
            }
        )
    case_updates.extend(
        {"key": case_id, "agent_id": None, "team_id": None, "agency_id": None}
        for case_id in released.get_column("case_id").to_list()
    )
    update_rows(session, Case, case_updates)
    if history:
        ids = reserve_ids(session, Assignment, len(history))
        insert_rows(
            session, Assignment, ({"id": i, **row} for i, row in zip(ids, history, strict=True))
        )
        sync_id_sequence(session, Assignment)
    new_cases = [
        case_id
        for case_id in moved.get_column("case_id").to_list()
        if previous.get(case_id) is None
    ]
    waiting = [
        case_id
        for chunk_start in range(0, len(new_cases), 10_000)
        for case_id in session.scalars(
            select(Case.id).where(
                Case.id.in_(new_cases[chunk_start : chunk_start + 10_000]),
                Case.state == CaseState.NEW.value,
            )
        )
    ]
    move_cases_bulk(
        session,
        waiting,
        CaseState.NEW,
        CaseState.ACTIVE,
        reason=Reason.ALLOCATED,
        actor=actor,
        at=at,
    )
    session.flush()
    return moved.height + released.height


REASSIGN_ROLES = frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN})


def reassign_cases(
    engine: Engine,
    principal: Principal,
    case_ids: list[int],
    to_username: str,
    *,
    rules: AllocationRules,
    reason: str,
    note: str,
    as_of: date,
    at: datetime,
    force: bool = False,
) -> tuple[AssignmentChange, ...]:
    """调案: a team lead or manager moves cases in their scope to an agent, on the record."""
    if principal.role not in REASSIGN_ROLES:
        raise AccessDeniedError(f"role {principal.role.value} may not re-assign cases")
    with transaction(engine) as session:
        for case_id in case_ids:
            get_case(session, principal, case_id)  # refuses cases outside the user's scope
        target = session.scalars(select(User).where(User.username == to_username)).one_or_none()
        if target is None:
            raise ReassignmentRefused(f"没有该坐席 / no such agent: {to_username}")
        changes = reassign(
            load_cases(session),
            load_agents(session),
            case_ids,
            target.id,
            rules=rules,
            reason=reason,
            actor=principal.username,
            at=at,
            note=note,
            force=force,
        )
        teams: dict[str, int] = {
            str(r[0]): int(r[1]) for r in session.execute(select(Team.code, Team.id))
        }
        agencies: dict[str, int] = {
            str(r[0]): int(r[1]) for r in session.execute(select(Agency.code, Agency.id))
        }
        for change in changes:
            agency_id = agencies.get(change.agency_code) if change.agency_code else None
            session.execute(
                update(Assignment)
                .where(Assignment.case_id == change.case_id, Assignment.ended_on.is_(None))
                .values(ended_on=as_of)
            )
            session.execute(
                update(Case)
                .where(Case.id == change.case_id)
                .values(
                    agent_id=change.to_agent_id,
                    team_id=teams[change.team_code],
                    agency_id=agency_id,
                )
            )
            session.add(
                Assignment(
                    case_id=change.case_id,
                    agent_id=change.to_agent_id,
                    team_id=teams[change.team_code],
                    agency_id=agency_id,
                    rule_code=None,
                    reason=f"manual:{change.reason.value}",
                    actor=principal.username,
                    assigned_on=as_of,
                )
            )
            record(
                session,
                at=at,
                actor=principal.username,
                action="case.reassign",
                entity="case",
                entity_id=change.case_id,
                detail={
                    "from_agent": change.from_agent_id,
                    "to_agent": change.to_agent_id,
                    "reason": change.reason.value,
                    "note": change.note,
                    "overrides": list(change.overrides),
                },
            )
        return changes
