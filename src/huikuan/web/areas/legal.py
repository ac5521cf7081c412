"""Legal (法务) screens: the referral queue, matters with their events and costs, lawyer letters
as PDF (through the compliance guard before sending), evidence packs, law firms, and claims on
guarantors and credit insurers.

Data flow of a request: the route's role dependency (403) → a service function of
:mod:`huikuan.legal.service` / :mod:`huikuan.legal.evidence` with the principal (scope: 404) →
for a change, inside a savepoint of the request's transaction, so a refused form
(:class:`~huikuan.legal.service.LegalInputError`) leaves nothing half-written and the page is
shown again with the error naming the field (422) → otherwise a redirect to the page that shows
the result (303). The JSON routes under ``/api/legal`` call the same functions and return the
pydantic models of :mod:`huikuan.legal.schemas`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from huikuan.access.policy import Principal
from huikuan.legal import claims, evidence, letters
from huikuan.legal import service as legal
from huikuan.legal.schemas import (
    ClaimCreate,
    ClaimRead,
    ClaimReject,
    EventCreate,
    LawFirmCreate,
    LawFirmRead,
    LetterRead,
    MatterRead,
    MatterUpdate,
    RecoveryCreate,
    RecoveryResult,
    ReferralAccept,
    ReferralCreate,
    ReferralDecline,
    ReferralRead,
    ReferralRow,
)
from huikuan.org.models import Role
from huikuan.security.crypto import FieldCipher
from huikuan.web.areas import NavItem
from huikuan.web.auth import require_roles
from huikuan.web.deps import Cipher, Config, DbSession, RowId, RowIdQuery, WebConfig
from huikuan.web.rendering import render

T = TypeVar("T")

Id = RowId
LegalUser = Annotated[Principal, Depends(require_roles(Role.LEGAL, Role.MANAGER))]
Referrer = Annotated[Principal, Depends(require_roles(Role.TEAM_LEAD, Role.MANAGER))]
PiiUser = Annotated[Principal, Depends(require_roles(Role.LEGAL))]
Text = Annotated[str, Form()]

router = APIRouter()

ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Not signed in, or the token is not valid"},
    403: {"description": "Not allowed for this role, or the CSRF token is missing"},
    404: {"description": "Not found or outside the caller's scope"},
    422: {"description": "Invalid input; ``loc`` names the field"},
}

LEGAL_STAFF = frozenset({Role.LEGAL, Role.MANAGER})
NAV = (
    NavItem("legal.nav.referrals", "/legal/referrals", LEGAL_STAFF, 40),
    NavItem("legal.nav.matters", "/legal/matters", LEGAL_STAFF, 41),
    NavItem("legal.nav.claims", "/legal/claims", LEGAL_STAFF, 42),
    NavItem("legal.nav.firms", "/legal/firms", LEGAL_STAFF, 43),
    NavItem("legal.nav.refer", "/legal/refer", frozenset({Role.TEAM_LEAD, Role.MANAGER}), 44),
)
HOME = {Role.LEGAL: "/legal/referrals"}


# ---------------------------------------------------------------------------------------------
# Helpers


def _apply(session: Session, action: Callable[[], T]) -> T:
    """Run a change in a savepoint: refused input rolls back everything it had written."""
    try:
        with session.begin_nested():
            return action()
    except legal.NotPermittedError:
        raise HTTPException(status_code=403) from None


def _api(session: Session, action: Callable[[], T]) -> T:
    """The same for JSON: refused input answers 422 naming the field."""
    try:
        return _apply(session, action)
    except legal.LegalInputError as error:
        message = error.code + (f": {error.detail}" if error.detail else "")
        raise HTTPException(
            status_code=422, detail=[{"loc": ["body", error.field], "msg": message}]
        ) from None


def _see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _decrypt(cipher: FieldCipher) -> letters.Decrypt:
    def decrypt(token: str, context: str) -> str:
        return cipher.decrypt(token, context=context)

    return decrypt


def _optional_id(text: str, field: str) -> int | None:
    raw = text.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise legal.LegalInputError(field, "invalid")
    return int(raw)


def _page(
    request: Request,
    template: str,
    title_key: str,
    context: dict[str, Any],
    error: legal.LegalInputError | None = None,
) -> Response:
    return render(
        request,
        template,
        {**context, "title_key": title_key, "error": error},
        status_code=422 if error is not None else 200,
    )


# ---------------------------------------------------------------------------------------------
# Referral queue


def _referrals_page(
    request: Request,
    session: Session,
    principal: Principal,
    error: legal.LegalInputError | None = None,
) -> Response:
    return _page(
        request,
        "legal/referrals.html",
        "legal.referrals.title",
        {
            "rows": legal.list_referrals(session, principal),
            "firms": legal.list_law_firms(session, principal),
            "kinds": legal.MATTER_KINDS,
        },
        error,
    )


@router.get("/legal/referrals", include_in_schema=False)
def referrals_page(request: Request, principal: LegalUser, session: DbSession) -> Response:
    return _referrals_page(request, session, principal)


def _accept_form(
    request: Request,
    session: Session,
    principal: Principal,
    config: WebConfig,
    referral: Callable[[], int],
    kind: str,
    law_firm_id: str,
    court: str,
) -> Response:
    def accept() -> int:
        matter = legal.accept_referral(
            session,
            principal,
            referral(),
            kind=kind,
            law_firm_id=_optional_id(law_firm_id, "law_firm_id"),
            court=court,
            at=config.now(),
        )
        return matter.id

    try:
        matter_id = _apply(session, accept)
    except legal.LegalInputError as error:
        return _referrals_page(request, session, principal, error)
    return _see_other(f"/legal/matters/{matter_id}")


def _decline_form(
    request: Request,
    session: Session,
    principal: Principal,
    config: WebConfig,
    referral: Callable[[], int],
    note: str,
) -> Response:
    def decline() -> None:
        legal.decline_referral(session, principal, referral(), note=note, at=config.now())

    try:
        _apply(session, decline)
    except legal.LegalInputError as error:
        return _referrals_page(request, session, principal, error)
    return _see_other("/legal/referrals")


@router.post("/legal/referrals/{referral_id}/accept", include_in_schema=False)
def accept_page(
    request: Request,
    referral_id: Id,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    kind: Text = "",
    law_firm_id: Text = "",
    court: Text = "",
) -> Response:
    return _accept_form(
        request, session, principal, config, lambda: referral_id, kind, law_firm_id, court
    )


@router.post("/legal/referrals/{referral_id}/decline", include_in_schema=False)
def decline_page(
    request: Request,
    referral_id: Id,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    note: Text = "",
) -> Response:
    return _decline_form(request, session, principal, config, lambda: referral_id, note)


def _from_strategy(
    session: Session, principal: Principal, config: WebConfig, action_id: int
) -> Callable[[], int]:
    return lambda: legal.referral_from_strategy(session, principal, action_id, at=config.now()).id


@router.post("/legal/strategy/{action_id}/accept", include_in_schema=False)
def accept_strategy_page(
    request: Request,
    action_id: Id,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    kind: Text = "",
    law_firm_id: Text = "",
    court: Text = "",
) -> Response:
    referral = _from_strategy(session, principal, config, action_id)
    return _accept_form(request, session, principal, config, referral, kind, law_firm_id, court)


@router.post("/legal/strategy/{action_id}/decline", include_in_schema=False)
def decline_strategy_page(
    request: Request,
    action_id: Id,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    note: Text = "",
) -> Response:
    referral = _from_strategy(session, principal, config, action_id)
    return _decline_form(request, session, principal, config, referral, note)


# --- manual referral (team lead, manager) ----------------------------------------------------


@router.get("/legal/refer", include_in_schema=False)
def refer_page(
    request: Request,
    principal: Referrer,
    case_no: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    return _page(
        request, "legal/refer.html", "legal.refer.title", {"case_no": case_no, "reason": ""}
    )


@router.post("/legal/refer", include_in_schema=False)
def refer_submit(
    request: Request,
    principal: Referrer,
    session: DbSession,
    config: Config,
    case_no: Text = "",
    reason: Text = "",
) -> Response:
    def refer() -> int:
        case = legal.find_case_by_number(session, principal, case_no)
        return legal.refer_case(session, principal, case.id, reason=reason, at=config.now()).id

    try:
        _apply(session, refer)
    except legal.LegalInputError as error:
        return _page(
            request,
            "legal/refer.html",
            "legal.refer.title",
            {"case_no": case_no, "reason": reason},
            error,
        )
    return _page(
        request,
        "legal/refer.html",
        "legal.refer.title",
        {"case_no": "", "reason": "", "done": case_no.strip()},
    )


# ---------------------------------------------------------------------------------------------
# Matters


@router.get("/legal/matters", include_in_schema=False)
def matters_page(request: Request, principal: LegalUser, session: DbSession) -> Response:
    return _page(
        request,
        "legal/matters.html",
        "legal.matters.title",
        {"matters": legal.list_matters(session, principal)},
    )


def _matter_page(
    request: Request,
    session: Session,
    principal: Principal,
    matter_id: int,
    error: legal.LegalInputError | None = None,
    sent: LetterRead | None = None,
) -> Response:
    return _page(
        request,
        "legal/matter.html",
        "legal.matter.title",
        {
            "matter": legal.matter_detail(session, principal, matter_id),
            "firms": legal.list_law_firms(session, principal),
            "event_kinds": legal.EVENT_KINDS,
            "may_produce": principal.role in legal.PII_ROLES,
            "sent": sent,
        },
        error,
    )


@router.get("/legal/matters/{matter_id}", include_in_schema=False)
def matter_page(
    request: Request, matter_id: Id, principal: LegalUser, session: DbSession
) -> Response:
    return _matter_page(request, session, principal, matter_id)


@router.post("/legal/matters/{matter_id}", include_in_schema=False)
def matter_update_page(
    request: Request,
    matter_id: Id,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    court: Text = "",
    case_number: Text = "",
    law_firm_id: Text = "",
) -> Response:
    def update() -> None:
        legal.update_matter(
            session,
            principal,
            matter_id,
            court=court,
            case_number=case_number,
            law_firm_id=_optional_id(law_firm_id, "law_firm_id"),
            at=config.now(),
        )

    try:
        _apply(session, update)
    except legal.LegalInputError as error:
        return _matter_page(request, session, principal, matter_id, error)
    return _see_other(f"/legal/matters/{matter_id}")


@router.post("/legal/matters/{matter_id}/events", include_in_schema=False)
def event_page(
    request: Request,
    matter_id: Id,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    kind: Text = "",
    event_on: Text = "",
    note: Text = "",
    court_fee: Text = "",
    lawyer_fee: Text = "",
) -> Response:
    def add() -> None:
        legal.add_event(
            session,
            principal,
            matter_id,
            kind=kind,
            event_on=legal.parse_day(event_on, "event_on"),
            note=note,
            court_fee=legal.parse_yuan(court_fee, "court_fee", required=False),
            lawyer_fee=legal.parse_yuan(lawyer_fee, "lawyer_fee", required=False),
            at=config.now(),
        )

    try:
        _apply(session, add)
    except legal.LegalInputError as error:
        return _matter_page(request, session, principal, matter_id, error)
    return _see_other(f"/legal/matters/{matter_id}")


@router.post("/legal/matters/{matter_id}/letters", include_in_schema=False)
def letter_send_page(
    request: Request,
    matter_id: Id,
    principal: PiiUser,
    session: DbSession,
    config: Config,
) -> Response:
    def send() -> LetterRead:
        return letters.send_lawyer_letter(
            session, principal, matter_id, letter_date=config.business_date(), at=config.now()
        )

    try:
        sent = _apply(session, send)
    except legal.LegalInputError as error:
        return _matter_page(request, session, principal, matter_id, error)
    return _matter_page(request, session, principal, matter_id, sent=sent)


@router.get("/legal/matters/{matter_id}/letter.pdf", include_in_schema=False)
def letter_pdf(
    request: Request,
    matter_id: Id,
    principal: PiiUser,
    session: DbSession,
    cipher: Cipher,
    config: Config,
    letter_id: RowIdQuery = None,
) -> Response:
    try:
        name, pdf = letters.lawyer_letter_pdf(
            session,
            principal,
            matter_id,
            decrypt=_decrypt(cipher),
            letter_date=config.business_date(),
            at=config.now(),
            letter_id=letter_id,
        )
    except legal.LegalInputError as error:
        # Raised before anything was revealed or written.
        return _matter_page(request, session, principal, matter_id, error)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/legal/matters/{matter_id}/evidence.zip", include_in_schema=False)
def evidence_zip(
    matter_id: Id, principal: PiiUser, session: DbSession, cipher: Cipher, config: Config
) -> Response:
    name, data = evidence.build_evidence_pack(
        session, principal, matter_id, decrypt=_decrypt(cipher), at=config.now()
    )
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------------------------------------
# Law firms


def _firms_page(
    request: Request,
    session: Session,
    principal: Principal,
    form: dict[str, str] | None = None,
    error: legal.LegalInputError | None = None,
) -> Response:
    return _page(
        request,
        "legal/firms.html",
        "legal.firms.title",
        {"firms": legal.list_law_firms(session, principal), "form": form or {}},
        error,
    )


@router.get("/legal/firms", include_in_schema=False)
def firms_page(request: Request, principal: LegalUser, session: DbSession) -> Response:
    return _firms_page(request, session, principal)


@router.post("/legal/firms", include_in_schema=False)
def firm_create_page(
    request: Request,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    name: Text = "",
    address: Text = "",
    phone: Text = "",
    lawyer: Text = "",
    licence_number: Text = "",
) -> Response:
    form = {
        "name": name,
        "address": address,
        "phone": phone,
        "lawyer": lawyer,
        "licence_number": licence_number,
    }
    try:
        _apply(
            session,
            lambda: legal.create_law_firm(session, principal, **form, at=config.now()),
        )
    except legal.LegalInputError as error:
        return _firms_page(request, session, principal, form, error)
    return _see_other("/legal/firms")


# ---------------------------------------------------------------------------------------------
# Claims


def _claims_page(
    request: Request,
    session: Session,
    principal: Principal,
    form: dict[str, str] | None = None,
    error: legal.LegalInputError | None = None,
) -> Response:
    return _page(
        request,
        "legal/claims.html",
        "legal.claims.title",
        {
            "claims": claims.list_claims(session, principal),
            "form": form or {},
            "counterparty_kinds": legal.COUNTERPARTY_KINDS,
        },
        error,
    )


@router.get("/legal/claims", include_in_schema=False)
def claims_page(request: Request, principal: LegalUser, session: DbSession) -> Response:
    return _claims_page(request, session, principal)


@router.post("/legal/claims", include_in_schema=False)
def claim_create_page(
    request: Request,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    account_no: Text = "",
    counterparty_kind: Text = "",
    counterparty_name: Text = "",
    claimed_amount: Text = "",
    note: Text = "",
) -> Response:
    form = {
        "account_no": account_no,
        "counterparty_kind": counterparty_kind,
        "counterparty_name": counterparty_name,
        "claimed_amount": claimed_amount,
        "note": note,
    }

    def create() -> int:
        account = claims.account_by_number(session, principal, account_no)
        claim = claims.create_claim(
            session,
            principal,
            account.id,
            counterparty_kind=counterparty_kind,
            counterparty_name=counterparty_name,
            claimed_amount=legal.parse_yuan(claimed_amount, "claimed_amount"),
            note=note,
            at=config.now(),
        )
        return claim.id

    try:
        claim_id = _apply(session, create)
    except legal.LegalInputError as error:
        return _claims_page(request, session, principal, form, error)
    return _see_other(f"/legal/claims/{claim_id}")


def _claim_page(
    request: Request,
    session: Session,
    principal: Principal,
    claim_id: int,
    form: dict[str, str] | None = None,
    error: legal.LegalInputError | None = None,
    result: RecoveryResult | None = None,
) -> Response:
    return _page(
        request,
        "legal/claim.html",
        "legal.claim.title",
        {
            "claim": claims.get_claim(session, principal, claim_id),
            "form": form or {},
            "result": result,
        },
        error,
    )


@router.get("/legal/claims/{claim_id}", include_in_schema=False)
def claim_page(
    request: Request, claim_id: Id, principal: LegalUser, session: DbSession
) -> Response:
    return _claim_page(request, session, principal, claim_id)


@router.post("/legal/claims/{claim_id}/submit", include_in_schema=False)
def claim_submit_page(
    request: Request, claim_id: Id, principal: LegalUser, session: DbSession, config: Config
) -> Response:
    try:
        _apply(session, lambda: claims.submit_claim(session, principal, claim_id, at=config.now()))
    except legal.LegalInputError as error:
        return _claim_page(request, session, principal, claim_id, error=error)
    return _see_other(f"/legal/claims/{claim_id}")


@router.post("/legal/claims/{claim_id}/reject", include_in_schema=False)
def claim_reject_page(
    request: Request,
    claim_id: Id,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    note: Text = "",
) -> Response:
    try:
        _apply(
            session,
            lambda: claims.reject_claim(session, principal, claim_id, note=note, at=config.now()),
        )
    except legal.LegalInputError as error:
        return _claim_page(request, session, principal, claim_id, error=error)
    return _see_other(f"/legal/claims/{claim_id}")


@router.post("/legal/claims/{claim_id}/recoveries", include_in_schema=False)
def recovery_page(
    request: Request,
    claim_id: Id,
    principal: LegalUser,
    session: DbSession,
    config: Config,
    received_on: Text = "",
    amount: Text = "",
    remittance_ref: Text = "",
) -> Response:
    form = {"received_on": received_on, "amount": amount, "remittance_ref": remittance_ref}

    def recover() -> RecoveryResult:
        return claims.record_recovery(
            session,
            principal,
            claim_id,
            received_on=legal.parse_day(received_on, "received_on"),
            amount=legal.parse_yuan(amount, "amount"),
            remittance_ref=remittance_ref,
            at=config.now(),
        )

    try:
        result = _apply(session, recover)
    except legal.LegalInputError as error:
        return _claim_page(request, session, principal, claim_id, form, error)
    return _claim_page(request, session, principal, claim_id, result=result)


# ---------------------------------------------------------------------------------------------
# JSON API


@router.get("/api/legal/referrals", response_model=list[ReferralRow], responses=ERRORS)
def api_referrals(principal: LegalUser, session: DbSession) -> list[ReferralRow]:
    """Cases waiting for legal: pending referrals and the strategy's queued legal actions."""
    return legal.list_referrals(session, principal)


