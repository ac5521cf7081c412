"""The settlement certificate (结清证明): is a case settled, and the PDF that says so.

Data flow::

    settlement_status(session, case_id)                          read-only, no clock
      ├─ the case's accounts (+ product name), all payments on them
      ├─ its settlement plans (Plan.kind == "settlement") in force or completed, each with an
      │  "approved" row in approval_decisions (maker–checker: no approval, no waiver)
      ├─ per account:  status "settled" and nothing owed            ─► paid in full
      │                else in the scope of a plan whose agreed amount
      │                (terms.payable) was paid since the plan was made  ─► by agreement,
      │                                            waived = what the books still show owing
      │                else                                          ─► not settled
      └─ SettlementStatus (settled, how, settled_on, accounts, certificate_no)

    settlement_certificate_pdf(session, cipher, case_id, secret=…, issued_on=…, language=…)
      ├─ not settled ─► NotSettledError (nothing is rendered)
      ├─ creditor (委托方), agency, the debtor's name decrypted (the debtor is the reader),
      │  the ID number masked to 110***********1234
      ├─ verification code = HMAC-SHA256(secret, canonical settlement facts), base32
      └─ templates/settlement_certificate.html + letter.css ─► WeasyPrint ─► A4 PDF bytes

    verify_certificate(session, number, code, secret)   staff check a presented certificate:
      the number names the case; its status is read again, the facts re-hashed and compared
      in constant time, so a certificate whose facts no longer hold stops verifying.

The certificate number (``JQ-<case_no>-<8 hex>``) is a digest of the case number, the
settlement date and the account numbers: re-issuing gives the same number. The verification
code covers the facts printed on the certificate except the debtor's name and ID (they are
encrypted at rest; the code binds the debtor through the case) and the issue date (a re-issue
verifies with the same code). Same input, same bytes: the only date in the PDF's metadata is
the issue date (see :mod:`huikuan.letters.render`). No personal data goes into exceptions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account, Debtor
from huikuan.approvals.models import ApprovalDecision
from huikuan.cases.models import Case, Plan
from huikuan.core.accrual import AccountStatus
from huikuan.letters.elements import LANGUAGES, Language
from huikuan.letters.render import (
    FONT_FAMILY,
    _environment,
    _stylesheet,
    format_amount,
    format_date,
    html_to_text,
)
from huikuan.org.models import Agency, Creditor, Product
from huikuan.payments.models import Payment
from huikuan.security.crypto import FieldCipher

SettlementHow = Literal["paid_in_full", "settled_by_agreement"]
SETTLEMENT_HOWS: tuple[str, ...] = get_args(SettlementHow)

CERTIFICATE_PREFIX = "JQ"
TEMPLATE = "settlement_certificate.html"
NAME_CONTEXT = "debtor.name"
ID_NUMBER_CONTEXT = "debtor.id_number"

AGREEMENT_KIND = "settlement"
AGREEMENT_STATUSES = ("approved", "active", "completed")
"""Plan statuses under which an agreed settlement holds: a proposed, rejected or broken plan
waives nothing (plan_watch marks a plan ``broken`` for good, even if the debtor catches up)."""

MIN_SECRET_BYTES = 16
"""A shorter key would let anyone who sees a few certificates forge codes offline."""

_CODE_CHARS = 20  # base32 characters shown: 100 bits of the HMAC
_CODE_GROUP = 4
_NUMBER_DIGEST_CHARS = 8


class NotSettledError(Exception):
    """The case is not settled, so no certificate may be issued; ``unsettled`` lists the
    account numbers still owing (the debtor's own page may show them)."""

    def __init__(self, case_id: int, unsettled: Sequence[str]) -> None:
        self.case_id = case_id
        self.unsettled = tuple(unsettled)
        super().__init__(
            f"case {case_id} is not settled ({len(self.unsettled)} account(s) still owing); "
            "no settlement certificate can be issued / 案件尚未结清，不能出具结清证明"
        )


class CaseNotFoundError(LookupError):
    """No case has this id."""


@dataclass(frozen=True, slots=True)
class AccountSettlement:
    """One account as the certificate states it (amounts in minor units of ``currency``).

    ``placed`` is the principal at placement (the accounts' cap base, as the creditor portal
    reports placements); ``paid`` every payment received on the account; ``waived`` what the
    books still show owing on an account settled by agreement (0 when paid in full).
    """

    account_id: int
    account_no: str
    product: str
    currency: str
    placed: int
    paid: int
    waived: int
    outstanding: int
    how: SettlementHow | None
    settled_on: date | None

    @property
    def settled(self) -> bool:
        return self.how is not None


@dataclass(frozen=True, slots=True)
class SettlementStatus:
    """Whether a case is settled (结清), how and when, per account; the certificate number."""

    case_id: int
    case_no: str
    settled: bool
    how: SettlementHow | None
    settled_on: date | None
    accounts: tuple[AccountSettlement, ...]
    certificate_no: str | None
    agreement_approved_on: date | None = None  # the latest approval among plans relied on

    @property
    def unsettled(self) -> tuple[str, ...]:
        """Account numbers still owing."""
        return tuple(a.account_no for a in self.accounts if not a.settled)


@dataclass(frozen=True, slots=True)
class _Agreement:
    plan_id: int
    scope: tuple[int, ...]  # account ids
    agreed: int
    approved_on: date
    reached_on: date | None  # the day payments since the plan reached the agreed amount


# --------------------------------------------------------------------------------- status


def _agreed_amount(terms: Mapping[str, object]) -> int | None:
    """What the debtor agreed to pay: ``payable`` as the proposal form stores it, else the
    schedule's ``total``; ``None`` when the terms say neither (such a plan waives nothing).

    >>> _agreed_amount({"payable": 600_000, "total": 600_000}), _agreed_amount({"months": 3})
    (600000, None)
    """
    for key in ("payable", "total"):
        value = terms.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def reached_on(receipts: Sequence[tuple[date, int]], target: int) -> date | None:
    """The first day from which the running total of ``receipts`` stays at or above
    ``target``; ``None`` if it is not there at the end (a reversal can undo a settlement).

    >>> d = date(2026, 5, 1)
    >>> reached_on([(d, 300), (d.replace(day=9), 300)], 600)
    datetime.date(2026, 5, 9)
    >>> reached_on([(d, 600), (d.replace(day=2), -600), (d.replace(day=3), 600)], 600)
    datetime.date(2026, 5, 3)
    >>> reached_on([(d, 599)], 600) is None
    True
    """
    by_day: dict[date, int] = defaultdict(int)
    for day, amount in receipts:
        by_day[day] += amount
    running = 0
    since: date | None = None
    for day in sorted(by_day):
        running += by_day[day]
        if running < target:
            since = None
        elif since is None:
            since = day
    return since


def certificate_number(case_no: str, settled_on: date, account_nos: Sequence[str]) -> str:
    """``JQ-<case_no>-<digest>``: the same settlement always gets the same number.

    >>> certificate_number("C-1", date(2026, 5, 9), ["A2", "A1"])
    'JQ-C-1-0FA4EE14'
    """
    facts = "|".join([case_no, settled_on.isoformat(), ",".join(sorted(account_nos))])
    digest = hashlib.sha256(facts.encode("utf-8")).hexdigest()[:_NUMBER_DIGEST_CHARS].upper()
    return f"{CERTIFICATE_PREFIX}-{case_no}-{digest}"


def _agreements(
    session: Session, case: Case, account_ids: Sequence[int], receipts: Mapping[int, Any]
) -> list[_Agreement]:
    plans = session.scalars(
        select(Plan)
        .where(
            Plan.case_id == case.id,
            Plan.kind == AGREEMENT_KIND,
            Plan.status.in_(AGREEMENT_STATUSES),
        )
        .order_by(Plan.id)
    ).all()
    if not plans:
        return []
    approved: dict[int, date] = {}
    for plan_id, at in session.execute(
        select(ApprovalDecision.plan_id, ApprovalDecision.at).where(
            ApprovalDecision.plan_id.in_([plan.id for plan in plans]),
            ApprovalDecision.decision == "approved",
        )
    ):
        approved[int(plan_id)] = at.date()
    found = []
    for plan in plans:
        agreed = _agreed_amount(dict(plan.terms))
        if plan.id not in approved or agreed is None:
            continue
        scope = (plan.account_id,) if plan.account_id is not None else tuple(account_ids)
        since_plan = [
            (day, amount)
            for account_id in scope
            for day, amount in receipts.get(account_id, ())
            if day >= plan.created_on
        ]
        found.append(
            _Agreement(plan.id, scope, agreed, approved[plan.id], reached_on(since_plan, agreed))
        )
    return found


def settlement_status(session: Session, case_id: int) -> SettlementStatus:
    """Whether every account of the case is settled: paid in full (status ``settled`` and
    nothing owed) or under an approved settlement whose agreed amount was paid.

    A case with no accounts is not settled. ``settled_on`` is the latest account's day: its
    last payment when paid in full (its accrual day when settled without one), the day the
    agreed amount was reached under an agreement.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFoundError(f"case {case_id} does not exist")
    rows = session.execute(
        select(Account, Product.name)
        .join(Product, Product.id == Account.product_id)
        .where(Account.case_id == case.id)
        .order_by(Account.account_no, Account.id)
    ).all()
    account_ids = [account.id for account, _ in rows]
    receipts: dict[int, list[tuple[date, int]]] = defaultdict(list)
    if account_ids:
        for account_id, day, amount in session.execute(
            select(Payment.account_id, Payment.received_on, Payment.amount)
            .where(Payment.account_id.in_(account_ids))
            .order_by(Payment.received_on, Payment.id)
        ):
            receipts[int(account_id)].append((day, int(amount)))
    agreements = [
        agreement
        for agreement in _agreements(session, case, account_ids, receipts)
        if agreement.reached_on is not None
    ]
    relied_on: list[_Agreement] = []
    accounts = []
    for account, product in rows:
        owing = account.principal + account.interest + account.penalty + account.fee
        paid = sum(amount for _, amount in receipts.get(account.id, ()))
        how: SettlementHow | None = None
        settled_on: date | None = None
        if account.status == AccountStatus.SETTLED.value and owing == 0:
            how = "paid_in_full"
            days = [day for day, _ in receipts.get(account.id, ())]
            settled_on = max(days) if days else account.accrued_through
        elif account.status in (AccountStatus.OPEN.value, AccountStatus.SETTLED.value):
            # A recalled or written-off account is not the debtor's to settle here.
            covering = [a for a in agreements if account.id in a.scope]
            if covering:
                how = "settled_by_agreement"
                settled_on = min(a.reached_on for a in covering if a.reached_on is not None)
                relied_on.extend(a for a in covering if a not in relied_on)
        accounts.append(
            AccountSettlement(
                account_id=account.id,
                account_no=account.account_no,
                product=str(product),
                currency=account.currency,
                placed=account.cap_base,
                paid=paid,
                waived=owing if how == "settled_by_agreement" else 0,
                outstanding=owing,
                how=how,
                settled_on=settled_on,
            )
        )
    settled = bool(accounts) and all(a.settled for a in accounts)
    if not settled:
        return SettlementStatus(case.id, case.case_no, False, None, None, tuple(accounts), None)
    on = max(a.settled_on for a in accounts if a.settled_on is not None)
    case_how: SettlementHow = "settled_by_agreement" if relied_on else "paid_in_full"
    return SettlementStatus(
        case_id=case.id,
        case_no=case.case_no,
        settled=True,
        how=case_how,
        settled_on=on,
        accounts=tuple(accounts),
        certificate_no=certificate_number(case.case_no, on, [a.account_no for a in accounts]),
        agreement_approved_on=max((a.approved_on for a in relied_on), default=None),
    )


# --------------------------------------------------------------------------- verification


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the certificate secret must be at least {MIN_SECRET_BYTES} bytes")


def _facts(status: SettlementStatus, creditor_code: str, agency_code: str | None) -> bytes:
    """The canonical bytes the verification code signs (sorted keys, no whitespace)."""
    assert status.settled_on is not None
    assert status.certificate_no is not None
    facts = {
        "number": status.certificate_no,
        "case_no": status.case_no,
        "creditor": creditor_code,
        "agency": agency_code,
        "how": status.how,
        "settled_on": status.settled_on.isoformat(),
        "accounts": [
            [a.account_no, a.currency, a.placed, a.paid, a.waived] for a in status.accounts
        ],
    }
    return json.dumps(facts, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _code(facts: bytes, secret: bytes) -> str:
    mac = hmac.new(secret, facts, hashlib.sha256).digest()
    text = base64.b32encode(mac).decode("ascii")[:_CODE_CHARS]
    return "-".join(text[i : i + _CODE_GROUP] for i in range(0, _CODE_CHARS, _CODE_GROUP))


def _normalise_code(code: str) -> str:
    """As typed: spaces and hyphens dropped, upper case; base32 has no 0 or 1, so a 0 or 1
    typed for the letter O or I is read as that letter.

    >>> _normalise_code(" fr1x-4ot2 ")
    'FRIX4OT2'
    """
    text = "".join(code.split()).replace("-", "").upper()
    return text.translate(str.maketrans("01", "OI"))


def _parties(session: Session, case: Case) -> tuple[Creditor, Agency | None]:
    creditor = session.get(Creditor, case.creditor_id)
    assert creditor is not None  # a foreign key
    agency = session.get(Agency, case.agency_id) if case.agency_id is not None else None
    return creditor, agency


def verification_code(session: Session, case_id: int, secret: bytes) -> str:
    """The code printed on the case's certificate, e.g. ``ABCD-EFGH-IJKL-MNOP-QRST``."""
    _check_secret(secret)
    status = settlement_status(session, case_id)
    if not status.settled:
        raise NotSettledError(case_id, status.unsettled)
    case = session.get(Case, case_id)
    assert case is not None
    creditor, agency = _parties(session, case)
    return _code(_facts(status, creditor.code, agency.code if agency else None), secret)


def verify_certificate(session: Session, number: str, code: str, secret: bytes) -> bool:
    """Whether a presented certificate (its number and verification code) matches a case
    that is settled now with the same facts. Typing noise (case, spaces, hyphens) is ignored;
    an unknown number, a case no longer settled or changed facts all read as ``False``."""
    _check_secret(secret)
    number = number.strip()
    prefix = f"{CERTIFICATE_PREFIX}-"
    if not number.startswith(prefix) or number.count("-") < 2:
        return False
    case_no = number[len(prefix) :].rsplit("-", 1)[0]
    case_id = session.scalar(select(Case.id).where(Case.case_no == case_no))
    if case_id is None:
        return False
    status = settlement_status(session, case_id)
    if not status.settled or status.certificate_no != number:
        return False
    expected = verification_code(session, case_id, secret)
    return hmac.compare_digest(
        _normalise_code(expected).encode("ascii"), _normalise_code(code).encode("utf-8")
    )


# ---------------------------------------------------------------------------- the document


def mask_id_for_certificate(number: str) -> str:
    """The ID number as a certificate shows it: first 3 and last 4 characters.

    >>> mask_id_for_certificate("11010519491231002X"), mask_id_for_certificate("110105********1234")
    ('110***********002X', '110***********1234')
    """
    value = number.strip()
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


@dataclass(frozen=True, slots=True)
class CertificateContent:
    """Everything a certificate states, as plain values (the debtor's name in clear)."""

    status: SettlementStatus
    creditor_name: str
    agency_name: str | None
    debtor_name: str
    id_number_masked: str
    verification_code: str
    issued_on: date


def certificate_content(
    session: Session, cipher: FieldCipher, case_id: int, *, secret: bytes, issued_on: date
) -> CertificateContent:
    """Gather the certificate's facts; refuses a case that is not settled."""
    _check_secret(secret)
    status = settlement_status(session, case_id)
    if not status.settled:
        raise NotSettledError(case_id, status.unsettled)
    assert status.settled_on is not None
    if issued_on < status.settled_on:
        raise ValueError("a settlement certificate cannot be dated before the settlement")
    case = session.get(Case, case_id)
    assert case is not None
    creditor, agency = _parties(session, case)
    debtor = session.get(Debtor, case.debtor_id)
    assert debtor is not None
    if not debtor.name_enc:
        raise ValueError(
            f"case {case_id}: the debtor's name is no longer held (anonymised); "
            "a certificate cannot name the debtor"
        )
    if debtor.id_number_masked:
        # The stored mask keeps the first 6 and last 4: enough, with no decryption.
        id_masked = mask_id_for_certificate(debtor.id_number_masked)
    elif debtor.id_number_enc:
        id_masked = mask_id_for_certificate(
            cipher.decrypt(debtor.id_number_enc, context=ID_NUMBER_CONTEXT)
        )
    else:
        id_masked = ""
    code = _code(_facts(status, creditor.code, agency.code if agency else None), secret)
    return CertificateContent(
        status=status,
        creditor_name=creditor.name,
        agency_name=agency.name if agency else None,
        debtor_name=cipher.decrypt(debtor.name_enc, context=NAME_CONTEXT),
        id_number_masked=id_masked,
        verification_code=code,
        issued_on=issued_on,
    )


def render_certificate_html(content: CertificateContent, *, language: Language = "zh") -> str:
    """The certificate as a complete HTML document (what WeasyPrint lays out)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    status = content.status
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            c=content,
            s=status,
            zh=language == "zh",
            lang="zh-CN" if language == "zh" else "en",
            font_family=FONT_FAMILY,
            css=Markup(_stylesheet()),  # our own packaged stylesheet
            d=lambda value: format_date(value, language),
            money=lambda minor, currency: format_amount(minor, currency, language),
            waived=[a for a in status.accounts if a.waived],
        )
    )


def certificate_text(content: CertificateContent, *, language: Language = "zh") -> str:
    """The certificate's visible text, one block per line (for pages and checks)."""
    return html_to_text(render_certificate_html(content, language=language))


def settlement_certificate_pdf(
    session: Session,
    cipher: FieldCipher,
    case_id: int,
    *,
    secret: bytes,
    issued_on: date,
    language: Language = "zh",
) -> bytes:
    """The 结清证明 as A4 PDF bytes; the same facts, issue date and language give the same
    bytes. Raises :class:`NotSettledError` when the case is not settled."""
    content = certificate_content(session, cipher, case_id, secret=secret, issued_on=issued_on)
    html = render_certificate_html(content, language=language)
    import weasyprint  # type: ignore[import-untyped]  # heavy, needs Pango: load on first use

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
