"""The staff web app: server-rendered pages (Jinja2 + htmx) and a JSON API over the same services.

Data flow of one request:

1. :func:`create_app` wires everything once: engine, field cipher, :class:`WebConfig`, the
   password checker, the throttle policy, the bearer hook, metrics, routers, error pages.
2. The middleware picks the language, reads the signed session cookie, calls the route, then
   re-signs the cookie (sliding idle expiry), adds security headers (CSP without inline
   scripts, no caching of pages that hold personal data) and records the request's metrics
   under its route template.
3. An app-wide dependency checks CSRF on every unsafe method; routes get a request-scoped
   SQLAlchemy session (:data:`~huikuan.web.deps.DbSession`) and the principal.
4. Errors become pages in the user's language (HTML) or JSON (``/api``); a 500 never shows a
   stack trace and its log line names the exception type and route, nothing a user typed.

Routers: :mod:`huikuan.web.auth` (sign-in), :mod:`huikuan.web.pages` (HTML),
:mod:`huikuan.web.api` (JSON). A new screen adds its router module and lists it in
:data:`ROUTERS`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from huikuan.access.policy import AccessDeniedError
from huikuan.cycle.models import DayCycle
from huikuan.logs import get_logger
from huikuan.security.crypto import FieldCipher
from huikuan.web import api, areas, auth, pages
from huikuan.web.auth import (
    DEFAULT_THROTTLE,
    SESSION_COOKIE,
    BearerAuthenticator,
    CsrfError,
    NotAuthenticatedError,
    PasswordChecker,
    SessionCodec,
    ThrottlePolicy,
    default_hasher,
    verify_csrf,
)
from huikuan.web.deps import WebConfig, utc_now
from huikuan.web.i18n import choose_language
from huikuan.web.metrics import WebMetrics
from huikuan.web.rendering import STATIC, PageRefusal, render

log = get_logger("huikuan.web")

ROUTERS = (auth.router, pages.router, api.router)
API_PREFIX = "/api"
OPENAPI_URL = "/api/openapi.json"
DOCS_URL = "/api/docs"

# Pages load scripts and styles only from this origin; htmx's inline indicator style is
# switched off in base.html so ``style-src 'self'`` holds too.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# Swagger UI's page starts itself with an inline script (FastAPI's helper writes it).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; object-src 'none'"
)


def _last_cycle_day(engine: Engine, ttl: float = 60.0) -> Callable[[date], date | None]:
    """The last run-day on or before a date, read at most once a ``ttl`` per date."""
    cached: dict[date, tuple[float, date | None]] = {}

    def last(today: date) -> date | None:
        hit = cached.get(today)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return hit[1]
        with engine.connect() as connection:
            found = connection.execute(
                select(func.max(DayCycle.business_date)).where(DayCycle.business_date <= today)
            ).scalar()
        cached.clear()
        cached[today] = (time.monotonic(), found)
        return found

    return last


def create_app(
    engine: Engine,
    cipher: FieldCipher,
    *,
    secret_key: str,
    idle_timeout: timedelta = timedelta(minutes=30),
    absolute_timeout: timedelta = timedelta(hours=12),
    secure_cookies: bool = False,
    password_hasher: PasswordHasher | None = None,
    throttle: ThrottlePolicy = DEFAULT_THROTTLE,
    bearer_authenticator: BearerAuthenticator | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The web app over ``engine`` (already migrated) and ``cipher``.

    ``secret_key`` signs session cookies: at least 32 random characters, the same for every
    worker. ``secure_cookies`` must be on behind HTTPS. ``clock`` (aware, any zone) is for
    tests; ``bearer_authenticator`` is the hook for token-based API clients.
    """
    if len(secret_key) < 32:
        raise ValueError("secret_key must be at least 32 characters of random data")
    cfg = WebConfig(
        secret_key=secret_key,
        idle_timeout=idle_timeout,
        absolute_timeout=absolute_timeout,
        secure_cookies=secure_cookies,
        clock=clock or utc_now,
        last_cycle_day=_last_cycle_day(engine),
    )
    app = FastAPI(
        title="Huikuan workbench API",
        version="0.1.0",
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(verify_csrf)],
    )
    app.state.engine = engine
    app.state.cipher = cipher
    app.state.config = cfg
    app.state.password_checker = PasswordChecker(password_hasher or default_hasher())
    app.state.throttle = throttle
    app.state.bearer_authenticator = bearer_authenticator
    codec = SessionCodec(cfg)
    metrics = WebMetrics(engine, cfg.now)
    app.state.metrics = metrics

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    for area in areas.modules():
        app.include_router(area.router)
    _add_operational_routes(app, engine, metrics)
    _add_error_handlers(app)

    @app.middleware("http")
    async def web_middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        path = request.url.path
        if "\x00" in path or "%00" in request.url.query:
            # No text column takes a NUL (PostgreSQL refuses it): a client error, answered here
            # once for every route rather than by each query parameter.
            metrics.observe(request.method, _route_of(request), 400, _since(started))
            return PlainTextResponse("NUL characters are not accepted", status_code=400)
        request.state.lang = choose_language(
            request.cookies.get("lang"), request.headers.get("accept-language")
        )
        static = path.startswith("/static/")
        had_cookie = SESSION_COOKIE in request.cookies
        if not static:
            request.state.web_session = codec.loads(request.cookies.get(SESSION_COOKIE))
        try:
            response = await call_next(request)
        except Exception:
            metrics.observe(request.method, _route_of(request), 500, _since(started))
            raise
        if not static:
            web = getattr(request.state, "web_session", None)
            if web is not None:
                response.set_cookie(
                    SESSION_COOKIE,
                    codec.dumps(web),
                    httponly=True,
                    samesite="lax",
                    secure=cfg.secure_cookies,
                    path="/",
                )
            elif had_cookie:
                response.delete_cookie(
                    SESSION_COOKIE,
                    httponly=True,
                    samesite="lax",
                    secure=cfg.secure_cookies,
                    path="/",
                )
            response.headers.setdefault("Cache-Control", "no-store")
            response.headers["Content-Security-Policy"] = CSP if path != DOCS_URL else DOCS_CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        metrics.observe(request.method, _route_of(request), response.status_code, _since(started))
        return response

    return app


