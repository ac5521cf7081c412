"""Content screening (话术筛查): banned wording in messages, envelopes and agent notes.

:func:`screen` finds phrases from the word lists in ``wordlists/`` (``zh.txt``, ``en.txt``; one
phrase a line, grouped by intent category, with ``allow.txt`` for ordinary words that contain a
banned one, such as 办公安排 around 公安). Every hit names its :class:`Category`, the canonical
phrase from the list, whether it blocks or only warns, and ``start``/``end`` in the *original*
text, so a page can highlight exactly what the agent typed.

Matching sees through the usual evasions. Each character of the text is NFKC-normalised
(full-width ``ＰＯＬＩＣＥ`` → ``police``, circled letters …), traditional Chinese becomes
simplified (OpenCC ``t2s``: 起訴 → 起诉), accents and zero-width characters go, and everything
that is neither a CJK ideograph nor a letter or digit is dropped (spaces, ``*``, ``.``), while
an index map keeps each remaining character's position in the original. Chinese phrases are
then matched in the stream of CJK characters (plus ASCII letters and digits, for spellings like
傻b), together with curated homophones listed beside each phrase (做牢 for 坐牢). English
phrases, and the full pinyin of Chinese phrases (``zuo lao``, ``zuolao``), are matched in the
stream of letters and digits: a phrase must begin at the start of a word and end at the end of
one (``assess`` is not ``ass``), and inside it may cross a word break only where it has a space
itself (or between pinyin syllables), after a symbol (``f*ck``, ``J.A.I.L``) or between single
letters (``k i l l you``) — never between two ordinary words (``who received`` is not
``whore``). Two Aho–Corasick automatons, built once on first use, do the matching in one pass
each; results are cached for repeated texts.

The rules (:func:`content_rules`, :data:`CONTENT_PACK_CN`, :data:`CONTENT_PACK_US`) screen the
proposed contact's ``content`` and ``envelope_text`` and block on a banned phrase or warn on a
phrase that is lawful only when true and intended (a threat to sue). Pure: no I/O beyond reading
the packaged word lists once, no clock.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

import ahocorasick  # type: ignore[import-not-found]  # C extension without type stubs
import opencc

from huikuan.compliance.packs import Rule, RulePack
from huikuan.compliance.request import CheckRequest
from huikuan.compliance.verdict import Effect, Finding

Language = Literal["auto", "zh", "en"]
LANGUAGES: tuple[str, ...] = ("auto", "zh", "en")


class Category(StrEnum):
    """What a banned phrase does (one intent per phrase)."""

    THREAT = "threat"  # violence, harm to the person, family or property
    FALSE_LEGAL = "false_legal"  # arrest, jail, criminal charges for a civil debt …
    IMPERSONATION = "impersonation"  # police, courts, procuratorate, government, attorneys
    INSULT = "insult"  # insults, obscene or profane language
    DISCLOSURE = "disclosure"  # telling third parties about the debt
    EXTRA_FEES = "extra_fees"  # fees charged in the name of collection
    NEW_BORROWING = "new_borrowing"  # pushing new loans to repay (以贷还贷)
    PUBLIC_SHAMING = "public_shaming"  # 曝光, posting online, messaging the contact list


# English and Chinese names of each category, used in messages.
LABELS: dict[Category, tuple[str, str]] = {
    Category.THREAT: ("threat of violence or harm", "威胁恐吓（暴力、伤害本人或家人）"),
    Category.FALSE_LEGAL: (
        "false or unlawful legal consequence (arrest, jail, criminal charges)",
        "虚假或不实的法律后果（抓人、坐牢、刑事追究）",
    ),
    Category.IMPERSONATION: (
        "impersonating police, courts, government or an attorney",
        "冒充公检法、政府机关或律师",
    ),
    Category.INSULT: ("insulting, obscene or profane language", "侮辱、谩骂或淫秽用语"),
    Category.DISCLOSURE: ("disclosing the debt to third parties", "向无关第三方透露债务"),
    Category.EXTRA_FEES: (
        "extra fees charged in the name of collection",
        "以催收名义收取额外费用",
    ),
    Category.NEW_BORROWING: (
        "pushing new borrowing or illegal sources of money to repay",
        "诱导或强迫借新还旧、以贷还贷",
    ),
    Category.PUBLIC_SHAMING: (
        "public shaming or publishing the debt",
        "公开曝光、张贴或群发通讯录",
    ),
}


@dataclass(frozen=True, slots=True)
class Phrase:
    """One spelling the screen looks for, and the listed phrase it stands for."""

    category: Category
    effect: Effect  # BLOCK or WARN
    language: str  # "zh" or "en": the list it comes from
    canonical: str  # the phrase as listed (the first spelling on its line)
    form: str  # the normalised spelling matched
    via: str  # "phrase", "variant" (homophone or evasive spelling) or "pinyin"
    prefix: bool = False  # English only: matches any ending ("arrest*")
    breaks: frozenset[int] = frozenset()  # where the spelling has a space, as offsets in form


@dataclass(frozen=True, slots=True)
class Hit:
    """A banned phrase found in a text; ``text[start:end] == matched``."""

    category: Category
    phrase: str  # the canonical phrase from the list
    start: int  # in the original text
    end: int
    matched: str  # the original text between start and end, evasions included
    effect: Effect  # BLOCK or WARN
    language: str  # "zh" or "en"
    via: str  # "phrase", "variant" or "pinyin"


@dataclass(frozen=True, slots=True)
class ScreenResult:
    hits: tuple[Hit, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.hits

    @property
    def blocked(self) -> bool:
        return any(hit.effect is Effect.BLOCK for hit in self.hits)

    @property
    def blocking(self) -> tuple[Hit, ...]:
        return tuple(hit for hit in self.hits if hit.effect is Effect.BLOCK)

    @property
    def warnings(self) -> tuple[Hit, ...]:
        return tuple(hit for hit in self.hits if hit.effect is Effect.WARN)

    @property
    def categories(self) -> frozenset[Category]:
        return frozenset(hit.category for hit in self.hits)


# --- normalisation -------------------------------------------------------------------------


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2FFFF
        or 0xF900 <= code <= 0xFAFF
        or code == 0x3007
    )


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _simplified(chars: str) -> str:
    """``chars`` in simplified Chinese, one character for one (so positions still line up)."""
    if chars.isascii():
        return chars
    converted: str = _t2s().convert(chars)
    if len(converted) == len(chars):
        return converted
    # A phrase conversion changed the length: fall back to character by character.
    out = []
    for char in chars:
        one: str = _t2s().convert(char)
        out.append(one if len(one) == 1 else char)
    return "".join(out)


def _ascii_base(char: str) -> str:
    """A Latin letter with its accents removed (``é`` → ``e``), or ``""`` if it is not one."""
    base = unicodedata.normalize("NFD", char)[0]
    return base.lower() if base.isascii() and base.isalnum() else ""


@dataclass(frozen=True, slots=True)
class _Normalised:
    cjk: str  # CJK ideographs and ASCII letters/digits, in order
    cjk_at: tuple[int, ...]  # the original index of each character of ``cjk``
    latin: str  # ASCII letters and digits, lower case, in order
    latin_at: tuple[int, ...]
    word_starts: frozenset[int]  # positions in ``latin`` where a word starts
    word_ends: frozenset[int]  # positions in ``latin`` just after a word ends
    # Word starts that a phrase may run across although the phrase has no space there: after
    # a symbol ("f*ck", "J.A.I.L") or between single letters ("k i l l"), never between two
    # ordinary words ("who received" is not "whore").
    passable: frozenset[int]


def _ignorable(char: str) -> bool:
    """Zero-width and other invisible format characters, and combining marks."""
    return unicodedata.category(char) in ("Cf", "Mn", "Me")


def _normalise(text: str) -> _Normalised:
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            chars.append(char)
            origin.append(index)
            continue
        for part in unicodedata.normalize("NFKC", char):
            chars.append(part)
            origin.append(index)
    simplified = _simplified("".join(chars))
    cjk: list[str] = []
    cjk_at: list[int] = []
    latin: list[str] = []
    latin_at: list[int] = []
    starts: list[int] = []
    hard: set[int] = set()  # word starts that follow white space or a CJK character
    gap: str | None = ""  # what separates the last letter from the next: None, "soft" or "hard"
    for char, index in zip(simplified, origin, strict=True):
        if char.isascii():
            letter = char.lower() if char.isalnum() else ""
        elif _is_cjk(char):
            cjk.append(char)
            cjk_at.append(index)
            letter = ""
        elif _ignorable(char):
            continue
        else:
            letter = _ascii_base(char)
        if letter:
            if gap is not None:
                starts.append(len(latin))
                if gap == "hard":
                    hard.add(len(latin))
            gap = None
            latin.append(letter)
            latin_at.append(index)
            cjk.append(letter)
            cjk_at.append(index)
        elif char.isspace() or _is_cjk(char):
            gap = "hard"
        elif gap is None:
            gap = "soft"
    bounds = [*starts, len(latin)]
    passable = {
        here
        for before, here, after in zip(bounds, bounds[1:], bounds[2:], strict=False)
        if here not in hard or (here - before == 1 and after - here == 1)
    }
    return _Normalised(
        "".join(cjk),
        tuple(cjk_at),
        "".join(latin),
        tuple(latin_at),
        frozenset(starts),
        frozenset(bounds[1:]),
        frozenset(passable),
    )


# --- word lists ----------------------------------------------------------------------------

_SECTION = re.compile(r"^\[([A-Z_]+)(?:\s+(warn))?\]$")
_GROUP = re.compile(r"\(([^()]*)\)")


def _expand(pattern: str) -> list[str]:
    """Every spelling of ``pattern``: ``(a|b|)`` stands for a, b or nothing."""
    parts = _GROUP.split(pattern)
    choices = [[part] if i % 2 == 0 else part.split("|") for i, part in enumerate(parts)]
    return [" ".join("".join(combo).split()) for combo in itertools.product(*choices)]


def _variants(line: str, where: str) -> list[str]:
    """``line`` split at each ``|`` outside parentheses."""
    out: list[str] = []
    current: list[str] = []
    depth = 0
    for char in line:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if depth not in (0, 1):
            raise ValueError(f"{where}: parentheses must not nest or close unopened")
        if char == "|" and depth == 0:
            out.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if depth:
        raise ValueError(f"{where}: unclosed parenthesis")
    out.append("".join(current).strip())
    if not all(out):
        raise ValueError(f"{where}: empty spelling")
    return out


# Readings that pypinyin's everyday choice gets wrong in these phrases (还 is "repay" here).
_READINGS = {"还": "huan"}


def _pinyin(form: str) -> tuple[list[str], frozenset[int]]:
    """The full pinyin of ``form`` without tones, and where its syllables begin."""
    from pypinyin import lazy_pinyin

    syllables = [said.lower() for said in lazy_pinyin(form)]
    if len(syllables) != len(form) or not all(s.isascii() and s.isalpha() for s in syllables):
        return [], frozenset()
    syllables = [_READINGS.get(char, said) for char, said in zip(form, syllables, strict=True)]
    spelled = "".join(syllables)
    breaks = frozenset(itertools.accumulate(len(said) for said in syllables[:-1]))
    # pypinyin writes ü as v; people type u as often as v.
    return ([spelled, spelled.replace("v", "u")] if "v" in spelled else [spelled]), breaks


def parse_wordlist(text: str, language: str, name: str = "<wordlist>") -> tuple[Phrase, ...]:
    """The phrases of one word list (the format is described at the top of ``zh.txt``)."""
    if language not in ("zh", "en"):
        raise ValueError(f"{name}: language must be zh or en, got {language!r}")
    phrases: list[Phrase] = []
    seen: set[tuple[Category, str]] = set()  # a spelling listed twice counts once

    def add(phrase: Phrase) -> None:
        if (phrase.category, phrase.form) not in seen:
            seen.add((phrase.category, phrase.form))
            phrases.append(phrase)

    category: Category | None = None
    effect = Effect.BLOCK
    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"{name}:{number}"
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        section = _SECTION.match(line)
        if section:
            try:
                category = Category[section.group(1)]
            except KeyError:
                raise ValueError(f"{where}: unknown category {section.group(1)!r}") from None
            effect = Effect.WARN if section.group(2) else Effect.BLOCK
            continue
        if category is None:
            raise ValueError(f"{where}: a phrase before the first [CATEGORY] line")
        pinyin: bool | None = None
        if line.endswith(" @py"):
            pinyin, line = True, line[: -len(" @py")].strip()
        elif line.endswith(" @nopy"):
            pinyin, line = False, line[: -len(" @nopy")].strip()
        spellings = _variants(line, where)
        first = _expand(spellings[0])
        variants = [form for spelling in spellings[1:] for form in _expand(spelling)]
        for position, written in enumerate(first):
            canonical = written.rstrip("*").strip()
            forms = [(written, "phrase")]
            if position == 0:
                forms += [(variant, "variant") for variant in variants]
            for form, via in forms:
                prefix = form.endswith("*")
                if prefix and language != "en":
                    raise ValueError(f"{where}: a trailing * is for English phrases only")
                spelled = form.rstrip("*").strip()
                normal = _normalise(spelled)
                key = normal.cjk if language == "zh" else normal.latin
                if not key:
                    raise ValueError(f"{where}: {spelled!r} has nothing left to match")
                breaks = frozenset(normal.word_starts - {0}) if language == "en" else frozenset()
                add(Phrase(category, effect, language, canonical, key, via, prefix, breaks))
                wants_pinyin = pinyin if pinyin is not None else len(spelled) >= 3
                if language == "zh" and wants_pinyin and all(_is_cjk(c) for c in spelled):
                    spelled_outs, syllables = _pinyin(spelled)
                    for out in spelled_outs:
                        add(
                            Phrase(
                                category, effect, "zh", canonical, out, "pinyin", False, syllables
                            )
                        )
    return tuple(phrases)


def _parse_allow(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The allowed phrases: (Chinese keys, English keys)."""
    cjk: list[str] = []
    latin: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        for spelling in _variants(line, f"allow.txt:{number}"):
            for form in _expand(spelling):
                normal = _normalise(form)
                if any(_is_cjk(char) for char in form):
                    cjk.append(normal.cjk)
                elif normal.latin:
                    latin.append(normal.latin)
    return tuple(cjk), tuple(latin)