@router.post("/api/legal/referrals", response_model=ReferralRead, status_code=201, responses=ERRORS)
def api_refer(
    body: ReferralCreate, principal: Referrer, session: DbSession, config: Config
) -> ReferralRead:
    """Refer a case to legal (team lead, manager), with the reason."""
    referral = _api(
        session,
        lambda: legal.refer_case(
            session, principal, body.case_id, reason=body.reason, at=config.now()
        ),
    )
    return legal.referral_read(session, referral)


def _api_accept(
    session: Session,
    principal: Principal,
    config: WebConfig,
    body: ReferralAccept,
    referral: Callable[[], int],
) -> MatterRead:
    matter = _api(
        session,
        lambda: legal.accept_referral(
            session,
            principal,
            referral(),
            kind=body.kind,
            law_firm_id=body.law_firm_id,
            court=body.court,
            case_number=body.case_number,
            at=config.now(),
        ),
    )
    return legal.matter_detail(session, principal, matter.id)


@router.post(
    "/api/legal/referrals/{referral_id}/accept", response_model=MatterRead, responses=ERRORS
)
def api_accept(
    referral_id: Id, body: ReferralAccept, principal: LegalUser, session: DbSession, config: Config
) -> MatterRead:
    """Accept a referral: opens a matter and moves the case to 法催 LEGAL."""
    return _api_accept(session, principal, config, body, lambda: referral_id)


