"""Creditor client portal (委托方) and the creditors' token API.

Data flow: a creditor client signs in (or a creditor's system sends ``Authorization: Bearer``,
resolved by :func:`huikuan.portal.tokens.authenticate`) → the pages and the JSON routes call the
same :mod:`huikuan.portal.service` functions, which only ever read the principal's own
creditor → uploads go through :func:`huikuan.portal.service.upload_file` (the import service's
checks; whole file or nothing; the same file twice changes nothing) and answer with the summary,
or 422 with each refused row, field and reason. Admins and in-house managers issue and revoke
API tokens on ``/client/tokens``; a token is shown once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from huikuan.access.policy import Principal
from huikuan.db.ids import ROW_ID_MAX, RowIdField
from huikuan.org.models import Creditor, Role
from huikuan.portal import service, tokens
from huikuan.portal.service import KINDS, UPLOAD_LIMIT, UploadOutcome, UploadRefusedError
from huikuan.web.areas import NavItem
from huikuan.web.auth import bearer_token, require_roles
from huikuan.web.deps import Cipher, Config, DbSession, RowId, engine_of
from huikuan.web.rendering import render

router = APIRouter()

CLIENT = frozenset({Role.CREDITOR_CLIENT})
ISSUERS = frozenset({Role.ADMIN, Role.MANAGER})
ClientPrincipal = Annotated[Principal, Depends(require_roles(Role.CREDITOR_CLIENT))]
IssuerPrincipal = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.MANAGER))]

NAV = (
    NavItem("client.nav.placements", "/client/placements", CLIENT, 10),
    NavItem("client.nav.recoveries", "/client/recoveries", CLIENT, 11),
    NavItem("client.nav.files", "/client/files", CLIENT, 12),
    NavItem("client.nav.tokens", "/client/tokens", ISSUERS, 80),
)
HOME = {Role.CREDITOR_CLIENT: "/client/placements"}

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the token is not valid"},
    403: {"description": "Not allowed for this role, token scope or CSRF token"},
    404: {"description": "Not found or outside the caller's scope"},
}


# ---------------------------------------------------------------------------------------------
# Response models


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class PlacementRead(_Read):
    placement_id: int
    batch_no: str
    agency: str | None
    placed_on: date
    ends_on: date
    status: str
    cases: int
    accounts: int
    placed_principal: int = Field(description="fen")
    outstanding: int = Field(description="fen")
    recovered: int = Field(description="fen")
    recalled_accounts: int
    recalled_balance: int = Field(description="fen")


class RecoveryRead(_Read):
    month: str
    placement_id: int | None
    batch_no: str | None
    payments: int
    amount: int = Field(description="fen")


class FileRead(_Read):
    upload_id: int | None
    kind: str
    file_name: str
    sha256: str
    status: str
    rows_read: int
    written: int
    refused: int
    via: str
    actor: str
    at: datetime | None
    imported_on: date | None
    has_report: bool


class RowErrorRead(_Read):
    row: int
    column: str
    field: str
    value: str
    reason_zh: str
    reason_en: str


class UploadRead(_Read):
    upload_id: int
    kind: str
    file_name: str
    sha256: str
    status: str = Field(description="imported, refused or duplicate")
    rows_read: int
    written: int
    refused: int
    already_imported: bool
    message: str
    errors: list[RowErrorRead]
    details: dict[str, int]
    error_report_url: str | None = None


class TokenRead(_Read):
    id: int
    creditor_id: int
    creditor_code: str
    name: str
    prefix: str
    scopes: list[str]
    state: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreate(BaseModel):
    creditor_id: RowIdField
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1)
    expires_in_days: int = Field(default=365, ge=1, le=730)


class TokenIssued(TokenRead):
    token: str = Field(description="shown once; only its SHA-256 is kept")


def _upload_read(outcome: UploadOutcome) -> UploadRead:
    return UploadRead(
        upload_id=outcome.upload_id,
        kind=outcome.kind,
        file_name=outcome.file_name,
        sha256=outcome.sha256,
        status=outcome.status,
        rows_read=outcome.rows_read,
        written=outcome.written,
        refused=outcome.refused,
        already_imported=outcome.already_imported,
        message=outcome.message,
        errors=[RowErrorRead.model_validate(e) for e in outcome.errors],
        details=outcome.details,
        error_report_url=(
            f"/client/files/{outcome.upload_id}/errors.csv" if outcome.status == "refused" else None
        ),
    )


def _token_read(token: Any, code: str, now: datetime) -> TokenRead:
    return TokenRead(
        id=token.id,
        creditor_id=token.creditor_id,
        creditor_code=code,
        name=token.name,
        prefix=token.prefix,
        scopes=list(token.scopes),
        state=tokens.token_state(token, now),
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


# ---------------------------------------------------------------------------------------------
# Pages: placements, recoveries, files


@router.get("/client/placements", include_in_schema=False)
def placements_page(request: Request, principal: ClientPrincipal, session: DbSession) -> Response:
    rows = service.placements(session, principal)
    return render(
        request, "client/placements.html", {"rows": rows, "title_key": "client.placements.title"}
    )


@router.get("/client/recoveries", include_in_schema=False)
def recoveries_page(request: Request, principal: ClientPrincipal, session: DbSession) -> Response:
    rows = service.recoveries(session, principal)
    total = sum(row.amount for row in rows)
    return render(
        request,
        "client/recoveries.html",
        {"rows": rows, "total": total, "title_key": "client.recoveries.title"},
    )


def _files_page(
    request: Request,
    principal: Principal,
    session: DbSession,
    *,
    outcome: UploadRead | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = service.files(session, principal)
    return render(
        request,
        "client/files.html",
        {
            "rows": rows,
            "kinds": list(KINDS),
            "outcome": outcome,
            "error": error,
            "title_key": "client.files.title",
        },
        status_code=status_code,
    )


@router.get("/client/files", include_in_schema=False)
def files_page(request: Request, principal: ClientPrincipal, session: DbSession) -> Response:
    return _files_page(request, principal, session)


@router.post("/client/files", include_in_schema=False)
def upload_page(
    request: Request,
    principal: ClientPrincipal,
    session: DbSession,
    cipher: Cipher,
    config: Config,
    kind: Annotated[str, Form(max_length=16)],
    file: Annotated[UploadFile, File()],
    batch_no: Annotated[str, Form(max_length=200)] = "",
    period_days: Annotated[int, Form(ge=1, le=720)] = 90,
) -> Response:
    if kind not in KINDS:
        return _files_page(request, principal, session, error="client.error.kind", status_code=422)
    data = file.file.read(UPLOAD_LIMIT + 1)
    try:
        outcome = service.upload_file(
            engine_of(request),
            session,
            principal,
            kind=KINDS[kind],
            file_name=file.filename,
            data=data,
            cipher=cipher,
            business_date=config.business_date(),
            at=config.now(),
            via="web",
            batch_no=batch_no,
            period_days=period_days,
        )
    except UploadRefusedError as refusal:
        return _files_page(
            request, principal, session, error=f"client.error.{refusal.code}", status_code=422
        )
    read = _upload_read(outcome)
    return _files_page(
        request, principal, session, outcome=read, status_code=422 if outcome.refused else 200
    )


@router.get("/client/files/{upload_id}/errors.csv", include_in_schema=False)
def error_report_download(
    upload_id: RowId,
    principal: ClientPrincipal,
    session: DbSession,
) -> Response:
    name, text = service.error_report(session, principal, upload_id)
    return Response(
        text.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------------------------------------
# JSON: reads


@router.get("/api/client/placements", response_model=list[PlacementRead], responses=ERRORS)
def api_placements(principal: ClientPrincipal, session: DbSession) -> list[PlacementRead]:
    """The caller's creditor's placements (委案批次) with counts and amounts in fen."""
    return [PlacementRead.model_validate(r) for r in service.placements(session, principal)]


@router.get("/api/client/recoveries", response_model=list[RecoveryRead], responses=ERRORS)
def api_recoveries(principal: ClientPrincipal, session: DbSession) -> list[RecoveryRead]:
    """Payments by month received and placement."""
    return [RecoveryRead.model_validate(r) for r in service.recoveries(session, principal)]


@router.get("/api/client/files", response_model=list[FileRead], responses=ERRORS)
def api_files(principal: ClientPrincipal, session: DbSession) -> list[FileRead]:
    """Files received for the caller's creditor and what became of each."""
    return [FileRead.model_validate(r) for r in service.files(session, principal)]


