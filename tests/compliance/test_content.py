"""Content screening: banned wording per category, evasions, positions, and the rule packs."""

from __future__ import annotations

import opencc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.compliance.content import (
    CONTENT_PACK_CN,
    CONTENT_PACK_US,
    Category,
    Language,
    Phrase,
    content_rules,
    parse_wordlist,
    phrase_counts,
    phrases,
    screen,
    screen_note,
)
from huikuan.compliance.engine import check
from huikuan.compliance.request import parse_request
from huikuan.compliance.verdict import Decision, Effect

ZERO_WIDTH = "\u200b"


def found(text: str, language: Language = "auto") -> set[tuple[Category, str]]:
    return {(hit.category, hit.phrase) for hit in screen(text, language=language).hits}


# --- every category, in Chinese and in English ---------------------------------------------

BLOCKED_EXAMPLES = [
    # Chinese
    ("再不还钱，小心你的家人", Category.THREAT, "小心你的家人"),
    ("不还就弄死你", Category.THREAT, "弄死你"),
    ("我们知道你家住哪", Category.THREAT, "知道你家住哪"),
    ("不还钱就让你坐牢", Category.FALSE_LEGAL, "坐牢"),
    ("明天就上门抓人", Category.FALSE_LEGAL, "上门抓人"),
    ("你会上征信黑名单", Category.FALSE_LEGAL, "征信黑名单"),
    ("会影响你孩子考公", Category.FALSE_LEGAL, "影响你孩子考公"),
    ("我是派出所的王警官", Category.IMPERSONATION, "我是派出所"),
    ("我们是法院的工作人员", Category.IMPERSONATION, "法院的工作人员"),
    ("检察院已经介入", Category.IMPERSONATION, "检察院"),
    ("你这个老赖", Category.INSULT, "老赖"),
    ("傻逼，赶紧还钱", Category.INSULT, "傻逼"),
    ("我们会告诉你家人你欠钱", Category.DISCLOSURE, "告诉你家人"),
    ("明天通知你单位", Category.DISCLOSURE, "通知你单位"),
    ("需另付催收费500元", Category.EXTRA_FEES, "催收费"),
    ("上门费由你承担", Category.EXTRA_FEES, "上门费"),
    ("去借网贷还我们", Category.NEW_BORROWING, "借网贷"),
    ("可以以贷还贷嘛", Category.NEW_BORROWING, "以贷还贷"),
    ("不还就把你曝光", Category.PUBLIC_SHAMING, "曝光"),
    ("把你挂到网上", Category.PUBLIC_SHAMING, "挂到网上"),
    ("马上通讯录群发", Category.PUBLIC_SHAMING, "通讯录群发"),
    # English
    ("Pay now or we will hurt your family.", Category.THREAT, "hurt your family"),
    ("We know where you live.", Category.THREAT, "we know where you live"),
    ("You will be arrested if you do not pay.", Category.FALSE_LEGAL, "arrest"),
    ("Nonpayment means jail time.", Category.FALSE_LEGAL, "jail"),
    ("We will file criminal charges.", Category.FALSE_LEGAL, "criminal"),
    ("This is Officer Smith with the police department.", Category.IMPERSONATION, "police"),
    ("The sheriff is on the way.", Category.IMPERSONATION, "sheriff"),
    ("Pay up, you deadbeat.", Category.INSULT, "deadbeat"),
    ("You are a fucking idiot.", Category.INSULT, "fuck"),
    ("We will tell your employer about this debt.", Category.DISCLOSURE, "tell your employer"),
    ("We will call your neighbors.", Category.DISCLOSURE, "call your neighbors"),
    ("We will post your name online.", Category.PUBLIC_SHAMING, "post your name online"),
    ("You are on our list of deadbeats.", Category.PUBLIC_SHAMING, "list of deadbeats"),
]


@pytest.mark.parametrize(("text", "category", "phrase"), BLOCKED_EXAMPLES)
def test_each_category_is_blocked(text: str, category: Category, phrase: str) -> None:
    result = screen(text)
    assert (category, phrase) in found(text), result.hits
    assert result.blocked
    assert category in result.categories


