"""Reading cases the way each user may see them: scoped, masked, and minimal for agencies."""

from __future__ import annotations

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal, case_filter
from huikuan.accounts.models import Account, ContactPoint, Debtor
from huikuan.assignment.engine import agency_view
from huikuan.cases.models import Case, Placement
from huikuan.org.models import Agency, Creditor, User

CASE_LIST_SCHEMA = {
    "case_id": pl.Int64,
    "case_no": pl.String,
    "creditor_code": pl.String,
    "state": pl.String,
    "agent": pl.String,
    "debtor_name_masked": pl.String,
    "mobile_masked": pl.String,
    "account_no": pl.String,
    "product_code": pl.String,
    "principal": pl.Int64,
    "interest": pl.Int64,
    "penalty": pl.Int64,
    "fees": pl.Int64,
    "balance": pl.Int64,
    "dpd": pl.Int64,
    "bucket": pl.String,
    "placement_end": pl.Date,
}


def case_list(
    session: Session, principal: Principal, *, limit: int = 50, offset: int = 0
) -> pl.DataFrame:
    """The cases ``principal`` may see, worst DPD first; personal data masked.

    Agency staff get only the fields their agency may see (PIPL minimum necessary).
    """
    totals = (
        select(
            Account.case_id,
            func.min(Account.account_no).label("account_no"),
            func.min(Account.product_code).label("product_code"),
            func.sum(Account.principal).label("principal"),
            func.sum(Account.interest).label("interest"),
            func.sum(Account.penalty).label("penalty"),
            func.sum(Account.fee).label("fees"),
            func.max(Account.dpd).label("dpd"),
            func.max(Account.bucket).label("bucket"),
        )
        .where(Account.case_id.is_not(None))
        .group_by(Account.case_id)
        .subquery()
    )
    mobile = (
        select(ContactPoint.debtor_id, func.min(ContactPoint.value_masked).label("mobile_masked"))
        .where(ContactPoint.kind == "mobile", ContactPoint.owner_type == "self")
        .group_by(ContactPoint.debtor_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Case.id,
            Case.case_no,
            Creditor.code,
            Case.state,
            User.username,
            Debtor.name_masked,
            mobile.c.mobile_masked,
            totals.c.account_no,
            totals.c.product_code,
            totals.c.principal,
            totals.c.interest,
            totals.c.penalty,
            totals.c.fees,
            totals.c.principal + totals.c.interest + totals.c.penalty + totals.c.fees,
            totals.c.dpd,
            totals.c.bucket,
            Placement.ends_on,
        )
        .join(Creditor, Creditor.id == Case.creditor_id)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .join(Placement, Placement.id == Case.placement_id)
        .join(totals, totals.c.case_id == Case.id)
        .outerjoin(mobile, mobile.c.debtor_id == Case.debtor_id)
        .outerjoin(User, User.id == Case.agent_id)
        .where(case_filter(principal))
        .order_by(totals.c.dpd.desc(), Case.id)
        .limit(limit)
        .offset(offset)
    ).all()
    frame = pl.DataFrame([tuple(r) for r in rows], schema=CASE_LIST_SCHEMA, orient="row")
    if principal.agency_id is not None:
        code = session.scalar(select(Agency.code).where(Agency.id == principal.agency_id))
        return agency_view(frame, str(code))
    return frame
