"""Agent commission statements, agency fees and creditor remittances for a period.

Data flow, per period ``YYYY-MM``:

1. :func:`~huikuan.compensation.attribution.receipts_in` places each payment received in the
   month: agent / team / agency holding the case that day, 账龄 bucket, plan.
2. **Agents** (:func:`agent_statements`): receipts grouped by agent, then by the commission
   scheme in force on the period's last day for (creditor, agent's team) →
   :func:`huikuan.core.commissions.build_statement` with the agent's QA score for the month
   (:func:`huikuan.quality.service.quality_score`) and the plans that broke in the month. The
   commission kept (basis + quality adjustment) is split over the receipts by
   :func:`~huikuan.core.money.split_by_weights` (largest remainder) and written on each payment
   line, so a later clawback reverses exactly what was paid on a plan. A clawback takes back
   what *issued* statements of earlier months paid the agent on the broken plan's receipts:
   a draft never paid, so it never claws back.
3. **Agencies** (:func:`agency_fees`): receipts of cases an agency held, per creditor and per
   fee schedule in force on the payment day → :func:`huikuan.core.commissions.agency_fee` by
   bucket; each bucket line's fee is split over its receipts the same way.
4. **Creditors** (:func:`remittance_statements`): everything recovered on the creditor's
   accounts, less the agencies' fees on it = net to remit.

A QA score is needed for schemes with quality bands; an agent without one in the month is
paid at 1x and the statement says so (``qa_score`` null): withholding pay for a review that
was never done would punish the agent for the QA team's sampling.

:func:`statement_documents` turns each kind into flat, storable documents (totals + lines);
:func:`store_statements` saves them as drafts or issues them, once per subject and period,
audited. Money is integer fen throughout; every rounding is the scheme's named
:class:`~huikuan.core.money.Rounding` or the largest-remainder split.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.audit.service import record
from huikuan.compensation.attribution import PlanBreak, Receipt, breaks_in, receipts_in
from huikuan.compensation.models import CompensationStatement
from huikuan.compensation.schemes import SchemeBook, install_default_schemes
from huikuan.core.commissions import (
    AgencyFeeStatement,
    AttributedReceipt,
    BrokenPlan,
    CommissionStatement,
    LineCode,
    Scheme,
    StatementPeriod,
    agency_fee,
)
from huikuan.core.commissions import build_statement as build_core_statement
from huikuan.core.money import PPM, split_by_weights
from huikuan.org.models import Agency, Creditor, User
from huikuan.quality.service import quality_score

__all__ = [
    "AgencyFees",
    "AgentStatement",
    "CreditorAgencyFee",
    "RemittanceStatement",
    "StatementDocument",
    "StoreReport",
    "SubjectKind",
    "agency_fees",
    "agent_statements",
    "install_default_schemes",
    "parse_period",
    "remittance_statements",
    "statement_documents",
    "store_statements",
]

_PERIOD = re.compile(r"(\d{4})-(\d{2})")
EARNED_CODES = (LineCode.COMMISSION, LineCode.QUALITY_ADJUSTMENT)


class SubjectKind(StrEnum):
    AGENT = "agent"
    AGENCY = "agency"
    CREDITOR = "creditor"


class StatementStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"


def parse_period(text: str) -> StatementPeriod:
    """``"2026-11"`` → 2026-11-01..2026-11-30; ``ValueError`` with the expected form otherwise."""
    match = _PERIOD.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"a period is a month written YYYY-MM, got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    return StatementPeriod(
        date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    )


def _period_key(period: StatementPeriod) -> str:
    return f"{period.first:%Y-%m}"


def _multiplier_text(ppm: int | None) -> str | None:
    return None if ppm is None else str((Decimal(ppm) / Decimal(PPM)).normalize())


# --- agents -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """A receipt credited to the agent and the commission it earned (its share of the
    section's commission and quality adjustment); ``excluded`` when its plan broke this month."""

    receipt: Receipt
    scheme: str
    commission_share: int
    excluded: bool

    def to_json(self) -> dict[str, object]:
        r = self.receipt
        return {
            "kind": "payment",
            "payment_id": r.payment_id,
            "reference": r.reference,
            "received_on": r.received_on.isoformat(),
            "account_no": r.account_no,
            "case_id": r.case_id,
            "creditor_id": r.creditor_id,
            "plan_id": r.plan_id,
            "bucket": r.bucket,
            "amount": r.amount,
            "scheme": self.scheme,
            "commission_share": self.commission_share,
            "excluded": self.excluded,
        }


@dataclass(frozen=True, slots=True)
class AgentStatement:
    """An agent's statement for a month: one core statement per scheme that applied."""

    agent_id: int
    username: str
    display_name: str
    period: str
    currency: str
    sections: tuple[CommissionStatement, ...]
    payments: tuple[PaymentLine, ...]

    @property
    def collected(self) -> int:
        return sum(s.recovered for s in self.sections)

    @property
    def base(self) -> int:
        return sum(s.commission_base for s in self.sections)

    def _sum(self, *codes: LineCode) -> int:
        return sum(line.amount for s in self.sections for line in s.lines if line.code in codes)

    @property
    def commission(self) -> int:
        return self._sum(LineCode.COMMISSION)

    @property
    def quality_adjustment(self) -> int:
        return self._sum(LineCode.QUALITY_ADJUSTMENT)

    @property
    def clawback(self) -> int:
        """Commission taken back, as a positive amount."""
        return -self._sum(LineCode.CLAWBACK)

    @property
    def net(self) -> int:
        return sum(s.total for s in self.sections)

    @property
    def qa_score(self) -> int | None:
        return self.sections[0].qa_score if self.sections else None

    @property
    def quality_multiplier_ppm(self) -> int | None:
        found = {s.quality_multiplier_ppm for s in self.sections}
        return found.pop() if len(found) == 1 else None

    def lines(self) -> list[dict[str, object]]:
        """Statement lines (commission, quality, clawback) then every payment credited."""
        out: list[dict[str, object]] = []
        for section in self.sections:
            scheme = f"{section.scheme_code}@v{section.scheme_version}"
            for line in section.lines:
                out.append(
                    {
                        "kind": line.code.value,
                        "scheme": scheme,
                        "description": line.description,
                        "amount": line.amount,
                        "reference": line.reference,
                    }
                )
        out.extend(payment.to_json() for payment in self.payments)
        return out

    def totals(self) -> dict[str, object]:
        return {
            "collected": self.collected,
            "base": self.base,
            "commission": self.commission,
            "quality_adjustment": self.quality_adjustment,
            "qa_score": self.qa_score,
            "quality_multiplier": _multiplier_text(self.quality_multiplier_ppm),
            "clawback": self.clawback,
            "net": self.net,
        }

    def to_json(self) -> dict[str, object]:
        """The ``huikuan commission statement --json`` object for this agent."""
        return {
            "agent": self.username,
            "agent_id": self.agent_id,
            "agent_name": self.display_name,
            "period": self.period,
            "currency": self.currency,
            "schemes": [f"{s.scheme_code}@v{s.scheme_version}" for s in self.sections],
            **self.totals(),
            "lines": self.lines(),
        }


@dataclass
class _Section:
    scheme: Scheme
    receipts: list[Receipt] = field(default_factory=list)
    broken: dict[int, BrokenPlan] = field(default_factory=dict)


def _section(
    sections: dict[tuple[str, int], _Section],
    book: SchemeBook,
    creditor_id: int,
    team_id: int | None,
    day: date,
) -> _Section:
    scheme = book.scheme_for(creditor_id, team_id, day)
    return sections.setdefault((scheme.code, scheme.version), _Section(scheme))


def commission_paid_on_plans(
    session: Session, before: str, plan_ids: Sequence[int]
) -> dict[tuple[int, int], int]:
    """(agent id, plan id) → commission paid on the plan's receipts by *issued* agent
    statements of periods before ``before``."""
    wanted = set(plan_ids)
    paid: dict[tuple[int, int], int] = defaultdict(int)
    if not wanted:
        return paid
    rows = session.execute(
        select(CompensationStatement.subject_id, CompensationStatement.lines).where(
            CompensationStatement.subject_kind == SubjectKind.AGENT.value,
            CompensationStatement.status == StatementStatus.ISSUED.value,
            CompensationStatement.period < before,
        )
    )
    for agent_id, lines in rows:
        for line in lines:
            plan_id = line.get("plan_id")
            if line.get("kind") == "payment" and plan_id in wanted and not line.get("excluded"):
                share = line.get("commission_share", 0)
                if isinstance(plan_id, int) and isinstance(share, int):
                    paid[(agent_id, plan_id)] += share
    return paid


def agent_statements(session: Session, period: str) -> list[AgentStatement]:
    """Every agent with money credited or commission to claw back in ``period``, by agent id."""
    statement_period = parse_period(period)
    key = _period_key(statement_period)
    book = SchemeBook.load(session)
    receipts = [r for r in receipts_in(session, statement_period) if r.agent_id is not None]
    breaks = {b.plan_id: b for b in breaks_in(session, statement_period)}
    paid = commission_paid_on_plans(session, key, list(breaks))
    by_agent: dict[int, list[Receipt]] = defaultdict(list)
    for receipt in receipts:
        assert receipt.agent_id is not None  # filtered above
        by_agent[receipt.agent_id].append(receipt)
    clawed: dict[int, list[tuple[PlanBreak, int]]] = defaultdict(list)
    for (agent_id, plan_id), amount in sorted(paid.items()):
        clawed[agent_id].append((breaks[plan_id], amount))
    agent_ids = sorted(set(by_agent) | set(clawed))
    users = {user.id: user for user in session.scalars(select(User).where(User.id.in_(agent_ids)))}
    statements = []
    for agent_id in agent_ids:
        user = users[agent_id]
        sections: dict[tuple[str, int], _Section] = {}
        team_id, last_day = user.team_id, statement_period.last

        for receipt in by_agent.get(agent_id, []):
            section = _section(sections, book, receipt.creditor_id, team_id, last_day)
            section.receipts.append(receipt)
            if receipt.plan_id in breaks:
                plan = breaks[receipt.plan_id]
                section.broken.setdefault(
                    plan.plan_id, BrokenPlan(str(plan.plan_id), plan.broke_on, 0)
                )
        for plan, amount in clawed.get(agent_id, []):
            section = _section(sections, book, plan.creditor_id, team_id, last_day)
            section.broken[plan.plan_id] = BrokenPlan(str(plan.plan_id), plan.broke_on, amount)
        qa = quality_score(session, agent_id, statement_period.first, statement_period.last)
        built: list[CommissionStatement] = []
        payments: list[PaymentLine] = []
        for (code, version), section in sorted(sections.items()):
            # No QA score in the month: paid at 1x (see the module docstring).
            scheme = section.scheme if qa is not None else replace(section.scheme, quality_bands=())
            core = build_core_statement(
                user.username,
                statement_period,
                [
                    AttributedReceipt(
                        r.received_on,
                        r.amount,
                        None if r.plan_id is None else str(r.plan_id),
                        r.reference,
                    )
                    for r in section.receipts
                ],
                scheme,
                qa_score=qa,
                broken_plans=list(section.broken.values()),
            )
            built.append(core)
            earned = sum(line.amount for line in core.lines if line.code in EARNED_CODES)
            excluded = [
                r.plan_id is not None and r.plan_id in section.broken for r in section.receipts
            ]
            weights = [
                0 if out else r.amount for r, out in zip(section.receipts, excluded, strict=True)
            ]
            shares = (
                split_by_weights(earned, weights) if any(weights) else [0] * len(section.receipts)
            )
            payments.extend(
                PaymentLine(r, f"{code}@v{version}", share, out)
                for r, share, out in zip(section.receipts, shares, excluded, strict=True)
            )
        currency = next(iter(sections.values())).scheme.currency if sections else "CNY"
        statements.append(
            AgentStatement(
                agent_id=agent_id,
                username=user.username,
                display_name=user.display_name,
                period=key,
                currency=currency,
                sections=tuple(built),
                payments=tuple(payments),
            )
        )
    return statements


# --- agencies ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeeReceipt:
    receipt: Receipt
    scheme: str
    fee_share: int


@dataclass(frozen=True, slots=True)
class CreditorAgencyFee:
    """What one agency recovered for one creditor in the month, and its fee, by bucket."""

    creditor_id: int
    creditor_code: str
    sections: tuple[AgencyFeeStatement, ...]
    receipts: tuple[FeeReceipt, ...]

    @property
    def recovered(self) -> int:
        return sum(s.total_recovered for s in self.sections)

    @property
    def fee(self) -> int:
        return sum(s.total_fee for s in self.sections)


@dataclass(frozen=True, slots=True)
class AgencyFees:
    agency_id: int
    agency_code: str
    agency_name: str
    period: str
    by_creditor: tuple[CreditorAgencyFee, ...]

    @property
    def recovered(self) -> int:
        return sum(c.recovered for c in self.by_creditor)

    @property
    def fee(self) -> int:
        return sum(c.fee for c in self.by_creditor)

    def lines(self) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for creditor in self.by_creditor:
            for section in creditor.sections:
                for line in section.lines:
                    out.append(
                        {
                            "kind": "fee",
                            "creditor": creditor.creditor_code,
                            "scheme": f"{section.scheme_code}@v{section.scheme_version}",
                            "rounding": section.rounding.value,
                            "bucket": line.bucket,
                            "band": line.band,
                            "recovered": line.recovered,
                            "rate_ppm": line.rate_ppm,
                            "fee": line.fee,
                        }
                    )
        for creditor in self.by_creditor:
            for item in creditor.receipts:
                r = item.receipt
                out.append(
                    {
                        "kind": "payment",
                        "creditor": creditor.creditor_code,
                        "payment_id": r.payment_id,
                        "reference": r.reference,
                        "received_on": r.received_on.isoformat(),
                        "account_no": r.account_no,
                        "bucket": r.bucket,
                        "amount": r.amount,
                        "scheme": item.scheme,
                        "fee_share": item.fee_share,
                    }
                )
        return out

    def totals(self) -> dict[str, object]:
        return {
            "recovered": self.recovered,
            "fee": self.fee,
            "by_creditor": {
                c.creditor_code: {"recovered": c.recovered, "fee": c.fee} for c in self.by_creditor
            },
        }

    def to_json(self) -> dict[str, object]:
        return {
            "agency": self.agency_code,
            "agency_id": self.agency_id,
            "agency_name": self.agency_name,
            "period": self.period,
            **self.totals(),
            "lines": self.lines(),
        }


def _fees_of(
    book: SchemeBook, creditor_id: int, agency_id: int, receipts: Sequence[Receipt]
) -> tuple[tuple[AgencyFeeStatement, ...], tuple[FeeReceipt, ...]]:
    by_schedule: dict[tuple[str, int], list[Receipt]] = defaultdict(list)
    schedules = {}
    for receipt in receipts:
        schedule = book.fee_schedule_for(creditor_id, agency_id, receipt.received_on)
        by_schedule[(schedule.code, schedule.version)].append(receipt)
        schedules[(schedule.code, schedule.version)] = schedule
    sections = []
    fee_receipts: list[FeeReceipt] = []
    for key in sorted(by_schedule):
        rows = by_schedule[key]
        by_bucket: dict[str, int] = defaultdict(int)
        for r in rows:
            by_bucket[r.bucket] += r.amount
        statement = agency_fee(by_bucket, schedules[key])
        sections.append(statement)
        for line in statement.lines:
            in_bucket = [r for r in rows if r.bucket == line.bucket]
            shares = split_by_weights(line.fee, [r.amount for r in in_bucket])
            fee_receipts.extend(
                FeeReceipt(r, f"{key[0]}@v{key[1]}", share)
                for r, share in zip(in_bucket, shares, strict=True)
            )
    return tuple(sections), tuple(fee_receipts)


def _agency_fees(
    session: Session, period: StatementPeriod, receipts: Sequence[Receipt]
) -> list[AgencyFees]:
    book = SchemeBook.load(session)
    grouped: dict[int, dict[int, list[Receipt]]] = defaultdict(lambda: defaultdict(list))
    for receipt in receipts:
        if receipt.agency_id is not None:
            grouped[receipt.agency_id][receipt.creditor_id].append(receipt)
    agencies = {
        a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(list(grouped))))
    }
    creditors = {c.id: c.code for c in session.scalars(select(Creditor))}
    result = []
    for agency_id in sorted(grouped):
        per_creditor = []
        for creditor_id in sorted(grouped[agency_id]):
            sections, fee_receipts = _fees_of(
                book, creditor_id, agency_id, grouped[agency_id][creditor_id]
            )
            per_creditor.append(
                CreditorAgencyFee(creditor_id, creditors[creditor_id], sections, fee_receipts)
            )
        agency = agencies[agency_id]
        result.append(
            AgencyFees(
                agency_id, agency.code, agency.name, _period_key(period), tuple(per_creditor)
            )
        )
    return result