@router.post(
    "/api/legal/referrals/{referral_id}/decline", response_model=ReferralRead, responses=ERRORS
)
def api_decline(
    referral_id: Id,
    body: ReferralDecline,
    principal: LegalUser,
    session: DbSession,
    config: Config,
) -> ReferralRead:
    referral = _api(
        session,
        lambda: legal.decline_referral(
            session, principal, referral_id, note=body.note, at=config.now()
        ),
    )
    return legal.referral_read(session, referral)


@router.post(
    "/api/legal/strategy-actions/{action_id}/accept", response_model=MatterRead, responses=ERRORS
)
def api_accept_strategy(
    action_id: Id, body: ReferralAccept, principal: LegalUser, session: DbSession, config: Config
) -> MatterRead:
    """Accept the strategy's queued legal action for a case."""
    return _api_accept(
        session, principal, config, body, _from_strategy(session, principal, config, action_id)
    )


@router.post(
    "/api/legal/strategy-actions/{action_id}/decline",
    response_model=ReferralRead,
    responses=ERRORS,
)
def api_decline_strategy(
    action_id: Id,
    body: ReferralDecline,
    principal: LegalUser,
    session: DbSession,
    config: Config,
) -> ReferralRead:
    referral_id = _from_strategy(session, principal, config, action_id)
    referral = _api(
        session,
        lambda: legal.decline_referral(
            session, principal, referral_id(), note=body.note, at=config.now()
        ),
    )
    return legal.referral_read(session, referral)


