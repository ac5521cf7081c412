"""Claims on guarantors (担保人) and credit insurers: a claim per account, its status, and the
money received on it, each receipt posted once as a ``payments`` row (source ``claim``) for the
nightly run to allocate by the waterfall. See ``docs.md`` for the data flow.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal, case_filter, get_case
from huikuan.accounts.models import Account
from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.legal.models import (
    ClaimRecovery,
    RecoveryClaim,
)
from huikuan.legal.schemas import (
    ClaimRead,
    RecoveryRead,
    RecoveryResult,
)
from huikuan.legal.service import (
    COUNTERPARTY_KINDS,
    LEGAL_ROLES,
    OPEN_CLAIM_STATUSES,
    REMITTANCE_REF,
    LegalInputError,
    as_utc,
    business_day,
    check_amount,
    clean_text,
    require_role,
)
from huikuan.payments.models import Payment

# ---------------------------------------------------------------------------------------------
# Claims on guarantors and credit insurers


def _claim_in_scope(
    session: Session, principal: Principal, claim_id: int
) -> tuple[RecoveryClaim, Account]:
    require_role(principal, LEGAL_ROLES)
    claim = session.get(RecoveryClaim, claim_id)
    if claim is None:
        raise AccessDeniedError(f"claim {claim_id} not found")
    account = session.get(Account, claim.account_id)
    if account is None or account.case_id is None:
        raise AccessDeniedError(f"claim {claim_id} not found")
    get_case(session, principal, account.case_id)
    return claim, account


def _recovered(session: Session, claim_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(ClaimRecovery.amount), 0)).where(
                ClaimRecovery.claim_id == claim_id
            )
        )
        or 0
    )


def _claim_read(
    session: Session, claim: RecoveryClaim, account: Account, case_no: str
) -> ClaimRead:
    recoveries = [
        RecoveryRead(
            id=r.id,
            received_on=r.received_on,
            amount=r.amount,
            remittance_ref=r.remittance_ref,
            payment_id=r.payment_id,
            payment_reference=reference,
            recorded_by=r.recorded_by,
        )
        for r, reference in session.execute(
            select(ClaimRecovery, Payment.reference)
            .join(Payment, Payment.id == ClaimRecovery.payment_id)
            .where(ClaimRecovery.claim_id == claim.id)
            .order_by(ClaimRecovery.received_on, ClaimRecovery.id)
        ).all()
    ]
    recovered = sum(r.amount for r in recoveries)
    assert account.case_id is not None
    return ClaimRead(
        id=claim.id,
        account_id=account.id,
        account_no=account.account_no,
        case_id=account.case_id,
        case_no=case_no,
        counterparty_kind=claim.counterparty_kind,
        counterparty_name=claim.counterparty_name,
        claimed_amount=claim.claimed_amount,
        recovered_amount=recovered,
        outstanding=claim.claimed_amount - recovered,
        status=claim.status,
        submitted_on=claim.submitted_on,
        note=claim.note,
        recoveries=recoveries,
    )


def list_claims(session: Session, principal: Principal, *, limit: int = 200) -> list[ClaimRead]:
    require_role(principal, LEGAL_ROLES)
    rows = session.execute(
        select(RecoveryClaim, Account, Case.case_no)
        .join(Account, Account.id == RecoveryClaim.account_id)
        .join(Case, Case.id == Account.case_id)
        .where(case_filter(principal))
        .order_by(RecoveryClaim.created_at.desc(), RecoveryClaim.id.desc())
        .limit(limit)
    ).all()
    return [_claim_read(session, claim, account, case_no) for claim, account, case_no in rows]


def get_claim(session: Session, principal: Principal, claim_id: int) -> ClaimRead:
    claim, account = _claim_in_scope(session, principal, claim_id)
    case_no = session.scalar(select(Case.case_no).where(Case.id == account.case_id))
    return _claim_read(session, claim, account, str(case_no))


def account_by_number(session: Session, principal: Principal, account_no: str) -> Account:
    """An account of a case in the principal's scope, by its number."""
    number = clean_text(account_no, "account_no")
    account = session.scalars(
        select(Account)
        .join(Case, Case.id == Account.case_id)
        .where(Account.account_no == number, case_filter(principal))
    ).first()
    if account is None:
        raise LegalInputError("account_no", "not_found")
    return account


def create_claim(
    session: Session,
    principal: Principal,
    account_id: int,
    *,
    counterparty_kind: str,
    counterparty_name: str,
    claimed_amount: int,
    note: str = "",
    at: datetime,
) -> RecoveryClaim:
    """Open a claim; it may not ask for more than the account owes today."""
    require_role(principal, LEGAL_ROLES)
    account = session.get(Account, account_id)
    if account is None or account.case_id is None:
        raise AccessDeniedError(f"account {account_id} not found")
    get_case(session, principal, account.case_id)
    if counterparty_kind not in COUNTERPARTY_KINDS:
        raise LegalInputError(
            "counterparty_kind", "required" if not counterparty_kind else "invalid"
        )
    name = clean_text(counterparty_name, "counterparty_name")
    amount = check_amount(claimed_amount, "claimed_amount", allow_zero=False)
    owed = account.principal + account.interest + account.penalty + account.fee
    if amount > owed:
        raise LegalInputError("claimed_amount", "over_limit", f"≤ {owed} fen")
    claim = RecoveryClaim(
        account_id=account.id,
        counterparty_kind=counterparty_kind,
        counterparty_name=name,
        claimed_amount=amount,
        status="open",
        note=clean_text(note, "note", required=False),
        created_by=principal.username,
        created_at=as_utc(at),
    )
    session.add(claim)
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action="legal.claim.created",
        entity="recovery_claim",
        entity_id=claim.id,
        detail={"account": account.id, "kind": counterparty_kind, "claimed": amount},
    )
    return claim


