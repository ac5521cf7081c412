"""A strategy as a versioned YAML document, validated into a frozen :class:`Strategy`.

Schema (money in fen, DPD in days, list positions in error paths count from 0)::

    code: CN-DEFAULT            # stable; also salts the champion / challenger hash
    version: 3                  # whole number ≥ 1
    buckets:                    # optional; default M0, M1 = 1–30 … M6, M7+ (open)
      - {code: M0, min_dpd: 0, max_dpd: 0}
    arms:                       # shares in percent (two decimals at most), adding up to 100
      - {code: champion, share: 80}
      - {code: challenger, share: 15, treatments: {M1: M1-CALL-FIRST}}  # segment → treatment
      - {code: holdout, share: 5, holdout: true}                       # untreated
    segments:                   # first matching segment wins
      - code: M1
        when:                   # every condition given must hold; a list means "any of"
          bucket: [M1]          # bucket codes of ``buckets``
          dpd: {min: 1, max: 30}
          balance_fen: {min: 0, max: 5000000}    # principal + interest + penalty + fee
          product: [CARD]       # also creditor, score_band, language, case_state
        treatment: M1-STD
    treatments:
      - code: M1-STD
        exit_on: [payment, promise_kept, plan]   # default for every step
        steps:
          - {dpd: 1, channel: sms, template: SMS-M1-D1, priority: 50}
          - {dpd: 3, every: 7, until_dpd: 30, channel: call, template: CALL-M1, priority: 20}
          - {due_offset: -3, channel: sms, template: SMS-PRE-D3, priority: 60}

A step fires on a DPD (``dpd``, repeating every ``every`` days up to ``until_dpd``) or on a
day offset from the due date (``due_offset``: −3 is three days before it). Priority: 1 is
the most urgent, 99 the least. Every mistake is reported with its path and YAML line, e.g.
``segments[2].when.bucket: unknown bucket 'M9' (line 14)``; all mistakes of a document are
reported together.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from huikuan.core.policy import DEFAULT_BUCKETS, BucketRange, BucketScheme

ARM_SLOTS = 10_000  # an arm's share is a count of these slots (1 slot = 0.01%)


class StrategyError(ValueError):
    """The strategy document is not valid; ``problems`` holds one line per mistake."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid strategy:\n  " + "\n  ".join(problems))


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"  # 催收函 by post
    CALL = "call"  # a call task into an agent queue
    LEGAL = "legal"  # referral to the legal team (法催)


class ExitOn(StrEnum):
    """What ends a treatment step for an account, and the column that says so."""

    PAYMENT = "payment"
    PROMISE_KEPT = "promise_kept"
    PLAN = "plan"

    @property
    def column(self) -> str:
        return _EXIT_COLUMNS[self]


_EXIT_COLUMNS = {
    ExitOn.PAYMENT: "paid_since_start",
    ExitOn.PROMISE_KEPT: "promise_kept",
    ExitOn.PLAN: "in_plan",
}

# Condition name in YAML → the accounts-frame column it reads.
CODE_CONDITIONS: dict[str, str] = {
    "bucket": "bucket",
    "product": "product_code",
    "creditor": "creditor",
    "score_band": "score_band",
    "language": "language",
    "case_state": "case_state",
}
RANGE_CONDITIONS: dict[str, str] = {"dpd": "dpd", "balance_fen": "balance"}


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive bounds; ``None`` leaves that side open."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True, slots=True)
class Conditions:
    """Each given condition must hold; an empty tuple / ``None`` means "any"."""

    codes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (condition name, allowed values)
    ranges: tuple[tuple[str, Range], ...] = ()

    def columns(self) -> set[str]:
        return {CODE_CONDITIONS[name] for name, _ in self.codes} | {
            RANGE_CONDITIONS[name] for name, _ in self.ranges
        }


@dataclass(frozen=True, slots=True)
class Segment:
    code: str
    when: Conditions
    treatment: str


