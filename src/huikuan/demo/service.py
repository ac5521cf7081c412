"""Filling a database with the demo: organisation, users for every role, a portfolio, and days.

``load_demo`` (1) resets the schema when asked, (2) writes creditors, products with their
policies, an agency, teams and one user per role (more agents), (3) writes a synthetic portfolio
accrued through ``as_of − days``, then (4) for each simulated day records that day's receipts
and closes the day through the nightly service, exactly as production would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl
from alembic import command
from sqlalchemy import Engine, func, insert, select

from huikuan.accounts.models import Account, AccountPause, BucketHistory, Debtor
from huikuan.core.delinquency import Movement
from huikuan.core.policy import policy_to_dict
from huikuan.db.engine import transaction
from huikuan.db.migrate import alembic_config
from huikuan.db.migrate import upgrade as upgrade_schema
from huikuan.demo.catalogue import DEMO_AGENCY, DEMO_CREDITORS, DEMO_TEAMS
from huikuan.demo.synthetic import SyntheticPortfolio, generate_portfolio
from huikuan.nightly.frames import bucket_schemes
from huikuan.nightly.service import CloseReport, close_through
from huikuan.org.models import Agency, Creditor, Product, Role, Team, User
from huikuan.payments.models import Payment

CHANNELS = ("bank_transfer", "alipay", "wechat_pay")


class DemoExistsError(RuntimeError):
    """The database already holds data and no reset was asked for."""


@dataclass(frozen=True, slots=True)
class DemoResult:
    accounts: int
    users: tuple[tuple[str, str], ...]  # (username, role)
    start: date
    as_of: date
    closes: tuple[CloseReport, ...]


def reset_schema(engine: Engine) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    upgrade_schema(engine)


def load_demo(
    engine: Engine,
    *,
    accounts: int,
    as_of: date,
    days: int,
    seed: int = 20260101,
    reset: bool = False,
    on_day: Callable[[date], None] | None = None,
) -> DemoResult:
    if days < 0:
        raise ValueError("--days cannot be negative")
    if reset:
        reset_schema(engine)
    else:
        upgrade_schema(engine)
    with transaction(engine) as session:
        if session.scalar(select(func.count()).select_from(Account)):
            raise DemoExistsError("the database already holds accounts; use --reset to start over")
    start = as_of - timedelta(days=days)
    portfolio = generate_portfolio(accounts, start, seed=seed)
    users = _write_organisation_and_portfolio(engine, portfolio, start)
    closes = []
    for offset in range(1, days + 1):
        day = start + timedelta(days=offset)
        _record_receipts(engine, portfolio, day)
        closes.append(close_through(engine, day))
        if on_day is not None:
            on_day(day)
    return DemoResult(accounts, users, start, as_of, tuple(closes))


def _write_organisation_and_portfolio(
    engine: Engine, portfolio: SyntheticPortfolio, start: date
) -> tuple[tuple[str, str], ...]:
    policies = {policy.code: policy for policy in portfolio.policies}
    with transaction(engine) as session:
        product_ids: dict[str, tuple[int, int]] = {}
        for creditor_spec in DEMO_CREDITORS:
            creditor = Creditor(code=creditor_spec.code, name=creditor_spec.name)
            session.add(creditor)
            session.flush()
            for code, name in creditor_spec.products:
                policy = policies[code]
                product = Product(
                    creditor_id=creditor.id,
                    code=code,
                    name=name,
                    policy_code=policy.code,
                    policy_version=policy.version,
                    policy=policy_to_dict(policy),
                )
                session.add(product)
                session.flush()
                product_ids[code] = (creditor.id, product.id)
        agency = Agency(code=DEMO_AGENCY[0], name=DEMO_AGENCY[1])
        session.add(agency)
        session.flush()
        team_ids: list[int] = []
        for code, name, agency_code in DEMO_TEAMS:
            team = Team(code=code, name=name, agency_id=agency.id if agency_code else None)
            session.add(team)
            session.flush()
            team_ids.append(team.id)
        users = _demo_users(team_ids, creditor_id=product_ids["CC"][0])
        session.execute(insert(User), users)

        frame = portfolio.accounts
        debtor_ids = sorted(set(frame.get_column("debtor_id").to_list()))
        session.execute(insert(Debtor), [{"id": d, "debtor_no": f"D{d:09d}"} for d in debtor_ids])
        schemes = bucket_schemes(portfolio.policies)
        rows = []
        for row in frame.iter_rows(named=True):
            creditor_id, product_id = product_ids[row["product_code"]]
            scheme = schemes[policies[row["product_code"]].bucket_scheme.code]
            rows.append(
                {
                    **{k: v for k, v in row.items() if k != "account_id"},
                    "id": row["account_id"],
                    "account_no": f"A{row['account_id']:010d}",
                    "creditor_id": creditor_id,
                    "product_id": product_id,
                    "currency": "CNY",
                    "bucket": scheme.bucket_of(row["dpd"]),
                    "placed_on": start,
                }
            )
        session.execute(insert(Account), rows)
        # 入催: every account's first bucket is history too, so any date's bucket is known.
        session.execute(
            insert(BucketHistory),
            [
                {
                    "account_id": row["id"],
                    "business_date": start,
                    "from_bucket": None,
                    "to_bucket": row["bucket"],
                    "dpd": row["dpd"],
                    "movement": (Movement.ENTER if row["dpd"] > 0 else Movement.NEW_CURRENT).value,
                }
                for row in rows
            ],
        )
        pauses = portfolio.pauses.to_dicts()
        if pauses:
            session.execute(insert(AccountPause), pauses)
    return tuple((str(u["username"]), str(u["role"])) for u in users)


def _demo_users(team_ids: list[int], *, creditor_id: int) -> list[dict[str, object]]:
    users: list[dict[str, object]] = [
        {"username": "admin", "display_name": "系统管理员", "role": Role.ADMIN.value},
        {"username": "manager", "display_name": "催收经理 周明", "role": Role.MANAGER.value},
        {"username": "qa", "display_name": "质检专员 林芳", "role": Role.QA.value},
        {"username": "legal", "display_name": "法务专员 陈律", "role": Role.LEGAL.value},
        {
            "username": "creditor",
            "display_name": "委托方对接人",
            "role": Role.CREDITOR_CLIENT.value,
            "creditor_id": creditor_id,
        },
    ]
    for number, team_id in enumerate(team_ids, start=1):
        users.append(
            {
                "username": f"lead{number}",
                "display_name": f"组长{number}",
                "role": Role.TEAM_LEAD.value,
                "team_id": team_id,
            }
        )
        for seat in range(1, 5):
            users.append(
                {
                    "username": f"agent{number}{seat}",
                    "display_name": f"坐席{number}-{seat}",
                    "role": Role.AGENT.value,
                    "team_id": team_id,
                }
            )
    for user in users:
        user.setdefault("team_id", None)
        user.setdefault("creditor_id", None)
    return users


def _record_receipts(engine: Engine, portfolio: SyntheticPortfolio, day: date) -> None:
    receipts = portfolio.payments_for(day)
    if receipts.height == 0:
        return
    rng = np.random.default_rng([portfolio.seed, day.toordinal(), 3])
    channels = np.array(CHANNELS)[rng.integers(0, len(CHANNELS), receipts.height)]
    rows = receipts.with_columns(
        pl.lit(day).alias("received_on"),
        pl.Series("channel", channels),
        pl.format("SIM-{}-{}", pl.lit(day.isoformat()), pl.col("account_id")).alias("reference"),
    ).to_dicts()
    with transaction(engine) as session:
        session.execute(insert(Payment), rows)