@router.get("/api/legal/firms", response_model=list[LawFirmRead], responses=ERRORS)
def api_firms(principal: LegalUser, session: DbSession) -> list[LawFirmRead]:
    return legal.list_law_firms(session, principal)


@router.post("/api/legal/firms", response_model=LawFirmRead, status_code=201, responses=ERRORS)
def api_firm_create(
    body: LawFirmCreate, principal: LegalUser, session: DbSession, config: Config
) -> LawFirmRead:
    return _api(
        session,
        lambda: legal.create_law_firm(session, principal, **body.model_dump(), at=config.now()),
    )


@router.get("/api/legal/matters", response_model=list[MatterRead], responses=ERRORS)
def api_matters(principal: LegalUser, session: DbSession) -> list[MatterRead]:
    """Matters in scope with their cost totals (events and letters on the detail route)."""
    return legal.list_matters(session, principal)


@router.get("/api/legal/matters/{matter_id}", response_model=MatterRead, responses=ERRORS)
def api_matter(matter_id: Id, principal: LegalUser, session: DbSession) -> MatterRead:
    return legal.matter_detail(session, principal, matter_id)


@router.post("/api/legal/matters/{matter_id}", response_model=MatterRead, responses=ERRORS)
def api_matter_update(
    matter_id: Id, body: MatterUpdate, principal: LegalUser, session: DbSession, config: Config
) -> MatterRead:
    _api(
        session,
        lambda: legal.update_matter(
            session,
            principal,
            matter_id,
            court=body.court,
            case_number=body.case_number,
            law_firm_id=body.law_firm_id,
            at=config.now(),
        ),
    )
    return legal.matter_detail(session, principal, matter_id)


