"""Allocation rules as a JSON document: the stored, versioned form of :class:`AllocationRules`.

Example::

    {"code": "DEFAULT", "version": 1,
     "rules": [{"code": "EARLY", "when": {"buckets": ["M1", "M2"]},
                "target": {"teams": ["T-IN-A"]}, "balance_by": "count"}],
     "agency_approvals": [{"creditor": "HXB", "agencies": ["AG01"]}]}

Amounts in ``when.balance_min`` / ``balance_max`` are minor units (fen).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from huikuan.assignment.engine import (
    AgencyApproval,
    AllocationRules,
    BalanceBy,
    Conditions,
    Rule,
    Target,
)

_CONDITION_LISTS = ("creditors", "products", "buckets", "regions", "languages", "score_bands")


class RulesError(ValueError):
    """The rules document is not valid; the message names the rule and the field."""


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise RulesError(f"{where} must be a list of codes")
    return tuple(str(item) for item in value)


def _int_or_none(value: object, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RulesError(f"{where} must be a whole number of fen")
    return value


def rules_from_dict(data: Mapping[str, Any]) -> AllocationRules:
    try:
        rules = []
        for position, raw in enumerate(data.get("rules", []), start=1):
            where = f"rule {raw.get('code') or position}"
            when = raw.get("when", {})
            unknown = set(when) - {*_CONDITION_LISTS, "balance_min", "balance_max"}
            if unknown:
                raise RulesError(f"{where}: unknown condition(s) {', '.join(sorted(unknown))}")
            conditions = Conditions(
                **{
                    name: _strings(when[name], f"{where}.{name}")
                    for name in _CONDITION_LISTS
                    if name in when
                },
                balance_min=_int_or_none(when.get("balance_min"), f"{where}.balance_min"),
                balance_max=_int_or_none(when.get("balance_max"), f"{where}.balance_max"),
            )
            target = raw.get("target", {})
            rules.append(
                Rule(
                    code=str(raw["code"]),
                    target=Target(
                        teams=_strings(target.get("teams", []), f"{where}.target.teams"),
                        agencies=_strings(target.get("agencies", []), f"{where}.target.agencies"),
                    ),
                    when=conditions,
                    balance_by=BalanceBy(raw.get("balance_by", "count")),
                    version=int(raw.get("version", 1)),
                )
            )
        approvals = tuple(
            AgencyApproval(str(item["creditor"]), _strings(item["agencies"], "agency_approvals"))
            for item in data.get("agency_approvals", [])
        )
        return AllocationRules(
            code=str(data["code"]),
            version=int(data["version"]),
            rules=tuple(rules),
            agency_approvals=approvals,
        )
    except KeyError as exc:
        raise RulesError(f"allocation rules: missing field {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        if isinstance(exc, RulesError):
            raise
        raise RulesError(f"allocation rules: {exc}") from exc


def load_rules(path: Path) -> AllocationRules:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RulesError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, dict):
        raise RulesError(f"{path}: the document must be a JSON object")
    return rules_from_dict(data)


def default_rules(team_codes: Sequence[str]) -> AllocationRules:
    """Every case to the in-house teams, balanced by count: the rule when none is configured."""
    if not team_codes:
        raise RulesError("no teams to allocate to: add teams first")
    return AllocationRules(
        code="DEFAULT",
        version=1,
        rules=(Rule(code="ALL-IN-HOUSE", target=Target(teams=tuple(team_codes))),),
    )
