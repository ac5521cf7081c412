"""分案 / 留案 / 调案 / 委外: allocation scenarios in the business's words, and its invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huikuan.assignment.engine import (
    AGENCY_VISIBLE_FIELDS,
    AgencyApproval,
    AllocationInputError,
    AllocationResult,
    AllocationRules,
    AssignmentChange,
    BalanceBy,
    Conditions,
    FieldOverride,
    ReassignmentRefused,
    ReassignReason,
    Rule,
    Target,
    UnassignedReason,
    VisibilityPolicy,
    agency_view,
    allocate,
    reassign,
    visible_fields,
)
from huikuan.core.money import parse_minor

AS_OF = date(2026, 3, 2)  # Monday 2 March 2026: tonight's allocation run
BEIJING = timezone(timedelta(hours=8))


def yuan(text: str) -> int:
    return parse_minor(text)


def case(
    case_id: int,
    *,
    bucket: str = "M1",
    balance: str = "1000.00",
    creditor: str = "BANK",
    product: str = "CARD",
    language: str | None = "zh",
    region: str | None = None,
    score_band: str | None = None,
    agent: int | None = None,
    keep_until: date | None = None,
    placement_end: date | None = None,
    agency: str | None = None,
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "creditor_code": creditor,
        "product_code": product,
        "bucket": bucket,
        "dpd": 15,
        "balance": yuan(balance),
        "region": region,
        "language": language,
        "score_band": score_band,
        "current_agent_id": agent,
        "keep_until": keep_until,
        "placement_end": placement_end,
        "agency_code": agency,
    }


CASE_SCHEMA = pl.Schema(
    {
        "case_id": pl.Int64,
        "creditor_code": pl.String,
        "product_code": pl.String,
        "bucket": pl.String,
        "dpd": pl.Int32,
        "balance": pl.Int64,
        "region": pl.String,
        "language": pl.String,
        "score_band": pl.String,
        "current_agent_id": pl.Int64,
        "keep_until": pl.Date,
        "placement_end": pl.Date,
        "agency_code": pl.String,
    }
)


def cases(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=CASE_SCHEMA)


def agent(
    agent_id: int,
    team: str,
    *,
    agency: str | None = None,
    cap: int | None = 100,
    cap_amount: str | None = None,
    languages: tuple[str, ...] = ("zh",),
    active: bool = True,
) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "team_code": team,
        "agency_code": agency,
        "capacity_count": cap,
        "capacity_amount": None if cap_amount is None else yuan(cap_amount),
        "languages": list(languages),
        "active": active,
    }


AGENT_SCHEMA = pl.Schema(
    {
        "agent_id": pl.Int64(),
        "team_code": pl.String(),
        "agency_code": pl.String(),
        "capacity_count": pl.Int64(),
        "capacity_amount": pl.Int64(),
        "languages": pl.List(pl.String),
        "active": pl.Boolean(),
    }
)


def agents(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=AGENT_SCHEMA)


# The collection department's table: early delinquency (M1) to team A spread by case count,
# M2 and later to team B spread by balance; M4+ may also go to the agency WAIFANG, which only
# the creditor BANK has approved.
RULES = AllocationRules(
    "DEPT",
    3,
    (
        Rule("EARLY", Target(teams=("A",)), Conditions(buckets=("M1",)), BalanceBy.COUNT),
        Rule(
            "LATE_OUT",
            Target(teams=("B",), agencies=("WAIFANG",)),
            Conditions(buckets=("M4", "M5", "M6", "M7+")),
            BalanceBy.AMOUNT,
        ),
        Rule(
            "MID",
            Target(teams=("B",)),
            Conditions(buckets=("M2", "M3")),
            BalanceBy.AMOUNT,
            version=2,
        ),
    ),
    agency_approvals=(AgencyApproval("BANK", ("WAIFANG",)),),
)
TWO_TEAMS = agents(agent(1, "A"), agent(2, "A"), agent(3, "B"), agent(4, "B"))


def placed(result: AllocationResult) -> dict[int, int]:
    """case id -> agent id."""
    return dict(result.assignments.select("case_id", "agent_id").iter_rows())


def reasons(result: AllocationResult) -> dict[int, str]:
    return dict(result.assignments.select("case_id", "reason").iter_rows())


def left_out(result: AllocationResult) -> dict[int, str]:
    return dict(result.unassigned.select("case_id", "reason").iter_rows())


# ------------------------------------------------------------------------- scenarios


def test_two_teams_m1_spread_by_count_and_m2_plus_spread_by_amount() -> None:
    book = cases(
        case(1, bucket="M1", balance="500.00"),
        case(2, bucket="M1", balance="800.00"),
        case(3, bucket="M1", balance="300.00"),
        case(4, bucket="M1", balance="100.00"),
        case(11, bucket="M2", balance="9000.00"),
        case(12, bucket="M3", balance="5000.00"),
        case(13, bucket="M2", balance="3000.00"),
        case(14, bucket="M3", balance="1000.00"),
    )
    result = allocate(book, TWO_TEAMS, RULES, as_of=AS_OF)
    # M1, biggest first, alternating by count: 800 -> 1, 500 -> 2, 300 -> 1, 100 -> 2.
    # M2+, biggest first to the lighter purse: 9000 -> 3, then 5000, 3000, 1000 all -> 4.
    assert placed(result) == {2: 1, 1: 2, 3: 1, 4: 2, 11: 3, 12: 4, 13: 4, 14: 4}
    assert set(reasons(result).values()) == {"new"}
    rows = result.assignments.filter(pl.col("case_id") == 12).row(0, named=True)
    assert (rows["team_code"], rows["rule_code"], rows["rule_version"]) == ("B", "MID", 2)
    load = {row["agent_id"]: (row["cases"], row["amount"]) for row in result.load.to_dicts()}
    assert load == {
        1: (2, yuan("1100.00")),
        2: (2, yuan("600.00")),
        3: (1, yuan("9000.00")),
        4: (3, yuan("9000.00")),
    }
    assert result.unassigned.is_empty()
    assert result.recalled.is_empty()


def test_a_case_stays_with_its_agent_while_the_agent_is_still_in_the_target() -> None:
    # Agent 1 already works case 1; agent 2 is idle, yet case 1 is not moved.
    book = cases(case(1, agent=1), case(2), case(3))
    result = allocate(book, TWO_TEAMS, RULES, as_of=AS_OF)
    assert placed(result)[1] == 1
    assert reasons(result)[1] == "kept"
    # The new cases go to the idle agent first.
    assert placed(result)[2] == 2


def test_a_case_leaves_an_agent_who_left_or_whose_team_no_longer_takes_it() -> None:
    crew = agents(agent(1, "A", active=False), agent(2, "A"), agent(3, "B"))
    # Case 1's agent left; case 2 rolled from M1 to M2, so team A no longer works it.
    book = cases(case(1, agent=1), case(2, bucket="M2", agent=2))
    result = allocate(book, crew, RULES, as_of=AS_OF)
    assert placed(result) == {1: 2, 2: 3}
    assert reasons(result) == {1: "moved", 2: "moved"}
    assert dict(result.assignments.select("case_id", "previous_agent_id").iter_rows()) == {
        1: 1,
        2: 2,
    }


def test_liu_an_keeps_the_case_with_its_agent_regardless_of_rule_and_capacity() -> None:
    crew = agents(agent(1, "A", cap=1), agent(2, "A"), agent(3, "B"))
    book = cases(
        # 留案 until 10 March: stays with agent 1 though it is M2 now and agent 1 is full.
        case(1, bucket="M2", agent=1, keep_until=date(2026, 3, 10)),
        # 留案 ending today still holds today.
        case(2, agent=1, keep_until=AS_OF),
        # 留案 that ended yesterday: an ordinary case again, agent 1 is over capacity.
        case(3, agent=1, keep_until=date(2026, 3, 1)),
        # 留案 with a case no rule matches.
        case(4, bucket="M0", agent=1, keep_until=date(2026, 3, 31)),
    )
    result = allocate(book, crew, RULES, as_of=AS_OF)
    assert placed(result) == {1: 1, 2: 1, 3: 2, 4: 1}
    assert reasons(result) == {1: "held", 2: "held", 3: "rebalanced", 4: "held"}
    by_case = {row["case_id"]: row for row in result.assignments.to_dicts()}
    assert by_case[4]["rule_code"] is None
    # Only 留案 puts an agent over capacity, and the summary says so.
    over = dict(result.load.select("agent_id", "over_capacity").iter_rows())
    assert over == {1: True, 2: False, 3: False}


def test_liu_an_with_an_agent_who_left_is_allocated_afresh() -> None:
    crew = agents(agent(1, "A", active=False), agent(2, "A"))
    book = cases(case(1, agent=1, keep_until=date(2026, 3, 10)))
    result = allocate(book, crew, RULES, as_of=AS_OF)
    assert placed(result) == {1: 2}
    assert reasons(result) == {1: "moved"}


def test_capacity_is_respected_and_the_overflow_reported() -> None:
    crew = agents(agent(1, "A", cap=2), agent(2, "A", cap=2))
    book = cases(*(case(i, balance=f"{i}00.00") for i in range(1, 6)))
    result = allocate(book, crew, RULES, as_of=AS_OF)
    # Four places for five cases: the smallest, taken last, is left over.
    assert sorted(placed(result)) == [2, 3, 4, 5]
    assert left_out(result) == {1: "no_capacity"}
    message = result.unassigned.row(0, named=True)["message"]
    assert message == "坐席容量已满 / every eligible agent is at capacity"


def test_an_amount_limit_skips_the_agent_the_case_would_overfill() -> None:
    crew = agents(agent(1, "A", cap_amount="10000.00"), agent(2, "A", cap_amount="10000.00"))
    book = cases(case(1, balance="8000.00"), case(2, balance="6000.00"), case(3, balance="3000.00"))
    result = allocate(book, crew, RULES, as_of=AS_OF)
    # 8000 -> 1, 6000 -> 2; 3000 ties on count and would go to 1, but 1 would hold 11000.
    assert placed(result) == {1: 1, 2: 2, 3: 2}
    assert not result.load.get_column("over_capacity").any()


def test_an_agent_over_capacity_keeps_the_biggest_cases_and_the_rest_are_rebalanced() -> None:
    # Agent 1's capacity was cut to 2 while it holds 3 cases.
    crew = agents(agent(1, "A", cap=2), agent(2, "A"))
    book = cases(
        case(1, balance="300.00", agent=1),
        case(2, balance="200.00", agent=1),
        case(3, balance="100.00", agent=1),
    )
    result = allocate(book, crew, RULES, as_of=AS_OF)
    assert placed(result) == {1: 1, 2: 1, 3: 2}
    assert reasons(result) == {1: "kept", 2: "kept", 3: "rebalanced"}


def test_cases_in_other_languages_go_to_agents_who_speak_them() -> None:
    crew = agents(agent(1, "A"), agent(2, "A", languages=("zh", "yue")))
    book = cases(
        case(1, balance="900.00", language="zh"),  # taken first: agent 1 (lowest id)
        case(2, balance="800.00", language="yue"),  # Cantonese: only agent 2
        case(3, balance="700.00", language="yue"),  # again agent 2, though it is busier
        case(4, balance="600.00", language=None),  # no language given: Mandarin
        case(5, balance="500.00", language="en"),  # nobody speaks English
    )
    result = allocate(book, crew, RULES, as_of=AS_OF)
    assert placed(result) == {1: 1, 2: 2, 3: 2, 4: 1}
    assert left_out(result) == {5: "no_language_match"}


def test_agency_cases_are_recalled_at_placement_end_and_come_back_in_house() -> None:
    crew = agents(agent(3, "B"), agent(7, "WF1", agency="WAIFANG"))
    book = cases(
        # Placed with WAIFANG until 1 March: recalled on 2 March, back to in-house team B.
        case(1, bucket="M5", agent=7, agency="WAIFANG", placement_end=date(2026, 3, 1)),
        # Placed until today: still WAIFANG's.
        case(2, bucket="M5", agent=7, agency="WAIFANG", placement_end=AS_OF),
        # Expired but 留案 until 15 March: stays.
        case(
            3,
            bucket="M5",
            agent=7,
            agency="WAIFANG",
            placement_end=date(2026, 2, 28),
            keep_until=date(2026, 3, 15),
        ),
    )
    result = allocate(book, crew, RULES, as_of=AS_OF)
    assert result.recalled.select("case_id", "agency_code", "previous_agent_id").rows() == [
        (1, "WAIFANG", 7)
    ]
    assert result.recalled.row(0, named=True)["reason"] == "placement_expired"
    assert placed(result) == {1: 3, 2: 7, 3: 7}
    assert reasons(result) == {1: "moved", 2: "kept", 3: "held"}
    row = result.assignments.filter(pl.col("case_id") == 1).row(0, named=True)
    assert row["agency_code"] is None  # in-house again


def test_a_recalled_case_whose_rule_only_targets_agencies_waits_for_a_new_placement() -> None:
    rules = AllocationRules(
        "OUT",
        1,
        (Rule("ALL_OUT", Target(agencies=("WAIFANG", "DUNSHOU"))),),
        (AgencyApproval("BANK", ("WAIFANG", "DUNSHOU")),),
    )
    crew = agents(agent(7, "WF1", agency="WAIFANG"), agent(8, "DS1", agency="DUNSHOU"))
    book = cases(case(1, agent=7, agency="WAIFANG", placement_end=date(2026, 2, 1)))
    result = allocate(book, crew, rules, as_of=AS_OF)
    assert result.recalled.get_column("case_id").to_list() == [1]
    assert left_out(result) == {1: "awaiting_placement"}


def test_agencies_only_receive_cases_of_creditors_that_approved_them() -> None:
    crew = agents(agent(7, "WF1", agency="WAIFANG"))
    book = cases(case(1, bucket="M6", creditor="BANK"), case(2, bucket="M6", creditor="LOAN"))
    result = allocate(book, crew, RULES, as_of=AS_OF)
    assert placed(result) == {1: 7}
    assert left_out(result) == {2: "agency_not_allowed"}
    assert result.assignments.row(0, named=True)["agency_code"] == "WAIFANG"


def test_unmatched_cases_are_reported_and_the_first_matching_rule_wins() -> None:
    rules = AllocationRules(
        "BANDS",
        1,
        (
            Rule("BIG", Target(teams=("B",)), Conditions(balance_min=yuan("50000.00"))),
            Rule("GD", Target(teams=("A",)), Conditions(regions=("GD",), score_bands=("A",))),
            Rule(
                "SMALL",
                Target(teams=("A",)),
                Conditions(balance_min=yuan("100.00"), balance_max=yuan("50000.00")),
            ),
        ),
    )
    book = cases(
        case(1, balance="80000.00", region="GD", score_band="A"),  # BIG comes first
        case(2, balance="50000.00"),  # the band's lower bound is inclusive: BIG
        case(3, balance="49999.99"),  # ... and the upper bound exclusive: SMALL
        case(4, balance="10.00", region="GD", score_band="A"),  # GD
        case(5, balance="10.00", region=None, score_band="A"),  # null region: no GD, no rule
        case(6, balance="10.00", region="GD", score_band=None),  # null score band: no rule
    )
    result = allocate(book, TWO_TEAMS, rules, as_of=AS_OF)
    rule_of = dict(result.assignments.select("case_id", "rule_code").iter_rows())
    assert rule_of == {1: "BIG", 2: "BIG", 3: "SMALL", 4: "GD"}
    assert left_out(result) == {5: "no_rule", 6: "no_rule"}
    assert set(result.unassigned.get_column("message")) == {
        "没有匹配的分案规则 / no allocation rule matched"
    }


def test_a_target_with_no_active_agent_is_reported() -> None:
    crew = agents(agent(1, "A", active=False), agent(3, "B"))
    result = allocate(cases(case(1)), crew, RULES, as_of=AS_OF)
    assert left_out(result) == {1: "no_active_agent"}
    assert UnassignedReason.NO_ACTIVE_AGENT.message.startswith("规则目标中没有在岗坐席")


def test_the_same_input_gives_the_same_result_whatever_the_row_order() -> None:
    book = cases(
        *(
            case(i, bucket=("M1", "M2", "M5")[i % 3], balance=f"{(i * 37) % 50 + 1}00.00")
            for i in range(1, 60)
        )
    )
    crew = agents(
        agent(1, "A", cap=10),
        agent(2, "A", cap=10),
        agent(3, "B", cap_amount="20000.00"),
        agent(4, "B"),
        agent(7, "WF1", agency="WAIFANG"),
    )
    first = allocate(book, crew, RULES, as_of=AS_OF)
    again = allocate(book.reverse(), crew.reverse(), RULES, as_of=AS_OF)
    for name in ("assignments", "unassigned", "recalled", "load"):
        assert getattr(first, name).equals(getattr(again, name)), name


def test_agent_languages_may_be_a_comma_separated_string() -> None:
    crew = pl.DataFrame(
        {
            "agent_id": [1, 2],
            "team_code": ["A", "A"],
            "agency_code": [None, None],
            "capacity_count": [10, 10],
            "capacity_amount": [None, None],
            "languages": ["zh", "zh, yue"],
            "active": [True, True],
        }
    )
    result = allocate(cases(case(1, language="yue")), crew, RULES, as_of=AS_OF)
    assert placed(result) == {1: 2}


def test_frames_that_cannot_be_allocated_are_refused_with_a_clear_error() -> None:
    with pytest.raises(AllocationInputError, match="missing column"):
        allocate(cases(case(1)).drop("bucket"), TWO_TEAMS, RULES, as_of=AS_OF)
    with pytest.raises(AllocationInputError, match="case_id must be unique"):
        allocate(cases(case(1), case(1)), TWO_TEAMS, RULES, as_of=AS_OF)
    with pytest.raises(AllocationInputError, match="negative"):
        allocate(cases(case(1, balance="-1.00")), TWO_TEAMS, RULES, as_of=AS_OF)
    with pytest.raises(AllocationInputError, match="agent_id must be unique"):
        allocate(cases(case(1)), agents(agent(1, "A"), agent(1, "B")), RULES, as_of=AS_OF)


def test_rule_tables_are_checked_when_written() -> None:
    with pytest.raises(ValueError, match="unique"):
        AllocationRules("T", 1, (Rule("X", Target(teams=("A",))), Rule("X", Target(("B",)))))
    with pytest.raises(ValueError, match="team or agency"):
        Target()
    with pytest.raises(ValueError, match="balance_min"):
        Conditions(balance_min=10, balance_max=10)


def test_empty_inputs_allocate_nothing() -> None:
    result = allocate(cases(), TWO_TEAMS, RULES, as_of=AS_OF)
    assert result.assignments.is_empty()
    assert result.unassigned.is_empty()
    no_rules = allocate(cases(case(1)), TWO_TEAMS, AllocationRules("E", 1, ()), as_of=AS_OF)
    assert left_out(no_rules) == {1: "no_rule"}


# ------------------------------------------------------------------------- properties

TEAMS = ("A", "B", "WF1")


@dataclass(frozen=True)
class World:
    book: pl.DataFrame
    crew: pl.DataFrame


@st.composite
def worlds(draw: st.DrawFn, unlimited: bool = False, all_new: bool = False) -> World:
    n_agents = draw(st.integers(1, 6))
    crew_rows = []
    for agent_id in range(1, n_agents + 1):
        team = draw(st.sampled_from(TEAMS))
        crew_rows.append(
            agent(
                agent_id,
                team,
                agency="WAIFANG" if team == "WF1" else None,
                cap=None if unlimited else draw(st.none() | st.integers(0, 6)),
                cap_amount=None
                if unlimited
                else draw(st.none() | st.sampled_from(["0.00", "500.00", "3000.00"])),
                languages=draw(st.sampled_from([("zh",), ("zh", "yue")])),
                active=draw(st.booleans()),
            )
        )
    n_cases = draw(st.integers(0, 30))
    book_rows = []
    for case_id in range(1, n_cases + 1):
        holder = None if all_new else draw(st.none() | st.integers(1, n_agents + 1))
        book_rows.append(
            case(
                case_id,
                bucket=draw(st.sampled_from(["M0", "M1", "M2", "M5"])),
                balance=f"{draw(st.integers(0, 2000))}.00",
                creditor=draw(st.sampled_from(["BANK", "LOAN"])),
                language=draw(st.sampled_from(["zh", "yue", None])),
                agent=holder,
                keep_until=None
                if holder is None
                else draw(st.none() | st.sampled_from([date(2026, 3, 1), AS_OF])),
                placement_end=None
                if all_new
                else draw(st.none() | st.sampled_from([date(2026, 3, 1), AS_OF])),
                agency=None if all_new else draw(st.none() | st.just("WAIFANG")),
            )
        )
    return World(cases(*book_rows), agents(*crew_rows))


PROPERTY = settings(deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(worlds())
def test_every_case_is_assigned_or_reported_exactly_once(world: World) -> None:
    result = allocate(world.book, world.crew, RULES, as_of=AS_OF)
    listed = (
        result.assignments.get_column("case_id").to_list()
        + result.unassigned.get_column("case_id").to_list()
    )
    assert sorted(listed) == sorted(world.book.get_column("case_id").to_list())
    assert set(result.recalled.get_column("case_id")) <= set(listed)


@PROPERTY
@given(worlds())
def test_no_agent_exceeds_capacity_except_by_liu_an(world: World) -> None:
    result = allocate(world.book, world.crew, RULES, as_of=AS_OF)
    merged = result.assignments.join(world.book, on="case_id")
    for row in world.crew.to_dicts():
        mine = merged.filter(pl.col("agent_id") == row["agent_id"])
        within = (row["capacity_count"] is None or mine.height <= row["capacity_count"]) and (
            row["capacity_amount"] is None
            or int(mine.get_column("balance").sum()) <= row["capacity_amount"]
        )
        assert within or set(mine.get_column("reason")) == {"held"}
        assert row["active"] or mine.is_empty()
    # The load summary counts the same cases.
    load = dict(result.load.select("agent_id", "cases").iter_rows())
    counted = dict(result.assignments.group_by("agent_id").len().iter_rows())
    assert {k: v for k, v in load.items() if v} == counted


def _in_target_and_approved(
    rule_code: str, team: str, agency: str | None, creditor: str, rules: AllocationRules = RULES
) -> bool:
    rule = next(r for r in rules.rules if r.code == rule_code)
    in_target = team in rule.target.teams or (agency or "") in rule.target.agencies
    return in_target and (agency is None or agency in rules.approved_agencies(creditor))


@PROPERTY
@given(worlds())
def test_assigned_agents_are_active_in_the_target_approved_and_speak_the_language(
    world: World,
) -> None:
    result = allocate(world.book, world.crew, RULES, as_of=AS_OF)
    merged = result.assignments.filter(pl.col("reason") != "held").join(
        world.book.select("case_id", "creditor_code", "language"), on="case_id"
    )
    crew = {row["agent_id"]: row for row in world.crew.to_dicts()}
    for row in merged.to_dicts():
        holder = crew[row["agent_id"]]
        assert holder["active"]
        assert _in_target_and_approved(
            row["rule_code"], holder["team_code"], holder["agency_code"], row["creditor_code"]
        )
        assert (row["language"] or "zh") == "zh" or row["language"] in holder["languages"]


@PROPERTY
@given(worlds())
def test_liu_an_cases_with_an_active_agent_always_keep_it(world: World) -> None:
    result = allocate(world.book, world.crew, RULES, as_of=AS_OF)
    active = set(world.crew.filter(pl.col("active")).get_column("agent_id"))
    held = world.book.filter(
        (pl.col("keep_until") >= AS_OF) & pl.col("current_agent_id").is_in(sorted(active))
    )
    got = placed(result)
    for case_id, holder in held.select("case_id", "current_agent_id").iter_rows():
        assert got[case_id] == holder
        assert reasons(result)[case_id] == "held"


@PROPERTY
@given(worlds(unlimited=True))
def test_without_capacity_limits_every_still_eligible_case_keeps_its_agent(world: World) -> None:
    result = allocate(world.book, world.crew, RULES, as_of=AS_OF)
    crew = {row["agent_id"]: row for row in world.crew.to_dicts()}
    rule_of = {
        row["case_id"]: row["rule_code"]
        for row in pl.concat(
            [
                result.assignments.select("case_id", "rule_code"),
                result.unassigned.select("case_id", "rule_code"),
            ]
        ).to_dicts()
    }
    recalled = set(result.recalled.get_column("case_id"))
    got = placed(result)
    for row in world.book.to_dicts():
        holder = crew.get(row["current_agent_id"])
        if holder is None or not holder["active"] or rule_of[row["case_id"]] is None:
            continue
        language = row["language"] or "zh"
        still_eligible = (
            _in_target_and_approved(
                rule_of[row["case_id"]],
                holder["team_code"],
                holder["agency_code"],
                row["creditor_code"],
            )
            and (language == "zh" or language in holder["languages"])
            and not (row["case_id"] in recalled and holder["agency_code"] is not None)
        )
        if still_eligible:
            assert got[row["case_id"]] == holder["agent_id"]


# Agents shared by rules that balance differently: team A by count for M1 and by amount for
# M2, team B by amount for M2 and by count for M5.
MIXED = AllocationRules(
    "MIXED",
    1,
    (
        Rule("EARLY", Target(teams=("A",)), Conditions(buckets=("M1",)), BalanceBy.COUNT),
        Rule("MID", Target(teams=("A", "B")), Conditions(buckets=("M2",)), BalanceBy.AMOUNT),
        Rule(
            "LATE",
            Target(teams=("B",), agencies=("WAIFANG",)),
            Conditions(buckets=("M5",)),
            BalanceBy.COUNT,
        ),
    ),
    agency_approvals=(AgencyApproval("BANK", ("WAIFANG",)),),
)


def _reference_pool(
    book: pl.DataFrame, crew: pl.DataFrame, rules: AllocationRules
) -> dict[int, int]:
    """The greedy rule written the slow, obvious way: for new cases only."""
    staff = sorted(crew.to_dicts(), key=lambda a: a["agent_id"])
    count = {a["agent_id"]: 0 for a in staff}
    amount = {a["agent_id"]: 0 for a in staff}
    out: dict[int, int] = {}
    order = sorted(book.to_dicts(), key=lambda c: (-c["balance"], c["case_id"]))
    for row in order:
        rule = next(
            (r for r in rules.rules if row["bucket"] in r.when.buckets),
            None,
        )
        if rule is None:
            continue
        language = row["language"] or "zh"
        options = [
            a
            for a in staff
            if a["active"]
            and (
                a["team_code"] in rule.target.teams
                or (a["agency_code"] or "") in rule.target.agencies
            )
            and (
                a["agency_code"] is None
                or a["agency_code"] in rules.approved_agencies(row["creditor_code"])
            )
            and (language == "zh" or language in a["languages"])
            and (a["capacity_count"] is None or count[a["agent_id"]] + 1 <= a["capacity_count"])
            and (
                a["capacity_amount"] is None
                or amount[a["agent_id"]] + row["balance"] <= a["capacity_amount"]
            )
        ]
        if not options:
            continue
        loads = amount if rule.balance_by is BalanceBy.AMOUNT else count
        best = min(options, key=lambda a: (loads[a["agent_id"]], a["agent_id"]))
        out[row["case_id"]] = best["agent_id"]
        count[best["agent_id"]] += 1
        amount[best["agent_id"]] += row["balance"]
    return out


@PROPERTY
@given(worlds(all_new=True), st.sampled_from([RULES, MIXED]))
def test_new_cases_go_where_the_obvious_greedy_rule_sends_them(
    world: World, rules: AllocationRules
) -> None:
    result = allocate(world.book, world.crew, rules, as_of=AS_OF)
    assert placed(result) == _reference_pool(world.book, world.crew, rules)


# ------------------------------------------------------------------------- 调案

AT = datetime(2026, 3, 2, 15, 0, tzinfo=BEIJING)


def test_a_team_lead_moves_cases_and_the_history_records_who_when_why() -> None:
    book = cases(case(1, agent=1), case(2, agent=1), case(3, agent=2))
    changes = reassign(
        book,
        TWO_TEAMS,
        [2, 1, 3],
        2,
        rules=RULES,
        reason=ReassignReason.COMPLAINT,
        actor="lead.wang",
        at=AT,
        note="debtor complained about agent 1",
    )
    # Case 3 is already agent 2's: no record.
    assert changes == tuple(
        AssignmentChange(
            case_id,
            1,
            2,
            "A",
            None,
            ReassignReason.COMPLAINT,
            "lead.wang",
            AT,
            "debtor complained about agent 1",
            (),
        )
        for case_id in (1, 2)
    )


def test_cases_cannot_be_given_to_an_agent_who_left_even_when_forced() -> None:
    crew = agents(agent(1, "A"), agent(2, "A", active=False))
    with pytest.raises(ReassignmentRefused, match="inactive"):
        reassign(
            cases(case(1, agent=1)),
            crew,
            [1],
            2,
            rules=RULES,
            reason="agent_left",
            actor="lead.wang",
            at=AT,
            force=True,
        )


def test_over_capacity_is_refused_unless_forced_and_the_override_recorded() -> None:
    crew = agents(agent(1, "A"), agent(2, "A", cap=1))
    book = cases(case(1, agent=1), case(2, agent=2))
    with pytest.raises(ReassignmentRefused, match="over capacity") as refused:
        reassign(book, crew, [1], 2, rules=RULES, reason="workload", actor="lead", at=AT)
    assert "容量不足" in str(refused.value)
    forced = reassign(
        book, crew, [1], 2, rules=RULES, reason="workload", actor="lead", at=AT, force=True
    )
    assert forced[0].overrides == ("capacity",)


def test_an_amount_limit_counts_too() -> None:
    crew = agents(agent(1, "A"), agent(2, "A", cap_amount="1500.00"))
    book = cases(case(1, agent=1, balance="1000.00"), case(2, agent=2, balance="1000.00"))
    with pytest.raises(ReassignmentRefused, match="over capacity"):
        reassign(book, crew, [1], 2, rules=RULES, reason="workload", actor="lead", at=AT)


def test_a_language_the_agent_does_not_speak_needs_force() -> None:
    book = cases(case(1, agent=1, language="yue"))
    with pytest.raises(ReassignmentRefused, match="does not speak"):
        reassign(book, TWO_TEAMS, [1], 2, rules=RULES, reason="workload", actor="l", at=AT)
    forced = reassign(
        book, TWO_TEAMS, [1], 2, rules=RULES, reason="workload", actor="l", at=AT, force=True
    )
    assert forced[0].overrides == ("language",)


def test_an_agency_the_creditor_has_not_approved_is_refused_even_when_forced() -> None:
    crew = agents(agent(1, "A"), agent(7, "WF1", agency="WAIFANG"))
    book = cases(case(1, agent=1, creditor="LOAN"), case(2, agent=1, creditor="BANK"))
    with pytest.raises(ReassignmentRefused, match="not approved agency WAIFANG for case"):
        reassign(
            book, crew, [1, 2], 7, rules=RULES, reason="specialist", actor="l", at=AT, force=True
        )
    moved = reassign(book, crew, [2], 7, rules=RULES, reason="specialist", actor="l", at=AT)
    assert [(c.case_id, c.agency_code) for c in moved] == [(2, "WAIFANG")]


def test_unknown_cases_agents_and_unexplained_moves_are_refused() -> None:
    book = cases(case(1, agent=1))
    with pytest.raises(ReassignmentRefused, match="unknown case"):
        reassign(book, TWO_TEAMS, [1, 99], 2, rules=RULES, reason="workload", actor="l", at=AT)
    with pytest.raises(ReassignmentRefused, match="agent 42 is unknown"):
        reassign(book, TWO_TEAMS, [1], 42, rules=RULES, reason="workload", actor="l", at=AT)
    with pytest.raises(ReassignmentRefused, match="needs a note"):
        reassign(book, TWO_TEAMS, [1], 2, rules=RULES, reason="other", actor="l", at=AT)
    with pytest.raises(ReassignmentRefused, match="no cases"):
        reassign(book, TWO_TEAMS, [], 2, rules=RULES, reason="workload", actor="l", at=AT)
    with pytest.raises(ValueError, match="timezone-aware"):
        reassign(
            book,
            TWO_TEAMS,
            [1],
            2,
            rules=RULES,
            reason="workload",
            actor="l",
            at=datetime(2026, 3, 2, 15, 0),
        )


# ------------------------------------------------------------------------- 委外 fields


def test_agencies_see_the_minimum_and_never_the_full_id_number() -> None:
    fields = visible_fields("DUNSHOU")
    assert fields == AGENCY_VISIBLE_FIELDS
    assert {"debtor_name_masked", "mobile_masked", "balance", "dpd", "bucket"} <= set(fields)
    assert not {"id_number", "mobile", "debtor_name", "bank_card_no"} & set(fields)


def test_a_field_visit_agency_also_sees_the_home_address() -> None:
    policy = VisibilityPolicy(
        overrides=(FieldOverride("WAIFANG", add=("home_address",), remove=("placement_end",)),)
    )
    fields = visible_fields("WAIFANG", policy)
    assert fields[-1] == "home_address"
    assert "placement_end" not in fields
    assert visible_fields("DUNSHOU", policy) == AGENCY_VISIBLE_FIELDS


def test_no_policy_may_grant_the_full_id_number() -> None:
    with pytest.raises(ValueError, match="id_number"):
        VisibilityPolicy(overrides=(FieldOverride("WAIFANG", add=("id_number",)),))
    with pytest.raises(ValueError, match="mobile"):
        VisibilityPolicy(default=(*AGENCY_VISIBLE_FIELDS, "mobile"))


def test_an_agency_view_drops_every_other_column() -> None:
    frame = pl.DataFrame(
        {
            "case_id": [1],
            "id_number": ["110101199003071234"],
            "mobile_masked": ["138****1234"],
            "balance": [yuan("1000.00")],
        }
    )
    assert agency_view(frame, "DUNSHOU").columns == ["case_id", "mobile_masked", "balance"]