def _since(started: float) -> float:
    return time.perf_counter() - started


def _route_of(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path is not None else "unmatched"


def _add_operational_routes(app: FastAPI, engine: Engine, metrics: WebMetrics) -> None:
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title="Huikuan API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )


def _wants_json(request: Request) -> bool:
    return request.url.path == API_PREFIX or request.url.path.startswith(API_PREFIX + "/")


def _error(request: Request, status: int, key: str | None = None) -> Response:
    if _wants_json(request):
        detail = {401: "not authenticated", 403: "forbidden", 404: "not found"}.get(status, "error")
        if key == "error.csrf":
            detail = "CSRF token missing or invalid"
        return JSONResponse({"detail": detail}, status_code=status)
    known = status if status in (403, 404, 500) else None
    title = f"error.{known}.title" if known else None
    body = key or (f"error.{known}.body" if known else None)
    return render(
        request,
        "error.html",
        {"status": status, "title_key": title, "body_key": body},
        status_code=status,
    )


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticatedError)
    async def not_authenticated(request: Request, _exc: Exception) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": "not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = "/login?" + urlencode({"next": target})
        if request.headers.get("hx-request") == "true":
            return PlainTextResponse("", status_code=401, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)

    @app.exception_handler(PageRefusal)
    async def refused_with_page(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageRefusal)
        return exc.response

    @app.exception_handler(CsrfError)
    async def csrf_refused(request: Request, _exc: Exception) -> Response:
        return _error(request, 403, "error.csrf")

    @app.exception_handler(AccessDeniedError)
    async def out_of_scope(request: Request, _exc: Exception) -> Response:
        # Never say whether the thing exists: out of scope reads as not found.
        return _error(request, 404)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        if _wants_json(request) and isinstance(exc, StarletteHTTPException):
            return JSONResponse(
                {"detail": exc.detail}, status_code=status, headers=exc.headers or None
            )
        return _error(request, status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: Exception) -> Response:
        if _wants_json(request) and isinstance(exc, RequestValidationError):
            # Field locations and messages only: the input values may be personal data.
            errors = [
                {"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")}
                for e in exc.errors()
            ]
            return JSONResponse({"detail": errors}, status_code=422)
        return _error(request, 422)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("web_request_failed", error=type(exc).__name__, route=_route_of(request))
        return _error(request, 500)
