"""Planning a day's contacts over a portfolio: the batch planner agrees with the guard.

The planner's fast path re-reads the CN packs in Polars; every verdict it gives must be the one
the scalar guard (``engine.check``) gives on the same proposal with the same history. All times
are Beijing time unless a test says otherwise; 10 March 2026 (the planning day) is a Tuesday.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from huikuan.compliance import engine
from huikuan.compliance.batch import SCALAR, VECTORISED, plan_contacts
from huikuan.compliance.cn import CN_PACKS, _digits
from huikuan.compliance.request import parse_request
from huikuan.compliance.verdict import Verdict

BEIJING = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 10)
DEBTS = ("CC-1", "CC-2")
FRIEND = "third_party:EC-1"
FRIEND_NUMBER = "13900009999"

PROPOSAL_SCHEMA: dict[str, Any] = {
    "proposal_id": pl.Int64,
    "debtor_id": pl.Int64,
    "debt_id": pl.String,
    "datetime": pl.Datetime("us", "UTC"),
    "channel": pl.String,
    "party": pl.String,
    "caller": pl.String,
    "to_number": pl.String,
    "call_type": pl.String,
    "purpose": pl.String,
    "timezone": pl.String,
    "collector_count": pl.Int64,
    "content": pl.String,
    "relationship": pl.String,
}
HISTORY_SCHEMA: dict[str, Any] = {
    "debtor_id": pl.Int64,
    "datetime": pl.Datetime("us", "UTC"),
    "channel": pl.String,
    "direction": pl.String,
    "party": pl.String,
    "caller": pl.String,
    "to_number": pl.String,
    "outcome": pl.String,
    "call_type": pl.String,
    "content_type": pl.String,
    "status": pl.String,
    "debt_ids": pl.List(pl.String),
    "consent_type": pl.String,
    "consent_to_call_at": pl.String,
    "update": pl.String,
}


def at(clock: str, days: int = 0) -> datetime:
    """A moment on the planning day (or ``days`` later), Beijing time."""
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(DAY + timedelta(days=days), time(hour, minute), tzinfo=BEIJING)


def mobile(debtor: int, which: int = 0) -> str:
    return f"1380000{debtor:02d}{which:02d}"


def frames(
    proposals: list[dict[str, Any]],
    history: list[dict[str, Any]],
    *,
    proposal_zone: str = "UTC",
    history_zone: str = "Asia/Shanghai",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The planner's two frames from proposal and event dicts (datetimes as Python values)."""

    def frame(rows: list[dict[str, Any]], schema: dict[str, Any], zone: str) -> pl.DataFrame:
        data = {name: [row.get(name) for row in rows] for name in schema}
        built = pl.DataFrame(data, schema=schema)
        return built.with_columns(pl.col("datetime").dt.convert_time_zone(zone))

    return (
        frame(proposals, PROPOSAL_SCHEMA, proposal_zone),
        frame(history, HISTORY_SCHEMA, history_zone),
    )


def as_json(item: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in item.items()
        if value is not None and name not in ("proposal_id", "debtor_id", "debt_id", "timezone")
    }


def guard(proposal: dict[str, Any], history: list[dict[str, Any]]) -> Verdict:
    """What ``engine.check`` says about one proposal alone, with its debtor's history."""
    proposed = {"direction": "outbound", **as_json(proposal)}
    if proposal.get("debt_id") is not None:
        proposed["debt_ids"] = [proposal["debt_id"]]
    debtor = {"timezone": proposal["timezone"]} if proposal.get("timezone") else {}
    request = parse_request(
        {
            "jurisdiction": "CN",
            "debtor": debtor,
            "debts": [{"id": proposal["debt_id"]}] if proposal.get("debt_id") else [],
            "events": [as_json(e) for e in history if e["debtor_id"] == proposal["debtor_id"]],
            "proposed": proposed,
        }
    )
    return engine.check(request, CN_PACKS)


def plan(
    proposals: list[dict[str, Any]], history: list[dict[str, Any]], **zones: str
) -> dict[int, dict[str, Any]]:
    planned = plan_contacts(*frames(proposals, history, **zones))
    return {row["proposal_id"]: row for row in planned.iter_rows(named=True)}