def agency_fees(session: Session, period: str) -> list[AgencyFees]:
    """委外佣金 per agency for ``period``: recovered per creditor by 账龄 band × the rate."""
    statement_period = parse_period(period)
    return _agency_fees(session, statement_period, receipts_in(session, statement_period))


# --- creditors --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RemittanceStatement:
    """What a creditor is owed for the month: recovered, less agencies' fees, = net."""

    creditor_id: int
    creditor_code: str
    creditor_name: str
    period: str
    recovered: int
    in_house_recovered: int
    by_agency: tuple[tuple[str, int, int], ...]  # (agency code, recovered, fee)
    payments: int  # how many receipts

    @property
    def agency_recovered(self) -> int:
        return sum(recovered for _, recovered, _ in self.by_agency)

    @property
    def agency_fees(self) -> int:
        return sum(fee for _, _, fee in self.by_agency)

    @property
    def net(self) -> int:
        return self.recovered - self.agency_fees

    def lines(self) -> list[dict[str, object]]:
        out: list[dict[str, object]] = [
            {"kind": "in_house", "agency": None, "recovered": self.in_house_recovered, "fee": 0}
        ]
        out.extend(
            {"kind": "agency", "agency": code, "recovered": recovered, "fee": fee}
            for code, recovered, fee in self.by_agency
        )
        return out

    def totals(self) -> dict[str, object]:
        return {
            "recovered": self.recovered,
            "in_house_recovered": self.in_house_recovered,
            "agency_recovered": self.agency_recovered,
            "agency_fees": self.agency_fees,
            "net": self.net,
            "payments": self.payments,
        }

    def to_json(self) -> dict[str, object]:
        return {
            "creditor": self.creditor_code,
            "creditor_id": self.creditor_id,
            "creditor_name": self.creditor_name,
            "period": self.period,
            **self.totals(),
            "lines": self.lines(),
        }


