"""The staff web app (FastAPI + Jinja2 + htmx): sign-in, the agent's queue and the case page.

Data flow: :func:`huikuan.web.serve.serve` (or a test) builds the engine and field cipher →
:func:`huikuan.web.app.create_app` wires config, auth, metrics and routers → each request goes
through the middleware (language, signed session cookie, security headers, metrics), the CSRF
check, the principal (:mod:`huikuan.web.auth`), then a page (:mod:`huikuan.web.pages`) or JSON
route (:mod:`huikuan.web.api`) that calls the same read and service functions
(:mod:`huikuan.web.queries`, :mod:`huikuan.web.service`), always scoped by
:mod:`huikuan.access.policy`.
"""