@router.post(
    "/api/legal/matters/{matter_id}/events",
    response_model=MatterRead,
    status_code=201,
    responses=ERRORS,
)
def api_event(
    matter_id: Id, body: EventCreate, principal: LegalUser, session: DbSession, config: Config
) -> MatterRead:
    """Record a filing, hearing, judgment, enforcement or settlement, with its costs in fen."""
    _api(
        session,
        lambda: legal.add_event(
            session,
            principal,
            matter_id,
            kind=body.kind,
            event_on=body.event_on,
            note=body.note,
            court_fee=body.court_fee,
            lawyer_fee=body.lawyer_fee,
            at=config.now(),
        ),
    )
    return legal.matter_detail(session, principal, matter_id)


@router.post(
    "/api/legal/matters/{matter_id}/letters",
    response_model=LetterRead,
    status_code=201,
    responses=ERRORS,
)
def api_letter_send(
    matter_id: Id, principal: PiiUser, session: DbSession, config: Config
) -> LetterRead:
    """Put today's lawyer letter to the compliance guard; ``status`` is ``sent`` only when the
    guard allowed it (the reasons say why not)."""
    return _api(
        session,
        lambda: letters.send_lawyer_letter(
            session, principal, matter_id, letter_date=config.business_date(), at=config.now()
        ),
    )


