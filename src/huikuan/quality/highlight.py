"""Cutting a screened text into plain and highlighted pieces, for ``<mark>`` on the page.

The screen (:func:`huikuan.compliance.content.screen`) gives each banned-phrase hit as
``start``/``end`` offsets into the original text. :func:`segments` turns a text and its hits into
consecutive pieces that together are exactly the text, overlapping hits merged into one marked
piece carrying every category and the strongest effect. Templates then print each piece through
Jinja2's autoescaping, wrapping only the marked ones in ``<mark>``: the text itself is never
trusted as HTML, so a note holding ``<script>`` stays text. Pure.

>>> from huikuan.compliance.content import screen
>>> text = "<b>再不还钱就让你坐牢</b>"
>>> [(s.text, s.marked) for s in segments(text, screen(text).hits)]
[('<b>再不还钱就让你', False), ('坐牢', True), ('</b>', False)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from huikuan.compliance.content import Hit
from huikuan.compliance.verdict import Effect


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    marked: bool = False
    categories: tuple[str, ...] = ()  # sorted category codes of the hits inside
    phrases: tuple[str, ...] = ()  # the listed phrases matched
    effect: str | None = None  # "block" or "warn" (the strongest) when marked


@dataclass(slots=True)
class _Span:
    start: int
    end: int
    categories: set[str] = field(default_factory=set)
    phrases: set[str] = field(default_factory=set)
    blocks: bool = False


def segments(text: str, hits: Iterable[Hit]) -> tuple[Segment, ...]:
    """``text`` as consecutive segments, the hits' spans marked (overlaps merged)."""
    spans: list[_Span] = []
    for hit in sorted(hits, key=lambda h: (h.start, h.end)):
        if not 0 <= hit.start < hit.end <= len(text):
            continue  # a hit from another text: never cut outside this one
        if spans and hit.start < spans[-1].end:
            span = spans[-1]
            span.end = max(span.end, hit.end)
        else:
            span = _Span(hit.start, hit.end)
            spans.append(span)
        span.categories.add(hit.category.value)
        span.phrases.add(hit.phrase)
        span.blocks = span.blocks or hit.effect is Effect.BLOCK
    pieces: list[Segment] = []
    at = 0
    for span in spans:
        if span.start > at:
            pieces.append(Segment(text[at : span.start]))
        pieces.append(
            Segment(
                text[span.start : span.end],
                marked=True,
                categories=tuple(sorted(span.categories)),
                phrases=tuple(sorted(span.phrases)),
                effect=Effect.BLOCK.value if span.blocks else Effect.WARN.value,
            )
        )
        at = span.end
    if at < len(text):
        pieces.append(Segment(text[at:]))
    return tuple(pieces)
