"""Approval limits per role (审批权限): the one place that says who may approve what.

Data flow::

    Plan.terms (the maker's proposal, JSON) + the balance it applies to
        --figures_of--> PlanFigures (kind, months, waived, balance)   or TermsUnreadable
    PlanFigures + role --check_limit--> LimitCheck (within? which limits broke? escalate to?)

A proposal is within a role's limit when every one of these holds:

* the waiver (减免, fen) is at most ``max_waiver_ppm`` of the balance it applies to, and
* at most ``max_waiver_amount`` fen, and
* the plan runs at most ``max_months`` months.

The limits are a table of data (:data:`APPROVAL_LIMITS`, code ``APPROVAL-LIMITS``, version 1),
ordered from the lowest authority up; a proposal beyond a role's limit escalates to the first
role above it whose limit covers it (a team lead's to the manager), or to nobody in the system
when it is beyond every limit (the credit committee decides outside the workbench).

The terms contract (what :func:`figures_of` reads, written by the agent's proposal form):

* ``months``: the number of monthly instalments (an int); if absent, the length of the
  ``schedule`` (or ``instalments``) list; a waiver alone has no months;
* ``waived``: what is waived, either one int (fen) or an object by balance component
  (``{"fee": 1000, "penalty": 2000, "interest": 0, "principal": 0}``); or ``waived_total``
  (an int). A waiver or a settlement without one of these cannot be approved.

Pure: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from huikuan.core.balances import Component
from huikuan.core.money import PPM, format_minor
from huikuan.org.models import Role

LIMITS_CODE = "APPROVAL-LIMITS"
LIMITS_VERSION = 1


class PlanKind(StrEnum):
    INSTALMENT = "instalment"  # 分期
    SETTLEMENT = "settlement"  # 协商还款 (a discounted payoff, possibly over a few months)
    WAIVER = "waiver"  # 减免


class Breach(StrEnum):
    """Which limit a proposal goes beyond."""

    WAIVER_SHARE = "waiver_share"
    WAIVER_AMOUNT = "waiver_amount"
    MONTHS = "months"


@dataclass(frozen=True, slots=True)
class ApprovalLimit:
    role: Role
    max_waiver_ppm: int  # share of the balance, in ppm (200_000 = 20 %)
    max_waiver_amount: int  # fen
    max_months: int

    def __post_init__(self) -> None:
        if not 0 <= self.max_waiver_ppm <= PPM:
            raise ValueError("a waiver share limit is from 0 to 100 %")
        if self.max_waiver_amount < 0 or self.max_months < 0:
            raise ValueError("limits cannot be negative")

    @property
    def code(self) -> str:
        return f"{LIMITS_CODE}@{LIMITS_VERSION}:{self.role.value}"


APPROVAL_LIMITS: tuple[ApprovalLimit, ...] = (
    # 组长: waivers up to 20 % of the balance and 5,000 yuan; plans up to 24 months.
    ApprovalLimit(Role.TEAM_LEAD, max_waiver_ppm=200_000, max_waiver_amount=500_000, max_months=24),
    # 经理: waivers up to 50 % and 50,000 yuan; hardship plans up to the 60-month maximum.
    ApprovalLimit(Role.MANAGER, max_waiver_ppm=500_000, max_waiver_amount=5_000_000, max_months=60),
)
"""From the lowest authority up; the order is the escalation path."""

LIMITS: Mapping[Role, ApprovalLimit] = MappingProxyType({lim.role: lim for lim in APPROVAL_LIMITS})
APPROVER_ROLES: frozenset[Role] = frozenset(LIMITS)


class TermsUnreadableError(ValueError):
    """The proposal's terms do not say what is waived or for how long; nobody can approve it."""


