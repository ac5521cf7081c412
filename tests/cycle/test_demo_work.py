"""The demo's working day: agents dial part of the call list through the guard, promises are
recorded, and debtors answer some satisfaction texts, so the dashboards have data to show."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from huikuan.calls.dispositions import DISPOSITIONS, DispositionCode
from huikuan.cases.models import Promise
from huikuan.compliance.models import ContactAttempt
from huikuan.db.engine import make_engine, transaction
from huikuan.demo.service import load_demo
from huikuan.kpis.models import Survey, SurveyStatus
from huikuan.security.crypto import FieldCipher


def test_agents_work_and_debtors_rate(cipher: FieldCipher, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        load_demo(
            engine,
            accounts=1500,
            as_of=date(2026, 11, 20),
            days=4,
            seed=3,
            cipher=cipher,
            work_dir=tmp_path / "w",
            deliver=True,
            agents_work=True,
        )
        with transaction(engine) as s:
            calls = dict(
                s.execute(
                    select(ContactAttempt.disposition, func.count())
                    .where(ContactAttempt.disposition.is_not(None))
                    .group_by(ContactAttempt.disposition)
                ).all()
            )
            logged = s.scalar(
                select(func.count()).where(
                    ContactAttempt.disposition.is_not(None), ContactAttempt.executed.is_(False)
                )
            )
            promises = s.scalar(select(func.count(Promise.id)))
            answered = s.scalar(
                select(func.count(Survey.id)).where(Survey.status == SurveyStatus.ANSWERED.value)
            )
    finally:
        engine.dispose()
    assert set(calls) <= {code.value for code in DISPOSITIONS}
    assert DispositionCode.DISPUTE.value not in calls  # disputes come from the debtors' side
    assert calls.get("rpc", 0) > 0
    assert calls.get("no_answer", 0) > calls.get("rpc", 0)  # the usual floor: mostly no answer
    assert logged == 0  # a disposition is stored only on a call the guard let through
    assert promises == calls.get("promise", 0)
    assert answered is not None
    assert answered > 0
