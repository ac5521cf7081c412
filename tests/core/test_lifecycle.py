"""The case life-cycle: every allowed move, every refused pair, final states, reasons checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.core.lifecycle import (
    CASE_LIFECYCLE,
    CLOSED_STATES,
    HOLD_REASONS,
    CaseState,
    Edge,
    LifecycleTable,
    Reason,
    RefusalCode,
    Transition,
    TransitionRefused,
    allowed_reasons,
    allowed_targets,
    check_transition,
    transition,
)

S = CaseState
R = Reason
BEIJING = timezone(timedelta(hours=8))
AT = datetime(2026, 3, 2, 10, 30, tzinfo=BEIJING)  # Monday 2 March 2026, 10:30 Beijing

# The table as the business describes it, written out independently of the module's data so a
# change to either shows up here.
EXPECTED: dict[tuple[CaseState, CaseState], set[Reason]] = {
    (S.NEW, S.ACTIVE): {R.ALLOCATED},
    (S.NEW, S.ON_HOLD): set(HOLD_REASONS),
    (S.NEW, S.SETTLED): {R.PAYMENT_RECEIVED},
    (S.NEW, S.RECALLED): {R.RECALLED_BY_CREDITOR},
    (S.ACTIVE, S.PROMISED): {R.PROMISE_MADE},
    (S.ACTIVE, S.IN_PLAN): {R.PLAN_AGREED},
    (S.ACTIVE, S.ON_HOLD): set(HOLD_REASONS),
    (S.ACTIVE, S.LEGAL): {R.LEGAL_REFERRAL},
    (S.ACTIVE, S.SETTLED): {R.PAYMENT_RECEIVED, R.SETTLEMENT_PAID},
    (S.ACTIVE, S.RECALLED): {R.RECALLED_BY_CREDITOR, R.PLACEMENT_EXPIRED},
    (S.ACTIVE, S.WRITTEN_OFF): {R.WRITE_OFF},
    (S.PROMISED, S.ACTIVE): {R.PROMISE_BROKEN, R.PROMISE_KEPT},
    (S.PROMISED, S.IN_PLAN): {R.PLAN_AGREED},
    (S.PROMISED, S.ON_HOLD): set(HOLD_REASONS),
    (S.PROMISED, S.SETTLED): {R.PAYMENT_RECEIVED, R.SETTLEMENT_PAID},
    (S.PROMISED, S.RECALLED): {R.RECALLED_BY_CREDITOR, R.PLACEMENT_EXPIRED},
    (S.IN_PLAN, S.ACTIVE): {R.PLAN_BROKEN},
    (S.IN_PLAN, S.ON_HOLD): set(HOLD_REASONS),
    (S.IN_PLAN, S.SETTLED): {R.PLAN_COMPLETED, R.PAYMENT_RECEIVED, R.SETTLEMENT_PAID},
    (S.IN_PLAN, S.RECALLED): {R.RECALLED_BY_CREDITOR, R.PLACEMENT_EXPIRED},
    (S.ON_HOLD, S.ACTIVE): {R.HOLD_LIFTED},
    (S.ON_HOLD, S.LEGAL): {R.LEGAL_REFERRAL},
    (S.ON_HOLD, S.SETTLED): {R.PAYMENT_RECEIVED, R.SETTLEMENT_PAID},
    (S.ON_HOLD, S.RECALLED): {R.RECALLED_BY_CREDITOR, R.PLACEMENT_EXPIRED},
    (S.ON_HOLD, S.WRITTEN_OFF): {R.WRITE_OFF},
    (S.LEGAL, S.ACTIVE): {R.LEGAL_WITHDRAWN},
    (S.LEGAL, S.ON_HOLD): set(HOLD_REASONS),
    (S.LEGAL, S.SETTLED): {R.PAYMENT_RECEIVED, R.SETTLEMENT_PAID},
    (S.LEGAL, S.RECALLED): {R.RECALLED_BY_CREDITOR},
    (S.LEGAL, S.WRITTEN_OFF): {R.WRITE_OFF},
    (S.WRITTEN_OFF, S.SETTLED): {R.PAYMENT_RECEIVED, R.SETTLEMENT_PAID},
    (S.WRITTEN_OFF, S.RECALLED): {R.RECALLED_BY_CREDITOR},
}
ALLOWED_EDGES = sorted(EXPECTED, key=lambda pair: (list(S).index(pair[0]), list(S).index(pair[1])))
REFUSED_PAIRS = [pair for pair in product(S, S) if pair not in EXPECTED]


def test_the_table_is_exactly_the_documented_one() -> None:
    table = {(e.source, e.target): set(e.reasons) for e in CASE_LIFECYCLE.edges}
    assert table == EXPECTED
    assert (CASE_LIFECYCLE.code, CASE_LIFECYCLE.version) == ("CASE_LIFECYCLE", 1)


@pytest.mark.parametrize(("source", "target"), ALLOWED_EDGES)
def test_every_allowed_move_is_recorded_with_each_of_its_reasons(
    source: CaseState, target: CaseState
) -> None:
    for reason in sorted(EXPECTED[(source, target)]):
        moved = transition(source, target, reason=reason, actor="zhang.wei", at=AT, note="n")
        assert moved == Transition(
            source, target, reason, "zhang.wei", AT, "n", "CASE_LIFECYCLE", 1
        )
        assert check_transition(source, target, reason) is None


@pytest.mark.parametrize(("source", "target"), REFUSED_PAIRS)
def test_every_other_pair_is_refused_whatever_the_reason(
    source: CaseState, target: CaseState
) -> None:
    for reason in R:
        with pytest.raises(TransitionRefused) as refused:
            transition(source, target, reason=reason, actor="zhang.wei", at=AT)
        refusal = refused.value.refusal
        assert refusal.code in {
            RefusalCode.SAME_STATE,
            RefusalCode.FINAL_STATE,
            RefusalCode.NOT_ALLOWED,
        }
        assert refusal.allowed_targets == allowed_targets(source)


def test_the_exhaustive_grid_covers_all_81_pairs() -> None:
    assert len(ALLOWED_EDGES) + len(REFUSED_PAIRS) == len(S) ** 2 == 81


def test_settled_and_recalled_are_final_and_written_off_only_settles_or_is_recalled() -> None:
    assert allowed_targets(S.SETTLED) == ()
    assert allowed_targets(S.RECALLED) == ()
    assert CASE_LIFECYCLE.is_final(S.SETTLED)
    assert CASE_LIFECYCLE.is_final(S.RECALLED)
    # 账销案存: a written-off debtor who pays later is settled (核销后回收), or the debt is sold.
    assert allowed_targets(S.WRITTEN_OFF) == (S.SETTLED, S.RECALLED)
    assert not CASE_LIFECYCLE.is_final(S.WRITTEN_OFF)
    assert {S.SETTLED, S.RECALLED, S.WRITTEN_OFF} == CLOSED_STATES
    # No closed state ever returns to collection work.
    for closed in CLOSED_STATES:
        assert set(allowed_targets(closed)) <= CLOSED_STATES


def test_a_debtor_who_pays_after_write_off_is_settled() -> None:
    # Written off on 2026-01-31 at 180 DPD; the debtor pays the whole balance on 2026-03-02.
    written_off = transition(
        S.ACTIVE, S.WRITTEN_OFF, reason="write_off", actor="nightly", at=AT - timedelta(days=30)
    )
    settled = transition(
        written_off.to_state, S.SETTLED, reason=R.PAYMENT_RECEIVED, actor="nightly", at=AT
    )
    assert (settled.from_state.label, settled.to_state.label) == ("核销", "结清")


def test_a_settled_case_cannot_be_reopened_and_the_message_says_so_in_both_languages() -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(S.SETTLED, S.ACTIVE, reason="hold_lifted", actor="li.na", at=AT)
    assert refused.value.refusal.code is RefusalCode.FINAL_STATE
    message = str(refused.value)
    assert "结清 SETTLED" in message
    assert "终态" in message
    assert "SETTLED is final" in message


def test_a_refused_move_lists_the_allowed_targets_in_both_languages() -> None:
    # A case under a live promise cannot go straight to write-off.
    with pytest.raises(TransitionRefused) as refused:
        transition(S.PROMISED, S.WRITTEN_OFF, reason="write_off", actor="nightly", at=AT)
    refusal = refused.value.refusal
    assert refusal.code is RefusalCode.NOT_ALLOWED
    assert refusal.allowed_targets == (S.ACTIVE, S.IN_PLAN, S.ON_HOLD, S.SETTLED, S.RECALLED)
    assert "可转为：在催 ACTIVE、分期中 IN_PLAN、停催 ON_HOLD、结清 SETTLED、撤案 RECALLED" in (
        refusal.message
    )
    assert "allowed targets: ACTIVE, IN_PLAN, ON_HOLD, SETTLED, RECALLED" in refusal.message


def test_a_move_to_the_same_state_is_refused() -> None:
    refusal = check_transition(S.ON_HOLD, S.ON_HOLD, R.COMPLAINT)
    assert refusal is not None
    assert refusal.code is RefusalCode.SAME_STATE


def test_a_reason_that_does_not_fit_the_move_is_refused_with_the_fitting_reasons() -> None:
    # A broken plan is not a broken promise.
    with pytest.raises(TransitionRefused) as refused:
        transition(S.IN_PLAN, S.ACTIVE, reason=R.PROMISE_BROKEN, actor="nightly", at=AT)
    refusal = refused.value.refusal
    assert refusal.code is RefusalCode.REASON_NOT_ALLOWED
    assert refusal.allowed_reasons == (R.PLAN_BROKEN,)
    assert "plan_broken" in refusal.message
    assert "分期违约" in refusal.message


def test_an_unknown_reason_code_is_refused() -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(S.ACTIVE, S.ON_HOLD, reason="felt_like_it", actor="li.na", at=AT)
    assert refused.value.refusal.code is RefusalCode.UNKNOWN_REASON
    assert set(refused.value.refusal.allowed_reasons) == set(HOLD_REASONS)


def test_an_unknown_state_code_is_refused() -> None:
    refusal = check_transition("active", "paused", "dispute")
    assert refusal is not None
    assert refusal.code is RefusalCode.UNKNOWN_STATE


def test_codes_given_as_strings_are_accepted() -> None:
    moved = transition("on_hold", "active", reason="hold_lifted", actor="li.na", at=AT)
    assert (moved.from_state, moved.to_state, moved.reason) == (S.ON_HOLD, S.ACTIVE, R.HOLD_LIFTED)


def test_a_transition_needs_an_actor_and_an_aware_time() -> None:
    with pytest.raises(ValueError, match="actor"):
        transition(S.NEW, S.ACTIVE, reason="allocated", actor=" ", at=AT)
    with pytest.raises(ValueError, match="timezone-aware"):
        transition(S.NEW, S.ACTIVE, reason="allocated", actor="nightly", at=datetime(2026, 3, 2))
    assert (
        transition(
            S.NEW,
            S.ACTIVE,
            reason="allocated",
            actor="nightly",
            at=datetime(2026, 3, 2, tzinfo=UTC),
        ).to_state
        is S.ACTIVE
    )


def test_every_state_and_reason_has_a_chinese_label() -> None:
    assert [s.label for s in S] == [
        "入催",
        "在催",
        "承诺",
        "分期中",
        "停催",
        "法催",
        "结清",
        "撤案",
        "核销",
    ]
    assert all(reason.label for reason in R)


def test_every_reason_is_used_by_some_move() -> None:
    used = {reason for edge in CASE_LIFECYCLE.edges for reason in edge.reasons}
    assert used == set(R)


def test_every_open_state_can_reach_an_end() -> None:
    for start in S:
        seen, frontier = {start}, [start]
        while frontier:
            for nxt in allowed_targets(frontier.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert seen & {S.SETTLED, S.RECALLED}


def test_a_table_with_a_repeated_move_or_a_self_loop_is_rejected() -> None:
    edge = Edge(S.NEW, S.ACTIVE, (R.ALLOCATED,))
    with pytest.raises(ValueError, match="twice"):
        LifecycleTable("T", 1, (edge, edge))
    with pytest.raises(ValueError, match="itself"):
        Edge(S.ACTIVE, S.ACTIVE, (R.ALLOCATED,))
    with pytest.raises(ValueError, match="reason"):
        Edge(S.NEW, S.ACTIVE, ())


@given(st.sampled_from(S), st.sampled_from(S), st.sampled_from(R))
def test_check_and_transition_agree_with_the_documented_table(
    source: CaseState, target: CaseState, reason: Reason
) -> None:
    allowed = reason in EXPECTED.get((source, target), set())
    assert (check_transition(source, target, reason) is None) is allowed
    assert set(allowed_reasons(source, target)) == EXPECTED.get((source, target), set())
    if allowed:
        assert transition(source, target, reason=reason, actor="a", at=AT).to_state is target
    else:
        with pytest.raises(TransitionRefused):
            transition(source, target, reason=reason, actor="a", at=AT)


@given(st.lists(st.sampled_from(R), min_size=1, max_size=30))
def test_a_random_walk_only_ever_follows_the_table(reasons: list[Reason]) -> None:
    state = S.NEW
    for reason in reasons:
        targets = [t for t in allowed_targets(state) if reason in allowed_reasons(state, t)]
        if not targets:
            assert all(check_transition(state, target, reason) for target in S)
            continue
        state = transition(state, targets[0], reason=reason, actor="a", at=AT).to_state
    assert state in S