def call(debtor: int, when: datetime, outcome: str | None = "unanswered", **extra: Any) -> dict:
    return {
        "debtor_id": debtor,
        "datetime": when,
        "channel": "phone",
        "direction": "outbound",
        "party": "consumer",
        "to_number": mobile(debtor),
        "outcome": outcome,
        **extra,
    }


def proposal(pid: int, debtor: int, when: datetime, channel: str = "phone", **extra: Any) -> dict:
    row: dict[str, Any] = {
        "proposal_id": pid,
        "debtor_id": debtor,
        "debt_id": "CC-1",
        "datetime": when,
        "channel": channel,
    }
    if channel == "phone":
        row["to_number"] = mobile(debtor)
    row.update(extra)
    return row


# --------------------------------------------------------------------------------------------
# Random portfolios
# --------------------------------------------------------------------------------------------

CLOCKS = st.sampled_from(
    [time(7, 59, 59), time(8, 0), time(21, 59, 59), time(22, 0), time(0, 0)]
) | st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))
SUBSETS = st.sampled_from([None, [], ["CC-1"], ["CC-2"], ["CC-1", "CC-2"]])
CALL_OUTCOMES = st.sampled_from(
    [
        None,
        "unanswered",
        "busy",
        "not_in_service",
        "voicemail_no_message",
        "voicemail_limited_content",
        "answered_then_dropped_no_conversation",
        "conversation",
        "conversation_dropped",
        "connected_voice_notice",
    ]
)


@st.composite
def moments(draw: st.DrawFn, days: tuple[int, int] = (-3, 0)) -> datetime:
    offset = draw(st.integers(*days))
    clock = draw(CLOCKS)
    return datetime.combine(DAY + timedelta(days=offset), clock, tzinfo=BEIJING)


@st.composite
def history_events(draw: st.DrawFn, debtor: int, plain: bool) -> list[dict[str, Any]]:
    """Earlier events of one debtor: calls (some in bursts that reach the caps), holds,
    outsourcing notices, texts, and (unless ``plain``) now and then an event only the scalar
    path models."""
    kinds = ["call", "call", "burst", "burst", "voice_burst", "hold", "notice", "notice", "sms"]
    kinds += ["third_party"]
    if not plain:
        kinds += ["consent", "data_update", "late_call"]
    kind = draw(st.sampled_from(kinds))
    numbers = [mobile(debtor, 0), mobile(debtor, 1), "138-0000-" + f"{debtor:02d}00"]
    base = {"debtor_id": debtor}
    if kind in ("call", "late_call", "third_party"):
        when = draw(moments((0, 1) if kind == "late_call" else (-3, 0)))
        if kind != "late_call" and when.date() == DAY:
            when = when.replace(hour=min(when.hour, 11))  # mornings: before most proposals
        return [
            {
                **base,
                "datetime": when,
                "channel": "phone",
                "direction": draw(st.sampled_from([None, "outbound", "outbound", "inbound"])),
                "party": FRIEND
                if kind == "third_party"
                else draw(st.sampled_from([None, "consumer"])),
                "caller": draw(st.sampled_from([None, "lender", "agency:A"])),
                "to_number": draw(st.sampled_from([*numbers, FRIEND_NUMBER, None])),
                "outcome": draw(CALL_OUTCOMES),
                "call_type": draw(st.sampled_from([None, "agent", "voice_notice"])),
            }
        ]
    if kind in ("burst", "voice_burst"):
        count = draw(st.integers(3, 8) if kind == "burst" else st.integers(1, 4))
        number = draw(st.sampled_from(numbers))
        outcome = "unanswered" if kind == "burst" else "connected_voice_notice"
        return [
            {
                **base,
                "datetime": at(f"08:{5 * i:02d}"),
                "channel": "phone",
                "party": "consumer",
                "caller": draw(st.sampled_from(["lender", "agency:A"])),
                "to_number": number,
                "outcome": outcome,
            }
            for i in range(count)
        ]
    if kind == "hold":
        return [
            {
                **base,
                "datetime": draw(moments((-5, 0))).replace(hour=9),
                "channel": "hold",
                "content_type": draw(
                    st.sampled_from(["dispute", "complaint", "deceased", "litigation_hold", "x"])
                ),
                "status": draw(st.sampled_from([None, None, "lifted"])),
                "debt_ids": draw(SUBSETS),
            }
        ]
    if kind == "notice":
        return [
            {
                **base,
                "datetime": draw(moments((-20, -1))),
                "channel": draw(st.sampled_from(["letter", "sms"])),
                "direction": draw(st.sampled_from([None, "outbound", "inbound"])),
                "party": draw(st.sampled_from([None, "consumer", FRIEND])),
                "content_type": "outsourcing_notice",
                "status": draw(st.sampled_from([None, "delivered", "returned_undeliverable"])),
                "debt_ids": draw(SUBSETS),
            }
        ]
    if kind == "sms":
        return [
            {
                **base,
                "datetime": draw(moments()).replace(hour=9),
                "channel": "sms",
                "direction": "outbound",
                "to_number": draw(st.sampled_from(numbers)),
            }
        ]
    if kind == "consent":
        return [
            {
                **base,
                "datetime": at("07:00", -1),
                "channel": "consent",
                "party": "consumer",
                "consent_type": draw(st.sampled_from(["inconvenient_time", "additional_calls"])),
                "consent_to_call_at": draw(st.sampled_from([None, "22:00-23:30"])),
            }
        ]
    return [
        {
            **base,
            "datetime": at("07:30", -1),
            "channel": "data_update",
            "party": "consumer",
            "update": "number_invalid",
        }
    ]