# ---------------------------------------------------------------------------------------------
# JSON: uploads (multipart ``file`` field, or the file itself as the body)

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
}


class _TooLargeError(Exception):
    pass


async def _body_of(request: Request) -> tuple[bytes, str | None]:
    """The uploaded bytes and file name: a multipart ``file`` part, else the raw body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        try:
            part = form.get("file")
            if part is None or isinstance(part, str):
                raise HTTPException(
                    status_code=422, detail=[{"loc": ["body", "file"], "msg": "required"}]
                )
            data = await part.read(UPLOAD_LIMIT + 1)
            name = part.filename
        finally:
            await form.close()
    else:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > UPLOAD_LIMIT:
                raise _TooLargeError
            chunks.append(chunk)
        data = b"".join(chunks)
        name = request.query_params.get("file_name")
    if len(data) > UPLOAD_LIMIT:
        raise _TooLargeError
    return data, name


def _upload_route(scope: str) -> Callable[..., Any]:
    async def upload(
        request: Request,
        principal: ClientPrincipal,
        session: DbSession,
        cipher: Cipher,
        config: Config,
        batch_no: str | None = None,
        period_days: int = 90,
    ) -> Response:
        try:
            data, name = await _body_of(request)
        except _TooLargeError:
            return JSONResponse({"detail": f"file larger than {UPLOAD_LIMIT} bytes"}, 413)

        def work() -> UploadRead:
            now = config.now()
            try:
                token_id = tokens.require_scope(session, bearer_token(request), scope, now)
            except tokens.ScopeError:
                raise HTTPException(status_code=403) from None
            outcome = service.upload_file(
                engine_of(request),
                session,
                principal,
                kind=KINDS[scope],
                file_name=name,
                data=data,
                cipher=cipher,
                business_date=config.business_date(),
                at=now,
                via="api" if token_id is not None else "web",
                token_id=token_id,
                batch_no=batch_no,
                period_days=period_days,
            )
            return _upload_read(outcome)

        try:
            read = await run_in_threadpool(work)
        except UploadRefusedError as refusal:
            return JSONResponse(
                {"detail": [{"loc": ["query", refusal.field], "msg": str(refusal)}]}, 422
            )
        status = 422 if read.refused else 200
        return JSONResponse(read.model_dump(mode="json"), status_code=status)

    upload.__name__ = f"upload_{scope}"
    upload.__doc__ = (
        f"Upload a {scope} file (CSV or XLSX), checked by the import service: imported whole, "
        "or refused whole with each row, field and reason (422). The same file twice changes "
        f"nothing. Tokens need the ``{scope}`` scope."
    )
    return upload


for _scope in KINDS:
    router.add_api_route(
        f"/api/client/{_scope}",
        _upload_route(_scope),
        methods=["POST"],
        response_model=UploadRead,
        responses={**ERRORS, 413: {"description": "File too large"}, 422: {"model": UploadRead}},
        openapi_extra=_UPLOAD_BODY,
        name=f"client_upload_{_scope}",
    )


# ---------------------------------------------------------------------------------------------
# API tokens (admins and in-house managers)


def _tokens_page(
    request: Request,
    principal: Principal,
    session: DbSession,
    now: datetime,
    *,
    issued: TokenIssued | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = [_token_read(t, code, now) for t, code in tokens.list_tokens(session, principal)]
    creditors = list(
        session.execute(select(Creditor.id, Creditor.code, Creditor.name).order_by(Creditor.code))
    )
    return render(
        request,
        "client/tokens.html",
        {
            "rows": rows,
            "creditors": creditors,
            "scopes": tokens.SCOPES,
            "issued": issued,
            "error": error,
            "title_key": "client.tokens.title",
        },
        status_code=status_code,
    )


def _issue(
    session: DbSession,
    principal: Principal,
    *,
    creditor_id: int,
    name: str,
    scopes: list[str],
    days: int,
    now: datetime,
) -> TokenIssued:
    made = tokens.issue_token(
        session,
        principal,
        creditor_id=creditor_id,
        name=name,
        scopes=scopes,
        expires_at=now + timedelta(days=days),
        now=now,
    )
    code = session.scalar(select(Creditor.code).where(Creditor.id == made.token.creditor_id))
    read = _token_read(made.token, str(code), now)
    return TokenIssued(**read.model_dump(), token=made.secret)


def _in_house(principal: Principal) -> None:
    if not principal.in_house:
        raise HTTPException(status_code=403)


@router.get("/client/tokens", include_in_schema=False)
def tokens_page(
    request: Request, principal: IssuerPrincipal, session: DbSession, config: Config
) -> Response:
    _in_house(principal)
    return _tokens_page(request, principal, session, config.now())


@router.post("/client/tokens", include_in_schema=False)
def issue_page(
    request: Request,
    principal: IssuerPrincipal,
    session: DbSession,
    config: Config,
    creditor_id: Annotated[int, Form(ge=1, le=ROW_ID_MAX)],
    name: Annotated[str, Form(max_length=200)] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    expires_in_days: Annotated[int, Form(ge=1, le=730)] = 365,
) -> Response:
    _in_house(principal)
    now = config.now()
    try:
        issued = _issue(
            session,
            principal,
            creditor_id=creditor_id,
            name=name,
            scopes=scopes or [],
            days=expires_in_days,
            now=now,
        )
    except tokens.TokenRefusedError as refusal:
        return _tokens_page(
            request,
            principal,
            session,
            now,
            error=f"client.error.token_{refusal.field}",
            status_code=422,
        )
    return _tokens_page(request, principal, session, now, issued=issued)


@router.post("/client/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_page(
    token_id: RowId, principal: IssuerPrincipal, session: DbSession, config: Config
) -> Response:
    _in_house(principal)
    tokens.revoke_token(session, principal, token_id, now=config.now())
    return RedirectResponse("/client/tokens", status_code=303)


@router.get("/api/client/tokens", response_model=list[TokenRead], responses=ERRORS)
def api_tokens(principal: IssuerPrincipal, session: DbSession, config: Config) -> list[TokenRead]:
    """Every API token (never the token itself: it was shown once)."""
    _in_house(principal)
    now = config.now()
    return [_token_read(t, code, now) for t, code in tokens.list_tokens(session, principal)]


@router.post(
    "/api/client/tokens",
    response_model=TokenIssued,
    responses={**ERRORS, 422: {"description": "Invalid field"}},
)
def api_issue(
    body: TokenCreate, principal: IssuerPrincipal, session: DbSession, config: Config
) -> Response:
    """Issue a token for a creditor's system; the response is the only time it is shown."""
    _in_house(principal)
    try:
        issued = _issue(
            session,
            principal,
            creditor_id=body.creditor_id,
            name=body.name,
            scopes=body.scopes,
            days=body.expires_in_days,
            now=config.now(),
        )
    except tokens.TokenRefusedError as refusal:
        return JSONResponse(
            {"detail": [{"loc": ["body", refusal.field], "msg": str(refusal)}]}, 422
        )
    return JSONResponse(issued.model_dump(mode="json"), status_code=201)


