"""The public one-tap satisfaction survey page (满意度回访): ``/s/{token}``, no sign-in.

Data flow: the survey SMS (:mod:`huikuan.kpis.survey`) carries a link with a random token; the
page finds the survey by the token's SHA-256 (:func:`~huikuan.kpis.survey.survey_state`) and
shows five big buttons (mobile first, Chinese by default, English through the language
switch). A tap posts the score with the anonymous session's CSRF token →
:func:`~huikuan.kpis.survey.answer_by_token` in the request's one transaction: the first answer
is kept (and audited), a later one is ignored and the page says it was already answered.
``/api/surveys/{token}`` offers the same over JSON (still CSRF-checked, like every unsafe
request). The page shows nothing about the debtor or the debt: whoever holds the link sees
only the question.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from huikuan.kpis.survey import (
    AnswerOutcome,
    ScoreError,
    SurveyNotFoundError,
    answer_by_token,
    survey_state,
)
from huikuan.web.areas import NavItem
from huikuan.web.auth import ensure_session
from huikuan.web.deps import Config, DbSession
from huikuan.web.rendering import render

Token = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
State = Literal["open", "recorded", "already_answered", "closed"]

_STATES: dict[AnswerOutcome | None, State] = {
    None: "open",
    AnswerOutcome.RECORDED: "recorded",
    AnswerOutcome.ALREADY_ANSWERED: "already_answered",
    AnswerOutcome.CLOSED: "closed",
}

router = APIRouter()
NAV: tuple[NavItem, ...] = ()

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No survey has this link"}}


class SurveyRead(BaseModel):
    """Whether the survey behind a link still takes an answer."""

    state: State


class SurveyAnswerCreate(BaseModel):
    score: int = Field(ge=1, le=5, description="1 (very dissatisfied) … 5 (very satisfied)")


class SurveyAnswerRead(BaseModel):
    """``recorded``: this answer counts; ``already_answered``: ignored, the first one stands;
    ``closed``: the survey no longer takes answers."""

    state: State


def _page(
    request: Request, state: State, *, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "survey/page.html",
        {"title_key": "survey.title", "state": state, "error": error, "scores": (5, 4, 3, 2, 1)},
        status_code=status,
    )


@router.get("/s/{token}", include_in_schema=False)
def survey_page(request: Request, token: Token, session: DbSession, config: Config) -> Response:
    ensure_session(request, config)  # the form's CSRF token
    try:
        state = survey_state(session, token, config.now())
    except SurveyNotFoundError:
        return _page(request, "closed", status=404)
    return _page(request, _STATES[state])


@router.post("/s/{token}", include_in_schema=False)
def survey_answer(
    request: Request,
    token: Token,
    session: DbSession,
    config: Config,
    score: Annotated[str | None, Form(max_length=4)] = None,
) -> Response:
    try:
        answer = answer_by_token(session, token, _whole(score), config.now())
    except SurveyNotFoundError:
        return _page(request, "closed", status=404)
    except ScoreError:
        return _page(request, "open", error="survey.error.score", status=422)
    return _page(request, _STATES[answer.outcome])


def _whole(text: str | None) -> object:
    return int(text) if text is not None and text.strip().isdigit() else text


@router.get(
    "/api/surveys/{token}", response_model=SurveyRead, responses=NOT_FOUND, tags=["surveys"]
)
def survey_json(token: Token, session: DbSession, config: Config) -> SurveyRead:
    """Whether the survey behind the link is open (public: the token is the credential)."""
    try:
        state = survey_state(session, token, config.now())
    except SurveyNotFoundError as exc:
        raise HTTPException(404, "no survey has this link") from exc
    return SurveyRead(state=_STATES[state])


@router.post(
    "/api/surveys/{token}",
    response_model=SurveyAnswerRead,
    responses=NOT_FOUND,
    tags=["surveys"],
)
def survey_answer_json(
    token: Token, body: SurveyAnswerCreate, session: DbSession, config: Config
) -> SurveyAnswerRead:
    """Answer once: the first score counts, a later one is ignored (``already_answered``)."""
    try:
        answer = answer_by_token(session, token, body.score, config.now())
    except SurveyNotFoundError as exc:
        raise HTTPException(404, "no survey has this link") from exc
    return SurveyAnswerRead(state=_STATES[answer.outcome])


ZH = {
    "survey.title": "满意度回访",
    "survey.question": "请为近期与我们的沟通打分",
    "survey.hint": "点一下即可提交，5 分为非常满意。",
    "survey.score.5": "5 非常满意",
    "survey.score.4": "4 满意",
    "survey.score.3": "3 一般",
    "survey.score.2": "2 不满意",
    "survey.score.1": "1 非常不满意",
    "survey.recorded": "感谢您的评价！",
    "survey.already_answered": "您已评价过，以第一次评价为准。谢谢！",
    "survey.closed": "此回访链接已失效。",
    "survey.error.score": "评分：请选择 1 到 5 分",
    "survey.privacy": "本页面不显示您的任何个人信息。",
}
EN = {
    "survey.title": "Satisfaction survey",
    "survey.question": "Please rate your recent contact with us",
    "survey.hint": "One tap sends your answer; 5 means very satisfied.",
    "survey.score.5": "5 Very satisfied",
    "survey.score.4": "4 Satisfied",
    "survey.score.3": "3 Neutral",
    "survey.score.2": "2 Dissatisfied",
    "survey.score.1": "1 Very dissatisfied",
    "survey.recorded": "Thank you for your answer!",
    "survey.already_answered": "You have already answered; your first answer counts. Thank you!",
    "survey.closed": "This survey link is no longer valid.",
    "survey.error.score": "Score: choose a score from 1 to 5",
    "survey.privacy": "This page shows none of your personal information.",
}
