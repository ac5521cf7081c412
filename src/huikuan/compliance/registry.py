"""The rule packs in force by default: every CN pack, the US Regulation F pack, and the content
screening pack of each jurisdiction. One list, used by the CLI, the services and the batch
planner."""

from __future__ import annotations

from functools import cache

from huikuan.compliance.packs import RulePack


@cache
def default_packs() -> tuple[RulePack, ...]:
    from huikuan.compliance.cn import CN_PACKS
    from huikuan.compliance.content import CONTENT_PACK_CN, CONTENT_PACK_US
    from huikuan.compliance.us import US_PACK

    return (*CN_PACKS, US_PACK, CONTENT_PACK_CN, CONTENT_PACK_US)


def pack_summary() -> list[tuple[str, str, str, list[str]]]:
    """(code, version, jurisdiction, rule ids) for every default pack: what the guard enforces."""
    return [
        (pack.code, pack.version, pack.jurisdiction, [rule.rule_id for rule in pack.rules])
        for pack in default_packs()
    ]