@router.get("/api/legal/claims", response_model=list[ClaimRead], responses=ERRORS)
def api_claims(principal: LegalUser, session: DbSession) -> list[ClaimRead]:
    return claims.list_claims(session, principal)


@router.post("/api/legal/claims", response_model=ClaimRead, status_code=201, responses=ERRORS)
def api_claim_create(
    body: ClaimCreate, principal: LegalUser, session: DbSession, config: Config
) -> ClaimRead:
    claim = _api(
        session,
        lambda: claims.create_claim(
            session,
            principal,
            body.account_id,
            counterparty_kind=body.counterparty_kind,
            counterparty_name=body.counterparty_name,
            claimed_amount=body.claimed_amount,
            note=body.note,
            at=config.now(),
        ),
    )
    return claims.get_claim(session, principal, claim.id)


@router.get("/api/legal/claims/{claim_id}", response_model=ClaimRead, responses=ERRORS)
def api_claim(claim_id: Id, principal: LegalUser, session: DbSession) -> ClaimRead:
    return claims.get_claim(session, principal, claim_id)


@router.post("/api/legal/claims/{claim_id}/submit", response_model=ClaimRead, responses=ERRORS)
def api_claim_submit(
    claim_id: Id, principal: LegalUser, session: DbSession, config: Config
) -> ClaimRead:
    _api(session, lambda: claims.submit_claim(session, principal, claim_id, at=config.now()))
    return claims.get_claim(session, principal, claim_id)


@router.post("/api/legal/claims/{claim_id}/reject", response_model=ClaimRead, responses=ERRORS)
def api_claim_reject(
    claim_id: Id, body: ClaimReject, principal: LegalUser, session: DbSession, config: Config
) -> ClaimRead:
    _api(
        session,
        lambda: claims.reject_claim(session, principal, claim_id, note=body.note, at=config.now()),
    )
    return claims.get_claim(session, principal, claim_id)


@router.post(
    "/api/legal/claims/{claim_id}/recoveries", response_model=RecoveryResult, responses=ERRORS
)
def api_recovery(
    claim_id: Id,
    body: RecoveryCreate,
    principal: LegalUser,
    session: DbSession,
    config: Config,
) -> RecoveryResult:
    """Record money a guarantor or insurer paid: one payment (source ``claim``) per remittance
    reference, however often it is sent."""
    return _api(
        session,
        lambda: claims.record_recovery(
            session,
            principal,
            claim_id,
            received_on=body.received_on,
            amount=body.amount,
            remittance_ref=body.remittance_ref,
            at=config.now(),
        ),
    )


# ---------------------------------------------------------------------------------------------
# Catalogue (Simplified Chinese default, English)

