"""Saving (screened) and rendering message templates.

``save_template`` is the only way a template reaches the table. It parses the subject and body
(Jinja2, sandboxed), renders them with every set in :data:`SAMPLE_SETS`, screens each rendering
and the template's literal text (every literal in every branch, with its line) with
:func:`huikuan.compliance.content.screen`, and checks the disclosures
:mod:`huikuan.messaging.disclosures` requires for the channel and jurisdiction. Any problem
refuses the save and nothing is written; otherwise a new immutable version is added (active if
asked, the previous active one retired in the same transaction) and the audit log records it.

``render`` finds the version active for a code, language and jurisdiction (now, or at a past
moment with ``on``) and renders it with the caller's values. Every variable the template uses
must be given, in any branch: a message that rendered yesterday does not fail tomorrow because
a different branch was taken. The rendered text still goes through the contact guard before it
is sent; screening here keeps bad wording out of the store in the first place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache, lru_cache

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.environment import Template
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from huikuan.audit.service import record
from huikuan.compliance.content import LABELS, Hit, screen
from huikuan.compliance.verdict import Effect
from huikuan.core.identity import mask_phone as _mask_phone
from huikuan.core.money import format_minor
from huikuan.messaging import disclosures
from huikuan.messaging.models import (
    JURISDICTIONS,
    LANGUAGES,
    Channel,
    MessageTemplate,
    TemplateStatus,
)

# The values a template may use (name → what the caller passes). One list, so a typo in a
# template is refused on save instead of failing at send time.
VARIABLES: Mapping[str, str] = {
    "institution": "creditor or collecting institution name (机构名称), str",
    "agent_no": "collector number (工号), str",
    "amount": "amount owed in minor units (fen / cents), int: print with |yuan",
    "dpd": "days past due, int",
    "due_date": "due date, date or YYYY-MM-DD str",
    "hotline": "hotline number for questions, str",
    "agency": "collection agency name (委外机构), str",
    "promised_amount": "promised amount in minor units, int: print with |yuan",
    "promised_date": "date the debtor promised to pay, date or str",
    "phone": "the debtor's phone number: print with |mask_phone only",
    "link": "the debtor's own page (自助页面: see the debt, pay, plan, dispute), URL str",
}

# Sample values for the save-time checks: a pre-due, an early and a late account, so templates
# that branch on dpd or amount are rendered (and screened) down each usual path.
SAMPLE_SETS: tuple[Mapping[str, object], ...] = (
    {
        "institution": "示例银行",
        "agent_no": "A0427",
        "amount": 123456,
        "dpd": 0,
        "due_date": date(2026, 12, 1),
        "hotline": "400-800-0427",
        "agency": "示例催收服务有限公司",
        "promised_amount": 50000,
        "promised_date": date(2026, 12, 5),
        "phone": "13800138000",
        "link": "https://collect.example.com/d/1.7m1.AbCdEfGhIjKlMnOpQrStUv",
    },
    {
        "institution": "Example Bank",
        "agent_no": "B0815",
        "amount": 860000,
        "dpd": 15,
        "due_date": date(2026, 11, 10),
        "hotline": "1-800-555-0142",
        "agency": "Example Recovery LLC",
        "promised_amount": 100000,
        "promised_date": date(2026, 11, 30),
        "phone": "2025550142",
        "link": "https://collect.example.com/d/2.7m1.AbCdEfGhIjKlMnOpQrStUv",
    },
    {
        "institution": "示例消费金融",
        "agent_no": "C1203",
        "amount": 9876543,
        "dpd": 95,
        "due_date": date(2026, 8, 1),
        "hotline": "95000-0427",
        "agency": "示例委外公司",
        "promised_amount": 1,
        "promised_date": date(2026, 11, 25),
        "phone": "13912345678",
        "link": "https://collect.example.com/d/3.7m1.AbCdEfGhIjKlMnOpQrStUv",
    },
)

_CHANNEL_ZH = {"sms": "短信", "email": "邮件", "letter": "信函", "call_script": "通话话术"}
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,63}$")
# Wording that is lawful only when true and intended (a threat to sue) needs a person to
# confirm it; SMS and email go out automatically to many debtors, so it is refused there.
_WARNINGS_REFUSED = frozenset({Channel.SMS.value, Channel.EMAIL.value})


# --- the environment -------------------------------------------------------------------------


def yuan(minor: object) -> str:
    """Minor units (fen, cents) as ``1,234.56``; anything but an int is a mistake."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise TypeError(f"yuan expects an amount in minor units (int), got {type(minor).__name__}")
    return format_minor(minor)


