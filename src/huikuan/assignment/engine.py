"""Allocation of cases to agents (分案) by rules kept as data, over Polars frames.

Data flow::

    cases, agents (frames) ─┐
    AllocationRules ────────┼─ allocate(as_of) ─> AllocationResult
                            │     1. validate and normalise both frames
                            │     2. recall: agency cases past their 委案周期 (placement_end)
                            │     3. match: first rule whose conditions hold, per case
                            │     4. hold: 留案 cases (keep_until >= as_of) stay with their agent
                            │     5. keep: cases whose agent is still eligible stay (to capacity)
                            │     6. pool: every other case to the least-loaded eligible agent
                            └──── assignments | unassigned | recalled | load

Rules. :class:`AllocationRules` is an ordered tuple of :class:`Rule`; each has a stable code
and version, :class:`Conditions` (creditor, product, bucket, balance band ``[min, max)``,
region, language, score band; an empty condition matches anything, a null region or score
band matches only a rule that does not ask for one), a :class:`Target` (in-house or agency
team codes, and/or agency codes) and a :class:`BalanceBy`. **The first matching rule wins**,
so put narrow rules before broad ones. A case no rule matches is listed in ``unassigned``
(``no_rule``), never dropped. Agency agents may only receive a creditor's cases when the
creditor approved that agency (:class:`AgencyApproval`); unlisted creditors outsource nothing.

Eligibility. An agent is eligible for a case when it is active, in the rule's target, either
in-house or from an agency the creditor approved, and speaks the case's language. Mandarin
(``zh``, also assumed when the language is null) is the working language of every agent; any
other language (``yue``, ``en``, ``ug`` …) needs an agent who lists it.

Recall (委案到期). A case held by an agency (``agency_code`` not null) whose ``placement_end``
is before ``as_of`` is recalled, unless a 留案 (``keep_until >= as_of``) extends it. It is listed
in ``recalled`` and comes back in-house in the same run: it is allocated by its rule to
in-house agents only (agency targets are skipped until a new placement with its own period is
made); if the rule targets agencies only, it is ``unassigned`` as ``awaiting_placement``. This
is a recall from the agency, not the case's own RECALLED life-cycle state (which ends
collection). A null ``placement_end`` never expires.

Holding and keeping (stickiness). A 留案 case stays with its current agent regardless of rule,
capacity and placement end, provided the agent is still active (an inactive agent cannot hold
work: the case is then allocated afresh; it is not recalled while the 留案 runs). Any other
case whose current agent is still eligible under its rule keeps that agent, biggest balance
first, while the agent stays within capacity after its 留案 cases; the rest of its cases are
released and re-allocated (``rebalanced``). Only 留案 cases can put an agent over capacity,
and then the agent receives nothing more.

Pool. The remaining cases are taken highest balance first (ties by ``case_id``), so the big
cases are spread first and balancing by amount works like the longest-first heuristic. Each
goes to the eligible agent with the lowest load, measured by the rule's ``balance_by`` (open
case count, or total balance) over everything the agent holds so far in this run, ties broken
by the lowest ``agent_id``, skipping agents that would exceed ``capacity_count`` or
``capacity_amount`` (null means no limit). A case that fits no eligible agent is unassigned
(``no_capacity``). One lazy heap per eligibility group keeps this at O(log agents) per case.

Reasons in ``assignments``: ``held`` (留案), ``kept`` (same agent as before), ``new`` (had no
agent), ``moved`` (its agent can no longer hold it: inactive, out of target, recalled …),
``rebalanced`` (its agent was over capacity). Same input, same output: every order is fixed.

Also here: :func:`reassign` for a team lead's 调案 (records for the assignment history) and
:func:`visible_fields` / :func:`agency_view`, the minimum fields an agency may see (PIPL).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

import polars as pl

COMMON_LANGUAGE = "zh"
"""The language every agent works in; a case in any other language needs a speaker."""

_NO_LIMIT = 1 << 62  # stands for a null capacity inside the loop (above any real portfolio)


class BalanceBy(StrEnum):
    """What "load" means when a rule spreads cases over agents."""

    COUNT = "count"  # number of open cases
    AMOUNT = "amount"  # total balance, minor units


class AssignmentReason(StrEnum):
    HELD = "held"  # 留案: kept past its period with its agent
    KEPT = "kept"  # unchanged: the agent is still eligible
    NEW = "new"  # had no agent
    MOVED = "moved"  # its agent can no longer hold it
    REBALANCED = "rebalanced"  # its agent was over capacity


class UnassignedReason(StrEnum):
    NO_RULE = "no_rule"
    NO_ACTIVE_AGENT = "no_active_agent"
    AWAITING_PLACEMENT = "awaiting_placement"
    AGENCY_NOT_ALLOWED = "agency_not_allowed"
    NO_LANGUAGE_MATCH = "no_language_match"
    NO_CAPACITY = "no_capacity"

    @property
    def message(self) -> str:
        return UNASSIGNED_MESSAGES[self]


UNASSIGNED_MESSAGES: Mapping[UnassignedReason, str] = MappingProxyType(
    {
        UnassignedReason.NO_RULE: "没有匹配的分案规则 / no allocation rule matched",
        UnassignedReason.NO_ACTIVE_AGENT: (
            "规则目标中没有在岗坐席 / no active agent in the rule's target"
        ),
        UnassignedReason.AWAITING_PLACEMENT: (
            "委案到期收回，规则仅指向委外机构，待重新委案 / recalled at placement end; "
            "the rule targets agencies only: awaiting a new placement"
        ),
        UnassignedReason.AGENCY_NOT_ALLOWED: (
            "委托方未授权该委外机构 / the creditor has not approved the target agency"
        ),
        UnassignedReason.NO_LANGUAGE_MATCH: (
            "没有会该语言的坐席 / no eligible agent speaks the case's language"
        ),
        UnassignedReason.NO_CAPACITY: "坐席容量已满 / every eligible agent is at capacity",
    }
)

RECALL_REASON = "placement_expired"
RECALL_MESSAGE = "委案周期已到期，从委外机构收回 / placement period ended: recalled from the agency"


class AllocationInputError(ValueError):
    """A cases or agents frame that cannot be allocated: missing column, bad type, duplicate."""


# --------------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class Conditions:
    """When a rule applies. Empty tuples and ``None`` bounds match anything.

    The balance band is ``[balance_min, balance_max)`` in minor units.
    """

    creditors: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    balance_min: int | None = None
    balance_max: int | None = None
    regions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    score_bands: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        low, high = self.balance_min, self.balance_max
        if low is not None and high is not None and low >= high:
            raise ValueError("balance band: balance_min must be below balance_max")

    def expr(self) -> pl.Expr:
        """The conditions as one Boolean expression over the cases frame (null counts False).

        >>> frame = pl.DataFrame({"bucket": ["M1", "M3"], "balance": [500, 90_000]})
        >>> rule = Conditions(buckets=("M1", "M2"), balance_max=1_000)
        >>> frame.select(rule.expr()).get_column("match").to_list()
        [True, False]
        """
        parts: list[pl.Expr] = []
        for column, values in (
            ("creditor_code", self.creditors),
            ("product_code", self.products),
            ("bucket", self.buckets),
            ("region", self.regions),
            ("language", self.languages),
            ("score_band", self.score_bands),
        ):
            if values:
                parts.append(pl.col(column).is_in(list(values)))
        if self.balance_min is not None:
            parts.append(pl.col("balance") >= self.balance_min)
        if self.balance_max is not None:
            parts.append(pl.col("balance") < self.balance_max)
        if not parts:
            return pl.lit(True).alias("match")
        return pl.all_horizontal(parts).fill_null(False).alias("match")


@dataclass(frozen=True, slots=True)
class Target:
    """Who may receive a rule's cases: agents of these teams, and/or of these agencies."""

    teams: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.teams and not self.agencies:
            raise ValueError("a target needs at least one team or agency code")


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of an allocation table: conditions, target, how load is balanced."""

    code: str
    target: Target
    when: Conditions = Conditions()
    balance_by: BalanceBy = BalanceBy.COUNT
    version: int = 1

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("a rule needs a code")
        if self.version < 1:
            raise ValueError(f"rule {self.code}: version must be at least 1")


@dataclass(frozen=True, slots=True)
class AgencyApproval:
    """The agencies a creditor allows its cases to be outsourced to (委外授权)."""

    creditor_code: str
    agency_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AllocationRules:
    """An ordered rule table (first match wins) and the creditors' agency approvals."""

    code: str
    version: int
    rules: tuple[Rule, ...]
    agency_approvals: tuple[AgencyApproval, ...] = ()
    _approved: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.code or self.version < 1:
            raise ValueError("an allocation table needs a code and a version of at least 1")
        codes = [rule.code for rule in self.rules]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"rule codes must be unique: {', '.join(repeated)}")
        approved: dict[str, frozenset[str]] = {}
        for approval in self.agency_approvals:
            if approval.creditor_code in approved:
                raise ValueError(f"creditor {approval.creditor_code} is approved twice")
            approved[approval.creditor_code] = frozenset(approval.agency_codes)
        object.__setattr__(self, "_approved", MappingProxyType(approved))

    def approved_agencies(self, creditor_code: str) -> frozenset[str]:
        """Agencies the creditor approved; none when the creditor is not listed."""
        return self._approved.get(creditor_code, frozenset())


