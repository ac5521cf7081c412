"""Letters as real PDFs: rendered by WeasyPrint, read back with pypdf, spooled by the channel.

The checks read the text out of the PDF, so they prove the Chinese font is embedded with a
usable text mapping, not just that some bytes were written.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select

from huikuan.compliance.content import screen
from huikuan.core.money import format_minor
from huikuan.db.engine import transaction
from huikuan.db.migrate import upgrade
from huikuan.dispatch import outbox
from huikuan.dispatch.channels import OutboundMessage, PermanentFailure, TemporaryFailure
from huikuan.dispatch.models import OutboxMessage
from huikuan.dispatch.worker import run_worker
from huikuan.letters import (
    AmountOwed,
    IncompleteLetterError,
    LetterContent,
    from_params,
    letter_text,
    missing_elements,
    render_pdf,
    specimen,
    to_params,
)
from huikuan.letters.channel import LetterChannel, safe_name
from huikuan.security.crypto import FieldCipher

LETTER_DATE = date(2026, 3, 2)
NAME_CONTEXT = "debtor.name"
ADDRESS_CONTEXT = "contact.value"


def squeeze(text: str) -> str:
    """Text without whitespace: PDF extraction may break lines anywhere."""
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """Base font name -> whether its font program is embedded, over every page."""
    found: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for reference in fonts.get_object().values():
            font = reference.get_object()
            descriptors = [font.get("/FontDescriptor")]
            for descendant in font.get("/DescendantFonts", []) or []:
                descriptors.append(descendant.get_object().get("/FontDescriptor"))
            embedded = any(
                descriptor is not None
                and any(key in descriptor.get_object() for key in ("/FontFile2", "/FontFile3"))
                for descriptor in descriptors
            )
            found[str(font["/BaseFont"])] = embedded
    return found


@pytest.fixture(scope="module")
def zh_letter() -> LetterContent:
    return specimen("zh", letter_date=LETTER_DATE)


@pytest.fixture(scope="module")
def zh_collection_pdf(zh_letter: LetterContent) -> bytes:
    return render_pdf(zh_letter, kind="collection", language="zh")


@pytest.fixture(scope="module")
def zh_lawyer_pdf(zh_letter: LetterContent) -> bytes:
    return render_pdf(zh_letter, kind="lawyer", language="zh")


# --- rendering -------------------------------------------------------------------------------


def test_chinese_collection_letter_states_the_elements_in_extractable_text(
    zh_letter: LetterContent, zh_collection_pdf: bytes
) -> None:
    assert zh_collection_pdf.startswith(b"%PDF-")
    text = squeeze(pdf_text(zh_collection_pdf))
    assert zh_letter.amount is not None
    assert format_minor(zh_letter.amount.total) == "12,345.67"
    for needle in (
        "催收通知函",
        "尊敬的张三：",
        "合计12,345.67元",  # total, in yuan with grouping
        "本金10,000.00元",
        "利息2,000.00元",
        "罚息345.67元",
        "费用0.00元",
        "截至2026年3月1日",
        "请于2026年3月17日前提出，并提交相关证据",  # objection deadline
        "致电400-000-0000转3或致函本行信用卡中心",  # objection route
        "《信用卡领用合约》",  # legal basis
        "您有权查询账户明细",  # rights and duties
        "催收人员工号：CS-0427",  # agency letter: collector number
        "本函由示例资产管理有限公司受示例银行股份有限公司信用卡中心委托发出",
        "编号：HK-2026-000123",
        "日期：2026年3月2日",
        "样本SPECIMEN",  # a demo letter says so
        "第1页，共2页",
    ):
        assert squeeze(needle) in text, needle


def test_pdf_embeds_wenquanyi_micro_hei(zh_collection_pdf: bytes) -> None:
    fonts = embedded_fonts(zh_collection_pdf)
    wqy = {name: embedded for name, embedded in fonts.items() if "WenQuanYi" in name}
    assert wqy, (
        f"no WenQuanYi font in the PDF (fonts: {sorted(fonts)}); "
        "run scripts/ensure-system-packages.sh to install fonts-wqy-microhei"
    )
    assert all(wqy.values()), f"WenQuanYi is referenced but not embedded: {wqy}"
    # Every font in a letter is the CJK family: no fallback font slipped in for some glyphs.
    assert set(wqy) == set(fonts)


def test_pdf_metadata_is_fixed_and_rendering_is_deterministic(
    zh_letter: LetterContent, zh_collection_pdf: bytes
) -> None:
    reader = PdfReader(io.BytesIO(zh_collection_pdf))
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.get("/CreationDate") == "D:20260302"  # the letter's date, not the clock
    assert "/ModDate" not in metadata
    assert metadata.title == "催收通知函 HK-2026-000123"
    assert render_pdf(zh_letter, kind="collection", language="zh") == zh_collection_pdf
    later = replace(zh_letter, letter_date=date(2026, 3, 3))
    assert render_pdf(later, kind="collection", language="zh") != zh_collection_pdf


def test_same_letter_gives_the_same_bytes_in_another_process(zh_collection_pdf: bytes) -> None:
    script = (
        "import sys, datetime\n"
        "from huikuan.letters import render_pdf, specimen\n"
        "content = specimen('zh', letter_date=datetime.date(2026, 3, 2))\n"
        "sys.stdout.buffer.write(render_pdf(content, kind='collection', language='zh'))\n"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=True, env=environment
    ).stdout
    assert other == zh_collection_pdf


def test_chinese_lawyer_letter(zh_letter: LetterContent, zh_lawyer_pdf: bytes) -> None:
    text = squeeze(pdf_text(zh_lawyer_pdf))
    for needle in (
        "律师函",
        "致张三：",
        "示例律师事务所（以下简称“本所”）接受示例银行股份有限公司信用卡中心",
        "指派李明律师（执业证号：11101202610000001）",
        "合计12,345.67元",
        "请于2026年3月17日前履行",  # demand deadline
        "请于2026年3月17日前提出，并提交相关证据",  # objection deadline
        "委托人保留依法通过诉讼或仲裁途径主张权利的权利",  # consequences, stated as facts
        "不是人民法院、仲裁机构或其他国家机关的法律文书",  # never passes for a court paper
        "承办人：李明",
    ):
        assert squeeze(needle) in text, needle
    assert "WenQuanYi" in " ".join(embedded_fonts(zh_lawyer_pdf))
    # Nothing of a court document's furniture (case numbers, summons, enforcement notices).
    for court_word in ("传票", "判决书", "执行通知", "人民法院公告", "民初"):
        assert court_word not in text


def test_english_variants_render() -> None:
    content = specimen("en", letter_date=LETTER_DATE)
    collection = squeeze(pdf_text(render_pdf(content, kind="collection", language="en")))
    for needle in (
        "Collection notice",
        "Dear Zhang San,",
        "CNY 12,345.67",
        "Penalty interest",
        "please tell us by 17 March 2026",
        "Call 400-000-0000 (option 3)",
        "Collector number: CS-0427",
        "Page 1 of 2",
    ):
        assert squeeze(needle) in collection, needle
    lawyer = squeeze(pdf_text(render_pdf(content, kind="lawyer", language="en")))
    for needle in (
        "Example Law Firm LLP",
        "licence no. 11101202610000001",
        "please do so by 17 March 2026",
        "It is not a document of a court",
    ):
        assert squeeze(needle) in lawyer, needle


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_first_page_rasterises_as_an_a4_page(zh_collection_pdf: bytes, tmp_path: Path) -> None:
    source = tmp_path / "letter.pdf"
    source.write_bytes(zh_collection_pdf)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", source, "page"],
        cwd=tmp_path,
        check=True,
    )
    png = (tmp_path / "page.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    height = int.from_bytes(png[20:24], "big")
    assert abs(height / width - 297 / 210) < 0.01


# --- what the compliance guard screens ---------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", ["collection", "lawyer"])
def test_letter_text_is_what_is_printed_and_passes_the_screen(kind: str, language: str) -> None:
    content = specimen(language, letter_date=LETTER_DATE)  # type: ignore[arg-type]
    text = letter_text(content, kind, language)  # type: ignore[arg-type]
    assert content.debtor_name in text
    assert content.objection_route.splitlines()[0] in text
    result = screen(text, language=language)  # type: ignore[arg-type]
    assert result.clean, [(hit.phrase, hit.category) for hit in result.hits]


def test_letter_text_carries_free_text_to_the_screen(zh_letter: LetterContent) -> None:
    threatening = replace(zh_letter, reason="再不还款后果自负，我们会派人上门抓人。")
    result = screen(letter_text(threatening, "collection", "zh"), language="zh")
    assert result.blocked
    assert {hit.phrase for hit in result.hits} >= {"后果自负", "上门抓人"}


# --- required elements ---------------------------------------------------------------------


def test_complete_specimen_misses_nothing(zh_letter: LetterContent) -> None:
    assert missing_elements(zh_letter) == []
    assert missing_elements(zh_letter, "lawyer") == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"objection_route": "  "}, ["objection_route"]),
        ({"debtor_name": ""}, ["debtor_name"]),
        ({"legal_basis": ""}, ["legal_basis"]),
        ({"seal_institution": ""}, ["seal"]),
        ({"amount": None}, ["amount_owed"]),
        ({"amount": AmountOwed(principal=0)}, ["amount_owed"]),
        ({"objection_deadline": LETTER_DATE}, ["objection_deadline"]),  # no time to object
        ({"collector_number": ""}, ["collector_number"]),  # the agency sends it
        (
            {"creditor_contact": "", "rights_and_duties": ""},
            ["rights_and_duties", "creditor_contact"],
        ),
    ],
)
def test_missing_elements_names_what_was_removed(
    zh_letter: LetterContent, change: dict[str, object], expected: list[str]
) -> None:
    incomplete = replace(zh_letter, **change)  # type: ignore[arg-type]
    assert missing_elements(incomplete) == expected
    with pytest.raises(IncompleteLetterError) as caught:
        render_pdf(incomplete)
    assert list(caught.value.missing) == expected


def test_a_bank_letter_needs_no_collector_number(zh_letter: LetterContent) -> None:
    own = replace(zh_letter, agency_name="", collector_number="")
    assert missing_elements(own) == []
    assert "委托发出" not in letter_text(own, "collection", "zh")


def test_lawyer_letter_needs_its_own_elements(zh_letter: LetterContent) -> None:
    assert zh_letter.lawyer is not None
    assert missing_elements(replace(zh_letter, lawyer=None), "lawyer") == ["lawyer"]
    partial = replace(zh_letter.lawyer, licence_number="", deadline=None)
    assert missing_elements(replace(zh_letter, lawyer=partial), "lawyer") == [
        "lawyer.licence_number",
        "lawyer.deadline",
    ]
    assert missing_elements(replace(zh_letter, lawyer=partial), "collection") == []


def test_params_round_trip(zh_letter: LetterContent, cipher: FieldCipher) -> None:
    params = to_params(
        zh_letter,
        kind="lawyer",
        encrypt_name=lambda name: cipher.encrypt(name, context=NAME_CONTEXT),
    )
    assert all(isinstance(value, str) for value in params.values())
    assert "debtor_name" not in params
    assert zh_letter.debtor_name not in " ".join(params.values())
    revealed = {key: value for key, value in params.items() if not key.endswith("_enc")}
    revealed["debtor_name"] = cipher.decrypt(params["debtor_name_enc"], context=NAME_CONTEXT)
    assert from_params(revealed, debtor_address=zh_letter.debtor_address) == zh_letter


# --- the channel -----------------------------------------------------------------------------


def outbound(
    content: LetterContent, cipher: FieldCipher, key: str = "letter:case-17:2026-03-02"
) -> OutboundMessage:
    return OutboundMessage(
        send_key=key,
        sender="",
        recipient=content.debtor_address,
        subject="",
        body="",
        template="collection",
        params=to_params(
            content, encrypt_name=lambda name: cipher.encrypt(name, context=NAME_CONTEXT)
        ),
    )


def letter_channel(spool: Path, cipher: FieldCipher) -> LetterChannel:
    return LetterChannel(spool, lambda token: cipher.decrypt(token, context=NAME_CONTEXT))


def test_channel_spools_the_pdf_once_and_is_idempotent(
    zh_letter: LetterContent, zh_collection_pdf: bytes, cipher: FieldCipher, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    channel = letter_channel(spool, cipher)
    message = outbound(zh_letter, cipher)
    first = channel.send(message)
    target = spool / f"{safe_name(message.send_key)}.pdf"
    assert re.fullmatch(r"letter-case-17-2026-03-02-[0-9a-f]{12}\.pdf", target.name)
    assert sorted(path.name for path in spool.iterdir()) == [target.name]  # no temp file left
    assert target.read_bytes() == zh_collection_pdf  # the debtor's name was revealed
    assert first.provider_message_id.startswith(f"spool:{target.name}#sha256=")
    before = target.stat()

    again = channel.send(message)
    assert again == first
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_channel_never_rewrites_a_spooled_letter(
    zh_letter: LetterContent, cipher: FieldCipher, tmp_path: Path
) -> None:
    channel = letter_channel(tmp_path, cipher)
    message = outbound(zh_letter, cipher)
    target = channel.path_for(message.send_key)
    target.write_bytes(b"already collected by the print house")
    channel.send(message)
    assert target.read_bytes() == b"already collected by the print house"


def test_channel_fails_permanently_on_missing_elements(
    zh_letter: LetterContent, cipher: FieldCipher, tmp_path: Path
) -> None:
    channel = letter_channel(tmp_path, cipher)
    incomplete = replace(zh_letter, objection_route="", objection_deadline=None)
    with pytest.raises(PermanentFailure) as caught:
        channel.send(outbound(incomplete, cipher))
    assert "objection_route" in str(caught.value)
    assert "objection_deadline" in str(caught.value)
    assert zh_letter.debtor_name not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_channel_fails_permanently_on_an_unreadable_token(
    zh_letter: LetterContent, cipher: FieldCipher, tmp_path: Path
) -> None:
    channel = LetterChannel(tmp_path, lambda token: cipher.decrypt(token, context="other.field"))
    with pytest.raises(PermanentFailure, match="debtor_name_enc: DecryptionError"):
        channel.send(outbound(zh_letter, cipher))


def test_channel_fails_permanently_on_malformed_amounts(
    zh_letter: LetterContent, cipher: FieldCipher, tmp_path: Path
) -> None:
    message = outbound(zh_letter, cipher)
    broken = replace(message, params={**message.params, "principal": "10,000.00"})
    with pytest.raises(PermanentFailure, match="principal must be a whole number"):
        letter_channel(tmp_path, cipher).send(broken)


def test_disk_errors_are_temporary(
    zh_letter: LetterContent, cipher: FieldCipher, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool folder should be")
    channel = letter_channel(blocker / "spool", cipher)
    with pytest.raises(TemporaryFailure, match=r"spool.*NotADirectoryError"):
        channel.send(outbound(zh_letter, cipher))


def test_different_send_keys_never_share_a_file() -> None:
    assert safe_name("letter/1") != safe_name("letter:1") != safe_name("letter-1")
    assert not safe_name("../../etc/passwd").startswith(".")
    assert "/" not in safe_name("../../etc/passwd")


def test_outbox_worker_delivers_letters_through_the_channel(
    engine: Engine, zh_letter: LetterContent, cipher: FieldCipher, tmp_path: Path
) -> None:
    upgrade(engine)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    incomplete = replace(zh_letter, rights_and_duties="")

    def staged(key: str, content: LetterContent) -> outbox.NewMessage:
        return outbox.NewMessage(
            send_key=key,
            channel="letter",
            sender="print-house",
            recipient=cipher.encrypt(content.debtor_address, context=ADDRESS_CONTEXT),
            body="",
            not_before=now,
            template_code="collection",
            template_params=to_params(
                content, encrypt_name=lambda name: cipher.encrypt(name, context=NAME_CONTEXT)
            ),
        )

    with transaction(engine) as session:
        outbox.stage(session, [staged("good", zh_letter), staged("bad", incomplete)], now=now)
    spool = tmp_path / "spool"
    stats = run_worker(
        engine,
        {"letter": letter_channel(spool, cipher)},
        "w1",
        lambda: now,
        reveal=lambda row: cipher.decrypt(row.recipient, context=ADDRESS_CONTEXT),
        stop_when_idle=True,
    )
    assert (stats.sent, stats.failed) == (1, 1)
    with transaction(engine) as session:
        rows = {row.send_key: row for row in session.scalars(select(OutboxMessage))}
    assert rows["good"].status == "sent"
    assert (rows["good"].provider_message_id or "").startswith("spool:good.pdf#sha256=")
    assert rows["bad"].status == "failed"
    assert "rights_and_duties" in (rows["bad"].last_error or "")
    assert [path.name for path in spool.iterdir()] == ["good.pdf"]
    assert "张三" in pdf_text((spool / "good.pdf").read_bytes())