def _automaton(entries: dict[str, list[Any]]) -> Any:
    if not entries:
        return None
    made = ahocorasick.Automaton()
    for key, values in entries.items():
        made.add_word(key, tuple(values))
    made.make_automaton()
    return made


@dataclass(frozen=True, slots=True)
class _Lexicon:
    phrases: tuple[Phrase, ...]
    cjk: Any  # ahocorasick.Automaton: key → tuple[Phrase, ...]
    latin: Any
    cjk_allow: Any  # key → (len(key),)
    latin_allow: Any


def _read(name: str) -> str:
    return (
        resources.files("huikuan.compliance")
        .joinpath("wordlists", name)
        .read_text(encoding="utf-8")
    )


@cache
def _lexicon() -> _Lexicon:
    phrases = parse_wordlist(_read("zh.txt"), "zh", "zh.txt") + parse_wordlist(
        _read("en.txt"), "en", "en.txt"
    )
    cjk: dict[str, list[Any]] = {}
    latin: dict[str, list[Any]] = {}
    for phrase in phrases:
        table = cjk if phrase.language == "zh" and phrase.via != "pinyin" else latin
        bucket = table.setdefault(phrase.form, [])
        if phrase not in bucket:
            bucket.append(phrase)
    allow_cjk, allow_latin = _parse_allow(_read("allow.txt"))
    return _Lexicon(
        phrases=phrases,
        cjk=_automaton(cjk),
        latin=_automaton(latin),
        cjk_allow=_automaton({key: [len(key)] for key in allow_cjk}),
        latin_allow=_automaton({key: [len(key)] for key in allow_latin}),
    )