@st.composite
def proposals_for(draw: st.DrawFn, debtor: int, first_id: int, plain: bool) -> list[dict[str, Any]]:
    """A debtor's proposals: at most one call per number per day, plus other channels."""
    slots = draw(
        st.lists(
            st.tuples(st.integers(0, 1), st.integers(0, 1)), unique=True, min_size=0, max_size=3
        )
    )
    rows: list[dict[str, Any]] = []
    for which, days in slots:
        when = datetime.combine(DAY + timedelta(days=days), draw(CLOCKS), tzinfo=BEIJING)
        rows.append(
            {
                "channel": "phone",
                "datetime": when,
                # The same number written three ways across proposals and history.
                "to_number": mobile(debtor, which) if which or days else f"138 0000 {debtor:02d}00",
                "call_type": draw(st.sampled_from([None, "agent", "voice_notice"])),
            }
        )
    for extra in range(draw(st.integers(0, 1 if plain else 2))):
        others = ["sms", "im", "visit"] + ([] if plain else ["letter", "email", "third_party"])
        channel = draw(st.sampled_from(others))
        row: dict[str, Any] = {"channel": channel, "datetime": draw(moments((0, 0)))}
        if channel == "sms":
            row["to_number"] = mobile(debtor)
            text = "您好，这里是某银行，工号1234"
            row["content"] = None if plain else draw(st.sampled_from([None, None, text]))
        if channel == "visit":
            row["collector_count"] = draw(st.sampled_from([None, 1, 2]))
        if channel == "third_party":
            # Alone on its number and day, so no in-batch attempt reaches it.
            row.update(
                channel="phone",
                datetime=draw(moments((2 + extra, 2 + extra))),
                party=FRIEND,
                to_number=FRIEND_NUMBER,
                relationship=draw(st.sampled_from(["friend", "guarantor"])),
                purpose=draw(st.sampled_from([None, "locate_or_relay_message"])),
            )
        rows.append(row)
    for offset, row in enumerate(rows):
        row.update(proposal_id=first_id + offset, debtor_id=debtor)
        row.setdefault("party", draw(st.sampled_from([None, "consumer"])))
        row["caller"] = draw(st.sampled_from([None, "lender", "agency:A"]))
        row.setdefault("purpose", draw(st.sampled_from([None, "collection", "legally_required"])))
        row["debt_id"] = draw(st.sampled_from([None, "CC-1", "CC-2"]))
        zones = [None, "Asia/Shanghai"] + ([] if plain else [None, "Asia/Tokyo"])
        row["timezone"] = draw(st.sampled_from(zones))
    return rows