WARNED_EXAMPLES = [
    ("如不还款我们将起诉你", Category.FALSE_LEGAL, "起诉你"),
    ("否则后果自负", Category.THREAT, "后果自负"),
    ("可以找亲戚借钱先还上", Category.NEW_BORROWING, "找亲戚借钱"),
    ("If you do not pay, we will sue you.", Category.FALSE_LEGAL, "sue you"),
    ("We may garnish your wages.", Category.FALSE_LEGAL, "garnish"),
    ("A collection fee of $25 applies.", Category.EXTRA_FEES, "collection fee"),
    ("You could take out a payday loan.", Category.NEW_BORROWING, "take out a payday loan"),
]


@pytest.mark.parametrize(("text", "category", "phrase"), WARNED_EXAMPLES)
def test_phrases_lawful_only_when_true_warn(text: str, category: Category, phrase: str) -> None:
    result = screen(text)
    assert (category, phrase) in found(text), result.hits
    assert not result.blocked
    assert result.warnings
    assert all(hit.effect is Effect.WARN for hit in result.hits)


def test_truthful_credit_reporting_and_lawful_steps_pass() -> None:
    for text in (
        "逾期信息将按规定报送金融信用信息基础数据库，可能影响您的个人征信记录。",
        "We may report information about your account to credit bureaus.",
    ):
        assert screen(text).clean, screen(text).hits


# --- evasions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category", "phrase"),
    [
        ("起訴你", Category.FALSE_LEGAL, "起诉你"),  # traditional
        ("檢察院通知", Category.IMPERSONATION, "检察院"),
        ("通訊錄群發", Category.PUBLIC_SHAMING, "通讯录群发"),
        ("以貸還貸", Category.NEW_BORROWING, "以贷还贷"),
        ("坐*牢", Category.FALSE_LEGAL, "坐牢"),  # inserted symbols, spaces, zero-width
        ("坐 牢", Category.FALSE_LEGAL, "坐牢"),
        (f"坐{ZERO_WIDTH}牢", Category.FALSE_LEGAL, "坐牢"),
        ("曝-光", Category.PUBLIC_SHAMING, "曝光"),
        ("坐　牢", Category.FALSE_LEGAL, "坐牢"),  # ideographic space
        ("zuo lao", Category.FALSE_LEGAL, "坐牢"),  # pinyin
        ("ZuoLao", Category.FALSE_LEGAL, "坐牢"),
        ("bao guang ni", Category.PUBLIC_SHAMING, "曝光"),
        ("yi dai huan dai", Category.NEW_BORROWING, "以贷还贷"),
        ("做牢", Category.FALSE_LEGAL, "坐牢"),  # homophone
        ("草泥马", Category.INSULT, "操你妈"),
        ("井察上门", Category.IMPERSONATION, "警察"),
        ("傻b", Category.INSULT, "傻逼"),
        ("ＰＯＬＩＣＥ", Category.IMPERSONATION, "police"),  # full-width letters
        ("ｚｕｏ ｌａｏ", Category.FALSE_LEGAL, "坐牢"),
        ("f*ck you", Category.INSULT, "fuck"),
        ("k i l l you", Category.THREAT, "kill you"),
        (f"ar{ZERO_WIDTH}rest", Category.FALSE_LEGAL, "arrest"),
        ("ARRÉST", Category.FALSE_LEGAL, "arrest"),  # accents dropped
    ],
)
def test_evasions_are_seen_through(text: str, category: Category, phrase: str) -> None:
    assert (category, phrase) in found(text), screen(text).hits


def test_highlight_positions_point_into_the_original_text() -> None:
    text = f"您好，请注意：坐{ZERO_WIDTH}*牢不是玩笑。"
    (hit,) = screen(text).hits
    assert (hit.start, hit.end) == (7, 11)
    assert text[hit.start : hit.end] == hit.matched == f"坐{ZERO_WIDTH}*牢"
    assert hit.via == "phrase"

    text = "Hello. You will be sent to J.A.I.L today."
    hits = screen(text).hits
    jail = next(hit for hit in hits if hit.phrase == "jail")
    assert text[jail.start : jail.end] == "J.A.I.L"
    traditional = "我們會起訴你"
    (hit,) = screen(traditional).hits
    assert traditional[hit.start : hit.end] == "起訴你"