@dataclass(frozen=True, slots=True)
class Step:
    """One action of a treatment. Exactly one of ``dpd`` and ``due_offset`` is set."""

    channel: Channel
    template: str
    priority: int
    exit_on: frozenset[ExitOn]
    dpd: int | None = None
    every: int | None = None  # repeat every N days of DPD …
    until_dpd: int | None = None  # … up to and including this DPD
    due_offset: int | None = None  # days from the due date (negative: before it)


@dataclass(frozen=True, slots=True)
class Treatment:
    code: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Arm:
    code: str
    slots: int  # out of ARM_SLOTS
    holdout: bool = False
    treatments: Mapping[str, str] = field(default_factory=dict)  # segment → treatment override

    @property
    def share(self) -> Decimal:
        return Decimal(self.slots) * 100 / ARM_SLOTS


@dataclass(frozen=True, slots=True)
class Strategy:
    code: str
    version: int
    buckets: BucketScheme
    arms: tuple[Arm, ...]
    segments: tuple[Segment, ...]
    treatments: Mapping[str, Treatment]

    def treatment_for(self, arm: str, segment: str) -> str | None:
        """The treatment an arm gives a segment (``None`` for a hold-out arm)."""
        for candidate in self.arms:
            if candidate.code == arm:
                if candidate.holdout:
                    return None
                return candidate.treatments.get(segment, self.segment(segment).treatment)
        raise KeyError(arm)

    def segment(self, code: str) -> Segment:
        for segment in self.segments:
            if segment.code == code:
                return segment
        raise KeyError(code)


# ---------------------------------------------------------------------------------------
# Loading: YAML → plain data plus the line of every path → validated Strategy.