def remittance_statements(session: Session, period: str) -> list[RemittanceStatement]:
    """Per creditor with money recovered in ``period``: recovered, agency fees, net to remit."""
    statement_period = parse_period(period)
    receipts = receipts_in(session, statement_period)
    fees = _agency_fees(session, statement_period, receipts)
    per_creditor: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for agency in fees:
        for part in agency.by_creditor:
            per_creditor[part.creditor_id].append((agency.agency_code, part.recovered, part.fee))
    recovered: dict[int, int] = defaultdict(int)
    in_house: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    for receipt in receipts:
        recovered[receipt.creditor_id] += receipt.amount
        counts[receipt.creditor_id] += 1
        if receipt.agency_id is None:
            in_house[receipt.creditor_id] += receipt.amount
    creditors = {
        c.id: c for c in session.scalars(select(Creditor).where(Creditor.id.in_(list(recovered))))
    }
    return [
        RemittanceStatement(
            creditor_id=creditor_id,
            creditor_code=creditors[creditor_id].code,
            creditor_name=creditors[creditor_id].name,
            period=_period_key(statement_period),
            recovered=recovered[creditor_id],
            in_house_recovered=in_house[creditor_id],
            by_agency=tuple(sorted(per_creditor.get(creditor_id, []))),
            payments=counts[creditor_id],
        )
        for creditor_id in sorted(recovered)
    ]


