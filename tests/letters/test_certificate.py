"""The settlement certificate (结清证明) built from cases in a real database (SQLite and
PostgreSQL), rendered by WeasyPrint and read back with poppler's ``pdftotext``.

Two settled cases: one paid in full (two accounts, both ``settled`` with nothing owing), one
settled by agreement (an approved settlement plan whose agreed amount was paid; the rest is
waived). The text extracted from the PDF must state the facts; the bytes must not change
between renders; unsettled cases are refused; staff verification accepts the printed code and
nothing else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, delete, update

from huikuan.accounts.models import Account, Debtor
from huikuan.approvals.models import ApprovalDecision
from huikuan.cases.models import Case, Placement, Plan
from huikuan.db.engine import transaction
from huikuan.db.migrate import upgrade
from huikuan.letters.certificate import (
    NotSettledError,
    certificate_content,
    certificate_text,
    settlement_certificate_pdf,
    settlement_status,
    verification_code,
    verify_certificate,
)
from huikuan.org.models import Agency, Creditor, Product
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher

SECRET = b"certificate-test-secret-0123456789"
ISSUED = date(2026, 6, 1)
NAME = "王小明"
ID_NUMBER = "11010519491231002X"


def squeeze(text: str) -> str:
    """Text without whitespace: PDF extraction may break lines anywhere."""
    return re.sub(r"\s+", "", text)


def pdftotext(pdf: bytes) -> str:
    """The PDF's text as poppler extracts it (a different reader from the one that wrote it)."""
    tool = shutil.which("pdftotext")
    assert tool, "poppler-utils is needed: run scripts/ensure-system-packages.sh"
    done = subprocess.run(
        [tool, "-enc", "UTF-8", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8")


def yuan(text: str) -> int:
    whole, _, cents = text.replace(",", "").partition(".")
    return int(whole) * 100 + int(cents or 0)


@dataclass
class Ids:
    paid_case: int
    agreed_case: int
    open_case: int
    paid_accounts: tuple[int, int]
    agreed_account: int
    agreed_plan: int


def _account(n: str, *, creditor: int, product: int, debtor: int, placement: int, case: int,
             status: str, owing: int, placed: int) -> Account:  # fmt: skip
    return Account(
        account_no=n,
        creditor_id=creditor,
        product_id=product,
        product_code="CARD",
        debtor_id=debtor,
        placement_id=placement,
        case_id=case,
        currency="CNY",
        status=status,
        principal=owing,
        interest=0,
        penalty=0,
        fee=0,
        credit=0,
        first_due=date(2025, 6, 1),
        instalment=yuan("1,000"),
        cycles=None,
        paid_to_schedule=0,
        accrued_through=date(2026, 5, 20),
        charge_start=date(2026, 1, 5),
        cap_base=placed,
        charged_total=0,
        dpd=0,
        bucket="M0",
        placed_on=date(2026, 1, 5),
    )


def build(engine: Engine, cipher: FieldCipher) -> Ids:
    upgrade(engine)
    with transaction(engine) as s:
        creditor = Creditor(code="BANKA", name="示例银行股份有限公司")
        agency = Agency(code="AGX", name="华信催收服务有限公司")
        s.add_all([creditor, agency])
        s.flush()
        card = Product(
            creditor_id=creditor.id,
            code="CARD",
            name="信用卡",
            policy_code="BANKA.CARD",
            policy_version=1,
            policy={},
        )
        loan = Product(
            creditor_id=creditor.id,
            code="LOAN",
            name="消费贷",
            policy_code="BANKA.LOAN",
            policy_version=1,
            policy={},
        )
        placement = Placement(
            creditor_id=creditor.id,
            agency_id=agency.id,
            batch_no="B-2026-01",
            placed_on=date(2026, 1, 5),
            period_days=180,
            ends_on=date(2026, 7, 4),
        )
        s.add_all([card, loan, placement])
        s.flush()
        cases = []
        for number in ("1", "2", "3"):
            debtor = Debtor(
                creditor_id=creditor.id,
                debtor_no=f"D-{number}",
                name_enc=cipher.encrypt(NAME, context="debtor.name"),
                name_masked="王**",
                id_number_enc=cipher.encrypt(ID_NUMBER, context="debtor.id_number"),
                id_number_hash=cipher.search_hash(ID_NUMBER, kind="id_number"),
                id_number_masked="110105********002X",
            )
            s.add(debtor)
            s.flush()
            case = Case(
                case_no=f"C2026-00{number}",
                creditor_id=creditor.id,
                placement_id=placement.id,
                debtor_id=debtor.id,
                agency_id=agency.id,
                state="active",
                opened_on=date(2026, 1, 5),
            )
            s.add(case)
            s.flush()
            cases.append((case, debtor))
        common = {"creditor": creditor.id, "placement": placement.id}
        (paid_case, paid_debtor), (agreed_case, agreed_debtor), (open_case, open_debtor) = cases
        paid_a = _account("6222000011112222", product=card.id, debtor=paid_debtor.id,
                          case=paid_case.id, status="settled", owing=0, placed=yuan("8,000"),
                          **common)  # fmt: skip
        paid_b = _account("LN-2025-0042", product=loan.id, debtor=paid_debtor.id,
                          case=paid_case.id, status="settled", owing=0, placed=yuan("20,000"),
                          **common)  # fmt: skip
        # Settled by agreement: 10,000.00 owing when the plan was made; 6,000.00 agreed.
        agreed = _account("LN-2025-0077", product=loan.id, debtor=agreed_debtor.id,
                          case=agreed_case.id, status="open", owing=yuan("4,000"),
                          placed=yuan("9,500"), **common)  # fmt: skip
        still_open = _account("6222000099998888", product=card.id, debtor=open_debtor.id,
                              case=open_case.id, status="open", owing=yuan("1,234.56"),
                              placed=yuan("5,000"), **common)  # fmt: skip
        s.add_all([paid_a, paid_b, agreed, still_open])
        s.flush()
        receipts = [
            (paid_a, date(2026, 3, 10), "8,900.00"),
            (paid_b, date(2026, 4, 2), "10,000.00"),
            (paid_b, date(2026, 5, 18), "11,250.50"),
            (agreed, date(2026, 4, 20), "2,000.00"),
            (agreed, date(2026, 5, 20), "4,000.00"),
            (still_open, date(2026, 5, 1), "100.00"),
        ]
        for n, (account, day, amount) in enumerate(receipts, start=1):
            s.add(
                Payment(
                    account_id=account.id,
                    received_on=day,
                    amount=yuan(amount),
                    channel="bank_transfer",
                    reference=f"R{n}",
                    posted_on=day,
                )
            )
        plan = Plan(
            case_id=agreed_case.id,
            account_id=agreed.id,
            kind="settlement",
            terms={
                "version": 1,
                "balance": {"principal": yuan("10,000"), "interest": 0, "penalty": 0, "fee": 0},
                "waived": {"principal": yuan("4,000"), "interest": 0, "penalty": 0, "fee": 0},
                "payable": yuan("6,000"),
                "total": yuan("6,000"),
                "schedule": [
                    {"number": 1, "due_on": "2026-04-20", "amount": yuan("2,000")},
                    {"number": 2, "due_on": "2026-05-20", "amount": yuan("4,000")},
                ],
            },
            status="completed",
            created_on=date(2026, 4, 15),
            proposed_by="agent1",
            approved_by="lead1",
        )
        s.add(plan)
        s.flush()
        s.add(
            ApprovalDecision(
                plan_id=plan.id,
                case_id=agreed_case.id,
                decision="approved",
                decided_by="lead1",
                role="team_lead",
                at=datetime(2026, 4, 16, 2, 30, tzinfo=UTC),
                comment="",
                limit_code="APPROVAL-LIMITS@1:team_lead",
                figures={"waived": yuan("4,000")},
            )
        )
        return Ids(
            paid_case.id, agreed_case.id, open_case.id, (paid_a.id, paid_b.id), agreed.id, plan.id
        )


# -------------------------------------------------------------------------------- status


def test_paid_in_full_status(engine: Engine, cipher: FieldCipher) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s:
        status = settlement_status(s, ids.paid_case)
    assert status.settled
    assert status.how == "paid_in_full"
    assert status.settled_on == date(2026, 5, 18)  # the last payment on the last account
    assert [(a.account_no, a.placed, a.paid, a.waived) for a in status.accounts] == [
        ("6222000011112222", yuan("8,000"), yuan("8,900"), 0),
        ("LN-2025-0042", yuan("20,000"), yuan("21,250.50"), 0),
    ]
    assert status.certificate_no is not None
    assert re.fullmatch(r"JQ-C2026-001-[0-9A-F]{8}", status.certificate_no)


def test_settled_by_agreement_status(engine: Engine, cipher: FieldCipher) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s:
        status = settlement_status(s, ids.agreed_case)
    assert status.settled
    assert status.how == "settled_by_agreement"
    assert status.settled_on == date(2026, 5, 20)  # the day the agreed 6,000.00 was reached
    assert status.agreement_approved_on == date(2026, 4, 16)
    (account,) = status.accounts
    assert (account.paid, account.waived, account.outstanding) == (
        yuan("6,000"),
        yuan("4,000"),
        yuan("4,000"),
    )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"status": "proposed", "approved_by": None}, "a proposal waives nothing"),
        ({"status": "broken"}, "a broken plan waives nothing"),
        ({"kind": "instalment"}, "an instalment plan waives nothing"),
    ],
)
def test_agreement_must_be_an_approved_settlement(
    engine: Engine, cipher: FieldCipher, change: dict[str, object], why: str
) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s:
        s.execute(update(Plan).where(Plan.id == ids.agreed_plan).values(**change))
    with transaction(engine) as s:
        status = settlement_status(s, ids.agreed_case)
    assert not status.settled, why
    assert status.unsettled == ("LN-2025-0077",)