def phrases() -> tuple[Phrase, ...]:
    """Every spelling screened for (listed phrases, variants and pinyin), in list order."""
    return _lexicon().phrases


def phrase_counts() -> dict[tuple[str, Category], int]:
    """How many distinct listed phrases each (language, category) has, variants not counted."""
    seen: dict[tuple[str, Category], set[str]] = {}
    for phrase in _lexicon().phrases:
        seen.setdefault((phrase.language, phrase.category), set()).add(phrase.canonical)
    return {key: len(names) for key, names in sorted(seen.items())}


# --- screening -----------------------------------------------------------------------------


def _allowed_spans(automaton: Any, stream: str) -> list[tuple[int, int]]:
    if automaton is None or not stream:
        return []
    return [(end - length + 1, end) for end, (length,) in automaton.iter(stream)]


def _covered(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(low <= start and end <= high for low, high in spans)


_SEVERITY = {Effect.WARN: 0, Effect.BLOCK: 1}


def _tidy(hits: list[Hit]) -> tuple[Hit, ...]:
    """One hit per category and span (the stronger), and none inside a longer one like it."""
    best: dict[tuple[Category, int, int], Hit] = {}
    for hit in hits:
        key = (hit.category, hit.start, hit.end)
        kept = best.get(key)
        if kept is None or _SEVERITY[hit.effect] > _SEVERITY[kept.effect]:
            best[key] = hit
    unique = list(best.values())
    result = [
        hit
        for hit in unique
        if not any(
            other.category is hit.category
            and _SEVERITY[other.effect] >= _SEVERITY[hit.effect]
            and other.start <= hit.start
            and hit.end <= other.end
            and (other.end - other.start) > (hit.end - hit.start)
            for other in unique
        )
    ]
    result.sort(key=lambda hit: (hit.start, hit.end, hit.category.value, hit.phrase))
    return tuple(result)


def screen(text: str, *, language: Language = "auto") -> ScreenResult:
    """The banned phrases in ``text`` (``language``: ``zh``, ``en`` or ``auto`` for both)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return _screened(text, language)


def screen_note(text: str) -> ScreenResult:
    """Screen an agent's note (备注) the same way as a message, in both languages."""
    return _screened(text, "auto")


@lru_cache(maxsize=256)
def _screened(text: str, language: str) -> ScreenResult:
    if not text:
        return ScreenResult()
    lexicon = _lexicon()
    normal = _normalise(text)
    hits: list[Hit] = []
    if language in ("auto", "zh") and normal.cjk:
        allowed = _allowed_spans(lexicon.cjk_allow, normal.cjk)
        for last, found in lexicon.cjk.iter(normal.cjk):
            phrase: Phrase
            for phrase in found:
                first = last - len(phrase.form) + 1
                if _covered(first, last, allowed):
                    continue
                start, end = normal.cjk_at[first], normal.cjk_at[last] + 1
                hits.append(_hit(phrase, text, start, end))
    if normal.latin:
        allowed = _allowed_spans(lexicon.latin_allow, normal.latin)
        for last, found in lexicon.latin.iter(normal.latin):
            for phrase in found:
                if language != "auto" and phrase.language != language:
                    continue
                first = last - len(phrase.form) + 1
                if not _fits_words(phrase, normal, first, last):
                    continue
                if _covered(first, last, allowed):
                    continue
                start, end = normal.latin_at[first], normal.latin_at[last] + 1
                hits.append(_hit(phrase, text, start, end))
    return ScreenResult(_tidy(hits))


def _fits_words(phrase: Phrase, normal: _Normalised, first: int, last: int) -> bool:
    """Whether a match in the letter stream is whole words, crossing only allowed breaks."""
    if first not in normal.word_starts:
        return False
    if not phrase.prefix and last + 1 not in normal.word_ends:
        return False
    return all(
        at not in normal.word_starts or at in normal.passable or at - first in phrase.breaks
        for at in range(first + 1, last + 1)
    )


def _hit(phrase: Phrase, text: str, start: int, end: int) -> Hit:
    return Hit(
        category=phrase.category,
        phrase=phrase.canonical,
        start=start,
        end=end,
        matched=text[start:end],
        effect=phrase.effect,
        language=phrase.language,
        via=phrase.via,
    )


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RuleSpec:
    rule_id: str
    title: str
    category: Category
    effects: frozenset[Effect]  # which hits this rule reports
    cap: Effect = Effect.BLOCK  # WARN: every hit of the category only warns here


_BOTH = frozenset({Effect.BLOCK, Effect.WARN})
_ONLY_BLOCK = frozenset({Effect.BLOCK})
_ONLY_WARN = frozenset({Effect.WARN})

_CN_SOURCES: dict[Category, str] = {
    Category.THREAT: "CBA 2026 ch. 3; microloan measures item 2",
    Category.FALSE_LEGAL: "CBA 2026 ch. 3 (fraud, intimidation); microloan measures item 2",
    Category.IMPERSONATION: "CBA 2026 ch. 3; microloan measures item 1",
    Category.INSULT: "CBA 2026 ch. 3; 2011 credit-card measures art. 68",
    Category.DISCLOSURE: "CBA 2026 ch. 3; microloan measures items 4-5; PIPL arts. 23, 25",
    Category.EXTRA_FEES: "CBA 2026 ch. 3 (extra fees in the name of collection)",
    Category.NEW_BORROWING: "CBA 2026 ch. 3 (inducing new borrowing)",
    Category.PUBLIC_SHAMING: "CBA 2026 ch. 3 (public notices); microloan measures item 4",
}

_CN_SPECS: tuple[_RuleSpec, ...] = tuple(
    _RuleSpec(
        rule_id=f"CN-CONTENT-{category.name.replace('_', '-')}",
        title=f"Banned wording: {LABELS[category][0]} ({_CN_SOURCES[category]})",
        category=category,
        effects=_BOTH,
    )
    for category in Category
)

_US_SPECS: tuple[_RuleSpec, ...] = (
    _RuleSpec(
        "US-CONTENT-1006.14(c)",
        "No violence or threats of violence or other criminal means",
        Category.THREAT,
        _BOTH,
    ),
    _RuleSpec(
        "US-CONTENT-1006.14(d)", "No obscene, profane or abusive language", Category.INSULT, _BOTH
    ),
    _RuleSpec(
        "US-CONTENT-1006.14(e)",
        "No publishing lists of debtors or public shaming",
        Category.PUBLIC_SHAMING,
        _BOTH,
    ),
    _RuleSpec(
        "US-CONTENT-1006.18(b)(1)",
        "No false affiliation with government, or false claims to be an attorney",
        Category.IMPERSONATION,
        _BOTH,
    ),
    _RuleSpec(
        "US-CONTENT-1006.18(b)(3)",
        "No implying arrest, imprisonment or criminal charges for nonpayment",
        Category.FALSE_LEGAL,
        _ONLY_BLOCK,
    ),
    _RuleSpec(
        "US-CONTENT-1006.18(c)(1)",
        "Threats of legal action only when lawful and intended",
        Category.FALSE_LEGAL,
        _ONLY_WARN,
    ),
    _RuleSpec(
        "US-CONTENT-1006.6(d)(1)",
        "No communicating about the debt with third parties",
        Category.DISCLOSURE,
        _BOTH,
    ),
    _RuleSpec(
        "US-CONTENT-1006.22(b)",
        "Fees only when the agreement or the law allows them",
        Category.EXTRA_FEES,
        _BOTH,
        cap=Effect.WARN,
    ),
    _RuleSpec(
        "US-CONTENT-1006.22(a)",
        "No unfair means: pushing new borrowing to repay",
        Category.NEW_BORROWING,
        _BOTH,
        cap=Effect.WARN,
    ),
)

_FIELDS = (
    ("content", "The message", "消息内容"),
    ("envelope_text", "The envelope text", "信封文字"),
)


def _messages(hit: Hit, effect: Effect, where: str, where_zh: str) -> tuple[str, str]:
    label, label_zh = LABELS[hit.category]
    written = f' (written "{hit.matched}")' if hit.matched != hit.phrase else ""
    written_zh = f"（原文“{hit.matched}”）" if hit.matched != hit.phrase else ""
    if effect is Effect.BLOCK:
        return (
            f'{where} contains banned wording: {label}: "{hit.phrase}"{written}',
            f"{where_zh}含有禁用表述（{label_zh}）：“{hit.phrase}”{written_zh}",
        )
    return (
        f'{where} contains wording allowed only when true and intended: {label}: "{hit.phrase}"'
        f"{written}; a person should confirm it",
        f"{where_zh}含有仅在属实且确实拟采取时方可使用的表述（{label_zh}）：“{hit.phrase}”"
        f"{written_zh}，请人工确认",
    )


def _findings(spec: _RuleSpec, request: CheckRequest) -> Iterator[Finding]:
    said: set[str] = set()
    for field, where, where_zh in _FIELDS:
        text = getattr(request.proposed, field)
        if not text:
            continue
        for hit in _screened(text, "auto").hits:
            if hit.category is not spec.category:
                continue
            effect = Effect.WARN if spec.cap is Effect.WARN else hit.effect
            if effect not in spec.effects:
                continue
            message, message_zh = _messages(hit, effect, where, where_zh)
            if message not in said:
                said.add(message)
                yield Finding(effect, message, message_zh)


def _rule(spec: _RuleSpec) -> Rule:
    def check(request: CheckRequest) -> Iterator[Finding]:
        return _findings(spec, request)

    return Rule(spec.rule_id, spec.title, check)


def content_rules(jurisdiction: str) -> tuple[Rule, ...]:
    """The content rules for ``jurisdiction`` ("CN" or "US"), one per category and citation."""
    specs = {"CN": _CN_SPECS, "US": _US_SPECS}.get(jurisdiction)
    if specs is None:
        raise ValueError(f'jurisdiction: expected "CN" or "US", got {jurisdiction!r}')
    return tuple(_rule(spec) for spec in specs)


CONTENT_PACK_CN = RulePack(
    code="CN-CONTENT",
    version="2026-01-30",
    jurisdiction="CN",
    effective=date(2021, 1, 1),
    rules=content_rules("CN"),
)

CONTENT_PACK_US = RulePack(
    code="US-CONTENT",
    version="2021-11-30",
    jurisdiction="US",
    effective=date(2021, 11, 30),
    rules=content_rules("US"),
)
