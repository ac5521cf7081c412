"""Lawyer letters (律师函) of a legal matter: built from the case's figures and the matter's law
firm, rendered to PDF with :mod:`huikuan.letters` (the debtor's name and postal address decrypted
only into the PDF, each time audited as a reveal), and put to the compliance guard as a letter
contact before one may be sent. See ``docs.md`` for the data flow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.access.policy import AccessDeniedError, Principal
from huikuan.accounts.models import Account, ContactPoint, Debtor
from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.compliance.models import ContactAttempt
from huikuan.compliance.service import ProposedContact, propose_contact
from huikuan.legal.models import (
    LawFirm,
    LegalLetter,
    LegalMatter,
)
from huikuan.legal.schemas import (
    LetterRead,
)
from huikuan.legal.service import (
    OBJECTION_DAYS,
    PII_ROLES,
    LegalInputError,
    as_utc,
    get_matter,
    letter_read,
    require_role,
)
from huikuan.letters import (
    AmountOwed,
    Language,
    LawyerDetails,
    LetterContent,
    letter_text,
    render_pdf,
    to_params,
)
from huikuan.letters import from_params as letter_from_params
from huikuan.org.models import Creditor

# ---------------------------------------------------------------------------------------------
# Lawyer letters


@dataclass(frozen=True, slots=True)
class LetterParties:
    """The case's figures and the parties a lawyer letter names (the debtor still masked)."""

    case: Case
    debtor: Debtor
    creditor: Creditor
    firm: LawFirm
    accounts: tuple[Account, ...]
    address: ContactPoint


def _address_point(session: Session, debtor_id: int) -> ContactPoint:
    point = session.scalars(
        select(ContactPoint)
        .where(
            ContactPoint.debtor_id == debtor_id,
            ContactPoint.kind == "address",
            ContactPoint.owner_type == "self",
            ContactPoint.status != "invalid",
        )
        .order_by(ContactPoint.id.desc())
        .limit(1)
    ).one_or_none()
    if point is None:
        raise LegalInputError("address", "missing", "债务人无有效通讯地址 / no postal address")
    return point


def letter_parties(session: Session, matter: LegalMatter) -> LetterParties:
    case = session.get(Case, matter.case_id)
    assert case is not None
    debtor = session.get(Debtor, case.debtor_id)
    creditor = session.get(Creditor, case.creditor_id)
    assert creditor is not None
    if debtor is None or debtor.name_enc is None:
        raise LegalInputError("debtor", "missing", "债务人信息已匿名化 / anonymised")
    if matter.law_firm_id is None:
        raise LegalInputError("law_firm_id", "required")
    firm = session.get(LawFirm, matter.law_firm_id)
    assert firm is not None
    accounts = tuple(
        session.scalars(
            select(Account).where(Account.case_id == case.id).order_by(Account.account_no)
        )
    )
    if not accounts:
        raise LegalInputError("account", "missing")
    return LetterParties(case, debtor, creditor, firm, accounts, _address_point(session, debtor.id))


def letter_reference(matter_id: int, letter_date: date) -> str:
    return f"LF-{matter_id:06d}-{letter_date:%Y%m%d}"


