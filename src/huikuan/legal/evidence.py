"""The evidence pack (证据材料) of a legal matter, as one ZIP file.

Data flow::

    legal user ─► build_evidence_pack(session, principal, matter_id, decrypt=…, at=…)
        ├─ scope and role checked (legal only: the pack holds the debtor's name and address)
        ├─ statement.csv / payments.csv / statement.html   accounts, balance breakdown, payments
        ├─ contract_reference.csv                           account numbers, product, batch
        ├─ contact_log.csv                                  every ContactAttempt and its verdict
        ├─ legal_events.csv                                 the matter's steps and costs (fen)
        ├─ letters/<reference>.pdf                          every lawyer letter sent, rendered
        │                                                   again from its stored parameters
        ├─ manifest.json                                    SHA-256 and size of every file above
        └─ audit: one ``pii.reveal`` per letter and one ``legal.evidence_export`` naming the
           manifest's own SHA-256

Amounts are integer fen in the CSV files (``*_fen`` columns) and yuan text in the HTML; times
are Asia/Shanghai. Contact points appear masked: the pack carries personal data in full only
where legal needs it (the letters as the debtor received them). The ZIP is deterministic for
the same data and ``at`` (fixed entry order and timestamps).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal, get_case
from huikuan.accounts.models import Account, ContactPoint
from huikuan.audit.service import record
from huikuan.cases.models import Case, Placement
from huikuan.compliance.models import ContactAttempt
from huikuan.core.money import format_minor
from huikuan.legal.letters import Decrypt, stored_letter_pdf
from huikuan.legal.models import LegalEvent, LegalLetter
from huikuan.legal.service import PII_ROLES, get_matter, require_role
from huikuan.org.models import Creditor, Product
from huikuan.payments.models import Payment

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
MANIFEST = "manifest.json"

_STATEMENT_HTML = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>账户对账单 Account statement {{ case_no }}</title>
</head><body>
<h1>账户对账单 / Account statement</h1>
<p>案件号 Case: {{ case_no }} · 委托方 Creditor: {{ creditor }} ·
生成时间 Generated: {{ generated }}</p>
<h2>账户 / Accounts</h2>
<table border="1" cellpadding="4">
<tr><th>账号 Account</th><th>产品 Product</th><th>逾期天数 DPD</th><th>账龄 Bucket</th>
<th>本金 Principal</th><th>利息 Interest</th><th>罚息 Penalty</th><th>费用 Fees</th>
<th>合计 Total</th></tr>
{% for a in accounts %}<tr><td>{{ a.account_no }}</td><td>{{ a.product_code }}</td>
<td>{{ a.dpd }}</td><td>{{ a.bucket }}</td><td>{{ y(a.principal) }}</td><td>{{ y(a.interest) }}</td>
<td>{{ y(a.penalty) }}</td><td>{{ y(a.fee) }}</td>
<td>{{ y(a.principal + a.interest + a.penalty + a.fee) }}</td></tr>
{% endfor %}<tr><th colspan="8">合计 Total (CNY)</th><th>{{ y(total) }}</th></tr>
</table>
<h2>还款记录 / Payments</h2>
<table border="1" cellpadding="4">
<tr><th>到账日期 Received</th><th>账号 Account</th><th>金额 Amount (CNY)</th><th>渠道 Channel</th>
<th>来源 Source</th><th>流水号 Reference</th></tr>
{% for p, no in payments %}<tr><td>{{ p.received_on }}</td><td>{{ no }}</td>
<td>{{ y(p.amount) }}</td>
<td>{{ p.channel }}</td><td>{{ p.source }}</td><td>{{ p.reference }}</td></tr>
{% else %}<tr><td colspan="6">—</td></tr>{% endfor %}
</table>
</body></html>
"""
)


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite drops the offset; stored values are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BUSINESS_TZ).isoformat(timespec="seconds")


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    # With a BOM so spreadsheet programs read the Chinese text as UTF-8.
    return buffer.getvalue().encode("utf-8-sig")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_evidence_pack(
    session: Session,
    principal: Principal,
    matter_id: int,
    *,
    decrypt: Decrypt,
    at: datetime,
) -> tuple[str, bytes]:
    """The matter's evidence pack: ``(file name, ZIP bytes)``; audited as an export."""
    require_role(principal, PII_ROLES)
    matter = get_matter(session, principal, matter_id)
    case: Case = get_case(session, principal, matter.case_id)
    creditor = session.get(Creditor, case.creditor_id)
    assert creditor is not None
    accounts = list(
        session.scalars(
            select(Account).where(Account.case_id == case.id).order_by(Account.account_no)
        )
    )
    account_ids = [a.id for a in accounts]
    payments = session.execute(
        select(Payment, Account.account_no)
        .join(Account, Account.id == Payment.account_id)
        .where(Payment.account_id.in_(account_ids))
        .order_by(Payment.received_on, Payment.id)
    ).all()
    files: list[tuple[str, bytes]] = []
    files.append(
        (
            "statement.csv",
            _csv(
                (
                    "account_no",
                    "product_code",
                    "status",
                    "dpd",
                    "bucket",
                    "principal_fen",
                    "interest_fen",
                    "penalty_fen",
                    "fee_fen",
                    "total_fen",
                    "accrued_through",
                ),
                (
                    (
                        a.account_no,
                        a.product_code,
                        a.status,
                        a.dpd,
                        a.bucket,
                        a.principal,
                        a.interest,
                        a.penalty,
                        a.fee,
                        a.principal + a.interest + a.penalty + a.fee,
                        a.accrued_through.isoformat(),
                    )
                    for a in accounts
                ),
            ),
        )
    )
    files.append(
        (
            "payments.csv",
            _csv(
                (
                    "account_no",
                    "received_on",
                    "amount_fen",
                    "channel",
                    "source",
                    "reference",
                    "posted_on",
                ),
                (
                    (
                        no,
                        p.received_on.isoformat(),
                        p.amount,
                        p.channel,
                        p.source,
                        p.reference,
                        None if p.posted_on is None else p.posted_on.isoformat(),
                    )
                    for p, no in payments
                ),
            ),
        )
    )
    files.append(
        (
            "statement.html",
            _STATEMENT_HTML.render(
                case_no=case.case_no,
                creditor=creditor.name,
                generated=_local(at),
                accounts=accounts,
                total=sum(a.principal + a.interest + a.penalty + a.fee for a in accounts),
                payments=payments,
                y=format_minor,
            ).encode("utf-8"),
        )
    )
    files.append(("contract_reference.csv", _contract_reference(session, accounts, creditor)))
    files.append(("contact_log.csv", _contact_log(session, case.id)))
    files.append(("legal_events.csv", _events(session, matter.id)))
    letters = list(
        session.scalars(
            select(LegalLetter)
            .where(LegalLetter.matter_id == matter.id, LegalLetter.status == "sent")
            .order_by(LegalLetter.created_at, LegalLetter.id)
        )
    )
    for letter in letters:
        pdf = stored_letter_pdf(
            session, principal, letter, decrypt=decrypt, at=at, purpose="evidence_pack"
        )
        files.append((f"letters/{letter.reference}-{letter.id}.pdf", pdf))
    manifest = {
        "matter_id": matter.id,
        "case_id": case.id,
        "case_no": case.case_no,
        "creditor": creditor.code,
        "generated_at": _local(at),
        "generated_by": principal.username,
        "files": [
            {"name": name, "sha256": sha256(data), "bytes": len(data)} for name, data in files
        ],
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
    files.append((MANIFEST, manifest_bytes))
    stamp = _utc_tuple(at)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    record(
        session,
        at=at,
        actor=principal.username,
        action="legal.evidence_export",
        entity="legal_matter",
        entity_id=matter.id,
        detail={
            "case": case.id,
            "files": len(files),
            "letters": len(letters),
            "manifest_sha256": sha256(manifest_bytes),
        },
    )
    return f"evidence-{case.case_no}-matter{matter.id}.zip", buffer.getvalue()


def _utc_tuple(at: datetime) -> tuple[int, int, int, int, int, int]:
    local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(BUSINESS_TZ)
    return (local.year, local.month, local.day, local.hour, local.minute, local.second)


def _contract_reference(session: Session, accounts: list[Account], creditor: Creditor) -> bytes:
    rows = []
    for a in accounts:
        product = session.get(Product, a.product_id)
        placement = None if a.placement_id is None else session.get(Placement, a.placement_id)
        rows.append(
            (
                creditor.code,
                creditor.name,
                a.account_no,
                a.product_code,
                "" if product is None else product.name,
                a.currency,
                a.credit,
                a.first_due.isoformat(),
                a.instalment,
                a.cycles,
                "" if placement is None else placement.batch_no,
                "" if placement is None else placement.placed_on.isoformat(),
                "" if placement is None else placement.ends_on.isoformat(),
            )
        )
    return _csv(
        (
            "creditor_code",
            "creditor_name",
            "account_no",
            "product_code",
            "product_name",
            "currency",
            "credit_limit_fen",
            "first_due",
            "instalment_fen",
            "cycles",
            "placement_batch",
            "placed_on",
            "placement_ends_on",
        ),
        rows,
    )


def _contact_log(session: Session, case_id: int) -> bytes:
    masked = dict(
        session.execute(
            select(ContactPoint.id, ContactPoint.value_masked)
            .join(ContactAttempt, ContactAttempt.contact_point_id == ContactPoint.id)
            .where(ContactAttempt.case_id == case_id)
        ).all()
    )
    rows = []
    for a in session.scalars(
        select(ContactAttempt)
        .where(ContactAttempt.case_id == case_id)
        .order_by(ContactAttempt.at, ContactAttempt.id)
    ):
        rows.append(
            (
                a.id,
                _local(a.at),
                a.channel,
                a.direction,
                a.party,
                a.caller,
                masked.get(a.contact_point_id, "") if a.contact_point_id is not None else "",
                a.purpose,
                a.outcome,
                a.executed,
                a.decision,
                " ".join(str(r.get("rule_id", "")) for r in a.reasons),
                " | ".join(str(r.get("message", "")) for r in a.reasons),
                _local(a.next_allowed_at),
                a.actor,
            )
        )
    return _csv(
        (
            "attempt_id",
            "at",
            "channel",
            "direction",
            "party",
            "caller",
            "contact_masked",
            "purpose",
            "outcome",
            "executed",
            "decision",
            "rule_ids",
            "reasons",
            "next_allowed_at",
            "actor",
        ),
        rows,
    )


def _events(session: Session, matter_id: int) -> bytes:
    events = list(
        session.scalars(
            select(LegalEvent)
            .where(LegalEvent.matter_id == matter_id)
            .order_by(LegalEvent.event_on, LegalEvent.id)
        )
    )
    rows: list[Sequence[object]] = [
        (
            e.id,
            e.kind,
            e.event_on.isoformat(),
            e.court_fee,
            e.lawyer_fee,
            e.court_fee + e.lawyer_fee,
            e.note,
            e.recorded_by,
        )
        for e in events
    ]
    court = sum(e.court_fee for e in events)
    lawyer = sum(e.lawyer_fee for e in events)
    rows.append(("", "total", "", court, lawyer, court + lawyer, "", ""))
    return _csv(
        (
            "event_id",
            "kind",
            "event_on",
            "court_fee_fen",
            "lawyer_fee_fen",
            "total_fen",
            "note",
            "recorded_by",
        ),
        rows,
    )
