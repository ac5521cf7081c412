"""Letters to HTML, PDF and plain text, from one set of Jinja2 templates.

Data flow::

    LetterContent ──missing_elements()──► IncompleteLetterError (nothing is rendered)
         │
         └─ render_html(content, kind, language)   templates/collection_letter.html or
              │                                    lawyer_letter.html + letter.css, autoescaped;
              │                                    amounts via core.money.format_minor
              ├─ render_pdf(…)   WeasyPrint → A4 PDF bytes, text in WenQuanYi Micro Hei
              └─ letter_text(…)  the same HTML flattened to text: what the compliance guard
                                 screens is exactly what is printed (the seal drawing aside)

The PDF is deterministic: the only dates in it are the letter's own (``dcterms.created`` is
the letter date, read by WeasyPrint as the PDF creation date), WeasyPrint writes no
``/ModDate`` or random ``/ID`` unless asked, and font subsets are named from their content; so
the same content gives the same bytes, which lets the letter channel compare and re-send
safely. WeasyPrint is imported on first use: the text path works without Pango.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from html.parser import HTMLParser
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from huikuan.core.money import format_minor
from huikuan.letters.elements import (
    KINDS,
    LANGUAGES,
    Kind,
    Language,
    LetterContent,
    describe_missing,
    missing_elements,
)
from huikuan.letters.seal import seal_svg

FONT_FAMILY = "WenQuanYi Micro Hei"
"""The CSS family every letter uses; Debian's ``fonts-wqy-microhei`` provides it (see
``scripts/ensure-system-packages.sh``)."""

TEMPLATES = {"collection": "collection_letter.html", "lawyer": "lawyer_letter.html"}

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class IncompleteLetterError(ValueError):
    """The letter lacks required elements; ``missing`` holds their keys."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = tuple(missing)
        super().__init__(
            f"letter is missing required elements: {', '.join(missing)} "
            f"({describe_missing(missing)})"
        )


def format_date(value: date, language: Language) -> str:
    """A date as the letter writes it, independent of the machine's locale.

    >>> format_date(date(2026, 3, 2), "zh"), format_date(date(2026, 3, 2), "en")
    ('2026年3月2日', '2 March 2026')
    """
    if language == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def format_amount(minor: int, currency: str, language: Language) -> str:
    """An amount in major units with grouping: ``12,345.67 元`` or ``CNY 12,345.67``.

    >>> format_amount(1234567, "CNY", "zh"), format_amount(1234567, "CNY", "en")
    ('12,345.67 元', 'CNY 12,345.67')
    """
    text = format_minor(minor, currency)
    if language == "zh":
        return f"{text} 元" if currency == "CNY" else f"{text} {currency}"
    return f"{currency} {text}"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("huikuan.letters", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _stylesheet() -> str:
    return (resources.files("huikuan.letters") / "templates" / "letter.css").read_text("utf-8")


def _check(content: LetterContent, kind: str, language: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    missing = missing_elements(content, kind)  # type: ignore[arg-type]  # checked just above
    if missing:
        raise IncompleteLetterError(missing)


def _context(content: LetterContent, kind: Kind, language: Language) -> dict[str, Any]:
    assert content.amount is not None  # guaranteed by missing_elements
    amount = content.amount
    zh = language == "zh"

    def money(minor: int) -> str:
        return format_amount(minor, amount.currency, language)

    labels = (
        ("本金", "利息", "罚息", "费用", "合计")
        if zh
        else ("Principal", "Interest", "Penalty interest", "Fees", "Total")
    )
    rows = [
        (labels[0], money(amount.principal)),
        (labels[1], money(amount.interest)),
        (labels[2], money(amount.penalty)),
        (labels[3], money(amount.fee)),
    ]
    lawyer = content.lawyer
    if kind == "lawyer" and lawyer is not None:
        seal_name = lawyer.law_firm
    else:
        seal_name = content.seal_institution
    return {
        "c": content,
        "lawyer": lawyer,
        "zh": zh,
        "lang": "zh-CN" if zh else "en",
        "font_family": FONT_FAMILY,
        # Markup: our own packaged stylesheet, and a seal built from escaped parts.
        "css": Markup(_stylesheet()),
        "amount_rows": rows,
        "total_label": labels[4],
        "total": money(amount.total),
        "d": lambda value: format_date(value, language),
        "seal": Markup(seal_svg(seal_name, specimen=content.demo, font_family=FONT_FAMILY)),
    }


def render_html(
    content: LetterContent, *, kind: Kind = "collection", language: Language = "zh"
) -> str:
    """The letter as a complete HTML document (what WeasyPrint lays out)."""
    _check(content, kind, language)
    template = _environment().get_template(TEMPLATES[kind])
    return template.render(_context(content, kind, language))


def render_pdf(
    content: LetterContent, *, kind: Kind = "collection", language: Language = "zh"
) -> bytes:
    """The letter as A4 PDF bytes; the same content always gives the same bytes."""
    html = render_html(content, kind=kind, language=language)
    import weasyprint  # type: ignore[import-untyped]  # heavy, needs Pango: load on first use

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


class _TextExtractor(HTMLParser):
    """Visible text of the body, one line per block, without the stylesheet or the seal."""

    _SKIP = frozenset({"head", "style", "script", "svg", "title"})
    _BLOCKS = frozenset(
        {
            "p",
            "div",
            "section",
            "header",
            "footer",
            "address",
            "h1",
            "h2",
            "h3",
            "h4",
            "li",
            "tr",
            "table",
            "br",
            "dt",
            "dd",
            "ol",
            "ul",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML letter, one block per line.

    >>> html_to_text("<html><head><style>p{}</style></head><body><p>尊敬的 <b>张三</b>：</p>"
    ...              "<p>欠款\\n  合计</p></body></html>")
    '尊敬的 张三：\\n欠款\\n合计'
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    raw = "".join(parser.parts).splitlines()
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in raw)
    return "\n".join(line for line in lines if line)


def letter_text(
    content: LetterContent, kind: Kind = "collection", language: Language = "zh"
) -> str:
    """The plain text the compliance guard screens: the printed letter, seal drawing aside."""
    return html_to_text(render_html(content, kind=kind, language=language))