def _move_claim(
    session: Session,
    principal: Principal,
    claim_id: int,
    *,
    allowed_from: frozenset[str],
    to: str,
    note: str | None,
    at: datetime,
) -> RecoveryClaim:
    claim, _account = _claim_in_scope(session, principal, claim_id)
    if claim.status not in allowed_from:
        raise LegalInputError("status", "state")
    if note is not None:
        claim.note = clean_text(note, "note")
    previous, claim.status = claim.status, to
    if to == "submitted":
        claim.submitted_on = business_day(at)
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action=f"legal.claim.{to}",
        entity="recovery_claim",
        entity_id=claim.id,
        detail={"from": previous, "to": to},
    )
    return claim


def submit_claim(
    session: Session, principal: Principal, claim_id: int, *, at: datetime
) -> RecoveryClaim:
    return _move_claim(
        session,
        principal,
        claim_id,
        allowed_from=frozenset({"open"}),
        to="submitted",
        note=None,
        at=at,
    )


def reject_claim(
    session: Session, principal: Principal, claim_id: int, *, note: str, at: datetime
) -> RecoveryClaim:
    return _move_claim(
        session,
        principal,
        claim_id,
        allowed_from=OPEN_CLAIM_STATUSES,
        to="rejected",
        note=note,
        at=at,
    )


def payment_reference(claim_id: int, remittance_ref: str) -> str:
    """The payment's unique reference: the same remittance always maps to the same payment."""
    return f"CLAIM-{claim_id}-{remittance_ref}"


def record_recovery(
    session: Session,
    principal: Principal,
    claim_id: int,
    *,
    received_on: date,
    amount: int,
    remittance_ref: str,
    at: datetime,
) -> RecoveryResult:
    """Money received on a claim: one ``payments`` row (source ``claim``, unposted, so the
    nightly run allocates it by the product's waterfall) and the recovery that points at it.

    Idempotent by the remittance reference: recording it again returns the first recovery
    (``created`` false); the payment's unique reference makes a concurrent duplicate fail
    inside a savepoint and read back the winner, so there is never a second payment.
    """
    claim, account = _claim_in_scope(session, principal, claim_id)
    ref = (remittance_ref or "").strip()
    if not ref:
        raise LegalInputError("remittance_ref", "required")
    if not REMITTANCE_REF.match(ref):
        raise LegalInputError("remittance_ref", "invalid")
    minor = check_amount(amount, "amount", allow_zero=False)
    existing = _existing_recovery(session, claim.id, ref)
    if existing is not None:
        return _same_or_refuse(session, principal, claim, account, existing, minor, received_on)
    if claim.status not in OPEN_CLAIM_STATUSES:
        raise LegalInputError("status", "state")
    recovered = _recovered(session, claim.id)
    if recovered + minor > claim.claimed_amount:
        raise LegalInputError("amount", "over_limit", f"≤ {claim.claimed_amount - recovered} fen")
    try:
        with session.begin_nested():
            payment = Payment(
                account_id=account.id,
                received_on=received_on,
                amount=minor,
                channel=claim.counterparty_kind,
                reference=payment_reference(claim.id, ref),
                source="claim",
            )
            session.add(payment)
            session.flush()
            recovery = ClaimRecovery(
                claim_id=claim.id,
                received_on=received_on,
                amount=minor,
                remittance_ref=ref,
                payment_id=payment.id,
                recorded_by=principal.username,
                recorded_at=as_utc(at),
            )
            session.add(recovery)
            session.flush()
    except IntegrityError:
        # Another request recorded this remittance between our check and our insert.
        existing = _existing_recovery(session, claim.id, ref)
        if existing is None:
            raise
        return _same_or_refuse(session, principal, claim, account, existing, minor, received_on)
    total = recovered + minor
    claim.status = "paid" if total == claim.claimed_amount else "submitted"
    if claim.submitted_on is None:
        claim.submitted_on = business_day(at)
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action="legal.claim.recovery",
        entity="recovery_claim",
        entity_id=claim.id,
        detail={
            "recovery": recovery.id,
            "payment": payment.id,
            "amount": minor,
            "account": account.id,
            "status": claim.status,
        },
    )
    return RecoveryResult(
        recovery=_recovery_read(recovery, payment.reference),
        created=True,
        claim_status=claim.status,
    )


def _existing_recovery(session: Session, claim_id: int, ref: str) -> ClaimRecovery | None:
    return session.scalars(
        select(ClaimRecovery).where(
            ClaimRecovery.claim_id == claim_id, ClaimRecovery.remittance_ref == ref
        )
    ).one_or_none()


def _recovery_read(recovery: ClaimRecovery, reference: str) -> RecoveryRead:
    return RecoveryRead(
        id=recovery.id,
        received_on=recovery.received_on,
        amount=recovery.amount,
        remittance_ref=recovery.remittance_ref,
        payment_id=recovery.payment_id,
        payment_reference=reference,
        recorded_by=recovery.recorded_by,
    )


def _same_or_refuse(
    session: Session,
    principal: Principal,
    claim: RecoveryClaim,
    account: Account,
    existing: ClaimRecovery,
    amount: int,
    received_on: date,
) -> RecoveryResult:
    if existing.amount != amount or existing.received_on != received_on:
        raise LegalInputError(
            "remittance_ref",
            "duplicate",
            "该汇款编号已登记为其他金额或日期 / already recorded with another amount or date",
        )
    reference = session.scalar(select(Payment.reference).where(Payment.id == existing.payment_id))
    return RecoveryResult(
        recovery=_recovery_read(existing, str(reference)),
        created=False,
        claim_status=claim.status,
    )