# --------------------------------------------------------------------------------- inputs

CASE_SCHEMA: Mapping[str, pl.DataType] = MappingProxyType(
    {
        "case_id": pl.Int64(),
        "creditor_code": pl.String(),
        "product_code": pl.String(),
        "bucket": pl.String(),
        "balance": pl.Int64(),
        "region": pl.String(),
        "language": pl.String(),
        "score_band": pl.String(),
        "current_agent_id": pl.Int64(),
        "keep_until": pl.Date(),
        "placement_end": pl.Date(),
        "agency_code": pl.String(),
    }
)
"""Columns ``allocate`` reads from the cases frame (others, e.g. ``dpd``, are ignored)."""

_CASE_REQUIRED = ("case_id", "creditor_code", "product_code", "bucket", "balance")

AGENT_SCHEMA: Mapping[str, pl.DataType] = MappingProxyType(
    {
        "agent_id": pl.Int64(),
        "team_code": pl.String(),
        "agency_code": pl.String(),
        "capacity_count": pl.Int64(),
        "capacity_amount": pl.Int64(),
        "languages": pl.List(pl.String()),
        "active": pl.Boolean(),
    }
)
"""Agents: ``languages`` is a list of codes or a comma-separated string; null capacity = no
limit; null ``agency_code`` = in-house."""

