"""The institution's seal drawn as SVG: a red ring, the name along the top arc, a star.

Chinese institutions seal their letters with a round red seal (公章): the full name runs
clockwise along the upper rim, a five-pointed star sits in the middle and an optional line
(for example 业务专用章) runs straight across below it. :func:`seal_svg` draws that shape from
the name alone; each character is placed and turned by hand rather than with ``<textPath>``,
which WeasyPrint's SVG renderer does not lay out along a curve. With ``specimen=True`` the
bottom line reads 样本 SPECIMEN and a band crosses the seal, so a demo letter can never pass
for a sealed one. Pure: text in, text out.
"""

from __future__ import annotations

import math
from html import escape

SEAL_RED = "#c8102e"
SIZE = 160.0  # viewBox units; the template scales it to 42 mm
_CENTRE = SIZE / 2
_RIM = SIZE / 2 - 4


def _star(cx: float, cy: float, outer: float) -> str:
    inner = outer * 0.382
    points = []
    for index in range(10):
        radius = outer if index % 2 == 0 else inner
        angle = math.radians(-90 + index * 36)
        points.append(f"{cx + radius * math.cos(angle):.2f},{cy + radius * math.sin(angle):.2f}")
    return f'<polygon points="{" ".join(points)}" fill="{SEAL_RED}"/>'


def _arc_text(name: str, font_family: str) -> list[str]:
    chars = [char for char in name if not char.isspace()]
    count = len(chars)
    if count == 0:
        return []
    # Spread the name over up to 220 degrees of the top arc (clear of the bottom line); long
    # names get smaller type.
    span = min(220.0, 32.0 * max(count - 1, 0))
    baseline = _RIM - 8
    step = math.radians(span / (count - 1)) * baseline if count > 1 else 24.0
    size = max(7.0, min(18.0, step * 0.92))
    baseline = _RIM - 5 - size
    parts = []
    for index, char in enumerate(chars):
        angle = -span / 2 + (span / (count - 1) * index if count > 1 else 0.0)
        radians = math.radians(angle)
        x = _CENTRE + baseline * math.sin(radians)
        y = _CENTRE - baseline * math.cos(radians)
        parts.append(
            f'<text transform="translate({x:.2f} {y:.2f}) rotate({angle:.2f})" '
            f'text-anchor="middle" font-size="{size:.1f}" font-family="{escape(font_family)}" '
            f'fill="{SEAL_RED}">{escape(char)}</text>'
        )
    return parts


def seal_svg(
    name: str,
    *,
    label: str = "",
    specimen: bool = False,
    font_family: str = "WenQuanYi Micro Hei",
) -> str:
    """An inline ``<svg>`` element for the seal of ``name``.

    >>> svg = seal_svg("示例银行", specimen=True)
    >>> svg.startswith("<svg") and "样本" in svg and svg.count("<text") == 4 + 1
    True
    """
    bottom = "样本 SPECIMEN" if specimen else label
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="seal" viewBox="0 0 {SIZE:g} {SIZE:g}" '
        f'width="{SIZE:g}" height="{SIZE:g}" role="img" aria-label="{escape(name)}">',
        f'<circle cx="{_CENTRE}" cy="{_CENTRE}" r="{_RIM}" fill="none" stroke="{SEAL_RED}" '
        'stroke-width="4"/>',
        _star(_CENTRE, _CENTRE, 22.0),
        *_arc_text(name, font_family),
    ]
    if bottom:
        size = min(14.0, 110.0 / max(len(bottom), 1) * 1.6)
        parts.append(
            f'<text x="{_CENTRE}" y="{_CENTRE + 44:.2f}" text-anchor="middle" '
            f'font-size="{size:.1f}" font-family="{escape(font_family)}" '
            f'fill="{SEAL_RED}">{escape(bottom)}</text>'
        )
    if specimen:
        # A band across the seal: a specimen must not be cut out and reused as a seal.
        parts.append(
            f'<line x1="14" y1="{SIZE - 30:g}" x2="{SIZE - 14:g}" y2="30" '
            f'stroke="{SEAL_RED}" stroke-width="3" stroke-dasharray="8 5"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
