"""Findings of single rules and the verdict they add up to (the JSON of the request format)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Decision(StrEnum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    DEFERRED = "deferred"


class Effect(StrEnum):
    """What one rule says about the proposed contact."""

    BLOCK = "block"  # not allowed, and waiting will not help
    DEFER = "defer"  # not now; allowed from ``next_allowed_at`` if nothing else changes
    WARN = "warn"  # allowed, but a person should look (e.g. concentrated calls)


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule's objection or warning, before the pack's id and version are attached."""

    effect: Effect
    message: str
    message_zh: str
    next_allowed_at: datetime | None = None
    override_eligible: bool = False

    def __post_init__(self) -> None:
        if self.effect is Effect.DEFER and self.next_allowed_at is None:
            raise ValueError("a deferral needs the time it ends")


@dataclass(frozen=True, slots=True)
class Reason:
    rule_id: str
    pack: str
    pack_version: str
    message: str
    message_zh: str
    override_eligible: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "rule_id": self.rule_id,
            "pack": self.pack,
            "pack_version": self.pack_version,
            "message": self.message,
            "message_zh": self.message_zh,
            "override_eligible": self.override_eligible,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Reason, ...] = ()
    next_allowed_at: datetime | None = None

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED

    def as_json(self) -> dict[str, object]:
        return {
            "decision": self.decision.value,
            "next_allowed_at": None
            if self.next_allowed_at is None
            else self.next_allowed_at.isoformat(),
            "reasons": [reason.as_json() for reason in self.reasons],
            "warnings": [warning.as_json() for warning in self.warnings],
        }