def is_subsequence(needle: str, haystack: str) -> bool:
    remaining = iter(haystack)
    return all(char in remaining for char in needle)


ZH_BLOCKED = sorted(
    {
        phrase.canonical
        for phrase in phrases()
        if phrase.language == "zh" and phrase.via == "phrase" and phrase.effect is Effect.BLOCK
    }
)
NOISE = st.text(alphabet=" *-_.。，、！~|/\\#@\u200b\u200c\u200d\ufeff\u3000", max_size=3)
SAFE = st.text(alphabet="0123456789 ,.;:!?()[]\n", max_size=20)


@given(
    phrase=st.sampled_from(ZH_BLOCKED),
    before=SAFE,
    after=SAFE,
    gaps=st.lists(NOISE, min_size=20, max_size=20),
)
def test_noisy_phrases_are_found_where_they_are(
    phrase: str, before: str, after: str, gaps: list[str]
) -> None:
    noisy = phrase[0] + "".join(gap + char for gap, char in zip(gaps, phrase[1:], strict=False))
    text = before + noisy + after
    hits = [hit for hit in screen(text).hits if hit.phrase == phrase]
    assert hits, (text, screen(text).hits)
    for hit in hits:
        piece = text[hit.start : hit.end]
        assert piece == hit.matched
        assert piece[0] == phrase[0]
        assert piece[-1] == phrase[-1]
        assert is_subsequence(phrase.lower(), piece.lower())


def test_every_english_phrase_is_found_spelled_out() -> None:
    missed = []
    for phrase in phrases():
        if phrase.language != "en" or phrase.via != "phrase":
            continue
        for glue in ("*", " ", ".", ZERO_WIDTH, "-"):
            text = "Well, " + glue.join(phrase.form.upper()) + "!"
            if (phrase.category, phrase.canonical) not in found(text):
                missed.append(text)
    assert not missed


def test_ordinary_words_are_not_run_together() -> None:
    # Spaces or symbols inside a phrase are passed over only after a symbol or between single
    # letters, never between two ordinary words.
    for text in (
        "Who received the notice?",  # not "whore"
        "These forms are standard.",  # not "arrest"
        "zu olao",  # not the pinyin of 坐牢
        "Ilyas Shabi",
    ):
        assert screen(text).clean, (text, screen(text).hits)
    assert (Category.INSULT, "stupid") in found("s t u p i d")
    assert (Category.FALSE_LEGAL, "坐牢") in found("zuo-lao")


def test_every_chinese_spelling_is_found_in_traditional_script() -> None:
    to_traditional = opencc.OpenCC("s2t")
    missed = []
    for phrase in phrases():
        if phrase.language != "zh" or phrase.via == "pinyin":
            continue
        written = to_traditional.convert(phrase.canonical)
        if (phrase.category, phrase.canonical) not in found(written):
            missed.append((phrase.canonical, written))
    assert not missed


# --- no false positives --------------------------------------------------------------------

LEGITIMATE = [
    "您好，这里是XX银行信用卡中心，工号1024，关于您的账单还款事宜，请于本月25日前还款。",
    "您可以申请分期还款，详情请拨打客服热线95555。",
    "尊敬的客户，您尾号1234的信用卡已逾期，当前应还金额3,200.00元，请尽快还款。如已还款请忽略。",
    "如您对账单有异议，可通过官方渠道提出并提交相关证据，我们将及时核实处理。",
    "我们理解您目前的困难，可以为您办理个性化分期，请与我们联系。",
    "本行已委托XX资产管理有限公司提供催收服务，特此告知。该公司工号A0012，联系电话400-000-0000。",
    "办公安排：周一至周五9:00-18:00，节假日休息。",
    "温馨提示：请通过官方App或网银还款，理性消费，切勿以贷还贷，谨防诈骗。",
    "您的还款已到账，感谢您的配合。其他欠款请于下月账单日前结清。",
    "工作人员将在工作日与您联系，确认还款计划。请注意接听95588来电。",
    "您好，這裡是XX銀行信用卡中心，關於您的帳單還款事宜，請您及時處理。",
    "请公民警惕冒充公检法的诈骗电话。",
    "麻烦您转告张先生尽快回电，谢谢。",
    "XYZ Collections is a debt collector. We are trying to collect a debt that you owe to "
    "ABC Bank. We will use any information you give us to help collect the debt.",
    "Call or write to us by December 3, 2026, to dispute all or part of the debt. If you do "
    "not, we will assume that our information is correct.",
    "Visit www.cfpb.gov/debt-collection to learn more about your rights under federal law.",
    "Reply STOP to stop texts to this telephone number. This communication is from a debt "
    "collector.",
    "You may qualify for a payment plan. Please review our privacy policy and assess your "
    "options; we can issue your statement by email. Hong Kong and Macau residents welcome.",
    "Your account balance is $1,250.00 as of January 2, 2026. Dial 1-800-555-0100 between "
    "8 a.m. and 9 p.m., Monday to Friday. Ask for Sue or Marshall in our billing team.",
]


