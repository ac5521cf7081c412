"""Message templates: versions, screening on save, required disclosures, rendering, the CLI.

Every test runs on SQLite and on a real temporary PostgreSQL (the ``engine`` fixture). The
banned phrases used are real entries of the packaged word lists (坐牢 in zh.txt [FALSE_LEGAL],
"jail" in en.txt [FALSE_LEGAL]); each test first shows the screen flags it, so a change to the
lists shows up here rather than passing silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from jinja2.exceptions import SecurityError
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from huikuan.audit.models import AuditLog
from huikuan.audit.service import verify
from huikuan.compliance.content import screen
from huikuan.db.engine import transaction
from huikuan.db.migrate import downgrade, upgrade
from huikuan.db.registry import metadata
from huikuan.messaging.catalogue import DEFAULTS, install_defaults
from huikuan.messaging.cli import app
from huikuan.messaging.models import MessageTemplate
from huikuan.messaging.service import (
    SAMPLE_SETS,
    MissingValueError,
    SaveResult,
    TemplateNotFoundError,
    activate_template,
    environment,
    get_template,
    render,
    save_template,
    screen_template,
)
from huikuan.settings import get_settings

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)

CN_SMS = (
    "【{{ institution }}】尊敬的客户，您的账户已逾期{{ dpd }}天，欠款{{ amount|yuan }}元，"
    "请尽快还款。工号{{ agent_no }}。回复TD退订"
)
US_SMS = (
    "{{ institution }}: your account is {{ dpd }} days past due. "
    "This is a communication from a debt collector. Reply STOP to opt out."
)
VALUES = {"institution": "招商示例银行", "dpd": 3, "amount": 123456, "agent_no": "A0427"}


@pytest.fixture
def db(engine: Engine) -> Engine:
    upgrade(engine)
    return engine


def _save(
    engine: Engine,
    body: str,
    *,
    code: str = "SMS-TEST",
    activate: bool = False,
    channel: str = "sms",
    language: str = "zh",
    jurisdiction: str = "CN",
    subject: str = "",
) -> SaveResult:
    with transaction(engine) as session:
        return save_template(
            session,
            "alice",
            code,
            channel,
            language,
            jurisdiction,
            subject,
            body,
            activate=activate,
            at=T0,
        )


def _rows(engine: Engine) -> int:
    with transaction(engine) as session:
        return int(session.scalar(select(func.count()).select_from(MessageTemplate)) or 0)


def _codes(result: SaveResult) -> set[str]:
    return {problem.code for problem in result.problems}


def _missing(result: SaveResult) -> set[str]:
    return {item.code for item in result.disclosures if not item.passed}


# --- schema ----------------------------------------------------------------------------------


def test_migration_builds_the_model_and_downgrades(db: Engine) -> None:
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [d for d in differences if "message_templates" in repr(d)] == []
    downgrade(db, "0007")
    with db.connect() as connection:
        ours = [
            d
            for d in compare_metadata(MigrationContext.configure(connection), metadata)
            if "message_templates" in repr(d)
        ]
    assert ours, "after downgrading to 0007 the table must be gone"
    upgrade(db)


# --- versions --------------------------------------------------------------------------------


def test_versions_are_new_rows_and_activation_retires_the_previous_one(db: Engine) -> None:
    draft = _save(db, CN_SMS)
    assert draft.saved, draft.problems
    assert (draft.version, draft.status) == (1, "draft")
    with transaction(db) as session, pytest.raises(TemplateNotFoundError, match="SMS-TEST"):
        render(session, "SMS-TEST", "zh", VALUES)

    second = _save(db, CN_SMS.replace("请尽快还款", "请及时还款"), activate=True)
    third_at = T0 + timedelta(hours=5)
    with transaction(db) as session:
        third = save_template(
            session, "bob", "SMS-TEST", "sms", "zh", "CN", "", CN_SMS, activate=True, at=third_at
        )
    assert (second.version, third.version, third.status) == (2, 3, "active")

    with transaction(db) as session:
        rows = session.scalars(select(MessageTemplate).order_by(MessageTemplate.version)).all()
        assert [(r.version, r.status) for r in rows] == [
            (1, "draft"),
            (2, "retired"),
            (3, "active"),
        ]
        assert rows[1].body != rows[2].body  # version 2 kept its own text
        assert rows[2].screen_report["problems"] == []
        now = render(session, "SMS-TEST", "zh", VALUES)
        before = render(session, "SMS-TEST", "zh", VALUES, on=T0 + timedelta(hours=1))
        assert (now.version, now.template_id) == (3, rows[2].id)
        assert before.version == 2
        assert "请及时还款" in before.body
        assert now.body.startswith("【招商示例银行】")
        assert "1,234.56元" in now.body
        with pytest.raises(TemplateNotFoundError):
            render(session, "SMS-TEST", "zh", VALUES, on=T0 - timedelta(seconds=1))
        saves = session.scalars(
            select(AuditLog).where(AuditLog.entity == "message_template").order_by(AuditLog.seq)
        ).all()
        assert [(a.action, a.actor) for a in saves] == [
            ("template.save", "alice"),
            ("template.save", "alice"),
            ("template.save", "bob"),
        ]
        assert json.loads(saves[2].detail)["retired_version"] == 2
        assert verify(session) == []


def test_a_draft_is_activated_later_and_only_a_draft(db: Engine) -> None:
    assert _save(db, CN_SMS, activate=True).version == 1
    assert _save(db, CN_SMS.replace("欠款", "应还")).status == "draft"
    with transaction(db) as session:
        row = activate_template(session, "carol", "SMS-TEST", "zh", 2, at=T0 + timedelta(1))
        assert row.status == "active"
        assert get_template(session, "SMS-TEST", "zh", version=1).status == "retired"
        with pytest.raises(ValueError, match="only a draft"):
            activate_template(session, "carol", "SMS-TEST", "zh", 1)
        assert "应还1,234.56元" in render(session, "SMS-TEST", "zh", VALUES).body


def test_one_code_has_a_cn_and_a_us_variant(db: Engine) -> None:
    cn = CN_SMS.replace("尊敬的客户，您的", "Dear customer, your ").replace(
        "回复TD退订", "Reply TD to unsubscribe."
    )
    assert _save(db, cn, language="en", activate=True).saved
    assert _save(db, US_SMS, language="en", jurisdiction="US", activate=True).version == 2
    with transaction(db) as session:
        us = render(session, "SMS-TEST", "en", VALUES, jurisdiction="US")
        cn_text = render(session, "SMS-TEST", "en", VALUES)
    assert us.version == 2
    assert "from a debt collector" in us.body
    assert cn_text.version == 1
    assert cn_text.body.startswith("【")


# --- refusals: banned wording ----------------------------------------------------------------


def test_banned_phrase_is_refused_and_nothing_is_written(db: Engine) -> None:
    assert screen("坐牢").blocked
    assert screen("go to jail").blocked
    result = _save(db, CN_SMS.replace("请尽快还款", "再不还款就让你坐牢"), activate=True)
    assert result.refused
    assert _codes(result) == {"banned-wording"}
    [problem] = result.problems
    assert problem.line == 1
    assert "坐牢" in problem.message
    assert "坐牢" in problem.message_zh
    assert "banned wording" in problem.message
    assert "禁用表述" in problem.message_zh

    us = _save(db, US_SMS.replace("past due.", "past due. Pay or go to jail."), jurisdiction="US")
    assert us.refused
    assert "jail" in us.problems[0].message
    assert _rows(db) == 0
    with transaction(db) as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_banned_phrase_hidden_in_a_jinja_literal_is_refused(db: Engine) -> None:
    hidden = CN_SMS.replace("请尽快还款", "{{ '坐' ~ '牢' }}")
    escaped = CN_SMS.replace("请尽快还款", '{{ "\\u5750\\u7262" }}')  # 坐牢 as escapes
    for body in (hidden, escaped):
        result = _save(db, body)
        assert "banned-wording" in _codes(result), body
        assert any(hit["where"] == "literal" for hit in result.hits)
    assert _rows(db) == 0


def test_banned_phrase_in_a_branch_no_sample_takes_is_refused(db: Engine) -> None:
    # No sample set has dpd > 400: the rendered text never shows the branch, the literal
    # screen (every literal of every branch) does, with the line it is on.
    assert all(int(str(values["dpd"])) <= 400 for values in SAMPLE_SETS)
    body = CN_SMS + "\n{% if dpd > 400 %}\n不还钱就坐牢\n{% endif %}"
    result = _save(db, body)
    assert result.refused
    assert [(p.code, p.line) for p in result.problems] == [("banned-wording", 3)]
    assert {hit["where"] for hit in result.hits} == {"literal"}


def test_banned_phrase_made_by_a_filter_is_caught_in_the_rendering(db: Engine) -> None:
    assert screen("牢坐").clean  # the literal alone is harmless …
    result = _save(db, CN_SMS.replace("请尽快还款", "{{ '牢坐'|reverse }}"))
    assert result.refused  # … the rendered text is not
    assert {hit["where"] for hit in result.hits} == {"sample 1", "sample 2", "sample 3"}


def test_warning_wording_is_refused_in_sms_but_kept_for_a_person_in_a_letter(db: Engine) -> None:
    assert screen("我们将起诉您").warnings
    sms = _save(db, CN_SMS.replace("请尽快还款", "否则我们将起诉您"))
    assert _codes(sms) == {"needs-confirmation"}
    letter = _save(
        db,
        "{{ institution }}：如逾期不还，我们将起诉您。咨询电话{{ hotline }}",
        code="LETTER-TEST",
        channel="letter",
    )
    assert letter.saved
    assert [hit["effect"] for hit in letter.hits if hit["where"] == "literal"] == ["warn"]


# --- refusals: disclosures -------------------------------------------------------------------


def _default(code: str, language: str, jurisdiction: str) -> tuple[str, str, str]:
    for item in DEFAULTS:
        if (item.code, item.language, item.jurisdiction) == (code, language, jurisdiction):
            return item.channel, item.subject, item.body
    raise AssertionError(f"no default {code} {language} {jurisdiction}")


@pytest.mark.parametrize(
    ("code", "language", "jurisdiction", "remove", "missing"),
    [
        ("SMS-M1-D1", "zh", "CN", "回复TD退订", "CN-SMS-OPT-OUT"),
        ("SMS-M1-D1", "zh", "CN", r"工号\{\{ agent_no \}\}。", "CN-AGENT-NO"),
        ("SMS-M1-D1", "zh", "CN", r"【\{\{ institution \}\}】", "CN-SMS-SIGNATURE"),
        ("SMS-M1-D1", "en", "CN", r"Reply TD to unsubscribe\.", "CN-SMS-OPT-OUT"),
        ("EMAIL-M2-NOTICE", "zh", "CN", r"如有疑问请致电\{\{ hotline \}\}。", "HOTLINE"),
        ("EMAIL-M2-NOTICE", "zh", "CN", r"如不希望.*退订”。", "CN-EMAIL-UNSUBSCRIBE"),
        ("SMS-M1-D1", "en", "US", r"This is a communication from a debt collector\. ", "US-1006.18(e)"),  # noqa: E501
        ("SMS-M1-D1", "en", "US", r" Reply STOP to opt out\.", "US-1006.6(e)-SMS"),
        ("EMAIL-M2-NOTICE", "en", "US", r"To stop receiving emails.*\.", "US-1006.6(e)-EMAIL"),
        ("LETTER-COVER", "zh", "CN", r"可致电\{\{ hotline \}\}或", "HOTLINE"),
        ("CALL-M1", "en", "US", r"This is an attempt .* may be recorded\.", "US-1006.18(e)"),
        ("CALL-M1", "zh", "CN", r"，工号\{\{ agent_no \}\}", "CN-AGENT-NO"),
    ],
)  # fmt: skip
def test_a_missing_disclosure_is_refused(
    db: Engine, code: str, language: str, jurisdiction: str, remove: str, missing: str
) -> None:
    channel, subject, body = _default(code, language, jurisdiction)
    stripped = re.sub(remove, "", body)
    assert stripped != body
    fields = {"code": code, "channel": channel, "subject": subject, "language": language}
    kept = _save(db, body, jurisdiction=jurisdiction, **fields)
    assert kept.saved, kept.problems
    result = _save(db, stripped, jurisdiction=jurisdiction, **fields)
    assert result.refused
    assert _missing(result) == {missing}
    assert _codes(result) == {"missing-disclosure"}
    assert all("缺少必备披露" in p.message_zh for p in result.problems)
    assert _rows(db) == 1


def test_a_disclosure_only_some_renderings_show_is_missing(db: Engine) -> None:
    body = CN_SMS.replace("回复TD退订", "{% if dpd > 30 %}回复TD退订{% endif %}")
    assert _missing(_save(db, body)) == {"CN-SMS-OPT-OUT"}


def test_a_signature_that_is_only_a_literal_name_is_not_the_institution(db: Engine) -> None:
    body = CN_SMS.replace("【{{ institution }}】", "【示例银行】")
    assert _missing(_save(db, body)) == {"CN-SMS-SIGNATURE"}


# --- parse and render errors -----------------------------------------------------------------


def test_a_syntax_error_is_reported_with_its_line(db: Engine) -> None:
    body = CN_SMS + "\n第二行\n{{ amount | }}"
    result = _save(db, body)
    [problem] = result.problems
    assert (problem.code, problem.line) == ("syntax", 3)
    assert "line 3" in problem.message
    assert "第3行" in problem.message_zh
    unclosed = _save(db, "{% if dpd > 3 %}\n" + CN_SMS, subject="")
    assert _codes(unclosed) == {"syntax"}
    assert _rows(db) == 0


def test_unknown_variables_are_refused_on_save(db: Engine) -> None:
    result = _save(db, CN_SMS + "{{ debtor_id_number }}")
    assert _codes(result) == {"unknown-variable"}
    assert "debtor_id_number" in result.problems[0].message


def test_a_missing_value_names_the_template_and_the_variable(db: Engine) -> None:
    body = CN_SMS + "{% if dpd > 400 %}{{ hotline }}{% endif %}"
    assert _save(db, body, activate=True).saved
    with transaction(db) as session:
        with pytest.raises(MissingValueError) as caught:
            render(session, "SMS-TEST", "zh", {k: v for k, v in VALUES.items() if k != "agent_no"})
        message = str(caught.value)
        assert "SMS-TEST v1" in message
        assert "agent_no" in message
        # Strict in every branch: hotline is needed although dpd=3 skips its branch.
        with pytest.raises(MissingValueError, match="hotline"):
            render(session, "SMS-TEST", "zh", VALUES)
        text = render(session, "SMS-TEST", "zh", VALUES | {"hotline": "95588"}).body
    assert "95588" not in text


def test_the_sandbox_refuses_attribute_access(db: Engine) -> None:
    result = _save(db, CN_SMS + "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    assert _codes(result) == {"unsafe"}
    assert "__class__" in result.problems[0].message
    assert _rows(db) == 0
    with pytest.raises(SecurityError):
        environment().from_string("{{ ''.__class__ }}").render()


def test_filters_print_exact_amounts_and_masked_phones() -> None:
    template = environment().from_string("{{ a|yuan }} {{ b|yuan }} {{ p|mask_phone }}")
    assert template.render(a=123456, b=5, p="13800138000") == "1,234.56 0.05 138****8000"
    for wrong in ("1234.56", 12.5, True):
        with pytest.raises(TypeError, match="minor units"):
            template.render(a=wrong, b=1, p="1")


# --- defaults --------------------------------------------------------------------------------


def test_every_default_passes_screening_without_a_single_hit() -> None:
    assert len({(d.code, d.language, d.jurisdiction) for d in DEFAULTS}) == len(DEFAULTS)
    for item in DEFAULTS:
        result = screen_template(
            item.channel, item.language, item.jurisdiction, item.subject, item.body
        )
        assert result.problems == (), (item.code, item.language, item.jurisdiction)
        assert result.hits == ()
        assert result.disclosures
        assert all(check.passed for check in result.disclosures)


def test_install_defaults_twice_saves_once_and_keeps_a_persons_edit(db: Engine) -> None:
    with transaction(db) as session:
        assert install_defaults(session, at=T0) == len(DEFAULTS)
    with transaction(db) as session:
        assert install_defaults(session, at=T0 + timedelta(1)) == 0
    assert _rows(db) == len(DEFAULTS)

    _channel, _, body = _default("SMS-M1-D5", "zh", "CN")
    edited = body.replace("如需分期还款可联系我们协商。", "如需协商还款请致电{{ hotline }}。")
    assert _save(db, edited, code="SMS-M1-D5", activate=True).saved
    with transaction(db) as session:
        assert install_defaults(session, at=T0 + timedelta(2)) == 0
        active = get_template(session, "SMS-M1-D5", "zh")
        assert (active.created_by, active.version) == ("alice", 2)
        for item in DEFAULTS:
            values = dict(SAMPLE_SETS[1])
            rendered = render(
                session, item.code, item.language, values, jurisdiction=item.jurisdiction
            )
            assert rendered.body
            assert "{{" not in rendered.body
        outsourcing = render(
            session,
            "SMS-OUTSOURCING-NOTICE",
            "zh",
            {"institution": "示例银行", "agency": "示例公司", "hotline": "95588", "agent_no": "x"},
        )
    assert "已委托示例公司协助联系您" in outsourcing.body


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def runner(db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUIKUAN_DATABASE_URL", db.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_save_exit_codes_render_and_show(runner: CliRunner, tmp_path: Path, db: Engine) -> None:
    clean, banned = tmp_path / "clean.j2", tmp_path / "banned.j2"
    clean.write_text(CN_SMS, encoding="utf-8")
    banned.write_text(CN_SMS.replace("请尽快还款", "不还就坐牢"), encoding="utf-8")
    options = ["--channel", "sms", "--language", "zh", "--jurisdiction", "CN"]

    refused = runner.invoke(app, ["save", "SMS-CLI", *options, "--file", str(banned)])
    assert refused.exit_code == 1, refused.output
    assert "坐牢" in refused.output
    assert "禁用表述" in refused.output
    assert _rows(db) == 0

    saved = runner.invoke(
        app, ["save", "SMS-CLI", *options, "--file", str(clean), "--activate", "--json"]
    )
    assert saved.exit_code == 0, saved.output
    payload = json.loads(saved.stdout)
    assert (payload["saved"], payload["version"], payload["status"]) == (True, 1, "active")
    assert {d["code"] for d in payload["report"]["disclosures"]} == {
        "CN-SMS-SIGNATURE",
        "CN-AGENT-NO",
        "CN-SMS-OPT-OUT",
    }

    rendered = runner.invoke(app, ["render", "SMS-CLI", "--values", json.dumps(VALUES)])
    assert rendered.exit_code == 0, rendered.output
    assert "逾期3天，欠款1,234.56元" in rendered.stdout
    missing = runner.invoke(app, ["render", "SMS-CLI", "--values", '{"dpd": 3}'])
    assert missing.exit_code == 1
    assert "agent_no" in missing.output

    shown = runner.invoke(app, ["show", "SMS-CLI", "--version", "1"])
    assert shown.exit_code == 0, shown.output
    assert "[active]" in shown.output
    assert "回复TD退订" in shown.output
    assert runner.invoke(app, ["show", "SMS-NONE"]).exit_code == 1
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0
    assert "SMS-CLI" in listed.output