def test_agreement_needs_an_approval_on_record_and_the_full_agreed_amount(
    engine: Engine, cipher: FieldCipher
) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s:
        s.add(
            Payment(
                account_id=ids.agreed_account,
                received_on=date(2026, 5, 21),
                amount=-1,  # a 1-fen reversal: the agreed amount is no longer paid
                channel="bank_transfer",
                reference="REV1",
            )
        )
    with transaction(engine) as s:
        assert not settlement_status(s, ids.agreed_case).settled
        s.add(
            Payment(
                account_id=ids.agreed_account,
                received_on=date(2026, 5, 25),
                amount=1,
                channel="bank_transfer",
                reference="R-again",
            )
        )
    with transaction(engine) as s:
        status = settlement_status(s, ids.agreed_case)
        assert status.settled
        assert status.settled_on == date(2026, 5, 25)
        s.execute(delete(ApprovalDecision).where(ApprovalDecision.plan_id == ids.agreed_plan))
    with transaction(engine) as s:
        assert not settlement_status(s, ids.agreed_case).settled


def test_an_account_owing_anything_is_not_settled(engine: Engine, cipher: FieldCipher) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s:
        s.execute(update(Account).where(Account.id == ids.paid_accounts[1]).values(fee=1))
    with transaction(engine) as s:
        status = settlement_status(s, ids.paid_case)
    assert not status.settled
    assert status.certificate_no is None
    assert status.unsettled == ("LN-2025-0042",)


