"""Signed-in sessions (登录会话): see where you are signed in and end a session.

Data flow: every signed-in user opens ``/sessions`` (``/api/sessions``) and sees their own live
sessions, the current one marked; an admin sees everyone's (``?user=`` narrows to one user).
Ending a session posts to ``/sessions/{id}/end`` (``/api/sessions/{id}/end``) with the CSRF
token → :func:`huikuan.web.auth.end_session` ends its ``web_sessions`` row in the request's one
transaction and audits it; the copied cookie of that session is refused from its next request
on. "Sign out everywhere else" (``/sessions/users/{username}/end``) ends all of a user's other
sessions (an admin: all of anyone's). Someone else's session reads as not found (404); asking
for another user's list without being an admin is refused (403). The list shows no cookie
value and no address: only when, which browser, and a short tag telling devices apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from huikuan.org.models import Role
from huikuan.web.areas import NavItem
from huikuan.web.auth import (
    CurrentPrincipal,
    SessionView,
    end_session,
    end_sessions_of,
    list_sessions,
    session_key,
    session_of,
)
from huikuan.web.deps import Config, DbSession
from huikuan.web.rendering import render

router = APIRouter()

NAV = (NavItem("sessions.nav", "/sessions", frozenset(Role), 900),)

SessionId = Annotated[str, Path(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]
Username = Annotated[str, Path(min_length=1, max_length=64)]
UserQuery = Annotated[
    str | None,
    Query(max_length=64, description="admins: whose sessions (empty: everyone's)"),
]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Not an admin (another user's sessions), or the CSRF token is missing"},
    404: {"description": "No such session, or not the caller's"},
}


class SessionRead(BaseModel):
    """A live signed-in session (never the cookie, never the address)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: str
    username: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    device: str
    current: bool


class SessionEndedRead(BaseModel):
    id: str
    ended_at: datetime | None
    end_reason: str | None


class SessionsEndedRead(BaseModel):
    username: str
    ended: int


def _current_sid(request: Request) -> str | None:
    web = session_of(request)
    return web.sid if web is not None else None


def _read(view: SessionView) -> SessionRead:
    return SessionRead.model_validate(view)


# ---------------------------------------------------------------------------------------------
# Pages


@router.get("/sessions", include_in_schema=False)
def sessions_page(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    config: Config,
    user: UserQuery = None,
) -> Response:
    views = list_sessions(
        session, config, principal, username=user, current_sid=_current_sid(request)
    )
    return render(
        request,
        "sessions/list.html",
        {
            "title_key": "sessions.title",
            "rows": views,
            "admin": principal.role is Role.ADMIN,
            "user": user or "",
        },
    )


@router.post("/sessions/{session_id}/end", include_in_schema=False)
def end_page(
    request: Request,
    session_id: SessionId,
    principal: CurrentPrincipal,
    session: DbSession,
    config: Config,
) -> Response:
    ended = end_session(session, config, principal, session_id)
    current = _current_sid(request)
    if current is not None and ended.id == session_key(config, current):
        request.state.web_session = None  # this browser's own session: signed out
        return RedirectResponse("/login", status_code=303)
    back = "/sessions" if ended.user_id == principal.user_id else "/sessions?user="
    return RedirectResponse(back, status_code=303)


@router.post("/sessions/users/{username}/end", include_in_schema=False)
def end_all_page(
    request: Request,
    username: Username,
    principal: CurrentPrincipal,
    session: DbSession,
    config: Config,
) -> Response:
    keep = _current_sid(request) if username == principal.username else None
    end_sessions_of(session, config, principal, username, keep_sid=keep)
    target = "/sessions" if username == principal.username else f"/sessions?user={username}"
    return RedirectResponse(target, status_code=303)


# ---------------------------------------------------------------------------------------------
# JSON


@router.get("/api/sessions", response_model=list[SessionRead], responses=ERRORS, tags=["sessions"])
def api_sessions(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    config: Config,
    user: UserQuery = None,
) -> list[SessionRead]:
    """The caller's live sessions; an admin may ask for anyone's (``user``; empty: all)."""
    views = list_sessions(
        session, config, principal, username=user, current_sid=_current_sid(request)
    )
    return [_read(v) for v in views]


@router.post(
    "/api/sessions/{session_id}/end",
    response_model=SessionEndedRead,
    responses=ERRORS,
    tags=["sessions"],
)
def api_end(
    session_id: SessionId, principal: CurrentPrincipal, session: DbSession, config: Config
) -> SessionEndedRead:
    """End one session (the caller's own, or anyone's for an admin); audited."""
    row = end_session(session, config, principal, session_id)
    return SessionEndedRead(id=row.id, ended_at=row.ended_at, end_reason=row.end_reason)


@router.post(
    "/api/sessions/users/{username}/end",
    response_model=SessionsEndedRead,
    responses=ERRORS,
    tags=["sessions"],
)
def api_end_all(
    request: Request,
    username: Username,
    principal: CurrentPrincipal,
    session: DbSession,
    config: Config,
) -> SessionsEndedRead:
    """End all of a user's sessions (for the caller's own: all but the current one)."""
    keep = _current_sid(request) if username == principal.username else None
    ended = end_sessions_of(session, config, principal, username, keep_sid=keep)
    return SessionsEndedRead(username=username, ended=ended)


ZH = {
    "sessions.nav": "登录会话",
    "sessions.title": "登录会话",
    "sessions.intro": "以下是仍然有效的登录。不认识的登录请立即结束，并修改密码。",
    "sessions.filter": "用户名（留空：全部用户）",
    "sessions.show": "查看",
    "sessions.user": "用户",
    "sessions.created_at": "登录时间",
    "sessions.last_seen_at": "最近活动",
    "sessions.browser": "浏览器",
    "sessions.device": "设备标记",
    "sessions.current": "当前会话",
    "sessions.end": "结束",
    "sessions.end_others": "退出其他所有登录",
    "sessions.end_all": "结束该用户全部登录",
    "sessions.empty": "没有有效的登录会话。",
}

EN = {
    "sessions.nav": "Sessions",
    "sessions.title": "Signed-in sessions",
    "sessions.intro": "These sign-ins are still valid. End any you do not recognise at once, "
    "and change the password.",
    "sessions.filter": "Username (empty: every user)",
    "sessions.show": "Show",
    "sessions.user": "User",
    "sessions.created_at": "Signed in",
    "sessions.last_seen_at": "Last active",
    "sessions.browser": "Browser",
    "sessions.device": "Device tag",
    "sessions.current": "This session",
    "sessions.end": "End",
    "sessions.end_others": "Sign out everywhere else",
    "sessions.end_all": "End all of this user's sessions",
    "sessions.empty": "No live sessions.",
}
