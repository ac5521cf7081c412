"""Storing what creditors send: placements, payments, balance updates and recalls.

Data flow for one file: its SHA-256 is looked up first (the same file twice changes nothing) →
:func:`~huikuan.imports.readers.read_table` → :func:`~huikuan.imports.validation.validate` with
the creditor's column mapping → the database checks of :data:`DB_CHECKS` (accounts that must or
must not exist, the creditor's products, payment references) → if anything is wrong, an error
report (row, column, value, reason in Chinese and English) and nothing written; otherwise one
transaction writes everything in bulk (executemany, never row-by-row ORM objects), records the
file, and appends one audit entry. Personal data is encrypted before it reaches the database
and only masked values are ever logged or audited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import polars as pl
from sqlalchemy import Engine, Table, select, update
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account, BucketHistory, ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case, CaseTransition, Placement
from huikuan.cases.service import CLOSED_STATES, move_cases_bulk
from huikuan.core.delinquency import Movement
from huikuan.core.identity import mask_id_number, mask_phone
from huikuan.core.lifecycle import CaseState, Reason, allowed_targets
from huikuan.core.policy import policy_from_dict
from huikuan.db.bulk import insert_rows, reserve_ids, sync_id_sequence, update_rows
from huikuan.db.engine import transaction
from huikuan.imports.mapping import ColumnMapping, ImportKind
from huikuan.imports.models import ColumnMappingRow, ImportedFile
from huikuan.imports.readers import FileRefused, read_table
from huikuan.imports.report import ErrorCode, RowError, summarise, write_error_report
from huikuan.imports.validation import Validated, validate
from huikuan.nightly.frames import ACCOUNT_SCHEMA
from huikuan.nightly.pipeline import age_portfolio
from huikuan.nightly.service import last_closed
from huikuan.org.models import Agency, Creditor, Product
from huikuan.org.service import UnknownCreditorError, get_creditor
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher

CHUNK = 5_000  # rows per IN (...) lookup and per executemany batch


class ImportRefusedError(ValueError):
    """The request itself is wrong (unknown agency, a batch number already used …)."""


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import did; ``as_json`` is what ``--json`` prints."""

    kind: ImportKind
    file: str
    sha256: str
    rows_read: int
    written: int
    refused: int
    already_imported: bool = False
    error_report: str | None = None
    message: str = ""
    details: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.refused == 0

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "file": self.file,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "written": self.written,
            "refused": self.refused,
            "already_imported": self.already_imported,
            "error_report": self.error_report,
            "message": self.message,
            **({"details": self.details} if self.details else {}),
        }


@dataclass(frozen=True, slots=True)
class ImportRequest:
    path: Path
    kind: ImportKind
    creditor_code: str | None
    business_date: date
    actor: str
    at: datetime
    report_dir: Path
    batch_no: str | None = None
    agency_code: str | None = None
    period_days: int = 90