@router.post("/api/client/tokens/{token_id}/revoke", response_model=TokenRead, responses=ERRORS)
def api_revoke(
    token_id: RowId, principal: IssuerPrincipal, session: DbSession, config: Config
) -> TokenRead:
    """Revoke a token at once; requests with it are refused from now on."""
    _in_house(principal)
    now = config.now()
    token = tokens.revoke_token(session, principal, token_id, now=now)
    code = session.scalar(select(Creditor.code).where(Creditor.id == token.creditor_id))
    return _token_read(token, str(code), now)


ZH: dict[str, str] = {
    "client.nav.placements": "委案批次",
    "client.nav.recoveries": "回款",
    "client.nav.files": "文件",
    "client.nav.tokens": "API 令牌",
    "client.placements.title": "委案批次",
    "client.placements.batch": "批次号",
    "client.placements.agency": "催收机构",
    "client.placements.in_house": "内催",
    "client.placements.placed_on": "委案日期",
    "client.placements.ends_on": "到期日",
    "client.placements.cases": "案件数",
    "client.placements.accounts": "账户数",
    "client.placements.placed_principal": "委案本金（元）",
    "client.placements.outstanding": "当前余额（元）",
    "client.placements.recovered": "累计回款（元）",
    "client.placements.recalled": "撤案（户 / 元）",
    "client.placements.note": "委案本金为委案时的本金；当前余额不含已撤案账户。",
    "client.placements.empty": "暂无委案批次。",
    "client.recoveries.title": "回款（按月、按批次）",
    "client.recoveries.month": "月份",
    "client.recoveries.payments": "笔数",
    "client.recoveries.amount": "金额（元）",
    "client.recoveries.total": "合计",
    "client.recoveries.empty": "暂无回款。",
    "client.files.title": "已收到的文件",
    "client.files.upload": "上传文件",
    "client.files.kind": "文件类型",
    "client.files.file": "文件（CSV 或 Excel）",
    "client.files.batch_no": "委案批次号（可选，仅委案文件）",
    "client.files.period_days": "委案周期（天，仅委案文件）",
    "client.files.submit": "上传并导入",
    "client.files.outcome": "导入结果",
    "client.files.rows": "行数",
    "client.files.written": "已写入",
    "client.files.refused": "错误数",
    "client.files.report": "错误报告",
    "client.files.download": "下载",
    "client.files.name": "文件名",
    "client.files.status": "状态",
    "client.files.via": "来源",
    "client.files.when": "时间",
    "client.files.empty": "尚未收到文件。",
    "client.errors.row": "行号",
    "client.errors.column": "列",
    "client.errors.field": "字段",
    "client.errors.value": "值",
    "client.errors.reason": "原因",
    "client.kind.placements": "委案",
    "client.kind.updates": "余额更新",
    "client.kind.payments": "还款",
    "client.kind.recalls": "撤案",
    "client.status.imported": "已导入",
    "client.status.refused": "已拒绝",
    "client.status.duplicate": "重复文件，未更改",
    "client.via.web": "网页上传",
    "client.via.api": "API",
    "client.via.staff": "工作人员导入",
    "client.error.kind": "请选择文件类型。",
    "client.error.too_large": "文件过大（上限 20 MB）。",
    "client.error.period": "委案周期须为 1 至 720 天。",
    "client.error.batch_long": "委案批次号不能超过 64 个字符。",
    "client.error.batch_taken": "该委案批次号已存在。",
    "client.error.token_name": "请填写令牌名称（最多 100 个字符）。",
    "client.error.token_scopes": "请至少选择一个权限范围。",
    "client.error.token_expires_at": "有效期须为 1 至 730 天。",
    "client.error.token_creditor_id": "委托方不存在。",
    "client.tokens.title": "API 令牌",
    "client.tokens.issue": "签发 API 令牌",
    "client.tokens.creditor": "委托方",
    "client.tokens.name": "名称",
    "client.tokens.scopes": "权限范围",
    "client.tokens.expires_in_days": "有效期（天）",
    "client.tokens.submit": "签发",
    "client.tokens.shown_once": "令牌只显示这一次，请立即复制并妥善保存；系统只保存其哈希值。",
    "client.tokens.prefix": "前缀",
    "client.tokens.state": "状态",
    "client.tokens.state.active": "有效",
    "client.tokens.state.expired": "已过期",
    "client.tokens.state.revoked": "已吊销",
    "client.tokens.expires_at": "到期时间",
    "client.tokens.last_used_at": "最近使用",
    "client.tokens.revoke": "吊销",
    "client.tokens.empty": "尚未签发令牌。",
}