@st.composite
def portfolios(
    draw: st.DrawFn, plain: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A few debtors; ``plain``: only what the fast path models (it then decides most)."""
    proposals: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for debtor in range(draw(st.integers(1, 4))):
        for _ in range(draw(st.integers(0, 6))):
            history.extend(draw(history_events(debtor, plain)))
        proposals.extend(draw(proposals_for(debtor, 100 * debtor, plain)))
    return proposals, history


def one_call_per_number_and_day(proposals: list[dict[str, Any]]) -> bool:
    keys = [
        (p["debtor_id"], _digits(p["to_number"]), p["datetime"].astimezone(BEIJING).date())
        for p in proposals
        if p["channel"] == "phone" and p.get("to_number")
    ]
    return len(keys) == len(set(keys))


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@settings(max_examples=200)
@given(
    portfolios() | portfolios(plain=True),
    st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"]),
    st.sampled_from(["UTC", "Asia/Shanghai"]),
)
def test_the_planner_gives_every_proposal_the_guards_own_verdict(
    portfolio: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    proposal_zone: str,
    history_zone: str,
) -> None:
    proposals, history = portfolio
    assert one_call_per_number_and_day(proposals)
    planned = plan(proposals, history, proposal_zone=proposal_zone, history_zone=history_zone)
    assert set(planned) == {p["proposal_id"] for p in proposals}
    for item in proposals:
        verdict = guard(item, history)
        row = planned[item["proposal_id"]]
        event(f"{row['path']} {row['decision']}")
        assert row["decision"] == verdict.decision.value, (item, row, verdict)
        assert row["next_allowed_at"] == verdict.next_allowed_at, (item, row, verdict)
        assert set(row["rule_ids"]) == {r.rule_id for r in verdict.reasons}, (item, row, verdict)
        assert row["rule_ids"] == sorted(set(row["rule_ids"]))


@st.composite
def crowded_days(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Several calls to one number on one day, some debtors on the scalar path (a consent)."""
    proposals: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for debtor in range(draw(st.integers(1, 3))):
        morning = draw(st.integers(0, 7))
        history.extend(call(debtor, at(f"08:{i:02d}")) for i in range(morning))
        if draw(st.booleans()):
            history.append(
                {
                    "debtor_id": debtor,
                    "datetime": at("07:00", -3),
                    "channel": "consent",
                    "consent_type": "email_address",
                }
            )
        for i in range(draw(st.integers(1, 6))):
            proposals.append(
                proposal(
                    100 * debtor + i,
                    debtor,
                    datetime.combine(DAY, draw(CLOCKS), tzinfo=BEIJING).replace(
                        hour=draw(st.sampled_from([9, 12, 12, 23]))
                    ),
                    caller=draw(st.sampled_from(["lender", "agency:A"])),
                    to_number=draw(st.sampled_from([mobile(debtor), "+" + mobile(debtor, 1)])),
                )
            )
    return proposals, history


@settings(max_examples=60)
@given(crowded_days(), st.randoms(use_true_random=False))
def test_the_verdicts_do_not_depend_on_the_order_of_the_rows(
    portfolio: tuple[list[dict[str, Any]], list[dict[str, Any]]], rng: Any
) -> None:
    proposals, history = portfolio
    first = plan_contacts(*frames(proposals, history)).sort("proposal_id")
    rng.shuffle(proposals)
    rng.shuffle(history)
    again = plan_contacts(*frames(proposals, history)).sort("proposal_id")
    assert first.equals(again)


@settings(max_examples=60)
@given(crowded_days())
def test_both_paths_count_the_batchs_own_calls_the_same_way(
    portfolio: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    """Forcing every proposal onto the scalar path (packs the fast path cannot read) changes
    nothing: the in-batch counting is one assumption, applied by both paths."""
    proposals, history = portfolio
    props, hist = frames(proposals, history)
    fast = plan_contacts(props, hist).sort("proposal_id")
    slow = plan_contacts(props, hist, packs=list(CN_PACKS)).sort("proposal_id")
    assert (slow.get_column("path") == SCALAR).all()
    assert fast.drop("path").equals(slow.drop("path"))


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


def test_a_morning_call_to_a_debtor_with_a_clean_history_is_allowed_on_the_fast_path() -> None:
    planned = plan([proposal(1, 7, at("10:00"))], [call(7, at("09:00", -1))])
    assert planned[1]["decision"] == "allowed"
    assert planned[1]["path"] == VECTORISED
    assert planned[1]["rule_ids"] == []
    assert planned[1]["next_allowed_at"] is None


def test_a_call_planned_for_half_past_ten_at_night_waits_until_eight_next_morning() -> None:
    planned = plan([proposal(1, 7, at("22:30"))], [])
    assert planned[1]["decision"] == "deferred"
    assert planned[1]["next_allowed_at"] == at("08:00", 1)
    assert planned[1]["rule_ids"] == ["CN-CBA-2026-QUIET-HOURS", "CN-GBT-45251-QUIET-HOURS"]


def test_a_number_already_tried_six_times_today_waits_until_tomorrow() -> None:
    tried = [call(7, at(f"08:{i:02d}"), caller="agency:A" if i % 2 else "lender") for i in range(6)]
    planned = plan([proposal(1, 7, at("14:00"), to_number="138-0000-0700")], tried)
    assert planned[1]["decision"] == "deferred"
    assert planned[1]["next_allowed_at"] == at("08:00", 1)
    assert planned[1]["rule_ids"] == ["CN-CBA-2026-UNANSWERED-6"]
    assert planned[1]["path"] == VECTORISED


def test_todays_planned_calls_count_as_unanswered_attempts_in_time_order() -> None:
    """Four unanswered calls this morning leave room for two more today: the first two planned
    calls to that number are allowed, the third waits; another number is not affected."""
    tried = [call(7, at(f"08:{i:02d}")) for i in range(4)]
    planned_calls = [
        proposal(3, 7, at("16:00")),
        proposal(1, 7, at("10:00")),
        proposal(2, 7, at("10:00")),  # same time as 1: the lower id goes first
        proposal(4, 7, at("11:00"), to_number=mobile(7, 1)),
        proposal(5, 7, at("23:00")),  # deferred by the quiet hours, and the cap is reached too
    ]
    for history in (tried, [*tried, {**call(7, at("07:00", -2)), "channel": "consent"}]):
        planned = plan(planned_calls, history)
        assert [planned[i]["decision"] for i in (1, 2, 3, 4)] == [
            "allowed",
            "allowed",
            "deferred",
            "allowed",
        ]
        assert planned[3]["rule_ids"] == ["CN-CBA-2026-UNANSWERED-6"]
        assert planned[3]["next_allowed_at"] == at("08:00", 1)
        assert set(planned[5]["rule_ids"]) == {
            "CN-CBA-2026-QUIET-HOURS",
            "CN-GBT-45251-QUIET-HOURS",
            "CN-CBA-2026-UNANSWERED-6",
        }
    # The second history has a consent event: the whole day went through the scalar guard.
    assert {row["path"] for row in planned.values()} == {SCALAR}


def test_blocked_and_deferred_plans_leave_room_for_later_calls() -> None:
    tried = [call(7, at(f"08:{i:02d}")) for i in range(5)]
    planned = plan(
        [
            proposal(1, 7, at("07:30")),  # quiet hours: not placed
            proposal(2, 7, at("12:00"), caller="agency:A"),  # no outsourcing notice: blocked
            proposal(3, 7, at("13:00")),  # the sixth attempt
            proposal(4, 7, at("14:00")),  # one too many
        ],
        tried,
    )
    assert [planned[i]["decision"] for i in (1, 2, 3, 4)] == [
        "deferred",
        "blocked",
        "allowed",
        "deferred",
    ]


def test_an_agency_may_call_only_after_the_debtor_was_told_of_the_outsourcing() -> None:
    letter = {
        "debtor_id": 7,
        "datetime": at("09:00", -10),
        "channel": "letter",
        "direction": "outbound",
        "content_type": "outsourcing_notice",
        "debt_ids": ["CC-1"],
    }
    agency_call = [proposal(1, 7, at("10:00"), caller="agency:A")]
    assert plan(agency_call, [])[1]["rule_ids"] == ["CN-BANK-C6-41-OUTSOURCING-NOTICE"]
    assert plan(agency_call, [letter])[1]["decision"] == "allowed"
    returned = {**letter, "status": "returned_undeliverable"}
    assert plan(agency_call, [returned])[1]["decision"] == "blocked"
    other_debt = {**letter, "debt_ids": ["CC-2"]}
    assert plan(agency_call, [other_debt])[1]["decision"] == "blocked"


def test_a_dispute_hold_stops_collection_until_it_is_lifted() -> None:
    hold = {
        "debtor_id": 7,
        "datetime": at("09:00", -3),
        "channel": "hold",
        "content_type": "dispute",
        "debt_ids": ["CC-1"],
    }
    lifted = {**hold, "datetime": at("09:00", -1), "status": "lifted"}
    morning_call = [proposal(1, 7, at("10:00"))]
    planned = plan(morning_call, [hold])
    assert planned[1]["decision"] == "blocked"
    assert planned[1]["rule_ids"] == ["CN-CBA-2026-HOLD"]
    assert plan(morning_call, [hold, lifted])[1]["decision"] == "allowed"
    assert plan([proposal(1, 7, at("10:00"), debt_id="CC-2")], [hold])[1]["decision"] == "allowed"
    legal = [proposal(1, 7, at("10:00"), purpose="legally_required")]
    assert plan(legal, [hold])[1]["decision"] == "allowed"


def test_a_field_visit_needs_two_collectors() -> None:
    planned = plan(
        [
            proposal(1, 7, at("10:00"), "visit", collector_count=1),
            proposal(2, 8, at("10:00"), "visit", collector_count=2),
        ],
        [],
    )
    assert planned[1]["decision"] == "blocked"
    assert planned[1]["rule_ids"] == ["CN-CBA-2026-VISIT-2"]
    assert planned[2]["decision"] == "allowed"


def test_a_fourth_connected_voice_notice_in_a_day_waits_until_tomorrow() -> None:
    notices = [
        call(7, at(f"0{8 + i}:00"), "connected_voice_notice", caller="agency:A" if i else None)
        for i in range(3)
    ]
    planned = plan([proposal(1, 7, at("15:00"), call_type="voice_notice")], notices)
    assert planned[1]["decision"] == "deferred"
    assert planned[1]["rule_ids"] == ["CN-GBT-45251-VOICE-NOTICE-3"]
    assert planned[1]["next_allowed_at"] == at("08:00", 1)


def test_contacts_the_fast_path_does_not_model_go_to_the_guard_itself() -> None:
    """A call to an emergency contact, a letter, a debtor in another zone and a debtor whose
    history holds a consent are checked one by one by the scalar guard."""
    consent = {
        "debtor_id": 9,
        "datetime": at("07:00", -1),
        "channel": "consent",
        "party": "consumer",
        "consent_to_call_at": "22:00-23:00",
    }
    proposals = [
        proposal(1, 7, at("10:00"), party=FRIEND, to_number=FRIEND_NUMBER, relationship="friend"),
        proposal(2, 7, at("10:00"), "letter"),
        proposal(3, 8, at("10:00"), timezone="Asia/Tokyo"),
        proposal(4, 9, at("22:30")),
        proposal(5, 10, at("10:00")),
    ]
    planned = plan(proposals, [consent])
    assert [planned[i]["path"] for i in range(1, 6)] == [SCALAR] * 4 + [VECTORISED]
    assert planned[1]["decision"] == "blocked"  # the debtor is reachable
    assert planned[4]["decision"] == "allowed"  # the debtor agreed to a late call
    for item in proposals:
        verdict = guard(item, [consent])
        assert planned[item["proposal_id"]]["decision"] == verdict.decision.value


def test_the_result_keeps_the_order_and_ids_of_the_proposals() -> None:
    proposals = [proposal(i, i % 3, at("10:00") + timedelta(minutes=i)) for i in (5, 3, 9, 1)]
    props, hist = frames(proposals, [])
    planned = plan_contacts(props, hist)
    assert planned.get_column("proposal_id").to_list() == [5, 3, 9, 1]
    assert planned.columns == ["proposal_id", "decision", "next_allowed_at", "rule_ids", "path"]


def test_datetimes_without_a_time_zone_are_refused() -> None:
    props, hist = frames([proposal(1, 7, at("10:00"))], [])
    naive = props.with_columns(pl.col("datetime").dt.replace_time_zone(None))
    with pytest.raises(ValueError, match=r"proposals\.datetime"):
        plan_contacts(naive, hist)
    with pytest.raises(ValueError, match="unique"):
        plan_contacts(pl.concat([props, props]), hist)
