"""Read functions behind the work queue and the case page (scoped, masked, minimal).

Data flow: a route resolves the :class:`~huikuan.access.policy.Principal` → these functions
select only through :func:`~huikuan.access.policy.case_filter` / ``get_case`` (another
creditor's or agency's case simply is not there) → they return the pydantic models of
:mod:`huikuan.web.schemas`, which the JSON API returns and the templates render.

``work_queue`` and ``case_detail`` are not presentation-specific: they belong in
``huikuan.cases.queries`` (the CLI and a future creditor API want the same reads) and live here
only until that module's owner takes them over.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from huikuan.access.policy import REVEAL_ROLES, Principal, case_filter, get_case
from huikuan.accounts.models import Account, ContactPoint, Debtor
from huikuan.assignment.engine import visible_fields
from huikuan.assignment.service import WORKED_STATES
from huikuan.cases.models import Case, Placement, Plan, Promise
from huikuan.compliance.models import ContactAttempt
from huikuan.org.models import Agency, Creditor, User
from huikuan.payments.models import Payment
from huikuan.web.schemas import (
    AccountRead,
    AttemptRead,
    CaseRead,
    ContactPointRead,
    DebtorRead,
    PaymentRead,
    PlanRead,
    PromiseRead,
    QueueRead,
    QueueRow,
    ReasonRead,
)

QUEUE_FIELDS: tuple[str, ...] = (
    "case_no",
    "creditor_code",
    "state",
    "debtor_name_masked",
    "mobile_masked",
    "account_no",
    "balance",
    "dpd",
    "bucket",
    "placement_end",
)
CASE_FIELDS: tuple[str, ...] = (
    "case_no",
    "state",
    "agent",
    "placement_end",
    "debtor_name_masked",
    "mobile_masked",
    "id_number_masked",
    "region",
)
MAX_OFFSET = 1_000_000_000  # far past any queue; keeps the database's integers safe
MAX_PAGE = 200


def visible_to(session: Session, principal: Principal, fields: tuple[str, ...]) -> list[str]:
    """``fields`` less what the principal's agency may not see (in-house staff see all)."""
    if principal.agency_id is None:
        return list(fields)
    code = session.scalar(select(Agency.code).where(Agency.id == principal.agency_id))
    allowed = set(visible_fields(str(code)))
    return [name for name in fields if name in allowed]


