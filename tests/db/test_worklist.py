"""The work list on the case rows: figures as of the close, the queue order, and refreshes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from huikuan.access.policy import principal_for
from huikuan.accounts.models import Account
from huikuan.calls.models import CallTask
from huikuan.cases.models import Case, Promise
from huikuan.cases.worklist import queue_rank, refresh_worklist
from huikuan.db.engine import transaction
from huikuan.demo.service import load_demo
from huikuan.org.models import User
from huikuan.security.crypto import FieldCipher
from huikuan.web.queries import work_queue

DAY = date(2026, 11, 20)


@pytest.fixture
def demo(engine: Engine, cipher: FieldCipher, tmp_path: Path) -> Engine:
    load_demo(engine, accounts=800, as_of=DAY, days=1, seed=9, cipher=cipher, work_dir=tmp_path)
    return engine


def test_the_cycle_leaves_each_case_with_its_figures_and_rank(demo: Engine) -> None:
    with transaction(demo) as session:
        sums = dict(
            session.execute(
                select(
                    Account.case_id,
                    func.sum(Account.principal + Account.interest + Account.penalty + Account.fee),
                )
                .where(Account.status == "open", Account.case_id.is_not(None))
                .group_by(Account.case_id)
            ).all()
        )
        cases = session.scalars(select(Case)).all()
        assert cases
        for case in cases:
            assert case.balance == int(sums.get(case.id, 0))
            assert case.queue_rank is not None
        # Nothing changed since the cycle: a refresh writes nothing.
        assert refresh_worklist(session, DAY) == 0


def test_the_queue_puts_todays_promise_first_then_tasks_by_priority(demo: Engine) -> None:
    with transaction(demo) as session:
        agent_id = session.scalar(
            select(Case.agent_id)
            .where(Case.agent_id.is_not(None), Case.agency_id.is_(None))
            .group_by(Case.agent_id)
            .order_by(func.count().desc())
        )
        assert agent_id is not None
        username = session.scalar(select(User.username).where(User.id == agent_id))
        assert username is not None
        principal = principal_for(session, username)
        first = work_queue(session, principal, today=DAY, limit=200)
        ranks = [
            session.scalar(select(Case.queue_rank).where(Case.id == row.case_id))
            for row in first.rows
        ]
        assert ranks == sorted(ranks)  # the page is in rank order
        tasked = set(
            session.scalars(
                select(CallTask.case_id).where(CallTask.due_on == DAY, CallTask.status == "open")
            )
        )
        flags = [row.case_id in tasked for row in first.rows]
        assert any(flags)
        assert flags == sorted(flags, reverse=True)  # every case with a task before the rest
        # The last case on the page promises to pay today: it moves to the top.
        last = first.rows[-1].case_id
        session.add(Promise(case_id=last, amount=100, promised_on=DAY, created_on=DAY))
        session.flush()
        assert refresh_worklist(session, DAY, [last]) == 1
        again = work_queue(session, principal, today=DAY, limit=5)
        assert again.rows[0].case_id == last
        assert again.rows[0].ptp_today


def test_rank_order() -> None:
    assert queue_rank(True, None, 0, 0) < queue_rank(False, 1, 10_000, 10**12)
    assert queue_rank(False, 10, 0, 0) < queue_rank(False, 20, 500, 10**9)
    assert queue_rank(False, None, 120, 0) < queue_rank(False, None, 119, 10**12)
    assert queue_rank(False, None, 30, 10_000_00) < queue_rank(False, None, 30, 9_999_00)
    assert queue_rank(False, None, 10**9, 10**18) >= 0  # capped, never negative
    assert queue_rank(True, 0, 10**9, 10**18) < 2**63
