"""Turning rule findings into one verdict.

Every rule of every pack in force is run. Any block → ``blocked`` (with every blocking reason).
Otherwise any deferral → the contact is tried again at the latest time a deferring rule named,
until every rule allows it (``deferred``, with ``next_allowed_at``) or a rule blocks it outright
(``blocked``); a bounded number of steps keeps this finite. Warnings are reported either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from huikuan.compliance.packs import RulePack, applicable
from huikuan.compliance.request import CheckRequest
from huikuan.compliance.verdict import Decision, Effect, Finding, Reason, Verdict

MAX_DEFERRAL_STEPS = 32


def _findings(
    packs: Sequence[RulePack], request: CheckRequest
) -> list[tuple[RulePack, str, Finding]]:
    found = []
    for pack in applicable(packs, request):
        for rule in pack.rules:
            for finding in rule.check(request):
                found.append((pack, rule.rule_id, finding))
    return found


def _reason(pack: RulePack, rule_id: str, finding: Finding) -> Reason:
    return Reason(
        rule_id=rule_id,
        pack=pack.code,
        pack_version=pack.version,
        message=finding.message,
        message_zh=finding.message_zh,
        override_eligible=finding.override_eligible,
    )


def _sorted(reasons: list[Reason]) -> tuple[Reason, ...]:
    unique = {(r.pack, r.rule_id, r.message): r for r in reasons}
    return tuple(unique[key] for key in sorted(unique))


def check(request: CheckRequest, packs: Sequence[RulePack]) -> Verdict:
    """The verdict on ``request.proposed`` under ``packs``."""
    found = _findings(packs, request)
    warnings = [_reason(p, r, f) for p, r, f in found if f.effect is Effect.WARN]
    blocks = [_reason(p, r, f) for p, r, f in found if f.effect is Effect.BLOCK]
    if blocks:
        return Verdict(Decision.BLOCKED, _sorted(blocks), _sorted(warnings))
    defers = [(p, r, f) for p, r, f in found if f.effect is Effect.DEFER]
    if not defers:
        return Verdict(Decision.ALLOWED, (), _sorted(warnings))
    reasons = [_reason(p, r, f) for p, r, f in defers]
    candidate = request
    for _ in range(MAX_DEFERRAL_STEPS):
        later = max(f.next_allowed_at for _, _, f in defers if f.next_allowed_at is not None)
        if later <= candidate.proposed.datetime:
            break
        candidate = candidate.with_proposed_at(later)
        retry = _findings(packs, candidate)
        if any(f.effect is Effect.BLOCK for _, _, f in retry):
            # Waiting does not help: the contact is blocked at every time it could move to.
            blocked = [_reason(p, r, f) for p, r, f in retry if f.effect is Effect.BLOCK]
            return Verdict(Decision.BLOCKED, _sorted(reasons + blocked), _sorted(warnings))
        defers = [(p, r, f) for p, r, f in retry if f.effect is Effect.DEFER]
        if not defers:
            return Verdict(
                Decision.DEFERRED, _sorted(reasons), _sorted(warnings), candidate.proposed.datetime
            )
    return Verdict(Decision.BLOCKED, _sorted(reasons), _sorted(warnings))