# ---------------------------------------------------------------------------------- the PDF


def test_paid_in_full_certificate_states_the_facts(engine: Engine, cipher: FieldCipher) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s:
        pdf = settlement_certificate_pdf(s, cipher, ids.paid_case, secret=SECRET, issued_on=ISSUED)
        status = settlement_status(s, ids.paid_case)
        code = verification_code(s, ids.paid_case, SECRET)
    assert pdf.startswith(b"%PDF-")
    text = squeeze(pdftotext(pdf))
    assert status.certificate_no is not None
    for fact in (
        "结清证明",
        "示例银行股份有限公司",
        "华信催收服务有限公司",
        NAME,  # decrypted: the debtor is the reader
        "110***********002X",
        "6222000011112222",
        "信用卡",
        "LN-2025-0042",
        "消费贷",
        "8,000.00元",
        "8,900.00元",
        "21,250.50元",
        "2026年5月18日",  # settled on
        "债务已全部结清",
        "不再就上述欠款进行任何催收",
        status.certificate_no,
        code,
        "2026年6月1日",  # issued on
    ):
        assert squeeze(fact) in text, fact
    assert ID_NUMBER not in text  # only the masked ID is printed
    assert "不再追偿" not in text  # nothing was waived


def test_agreement_certificate_states_the_waiver(engine: Engine, cipher: FieldCipher) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s:
        zh = squeeze(
            pdftotext(
                settlement_certificate_pdf(
                    s, cipher, ids.agreed_case, secret=SECRET, issued_on=ISSUED
                )
            )
        )
        en = squeeze(
            pdftotext(
                settlement_certificate_pdf(
                    s, cipher, ids.agreed_case, secret=SECRET, issued_on=ISSUED, language="en"
                )
            )
        )
    for fact in ("LN-2025-0077", "6,000.00元", "4,000.00元", "2026年5月20日", "不再追偿"):
        assert squeeze(fact) in zh, fact
    assert "2026年4月16日" in zh  # the approval date of the plan
    for fact in (
        "Settlement Certificate",
        NAME,
        "CNY 4,000.00",
        "20 May 2026",
        "will not be pursued",
        "no further collection",
        "1 June 2026",
    ):
        assert squeeze(fact) in en, fact


