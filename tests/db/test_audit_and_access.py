"""Audit chain in the database, and tenancy: every boundary is tried from the wrong side."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, delete, func, select, update

from huikuan.access.policy import (
    AccessDeniedError,
    Principal,
    can_see_case,
    case_filter,
    get_case,
    principal_for,
    reveal,
)
from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.audit.chain import BreakKind
from huikuan.audit.models import AuditLog
from huikuan.audit.service import record, verify
from huikuan.cases.models import Case, Placement
from huikuan.db.engine import transaction
from huikuan.db.migrate import upgrade
from huikuan.org.models import Agency, Creditor, Role, Team, User
from huikuan.security.crypto import FieldCipher

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_audit_log_verifies_and_catches_edits_deletions_and_truncation(engine: Engine) -> None:
    upgrade(engine)
    with transaction(engine) as session:
        for number in range(1, 21):
            record(session, at=AT, actor="qa", action="case.view", entity="case", entity_id=number)
    with transaction(engine) as session:
        assert verify(session) == []
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 20
    with transaction(engine) as session:  # someone edits a row behind the application's back
        session.execute(update(AuditLog).where(AuditLog.seq == 7).values(actor="nobody"))
    with transaction(engine) as session:
        breaks = verify(session)
    assert [(b.seq, b.kind) for b in breaks] == [(7, BreakKind.EDITED)]
    with transaction(engine) as session:
        session.execute(update(AuditLog).where(AuditLog.seq == 7).values(actor="qa"))
        session.execute(delete(AuditLog).where(AuditLog.seq == 12))
    with transaction(engine) as session:
        kinds = {b.kind for b in verify(session)}
    assert BreakKind.GAP in kinds
    with transaction(engine) as session:
        session.execute(delete(AuditLog).where(AuditLog.seq >= 12))
    with transaction(engine) as session:
        assert [b.kind for b in verify(session)] == [BreakKind.TRUNCATED]


def build_world(engine: Engine, cipher: FieldCipher) -> dict[str, int]:
    """Two creditors; agency X serves both; cases in-house and with the agency."""
    upgrade(engine)
    ids: dict[str, int] = {}
    with transaction(engine) as session:
        bank, lender = Creditor(code="BANKA", name="A 银行"), Creditor(code="LENDB", name="B 消金")
        agency = Agency(code="X", name="X 催收")
        session.add_all([bank, lender, agency])
        session.flush()
        in_team = Team(code="IN-1", name="内催一组")
        x_team = Team(code="X-1", name="委外一组", agency_id=agency.id)
        session.add_all([in_team, x_team])
        session.flush()
        users = {
            "a1": User(username="a1", display_name="坐席", role="agent", team_id=in_team.id),
            "lead_in": User(
                username="lead_in", display_name="组长", role="team_lead", team_id=in_team.id
            ),
            "mgr": User(username="mgr", display_name="经理", role="manager"),
            "legal": User(username="legal", display_name="法务", role="legal"),
            "x1": User(
                username="x1",
                display_name="委外坐席",
                role="agent",
                team_id=x_team.id,
                agency_id=agency.id,
            ),
            "x2": User(
                username="x2",
                display_name="委外坐席2",
                role="agent",
                team_id=x_team.id,
                agency_id=agency.id,
            ),
            "xmgr": User(
                username="xmgr", display_name="委外经理", role="manager", agency_id=agency.id
            ),
            "cli_a": User(
                username="cli_a",
                display_name="委托方A",
                role="creditor_client",
                creditor_id=bank.id,
            ),
            "cli_b": User(
                username="cli_b",
                display_name="委托方B",
                role="creditor_client",
                creditor_id=lender.id,
            ),
        }
        session.add_all(users.values())
        session.flush()
        ids |= {name: user.id for name, user in users.items()}
        placements = {}
        for key, creditor, agency_id in (
            ("pa", bank, None),
            ("pax", bank, agency.id),
            ("pbx", lender, agency.id),
            ("pb", lender, None),
        ):
            placement = Placement(
                creditor_id=creditor.id,
                agency_id=agency_id,
                batch_no=key,
                placed_on=date(2026, 11, 1),
                period_days=90,
                ends_on=date(2027, 1, 30),
            )
            session.add(placement)
            session.flush()
            placements[key] = placement
        specs = {
            "c1": ("pa", bank, None, users["a1"], in_team),
            "c2": ("pax", bank, agency.id, users["x1"], x_team),
            "c3": ("pbx", lender, agency.id, users["x2"], x_team),
            "c4": ("pb", lender, None, None, None),
        }
        for name, (placement_key, creditor, agency_id, agent, team) in specs.items():
            debtor = Debtor(
                creditor_id=creditor.id,
                debtor_no=f"D-{name}",
                name_enc=cipher.encrypt("王小明", context="debtor.name"),
                name_masked="王**",
                id_number_enc=cipher.encrypt("11010519491231002X", context="debtor.id_number"),
                id_number_hash=cipher.search_hash("11010519491231002X", kind="id_number"),
                id_number_masked="110105********002X",
                language="zh",
            )
            session.add(debtor)
            session.flush()
            contact = ContactPoint(
                debtor_id=debtor.id,
                kind="mobile",
                owner_type="self",
                value_enc=cipher.encrypt("13812345678", context="contact.value"),
                value_hash=cipher.search_hash("13812345678", kind="phone"),
                value_masked="138****5678",
                data_source="contract",
                created_on=date(2026, 11, 1),
            )
            case = Case(
                case_no=name,
                creditor_id=creditor.id,
                placement_id=placements[placement_key].id,
                debtor_id=debtor.id,
                agency_id=agency_id,
                state="active",
                agent_id=agent.id if agent else None,
                team_id=team.id if team else None,
                opened_on=date(2026, 11, 1),
            )
            session.add_all([contact, case])
            session.flush()
            ids[name] = case.id
            ids[f"{name}_mobile"] = contact.id
    return ids


VISIBLE = {
    "a1": {"c1"},
    "lead_in": {"c1"},
    "mgr": {"c1", "c2", "c3", "c4"},
    "legal": {"c1", "c2", "c3", "c4"},
    "x1": {"c2"},
    "x2": {"c3"},
    "xmgr": {"c2", "c3"},
    "cli_a": {"c1", "c2"},
    "cli_b": {"c3", "c4"},
}


def test_each_user_sees_exactly_their_cases(engine: Engine, cipher: FieldCipher) -> None:
    ids = build_world(engine, cipher)
    names = {ids[c]: c for c in ("c1", "c2", "c3", "c4")}
    with transaction(engine) as session:
        for username, expected in VISIBLE.items():
            principal = principal_for(session, username)
            seen = {
                names[i] for i in session.scalars(select(Case.id).where(case_filter(principal)))
            }
            assert seen == expected, username
            for case in session.scalars(select(Case)):
                assert can_see_case(principal, case) == (names[case.id] in expected), (
                    username,
                    case.id,
                )
            for name in {"c1", "c2", "c3", "c4"} - expected:
                with pytest.raises(AccessDeniedError):
                    get_case(session, principal, ids[name])
        nobody = Principal("ghost", 999, Role.TEAM_LEAD)  # a team lead without a team sees nothing
        assert session.scalars(select(Case.id).where(case_filter(nobody))).all() == []


def test_personal_data_is_revealed_only_by_role_and_scope_and_always_audited(
    engine: Engine, cipher: FieldCipher
) -> None:
    ids = build_world(engine, cipher)

    def decrypt(token: str, context: str) -> str:
        return cipher.decrypt(token, context=context)

    with transaction(engine) as session:
        agent = principal_for(session, "a1")
        phone = reveal(
            session, agent, ids["c1"], "mobile", decrypt=decrypt, at=AT, contact_id=ids["c1_mobile"]
        )
        assert phone == "13812345678"
        with pytest.raises(AccessDeniedError):  # an agent never needs the full ID number
            reveal(session, agent, ids["c1"], "id_number", decrypt=decrypt, at=AT)
        with pytest.raises(AccessDeniedError):  # not their case
            reveal(
                session,
                agent,
                ids["c2"],
                "mobile",
                decrypt=decrypt,
                at=AT,
                contact_id=ids["c2_mobile"],
            )
        with pytest.raises(AccessDeniedError):  # a contact from another debtor
            reveal(
                session,
                agent,
                ids["c1"],
                "mobile",
                decrypt=decrypt,
                at=AT,
                contact_id=ids["c2_mobile"],
            )
        legal = principal_for(session, "legal")
        assert (
            reveal(session, legal, ids["c3"], "id_number", decrypt=decrypt, at=AT)
            == "11010519491231002X"
        )
        client = principal_for(session, "cli_a")
        with pytest.raises(AccessDeniedError):
            reveal(session, client, ids["c1"], "name", decrypt=decrypt, at=AT)
    with transaction(engine) as session:
        entries = session.scalars(select(AuditLog).order_by(AuditLog.seq)).all()
        assert [(e.actor, e.action) for e in entries] == [
            ("a1", "pii.reveal"),
            ("legal", "pii.reveal"),
        ]
        assert all(
            "13812345678" not in e.detail and "11010519491231002X" not in e.detail for e in entries
        )
        assert verify(session) == []
        stored = session.scalars(select(Debtor.id_number_enc)).all()
        assert all(value is not None and "1101051949" not in value for value in stored)
