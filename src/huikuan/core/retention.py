"""How long each kind of record is kept, and when it is due for anonymisation or deletion.

Periods are data with their sources (COMPLIANCE-RULES.md §3.12: the longest period that applies
wins): personal data of a closed case is kept 5 years after closure (CN consumer-finance
records, the longest of the CN 2–5 year and US 3 year rules); call recordings 3 years after the
call (US §1006.100(b), longer than the CN credit-card 2 years); collection records 3 years after
the last activity (US §1006.100(a)). The audit log is never deleted: it is the proof. Money
records (accounts, payments) are kept for the aggregates and lose their link to a person only
through the anonymised debtor. An institution may lengthen a period, never shorten it below
the default.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class RecordType(StrEnum):
    DEBTOR_PERSONAL_DATA = "debtor_personal_data"  # names, ID numbers, contact points
    CALL_RECORDING = "call_recording"
    COLLECTION_RECORD = "collection_record"  # contact log, notes, letters


class Action(StrEnum):
    ANONYMISE = "anonymise"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class RetentionRule:
    record_type: RecordType
    years: int
    action: Action
    source: str

    def __post_init__(self) -> None:
        if self.years < 0:
            raise ValueError(f"{self.record_type}: a retention period cannot be negative")


DEFAULT_RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        RecordType.DEBTOR_PERSONAL_DATA,
        5,
        Action.ANONYMISE,
        "CN consumer-finance records ≥5 years (C7, S); longest of CN/US; then PIPL arts. 19, 47",
    ),
    RetentionRule(
        RecordType.CALL_RECORDING, 3, Action.DELETE, "US 12 CFR 1006.100(b); CN cards ≥2 years (C4)"
    ),
    RetentionRule(RecordType.COLLECTION_RECORD, 3, Action.ANONYMISE, "US 12 CFR 1006.100(a)"),
)


def add_years(day: date, years: int) -> date:
    """The same date ``years`` later; 29 February becomes 28 February in a common year.

    >>> add_years(date(2024, 2, 29), 1), add_years(date(2026, 3, 31), 5)
    (datetime.date(2025, 2, 28), datetime.date(2031, 3, 31))
    """
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return date(year, day.month, min(day.day, last))


def expires_on(anchor: date, rule: RetentionRule) -> date:
    """The first day the record may be anonymised or deleted."""
    return add_years(anchor, rule.years)


def is_due(anchor: date | None, as_of: date, rule: RetentionRule) -> bool:
    """Whether a record anchored on ``anchor`` (e.g. the case's closing date) is past its period.

    A record with no anchor (a case still open) is never due.
    """
    return anchor is not None and as_of >= expires_on(anchor, rule)


def tighten(
    defaults: tuple[RetentionRule, ...], overrides: dict[RecordType, int]
) -> tuple[RetentionRule, ...]:
    """An institution's periods: each may lengthen the default, never shorten it."""
    rules = []
    for rule in defaults:
        years = overrides.get(rule.record_type, rule.years)
        if years < rule.years:
            raise ValueError(
                f"{rule.record_type}: {years} years is shorter than the required {rule.years}"
            )
        rules.append(RetentionRule(rule.record_type, years, rule.action, rule.source))
    return tuple(rules)


def rule_for(rules: tuple[RetentionRule, ...], record_type: RecordType) -> RetentionRule:
    for rule in rules:
        if rule.record_type is record_type:
            return rule
    raise KeyError(f"no retention rule for {record_type}")