ZH: dict[str, str] = {
    "legal.nav.referrals": "法务转案",
    "legal.nav.matters": "诉讼 / 仲裁",
    "legal.nav.claims": "担保 / 保险理赔",
    "legal.nav.firms": "律师事务所",
    "legal.nav.refer": "转法务",
    "legal.referrals.title": "法务转案队列",
    "legal.referrals.hint": "策略自动转入或组长 / 经理手工转入的案件。"
    "接收后立案跟踪，案件转为“法催”。",
    "legal.referrals.no_firms": "尚未登记律师事务所，律师函需要承办律所。",
    "legal.referrals.source": "来源",
    "legal.referrals.referred": "转案人 / 时间",
    "legal.referrals.decide": "处理",
    "legal.referrals.accept": "接收",
    "legal.referrals.decline": "退回",
    "legal.referrals.empty": "没有待处理的转案。",
    "legal.refer.title": "转法务",
    "legal.refer.hint": "填写案件号和转法务的理由；法务接收后案件转为“法催”。",
    "legal.refer.submit": "提交转法务",
    "legal.refer.done": "已提交转法务：",
    "legal.matters.title": "诉讼 / 仲裁案件",
    "legal.matter.title": "法律事务",
    "legal.matter.no": "编号",
    "legal.matter.status": "进展",
    "legal.matter.referred_at": "转法务时间",
    "legal.matter.filed_at": "立案日期",
    "legal.matter.days_to_filing": "转案至立案天数",
    "legal.matter.total_costs": "费用合计（元）",
    "legal.matter.save": "保存",
    "legal.letter.title": "律师函与证据材料",
    "legal.letter.hint": "律师函与证据包含债务人完整姓名和地址，每次生成均记入审计日志。",
    "legal.letter.download": "下载律师函（PDF）",
    "legal.letter.send": "提交合规检查并发送律师函",
    "legal.letter.legal_only": "律师函和证据材料仅限法务人员生成。",
    "legal.letter.verdict": "合规检查结论",
    "legal.letter.reference": "函件编号",
    "legal.letter.date": "发函日期",
    "legal.letter.by": "经办人",
    "legal.evidence.download": "下载证据材料包（ZIP）",
    "legal.events.title": "进展与费用",
    "legal.events.add": "登记进展",
    "legal.events.save": "登记",
    "legal.firms.title": "律师事务所",
    "legal.firms.add": "登记律师事务所",
    "legal.firms.save": "保存",
    "legal.claims.title": "担保人 / 信用保险理赔",
    "legal.claims.add": "新建理赔",
    "legal.claims.save": "创建",
    "legal.claim.title": "理赔",
    "legal.claim.recovered": "已回收（元）",
    "legal.claim.outstanding": "未回收（元）",
    "legal.claim.submitted_on": "提交日期",
    "legal.claim.submit": "标记为已提交",
    "legal.claim.reject": "标记为被拒",
    "legal.claim.recoveries": "回收记录",
    "legal.claim.add_recovery": "登记回收款",
    "legal.claim.recovery_hint": "同一汇款编号只记一笔还款；重复提交不会重复入账。"
    "还款在夜间批处理中按分配顺序入账。",
    "legal.claim.record": "登记",
    "legal.claim.recorded": "已登记还款，流水号",
    "legal.claim.already": "该汇款已登记过，未重复入账，流水号",
    "legal.source.manual": "手工转入",
    "legal.source.strategy": "策略转入",
    "legal.kind.litigation": "诉讼",
    "legal.kind.arbitration": "仲裁",
    "legal.kind.payment_order": "支付令",
    "legal.status.open": "已接收",
    "legal.status.filed": "已立案",
    "legal.status.in_hearing": "审理中",
    "legal.status.judged": "已判决",
    "legal.status.enforcing": "执行中",
    "legal.status.settled": "已和解 / 结案",
    "legal.event.filing": "立案",
    "legal.event.hearing": "开庭",
    "legal.event.judgment": "判决 / 裁决",
    "legal.event.enforcement": "强制执行",
    "legal.event.settlement": "和解",
    "legal.counterparty.guarantor": "担保人",
    "legal.counterparty.credit_insurer": "信用保险公司",
    "legal.claim_status.open": "待提交",
    "legal.claim_status.submitted": "已提交",
    "legal.claim_status.paid": "已赔付",
    "legal.claim_status.rejected": "被拒",
    "legal.field.case": "案件",
    "legal.field.case_no": "案件号",
    "legal.field.reason": "转案理由",
    "legal.field.note": "说明",
    "legal.field.kind": "类型",
    "legal.field.law_firm_id": "承办律所",
    "legal.field.court": "法院 / 仲裁机构",
    "legal.field.case_number": "案号",
    "legal.field.referral": "转案",
    "legal.field.matter": "法律事务",
    "legal.field.event_on": "日期",
    "legal.field.court_fee": "诉讼费（元）",
    "legal.field.lawyer_fee": "律师费（元）",
    "legal.field.address": "地址",
    "legal.field.debtor": "债务人",
    "legal.field.account": "账户",
    "legal.field.name": "名称",
    "legal.field.phone": "电话",
    "legal.field.lawyer": "承办律师",
    "legal.field.licence_number": "执业证号",
    "legal.field.counterparty_kind": "理赔对象类型",
    "legal.field.counterparty_name": "理赔对象名称",
    "legal.field.claimed_amount": "申请金额（元）",
    "legal.field.account_no": "账号",
    "legal.field.amount": "金额（元）",
    "legal.field.remittance_ref": "汇款编号",
    "legal.field.received_on": "到账日期",
    "legal.field.status": "状态",
    "legal.error.required": "必填",
    "legal.error.too_long": "内容过长",
    "legal.error.invalid": "格式或取值无效",
    "legal.error.not_found": "未找到或不在您的权限范围内",
    "legal.error.over_limit": "超过上限",
    "legal.error.duplicate": "重复",
    "legal.error.state": "当前状态下不能执行此操作",
    "legal.error.transition": "案件状态不允许转为法催",
    "legal.error.missing": "缺少必要信息",
}