def _walk(
    node: yaml.Node, path: str, lines: dict[str, int], problems: list[str], line: int | None = None
) -> None:
    """Record the line of every path: a mapping value's is its key's line."""
    lines[path] = line if line is not None else node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in seen:
                problems.append(f"{child}: duplicate key (line {key_node.start_mark.line + 1})")
            seen.add(key)
            _walk(value_node, child, lines, problems, key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _walk(item, f"{path}[{position}]", lines, problems)


_LAST_PART = re.compile(r"(\.?[^.\[\]]+|\[\d+\])$")


class _Checker:
    """Collects problems, each with the path's YAML line (or its nearest parent's)."""

    def __init__(self, lines: Mapping[str, int]) -> None:
        self.lines = lines
        self.problems: list[str] = []

    def line(self, path: str) -> int | None:
        while path not in self.lines and path:
            path = _LAST_PART.sub("", path)
        return self.lines.get(path)

    def error(self, path: str, message: str) -> None:
        line = self.line(path)
        where = f" (line {line})" if line is not None else ""
        self.problems.append(f"{path or '<document>'}: {message}{where}")

    def mapping(self, value: object, path: str, allowed: set[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, "must be a mapping")
            return None
        for key in sorted(set(map(str, value)) - allowed):
            self.error(f"{path}.{key}" if path else key, f"unknown field {key!r}")
        return {str(key): item for key, item in value.items()}

    def require(self, data: Mapping[str, Any], name: str, path: str) -> object:
        if name not in data or data[name] is None:
            self.error(path, f"missing field {name!r}")
            return None
        return data[name]

    def code(self, value: object, path: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
            self.error(path, f"must be a non-empty code, got {value!r}")
            return None
        return str(value)

    def integer(
        self, value: object, path: str, *, low: int | None = None, high: int | None = None
    ) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"must be a whole number, got {value!r}")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"{low if low is not None else '…'}–{high if high is not None else '…'}"
            self.error(path, f"must be in {bounds}, got {value}")
            return None
        return value

    def codes(self, value: object, path: str) -> tuple[str, ...] | None:
        items = value if isinstance(value, list) else [value]
        if not items:
            self.error(path, "must list at least one value")
            return None
        result = []
        for position, item in enumerate(items):
            where = f"{path}[{position}]" if isinstance(value, list) else path
            code = self.code(item, where)
            if code is None:
                return None
            result.append(code)
        return tuple(result)


def strategy_from_yaml(text: str, source: str = "<strategy>") -> Strategy:
    """Parse and validate a strategy document; :class:`StrategyError` lists every mistake."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise StrategyError([f"{source}: not valid YAML: {exc.problem}{line}"]) from exc
    except yaml.YAMLError as exc:
        raise StrategyError([f"{source}: not valid YAML: {exc}"]) from exc
    lines: dict[str, int] = {}
    problems: list[str] = []
    if node is not None:
        _walk(node, "", lines, problems)
    checker = _Checker(lines)
    checker.problems.extend(problems)
    strategy = _strategy(data, checker)
    if checker.problems or strategy is None:
        raise StrategyError(checker.problems or [f"{source}: empty document"])
    return strategy


def load_strategy(path: Path) -> Strategy:
    return strategy_from_yaml(path.read_text(encoding="utf-8"), source=str(path))


def default_strategy() -> Strategy:
    """The packaged CN strategy (``default.yaml``), read as a package resource."""
    resource = importlib.resources.files("huikuan.strategy").joinpath("default.yaml")
    return strategy_from_yaml(resource.read_text(encoding="utf-8"), source="default.yaml")


def _strategy(data: object, c: _Checker) -> Strategy | None:
    top = c.mapping(
        data, "", {"code", "version", "description", "buckets", "arms", "segments", "treatments"}
    )
    if top is None:
        return None
    code_raw = c.require(top, "code", "")
    code = None if code_raw is None else c.code(code_raw, "code")
    version_raw = c.require(top, "version", "")
    version = c.integer(version_raw, "version", low=1) if version_raw is not None else None
    buckets = _buckets(top.get("buckets"), c)
    treatments = _treatments(c.require(top, "treatments", ""), c)
    segments = _segments(c.require(top, "segments", ""), c, buckets, treatments)
    arms = _arms(c.require(top, "arms", ""), c, {s.code for s in segments}, treatments)
    if c.problems or code is None or version is None or buckets is None:
        return None
    return Strategy(code, version, buckets, arms, segments, treatments)


def _buckets(value: object, c: _Checker) -> BucketScheme | None:
    if value is None:
        return DEFAULT_BUCKETS
    if not isinstance(value, list) or not value:
        c.error("buckets", "must be a non-empty list of {code, min_dpd, max_dpd}")
        return None
    ranges = []
    for position, raw in enumerate(value):
        path = f"buckets[{position}]"
        item = c.mapping(raw, path, {"code", "min_dpd", "max_dpd"})
        if item is None:
            return None
        code = c.code(c.require(item, "code", path), f"{path}.code")
        low = c.integer(c.require(item, "min_dpd", path), f"{path}.min_dpd", low=0)
        high = item.get("max_dpd")
        high_checked = None if high is None else c.integer(high, f"{path}.max_dpd", low=0)
        if code is None or low is None or (high is not None and high_checked is None):
            return None
        ranges.append(BucketRange(code, low, high_checked))
    try:
        return BucketScheme("STRATEGY", 1, tuple(ranges))
    except ValueError as exc:
        c.error("buckets", str(exc).removeprefix("bucket scheme STRATEGY: "))
        return None


def _treatments(value: object, c: _Checker) -> dict[str, Treatment]:
    treatments: dict[str, Treatment] = {}
    if value is None:
        return treatments
    if not isinstance(value, list):
        c.error("treatments", "must be a list of treatments")
        return treatments
    for position, raw in enumerate(value):
        path = f"treatments[{position}]"
        item = c.mapping(raw, path, {"code", "description", "exit_on", "steps"})
        if item is None:
            continue
        code = c.code(c.require(item, "code", path), f"{path}.code")
        exits = _exits(item.get("exit_on", []), f"{path}.exit_on", c)
        raw_steps = c.require(item, "steps", path)
        steps: list[Step] = []
        if raw_steps is not None and not isinstance(raw_steps, list):
            c.error(f"{path}.steps", "must be a list of steps")
        elif isinstance(raw_steps, list):
            for number, raw_step in enumerate(raw_steps):
                step = _step(raw_step, f"{path}.steps[{number}]", c, exits)
                if step is not None:
                    steps.append(step)
        if code is None:
            continue
        if code in treatments:
            c.error(f"{path}.code", f"duplicate treatment {code!r}")
        treatments[code] = Treatment(code, tuple(steps))
    return treatments


def _exits(value: object, path: str, c: _Checker) -> frozenset[ExitOn]:
    names = c.codes(value, path) if value != [] else ()
    result = set()
    for position, name in enumerate(names or ()):
        try:
            result.add(ExitOn(name))
        except ValueError:
            where = f"{path}[{position}]" if isinstance(value, list) else path
            known = ", ".join(e.value for e in ExitOn)
            c.error(where, f"unknown exit condition {name!r} (known: {known})")
    return frozenset(result)


_STEP_FIELDS = {
    "dpd",
    "every",
    "until_dpd",
    "due_offset",
    "channel",
    "template",
    "priority",
    "exit_on",
}


def _step(raw: object, path: str, c: _Checker, exits: frozenset[ExitOn]) -> Step | None:
    item = c.mapping(raw, path, _STEP_FIELDS)
    if item is None:
        return None
    before = len(c.problems)
    channel_raw = c.require(item, "channel", path)
    channel = None
    if channel_raw is not None:
        try:
            channel = Channel(str(channel_raw))
        except ValueError:
            known = ", ".join(ch.value for ch in Channel)
            c.error(f"{path}.channel", f"unknown channel {channel_raw!r} (known: {known})")
    template_raw = c.require(item, "template", path)
    template = None if template_raw is None else c.code(template_raw, f"{path}.template")
    priority_raw = c.require(item, "priority", path)
    priority = (
        None
        if priority_raw is None
        else c.integer(priority_raw, f"{path}.priority", low=1, high=99)
    )
    step_exits = _exits(item["exit_on"], f"{path}.exit_on", c) if "exit_on" in item else exits
    has_dpd, has_offset = "dpd" in item, "due_offset" in item
    if has_dpd == has_offset:
        c.error(path, "give exactly one trigger: 'dpd' or 'due_offset'")
    dpd = c.integer(item["dpd"], f"{path}.dpd", low=1) if has_dpd else None
    offset = c.integer(item["due_offset"], f"{path}.due_offset") if has_offset else None
    every = c.integer(item["every"], f"{path}.every", low=1) if "every" in item else None
    until = (
        c.integer(item["until_dpd"], f"{path}.until_dpd", low=1) if "until_dpd" in item else None
    )
    if (every is None) != (until is None) and ("every" in item) != ("until_dpd" in item):
        c.error(path, "'every' and 'until_dpd' go together")
    if ("every" in item or "until_dpd" in item) and not has_dpd:
        c.error(path, "'every' / 'until_dpd' repeat a 'dpd' trigger only")
    if dpd is not None and until is not None and until < dpd:
        c.error(f"{path}.until_dpd", f"must not be before dpd {dpd}, got {until}")
    if len(c.problems) > before or channel is None or template is None or priority is None:
        return None
    return Step(channel, template, priority, step_exits, dpd, every, until, offset)


def _segments(
    value: object, c: _Checker, buckets: BucketScheme | None, treatments: Mapping[str, Treatment]
) -> tuple[Segment, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        c.error("segments", "must be a non-empty list of segments")
        return ()
    segments: list[Segment] = []
    seen: set[str] = set()
    for position, raw in enumerate(value):
        path = f"segments[{position}]"
        item = c.mapping(raw, path, {"code", "description", "when", "treatment"})
        if item is None:
            continue
        code = c.code(c.require(item, "code", path), f"{path}.code")
        if code is not None and code in seen:
            c.error(f"{path}.code", f"duplicate segment {code!r}")
        when = _conditions(item.get("when", {}), f"{path}.when", c, buckets)
        treatment_raw = c.require(item, "treatment", path)
        treatment = None if treatment_raw is None else c.code(treatment_raw, f"{path}.treatment")
        if treatment is not None and treatment not in treatments:
            c.error(f"{path}.treatment", f"unknown treatment {treatment!r}")
        if code is None or when is None or treatment is None:
            continue
        seen.add(code)
        segments.append(Segment(code, when, treatment))
    return tuple(segments)


def _conditions(
    value: object, path: str, c: _Checker, buckets: BucketScheme | None
) -> Conditions | None:
    item = c.mapping(
        value if value is not None else {}, path, set(CODE_CONDITIONS) | set(RANGE_CONDITIONS)
    )
    if item is None:
        return None
    before = len(c.problems)
    codes: list[tuple[str, tuple[str, ...]]] = []
    ranges: list[tuple[str, Range]] = []
    for name in CODE_CONDITIONS:
        if name not in item:
            continue
        values = c.codes(item[name], f"{path}.{name}")
        if values is None:
            continue
        if name == "bucket" and buckets is not None:
            for position, bucket in enumerate(values):
                if bucket not in buckets.codes:
                    where = (
                        f"{path}.{name}[{position}]"
                        if isinstance(item[name], list)
                        else f"{path}.{name}"
                    )
                    known = ", ".join(buckets.codes)
                    c.error(where, f"unknown bucket {bucket!r} (known: {known})")
        codes.append((name, values))
    for name in RANGE_CONDITIONS:
        if name not in item:
            continue
        where = f"{path}.{name}"
        bounds = c.mapping(item[name], where, {"min", "max"})
        if bounds is None:
            continue
        low = None if bounds.get("min") is None else c.integer(bounds["min"], f"{where}.min", low=0)
        high = (
            None if bounds.get("max") is None else c.integer(bounds["max"], f"{where}.max", low=0)
        )
        if low is not None and high is not None and high < low:
            c.error(where, f"max {high} is below min {low}")
        ranges.append((name, Range(low, high)))
    if len(c.problems) > before:
        return None
    return Conditions(tuple(codes), tuple(ranges))


def _arms(
    value: object, c: _Checker, segments: set[str], treatments: Mapping[str, Treatment]
) -> tuple[Arm, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        c.error("arms", "must be a non-empty list of arms")
        return ()
    arms: list[Arm] = []
    total = 0
    for position, raw in enumerate(value):
        path = f"arms[{position}]"
        item = c.mapping(raw, path, {"code", "share", "holdout", "treatments", "description"})
        if item is None:
            continue
        code = c.code(c.require(item, "code", path), f"{path}.code")
        if code is not None and any(arm.code == code for arm in arms):
            c.error(f"{path}.code", f"duplicate arm {code!r}")
        slots = _share(c.require(item, "share", path), f"{path}.share", c)
        holdout = item.get("holdout", False)
        if not isinstance(holdout, bool):
            c.error(f"{path}.holdout", f"must be true or false, got {holdout!r}")
            holdout = False
        overrides: dict[str, str] = {}
        raw_overrides = item.get("treatments", {})
        mapping = c.mapping(raw_overrides, f"{path}.treatments", segments) if raw_overrides else {}
        if holdout and raw_overrides:
            c.error(f"{path}.treatments", "a hold-out arm gets no treatments")
        for segment, treatment in (mapping or {}).items():
            where = f"{path}.treatments.{segment}"
            name = c.code(treatment, where)
            if name is not None and name not in treatments:
                c.error(where, f"unknown treatment {name!r}")
            elif name is not None:
                overrides[segment] = name
        if code is None or slots is None:
            continue
        total += slots
        arms.append(Arm(code, slots, holdout, overrides))
    if arms and not c.problems and total != ARM_SLOTS:
        c.error("arms", f"shares add up to {Decimal(total) / 100}%, not 100%")
    if arms and all(arm.holdout for arm in arms):
        c.error("arms", "at least one arm must be treated")
    return tuple(arms)


def _share(value: object, path: str, c: _Checker) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        c.error(path, f"must be a percentage, got {value!r}")
        return None
    try:
        slots = Decimal(str(value)) * 100
    except InvalidOperation:
        c.error(path, f"must be a percentage, got {value!r}")
        return None
    if slots != slots.to_integral_value() or not 0 < slots <= ARM_SLOTS:
        c.error(
            path, f"must be a percentage above 0 and at most 100 with two decimals, got {value!r}"
        )
        return None
    return int(slots)