@pytest.mark.parametrize("text", LEGITIMATE)
def test_ordinary_collection_messages_pass(text: str) -> None:
    assert screen(text).clean, screen(text).hits


# --- languages, notes, word lists ----------------------------------------------------------


def test_language_selects_the_lists() -> None:
    text = "不还就坐牢. We will arrest you. zuo lao"
    assert {hit.language for hit in screen(text).hits} == {"zh", "en"}
    assert {hit.language for hit in screen(text, language="zh").hits} == {"zh"}
    assert {hit.language for hit in screen(text, language="en").hits} == {"en"}
    with pytest.raises(ValueError, match="language"):
        screen(text, language="fr")  # type: ignore[arg-type]


def test_notes_are_screened_the_same_way() -> None:
    note = "债务人说要去借网贷还，我说了你这个骗子"
    assert screen_note(note) == screen(note)
    assert {hit.category for hit in screen_note(note).hits} == {
        Category.NEW_BORROWING,
        Category.INSULT,
    }
    assert screen_note("").clean


def test_a_longer_phrase_hides_the_shorter_one_inside_it() -> None:
    hits = screen("杀你全家").hits
    assert [hit.phrase for hit in hits] == ["杀你全家"]


def test_every_category_has_phrases_in_both_languages() -> None:
    counts = phrase_counts()
    for category in Category:
        assert counts.get(("zh", category), 0) >= 3, category
        assert counts.get(("en", category), 0) >= 3, category


def test_malformed_word_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown category"):
        parse_wordlist("[THREATS]\n打死你\n", "zh", "bad.txt")
    with pytest.raises(ValueError, match="before the first"):
        parse_wordlist("打死你\n", "zh", "bad.txt")
    with pytest.raises(ValueError, match="nest"):
        parse_wordlist("[THREAT]\n打((死|残))你\n", "zh", "bad.txt")
    with pytest.raises(ValueError, match="English phrases only"):
        parse_wordlist("[THREAT]\n打死*\n", "zh", "bad.txt")
    parsed = parse_wordlist("[THREAT warn]\n(打|砍)死你 | 打屎你\n", "zh", "ok.txt")
    assert {(p.canonical, p.form, p.via, p.effect) for p in parsed if p.via != "pinyin"} == {
        ("打死你", "打死你", "phrase", Effect.WARN),
        ("打死你", "打屎你", "variant", Effect.WARN),
        ("砍死你", "砍死你", "phrase", Effect.WARN),
    }
    assert all(isinstance(p, Phrase) for p in parsed)


def test_screening_long_messages_many_times() -> None:
    base = "您好，这里是XX银行信用卡中心，关于您的账单还款事宜。" * 80
    for i in range(60):
        text = f"{base[:1990]}{i:04d}坐*牢"
        assert len(text) > 1990
        result = screen(text)
        assert [hit.phrase for hit in result.hits] == ["坐牢"]


# --- the rules and packs -------------------------------------------------------------------