def test_same_input_same_bytes(engine: Engine, cipher: FieldCipher) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s:
        first = settlement_certificate_pdf(
            s, cipher, ids.paid_case, secret=SECRET, issued_on=ISSUED
        )
        again = settlement_certificate_pdf(
            s, cipher, ids.paid_case, secret=SECRET, issued_on=ISSUED
        )
        later = settlement_certificate_pdf(
            s, cipher, ids.paid_case, secret=SECRET, issued_on=date(2026, 6, 2)
        )
    assert first == again
    assert later != first  # the issue date is in the document: the comparison can fail


def test_not_settled_is_refused(engine: Engine, cipher: FieldCipher) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s, pytest.raises(NotSettledError) as refused:
        settlement_certificate_pdf(s, cipher, ids.open_case, secret=SECRET, issued_on=ISSUED)
    assert refused.value.unsettled == ("6222000099998888",)
    assert NAME not in str(refused.value)
    with transaction(engine) as s, pytest.raises(ValueError, match="before the settlement"):
        certificate_content(s, cipher, ids.paid_case, secret=SECRET, issued_on=date(2026, 5, 17))


# -------------------------------------------------------------------------- verification


def test_verify_accepts_the_printed_code_only(engine: Engine, cipher: FieldCipher) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s:
        content = certificate_content(s, cipher, ids.agreed_case, secret=SECRET, issued_on=ISSUED)
        number, code = content.status.certificate_no, content.verification_code
        assert number is not None
        printed = certificate_text(content)
        assert number in printed
        assert code in printed
        assert verify_certificate(s, number, code, SECRET)
        # As a person types it: lower case, no hyphens, spaces around.
        assert verify_certificate(s, f"  {number} ", f" {code.replace('-', '').lower()} ", SECRET)
        changed = ("A" if code[0] != "A" else "B") + code[1:]
        assert not verify_certificate(s, number, changed, SECRET)
        assert not verify_certificate(s, number, code, SECRET + b"x")
        other = verification_code(s, ids.paid_case, SECRET)
        assert not verify_certificate(s, number, other, SECRET)
        assert not verify_certificate(s, number[:-1] + "0", code, SECRET)
        assert not verify_certificate(s, "JQ-NO-SUCH-CASE-00000000", code, SECRET)
        assert not verify_certificate(s, "garbage", code, SECRET)
    # The facts change after issue (a later payment): the old certificate no longer verifies.
    with transaction(engine) as s:
        s.add(
            Payment(
                account_id=ids.agreed_account,
                received_on=date(2026, 5, 20),
                amount=yuan("10.00"),
                channel="bank_transfer",
                reference="LATE",
            )
        )
    with transaction(engine) as s:
        assert settlement_status(s, ids.agreed_case).certificate_no == number
        assert not verify_certificate(s, number, code, SECRET)


def test_short_secret_is_refused(engine: Engine, cipher: FieldCipher) -> None:
    ids = build(engine, cipher)
    with transaction(engine) as s, pytest.raises(ValueError, match="at least 16 bytes"):
        verification_code(s, ids.paid_case, b"short")