def work_queue(
    session: Session, principal: Principal, *, today: date, limit: int = 25, offset: int = 0
) -> QueueRead:
    """Cases being worked, in the work list's order (:mod:`huikuan.cases.worklist`: a PTP due
    today first, then today's call tasks by the strategy's priority, then the worst DPD, then
    the largest balance). One index range scan on the case rows for the page, then the page's
    account numbers, phones and promises by id."""
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    rows = session.execute(
        select(
            Case.id,
            Case.case_no,
            Creditor.code,
            Case.state,
            Debtor.name_masked,
            Case.debtor_id,
            Case.balance,
            Case.dpd,
            Case.bucket,
            Placement.ends_on,
        )
        .join(Creditor, Creditor.id == Case.creditor_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .join(Placement, Placement.id == Case.placement_id)
        .where(case_filter(principal), Case.state.in_(WORKED_STATES))
        .order_by(Case.queue_rank.asc().nulls_last(), Case.id)
        .limit(limit + 1)
        .offset(offset)
    ).all()
    page = rows[:limit]
    case_ids = [row[0] for row in page]
    debtor_ids = [row[5] for row in page]
    account_nos = dict(
        session.execute(
            select(Account.case_id, func.min(Account.account_no))
            .where(Account.case_id.in_(case_ids))
            .group_by(Account.case_id)
        ).all()
    )
    mobiles = dict(
        session.execute(
            select(ContactPoint.debtor_id, func.min(ContactPoint.value_masked))
            .where(
                ContactPoint.debtor_id.in_(debtor_ids),
                ContactPoint.kind == "mobile",
                ContactPoint.owner_type == "self",
            )
            .group_by(ContactPoint.debtor_id)
        ).all()
    )
    promised = dict(
        session.execute(
            select(Promise.case_id, func.sum(Promise.amount))
            .where(
                Promise.case_id.in_(case_ids),
                Promise.promised_on == today,
                Promise.status == "pending",
            )
            .group_by(Promise.case_id)
        ).all()
    )
    fields = visible_to(session, principal, QUEUE_FIELDS)
    shown = set(fields)
    queue_rows = []
    for row in page:
        values = {
            "case_no": row[1],
            "creditor_code": row[2],
            "state": row[3],
            "debtor_name_masked": row[4],
            "mobile_masked": mobiles.get(row[5]),
            "account_no": account_nos.get(row[0]),
            "balance": int(row[6]),
            "dpd": row[7],
            "bucket": row[8],
            "placement_end": row[9],
        }
        amount = promised.get(row[0])
        queue_rows.append(
            QueueRow(
                case_id=row[0],
                ptp_today=amount is not None,
                ptp_amount=None if amount is None else int(amount),
                **{name: value for name, value in values.items() if name in shown},
            )
        )
    return QueueRead(
        business_date=today,
        offset=offset,
        limit=limit,
        has_more=len(rows) > limit,
        fields=fields,
        rows=queue_rows,
    )


def revealable(principal: Principal) -> list[str]:
    """Personal fields this principal may have shown in full.

    Agency staff get none: agencies may never see name, mobile or ID number in full
    (``assignment.engine.NEVER_VISIBLE_FIELDS``); they call through the platform's dialer.
    """
    if principal.agency_id is not None:
        return []
    return [name for name, roles in REVEAL_ROLES.items() if principal.role in roles]


def case_detail(session: Session, principal: Principal, case_id: int) -> CaseRead:
    """One case as the principal may see it; ``AccessDeniedError`` when out of scope."""
    case_row = get_case(session, principal, case_id)
    fields = visible_to(session, principal, CASE_FIELDS)
    shown = set(fields)
    debtor = session.get(Debtor, case_row.debtor_id)
    creditor_code = session.scalar(select(Creditor.code).where(Creditor.id == case_row.creditor_id))
    placement_end = session.scalar(
        select(Placement.ends_on).where(Placement.id == case_row.placement_id)
    )
    agent = (
        session.scalar(select(User.display_name).where(User.id == case_row.agent_id))
        if case_row.agent_id is not None
        else None
    )
    contact_query = select(ContactPoint).where(ContactPoint.debtor_id == case_row.debtor_id)
    if principal.agency_id is not None:
        # Agencies see only the debtor's own mobile, masked (minimum necessary).
        contact_query = contact_query.where(
            and_(ContactPoint.kind == "mobile", ContactPoint.owner_type == "self")
        )
    contacts = [
        ContactPointRead(
            id=c.id,
            kind=c.kind,
            owner_type=c.owner_type,
            relationship=c.relationship,
            value_masked=c.value_masked,
            status=c.status,
        )
        for c in session.scalars(contact_query.order_by(ContactPoint.id))
    ]
    if "mobile_masked" not in shown:
        contacts = []
    accounts = [
        AccountRead(
            id=a.id,
            account_no=a.account_no,
            product_code=a.product_code,
            status=a.status,
            principal=a.principal,
            interest=a.interest,
            penalty=a.penalty,
            fee=a.fee,
            total=a.principal + a.interest + a.penalty + a.fee,
            dpd=a.dpd,
            bucket=a.bucket,
        )
        for a in session.scalars(
            select(Account).where(Account.case_id == case_row.id).order_by(Account.account_no)
        )
    ]
    payments = [
        PaymentRead(
            id=p.id,
            account_no=account_no,
            received_on=p.received_on,
            amount=p.amount,
            channel=p.channel,
            reference=p.reference,
        )
        for p, account_no in session.execute(
            select(Payment, Account.account_no)
            .join(Account, Account.id == Payment.account_id)
            .where(Account.case_id == case_row.id)
            .order_by(Payment.received_on.desc(), Payment.id.desc())
        ).all()
    ]
    timeline = [
        AttemptRead(
            id=a.id,
            at=a.at,
            channel=a.channel,
            direction=a.direction,
            party=a.party,
            outcome=a.outcome,
            disposition=a.disposition,
            executed=a.executed,
            decision=a.decision,
            reasons=[
                ReasonRead(
                    rule_id=str(r.get("rule_id", "")),
                    message=str(r.get("message", "")),
                    message_zh=str(r.get("message_zh", "")),
                )
                for r in a.reasons
            ],
            next_allowed_at=a.next_allowed_at,
            actor=a.actor,
        )
        for a in session.scalars(
            select(ContactAttempt)
            .where(ContactAttempt.case_id == case_row.id)
            .order_by(ContactAttempt.at.desc(), ContactAttempt.id.desc())
        )
    ]
    promises = [
        PromiseRead(
            id=p.id,
            amount=p.amount,
            promised_on=p.promised_on,
            created_on=p.created_on,
            status=p.status,
        )
        for p in session.scalars(
            select(Promise)
            .where(Promise.case_id == case_row.id)
            .order_by(Promise.promised_on.desc(), Promise.id.desc())
        )
    ]
    plans = [
        PlanRead(
            id=p.id,
            kind=p.kind,
            status=p.status,
            created_on=p.created_on,
            proposed_by=p.proposed_by,
            approved_by=p.approved_by,
        )
        for p in session.scalars(
            select(Plan).where(Plan.case_id == case_row.id).order_by(Plan.created_on.desc())
        )
    ]
    debtor_read = DebtorRead(
        name_masked=debtor.name_masked if debtor and "debtor_name_masked" in shown else None,
        id_number_masked=debtor.id_number_masked
        if debtor and "id_number_masked" in shown
        else None,
        region=debtor.region if debtor and "region" in shown else None,
        anonymised=debtor is None or debtor.anonymised_on is not None,
    )
    return CaseRead(
        id=case_row.id,
        case_no=case_row.case_no if "case_no" in shown else None,
        creditor_code=str(creditor_code),
        state=case_row.state if "state" in shown else None,
        agent=agent if "agent" in shown else None,
        placement_end=placement_end if "placement_end" in shown else None,
        fields=fields,
        debtor=debtor_read,
        contacts=contacts,
        accounts=accounts,
        total=sum(a.total for a in accounts),
        payments=payments,
        timeline=timeline,
        promises=promises,
        plans=plans,
        can_reveal=revealable(principal),
    )
