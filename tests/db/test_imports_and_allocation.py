"""Imports and 分案 against SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from huikuan.accounts.models import Account, ContactPoint, Debtor
from huikuan.assignment.rules_io import default_rules
from huikuan.assignment.service import allocate_cases
from huikuan.audit.models import AuditLog
from huikuan.audit.service import verify
from huikuan.cases.models import Assignment, Case, CaseTransition
from huikuan.db.engine import transaction
from huikuan.db.migrate import upgrade
from huikuan.demo.catalogue import CONSUMER_LOAN, CREDIT_CARD
from huikuan.demo.service import demo_rules, load_demo
from huikuan.imports.mapping import FIELDS, ImportKind
from huikuan.imports.sample import sample_frame
from huikuan.imports.service import ImportRefusedError, ImportRequest, import_file
from huikuan.org.service import add_creditor, add_product
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)


def counts(engine: Engine) -> tuple[int, ...]:
    with transaction(engine) as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Account, Debtor, Case, ContactPoint, Payment, CaseTransition)
        )


def setup_creditor(engine: Engine) -> None:
    upgrade(engine)
    with transaction(engine) as session:
        creditor = add_creditor(session, "HXB", "华夏示范银行", actor="ops", at=AT)
        add_product(
            session,
            creditor,
            "CC",
            "信用卡",
            CREDIT_CARD.__class__(**{**_fields(CREDIT_CARD), "code": "HXB.CC"}),
        )
        add_product(
            session,
            creditor,
            "CL",
            "消费贷",
            CONSUMER_LOAN.__class__(**{**_fields(CONSUMER_LOAN), "code": "HXB.CL"}),
        )


def _fields(policy: object) -> dict[str, object]:
    return {name: getattr(policy, name) for name in policy.__dataclass_fields__}  # type: ignore[attr-defined]


def write(
    path: Path, kind: ImportKind, rows: int, seed: int = 1, keep: list[str] | None = None
) -> Path:
    frame = sample_frame(kind, rows, seed=seed, as_of=DAY)
    if kind is ImportKind.PLACEMENTS:
        frame = frame.filter(pl.col("product_code").is_in(keep or ["CC", "CL"]))
    labels = {f.name: f.label_zh for f in FIELDS[kind]}
    frame.rename(labels).write_csv(path, include_bom=True)
    return path


def request(path: Path, kind: ImportKind, tmp_path: Path, day: date = DAY) -> ImportRequest:
    return ImportRequest(
        path=path,
        kind=kind,
        creditor_code="HXB",
        business_date=day,
        actor="ops",
        at=AT,
        report_dir=tmp_path / "reports",
    )


def test_placements_then_payments_updates_and_recall(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    setup_creditor(engine)
    placements = write(tmp_path / "p.csv", ImportKind.PLACEMENTS, 400)
    summary = import_file(engine, request(placements, ImportKind.PLACEMENTS, tmp_path), cipher)
    assert summary.ok, summary.message
    accounts, debtors, cases, contacts, _payments, transitions = counts(engine)
    assert accounts == summary.written > 0
    assert 0 < debtors <= accounts
    assert cases == debtors == transitions
    assert contacts >= debtors  # every debtor has at least the own mobile
    with transaction(engine) as session:
        stored = session.scalars(select(Debtor)).first()
        assert stored is not None
        assert stored.id_number_enc is not None
        assert stored.id_number_enc.startswith("v1:")
        assert stored.id_number_masked is not None
        assert "*" in stored.id_number_masked
        sources = set(session.scalars(select(ContactPoint.data_source)))
        assert sources <= {"contract", "debtor_named_contact"}
        states = set(session.scalars(select(Case.state)))
        assert states == {"new"}

    # The same file again changes nothing; a different file with the same accounts is refused.
    before = counts(engine)
    again = import_file(engine, request(placements, ImportKind.PLACEMENTS, tmp_path), cipher)
    assert again.already_imported
    assert counts(engine) == before
    copy = tmp_path / "copy.csv"
    copy.write_bytes(placements.read_bytes() + b"\n")
    clash = import_file(engine, request(copy, ImportKind.PLACEMENTS, tmp_path), cipher)
    assert not clash.ok
    assert clash.refused == summary.written  # every row: account already placed
    assert counts(engine) == before
    report = Path(str(clash.error_report)).read_text(encoding="utf-8-sig")
    assert "已存在" in report or "already" in report

    # An online-loan row: a product this creditor does not have. Refused whole.
    online = write(tmp_path / "ol.csv", ImportKind.PLACEMENTS, 200, seed=2, keep=["OL"])
    unknown = import_file(engine, request(online, ImportKind.PLACEMENTS, tmp_path), cipher)
    assert not unknown.ok
    assert counts(engine) == before

    payments = write(tmp_path / "pay.csv", ImportKind.PAYMENTS, 400)
    paid = import_file(engine, request(payments, ImportKind.PAYMENTS, tmp_path), cipher)
    # The payments sample covers every sample account, the OL and filtered ones too: refused.
    assert not paid.ok
    assert counts(engine) == before

    recall = tmp_path / "recall.csv"
    with transaction(engine) as session:
        first = session.scalars(select(Account.account_no).order_by(Account.id)).first()
    recall.write_text(f"账号,撤案日期,撤案原因\n{first},2026-11-20,委托方撤案\n", encoding="utf-8")
    recalled = import_file(engine, request(recall, ImportKind.RECALL, tmp_path), cipher)
    assert recalled.ok, recalled.message
    with transaction(engine) as session:
        account = session.scalars(select(Account).where(Account.account_no == first)).one()
        assert account.status == "recalled"
        case = session.get(Case, account.case_id)
        assert case is not None
        assert case.state == "recalled"
        assert verify(session) == []
        actions = set(session.scalars(select(AuditLog.action)))
    assert {"creditor.add", "import.placements", "import.recall", "case.transition.bulk"} <= actions


def test_allocation_assigns_every_case_once_and_a_rerun_changes_nothing(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    load_demo(
        engine,
        accounts=600,
        as_of=date(2026, 11, 20),
        days=2,
        seed=4,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    with transaction(engine) as session:
        open_cases = session.scalar(
            select(func.count()).where(Case.state.in_(["active", "promised", "in_plan", "on_hold"]))
        )
        unassigned = session.scalar(select(func.count()).where(Case.agent_id.is_(None)))
        history = session.scalar(select(func.count()).select_from(Assignment))
        late_with_agency = session.scalar(select(func.count()).where(Case.agency_id.is_not(None)))
    assert open_cases
    assert open_cases > 0
    assert unassigned == 0
    assert history
    assert history >= open_cases
    assert late_with_agency
    assert late_with_agency > 0
    report = allocate_cases(engine, demo_rules(), as_of=date(2026, 11, 20), actor="t", at=AT)
    assert report.changed == 0
    assert set(report.by_reason) <= {"kept", "held"}
    with pytest.raises(ValueError, match="teams"):
        default_rules([])


def test_a_used_batch_number_or_unknown_agency_is_refused_before_anything_is_written(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    setup_creditor(engine)
    first = write(tmp_path / "a.csv", ImportKind.PLACEMENTS, 50, seed=3)
    named = ImportRequest(
        path=first,
        kind=ImportKind.PLACEMENTS,
        creditor_code="HXB",
        business_date=DAY,
        actor="ops",
        at=AT,
        report_dir=tmp_path,
        batch_no="B-1",
    )
    assert import_file(engine, named, cipher).ok
    before = counts(engine)
    second = write(tmp_path / "b.csv", ImportKind.PLACEMENTS, 50, seed=4)
    with pytest.raises(ImportRefusedError, match="B-1"):
        import_file(engine, replace(named, path=second), cipher)
    with pytest.raises(ImportRefusedError, match="agency"):
        import_file(engine, replace(named, path=second, batch_no=None, agency_code="NOPE"), cipher)
    assert counts(engine) == before
    assert import_file(engine, replace(named, path=second, batch_no=None), cipher).ok
