"""docs.md lists exactly the KPIs defined in code, in the words of definitions.py."""

from __future__ import annotations

import re
from pathlib import Path

import huikuan.kpis
from huikuan.kpis.definitions import KPIS, definitions_markdown

DOCS = Path(huikuan.kpis.__file__).with_name("docs.md")


def test_docs_are_generated_from_the_definitions() -> None:
    # Regenerate with: python -c "from huikuan.kpis.definitions import definitions_markdown as m;
    # open('src/huikuan/kpis/docs.md', 'w').write(m())"
    assert DOCS.read_text(encoding="utf-8") == definitions_markdown()


def test_docs_list_exactly_the_defined_kpis() -> None:
    listed = re.findall(r"^\| `([a-z_0-9]+)` \| ", DOCS.read_text(encoding="utf-8"), re.M)
    kpis = [code for code in listed if code in {k.code for k in KPIS}]
    assert kpis == [kpi.code for kpi in KPIS]
    assert len({kpi.code for kpi in KPIS}) == len(KPIS)
    for kpi in KPIS:
        assert all((kpi.name_zh, kpi.name_en, kpi.numerator, kpi.denominator, kpi.sources))