def import_file(engine: Engine, request: ImportRequest, cipher: FieldCipher) -> ImportSummary:
    """Import one file whole, or refuse it whole with an error report."""
    data = request.path.read_bytes() if request.path.is_file() else b""
    sha = hashlib.sha256(data).hexdigest()
    name = request.path.name
    with transaction(engine) as session:
        creditor = None
        if request.creditor_code is not None:
            creditor = get_creditor(session, request.creditor_code)
        elif request.kind is not ImportKind.PAYMENTS:
            raise UnknownCreditorError(f"{request.kind.value} imports need --creditor")
        same_sender = (
            ImportedFile.creditor_id == creditor.id
            if creditor is not None
            else ImportedFile.creditor_id.is_(None)
        )
        seen = session.scalars(
            select(ImportedFile).where(
                ImportedFile.kind == request.kind.value, same_sender, ImportedFile.sha256 == sha
            )
        ).first()
        if seen is not None:
            return ImportSummary(
                request.kind,
                name,
                sha,
                seen.rows,
                0,
                0,
                already_imported=True,
                message=f"已于 {seen.imported_on} 导入，未做任何更改 / already imported on "
                f"{seen.imported_on}: nothing changed",
            )
        try:
            raw = read_table(request.path)
        except FileRefused as refusal:
            error = RowError(
                1, "", "", "", refusal.code.value, refusal.message_zh, refusal.message_en
            )
            return _refused(request, sha, 0, [error], 1)
        mapping = _mapping(session, creditor)
        validated = validate(raw, request.kind, mapping, as_of=request.business_date)
        if not validated.ok:
            return _refused(
                request, sha, validated.rows_read, validated.errors, validated.errors_total
            )
        writer = _WRITERS[request.kind]
        problems, written, details = writer(session, validated, creditor, request, cipher)
        if problems:
            # Writers make every database check before they write, so nothing was written.
            problems = sorted(problems, key=lambda e: (e.row, e.column))
            return _refused(request, sha, validated.rows_read, problems, len(problems))
        session.add(
            ImportedFile(
                kind=request.kind.value,
                creditor_id=creditor.id if creditor else None,
                sha256=sha,
                file_name=name[:255],
                rows=validated.rows_read,
                imported_on=request.business_date,
                actor=request.actor,
            )
        )
        record(
            session,
            at=request.at,
            actor=request.actor,
            action=f"import.{request.kind.value}",
            entity="file",
            entity_id=sha[:16],
            detail={"file": name, "rows": validated.rows_read, "written": written, **details},
        )
        return ImportSummary(
            request.kind,
            name,
            sha,
            validated.rows_read,
            written,
            0,
            message=f"导入 {written} 行 / imported {written} row(s)",
            details=details,
        )


def _refused(
    request: ImportRequest, sha: str, rows: int, errors: Sequence[RowError], total: int
) -> ImportSummary:
    request.report_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{request.path.stem}.{request.kind.value}.{sha[:8]}.errors.csv"
    report = write_error_report(errors, request.report_dir / stem)
    return ImportSummary(
        request.kind,
        request.path.name,
        sha,
        rows,
        0,
        total,
        error_report=str(report),
        message=summarise(errors, total=total),
    )


def _mapping(session: Session, creditor: Creditor | None) -> ColumnMapping:
    if creditor is None:
        return ColumnMapping.default("")
    stored = session.scalars(
        select(ColumnMappingRow).where(ColumnMappingRow.creditor_id == creditor.id)
    ).first()
    return ColumnMapping(creditor.code, dict(stored.overrides) if stored else {})


def set_column_mapping(session: Session, creditor: Creditor, overrides: dict[str, str]) -> None:
    """Store a creditor's own headers (file header → field), checked before it is kept."""
    ColumnMapping(creditor.code, overrides)
    stored = session.scalars(
        select(ColumnMappingRow).where(ColumnMappingRow.creditor_id == creditor.id)
    ).first()
    if stored is None:
        session.add(ColumnMappingRow(creditor_id=creditor.id, kind="all", overrides=overrides))
    else:
        stored.overrides = overrides


def _existing(session: Session, column: Any, values: Sequence[str], *where: Any) -> dict[str, int]:
    """``value → id`` for the values already stored (looked up in chunks)."""
    found: dict[str, int] = {}
    model_id = column.class_.id
    for start in range(0, len(values), CHUNK):
        chunk = list(values[start : start + CHUNK])
        for value, key in session.execute(
            select(column, model_id).where(column.in_(chunk), *where)
        ):
            found[str(value)] = int(key)
    return found


Writer = Callable[
    [Session, Validated, Creditor | None, ImportRequest, FieldCipher],
    tuple[list[RowError], int, dict[str, int]],
]


