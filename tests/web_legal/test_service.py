"""The legal services on SQLite and PostgreSQL: referrals into matters (the case moves to 法催),
events and exact cost totals, the lawyer letter as PDF, the guard's verdict on sending it, the
evidence pack and its manifest, and claim recoveries that post exactly one payment."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal, principal_for
from huikuan.audit.models import AuditLog
from huikuan.audit.service import verify
from huikuan.cases.models import Case, CaseTransition
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import transaction
from huikuan.legal import claims, evidence, letters
from huikuan.legal import service as legal
from huikuan.legal.models import LegalMatter
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher
from tests.web_legal.conftest import ADDRESS, DEBTOR_NAME, FIRM, World, build_world

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 11, 20)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    return squeeze("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def who(session: Session, username: str) -> Principal:
    return principal_for(session, username)


def open_matter(world: World, case: str = "c1") -> int:
    """A team lead refers ``case``; legal accepts it as litigation with the firm."""
    with transaction(world.engine) as s:
        referral = legal.refer_case(
            s, who(s, "lead"), world.ids[case], reason="失联 90 天，资产线索明确", at=AT
        )
    with transaction(world.engine) as s:
        matter = legal.accept_referral(
            s,
            who(s, "legal"),
            referral.id,
            kind="litigation",
            law_firm_id=world.ids["firm"],
            court="上海市浦东新区人民法院",
            at=AT,
        )
        return matter.id


@pytest.fixture
def db_world(engine: Engine, cipher: FieldCipher) -> World:
    return build_world(engine, cipher)


def test_a_referral_accepted_opens_a_matter_and_moves_the_case_to_legal(db_world: World) -> None:
    world = db_world
    matter_id = open_matter(world)
    with transaction(world.engine) as s:
        case = s.get(Case, world.ids["c1"])
        assert case is not None
        assert case.state == "legal"
        moves = s.scalars(select(CaseTransition).where(CaseTransition.case_id == case.id)).all()
        assert [(m.from_state, m.to_state, m.reason) for m in moves] == [
            ("active", "legal", "legal_referral")
        ]
        detail = legal.matter_detail(s, who(s, "mgr"), matter_id)
        assert detail.status == "open"
        assert detail.law_firm is not None
        assert detail.law_firm.name == FIRM
        assert detail.referred_at == AT
        assert detail.filed_at is None
        actions = set(s.scalars(select(AuditLog.action)))
        assert {"legal.referral.created", "legal.referral.accepted", "case.transition"} <= actions
        assert verify(s) == []
        # Legal already has the case: a second referral is refused, naming the field.
        with pytest.raises(legal.LegalInputError) as refused:
            legal.refer_case(s, who(s, "mgr"), world.ids["c1"], reason="again", at=AT)
        assert refused.value.field == "case"


def test_events_stamp_the_filing_and_total_the_costs_exactly(db_world: World) -> None:
    world = db_world
    matter_id = open_matter(world)
    with transaction(world.engine) as s:
        legal_user = who(s, "legal")
        legal.add_event(
            s,
            legal_user,
            matter_id,
            kind="filing",
            event_on=date(2026, 11, 27),
            court_fee=1_234_56,
            lawyer_fee=500_000_00,
            at=AT,
        )
        legal.add_event(
            s,
            legal_user,
            matter_id,
            kind="hearing",
            event_on=date(2027, 1, 10),
            court_fee=1,
            lawyer_fee=99,
            note="第一次开庭",
            at=AT,
        )
        detail = legal.matter_detail(s, legal_user, matter_id)
    assert detail.status == "in_hearing"
    assert detail.court_fees == 1_234_57
    assert detail.lawyer_fees == 500_000_99
    assert detail.total_costs == 501_235_56
    assert detail.filed_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # 27th, Shanghai
    assert detail.days_to_filing == 7
    with transaction(world.engine) as s:
        with pytest.raises(legal.LegalInputError) as refused:
            legal.add_event(
                s,
                who(s, "legal"),
                matter_id,
                kind="judgment",
                event_on=TODAY,
                court_fee=legal.MAX_AMOUNT + 1,
                at=AT,
            )
        assert (refused.value.field, refused.value.code) == ("court_fee", "over_limit")


def test_the_lawyer_letter_pdf_shows_the_name_address_and_amounts(
    db_world: World, cipher: FieldCipher
) -> None:
    world = db_world
    matter_id = open_matter(world)
    with transaction(world.engine) as s:
        name, pdf = letters.lawyer_letter_pdf(
            s,
            who(s, "legal"),
            matter_id,
            decrypt=lambda token, context: cipher.decrypt(token, context=context),
            letter_date=TODAY,
            at=AT,
        )
        reveals = s.scalars(select(AuditLog).where(AuditLog.action == "pii.reveal")).all()
    assert name == f"LF-{matter_id:06d}-20261120.pdf"
    text = pdf_text(pdf)
    assert DEBTOR_NAME in text
    assert squeeze(ADDRESS) in text
    # c1: principal 1,004,000 + interest 12,345 + penalty 6,789 + fee 1,000 fen.
    assert "本金10,040.00元" in text
    assert "合计10,241.34元" in text
    assert FIRM in text
    assert "11101202610000001" in text
    assert len(reveals) == 1
    assert DEBTOR_NAME not in reveals[0].detail
    with transaction(world.engine) as s, pytest.raises(legal.NotPermittedError):
        letters.lawyer_letter_pdf(
            s, who(s, "mgr"), matter_id, decrypt=lambda t, c: t, letter_date=TODAY, at=AT
        )


def test_sending_puts_the_letter_to_the_guard_and_the_evidence_pack_holds_it(
    db_world: World, cipher: FieldCipher
) -> None:
    world = db_world
    matter_id = open_matter(world)

    def decrypt(token: str, context: str) -> str:
        return cipher.decrypt(token, context=context)

    with transaction(world.engine) as s:
        sent = letters.send_lawyer_letter(s, who(s, "legal"), matter_id, letter_date=TODAY, at=AT)
        attempt = s.get(ContactAttempt, sent.attempt_id)
        assert attempt is not None
        assert attempt.channel == "letter"
        assert attempt.contact_point_id == world.ids["c1_address"]
        assert attempt.decision == sent.decision
        # What the guard read and what is stored: the letter with the name masked.
        assert attempt.content is not None
        assert DEBTOR_NAME not in attempt.content
        assert "10,241.34" in attempt.content
    assert sent.decision == "allowed", sent.reasons
    assert sent.status == "sent"
    with transaction(world.engine) as s:
        legal.add_event(
            s, who(s, "legal"), matter_id, kind="filing", event_on=TODAY, court_fee=5_000, at=AT
        )
        _name, data = evidence.build_evidence_pack(
            s, who(s, "legal"), matter_id, decrypt=decrypt, at=AT
        )
        exports = s.scalars(
            select(AuditLog).where(AuditLog.action == "legal.evidence_export")
        ).all()
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    names = [entry["name"] for entry in manifest["files"]]
    assert set(names) | {"manifest.json"} == set(archive.namelist())
    for entry in manifest["files"]:
        content = archive.read(entry["name"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["bytes"]
    assert {
        "statement.csv",
        "payments.csv",
        "statement.html",
        "contract_reference.csv",
        "contact_log.csv",
        "legal_events.csv",
    } <= set(names)
    pdfs = [n for n in names if n.startswith("letters/")]
    assert len(pdfs) == 1
    assert DEBTOR_NAME in pdf_text(archive.read(pdfs[0]))
    log = archive.read("contact_log.csv").decode("utf-8-sig")
    assert "CN-QUIET-HOURS" in log
    assert "letter" in log
    assert "13812345678" not in log
    assert "1024134" in archive.read("statement.csv").decode("utf-8-sig")
    assert "PAY-1" in archive.read("payments.csv").decode("utf-8-sig")
    assert "pa" in archive.read("contract_reference.csv").decode("utf-8-sig")
    assert len(exports) == 1
    assert (
        json.loads(exports[0].detail)["manifest_sha256"]
        == hashlib.sha256(archive.read("manifest.json")).hexdigest()
    )


def test_a_recovery_sent_twice_posts_exactly_one_payment(db_world: World) -> None:
    world = db_world
    with transaction(world.engine) as s:
        claim = claims.create_claim(
            s,
            who(s, "legal"),
            world.ids["c3_account"],
            counterparty_kind="credit_insurer",
            counterparty_name="示例信用保险",
            claimed_amount=300_000,
            at=AT,
        )
        claim_id = claim.id
    results = []
    for _ in range(2):
        with transaction(world.engine) as s:
            results.append(
                claims.record_recovery(
                    s,
                    who(s, "legal"),
                    claim_id,
                    received_on=TODAY,
                    amount=100_000,
                    remittance_ref="INS-2026-0001",
                    at=AT,
                )
            )
    assert [r.created for r in results] == [True, False]
    assert results[0].recovery.payment_id == results[1].recovery.payment_id
    with transaction(world.engine) as s:
        payments = s.scalars(select(Payment).where(Payment.source == "claim")).all()
        assert len(payments) == 1
        payment = payments[0]
        assert (payment.amount, payment.account_id, payment.posted_on) == (
            100_000,
            world.ids["c3_account"],
            None,
        )
        assert payment.reference == f"CLAIM-{claim_id}-INS-2026-0001"
        claim_read = claims.get_claim(s, who(s, "mgr"), claim_id)
        assert (claim_read.recovered_amount, claim_read.outstanding, claim_read.status) == (
            100_000,
            200_000,
            "submitted",
        )
        # Over the claim: refused, nothing posted.
        with pytest.raises(legal.LegalInputError) as refused:
            claims.record_recovery(
                s,
                who(s, "legal"),
                claim_id,
                received_on=TODAY,
                amount=200_001,
                remittance_ref="INS-2026-0002",
                at=AT,
            )
        assert (refused.value.field, refused.value.code) == ("amount", "over_limit")
        # The same remittance with another amount is a mistake, not a second payment.
        with pytest.raises(legal.LegalInputError) as clash:
            claims.record_recovery(
                s,
                who(s, "legal"),
                claim_id,
                received_on=TODAY,
                amount=1,
                remittance_ref="INS-2026-0001",
                at=AT,
            )
        assert clash.value.code == "duplicate"
        paid = claims.record_recovery(
            s,
            who(s, "legal"),
            claim_id,
            received_on=TODAY,
            amount=200_000,
            remittance_ref="INS-2026-0002",
            at=AT,
        )
        assert paid.claim_status == "paid"
        assert (
            s.scalar(select(func.count()).select_from(Payment).where(Payment.source == "claim"))
            == 2
        )


def test_roles_and_scope_are_checked_in_the_service(db_world: World) -> None:
    world = db_world
    with transaction(world.engine) as s:
        with pytest.raises(legal.NotPermittedError):
            legal.refer_case(s, who(s, "a1"), world.ids["c1"], reason="x", at=AT)
        with pytest.raises(legal.NotPermittedError):
            legal.list_referrals(s, who(s, "lead"))
        with pytest.raises(AccessDeniedError):  # another team's / agency's case
            legal.refer_case(s, who(s, "lead"), world.ids["c2"], reason="x", at=AT)
        with pytest.raises(legal.LegalInputError) as empty:
            legal.refer_case(s, who(s, "lead"), world.ids["c1"], reason="  ", at=AT)
        assert (empty.value.field, empty.value.code) == ("reason", "required")
        with pytest.raises(AccessDeniedError):  # another creditor's account for a claim
            claims.create_claim(
                s,
                who(s, "xlegal"),
                world.ids["c4_account"],
                counterparty_kind="guarantor",
                counterparty_name="张三",
                claimed_amount=1,
                at=AT,
            )
    matter_id = open_matter(world)
    with transaction(world.engine) as s:
        with pytest.raises(AccessDeniedError):  # agency X's legal user, an in-house case
            legal.matter_detail(s, who(s, "xlegal"), matter_id)
        assert legal.list_matters(s, who(s, "xlegal")) == []
        assert s.get(LegalMatter, matter_id) is not None


def test_the_strategy_queue_lists_one_row_per_case_until_legal_decides(db_world: World) -> None:
    world = db_world
    with transaction(world.engine) as s:
        rows = legal.list_referrals(s, who(s, "legal"))
        assert [(r.source, r.case.case_no, r.strategy_action_id) for r in rows] == [
            ("strategy", "CASE-c3", world.ids["action_c3"])
        ]
        assert rows[0].case.debtor_name_masked == "李**"
        referral = legal.referral_from_strategy(s, who(s, "legal"), world.ids["action_c3"], at=AT)
        legal.decline_referral(s, who(s, "legal"), referral.id, note="金额过小，不宜起诉", at=AT)
        assert legal.list_referrals(s, who(s, "legal")) == []
        with pytest.raises(legal.LegalInputError):  # decided already
            legal.accept_referral(
                s, who(s, "legal"), referral.id, kind="litigation", law_firm_id=None, at=AT
            )
