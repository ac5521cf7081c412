"""Commission schemes and agency-fee schedules as stored data, and which one applies.

Data flow: a core :class:`~huikuan.core.commissions.Scheme` / ``AgencyFeeScheme`` ⇄ JSON in
``commission_schemes`` / ``agency_fee_schedules`` (with creditor, team or agency and the dates
in force) → :func:`scheme_for` / :func:`fee_schedule_for` pick the most specific row in force.
:func:`install_default_schemes` gives the demo organisation the seed schemes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.compensation.models import AgencyFeeScheduleRow, CommissionSchemeRow
from huikuan.core.commissions import (
    SEED_QUALITY_BANDS,
    SEED_TIERS,
    AgencyFeeBand,
    AgencyFeeScheme,
    Basis,
    FixedRate,
    Milestone,
    QualityBand,
    Scheme,
    Tier,
    TieredRate,
    TierReading,
)
from huikuan.core.money import Rounding
from huikuan.org.models import Agency, Creditor, Team


class NoSchemeError(LookupError):
    """No commission scheme or agency-fee schedule is in force for a subject and date."""


# --- JSON codec -------------------------------------------------------------------------------


def scheme_to_json(scheme: Scheme) -> dict[str, object]:
    """The scheme as JSON (code and version live in their own columns)."""
    basis = scheme.basis
    body: dict[str, object]
    if isinstance(basis, FixedRate):
        body = {"kind": "fixed", "rate_ppm": basis.rate_ppm}
    elif isinstance(basis, TieredRate):
        body = {
            "kind": "tiered",
            "reading": basis.reading.value,
            "tiers": [{"up_to": t.up_to, "rate_ppm": t.rate_ppm} for t in basis.tiers],
        }
    else:
        body = {
            "kind": "milestone",
            "step": basis.step,
            "first_award": basis.first_award,
            "increment": basis.increment,
        }
    body["quality_bands"] = [
        {"min_score": b.min_score, "multiplier_ppm": b.multiplier_ppm} for b in scheme.quality_bands
    ]
    body["rounding"] = scheme.rounding.value
    body["quality_rounding"] = scheme.quality_rounding.value
    body["currency"] = scheme.currency
    return body


def _int(data: Mapping[str, object], key: str) -> int:
    value = data[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{key} must be a whole number, got {value!r}")
    return value


def _rows(data: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list")
    return [cast(Mapping[str, object], item) for item in value]


def scheme_from_json(code: str, version: int, data: Mapping[str, object]) -> Scheme:
    """The core scheme stored as ``data``; ``ValueError`` names what is wrong."""
    kind = data.get("kind")
    basis: Basis
    if kind == "fixed":
        basis = FixedRate(rate_ppm=_int(data, "rate_ppm"))
    elif kind == "tiered":
        tiers = tuple(
            Tier(
                up_to=None if t.get("up_to") is None else _int(t, "up_to"),
                rate_ppm=_int(t, "rate_ppm"),
            )
            for t in _rows(data, "tiers")
        )
        basis = TieredRate(tiers=tiers, reading=TierReading(str(data["reading"])))
    elif kind == "milestone":
        basis = Milestone(
            step=_int(data, "step"),
            first_award=_int(data, "first_award"),
            increment=_int(data, "increment"),
        )
    else:
        raise ValueError(f"unknown commission scheme kind {kind!r}")
    bands = tuple(
        QualityBand(min_score=_int(b, "min_score"), multiplier_ppm=_int(b, "multiplier_ppm"))
        for b in _rows(data, "quality_bands")
    )
    return Scheme(
        code=code,
        version=version,
        basis=basis,
        quality_bands=bands,
        rounding=Rounding(str(data.get("rounding", Rounding.HALF_UP.value))),
        quality_rounding=Rounding(str(data.get("quality_rounding", Rounding.HALF_UP.value))),
        currency=str(data.get("currency", "CNY")),
    )


def fee_schedule_to_json(scheme: AgencyFeeScheme) -> dict[str, object]:
    return {
        "bands": [
            {"first_month": b.first_month, "last_month": b.last_month, "rate_ppm": b.rate_ppm}
            for b in scheme.bands
        ],
        "rounding": scheme.rounding.value,
        "currency": scheme.currency,
    }


def fee_schedule_from_json(code: str, version: int, data: Mapping[str, object]) -> AgencyFeeScheme:
    bands = tuple(
        AgencyFeeBand(
            first_month=_int(b, "first_month"),
            last_month=None if b.get("last_month") is None else _int(b, "last_month"),
            rate_ppm=_int(b, "rate_ppm"),
        )
        for b in _rows(data, "bands")
    )
    return AgencyFeeScheme(
        code=code,
        version=version,
        bands=bands,
        rounding=Rounding(str(data.get("rounding", Rounding.HALF_UP.value))),
        currency=str(data.get("currency", "CNY")),
    )


# --- which one applies ------------------------------------------------------------------------


def _in_force(effective_from: date, effective_to: date | None, day: date) -> bool:
    return effective_from <= day and (effective_to is None or day <= effective_to)


@dataclass(frozen=True, slots=True)
class SchemeBook:
    """Every stored scheme and schedule, loaded once per run and looked up in memory."""

    schemes: tuple[CommissionSchemeRow, ...]
    schedules: tuple[AgencyFeeScheduleRow, ...]

    @classmethod
    def load(cls, session: Session) -> SchemeBook:
        return cls(
            tuple(session.scalars(select(CommissionSchemeRow).order_by(CommissionSchemeRow.id))),
            tuple(session.scalars(select(AgencyFeeScheduleRow).order_by(AgencyFeeScheduleRow.id))),
        )

    def scheme_for(self, creditor_id: int | None, team_id: int | None, day: date) -> Scheme:
        """The most specific commission scheme in force on ``day``: creditor + team, team,
        creditor, default; the highest version among equals."""
        return scheme_for(self.schemes, creditor_id, team_id, day)

    def fee_schedule_for(self, creditor_id: int, agency_id: int, day: date) -> AgencyFeeScheme:
        return fee_schedule_for(self.schedules, creditor_id, agency_id, day)


def scheme_for(
    rows: Sequence[CommissionSchemeRow], creditor_id: int | None, team_id: int | None, day: date
) -> Scheme:
    wanted = ((creditor_id, team_id), (None, team_id), (creditor_id, None), (None, None))
    for key in dict.fromkeys(wanted):
        found = [
            row
            for row in rows
            if (row.creditor_id, row.team_id) == key
            and _in_force(row.effective_from, row.effective_to, day)
        ]
        if found:
            best = max(found, key=lambda row: row.version)
            return scheme_from_json(best.code, best.version, best.scheme)
    raise NoSchemeError(
        f"no commission scheme in force on {day} for creditor {creditor_id}, team {team_id}: "
        "add one (or run `huikuan commission install-defaults`)"
    )


def fee_schedule_for(
    rows: Sequence[AgencyFeeScheduleRow], creditor_id: int, agency_id: int, day: date
) -> AgencyFeeScheme:
    wanted = ((creditor_id, agency_id), (None, agency_id), (creditor_id, None), (None, None))
    for key in wanted:
        found = [
            row
            for row in rows
            if (row.creditor_id, row.agency_id) == key
            and _in_force(row.effective_from, row.effective_to, day)
        ]
        if found:
            best = max(found, key=lambda row: row.version)
            return fee_schedule_from_json(best.code, best.version, best.schedule)
    raise NoSchemeError(
        f"no agency-fee schedule in force on {day} for creditor {creditor_id}, agency "
        f"{agency_id}: add one (or run `huikuan commission install-defaults`)"
    )


# --- defaults ---------------------------------------------------------------------------------

DEFAULTS_FROM = date(2000, 1, 1)

DEFAULT_AGENT_SCHEME = Scheme(
    code="default-tiered-slices-qa",
    version=1,
    basis=TieredRate(tiers=SEED_TIERS, reading=TierReading.SLICES),
    quality_bands=SEED_QUALITY_BANDS,
)
"""The seed's 4/5/6% tiers read by slice (no cliff at a tier bound), with the seed QA bands:
staff are not paid on amount alone."""

DEFAULT_AGENCY_SCHEDULE = AgencyFeeScheme(
    code="default-agency-fee-by-bucket",
    version=1,
    bands=(
        # M0 (a payment on an account that just cured) is paid like M1 rather than refused.
        AgencyFeeBand(first_month=0, last_month=1, rate_ppm=80_000),
        AgencyFeeBand(first_month=2, last_month=2, rate_ppm=120_000),
        AgencyFeeBand(first_month=3, last_month=3, rate_ppm=150_000),
        AgencyFeeBand(first_month=4, last_month=6, rate_ppm=200_000),
        AgencyFeeBand(first_month=7, last_month=None, rate_ppm=300_000),
    ),
)
"""DOMAIN.md's "a % of recovered amount by 账龄 band", with the core's seed rates."""


def install_default_schemes(session: Session, *, effective_from: date = DEFAULTS_FROM) -> int:
    """Give every creditor, in-house team and agency a scheme; returns the rows added.

    One default agent scheme (tiered by slice with quality bands), a whole-amount variant for
    the first in-house team (so both readings are live in the demo), and the seed agency-fee
    schedule per creditor for each agency. Rows whose code and version exist are left alone,
    so calling it twice adds nothing.
    """
    existing = {(row.code, row.version) for row in session.scalars(select(CommissionSchemeRow))}
    existing |= {(row.code, row.version) for row in session.scalars(select(AgencyFeeScheduleRow))}
    added = 0

    def add_scheme(code: str, scheme: Scheme, team_id: int | None = None) -> None:
        nonlocal added
        if (code, scheme.version) in existing:
            return
        session.add(
            CommissionSchemeRow(
                code=code,
                version=scheme.version,
                creditor_id=None,
                team_id=team_id,
                scheme=scheme_to_json(scheme),
                effective_from=effective_from,
                effective_to=None,
            )
        )
        added += 1

    add_scheme(DEFAULT_AGENT_SCHEME.code, DEFAULT_AGENT_SCHEME)
    first_in_house = session.scalars(
        select(Team).where(Team.agency_id.is_(None)).order_by(Team.code).limit(1)
    ).first()
    if first_in_house is not None:
        whole = Scheme(
            code=f"tiered-whole-{first_in_house.code}"[:40],
            version=1,
            basis=TieredRate(tiers=SEED_TIERS, reading=TierReading.WHOLE_AMOUNT),
            quality_bands=SEED_QUALITY_BANDS,
        )
        add_scheme(whole.code, whole, first_in_house.id)

    agencies = list(session.scalars(select(Agency).order_by(Agency.code)))
    for creditor in session.scalars(select(Creditor).order_by(Creditor.code)):
        for agency in agencies:
            code = f"fee-{creditor.code}-{agency.code}"[:40]
            if (code, 1) in existing:
                continue
            session.add(
                AgencyFeeScheduleRow(
                    code=code,
                    version=1,
                    creditor_id=creditor.id,
                    agency_id=agency.id,
                    schedule=fee_schedule_to_json(DEFAULT_AGENCY_SCHEDULE),
                    effective_from=effective_from,
                    effective_to=None,
                )
            )
            added += 1
    if (DEFAULT_AGENCY_SCHEDULE.code, 1) not in existing:
        session.add(
            AgencyFeeScheduleRow(
                code=DEFAULT_AGENCY_SCHEDULE.code,
                version=1,
                creditor_id=None,
                agency_id=None,
                schedule=fee_schedule_to_json(DEFAULT_AGENCY_SCHEDULE),
                effective_from=effective_from,
                effective_to=None,
            )
        )
        added += 1
    session.flush()
    return added