_AGENT_REQUIRED = ("agent_id", "team_code", "active")


def _normalise(
    frame: pl.DataFrame,
    schema: Mapping[str, pl.DataType],
    required: tuple[str, ...],
    key: str,
    what: str,
) -> pl.DataFrame:
    missing = [name for name in schema if name not in frame.columns]
    if missing:
        raise AllocationInputError(f"{what}: missing column(s) {', '.join(missing)}")
    columns = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if name == "languages" and frame.schema[name] == pl.String:
            column = column.str.split(",").list.eval(pl.element().str.strip_chars())
        columns.append(column.cast(dtype, strict=True).alias(name))
    try:
        out = frame.select(columns)
    except pl.exceptions.PolarsError as error:
        raise AllocationInputError(f"{what}: a column has the wrong type: {error}") from error
    nulls = [name for name in required if out.get_column(name).null_count()]
    if nulls:
        raise AllocationInputError(f"{what}: null values in {', '.join(nulls)}")
    if out.get_column(key).n_unique() != out.height:
        raise AllocationInputError(f"{what}: {key} must be unique")
    return out


def _cases(cases: pl.DataFrame) -> pl.DataFrame:
    out = _normalise(cases, CASE_SCHEMA, _CASE_REQUIRED, "case_id", "cases")
    if out.height and out.get_column("balance").min() < 0:  # type: ignore[operator]
        raise AllocationInputError("cases: balance cannot be negative")
    return out.with_columns(pl.col("language").fill_null(COMMON_LANGUAGE))


def _agents(agents: pl.DataFrame) -> pl.DataFrame:
    out = _normalise(agents, AGENT_SCHEMA, _AGENT_REQUIRED, "agent_id", "agents")
    return out.with_columns(pl.col("languages").fill_null(pl.lit([], dtype=pl.List(pl.String))))


@dataclass(frozen=True, slots=True)
class _Agent:
    pos: int
    agent_id: int
    team_code: str
    agency_code: str | None
    active: bool
    languages: frozenset[str]
    capacity_count: int
    capacity_amount: int

    def speaks(self, language: str) -> bool:
        return language == COMMON_LANGUAGE or language in self.languages


def _agent_records(agents: pl.DataFrame) -> list[_Agent]:
    rows = agents.sort("agent_id").iter_rows(named=True)
    return [
        _Agent(
            pos,
            row["agent_id"],
            row["team_code"],
            row["agency_code"],
            bool(row["active"]),
            frozenset(row["languages"]),
            _NO_LIMIT if row["capacity_count"] is None else row["capacity_count"],
            _NO_LIMIT if row["capacity_amount"] is None else row["capacity_amount"],
        )
        for pos, row in enumerate(rows)
    ]


