"""A small hand-made portfolio for the compensation tests: rows written as the domain writes them
(assignments, bucket history, plans, plan_broken transitions, QA reviews, payments)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from itertools import count
from typing import TypeVar

from sqlalchemy.orm import Session

from huikuan.accounts.models import Account, BucketHistory, Debtor
from huikuan.cases.models import Assignment, Case, CaseTransition, Placement, Plan
from huikuan.compensation.models import AgencyFeeScheduleRow, CommissionSchemeRow
from huikuan.compensation.schemes import fee_schedule_to_json, scheme_to_json
from huikuan.compliance.models import ContactAttempt
from huikuan.core.commissions import AgencyFeeScheme, Scheme
from huikuan.core.money import parse_minor
from huikuan.org.models import Agency, Creditor, Product, Team, User
from huikuan.payments.models import Payment
from huikuan.quality.models import QaReview

EPOCH = date(2026, 1, 1)
T = TypeVar("T")


def yuan(text: str) -> int:
    return parse_minor(text)


class World:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._n = count(1)
        self.creditor = self._add(Creditor(code="CR1", name="测试银行"))
        self.product = self._add(
            Product(
                creditor_id=self.creditor.id,
                code="CARD",
                name="信用卡",
                policy_code="CR1.CARD",
                policy_version=1,
                policy={},
            )
        )
        self.agency = self._add(Agency(code="AG1", name="测试委外"))
        self.in_house = self._add(Team(code="T-IN", name="内催一组"))
        self.outsourced = self._add(Team(code="T-AG", name="委外组", agency_id=self.agency.id))
        self.placement = self._add(
            Placement(
                creditor_id=self.creditor.id,
                batch_no="B1",
                placed_on=EPOCH,
                period_days=365,
                ends_on=date(2026, 12, 31),
            )
        )

    def _add(self, row: T) -> T:
        self.session.add(row)
        self.session.flush()
        return row

    def agent(self, username: str, team: Team | None = None) -> User:
        team = team or self.in_house
        return self._add(
            User(
                username=username,
                display_name=username,
                role="agent",
                team_id=team.id,
                agency_id=team.agency_id,
            )
        )

    def commission_scheme(
        self,
        scheme: Scheme,
        *,
        team: Team | None = None,
        creditor: Creditor | None = None,
        effective_from: date = EPOCH,
    ) -> None:
        self._add(
            CommissionSchemeRow(
                code=scheme.code,
                version=scheme.version,
                creditor_id=None if creditor is None else creditor.id,
                team_id=None if team is None else team.id,
                scheme=scheme_to_json(scheme),
                effective_from=effective_from,
                effective_to=None,
            )
        )

    def fee_schedule(self, scheme: AgencyFeeScheme) -> None:
        self._add(
            AgencyFeeScheduleRow(
                code=scheme.code,
                version=scheme.version,
                creditor_id=self.creditor.id,
                agency_id=self.agency.id,
                schedule=fee_schedule_to_json(scheme),
                effective_from=EPOCH,
                effective_to=None,
            )
        )

    def case(
        self, holder: User | None, *, bucket: str = "M2", since: date = EPOCH
    ) -> tuple[Case, Account]:
        n = next(self._n)
        debtor = self._add(Debtor(creditor_id=self.creditor.id, debtor_no=f"D{n}"))
        team_id = None if holder is None else holder.team_id
        agency_id = None if holder is None else holder.agency_id
        case = self._add(
            Case(
                case_no=f"C{n}",
                creditor_id=self.creditor.id,
                placement_id=self.placement.id,
                debtor_id=debtor.id,
                agency_id=agency_id,
                state="active",
                agent_id=None if holder is None else holder.id,
                team_id=team_id,
                opened_on=since,
            )
        )
        account = self._add(
            Account(
                account_no=f"A{n}",
                creditor_id=self.creditor.id,
                product_id=self.product.id,
                product_code="CARD",
                debtor_id=debtor.id,
                placement_id=self.placement.id,
                case_id=case.id,
                status="open",
                principal=yuan("500,000"),
                interest=0,
                penalty=0,
                fee=0,
                credit=0,
                first_due=date(2025, 6, 1),
                instalment=yuan("1,000"),
                cycles=None,
                paid_to_schedule=0,
                accrued_through=since,
                charge_start=since,
                cap_base=0,
                charged_total=0,
                dpd=45,
                bucket=bucket,
                placed_on=since,
            )
        )
        if holder is not None:
            self._add(
                Assignment(
                    case_id=case.id,
                    agent_id=holder.id,
                    team_id=team_id,
                    agency_id=agency_id,
                    reason="allocation",
                    actor="test",
                    assigned_on=since,
                )
            )
        return case, account

    def reassign(self, case: Case, to: User, on: date) -> None:
        """调案 as the assignment service writes it: the old row ends on ``on``."""
        for row in self.session.query(Assignment).filter(
            Assignment.case_id == case.id, Assignment.ended_on.is_(None)
        ):
            row.ended_on = on
        self._add(
            Assignment(
                case_id=case.id,
                agent_id=to.id,
                team_id=to.team_id,
                agency_id=to.agency_id,
                reason="reassign",
                actor="test",
                assigned_on=on,
            )
        )
        case.agent_id, case.team_id, case.agency_id = to.id, to.team_id, to.agency_id

    def bucket_move(self, account: Account, on: date, from_bucket: str | None, to: str) -> None:
        self._add(
            BucketHistory(
                account_id=account.id,
                business_date=on,
                from_bucket=from_bucket,
                to_bucket=to,
                dpd=0,
                movement="test",
            )
        )

    def pay(self, account: Account, on: date, amount: str) -> Payment:
        return self._add(
            Payment(
                account_id=account.id,
                received_on=on,
                amount=yuan(amount),
                channel="bank_transfer",
                reference=f"P{next(self._n)}",
                source="channel",
                posted_on=on,
            )
        )

    def plan(
        self, case: Case, account: Account, created_on: date, status: str = "approved"
    ) -> Plan:
        return self._add(
            Plan(
                case_id=case.id,
                account_id=account.id,
                kind="instalment",
                terms={},
                status=status,
                created_on=created_on,
                proposed_by="agent",
                approved_by="lead",
            )
        )

    def break_plan(self, plan: Plan, case: Case, on: date) -> None:
        """The plan broke on ``on`` (a Shanghai business day): status and the case's move."""
        plan.status = "broken"
        self._add(
            CaseTransition(
                case_id=case.id,
                from_state="in_plan",
                to_state="active",
                reason="plan_broken",
                actor="system",
                at=datetime.combine(on, time(2, 0), tzinfo=UTC),  # 10:00 in Shanghai
                note="",
            )
        )

    def qa_review(self, agent: User, case: Case, on: date, total: int) -> None:
        at = datetime.combine(on, time(3, 0), tzinfo=UTC)
        attempt = self._add(
            ContactAttempt(
                case_id=case.id,
                debtor_id=case.debtor_id,
                at=at,
                channel="voice",
                executed=True,
                decision="allow",
                reasons=[],
                actor=agent.username,
            )
        )
        self._add(
            QaReview(
                attempt_id=attempt.id,
                case_id=case.id,
                agent_id=agent.id,
                contact_at=at,
                reviewer="qa",
                reviewed_at=at,
                scorecard_version="v1",
                scores={},
                total=total,
                comment="",
            )
        )