def _insert_with_ids(
    session: Session, model: Any, count: int, rows: Iterable[dict[str, Any]]
) -> range:
    """Stream ``count`` rows in under freshly reserved ids (in row order); returns the ids.

    Rows come from a generator so a million-row import never holds them all at once.
    """
    ids = reserve_ids(session, model, count)
    written = insert_rows(
        session, model, ({**row, "id": key} for key, row in zip(ids, rows, strict=True))
    )
    if written != count:
        raise AssertionError(f"{model.__tablename__}: expected {count} rows, wrote {written}")
    sync_id_sequence(session, model)
    return ids


def _insert(session: Session, model: Any, rows: Iterable[dict[str, Any]]) -> None:
    insert_rows(session, model, rows)


def _mask_name(name: str) -> str:
    """王小明 → 王**: the surname and one star per hidden character."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def _write_placements(
    session: Session,
    validated: Validated,
    creditor: Creditor | None,
    request: ImportRequest,
    cipher: FieldCipher,
) -> tuple[list[RowError], int, dict[str, int]]:
    assert creditor is not None
    records = validated.records
    products = {
        p.code: p
        for p in session.scalars(select(Product).where(Product.creditor_id == creditor.id))
    }
    problems: list[RowError] = []
    unknown_products = [c for c in validated.keys("product_code").to_list() if c not in products]
    if unknown_products:
        problems += validated.errors_for(
            "product_code", unknown_products, ErrorCode.PRODUCT_UNKNOWN
        )
    account_nos = records.get_column("account_no").to_list()
    taken = _existing(session, Account.account_no, account_nos, Account.creditor_id == creditor.id)
    if taken:
        problems += validated.errors_for("account_no", list(taken), ErrorCode.ACCOUNT_EXISTS)
    agency_id = None
    if request.agency_code:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == request.agency_code))
        if agency_id is None:
            raise ImportRefusedError(f"未知的委外机构 / unknown agency {request.agency_code!r}")
    if problems:
        return problems, 0, {}

    closed = last_closed(session)
    opening = closed if closed is not None else request.business_date - timedelta(days=1)
    batch_no = _free_batch_no(session, creditor.id, request)
    placement = Placement(
        creditor_id=creditor.id,
        agency_id=agency_id,
        batch_no=batch_no[:64],
        placed_on=request.business_date,
        period_days=request.period_days,
        ends_on=request.business_date + timedelta(days=request.period_days),
        status="active",
    )
    session.add(placement)
    session.flush()

    # Debtors: reuse the creditor's known debtor numbers, create the others (first row wins;
    # validation already refused one debtor number carrying two ID numbers).
    firsts = records.unique("debtor_no", keep="first", maintain_order=True)
    known = _existing(
        session,
        Debtor.debtor_no,
        firsts.get_column("debtor_no").to_list(),
        Debtor.creditor_id == creditor.id,
    )
    new_debtors = firsts.filter(~pl.col("debtor_no").is_in(list(known)))
    debtor_rows = (
        {
            "creditor_id": creditor.id,
            "debtor_no": row["debtor_no"],
            "name_enc": cipher.encrypt(row["name"], context="debtor.name"),
            "name_masked": _mask_name(row["name"]),
            "id_number_enc": cipher.encrypt(row["id_number"], context="debtor.id_number"),
            "id_number_hash": cipher.search_hash(row["id_number"], kind="id_number"),
            "id_number_masked": mask_id_number(row["id_number"]),
            "region": row["region"],
            "language": row["language"] or "zh",
        }
        for row in new_debtors.select(
            "debtor_no", "name", "id_number", "region", "language"
        ).iter_rows(named=True)
    )
    new_ids = _insert_with_ids(session, Debtor, new_debtors.height, debtor_rows)
    debtor_ids = known | dict(
        zip(new_debtors.get_column("debtor_no").to_list(), new_ids, strict=True)
    )

    # Contact points of new debtors, each with its owner and lawful source.
    def contact_rows() -> Iterator[dict[str, Any]]:
        on = request.business_date
        for row in new_debtors.iter_rows(named=True):
            debtor_id = debtor_ids[row["debtor_no"]]
            source = row["contact_source"]
            yield _contact(cipher, debtor_id, "mobile", "self", row["mobile"], source, on)
            if row["email"]:
                yield _contact(cipher, debtor_id, "email", "self", row["email"], source, on)
            if row["address"]:
                yield _contact(cipher, debtor_id, "address", "self", row["address"], source, on)
            if row["emergency_mobile"]:
                contact = _contact(
                    cipher,
                    debtor_id,
                    "mobile",
                    "emergency_contact",
                    row["emergency_mobile"],
                    row["emergency_source"],
                    on,
                )
                contact["relationship"] = row["emergency_relationship"]
                contact["owner_name_enc"] = cipher.encrypt(
                    row["emergency_name"], context="contact.owner_name"
                )
                yield contact

    contacts = insert_rows(session, ContactPoint, contact_rows())

    # One case per debtor in this placement.
    case_debtors = list(dict.fromkeys(records.get_column("debtor_no").to_list()))
    case_rows = (
        {
            "case_no": f"{creditor.code}-{placement.id}-{position:07d}",
            "creditor_id": creditor.id,
            "placement_id": placement.id,
            "debtor_id": debtor_ids[debtor_no],
            "agency_id": agency_id,
            "state": CaseState.NEW.value,
            "opened_on": request.business_date,
        }
        for position, debtor_no in enumerate(case_debtors, start=1)
    )
    case_ids = dict(
        zip(
            case_debtors,
            _insert_with_ids(session, Case, len(case_debtors), case_rows),
            strict=True,
        )
    )
    _insert(
        session,
        CaseTransition,
        (
            {
                "case_id": case_id,
                "from_state": None,
                "to_state": CaseState.NEW.value,
                "reason": "placed",
                "actor": request.actor,
                "at": request.at,
                "note": batch_no[:64],
            }
            for case_id in case_ids.values()
        ),
    )

    # Accounts: the nightly state, aged to the last closed day by the pipeline's own rule.
    policy_codes = {code: product.policy_code for code, product in products.items()}
    policies = {
        product.policy_code: policy_from_dict(product.policy) for product in products.values()
    }
    state = records.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("account_id"),
        pl.col("product_code")
        .replace_strict(policy_codes, return_dtype=pl.String)
        .alias("policy_code"),
        pl.lit("open").cast(ACCOUNT_SCHEMA["status"]).alias("status"),
        "principal",
        "interest",
        "penalty",
        "fee",
        "first_due",
        "instalment",
        pl.col("cycles").cast(pl.Int32),
        "paid_to_schedule",
        pl.lit(opening).alias("accrued_through"),
        pl.col("charge_start").fill_null(request.business_date).alias("charge_start"),
        pl.col("principal").alias("cap_base"),
        pl.lit(0, dtype=pl.Int64).alias("charged_total"),
        pl.lit(0, dtype=pl.Int64).alias("credit"),
        pl.lit(0, dtype=pl.Int32).alias("dpd"),
        "account_no",
        "debtor_no",
        "currency",
        pl.col("product_code").alias("file_product"),
    ).with_columns(pl.col("policy_code").alias("product_code"))
    aged = age_portfolio(
        state.select(*ACCOUNT_SCHEMA, "account_no", "debtor_no", "currency", "file_product"),
        list(policies.values()),
        opening,
    )
    account_rows = (
        {
            "account_no": row["account_no"],
            "creditor_id": creditor.id,
            "product_id": products[row["file_product"]].id,
            "product_code": row["product_code"],
            "debtor_id": debtor_ids[row["debtor_no"]],
            "placement_id": placement.id,
            "case_id": case_ids[row["debtor_no"]],
            "currency": row["currency"] or "CNY",
            "status": row["status"],
            "principal": row["principal"],
            "interest": row["interest"],
            "penalty": row["penalty"],
            "fee": row["fee"],
            "credit": 0,
            "first_due": row["first_due"],
            "instalment": row["instalment"],
            "cycles": row["cycles"],
            "paid_to_schedule": row["paid_to_schedule"],
            "accrued_through": opening,
            "charge_start": row["charge_start"],
            "cap_base": row["cap_base"],
            "charged_total": 0,
            "dpd": row["dpd"],
            "bucket": row["bucket"],
            "placed_on": request.business_date,
        }
        for row in aged.iter_rows(named=True)
    )
    account_ids = _insert_with_ids(session, Account, aged.height, account_rows)
    _insert(
        session,
        BucketHistory,
        (
            {
                "account_id": account_id,
                "business_date": opening,
                "from_bucket": None,
                "to_bucket": row["bucket"],
                "dpd": row["dpd"],
                "movement": (Movement.ENTER if row["dpd"] > 0 else Movement.NEW_CURRENT).value,
            }
            for account_id, row in zip(
                account_ids, aged.select("bucket", "dpd").iter_rows(named=True), strict=True
            )
        ),
    )
    details = {
        "accounts": aged.height,
        "debtors_new": new_debtors.height,
        "cases": len(case_debtors),
        "contact_points": contacts,
        "placement_id": placement.id,
    }
    return [], aged.height, details


def _free_batch_no(session: Session, creditor_id: int, request: ImportRequest) -> str:
    """The batch number asked for (refused if taken), or a free one named after the file."""

    def taken(name: str) -> bool:
        found = session.scalar(
            select(Placement.id).where(
                Placement.creditor_id == creditor_id, Placement.batch_no == name
            )
        )
        return found is not None

    if request.batch_no:
        if taken(request.batch_no[:64]):
            raise ImportRefusedError(
                f"委案批次号 {request.batch_no} 已存在 / placement batch {request.batch_no} exists"
            )
        return request.batch_no[:64]
    base = f"{request.path.stem[:48]}-{request.business_date:%Y%m%d}"
    name, suffix = base, 1
    while taken(name):
        suffix += 1
        name = f"{base}-{suffix}"
    return name


def _contact(
    cipher: FieldCipher,
    debtor_id: int,
    kind: str,
    owner: str,
    value: str,
    source: str,
    on: date,
) -> dict[str, Any]:
    search_kind = "phone" if kind == "mobile" else ("email" if kind == "email" else "address")
    masked = mask_phone(value) if kind == "mobile" else _mask_text(value)
    return {
        "debtor_id": debtor_id,
        "kind": kind,
        "owner_type": owner,
        "owner_name_enc": None,
        "relationship": None,
        "value_enc": cipher.encrypt(value, context="contact.value"),
        "value_hash": cipher.search_hash(value, kind=search_kind),
        "value_masked": masked,
        "data_source": source,
        "consent": False,
        "status": "unverified",
        "created_on": on,
    }


def _mask_text(value: str) -> str:
    """Addresses and emails: the first few characters only."""
    keep = min(4, max(1, len(value) // 4))
    return value[:keep] + "****"


def _accounts_by_no(
    session: Session, validated: Validated, creditor: Creditor | None
) -> tuple[dict[str, int], list[RowError]]:
    numbers = validated.keys("account_no").to_list()
    where = [Account.creditor_id == creditor.id] if creditor else []
    found: dict[str, list[int]] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        for number, account_id in session.execute(
            select(Account.account_no, Account.id).where(Account.account_no.in_(chunk), *where)
        ):
            found.setdefault(str(number), []).append(int(account_id))
    missing = [n for n in numbers if n not in found]
    ambiguous = [n for n, ids in found.items() if len(ids) > 1]
    errors = (
        validated.errors_for("account_no", missing, ErrorCode.ACCOUNT_UNKNOWN) if missing else ()
    )
    if ambiguous:  # the same account number at two creditors: the file must say whose it is
        errors += validated.errors_for("account_no", ambiguous, ErrorCode.ACCOUNT_UNKNOWN)
    return {n: ids[0] for n, ids in found.items() if len(ids) == 1}, list(errors)


def _write_payments(
    session: Session,
    validated: Validated,
    creditor: Creditor | None,
    request: ImportRequest,
    cipher: FieldCipher,
) -> tuple[list[RowError], int, dict[str, int]]:
    accounts, problems = _accounts_by_no(session, validated, creditor)
    references = validated.keys("reference").to_list()
    known = _existing(session, Payment.reference, references)
    if known:
        problems += validated.errors_for("reference", list(known), ErrorCode.REFERENCE_EXISTS)
    if problems:
        return problems, 0, {}
    rows = [
        {
            "account_id": accounts[row["account_no"]],
            "received_on": row["received_on"],
            "amount": row["amount"],
            "channel": row["channel"] or "bank_transfer",
            "reference": row["reference"],
            "source": "creditor_file",
            "posted_on": None,
        }
        for row in validated.records.iter_rows(named=True)
    ]
    _insert(session, Payment, rows)
    total = int(validated.records.get_column("amount").sum())
    return [], len(rows), {"amount": total}


def _write_updates(
    session: Session,
    validated: Validated,
    creditor: Creditor | None,
    request: ImportRequest,
    cipher: FieldCipher,
) -> tuple[list[RowError], int, dict[str, int]]:
    accounts, problems = _accounts_by_no(session, validated, creditor)
    if problems:
        return problems, 0, {}
    rows = [
        {
            "key": accounts[row["account_no"]],
            "principal": row["principal"],
            "interest": row["interest"],
            "penalty": row["penalty"],
            "fee": row["fee"],
        }
        for row in validated.records.iter_rows(named=True)
    ]
    return [], update_rows(session, Account, rows), {}


def _write_recalls(
    session: Session,
    validated: Validated,
    creditor: Creditor | None,
    request: ImportRequest,
    cipher: FieldCipher,
) -> tuple[list[RowError], int, dict[str, int]]:
    accounts, problems = _accounts_by_no(session, validated, creditor)
    if problems:
        return problems, 0, {}
    ids = list(accounts.values())
    cases: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for case_id, state in session.execute(
            select(Case.id, Case.state)
            .join(Account, Account.case_id == Case.id)
            .where(Account.id.in_(chunk))
        ):
            cases[int(case_id)] = str(state)
    closed = [c for c, s in cases.items() if CaseState(s) in CLOSED_STATES]
    if closed:
        numbers = [
            str(n)
            for (n,) in session.execute(
                select(Account.account_no).where(Account.case_id.in_(closed))
            )
        ]
        problems += validated.errors_for("account_no", numbers, ErrorCode.ACCOUNT_UNKNOWN)
        return problems, 0, {}
    table = cast(Table, Account.__table__)
    for start in range(0, len(ids), CHUNK):
        session.execute(
            update(table)
            .where(table.c.id.in_(ids[start : start + CHUNK]))
            .values(status="recalled")
        )
    by_state: dict[str, list[int]] = {}
    for case_id, state in cases.items():
        by_state.setdefault(state, []).append(case_id)
    moved = 0
    for state, case_ids in sorted(by_state.items()):
        source = CaseState(state)
        if CaseState.RECALLED not in allowed_targets(source):
            continue
        moved += move_cases_bulk(
            session,
            case_ids,
            source,
            CaseState.RECALLED,
            reason=Reason.RECALLED_BY_CREDITOR,
            actor=request.actor,
            at=request.at,
        )
    return [], len(ids), {"cases_recalled": moved}


_WRITERS: dict[ImportKind, Writer] = {
    ImportKind.PLACEMENTS: _write_placements,
    ImportKind.PAYMENTS: _write_payments,
    ImportKind.UPDATES: _write_updates,
    ImportKind.RECALL: _write_recalls,
}