# --------------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """The outcome of one allocation run; every case is in exactly one of the first two frames.

    * ``assignments``: case_id, agent_id, team_code, agency_code, rule_code, rule_version,
      reason (:class:`AssignmentReason`), previous_agent_id
    * ``unassigned``: case_id, rule_code, reason (:class:`UnassignedReason`), message
      (中文 / English), previous_agent_id
    * ``recalled``: case_id, agency_code, previous_agent_id, placement_end, reason, message;
      these cases also appear in one of the two frames above (re-allocated in-house)
    * ``load``: per agent: agent_id, team_code, agency_code, active, cases, amount,
      capacity_count, capacity_amount, over_capacity (only ever through 留案)
    """

    as_of: date
    rules_code: str
    rules_version: int
    assignments: pl.DataFrame
    unassigned: pl.DataFrame
    recalled: pl.DataFrame
    load: pl.DataFrame


# --------------------------------------------------------------------------------- allocate


def _match_rules(rules: tuple[Rule, ...]) -> pl.Expr:
    if not rules:
        return pl.lit(None, dtype=pl.Int32).alias("rule_idx")
    return pl.coalesce(
        [
            pl.when(rule.when.expr()).then(pl.lit(index, dtype=pl.Int32))
            for index, rule in enumerate(rules)
        ]
    ).alias("rule_idx")


@dataclass(frozen=True, slots=True)
class _Group:
    """Cases that share a rule, creditor, language and recall flag share their candidates."""

    candidates: tuple[int, ...]  # agent positions, ascending agent_id
    failure: UnassignedReason | None  # why there are none


def _candidates(
    rule: Rule,
    creditor: str,
    language: str,
    inhouse_only: bool,
    agents: list[_Agent],
    rules: AllocationRules,
) -> _Group:
    teams, agencies = set(rule.target.teams), set(rule.target.agencies)
    pool = [
        a
        for a in agents
        if a.active and (a.team_code in teams or (a.agency_code or "") in agencies)
    ]
    if not pool:
        return _Group((), UnassignedReason.NO_ACTIVE_AGENT)
    if inhouse_only:
        pool = [a for a in pool if a.agency_code is None]
        if not pool:
            return _Group((), UnassignedReason.AWAITING_PLACEMENT)
    approved = rules.approved_agencies(creditor)
    pool = [a for a in pool if a.agency_code is None or a.agency_code in approved]
    if not pool:
        return _Group((), UnassignedReason.AGENCY_NOT_ALLOWED)
    pool = [a for a in pool if a.speaks(language)]
    if not pool:
        return _Group((), UnassignedReason.NO_LANGUAGE_MATCH)
    return _Group(tuple(a.pos for a in pool), None)


def _fill(
    balances: list[int],
    group_ids: list[int],
    groups: list[_Group],
    by_amount: list[bool],
    counts: list[int],
    amounts: list[int],
    agents: list[_Agent],
) -> list[int]:
    """The greedy pool pass: for each case in order, the chosen agent position or -1.

    One heap per group holds ``(load, position)``; loads only grow, so an entry whose load is
    stale is pushed back with the current load (lazy update). Agents full by count are dropped
    for good; agents too full by amount for this case are set aside and pushed back after, and
    the largest headroom seen when nobody fits lets later, larger cases fail at once.
    """
    cap_count = [a.capacity_count for a in agents]
    cap_amount = [a.capacity_amount for a in agents]
    heaps: list[list[tuple[int, int]]] = []
    for group, amount_based in zip(groups, by_amount, strict=True):
        loads = amounts if amount_based else counts
        heap = [(loads[p], p) for p in group.candidates if counts[p] < cap_count[p]]
        heapq.heapify(heap)
        heaps.append(heap)
    fits_at_most = [_NO_LIMIT] * len(groups)
    chosen_positions = [-1] * len(balances)
    heappop, heapreplace, heappush = heapq.heappop, heapq.heapreplace, heapq.heappush
    for index, (balance, g) in enumerate(zip(balances, group_ids, strict=True)):
        if balance > fits_at_most[g]:
            continue
        heap = heaps[g]
        loads = amounts if by_amount[g] else counts
        set_aside: list[tuple[int, int]] = []
        chosen = -1
        while heap:
            key, p = heap[0]
            now = loads[p]
            if now != key:
                heapreplace(heap, (now, p))
            elif counts[p] >= cap_count[p]:
                heappop(heap)
            elif amounts[p] + balance > cap_amount[p]:
                set_aside.append(heappop(heap))
            else:
                chosen = p
                break
        if chosen >= 0:
            counts[chosen] += 1
            amounts[chosen] += balance
            heapreplace(heap, (loads[chosen], chosen))
            chosen_positions[index] = chosen
        else:
            fits_at_most[g] = max((cap_amount[p] - amounts[p] for _, p in set_aside), default=-1)
        for item in set_aside:
            heappush(heap, item)
    return chosen_positions


_ASSIGNMENT_SCHEMA = {
    "case_id": pl.Int64,
    "agent_id": pl.Int64,
    "team_code": pl.String,
    "agency_code": pl.String,
    "rule_code": pl.String,
    "rule_version": pl.Int32,
    "reason": pl.String,
    "previous_agent_id": pl.Int64,
}


def allocate(
    cases: pl.DataFrame,
    agents: pl.DataFrame,
    rules: AllocationRules,
    *,
    as_of: date,
) -> AllocationResult:
    """Allocate every case (分案) as of the business date ``as_of``; see the module docstring."""
    frame = _cases(cases)
    agent_frame = _agents(agents)
    agent_list = _agent_records(agent_frame)
    agent_ids = [a.agent_id for a in agent_list]
    table = rules.rules

    active_ids = [a.agent_id for a in agent_list if a.active]
    held_by_date = pl.col("keep_until").is_not_null() & (pl.col("keep_until") >= as_of)
    frame = frame.with_columns(
        _match_rules(table),
        (held_by_date & pl.col("current_agent_id").is_in(active_ids).fill_null(False)).alias(
            "held"
        ),
        (
            pl.col("agency_code").is_not_null()
            & (pl.col("placement_end") < as_of).fill_null(False)
            & ~held_by_date
        ).alias("recalled"),
    )

    # --- eligibility groups (rule, creditor, language, recalled) and their candidates
    open_cases = frame.filter(~pl.col("held") & pl.col("rule_idx").is_not_null())
    keys = (
        open_cases.select("rule_idx", "creditor_code", "language", "recalled")
        .unique()
        .sort("rule_idx", "creditor_code", "language", "recalled")
        .with_row_index("group", offset=0)
        .with_columns(pl.col("group").cast(pl.Int64))
    )
    groups = [
        _candidates(table[rule_idx], creditor, language, recalled, agent_list, rules)
        for rule_idx, creditor, language, recalled in keys.select(
            "rule_idx", "creditor_code", "language", "recalled"
        ).iter_rows()
    ]
    by_amount = [
        table[rule_idx].balance_by is BalanceBy.AMOUNT
        for rule_idx in keys.get_column("rule_idx").to_list()
    ]
    pairs = pl.DataFrame(
        {
            "group": [g for g, group in enumerate(groups) for _ in group.candidates],
            "current_agent_id": [agent_ids[p] for group in groups for p in group.candidates],
        },
        schema={"group": pl.Int64, "current_agent_id": pl.Int64},
    ).with_columns(pl.lit(True).alias("eligible"))
    open_cases = (
        open_cases.join(keys, on=["rule_idx", "creditor_code", "language", "recalled"])
        .join(pairs, on=["group", "current_agent_id"], how="left")
        .with_columns(pl.col("eligible").fill_null(False))
    )

    # --- 留案 loads, then the keep pass: each agent keeps its biggest eligible cases to capacity
    caps = pl.DataFrame(
        {
            "agent_id": agent_ids,
            "cap_count": [a.capacity_count for a in agent_list],
            "cap_amount": [a.capacity_amount for a in agent_list],
        },
        schema={"agent_id": pl.Int64, "cap_count": pl.Int64, "cap_amount": pl.Int64},
    )
    held = frame.filter(pl.col("held"))
    held_load = held.group_by("current_agent_id").agg(
        pl.len().cast(pl.Int64).alias("held_count"), pl.col("balance").sum().alias("held_amount")
    )
    keep = (
        open_cases.filter(pl.col("eligible"))
        .join(held_load, on="current_agent_id", how="left")
        .join(caps, left_on="current_agent_id", right_on="agent_id")
        .sort(["balance", "case_id"], descending=[True, False])
        .with_columns(
            (
                (
                    pl.col("held_count").fill_null(0)
                    + pl.int_range(1, pl.len() + 1).over("current_agent_id")
                    <= pl.col("cap_count")
                )
                & (
                    pl.col("held_amount").fill_null(0)
                    + pl.col("balance").cum_sum().over("current_agent_id")
                    <= pl.col("cap_amount")
                )
            ).alias("kept")
        )
        .select("case_id", "kept")
    )
    open_cases = open_cases.join(keep, on="case_id", how="left").with_columns(
        pl.col("kept").fill_null(False)
    )
    kept = open_cases.filter(pl.col("kept"))

    counts = [0] * len(agent_list)
    amounts = [0] * len(agent_list)
    position = {agent_id: p for p, agent_id in enumerate(agent_ids)}
    for part in (held, kept):
        loads = part.group_by("current_agent_id").agg(pl.len(), pl.col("balance").sum())
        for agent_id, count, amount in loads.iter_rows():
            counts[position[agent_id]] += count
            amounts[position[agent_id]] += amount

    # --- the pool: biggest balance first, least-loaded eligible agent
    pool = open_cases.filter(~pl.col("kept")).sort(["balance", "case_id"], descending=[True, False])
    pool_groups = pool.get_column("group").to_list()
    chosen = _fill(
        pool.get_column("balance").to_list(),
        pool_groups,
        groups,
        by_amount,
        counts,
        amounts,
        agent_list,
    )
    failure = [
        (groups[g].failure or UnassignedReason.NO_CAPACITY) if p < 0 else None
        for g, p in zip(pool_groups, chosen, strict=True)
    ]
    pool = pool.with_columns(
        pl.Series("agent_id", [agent_ids[p] if p >= 0 else None for p in chosen], dtype=pl.Int64),
        pl.Series("failure", [None if f is None else f.value for f in failure], dtype=pl.String),
    )

    # --- the three frames
    rule_codes = pl.Series([rule.code for rule in table], dtype=pl.String)
    rule_versions = pl.Series([rule.version for rule in table], dtype=pl.Int32)

    def rule_columns(part: pl.DataFrame) -> pl.DataFrame:
        index = pl.col("rule_idx")
        if not table:
            return part.with_columns(
                pl.lit(None, dtype=pl.String).alias("rule_code"),
                pl.lit(None, dtype=pl.Int32).alias("rule_version"),
            )
        return part.with_columns(
            pl.when(index.is_not_null())
            .then(pl.lit(rule_codes).gather(index.fill_null(0)))
            .alias("rule_code"),
            pl.when(index.is_not_null())
            .then(pl.lit(rule_versions).gather(index.fill_null(0)))
            .alias("rule_version"),
        )

    agent_info = agent_frame.select("agent_id", "team_code", "agency_code")
    previous = pl.col("current_agent_id")
    placed = pool.filter(pl.col("agent_id").is_not_null())
    assignments = pl.concat(
        [
            held.with_columns(
                previous.alias("agent_id"), pl.lit(AssignmentReason.HELD.value).alias("reason")
            ),
            kept.with_columns(
                previous.alias("agent_id"), pl.lit(AssignmentReason.KEPT.value).alias("reason")
            ),
            placed.with_columns(
                pl.when(previous == pl.col("agent_id"))
                .then(pl.lit(AssignmentReason.KEPT.value))
                .when(previous.is_null())
                .then(pl.lit(AssignmentReason.NEW.value))
                .when(pl.col("eligible"))
                .then(pl.lit(AssignmentReason.REBALANCED.value))
                .otherwise(pl.lit(AssignmentReason.MOVED.value))
                .alias("reason")
            ),
        ],
        how="diagonal_relaxed",
    )
    assignments = (
        rule_columns(assignments)
        .drop("agency_code")
        .join(agent_info, on="agent_id", how="left")
        .select(
            "case_id",
            "agent_id",
            "team_code",
            "agency_code",
            "rule_code",
            "rule_version",
            "reason",
            previous.alias("previous_agent_id"),
        )
        .cast(_ASSIGNMENT_SCHEMA)  # type: ignore[arg-type]
        .sort("case_id")
    )

    no_rule = frame.filter(~pl.col("held") & pl.col("rule_idx").is_null()).with_columns(
        pl.lit(UnassignedReason.NO_RULE.value).alias("failure")
    )
    messages = pl.DataFrame(
        {
            "failure": [reason.value for reason in UnassignedReason],
            "message": [reason.message for reason in UnassignedReason],
        }
    )
    unassigned = (
        rule_columns(
            pl.concat(
                [
                    no_rule.select("case_id", "rule_idx", "failure", "current_agent_id"),
                    pool.filter(pl.col("agent_id").is_null()).select(
                        "case_id", "rule_idx", "failure", "current_agent_id"
                    ),
                ]
            )
        )
        .join(messages, on="failure", how="left")
        .select(
            "case_id",
            "rule_code",
            pl.col("failure").alias("reason"),
            "message",
            previous.alias("previous_agent_id"),
        )
        .sort("case_id")
    )

    recalled = (
        frame.filter(pl.col("recalled"))
        .select(
            "case_id",
            "agency_code",
            previous.alias("previous_agent_id"),
            "placement_end",
            pl.lit(RECALL_REASON).alias("reason"),
            pl.lit(RECALL_MESSAGE).alias("message"),
        )
        .sort("case_id")
    )

    load = (
        agent_frame.select(
            "agent_id", "team_code", "agency_code", "active", "capacity_count", "capacity_amount"
        )
        .sort("agent_id")
        .with_columns(
            pl.Series("cases", counts, dtype=pl.Int64),
            pl.Series("amount", amounts, dtype=pl.Int64),
        )
        .with_columns(
            (
                (pl.col("cases") > pl.col("capacity_count")).fill_null(False)
                | (pl.col("amount") > pl.col("capacity_amount")).fill_null(False)
            ).alias("over_capacity")
        )
        .select(
            "agent_id",
            "team_code",
            "agency_code",
            "active",
            "cases",
            "amount",
            "capacity_count",
            "capacity_amount",
            "over_capacity",
        )
    )
    return AllocationResult(
        as_of, rules.code, rules.version, assignments, unassigned, recalled, load
    )


# --------------------------------------------------------------------------------- 调案


class ReassignReason(StrEnum):
    """Why a team lead moved cases by hand (调案)."""

    AGENT_LEFT = "agent_left"  # 坐席离职 / 调岗
    WORKLOAD = "workload"  # 工作量调整
    COMPLAINT = "complaint"  # 投诉回避: the debtor complained about the agent
    SPECIALIST = "specialist"  # 专案处理: a senior or specialist agent takes it
    LANGUAGE = "language"  # 语言匹配
    OTHER = "other"  # 其他: the note must say why


class ReassignmentRefused(ValueError):  # noqa: N818 - the business word: the 调案 is refused
    """A 调案 that may not be made; the message is bilingual and says what to change."""


@dataclass(frozen=True, slots=True)
class AssignmentChange:
    """One row of the assignment history written by a 调案."""

    case_id: int
    from_agent_id: int | None
    to_agent_id: int
    team_code: str
    agency_code: str | None
    reason: ReassignReason
    actor: str
    at: datetime
    note: str
    overrides: tuple[str, ...]  # soft checks the actor forced past: "capacity", "language"


def reassign(
    cases: pl.DataFrame,
    agents: pl.DataFrame,
    case_ids: Iterable[int],
    to_agent_id: int,
    *,
    rules: AllocationRules,
    reason: ReassignReason | str,
    actor: str,
    at: datetime,
    note: str = "",
    force: bool = False,
) -> tuple[AssignmentChange, ...]:
    """Move ``case_ids`` to ``to_agent_id`` by hand, or raise :class:`ReassignmentRefused`.

    ``cases`` is the current book (case_id, creditor_code, balance, language,
    current_agent_id; other columns ignored) from which the agent's present load is counted.

    Always refused: unknown cases, an unknown or inactive agent (nobody would work the
    cases), and an agency agent the case's creditor has not approved (a compliance rule, not a
    preference). Refused unless ``force``: going over the agent's ``capacity_count`` or
    ``capacity_amount``, and a language the agent does not speak; forced moves record which
    checks were overridden. Cases already with the agent produce no record. 留案 does not stop
    a 调案: a team lead's decision outranks the nightly stickiness.
    """
    why = ReassignReason(reason)
    if not actor.strip():
        raise ValueError("a 调案 needs an actor (who moved the cases)")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a 调案 time must be timezone-aware")
    if why is ReassignReason.OTHER and not note.strip():
        raise ReassignmentRefused("原因为“其他”时须填写说明 / reason 'other' needs a note")
    wanted = sorted(set(case_ids))
    if not wanted:
        raise ReassignmentRefused("没有选择案件 / no cases selected")
    book = cases.select(
        pl.col("case_id").cast(pl.Int64),
        pl.col("creditor_code").cast(pl.String),
        pl.col("balance").cast(pl.Int64),
        pl.col("language").cast(pl.String).fill_null(COMMON_LANGUAGE),
        pl.col("current_agent_id").cast(pl.Int64),
    )
    agent_list = _agent_records(_agents(agents))
    agent = next((a for a in agent_list if a.agent_id == to_agent_id), None)
    if agent is None:
        raise ReassignmentRefused(f"坐席 {to_agent_id} 不存在 / agent {to_agent_id} is unknown")
    if not agent.active:
        raise ReassignmentRefused(
            f"坐席 {to_agent_id} 不在岗，不能接收案件 / agent {to_agent_id} is inactive and "
            "cannot receive cases"
        )
    chosen = book.filter(pl.col("case_id").is_in(wanted)).sort("case_id")
    unknown = sorted(set(wanted) - set(chosen.get_column("case_id").to_list()))
    if unknown:
        listed = ", ".join(str(case_id) for case_id in unknown)
        raise ReassignmentRefused(f"案件不存在：{listed} / unknown case(s): {listed}")
    moving = chosen.filter(pl.col("current_agent_id").ne_missing(to_agent_id))
    rows = moving.rows(named=True)

    if agent.agency_code is not None:
        barred = [
            row["case_id"]
            for row in rows
            if agent.agency_code not in rules.approved_agencies(row["creditor_code"])
        ]
        if barred:
            listed = ", ".join(str(case_id) for case_id in barred)
            raise ReassignmentRefused(
                f"委托方未授权委外机构 {agent.agency_code}：案件 {listed} / the creditor has not "
                f"approved agency {agent.agency_code} for case(s) {listed}"
            )

    overrides: list[str] = []
    mute = [row["case_id"] for row in rows if not agent.speaks(row["language"])]
    if mute:
        if not force:
            listed = ", ".join(str(case_id) for case_id in mute)
            raise ReassignmentRefused(
                f"坐席 {to_agent_id} 不会案件 {listed} 的语言 / agent {to_agent_id} does not "
                f"speak the language of case(s) {listed}; force to override"
            )
        overrides.append("language")
    current = book.filter(pl.col("current_agent_id") == to_agent_id)
    count_after = current.height + moving.height
    amount_after = int(current.get_column("balance").sum()) + int(
        moving.get_column("balance").sum()
    )
    if count_after > agent.capacity_count or amount_after > agent.capacity_amount:
        if not force:
            raise ReassignmentRefused(
                f"坐席 {to_agent_id} 容量不足：调案后 {count_after} 件 / {amount_after} 分 "
                f"/ agent {to_agent_id} would be over capacity with {count_after} cases and "
                f"{amount_after} in balance; force to override"
            )
        overrides.append("capacity")
    return tuple(
        AssignmentChange(
            case_id=row["case_id"],
            from_agent_id=row["current_agent_id"],
            to_agent_id=agent.agent_id,
            team_code=agent.team_code,
            agency_code=agent.agency_code,
            reason=why,
            actor=actor,
            at=at,
            note=note,
            overrides=tuple(overrides),
        )
        for row in rows
    )


# --------------------------------------------------------------------------------- 委外 fields

AGENCY_VISIBLE_FIELDS: tuple[str, ...] = (
    "case_id",
    "account_no",
    "creditor_code",
    "product_code",
    "debtor_name_masked",
    "mobile_masked",
    "principal",
    "interest",
    "penalty",
    "fees",
    "balance",
    "dpd",
    "bucket",
    "placement_end",
)
"""The minimum an agency needs to work a case (PIPL 最小必要): masked identity, the balance
and its breakdown, DPD and bucket. Calls go through the platform's dialer on the masked
number."""

NEVER_VISIBLE_FIELDS: frozenset[str] = frozenset(
    {"id_number", "debtor_name", "mobile", "bank_card_no"}
)
"""Fields no agency policy may grant: the full ID number, full name, full mobile, card number."""


@dataclass(frozen=True, slots=True)
class FieldOverride:
    """One agency's difference from the default, e.g. a field-visit (外访) agency adds the
    home address."""

    agency_code: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VisibilityPolicy:
    """Which case fields agencies see: a default and per-agency overrides, as data."""

    code: str = "AGENCY_FIELDS"
    version: int = 1
    default: tuple[str, ...] = AGENCY_VISIBLE_FIELDS
    overrides: tuple[FieldOverride, ...] = ()

    def __post_init__(self) -> None:
        granted = set(self.default).union(*(o.add for o in self.overrides))
        forbidden = sorted(granted & NEVER_VISIBLE_FIELDS)
        if forbidden:
            raise ValueError(f"agencies may never see: {', '.join(forbidden)}")
        agencies = [o.agency_code for o in self.overrides]
        if len(set(agencies)) != len(agencies):
            raise ValueError("one override per agency")


DEFAULT_VISIBILITY = VisibilityPolicy()


def visible_fields(
    agency_code: str, policy: VisibilityPolicy = DEFAULT_VISIBILITY
) -> tuple[str, ...]:
    """The fields ``agency_code`` may see: the default, less its removals, plus its additions.

    >>> policy = VisibilityPolicy(overrides=(FieldOverride("WAIFANG", add=("home_address",),
    ...                                                     remove=("mobile_masked",)),))
    >>> fields = visible_fields("WAIFANG", policy)
    >>> "home_address" in fields, "mobile_masked" in fields, "id_number" in fields
    (True, False, False)
    >>> visible_fields("OTHER", policy) == AGENCY_VISIBLE_FIELDS
    True
    """
    override = next((o for o in policy.overrides if o.agency_code == agency_code), None)
    if override is None:
        return policy.default
    kept = tuple(name for name in policy.default if name not in override.remove)
    return kept + tuple(name for name in override.add if name not in kept)


def agency_view(
    frame: pl.DataFrame, agency_code: str, policy: VisibilityPolicy = DEFAULT_VISIBILITY
) -> pl.DataFrame:
    """Only the columns of ``frame`` the agency may see, in the policy's order."""
    allowed = visible_fields(agency_code, policy)
    return frame.select([name for name in allowed if name in frame.columns])
