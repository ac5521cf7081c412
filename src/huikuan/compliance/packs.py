"""Rule packs: versioned, dated sets of rules with stable ids.

A :class:`Rule` is a plain function of the request (and the pack's parameters) returning its
findings; a :class:`RulePack` groups rules with a code, a version, the jurisdiction it serves and
the date it takes effect. Packs stack: every pack in force for the jurisdiction is applied and
the strictest outcome wins, so an institution's or a US state's overlay can only add
restrictions, never remove one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from huikuan.compliance.request import CheckRequest
from huikuan.compliance.verdict import Finding

Check = Callable[[CheckRequest], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str  # stable: e.g. "US-REGF-1006.14(b)(2)(i)" or "CN-CBA-2026-QUIET-HOURS"
    title: str
    check: Check


@dataclass(frozen=True, slots=True)
class RulePack:
    code: str
    version: str
    jurisdiction: str  # "CN" or "US"
    effective: date
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        ids = [rule.rule_id for rule in self.rules]
        repeated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if repeated:
            raise ValueError(f"pack {self.code}: rule ids must be unique: {', '.join(repeated)}")

    def in_force(self, jurisdiction: str, on: date) -> bool:
        return self.jurisdiction == jurisdiction and self.effective <= on


def applicable(packs: Sequence[RulePack], request: CheckRequest) -> tuple[RulePack, ...]:
    on = request.proposed.datetime.date()
    return tuple(pack for pack in packs if pack.in_force(request.jurisdiction, on))