def mask_phone(number: object) -> str:
    """``138****8000``: templates never print a whole number."""
    return _mask_phone(str(number))


@cache
def environment() -> SandboxedEnvironment:
    """The one sandboxed environment: plain text, strict about undefined values."""
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    env.filters["yuan"] = yuan
    env.filters["mask_phone"] = mask_phone
    return env


@dataclass(frozen=True, slots=True)
class _Compiled:
    template: Template
    variables: frozenset[str]


@lru_cache(maxsize=1024)
def _compile(source: str) -> _Compiled:
    env = environment()
    tree = env.parse(source)
    return _Compiled(env.from_string(tree), frozenset(meta.find_undeclared_variables(tree)))


# --- results and errors ----------------------------------------------------------------------


class TemplateNotFoundError(LookupError):
    """No version of the template is active (or was active at the moment asked)."""


class TemplateRenderError(ValueError):
    """A template could not be rendered with the values given."""


class MissingValueError(TemplateRenderError):
    def __init__(self, template: str, missing: frozenset[str]) -> None:
        self.template = template
        self.missing = missing
        names = ", ".join(sorted(missing))
        super().__init__(f"template {template}: missing value(s) for {names}")


class TemplatesRefusedError(ValueError):
    """A built-in default failed its own screening (a bug in the catalogue)."""


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str
    template_id: int
    version: int


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a save is refused, in English and Chinese (``line`` of the source if known)."""

    code: str
    message: str
    message_zh: str
    line: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
            "line": self.line,
        }


@dataclass(frozen=True, slots=True)
class SaveResult:
    saved: bool
    problems: tuple[Problem, ...] = ()
    report: Mapping[str, object] = field(default_factory=dict)  # as stored in screen_report
    hits: tuple[Mapping[str, object], ...] = ()
    disclosures: tuple[disclosures.DisclosureCheck, ...] = ()
    template_id: int | None = None
    version: int | None = None
    status: str | None = None

    @property
    def refused(self) -> bool:
        return not self.saved


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive value (SQLite returns those) is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _label(row: MessageTemplate) -> str:
    return f"{row.code} v{row.version} ({row.language}/{row.jurisdiction})"


# --- rendering -------------------------------------------------------------------------------


def get_template(
    session: Session,
    code: str,
    language: str,
    *,
    jurisdiction: str = "CN",
    version: int | None = None,
    on: datetime | None = None,
) -> MessageTemplate:
    """A given version, else the one active ``on`` a moment (default: the active one now)."""
    query = select(MessageTemplate).where(
        MessageTemplate.code == code, MessageTemplate.language == language
    )
    if version is not None:
        query = query.where(MessageTemplate.version == version)
    else:
        query = query.where(MessageTemplate.jurisdiction == jurisdiction)
        if on is None:
            query = query.where(MessageTemplate.status == TemplateStatus.ACTIVE.value)
        else:
            moment = as_utc(on)
            query = query.where(
                MessageTemplate.activated_at <= moment,
                or_(MessageTemplate.retired_at.is_(None), MessageTemplate.retired_at > moment),
            )
    row = session.scalars(query.order_by(MessageTemplate.version.desc())).first()
    if row is None:
        which = f"version {version}" if version is not None else "an active version"
        when = f" on {on.isoformat()}" if on is not None and version is None else ""
        raise TemplateNotFoundError(
            f"template {code} ({language}/{jurisdiction}) has no {which}{when}"
        )
    return row


def render_row(row: MessageTemplate, values: Mapping[str, object]) -> Rendered:
    """Render one stored version with ``values``."""
    subject, body = _compile(row.subject), _compile(row.body)
    missing = (subject.variables | body.variables) - set(values)
    if missing:
        raise MissingValueError(_label(row), frozenset(missing))
    try:
        return Rendered(
            subject.template.render(values), body.template.render(values), row.id, row.version
        )
    except SecurityError as exc:
        raise TemplateRenderError(f"template {_label(row)}: refused by the sandbox: {exc}") from exc
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateRenderError(f"template {_label(row)}: {exc}") from exc


def render(
    session: Session,
    code: str,
    language: str,
    values: Mapping[str, object],
    *,
    jurisdiction: str = "CN",
    on: datetime | None = None,
) -> Rendered:
    """The active version of ``code`` (or the one active at ``on``) rendered with ``values``."""
    return render_row(
        get_template(session, code, language, jurisdiction=jurisdiction, on=on), values
    )


def list_templates(session: Session, *, all_versions: bool = False) -> list[MessageTemplate]:
    """The active and draft versions (every version with ``all_versions``), by code."""
    query = select(MessageTemplate)
    if not all_versions:
        query = query.where(MessageTemplate.status != TemplateStatus.RETIRED.value)
    return list(
        session.scalars(
            query.order_by(
                MessageTemplate.code,
                MessageTemplate.language,
                MessageTemplate.jurisdiction,
                MessageTemplate.version,
            )
        )
    )


# --- screening a candidate -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Part:
    name: str  # "subject" or "body"
    name_zh: str
    source: str


def _literal_text(tree: nodes.Template) -> tuple[str, list[tuple[int, int]]]:
    """Every literal of the template, each branch included, joined by newlines, and where each
    piece starts: ``(offset in the joined text, source line)``."""
    pieces: list[str] = []
    starts: list[tuple[int, int]] = []
    offset = 0
    for node in tree.find_all((nodes.TemplateData, nodes.Const)):
        text: object = None
        if isinstance(node, nodes.TemplateData):
            text = node.data
        elif isinstance(node, nodes.Const):
            text = node.value
        if not isinstance(text, str) or not text.strip():
            continue
        starts.append((offset, node.lineno))
        pieces.append(text)
        offset += len(text) + 1
    return "\n".join(pieces), starts


def _line_of(text: str, starts: list[tuple[int, int]], at: int) -> int:
    line = 1
    for offset, lineno in starts:
        if offset > at:
            break
        line = lineno + text[offset:at].count("\n")
    return line


def _hit_json(hit: Hit, where: str, line: int | None) -> dict[str, object]:
    return {
        "where": where,
        "line": line,
        "category": hit.category.value,
        "phrase": hit.phrase,
        "matched": hit.matched,
        "effect": hit.effect.value,
    }


def _hit_problem(hit: Hit, part: _Part, line: int | None) -> Problem:
    label, label_zh = LABELS[hit.category]
    written = f' (written "{hit.matched}")' if hit.matched != hit.phrase else ""
    written_zh = f"（原文“{hit.matched}”）" if hit.matched != hit.phrase else ""
    if line is not None:
        where, where_zh = f"{part.name} line {line}", f"{part.name_zh}第{line}行"
    else:
        where, where_zh = f"{part.name} as rendered", f"{part.name_zh}（按示例值渲染后）"
    if hit.effect is Effect.BLOCK:
        what = f'banned wording ({label}): "{hit.phrase}"{written}'
        what_zh = f"禁用表述（{label_zh}）：“{hit.phrase}”{written_zh}"
    else:
        what = (
            f'wording lawful only when true and intended ({label}): "{hit.phrase}"{written}; '
            "not allowed in automatic messages"
        )
        what_zh = (
            f"仅在属实且确拟采取时方可使用的表述（{label_zh}）：“{hit.phrase}”{written_zh}，"
            "自动发送的消息不得使用"
        )
    return Problem(
        "banned-wording" if hit.effect is Effect.BLOCK else "needs-confirmation",
        f"{where}: {what}",
        f"{where_zh}：{what_zh}",
        line,
    )


def _validate_fields(
    code: str, channel: str, language: str, jurisdiction: str, subject: str, body: str, actor: str
) -> list[Problem]:
    problems: list[Problem] = []
    if not _CODE.match(code):
        problems.append(
            Problem(
                "bad-code",
                f"code {code!r} must be 1–64 capital letters, digits, - or _",
                f"模板编码 {code!r} 只能由 1–64 位大写字母、数字、- 或 _ 组成",
            )
        )
    if channel not in {c.value for c in Channel}:
        problems.append(
            Problem(
                "bad-channel",
                f"channel {channel!r} must be one of {', '.join(c.value for c in Channel)}",
                f"渠道 {channel!r} 无效",
            )
        )
    if language not in LANGUAGES:
        problems.append(
            Problem("bad-language", f"language {language!r} must be zh or en", "语言须为 zh 或 en")
        )
    if jurisdiction not in JURISDICTIONS:
        problems.append(
            Problem(
                "bad-jurisdiction",
                f"jurisdiction {jurisdiction!r} must be CN or US",
                "适用地区须为 CN 或 US",
            )
        )
    if not body.strip():
        problems.append(Problem("empty-body", "the body is empty", "正文为空"))
    if channel == Channel.EMAIL.value and not subject.strip():
        problems.append(Problem("empty-subject", "an email needs a subject", "邮件须有主题"))
    if not actor.strip():
        problems.append(Problem("no-actor", "who saves it must be named", "须注明保存人"))
    return problems


@dataclass
class _Screening:
    problems: list[Problem] = field(default_factory=list)
    hits: list[dict[str, object]] = field(default_factory=list)
    disclosures: tuple[disclosures.DisclosureCheck, ...] = ()
    samples: int = 0


def _screen_candidate(
    channel: str, language: str, jurisdiction: str, subject: str, body: str
) -> _Screening:
    result = _Screening()
    env = environment()
    parts = (_Part("subject", "主题", subject), _Part("body", "正文", body))
    trees: dict[str, nodes.Template] = {}
    for part in parts:
        try:
            trees[part.name] = env.parse(part.source)
        except TemplateSyntaxError as exc:
            result.problems.append(
                Problem(
                    "syntax",
                    f"{part.name} line {exc.lineno}: syntax error: {exc.message}",
                    f"{part.name_zh}第{exc.lineno}行语法错误：{exc.message}",
                    exc.lineno,
                )
            )
    if result.problems:
        return result
    used: set[str] = set()
    for tree in trees.values():
        used |= meta.find_undeclared_variables(tree)
    unknown = used - set(VARIABLES)
    if unknown:
        names = ", ".join(sorted(unknown))
        result.problems.append(
            Problem(
                "unknown-variable",
                f"unknown variable(s): {names} (known: {', '.join(VARIABLES)})",
                f"未知变量：{names}（可用变量：{'、'.join(VARIABLES)}）",
            )
        )

    warnings_refused = channel in _WARNINGS_REFUSED
    said: set[tuple[str, str, str]] = set()  # (category, phrase, effect): one problem each

    def note(hit: Hit, part: _Part, where: str, line: int | None) -> None:
        result.hits.append(_hit_json(hit, where, line))
        key = (hit.category.value, hit.phrase, hit.effect.value)
        if key in said or (hit.effect is Effect.WARN and not warnings_refused):
            return
        said.add(key)
        result.problems.append(_hit_problem(hit, part, line))

    # Literal text first: it has line numbers, and covers branches no sample takes.
    for part in parts:
        text, starts = _literal_text(trees[part.name])
        for hit in screen(text, language="auto").hits:
            note(hit, part, "literal", _line_of(text, starts, hit.start))
    if unknown:
        return result

    rendered_bodies: list[tuple[str, Mapping[str, object]]] = []
    for number, values in enumerate(SAMPLE_SETS, start=1):
        texts: dict[str, str] = {}
        for part in parts:
            try:
                texts[part.name] = env.from_string(trees[part.name]).render(values)
            except SecurityError as exc:
                result.problems.append(
                    Problem(
                        "unsafe",
                        f"{part.name}: refused by the sandbox: {exc}",
                        f"{part.name_zh}：沙箱拒绝了不安全的表达式：{exc}",
                    )
                )
                return result
            except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
                result.problems.append(
                    Problem(
                        "render-error",
                        f"{part.name}: rendering with sample values {number} failed: {exc}",
                        f"{part.name_zh}：使用第{number}组示例值渲染失败：{exc}",
                    )
                )
                return result
        result.samples = number
        rendered_bodies.append((texts["body"], values))
        for part in parts:
            for hit in screen(texts[part.name], language="auto").hits:
                note(hit, part, f"sample {number}", None)

    result.disclosures = disclosures.check(channel, jurisdiction, language, used, rendered_bodies)
    for item in result.disclosures:
        if not item.passed:
            result.problems.append(
                Problem(
                    "missing-disclosure",
                    f"missing required disclosure ({jurisdiction} {channel}): {item.title}"
                    f" (for example: {item.example})",
                    f"缺少必备披露（{jurisdiction} {_CHANNEL_ZH[channel]}）：{item.title_zh}"
                    f"（示例：{item.example}）",
                )
            )
    return result


def screen_template(
    channel: str, language: str, jurisdiction: str, subject: str, body: str
) -> SaveResult:
    """What ``save_template`` would say, without writing anything."""
    problems = _validate_fields("X", channel, language, jurisdiction, subject, body, "x")
    screening = (
        _Screening()
        if problems
        else _screen_candidate(channel, language, jurisdiction, subject, body)
    )
    problems += screening.problems
    return _result(False, screening, problems, _report(screening, problems, None))


def _result(
    saved: bool,
    screening: _Screening,
    problems: list[Problem],
    report: dict[str, object],
    row: MessageTemplate | None = None,
) -> SaveResult:
    return SaveResult(
        saved,
        tuple(problems),
        report,
        tuple(screening.hits),
        screening.disclosures,
        None if row is None else row.id,
        None if row is None else row.version,
        None if row is None else row.status,
    )


def _report(
    screening: _Screening, problems: list[Problem], at: datetime | None
) -> dict[str, object]:
    return {
        "screened_at": None if at is None else at.isoformat(),
        "samples": screening.samples,
        "hits": screening.hits,
        "disclosures": [item.as_json() for item in screening.disclosures],
        "problems": [problem.as_json() for problem in problems],
    }


# --- saving ----------------------------------------------------------------------------------


def save_template(
    session: Session,
    actor: str,
    code: str,
    channel: str,
    language: str,
    jurisdiction: str,
    subject: str,
    body: str,
    *,
    activate: bool = False,
    at: datetime | None = None,
) -> SaveResult:
    """Screen and, if clean, add a new version (active if ``activate``).

    A refusal lists every problem in English and Chinese and writes nothing. ``at`` is the
    moment of record (default: now); it is a timestamp, never a business date.
    """
    moment = as_utc(at or datetime.now(UTC))
    code = code.strip()
    problems = _validate_fields(code, channel, language, jurisdiction, subject, body, actor)
    screening = (
        _Screening()
        if problems
        else _screen_candidate(channel, language, jurisdiction, subject, body)
    )
    problems += screening.problems
    report = _report(screening, problems, moment)
    if problems:
        return _result(False, screening, problems, report)

    latest = session.scalar(
        select(func.max(MessageTemplate.version)).where(
            MessageTemplate.code == code, MessageTemplate.language == language
        )
    )
    row = MessageTemplate(
        code=code,
        channel=channel,
        language=language,
        jurisdiction=jurisdiction,
        version=(latest or 0) + 1,
        subject=subject,
        body=body,
        status=TemplateStatus.DRAFT.value,
        created_by=actor,
        created_at=moment,
        screened_at=moment,
        screen_report=report,
    )
    session.add(row)
    session.flush()
    retired = _activate(session, row, moment) if activate else None
    record(
        session,
        at=moment,
        actor=actor,
        action="template.save",
        entity="message_template",
        entity_id=row.id,
        detail={
            "code": code,
            "channel": channel,
            "language": language,
            "jurisdiction": jurisdiction,
            "version": row.version,
            "status": row.status,
            "retired_version": retired,
        },
    )
    return _result(True, screening, [], report, row)


def _activate(session: Session, row: MessageTemplate, moment: datetime) -> int | None:
    """Make ``row`` the active version; returns the version it retired, if any."""
    previous = session.scalars(
        select(MessageTemplate).where(
            MessageTemplate.code == row.code,
            MessageTemplate.language == row.language,
            MessageTemplate.jurisdiction == row.jurisdiction,
            MessageTemplate.status == TemplateStatus.ACTIVE.value,
            MessageTemplate.id != row.id,
        )
    ).all()
    for old in previous:
        old.status = TemplateStatus.RETIRED.value
        old.retired_at = moment
    row.status = TemplateStatus.ACTIVE.value
    row.activated_at = moment
    session.flush()
    return max((old.version for old in previous), default=None)


def activate_template(
    session: Session,
    actor: str,
    code: str,
    language: str,
    version: int,
    *,
    at: datetime | None = None,
) -> MessageTemplate:
    """Activate a draft version, retiring the active one in the same transaction.

    Only drafts: a retired version comes back by saving its text again as a new version, so
    each row's active period stays a single, truthful interval for ``render(on=...)``.
    """
    moment = as_utc(at or datetime.now(UTC))
    row = get_template(session, code, language, version=version)
    if row.status != TemplateStatus.DRAFT.value:
        raise ValueError(
            f"template {_label(row)} is {row.status}: only a draft can be activated "
            "(save the text again to bring back an old version)"
        )
    retired = _activate(session, row, moment)
    record(
        session,
        at=moment,
        actor=actor,
        action="template.activate",
        entity="message_template",
        entity_id=row.id,
        detail={
            "code": row.code,
            "language": row.language,
            "jurisdiction": row.jurisdiction,
            "version": row.version,
            "retired_version": retired,
        },
    )
    return row