def lawyer_letter_content(
    parties: LetterParties,
    matter: LegalMatter,
    *,
    letter_date: date,
    debtor_name: str,
    debtor_address: str,
    language: Language = "zh",
) -> LetterContent:
    """The lawyer letter for a matter: the case's figures, the firm's details, the given name
    and address (in full for the PDF, masked for what the guard screens and stores)."""
    zh = language == "zh"
    firm, creditor = parties.firm, parties.creditor
    amount = AmountOwed(
        principal=sum(a.principal for a in parties.accounts),
        interest=sum(a.interest for a in parties.accounts),
        penalty=sum(a.penalty for a in parties.accounts),
        fee=sum(a.fee for a in parties.accounts),
    )
    tails = "、".join(a.account_no[-4:] for a in parties.accounts)
    dpd = max(a.dpd for a in parties.accounts)
    as_of = min(max(a.accrued_through for a in parties.accounts), letter_date - timedelta(days=1))
    deadline = letter_date + timedelta(days=OBJECTION_DAYS)
    remedy_zh = {"arbitration": "仲裁", "payment_order": "申请支付令"}.get(matter.kind, "诉讼")
    remedy_en = {"arbitration": "arbitration", "payment_order": "a payment order"}.get(
        matter.kind, "litigation"
    )
    lawyer = LawyerDetails(
        law_firm=firm.name,
        firm_address=firm.address,
        firm_contact=f"电话 {firm.phone}" if zh else f"Tel. {firm.phone}",
        lawyer_name=firm.lawyer,
        licence_number=firm.licence_number,
        facts=(
            f"您与委托人{creditor.name}签订了相关合同（账户尾号 {tails}），但未按约定归还到期款项，"
            f"已逾期 {dpd} 天，欠款至今未还。"
            if zh
            else f"You signed an agreement with our client {creditor.name} (account ending "
            f"{tails}) and have not repaid the amounts due under it; they are {dpd} days past "
            "due and remain unpaid."
        ),
        demand=(
            "请您在下述期限前归还全部欠款，或与委托人联系协商还款安排（含分期还款）。"
            if zh
            else "Please repay the full balance by the deadline below, or contact our client "
            "to agree a repayment arrangement (instalments are possible)."
        ),
        deadline=deadline,
        consequences=(
            f"如您到期仍未履行还款义务，委托人保留依法通过{remedy_zh}途径主张权利的权利。"
            if zh
            else f"If the balance remains unpaid after the deadline, our client reserves the "
            f"right to pursue its claim through {remedy_en} as the law allows."
        ),
    )
    return LetterContent(
        reference=letter_reference(matter.id, letter_date),
        letter_date=letter_date,
        debtor_name=debtor_name,
        debtor_address=debtor_address,
        account=(f"账户（尾号 {tails}）" if zh else f"account ending {tails}"),
        amount=amount,
        amount_as_of=as_of,
        reason=(
            f"您在{creditor.name}的账户已逾期 {dpd} 天，欠款尚未归还。"
            if zh
            else f"Your account with {creditor.name} is {dpd} days past due and remains unpaid."
        ),
        legal_basis=(
            "《中华人民共和国民法典》第五百零九条、第五百七十七条、第六百七十四条、第六百七十五条，"
            "以及您与委托人签订的合同。"
            if zh
            else "Articles 509, 577, 674 and 675 of the Civil Code of the People's Republic of "
            "China, and the agreement you signed with our client."
        ),
        rights_and_duties=(
            "您有权查询账户明细、对欠款提出异议并提交证据、申请协商还款或分期还款、"
            "投诉不当催收行为；您的个人信息受法律保护。\n您有义务按合同约定归还欠款。"
            if zh
            else "You may check your account, dispute the balance and submit evidence, ask for "
            "a repayment plan or instalments, and complain about improper collection conduct; "
            "your personal information is protected by law.\nYou are obliged to repay what you "
            "owe under the agreement."
        ),
        account_enquiry=(
            f"联系承办律师{firm.lawyer}（{firm.name}，电话 {firm.phone}），"
            f"或通过{creditor.name}的官方客服渠道查询交易、还款及费用明细。"
            if zh
            else f"Contact the lawyer in charge, {firm.lawyer} ({firm.name}, Tel. {firm.phone}), "
            f"or {creditor.name}'s official customer service to see every charge and payment."
        ),
        objection_route=(
            f"致电 {firm.phone} 或致函{firm.name}（{firm.address}），说明异议事由并附相关证据材料"
            "（如还款凭证）。我们收到后将及时核实并书面答复；核实期间暂停对争议部分的催收。"
            if zh
            else f"Call {firm.phone} or write to {firm.name} ({firm.address}) stating why you "
            "dispute the amount, with any evidence. We check promptly and reply in writing; "
            "collection of the disputed part stops while we check."
        ),
        objection_deadline=deadline,
        creditor_name=creditor.name,
        # The creditors table holds no contact details yet: the firm acting for it is the contact.
        creditor_contact=(
            f"经{firm.name}转达：{firm.address}，电话 {firm.phone}"
            if zh
            else f"through {firm.name}: {firm.address}, Tel. {firm.phone}"
        ),
        seal_institution=creditor.name,
        lawyer=lawyer,
    )


def _language(debtor: Debtor) -> Language:
    return "en" if debtor.language == "en" else "zh"


Decrypt = Callable[[str, str], str]


def _reveal_for_letter(
    session: Session,
    principal: Principal,
    parties: LetterParties,
    decrypt: Decrypt,
    *,
    at: datetime,
    purpose: str,
    matter_id: int,
) -> tuple[str, str]:
    """The debtor's name and postal address in full, for a document legal produces; audited."""
    assert parties.debtor.name_enc is not None
    name = decrypt(parties.debtor.name_enc, "debtor.name")
    address = decrypt(parties.address.value_enc, "contact.value")
    record(
        session,
        at=at,
        actor=principal.username,
        action="pii.reveal",
        entity="case",
        entity_id=parties.case.id,
        detail={
            "field": "name,address",
            "shown": parties.debtor.name_masked,
            "contact_id": parties.address.id,
            "purpose": purpose,
            "matter": matter_id,
        },
    )
    return name, address


