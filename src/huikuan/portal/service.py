"""What a creditor client sees and sends: placements, recoveries, files and uploads.

Data flow. Reads: every query is limited to the principal's own creditor
(:func:`_creditor_of`: a creditor client bound to a creditor, else refused), aggregated in SQL
(counts and sums per placement, payments per month and placement) and returned as small frozen
rows in integer fen. Uploads (web page or API): the bytes go to a private temporary folder under
their (cleaned) name → :func:`huikuan.imports.service.import_file` runs the very same checks as
the command line in its own transaction (taken whole or refused whole; the same file twice
changes nothing, by content hash) → its error report is read back (CSV text, values already
masked) into a :class:`ClientUpload` row with the outcome, written in the caller's unit of work
with an audit entry. The import must run before the caller's session writes anything: SQLite
has one writer at a time, so callers keep their session clean until then.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, case, extract, func, select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal
from huikuan.accounts.models import Account
from huikuan.audit.service import record
from huikuan.cases.models import Case, Placement
from huikuan.imports.mapping import ImportKind
from huikuan.imports.models import ImportedFile
from huikuan.imports.service import ImportRefusedError, ImportRequest, ImportSummary, import_file
from huikuan.org.models import Agency, Creditor, Role
from huikuan.org.service import UnknownCreditorError
from huikuan.payments.models import Payment
from huikuan.portal.models import ClientUpload
from huikuan.security.crypto import FieldCipher

UPLOAD_LIMIT = 20 * 1024 * 1024  # bytes a portal or API upload may carry
ERRORS_SHOWN = 200  # error rows returned in a response; the report holds them all
KINDS: dict[str, ImportKind] = {
    "placements": ImportKind.PLACEMENTS,
    "updates": ImportKind.UPDATES,
    "payments": ImportKind.PAYMENTS,
    "recalls": ImportKind.RECALL,
}
_UNSAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


class UploadRefusedError(ValueError):
    """The upload request itself is wrong; ``field`` names the form field, ``code`` the reason."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def _creditor_of(principal: Principal) -> int:
    if principal.role is not Role.CREDITOR_CLIENT or principal.creditor_id is None:
        raise AccessDeniedError(f"{principal.username} is not a creditor client")
    return principal.creditor_id


# ---------------------------------------------------------------------------------------------
# Reads


@dataclass(frozen=True, slots=True)
class PlacementRow:
    placement_id: int
    batch_no: str
    agency: str | None
    placed_on: date
    ends_on: date
    status: str
    cases: int
    accounts: int
    placed_principal: int  # fen: principal at placement (the accounts' cap base)
    outstanding: int  # fen: current balance of the accounts still placed
    recovered: int  # fen: payments received on the placement's accounts
    recalled_accounts: int
    recalled_balance: int  # fen