# --- documents, drafts and issuing ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementDocument:
    """Any statement, flat: what is stored, exported and shown."""

    kind: SubjectKind
    period: str
    subject_id: int
    subject_code: str
    subject_name: str
    currency: str
    recovered: int
    amount: int  # the bottom line: net commission, agency fee, or net to remit
    totals: dict[str, object]
    lines: list[dict[str, object]]


def statement_documents(
    session: Session, period: str, kind: SubjectKind
) -> list[StatementDocument]:
    """The period's statements of one kind as documents, in subject-id order."""
    if kind is SubjectKind.AGENT:
        return [
            StatementDocument(
                kind, s.period, s.agent_id, s.username, s.display_name, s.currency,
                s.collected, s.net, s.totals(), s.lines(),
            )
            for s in agent_statements(session, period)
        ]  # fmt: skip
    if kind is SubjectKind.AGENCY:
        return [
            StatementDocument(
                kind, a.period, a.agency_id, a.agency_code, a.agency_name, "CNY",
                a.recovered, a.fee, a.totals(), a.lines(),
            )
            for a in agency_fees(session, period)
        ]  # fmt: skip
    return [
        StatementDocument(
            kind, c.period, c.creditor_id, c.creditor_code, c.creditor_name, "CNY",
            c.recovered, c.net, c.totals(), c.lines(),
        )
        for c in remittance_statements(session, period)
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoreReport:
    """Subject ids written as drafts, newly issued, and already issued (left as they were)."""

    drafted: tuple[int, ...]
    issued: tuple[int, ...]
    already_issued: tuple[int, ...]


def store_statements(
    session: Session, period: str, kind: SubjectKind, *, actor: str, at: datetime, issue: bool
) -> StoreReport:
    """Save the period's statements of ``kind`` as drafts (refreshed each call) or issue them.

    An issued statement is never rewritten: issuing again reports it under ``already_issued``
    and writes nothing, so a re-run cannot pay twice. Each issue is audited with its totals
    (no personal data: subject codes and amounts only).
    """
    existing = {
        row.subject_id: row
        for row in session.scalars(
            select(CompensationStatement).where(
                CompensationStatement.subject_kind == kind.value,
                CompensationStatement.period == parse_period(period).first.strftime("%Y-%m"),
            )
        )
    }
    drafted, issued, already = [], [], []
    for doc in statement_documents(session, period, kind):
        row = existing.get(doc.subject_id)
        if row is not None and row.status == StatementStatus.ISSUED.value:
            already.append(doc.subject_id)
            continue
        if row is None:
            row = CompensationStatement(
                period=doc.period,
                subject_kind=kind.value,
                subject_id=doc.subject_id,
                created_at=at,
            )
            session.add(row)
        row.subject_code = doc.subject_code
        row.currency = doc.currency
        row.recovered = doc.recovered
        row.amount = doc.amount
        row.totals = doc.totals
        row.lines = doc.lines
        row.status = StatementStatus.ISSUED.value if issue else StatementStatus.DRAFT.value
        row.issued_by = actor if issue else None
        row.issued_at = at if issue else None
        session.flush()
        if not issue:
            drafted.append(doc.subject_id)
            continue
        issued.append(doc.subject_id)
        record(
            session,
            at=at,
            actor=actor,
            action="compensation.statement_issued",
            entity=f"{kind.value}_statement",
            entity_id=row.id,
            detail={
                "period": doc.period,
                "subject": doc.subject_code,
                "recovered": doc.recovered,
                "amount": doc.amount,
                "lines": len(doc.lines),
            },
        )
    return StoreReport(tuple(drafted), tuple(issued), tuple(already))