EN: dict[str, str] = {
    "client.nav.placements": "Placements",
    "client.nav.recoveries": "Recoveries",
    "client.nav.files": "Files",
    "client.nav.tokens": "API tokens",
    "client.placements.title": "Placements",
    "client.placements.batch": "Batch",
    "client.placements.agency": "Agency",
    "client.placements.in_house": "In-house",
    "client.placements.placed_on": "Placed on",
    "client.placements.ends_on": "Ends on",
    "client.placements.cases": "Cases",
    "client.placements.accounts": "Accounts",
    "client.placements.placed_principal": "Principal placed (CNY)",
    "client.placements.outstanding": "Outstanding (CNY)",
    "client.placements.recovered": "Recovered to date (CNY)",
    "client.placements.recalled": "Recalled (accounts / CNY)",
    "client.placements.note": "Principal placed is the principal at placement; outstanding "
    "leaves out recalled accounts.",
    "client.placements.empty": "No placements yet.",
    "client.recoveries.title": "Recoveries by month and placement",
    "client.recoveries.month": "Month",
    "client.recoveries.payments": "Payments",
    "client.recoveries.amount": "Amount (CNY)",
    "client.recoveries.total": "Total",
    "client.recoveries.empty": "No recoveries yet.",
    "client.files.title": "Files received",
    "client.files.upload": "Upload a file",
    "client.files.kind": "Kind of file",
    "client.files.file": "File (CSV or Excel)",
    "client.files.batch_no": "Placement batch number (optional, placements only)",
    "client.files.period_days": "Placement period (days, placements only)",
    "client.files.submit": "Upload and import",
    "client.files.outcome": "Import result",
    "client.files.rows": "Rows",
    "client.files.written": "Written",
    "client.files.refused": "Errors",
    "client.files.report": "Error report",
    "client.files.download": "Download",
    "client.files.name": "File name",
    "client.files.status": "Status",
    "client.files.via": "Received via",
    "client.files.when": "When",
    "client.files.empty": "No files received yet.",
    "client.errors.row": "Row",
    "client.errors.column": "Column",
    "client.errors.field": "Field",
    "client.errors.value": "Value",
    "client.errors.reason": "Reason",
    "client.kind.placements": "Placements",
    "client.kind.updates": "Balance updates",
    "client.kind.payments": "Payments",
    "client.kind.recalls": "Recalls",
    "client.status.imported": "Imported",
    "client.status.refused": "Refused",
    "client.status.duplicate": "Already imported, nothing changed",
    "client.via.web": "Web upload",
    "client.via.api": "API",
    "client.via.staff": "Imported by staff",
    "client.error.kind": "Choose the kind of file.",
    "client.error.too_large": "The file is too large (20 MB at most).",
    "client.error.period": "The placement period must be 1 to 720 days.",
    "client.error.batch_long": "The batch number may have at most 64 characters.",
    "client.error.batch_taken": "That placement batch number already exists.",
    "client.error.token_name": "Give the token a name (at most 100 characters).",
    "client.error.token_scopes": "Choose at least one scope.",
    "client.error.token_expires_at": "The token must expire in 1 to 730 days.",
    "client.error.token_creditor_id": "No such creditor.",
    "client.tokens.title": "API tokens",
    "client.tokens.issue": "Issue an API token",
    "client.tokens.creditor": "Creditor",
    "client.tokens.name": "Name",
    "client.tokens.scopes": "Scopes",
    "client.tokens.expires_in_days": "Valid for (days)",
    "client.tokens.submit": "Issue",
    "client.tokens.shown_once": "This token is shown only once: copy it now and keep it safe. "
    "Only its hash is stored.",
    "client.tokens.prefix": "Prefix",
    "client.tokens.state": "State",
    "client.tokens.state.active": "Active",
    "client.tokens.state.expired": "Expired",
    "client.tokens.state.revoked": "Revoked",
    "client.tokens.expires_at": "Expires",
    "client.tokens.last_used_at": "Last used",
    "client.tokens.revoke": "Revoke",
    "client.tokens.empty": "No tokens issued yet.",
}