def placements(session: Session, principal: Principal) -> list[PlacementRow]:
    """The creditor's placements (委案批次), newest first, with counts and amounts."""
    creditor_id = _creditor_of(principal)
    balance = Account.principal + Account.interest + Account.penalty + Account.fee
    recalled = Account.status == "recalled"
    accounts = (
        select(
            Account.placement_id.label("pid"),
            func.count(Account.id).label("accounts"),
            func.coalesce(func.sum(Account.cap_base), 0).label("placed"),
            func.coalesce(func.sum(case((recalled, 0), else_=balance)), 0).label("outstanding"),
            func.coalesce(func.sum(case((recalled, 1), else_=0)), 0).label("recalled_n"),
            func.coalesce(func.sum(case((recalled, balance), else_=0)), 0).label("recalled_b"),
        )
        .where(Account.creditor_id == creditor_id)
        .group_by(Account.placement_id)
        .subquery()
    )
    paid = (
        select(Account.placement_id.label("pid"), func.sum(Payment.amount).label("recovered"))
        .join(Account, Account.id == Payment.account_id)
        .where(Account.creditor_id == creditor_id)
        .group_by(Account.placement_id)
        .subquery()
    )
    cases = (
        select(Case.placement_id.label("pid"), func.count(Case.id).label("cases"))
        .where(Case.creditor_id == creditor_id)
        .group_by(Case.placement_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Placement,
            Agency.name,
            func.coalesce(cases.c.cases, 0),
            func.coalesce(accounts.c.accounts, 0),
            func.coalesce(accounts.c.placed, 0),
            func.coalesce(accounts.c.outstanding, 0),
            func.coalesce(paid.c.recovered, 0),
            func.coalesce(accounts.c.recalled_n, 0),
            func.coalesce(accounts.c.recalled_b, 0),
        )
        .outerjoin(Agency, Agency.id == Placement.agency_id)
        .outerjoin(cases, cases.c.pid == Placement.id)
        .outerjoin(accounts, accounts.c.pid == Placement.id)
        .outerjoin(paid, paid.c.pid == Placement.id)
        .where(Placement.creditor_id == creditor_id)
        .order_by(Placement.placed_on.desc(), Placement.id.desc())
    )
    found = []
    for (
        p,
        agency,
        n_cases,
        n_accounts,
        placed,
        outstanding,
        recovered,
        n_recalled,
        recalled,
    ) in rows:
        found.append(
            PlacementRow(
                placement_id=p.id,
                batch_no=p.batch_no,
                agency=agency,
                placed_on=p.placed_on,
                ends_on=p.ends_on,
                status=p.status,
                cases=int(n_cases),
                accounts=int(n_accounts),
                placed_principal=int(placed),
                outstanding=int(outstanding),
                recovered=int(recovered),
                recalled_accounts=int(n_recalled),
                recalled_balance=int(recalled),
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class RecoveryRow:
    month: str  # YYYY-MM of the day the money was received
    placement_id: int | None
    batch_no: str | None
    payments: int
    amount: int  # fen


def recoveries(session: Session, principal: Principal) -> list[RecoveryRow]:
    """Payments on the creditor's accounts by month received and placement, newest first."""
    creditor_id = _creditor_of(principal)
    year = extract("year", Payment.received_on)
    month = extract("month", Payment.received_on)
    rows = session.execute(
        select(
            year,
            month,
            Account.placement_id,
            Placement.batch_no,
            func.count(Payment.id),
            func.sum(Payment.amount),
        )
        .join(Account, Account.id == Payment.account_id)
        .outerjoin(Placement, Placement.id == Account.placement_id)
        .where(Account.creditor_id == creditor_id)
        .group_by(year, month, Account.placement_id, Placement.batch_no)
        .order_by(year.desc(), month.desc(), Placement.batch_no)
    )
    return [
        RecoveryRow(
            month=f"{int(y):04d}-{int(m):02d}",
            placement_id=pid,
            batch_no=batch,
            payments=int(count),
            amount=int(total or 0),
        )
        for y, m, pid, batch, count, total in rows
    ]


@dataclass(frozen=True, slots=True)
class FileRow:
    upload_id: int | None  # None: a file staff imported for the creditor (command line)
    kind: str
    file_name: str
    sha256: str
    status: str  # imported, refused, duplicate
    rows_read: int
    written: int
    refused: int
    via: str  # web, api or staff
    actor: str
    at: datetime | None
    imported_on: date | None
    has_report: bool


def files(session: Session, principal: Principal) -> list[FileRow]:
    """Every file received for the creditor: portal and API uploads, and staff imports."""
    creditor_id = _creditor_of(principal)
    uploads = list(
        session.scalars(
            select(ClientUpload)
            .where(ClientUpload.creditor_id == creditor_id)
            .order_by(ClientUpload.at.desc(), ClientUpload.id.desc())
        )
    )
    portal = {(u.kind, u.sha256) for u in uploads if u.status == "imported"}
    rows = [
        FileRow(
            upload_id=u.id,
            kind=u.kind,
            file_name=u.file_name,
            sha256=u.sha256,
            status=u.status,
            rows_read=u.rows_read,
            written=u.written,
            refused=u.refused,
            via=u.via,
            actor=u.actor,
            at=u.at,
            imported_on=None,
            has_report=u.error_report is not None,
        )
        for u in uploads
    ]
    for imported in session.scalars(
        select(ImportedFile)
        .where(ImportedFile.creditor_id == creditor_id)
        .order_by(ImportedFile.imported_on.desc(), ImportedFile.id.desc())
    ):
        if (imported.kind, imported.sha256) in portal:
            continue
        rows.append(
            FileRow(
                upload_id=None,
                kind=imported.kind,
                file_name=imported.file_name,
                sha256=imported.sha256,
                status="imported",
                rows_read=imported.rows,
                written=imported.rows,
                refused=0,
                via="staff",
                actor=imported.actor,
                at=None,
                imported_on=imported.imported_on,
                has_report=False,
            )
        )
    return rows


def error_report(session: Session, principal: Principal, upload_id: int) -> tuple[str, str]:
    """The report's file name and CSV text of one of the creditor's refused uploads."""
    creditor_id = _creditor_of(principal)
    upload = session.get(ClientUpload, upload_id)
    if upload is None or upload.creditor_id != creditor_id or upload.error_report is None:
        raise AccessDeniedError(f"no error report {upload_id} for {principal.username}")
    stem = Path(upload.file_name).stem or "upload"
    return f"{stem}.{upload.kind}.errors.csv", upload.error_report


# ---------------------------------------------------------------------------------------------
# Uploads


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    column: str
    field: str
    value: str
    reason_zh: str
    reason_en: str


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    upload_id: int
    kind: str
    file_name: str
    sha256: str
    status: str
    rows_read: int
    written: int
    refused: int
    already_imported: bool
    message: str
    errors: tuple[RowProblem, ...]
    details: dict[str, int]


def clean_file_name(name: str | None, kind: ImportKind) -> str:
    """A plain file name to import under (no folders, no odd characters), keeping its suffix.

    >>> clean_file_name("../../etc/还款 11月.csv", ImportKind.PAYMENTS)
    '还款_11月.csv'
    >>> clean_file_name(None, ImportKind.RECALL)
    'recall.csv'
    """
    base = Path((name or "").replace("\\", "/")).name
    cleaned = _UNSAFE_NAME.sub("_", base).strip("._")[:120]
    return cleaned if cleaned else f"{kind.value}.csv"


def _read_report(path: str | None) -> tuple[str | None, tuple[RowProblem, ...]]:
    if path is None:
        return None, ()
    text = Path(path).read_text(encoding="utf-8-sig")
    problems: list[RowProblem] = []
    reader = csv.reader(io.StringIO(text))
    next(reader, None)  # the header
    for cells in reader:
        if len(problems) >= ERRORS_SHOWN:
            break
        if len(cells) < 6:
            continue
        row = int(cells[0]) if cells[0].isdigit() else 0
        problems.append(RowProblem(row, cells[1], cells[2], cells[3], cells[4], cells[5]))
    return text, tuple(problems)


def upload_file(
    engine: Engine,
    session: Session,
    principal: Principal,
    *,
    kind: ImportKind,
    file_name: str | None,
    data: bytes,
    cipher: FieldCipher,
    business_date: date,
    at: datetime,
    via: str,
    token_id: int | None = None,
    batch_no: str | None = None,
    period_days: int = 90,
) -> UploadOutcome:
    """Import a creditor's file through the import service and keep a record of what happened.

    ``session`` must not have written anything yet (see the module docstring).
    """
    creditor_id = _creditor_of(principal)
    if len(data) > UPLOAD_LIMIT:
        raise UploadRefusedError("file", "too_large", f"file larger than {UPLOAD_LIMIT} bytes")
    if not 1 <= period_days <= 720:
        raise UploadRefusedError("period_days", "period", "period must be 1 to 720 days")
    batch = (batch_no or "").strip() or None
    if batch is not None and len(batch) > 64:
        raise UploadRefusedError("batch_no", "batch_long", "batch number over 64 characters")
    with session.no_autoflush:
        code = session.scalar(select(Creditor.code).where(Creditor.id == creditor_id))
    if code is None:
        raise AccessDeniedError(f"creditor {creditor_id} does not exist")
    name = clean_file_name(file_name, kind)
    with tempfile.TemporaryDirectory(prefix="huikuan-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        request = ImportRequest(
            path=path,
            kind=kind,
            creditor_code=code,
            business_date=business_date,
            actor=principal.username,
            at=at,
            report_dir=Path(folder) / "reports",
            batch_no=batch if kind is ImportKind.PLACEMENTS else None,
            period_days=period_days,
        )
        try:
            summary: ImportSummary = import_file(engine, request, cipher)
        except (ImportRefusedError, UnknownCreditorError) as refusal:
            raise UploadRefusedError("batch_no", "batch_taken", str(refusal)) from refusal
        report, problems = _read_report(summary.error_report)
    status = (
        "duplicate" if summary.already_imported else ("refused" if summary.refused else "imported")
    )
    upload = ClientUpload(
        creditor_id=creditor_id,
        kind=kind.value,
        file_name=name,
        sha256=summary.sha256,
        status=status,
        rows_read=summary.rows_read,
        written=summary.written,
        refused=summary.refused,
        message=summary.message,
        error_report=report,
        via=via,
        token_id=token_id,
        actor=principal.username,
        at=at,
    )
    session.add(upload)
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action="portal.upload",
        entity="client_upload",
        entity_id=upload.id,
        detail={
            "creditor_id": creditor_id,
            "kind": kind.value,
            "file": name,
            "sha256": summary.sha256[:16],
            "status": status,
            "rows": summary.rows_read,
            "refused": summary.refused,
            "via": via,
        },
    )
    return UploadOutcome(
        upload_id=upload.id,
        kind=kind.value,
        file_name=name,
        sha256=summary.sha256,
        status=status,
        rows_read=summary.rows_read,
        written=summary.written,
        refused=summary.refused,
        already_imported=summary.already_imported,
        message=summary.message,
        errors=problems,
        details=dict(summary.details),
    )


__all__ = [
    "KINDS",
    "FileRow",
    "PlacementRow",
    "RecoveryRow",
    "RowProblem",
    "UploadOutcome",
    "UploadRefusedError",
    "error_report",
    "files",
    "placements",
    "recoveries",
    "upload_file",
]