def request(jurisdiction: str, content: str | None, envelope: str | None = None) -> object:
    proposed: dict[str, object] = {
        "datetime": "2026-03-02T10:00:00+08:00"
        if jurisdiction == "CN"
        else "2026-03-02T10:00:00-05:00",
        "channel": "sms" if envelope is None else "letter",
    }
    if content is not None:
        proposed["content"] = content
    if envelope is not None:
        proposed["envelope_text"] = envelope
    return parse_request({"jurisdiction": jurisdiction, "proposed": proposed})


def test_cn_pack_blocks_banned_wording_with_bilingual_messages() -> None:
    verdict = check(request("CN", "不还钱就让你坐*牢，再告诉你家人"), [CONTENT_PACK_CN])
    assert verdict.decision is Decision.BLOCKED
    ids = {reason.rule_id for reason in verdict.reasons}
    assert ids == {"CN-CONTENT-FALSE-LEGAL", "CN-CONTENT-DISCLOSURE"}
    jail = next(r for r in verdict.reasons if r.rule_id == "CN-CONTENT-FALSE-LEGAL")
    assert jail.pack == "CN-CONTENT"
    assert jail.pack_version == "2026-01-30"
    assert '"坐牢"' in jail.message
    assert "坐*牢" in jail.message
    assert "“坐牢”" in jail.message_zh
    assert "虚假" in jail.message_zh


def test_cn_pack_warns_on_a_threat_to_sue() -> None:
    verdict = check(request("CN", "如仍不还款，我们将起诉你。"), [CONTENT_PACK_CN])
    assert verdict.decision is Decision.ALLOWED
    (warning,) = verdict.warnings
    assert warning.rule_id == "CN-CONTENT-FALSE-LEGAL"
    assert "起诉你" in warning.message_zh
    assert "人工确认" in warning.message_zh


def test_us_pack_cites_regulation_f() -> None:
    verdict = check(request("US", "Pay today or you will be arrested."), [CONTENT_PACK_US])
    assert verdict.decision is Decision.BLOCKED
    assert [r.rule_id for r in verdict.reasons] == ["US-CONTENT-1006.18(b)(3)"]

    verdict = check(request("US", "We will sue you. A collection fee applies."), [CONTENT_PACK_US])
    assert verdict.decision is Decision.ALLOWED
    assert {w.rule_id for w in verdict.warnings} == {
        "US-CONTENT-1006.18(c)(1)",
        "US-CONTENT-1006.22(b)",
    }

    # Chinese wording to a US consumer is screened too; collection fees only warn there.
    verdict = check(request("US", "请支付催收费，不然打死你"), [CONTENT_PACK_US])
    assert [r.rule_id for r in verdict.reasons] == ["US-CONTENT-1006.14(c)"]
    assert [w.rule_id for w in verdict.warnings] == ["US-CONTENT-1006.22(b)"]


def test_envelope_text_is_screened() -> None:
    verdict = check(
        request("US", None, envelope="FINAL NOTICE - ARREST PENDING"), [CONTENT_PACK_US]
    )
    assert verdict.decision is Decision.BLOCKED
    assert verdict.reasons[0].message.startswith("The envelope text")


def test_clean_or_missing_content_is_allowed() -> None:
    for pack, jurisdiction in ((CONTENT_PACK_CN, "CN"), (CONTENT_PACK_US, "US")):
        assert check(request(jurisdiction, None), [pack]).decision is Decision.ALLOWED
        verdict = check(request(jurisdiction, "您可以申请分期还款。"), [pack])
        assert verdict.decision is Decision.ALLOWED
        assert not verdict.warnings


def test_packs_are_dated_and_named() -> None:
    assert (CONTENT_PACK_CN.code, CONTENT_PACK_CN.version, CONTENT_PACK_CN.jurisdiction) == (
        "CN-CONTENT",
        "2026-01-30",
        "CN",
    )
    assert CONTENT_PACK_CN.effective.isoformat() == "2021-01-01"
    assert (CONTENT_PACK_US.code, CONTENT_PACK_US.version, CONTENT_PACK_US.jurisdiction) == (
        "US-CONTENT",
        "2021-11-30",
        "US",
    )
    assert len(content_rules("CN")) == len(Category)
    assert "US-CONTENT-1006.14(d)" in {rule.rule_id for rule in content_rules("US")}
    with pytest.raises(ValueError, match="jurisdiction"):
        content_rules("UK")