EN: dict[str, str] = {
    "legal.nav.referrals": "Legal referrals",
    "legal.nav.matters": "Litigation",
    "legal.nav.claims": "Guarantor / insurer claims",
    "legal.nav.firms": "Law firms",
    "legal.nav.refer": "Refer to legal",
    "legal.referrals.title": "Legal referral queue",
    "legal.referrals.hint": "Cases referred by the strategy or by a team lead or manager. "
    "Accepting opens a matter and moves the case to Legal.",
    "legal.referrals.no_firms": "No law firm is recorded yet; lawyer letters need one.",
    "legal.referrals.source": "Source",
    "legal.referrals.referred": "Referred by / when",
    "legal.referrals.decide": "Decision",
    "legal.referrals.accept": "Accept",
    "legal.referrals.decline": "Decline",
    "legal.referrals.empty": "No referrals are waiting.",
    "legal.refer.title": "Refer a case to legal",
    "legal.refer.hint": "Give the case number and why it should go to legal; once legal "
    "accepts, the case moves to Legal.",
    "legal.refer.submit": "Refer to legal",
    "legal.refer.done": "Referred to legal:",
    "legal.matters.title": "Litigation and arbitration",
    "legal.matter.title": "Legal matter",
    "legal.matter.no": "No.",
    "legal.matter.status": "Stage",
    "legal.matter.referred_at": "Referred",
    "legal.matter.filed_at": "Filed",
    "legal.matter.days_to_filing": "Days referral to filing",
    "legal.matter.total_costs": "Total costs (CNY)",
    "legal.matter.save": "Save",
    "legal.letter.title": "Lawyer letter and evidence",
    "legal.letter.hint": "Lawyer letters and evidence packs carry the debtor's full name and "
    "address; each one produced is recorded in the audit log.",
    "legal.letter.download": "Download the lawyer letter (PDF)",
    "legal.letter.send": "Check with the compliance guard and send",
    "legal.letter.legal_only": "Only legal staff may produce lawyer letters and evidence packs.",
    "legal.letter.verdict": "Compliance verdict",
    "legal.letter.reference": "Reference",
    "legal.letter.date": "Letter date",
    "legal.letter.by": "By",
    "legal.evidence.download": "Download the evidence pack (ZIP)",
    "legal.events.title": "Steps and costs",
    "legal.events.add": "Record a step",
    "legal.events.save": "Record",
    "legal.firms.title": "Law firms",
    "legal.firms.add": "Add a law firm",
    "legal.firms.save": "Save",
    "legal.claims.title": "Guarantor and credit insurer claims",
    "legal.claims.add": "New claim",
    "legal.claims.save": "Create",
    "legal.claim.title": "Claim",
    "legal.claim.recovered": "Recovered (CNY)",
    "legal.claim.outstanding": "Outstanding (CNY)",
    "legal.claim.submitted_on": "Submitted",
    "legal.claim.submit": "Mark as submitted",
    "legal.claim.reject": "Mark as rejected",
    "legal.claim.recoveries": "Recoveries",
    "legal.claim.add_recovery": "Record money received",
    "legal.claim.recovery_hint": "One payment per remittance reference: sending it again posts "
    "nothing twice. The nightly run allocates the payment by the waterfall.",
    "legal.claim.record": "Record",
    "legal.claim.recorded": "Payment recorded, reference",
    "legal.claim.already": "This remittance was already recorded; nothing posted twice. Reference",
    "legal.source.manual": "Manual",
    "legal.source.strategy": "Strategy",
    "legal.kind.litigation": "Litigation",
    "legal.kind.arbitration": "Arbitration",
    "legal.kind.payment_order": "Payment order",
    "legal.status.open": "Accepted",
    "legal.status.filed": "Filed",
    "legal.status.in_hearing": "In hearing",
    "legal.status.judged": "Judgment given",
    "legal.status.enforcing": "Enforcement",
    "legal.status.settled": "Settled / closed",
    "legal.event.filing": "Filing",
    "legal.event.hearing": "Hearing",
    "legal.event.judgment": "Judgment / award",
    "legal.event.enforcement": "Enforcement",
    "legal.event.settlement": "Settlement",
    "legal.counterparty.guarantor": "Guarantor",
    "legal.counterparty.credit_insurer": "Credit insurer",
    "legal.claim_status.open": "Open",
    "legal.claim_status.submitted": "Submitted",
    "legal.claim_status.paid": "Paid",
    "legal.claim_status.rejected": "Rejected",
    "legal.field.case": "Case",
    "legal.field.case_no": "Case number",
    "legal.field.reason": "Reason",
    "legal.field.note": "Note",
    "legal.field.kind": "Kind",
    "legal.field.law_firm_id": "Law firm",
    "legal.field.court": "Court / tribunal",
    "legal.field.case_number": "Court case number",
    "legal.field.referral": "Referral",
    "legal.field.matter": "Matter",
    "legal.field.event_on": "Date",
    "legal.field.court_fee": "Court fee (CNY)",
    "legal.field.lawyer_fee": "Lawyer fee (CNY)",
    "legal.field.address": "Address",
    "legal.field.debtor": "Debtor",
    "legal.field.account": "Account",
    "legal.field.name": "Name",
    "legal.field.phone": "Telephone",
    "legal.field.lawyer": "Lawyer",
    "legal.field.licence_number": "Licence number",
    "legal.field.counterparty_kind": "Counterparty kind",
    "legal.field.counterparty_name": "Counterparty",
    "legal.field.claimed_amount": "Amount claimed (CNY)",
    "legal.field.account_no": "Account number",
    "legal.field.amount": "Amount (CNY)",
    "legal.field.remittance_ref": "Remittance reference",
    "legal.field.received_on": "Received on",
    "legal.field.status": "Status",
    "legal.error.required": "is required",
    "legal.error.too_long": "is too long",
    "legal.error.invalid": "is not valid",
    "legal.error.not_found": "was not found or is outside your scope",
    "legal.error.over_limit": "is over the limit",
    "legal.error.duplicate": "already exists",
    "legal.error.state": "cannot be changed in its current status",
    "legal.error.transition": "cannot move to Legal from its current state",
    "legal.error.missing": "lacks required information",
}