@dataclass(frozen=True, slots=True)
class PlanFigures:
    """What an approver weighs: the kind, the months, the waiver and the balance it cuts."""

    kind: PlanKind
    months: int
    waived: int  # fen
    balance: int  # fen, the balance the proposal applies to

    @property
    def waived_ppm(self) -> int | None:
        """The waiver as a share of the balance (ppm, rounded up: never understated).

        >>> PlanFigures(PlanKind.WAIVER, 0, 1, 3).waived_ppm
        333334
        >>> PlanFigures(PlanKind.WAIVER, 0, 0, 0).waived_ppm
        0
        """
        if self.waived == 0:
            return 0
        if self.balance <= 0:
            return None  # a waiver on nothing owed: no share can justify it
        return -(-self.waived * PPM // self.balance)


@dataclass(frozen=True, slots=True)
class LimitCheck:
    role: Role
    limit: ApprovalLimit | None
    breaches: tuple[Breach, ...]
    escalate_to: Role | None  # the next role whose limit covers it, when breached

    @property
    def within(self) -> bool:
        return self.limit is not None and not self.breaches

    def message(self) -> str:
        """Bilingual, for the approver: what to do next."""
        if self.within:
            return "在审批权限内 / within your approval limit"
        if self.limit is None:
            return f"角色 {self.role.value} 无审批权限 / role {self.role.value} may not approve"
        broken = ", ".join(breach.value for breach in self.breaches)
        if self.escalate_to is Role.MANAGER:
            return f"超出组长审批权限（{broken}），需经理审批 / needs a manager ({broken})"
        if self.escalate_to is not None:
            return (
                f"超出审批权限（{broken}），需 {self.escalate_to.value} 审批 / needs approval "
                f"by {self.escalate_to.value} ({broken})"
            )
        return (
            f"超出您的审批权限（{broken}），需更高级别审批 / needs approval above your limit "
            f"({broken})"
        )


def _non_negative_int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TermsUnreadableError(f"terms.{where} must be a whole number of fen (0 or more)")
    return value


def _waived(terms: Mapping[str, object]) -> int | None:
    """The total waived, from ``waived`` (int or by component) or ``waived_total``.

    >>> _waived({"waived": {"fee": 100, "penalty": 250}})
    350
    >>> _waived({"waived_total": 7}), _waived({"months": 3}) is None
    (7, True)
    """
    if "waived" in terms:
        value = terms["waived"]
        if isinstance(value, Mapping):
            known = {component.value for component in Component}
            unknown = sorted(str(key) for key in value if key not in known)
            if unknown:
                raise TermsUnreadableError(f"terms.waived: unknown component(s) {unknown}")
            return sum(_non_negative_int(v, f"waived.{k}") for k, v in value.items())
        return _non_negative_int(value, "waived")
    if "waived_total" in terms:
        return _non_negative_int(terms["waived_total"], "waived_total")
    return None


def _months(terms: Mapping[str, object]) -> int | None:
    if "months" in terms:
        return _non_negative_int(terms["months"], "months")
    for key in ("schedule", "instalments"):
        listed = terms.get(key)
        if isinstance(listed, list):
            return len(listed)
    return None


def figures_of(kind: str, terms: Mapping[str, object], balance: int) -> PlanFigures:
    """Read a proposal's figures by the terms contract (module docstring).

    >>> figures_of("instalment", {"months": 12}, 100_000)
    PlanFigures(kind=<PlanKind.INSTALMENT: 'instalment'>, months=12, waived=0, balance=100000)
    >>> figures_of("waiver", {"waived": {"fee": 500}}, 10_000).waived
    500
    >>> figures_of("settlement", {"months": 1}, 10_000)
    Traceback (most recent call last):
    ...
    huikuan.approvals.limits.TermsUnreadableError: terms of a settlement must say what is waived
    """
    try:
        plan_kind = PlanKind(kind)
    except ValueError:
        raise TermsUnreadableError(f"unknown plan kind {kind!r}") from None
    waived = _waived(terms)
    months = _months(terms)
    if waived is None and plan_kind is not PlanKind.INSTALMENT:
        raise TermsUnreadableError(f"terms of a {plan_kind.value} must say what is waived")
    if months is None and plan_kind is PlanKind.INSTALMENT:
        raise TermsUnreadableError("terms of an instalment plan must give months or a schedule")
    return PlanFigures(plan_kind, months or 0, waived or 0, max(balance, 0))


def breaches_of(limit: ApprovalLimit, figures: PlanFigures) -> tuple[Breach, ...]:
    found: list[Breach] = []
    share = figures.waived_ppm
    if share is None or share > limit.max_waiver_ppm:
        found.append(Breach.WAIVER_SHARE)
    if figures.waived > limit.max_waiver_amount:
        found.append(Breach.WAIVER_AMOUNT)
    if figures.months > limit.max_months:
        found.append(Breach.MONTHS)
    return tuple(found)


def required_role(figures: PlanFigures) -> Role | None:
    """The lowest role whose limit covers the proposal; ``None`` when none does.

    >>> required_role(PlanFigures(PlanKind.WAIVER, 0, 100_000, 1_000_000))
    <Role.TEAM_LEAD: 'team_lead'>
    >>> required_role(PlanFigures(PlanKind.WAIVER, 0, 300_000, 1_000_000))
    <Role.MANAGER: 'manager'>
    >>> required_role(PlanFigures(PlanKind.INSTALMENT, 72, 0, 1_000_000)) is None
    True
    """
    for limit in APPROVAL_LIMITS:
        if not breaches_of(limit, figures):
            return limit.role
    return None


def check_limit(role: Role, figures: PlanFigures) -> LimitCheck:
    """Whether ``role`` may approve ``figures``, and where it escalates if not.

    >>> big = PlanFigures(PlanKind.WAIVER, 0, 600_000, 10_000_000)  # 6,000 yuan, 6 %
    >>> check = check_limit(Role.TEAM_LEAD, big)
    >>> check.within, [b.value for b in check.breaches], check.escalate_to
    (False, ['waiver_amount'], <Role.MANAGER: 'manager'>)
    >>> check_limit(Role.MANAGER, big).within
    True
    """
    limit = LIMITS.get(role)
    if limit is None:
        return LimitCheck(role, None, (), None)
    breaches = breaches_of(limit, figures)
    if not breaches:
        return LimitCheck(role, limit, (), None)
    above = APPROVAL_LIMITS[APPROVAL_LIMITS.index(limit) + 1 :]
    escalate_to = next((lim.role for lim in above if not breaches_of(lim, figures)), None)
    return LimitCheck(role, limit, breaches, escalate_to)


def describe(limit: ApprovalLimit) -> str:
    """One line for the screen.

    >>> describe(LIMITS[Role.TEAM_LEAD])
    'team_lead: waiver ≤ 20% and ≤ 5,000.00; plans ≤ 24 months'
    """
    percent = limit.max_waiver_ppm * 100 // PPM
    return (
        f"{limit.role.value}: waiver ≤ {percent}% and ≤ {format_minor(limit.max_waiver_amount)}; "
        f"plans ≤ {limit.max_months} months"
    )