def lawyer_letter_pdf(
    session: Session,
    principal: Principal,
    matter_id: int,
    *,
    decrypt: Decrypt,
    letter_date: date,
    at: datetime,
    letter_id: int | None = None,
) -> tuple[str, bytes]:
    """The lawyer letter as PDF (``letter_id``: one already put to the guard, as it was then;
    else today's draft). The name and address are decrypted only into the PDF; audited."""
    require_role(principal, PII_ROLES)
    matter = get_matter(session, principal, matter_id)
    if letter_id is not None:
        letter = session.get(LegalLetter, letter_id)
        if letter is None or letter.matter_id != matter.id:
            raise AccessDeniedError(f"letter {letter_id} is not on matter {matter_id}")
        return f"{letter.reference}.pdf", stored_letter_pdf(
            session, principal, letter, decrypt=decrypt, at=at, purpose="lawyer_letter"
        )
    parties = letter_parties(session, matter)
    language = _language(parties.debtor)
    name, address = _reveal_for_letter(
        session, principal, parties, decrypt, at=at, purpose="lawyer_letter", matter_id=matter.id
    )
    content = lawyer_letter_content(
        parties,
        matter,
        letter_date=letter_date,
        debtor_name=name,
        debtor_address=address,
        language=language,
    )
    return f"{content.reference}.pdf", render_pdf(content, kind="lawyer", language=language)


def stored_letter_pdf(
    session: Session,
    principal: Principal,
    letter: LegalLetter,
    *,
    decrypt: Decrypt,
    at: datetime,
    purpose: str,
) -> bytes:
    """A stored letter rendered again from its parameters: the same content, the same bytes."""
    params = dict(letter.params)
    token = params.pop("debtor_name_enc", "")
    params["debtor_name"] = decrypt(token, "debtor.name") if token else ""
    point = session.get(ContactPoint, letter.address_contact_id)
    assert point is not None
    address = decrypt(point.value_enc, "contact.value")
    matter = session.get(LegalMatter, letter.matter_id)
    assert matter is not None
    record(
        session,
        at=at,
        actor=principal.username,
        action="pii.reveal",
        entity="case",
        entity_id=matter.case_id,
        detail={
            "field": "name,address",
            "contact_id": point.id,
            "purpose": purpose,
            "letter": letter.id,
        },
    )
    content = letter_from_params(params, debtor_address=address)
    language: Language = "en" if params.get("language") == "en" else "zh"
    return render_pdf(content, kind="lawyer", language=language)


def send_lawyer_letter(
    session: Session,
    principal: Principal,
    matter_id: int,
    *,
    letter_date: date,
    at: datetime,
) -> LetterRead:
    """Put today's lawyer letter to the compliance guard as a letter contact to the debtor's
    own address; only an allowed letter is marked ``sent``. The guard reads the printed text
    with the name and address masked (what is stored); the letter keeps its parameters, the
    name only as a cipher token, so the PDF can be produced again exactly."""
    require_role(principal, PII_ROLES)
    matter = get_matter(session, principal, matter_id)
    parties = letter_parties(session, matter)
    language = _language(parties.debtor)
    masked = lawyer_letter_content(
        parties,
        matter,
        letter_date=letter_date,
        debtor_name=parties.debtor.name_masked or "",
        debtor_address=parties.address.value_masked,
        language=language,
    )
    text = letter_text(masked, "lawyer", language)
    proposal = propose_contact(
        session,
        principal,
        matter.case_id,
        ProposedContact(
            at=at,
            channel="letter",
            contact_point_id=parties.address.id,
            purpose="lawyer_letter",
            content=text,
            # The firm writes for the creditor, not for a collection agency.
            caller="lender",
        ),
        outcome="sent",
    )
    # The debtor's stored cipher token travels as it is: the name is never decrypted here.
    token = parties.debtor.name_enc or ""
    params = to_params(masked, kind="lawyer", language=language, encrypt_name=lambda _: token)
    decision = proposal.verdict.decision.value
    letter = LegalLetter(
        matter_id=matter.id,
        reference=masked.reference,
        letter_date=letter_date,
        params=params,
        address_contact_id=parties.address.id,
        contact_attempt_id=proposal.attempt_id,
        decision=decision,
        status="sent" if proposal.verdict.allowed else decision,
        created_by=principal.username,
        created_at=as_utc(at),
    )
    session.add(letter)
    session.flush()
    record(
        session,
        at=at,
        actor=principal.username,
        action="legal.letter.proposed",
        entity="legal_matter",
        entity_id=matter.id,
        detail={"letter": letter.id, "attempt": proposal.attempt_id, "decision": decision},
    )
    return letter_read(letter, session.get(ContactAttempt, proposal.attempt_id))
