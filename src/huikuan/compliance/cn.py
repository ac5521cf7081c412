"""China (CN) rule packs: CBA 2026 guideline, GB/T 45251-2025, bank/regulator base rules, PIPL.

Four separately versioned packs (``shared/COMPLIANCE-RULES.md`` §1, sources C1–C10). Every number
that comes only from secondary reports (tag S) is a field of the pack's frozen parameter
dataclass, so an institution can tighten it without touching code:

================== ============ ============ ===============================================
pack               version      effective    rules
================== ============ ============ ===============================================
CN-CBA-2026        2026-01-30   2026-01-30   quiet hours 22:00–08:00 (all channels, consent
                                             lifts it); ≤ 6 unanswered attempts per number per
                                             day; visits need ≥ 2 collectors; third parties
                                             (purpose, 失联 triggers, no disclosure); holds;
                                             no public posting; letter/SMS identity elements
CN-GBT45251-2025   2025-02-28   2025-02-28   quiet hours unless a time was agreed; ≤ 3
                                             connected voice-notice calls per debtor per day
                                             (lender + agencies); contact persons only when
                                             the debtor is unreachable
CN-bank-base       2023-03-01   2011-01-01   outsourcing notice before an agency contacts
                                             (C6 art. 41, checked from 2023-03-01); no
                                             collection from unrelated third parties (C4 art.
                                             68, C8 item 5)
CN-PIPL            2021-11-01   2021-11-01   no disclosure of the debt to a third party (arts.
                                             23, 28–29); no public disclosure (art. 25); no
                                             contact by a channel the person opted out of
                                             (art. 44) unless they withdrew the opt-out;
                                             ``CN-HK-DEBTOR-TIMES``, a platform commitment
                                             resting on art. 44 (not a statutory window): no
                                             contact at a time the debtor designated as
                                             inconvenient (deferred until it ends)
================== ============ ============ ===============================================

Not encoded, on purpose:

* GB/T 45251's "interval of at least 7 natural days for the same credit product" (C9): a single
  secondary source reports it and its meaning is unclear (contact persons? collection cycles?);
  the rules table says not to encode it until the official text is checked.
* PIPL / C10 "lawful data source" of a number: the request format has no ``data_source`` field
  and :func:`~huikuan.compliance.request.parse_request` drops unknown fields, so the guard cannot
  see it here; the contact-point store already refuses numbers without a source.
* PIPL art. 23 separate consent to disclose to a third party: the CBA guideline forbids telling
  emergency contacts about the debt anyway, so no consent exception is offered.

Request conventions (all within ``shared/compliance-check-request.md``; fields it does not
name are ignored by the parser, so only fields it already reads are used):

* Time. Quiet hours are judged in the debtor's zone (``debtor.timezone``, default
  ``Asia/Shanghai``; with location signals, a time must be allowed in every candidate zone).
  Daily caps and the 失联 day triggers count Beijing calendar days (``counting_timezone``).
  22:00:00 itself is in the quiet period (``QuietHours.start_allowed``); 08:00 is allowed.
* Consent (quiet hours): an earlier ``channel: consent`` event from the same party as the contact,
  with ``consent_type: inconvenient_time`` or a ``consent_to_call_at``. ``consent_to_call_at`` is
  an ISO datetime (covers that moment and the following ``call_window``, default 1 h), a local
  ``HH:MM`` (that time each day, same window) or a local range ``HH:MM-HH:MM``;
  ``consent_valid_dates`` limits it to those local dates; with neither, the consent covers the
  24 h after it was given. ``consent_scope_debt_ids`` must include every debt of the contact.
  A later consent event with ``status: revoked`` (same ``consent_type``, or none for all)
  withdraws it. ``consent_type: additional_calls`` ("unless otherwise agreed") lifts the
  unanswered-attempt cap the same way.
* Calls. An unanswered attempt is a ``phone`` event to that number with outcome ``unanswered``,
  ``busy``, ``not_in_service``, ``voicemail_no_message`` or ``voicemail_limited_content``, or with
  no outcome recorded (counted, to be safe). Numbers are compared on digits only. A connected
  voice notice is ``outcome: connected_voice_notice``, or ``call_type: voice_notice`` with outcome
  ``conversation``/``conversation_dropped``, to the debtor, by any caller.
* Parties. ``consumer`` (or no party) is the debtor; ``third_party:ID`` is anyone else. A third
  party with ``relationship: guarantor`` is obliged and may be collected from. A spouse is related
  (C2 art. 1064) only when an earlier ``channel: data_update`` event with
  ``update: joint_spousal_debt`` marks the debt joint: its ``party`` names the spouse (or is
  absent: any spouse) and its ``debt_ids`` the debts (absent: all). Everyone else is unrelated.
* Unreachable (失联), :func:`debtor_unreachable`, shared by the CBA and GB/T packs; only what
  happened after the debtor was last reached counts (a reached outcome ``conversation``,
  ``conversation_dropped``, ``connected_voice_notice``, ``answered_then_dropped_no_conversation``;
  any inbound contact from the debtor; or ``data_update`` ``update: debtor_reached``):
  (1) every known number of the debtor is invalid (``data_update`` with ``update``
  ``number_invalid``/``not_in_service``/``number_reassigned`` and ``to_number``, or without a
  number for all of them; or a call outcome ``not_in_service``) and was found so after the last
  reach; (2) N (3) failed attempts since then, from the next calendar day; (3) failed attempts on
  each of M (3) consecutive calendar days, from the day after.
* Holds: ``channel: hold`` events with ``content_type`` ``dispute``, ``complaint``, ``deceased``,
  ``bankruptcy`` or ``litigation_hold`` and optional ``debt_ids`` (absent: every debt; deceased and
  bankruptcy always cover the person); a later hold event of the same type with
  ``status: lifted`` ends it (a lift at the same instant as the hold does not). Contacts with
  ``purpose: legally_required`` are exempt.
* Outsourcing notice: an earlier outbound event to the debtor with
  ``content_type: outsourcing_notice`` (any channel; ``debt_ids`` absent covers every debt), not
  ``returned_undeliverable`` or still ``in_transit``. Checked for callers ``agency:ID``.
* Public posting: ``visibility`` public/contacts; ``content_flags`` ``public_posting`` or
  ``public_notice``; a letter or visit at ``location`` work/workplace/public with
  ``discloses_debt``; a postcard with ``discloses_debt``; debt words on ``envelope_text``.
* Opt-outs: a ``medium_opt_out`` event (``medium``, optional ``to_number`` / ``to_address``) or
  an inbound reply with ``content_type: STOP`` closes that channel to the person (that address
  only, when named); a later ``medium_opt_out`` with the same terms and ``status`` withdrawn /
  revoked reopens it (:mod:`huikuan.compliance.designated`).
* Debtor's own inconvenient times: ``debtor.inconvenient_times`` (the request builder fills it
  from the debtor's designations in force); ``CN-HK-DEBTOR-TIMES`` defers a contact to the
  debtor inside one until it ends, in every candidate zone; letters are not timed.

Messages name the facts in English and Chinese; phone numbers are always masked (138****1234).
The rules of one check share a single sorted copy of the earlier events (a one-entry,
per-thread memo of :func:`events_before`) and each scans it once, so a request with 1,000
earlier events is checked in a few tens of milliseconds.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from huikuan.compliance.designated import designated_clear, is_withdrawal, opt_out_withdrawn
from huikuan.compliance.packs import Rule, RulePack
from huikuan.compliance.request import CheckRequest, Contact, Event, events_before
from huikuan.compliance.timezones import allowed_everywhere, candidate_zones, next_allowed, within
from huikuan.compliance.verdict import Effect, Finding
from huikuan.core.identity import mask_phone

CONTACT_CHANNELS = frozenset(
    {"phone", "ringless_voicemail", "sms", "email", "letter", "visit", "im", "social_media"}
)
CONSUMER = "consumer"
THIRD_PARTY_PREFIX = "third_party:"
AGENCY_PREFIX = "agency:"
BEIJING = "Asia/Shanghai"

# --------------------------------------------------------------------------------------------
# Parameters (every S-tagged number lives here)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuietHours:
    """No contact from ``start`` to ``end`` local time (a window past midnight wraps)."""

    start: time = time(22, 0)
    end: time = time(8, 0)
    start_allowed: bool = False  # whether the exact start instant (22:00:00) is still allowed
    channels: frozenset[str] = CONTACT_CHANNELS
    default_timezone: str = BEIJING


@dataclass(frozen=True, slots=True)
class ConsentPolicy:
    call_window: timedelta = timedelta(hours=1)  # after an agreed ``consent_to_call_at``
    unscoped_validity: timedelta = timedelta(hours=24)  # no dates and no time given
    revoked_statuses: frozenset[str] = frozenset({"revoked", "withdrawn"})


@dataclass(frozen=True, slots=True)
class UnreachableTriggers:
    """When the debtor counts as unreachable (失联), C10 ch. 3 (S). 0 disables a count trigger."""

    invalid_number: bool = True
    failed_attempts: int = 3  # N consecutive failed attempts, from the next day
    failed_days: int = 3  # M consecutive days of failed attempts, from the day after
    invalid_updates: frozenset[str] = frozenset(
        {"number_invalid", "not_in_service", "number_reassigned"}
    )
    invalid_outcomes: frozenset[str] = frozenset({"not_in_service"})
    failed_outcomes: frozenset[str] = frozenset(
        {
            "unanswered",
            "busy",
            "not_in_service",
            "voicemail_no_message",
            "voicemail_limited_content",
        }
    )
    reached_outcomes: frozenset[str] = frozenset(
        {
            "conversation",
            "conversation_dropped",
            "connected_voice_notice",
            "answered_then_dropped_no_conversation",
        }
    )
    reached_updates: frozenset[str] = frozenset({"debtor_reached"})
    counting_timezone: str = BEIJING


@dataclass(frozen=True, slots=True)
class ThirdPartyPolicy:
    obliged_relationships: frozenset[str] = frozenset({"guarantor"})  # 担保人/保证人
    joint_debt_relationships: frozenset[str] = frozenset({"spouse"})
    joint_debt_update: str = "joint_spousal_debt"
    allowed_purposes: frozenset[str] = frozenset(
        {"locate_or_relay_message", "location_information"}
    )
    unreachable: UnreachableTriggers = field(default_factory=UnreachableTriggers)


@dataclass(frozen=True, slots=True)
class HoldPolicy:
    channel: str = "hold"
    types: frozenset[str] = frozenset(
        {"dispute", "complaint", "deceased", "bankruptcy", "litigation_hold"}
    )
    person_level: frozenset[str] = frozenset({"deceased", "bankruptcy"})
    lifted_statuses: frozenset[str] = frozenset({"lifted"})
    exempt_purposes: frozenset[str] = frozenset({"legally_required"})


@dataclass(frozen=True, slots=True)
class RequiredElement:
    """Text a letter or SMS must carry; any pattern (regex, case-insensitive) satisfies it."""

    key: str
    name_en: str
    name_zh: str
    patterns: tuple[str, ...]
    effect: Effect = Effect.WARN
    debtor_only: bool = False  # e.g. the purpose: not to be spelt out to a third party

    def __post_init__(self) -> None:
        if self.effect is Effect.DEFER:
            raise ValueError("a missing element blocks or warns; waiting does not add it")


DEFAULT_ELEMENTS: tuple[RequiredElement, ...] = (
    RequiredElement(
        "institution",
        "the institution's name",
        "机构名称",
        (r"银行", r"消费金融", r"小额贷款", r"小贷", r"金融", r"公司", r"\bbank\b", r"\bfinance\b"),
        Effect.BLOCK,
    ),
    RequiredElement(
        "agent_id",
        "the collector's ID",
        "催收人员工号",
        (r"工号", r"编号", r"坐席", r"\bagent\s*(id|no\.?|number|#)", r"\bID\s*[:：#]?\s*\w+"),
    ),
    RequiredElement(
        "purpose",
        "the purpose of the contact",
        "联系目的",
        (r"催收", r"还款", r"欠款", r"逾期", r"账单", r"repay", r"overdue", r"payment", r"debt"),
        debtor_only=True,
    ),
)


@dataclass(frozen=True, slots=True)
class CBAParams:
    """CN-CBA-2026: 《金融机构个人消费类贷款催收工作指引（试行）》 (C10, all S)."""

    quiet_hours: QuietHours = field(default_factory=QuietHours)
    consent: ConsentPolicy = field(default_factory=ConsentPolicy)
    counting_timezone: str = BEIJING
    unanswered_cap: int = 6  # per number per calendar day, lender and agencies together
    unanswered_outcomes: frozenset[str] = frozenset(
        {
            "unanswered",
            "busy",
            "not_in_service",
            "voicemail_no_message",
            "voicemail_limited_content",
        }
    )
    count_unknown_outcome: bool = True
    min_visit_collectors: int = 2  # art. 22
    third_parties: ThirdPartyPolicy = field(default_factory=ThirdPartyPolicy)
    holds: HoldPolicy = field(default_factory=HoldPolicy)
    public_visibilities: frozenset[str] = frozenset({"public", "contacts"})
    public_locations: frozenset[str] = frozenset({"work", "workplace", "public", "public_place"})
    public_flags: frozenset[str] = frozenset({"public_posting", "public_notice"})
    envelope_debt_words: tuple[str, ...] = (
        "催收",
        "欠款",
        "逾期",
        "债务",
        "欠债",
        "追债",
        "debt",
        "collection",
        "overdue",
    )
    content_channels: frozenset[str] = frozenset({"letter", "sms"})
    required_elements: tuple[RequiredElement, ...] = DEFAULT_ELEMENTS
    institution_names: tuple[str, ...] = ()  # when set, the institution element needs one of these


@dataclass(frozen=True, slots=True)
class GBTParams:
    """CN-GBT45251-2025: GB/T 45251-2025 via the NIFA interim guide (C9, numbers S)."""

    quiet_hours: QuietHours = field(default_factory=QuietHours)
    consent: ConsentPolicy = field(default_factory=ConsentPolicy)
    counting_timezone: str = BEIJING
    voice_notice_cap: int = 3  # connected, per debtor per day, lender + agencies combined
    voice_notice_call_types: frozenset[str] = frozenset({"voice_notice"})
    connected_outcomes: frozenset[str] = frozenset({"conversation", "conversation_dropped"})
    third_parties: ThirdPartyPolicy = field(default_factory=ThirdPartyPolicy)


@dataclass(frozen=True, slots=True)
class BankBaseParams:
    """CN-bank-base: C4 (2011 credit-card measures), C5, C6 art. 41, C7, C8 (all S)."""

    notice_content_type: str = "outsourcing_notice"
    notice_required_from: date = date(2023, 3, 1)  # C6 in force
    notice_ineffective_statuses: frozenset[str] = frozenset(
        {"returned_undeliverable", "in_transit"}
    )
    third_parties: ThirdPartyPolicy = field(default_factory=ThirdPartyPolicy)


@dataclass(frozen=True, slots=True)
class DebtorTimesParams:
    """``CN-HK-DEBTOR-TIMES``: the platform's commitment to the debtor's own inconvenient times
    (no statutory number; carried in the CN-PIPL pack because art. 44 is what it rests on)."""

    # A letter is mailed, not delivered at an hour the debtor could find inconvenient.
    channels: frozenset[str] = CONTACT_CHANNELS - {"letter"}
    default_timezone: str = BEIJING
    consent: ConsentPolicy = field(default_factory=ConsentPolicy)
    exempt_purposes: frozenset[str] = frozenset({"legally_required"})


@dataclass(frozen=True, slots=True)
class PIPLParams:
    """CN-PIPL: 《个人信息保护法》 (C1, primary text)."""

    third_parties: ThirdPartyPolicy = field(default_factory=ThirdPartyPolicy)
    public_visibilities: frozenset[str] = frozenset({"public", "contacts"})
    public_locations: frozenset[str] = frozenset({"public", "public_place"})
    # Purposes a channel opt-out does not stop (a notice the law itself requires).
    opt_out_exempt_purposes: frozenset[str] = frozenset({"legally_required"})
    debtor_times: DebtorTimesParams = field(default_factory=DebtorTimesParams)


@dataclass(frozen=True, slots=True)
class CNParams:
    cba: CBAParams = field(default_factory=CBAParams)
    gbt: GBTParams = field(default_factory=GBTParams)
    bank: BankBaseParams = field(default_factory=BankBaseParams)
    pipl: PIPLParams = field(default_factory=PIPLParams)


# --------------------------------------------------------------------------------------------
# Shared reading of the request
# --------------------------------------------------------------------------------------------


class _Memo(threading.local):
    """The sorted earlier events of the last request seen (rules of one check share them)."""

    def __init__(self) -> None:
        self.request: CheckRequest | None = None
        self.events: tuple[Event, ...] = ()


_MEMO = _Memo()


def _history(request: CheckRequest) -> tuple[Event, ...]:
    if _MEMO.request is not request:
        _MEMO.events = events_before(request)
        _MEMO.request = request
    return _MEMO.events


def _party(event: Event) -> str:
    return event.party or CONSUMER


def _is_third_party(event: Event) -> bool:
    return _party(event).startswith(THIRD_PARTY_PREFIX)


def _outbound(event: Event) -> bool:
    return event.direction in (None, "outbound")


def _applies(contact: Contact) -> bool:
    """An outbound collection contact (not a furnishing, nor a note to the creditor)."""
    return (
        contact.channel in CONTACT_CHANNELS
        and _outbound(contact)
        and _party(contact) not in ("creditor", "consumer_reporting_agency")
    )


@lru_cache(maxsize=65_536)
def _digits(number: str) -> str:
    """A number as its digits (and a leading +): one normal form for comparing numbers.

    Cached: every check compares the proposed number with every earlier call's number.
    """
    return "".join(ch for ch in number if ch.isdigit() or ch == "+")


_LONG_DIGITS = re.compile(r"\+?\d{7,}")


def _safe(text: str) -> str:
    """Any phone-like digit run masked (party ids sometimes carry a number)."""
    return _LONG_DIGITS.sub(lambda match: mask_phone(match.group()), text)


def _who(contact: Contact) -> tuple[str, str]:
    party = _party(contact)
    if party == CONSUMER:
        return "the debtor", "债务人"
    if party.startswith(THIRD_PARTY_PREFIX):
        ident = _safe(party[len(THIRD_PARTY_PREFIX) :])
        return f"third party {ident}", f"第三人 {ident}"
    return _safe(party), _safe(party)


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _show(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def _next_day_at(moment: datetime, zone: ZoneInfo, opening: time) -> datetime:
    return datetime.combine(_day(moment, zone) + timedelta(days=1), opening, tzinfo=zone)


def _hm(value: time) -> str:
    return f"{value:%H:%M}"


# --------------------------------------------------------------------------------------------
# Consent
# --------------------------------------------------------------------------------------------

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?:\s*[-~/–]\s*(\d{1,2}):(\d{2}))?")


def _call_at_covers(spec: str, moment: datetime, zone: ZoneInfo, window: timedelta) -> bool:
    local = moment.astimezone(zone)
    try:
        agreed = datetime.fromisoformat(spec.strip())
    except ValueError:
        agreed = None
    if agreed is not None:
        if agreed.tzinfo is None:
            agreed = agreed.replace(tzinfo=zone)
        return agreed <= moment <= agreed + window
    match = _CLOCK.fullmatch(spec.strip())
    if match is None:
        return False
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return False
    first = time(hour, minute)
    if match.group(3) is not None:
        hour2, minute2 = int(match.group(3)), int(match.group(4))
        if hour2 > 23 or minute2 > 59:
            return False
        return within(local, first, time(hour2, minute2), end_inclusive=True)
    for back in (0, 1):
        opening = datetime.combine(local.date() - timedelta(days=back), first, tzinfo=zone)
        if opening <= local <= opening + window:
            return True
    return False


def _grant_covers(
    grant: Event, request: CheckRequest, zone: ZoneInfo, policy: ConsentPolicy
) -> bool:
    contact = request.proposed
    if grant.consent_scope_debt_ids and (
        not contact.debt_ids or not set(contact.debt_ids) <= set(grant.consent_scope_debt_ids)
    ):
        return False
    moment = contact.datetime
    if grant.consent_valid_dates and _day(moment, zone) not in grant.consent_valid_dates:
        return False
    if grant.consent_to_call_at is not None:
        return _call_at_covers(grant.consent_to_call_at, moment, zone, policy.call_window)
    if grant.consent_valid_dates:
        return True
    return grant.datetime <= moment <= grant.datetime + policy.unscoped_validity


def consent_covers(
    request: CheckRequest,
    policy: ConsentPolicy,
    zone: ZoneInfo,
    types: frozenset[str],
    *,
    time_agreement: bool,
) -> bool:
    """Whether an unrevoked consent of the contacted party covers the proposed contact.

    ``time_agreement``: a consent that only names ``consent_to_call_at`` counts as well.
    """
    party = _party(request.proposed)
    revoked: dict[str | None, datetime] = {}
    grants: list[Event] = []
    for event in _history(request):
        if event.channel != "consent" or _party(event) != party:
            continue
        if event.status in policy.revoked_statuses:
            revoked[event.consent_type] = event.datetime  # events are in time order
        elif event.consent_type in types or (
            time_agreement and event.consent_to_call_at is not None
        ):
            grants.append(event)
    for grant in grants:
        cuts = [revoked.get(grant.consent_type), revoked.get(None)]
        if any(cut is not None and cut >= grant.datetime for cut in cuts):
            continue
        if _grant_covers(grant, request, zone, policy):
            return True
    return False


# --------------------------------------------------------------------------------------------
# Who the contact is to: obliged parties, and whether the debtor is unreachable (失联)
# --------------------------------------------------------------------------------------------


def is_obliged(request: CheckRequest, policy: ThirdPartyPolicy) -> bool:
    """The debtor, a guarantor, or a spouse whose debt is marked joint: may be collected from."""
    contact = request.proposed
    if not _is_third_party(contact):
        return _party(contact) == CONSUMER
    if contact.relationship in policy.obliged_relationships:
        return True
    if contact.relationship not in policy.joint_debt_relationships:
        return False
    for event in _history(request):
        if event.channel != "data_update" or event.update != policy.joint_debt_update:
            continue
        if event.party not in (None, contact.party):
            continue
        if not event.debt_ids or (
            contact.debt_ids and set(contact.debt_ids) <= set(event.debt_ids)
        ):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Unreachable:
    """Why the debtor counts as unreachable, in both languages."""

    reason: str
    reason_zh: str


def debtor_unreachable(request: CheckRequest, triggers: UnreachableTriggers) -> Unreachable | None:
    """The 失联 trigger met at the proposed time, or ``None`` while the debtor is reachable.

    One linear pass over the earlier events; only what happened after the debtor was last
    reached counts (reaching the debtor again ends the state).
    """
    zone = ZoneInfo(triggers.counting_timezone)
    last_reached: datetime | None = None
    known: set[str] = set()
    invalid_at: dict[str, datetime] = {}
    valid_at: dict[str, datetime] = {}
    all_invalid_at: datetime | None = None
    failures: list[datetime] = []
    for event in _history(request):
        if _party(event) != CONSUMER:
            continue
        if event.channel == "data_update":
            if event.update in triggers.invalid_updates:
                if event.to_number:
                    known.add(_digits(event.to_number))
                    invalid_at[_digits(event.to_number)] = event.datetime
                else:
                    all_invalid_at = event.datetime
            elif event.update in triggers.reached_updates:
                last_reached = event.datetime
            continue
        if event.channel not in CONTACT_CHANNELS:
            continue
        if event.direction == "inbound":
            last_reached = event.datetime
            if event.from_number:
                known.add(_digits(event.from_number))
                valid_at[_digits(event.from_number)] = event.datetime
            continue
        if not _outbound(event):
            continue
        number = (
            _digits(event.to_number)
            if event.to_number and event.channel in ("phone", "sms", "ringless_voicemail")
            else None
        )
        if number is not None:
            known.add(number)
        if event.outcome in triggers.reached_outcomes:
            last_reached = event.datetime
            if number is not None:
                valid_at[number] = event.datetime
        if event.channel == "phone":
            if event.outcome in triggers.invalid_outcomes and number is not None:
                invalid_at[number] = event.datetime
            if event.outcome in triggers.failed_outcomes:
                failures.append(event.datetime)
    contact_day = _day(request.proposed.datetime, zone)

    if triggers.invalid_number:
        latest: datetime | None = None
        all_dead = True
        for number in known:
            marks = [t for t in (invalid_at.get(number), all_invalid_at) if t is not None]
            found = max(marks) if marks else None
            seen = valid_at.get(number)
            if found is None or (seen is not None and seen >= found):
                all_dead = False
                break
            latest = found if latest is None or found > latest else latest
        if not known:
            latest = all_invalid_at
        if all_dead and latest is not None and (last_reached is None or latest > last_reached):
            shown = ", ".join(mask_phone(number) for number in sorted(known)) or "all numbers"
            shown_zh = ", ".join(mask_phone(number) for number in sorted(known)) or "全部号码"
            return Unreachable(
                f"every known number of the debtor is invalid ({shown})",
                f"债务人本人号码均已无效（{shown_zh}）",
            )
    recent = [moment for moment in failures if last_reached is None or moment > last_reached]
    n = triggers.failed_attempts
    if n > 0 and len(recent) >= n and _day(recent[n - 1], zone) < contact_day:
        return Unreachable(
            f"{len(recent)} consecutive failed attempts since the debtor was last reached, "
            f"the {n}th on {_day(recent[n - 1], zone)}",
            f"自上次联系上债务人后连续{len(recent)}次联系未果，"
            f"第{n}次在{_day(recent[n - 1], zone)}",
        )
    m = triggers.failed_days
    if m > 0:
        run = 0
        previous: date | None = None
        for day in sorted({_day(moment, zone) for moment in recent}):
            run = run + 1 if previous is not None and day == previous + timedelta(days=1) else 1
            previous = day
            if run >= m and day < contact_day:
                return Unreachable(
                    f"failed attempts on {m} consecutive days up to {day} "
                    "without reaching the debtor",
                    f"连续{m}天（至{day}）联系未果，未能联系上债务人",
                )
    return None


# --------------------------------------------------------------------------------------------
# Rule builders (shared by packs where the same conduct rule appears in several sources)
# --------------------------------------------------------------------------------------------


def _quiet_hours_rule(rule_id: str, source: str, quiet: QuietHours, consent: ConsentPolicy) -> Rule:
    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        if not _applies(contact) or contact.channel not in quiet.channels:
            return
        zones = candidate_zones(request, quiet.default_timezone)
        moment = contact.datetime
        inclusive = quiet.start_allowed
        if allowed_everywhere(moment, zones, quiet.end, quiet.start, end_inclusive=inclusive):
            return
        home = zones[0]
        if consent_covers(
            request, consent, home, frozenset({"inconvenient_time"}), time_agreement=True
        ):
            return
        window = f"{_hm(quiet.start)}–{_hm(quiet.end)}"
        who, who_zh = _who(contact)
        at = f"{_show(moment, home)} ({home.key})"
        later = next_allowed(moment, zones, quiet.end, quiet.start, end_inclusive=inclusive)
        if later is None:
            yield Finding(
                Effect.BLOCK,
                f"{contact.channel} contact to {who} at {at} falls in the quiet hours {window} "
                f"({source}) and the debtor's time zones leave no common allowed time",
                f"拟于{at}以{contact.channel}联系{who_zh}，处于{window}禁止催收时段（{source}），"
                "且债务人各可能时区没有共同的允许时间",
            )
            return
        yield Finding(
            Effect.DEFER,
            f"{contact.channel} contact to {who} at {at} falls in the quiet hours {window} "
            f"({source}) and no consent covers it; next allowed {_show(later, home)}",
            f"拟于{at}以{contact.channel}联系{who_zh}，处于{window}禁止催收时段（{source}），"
            f"且无债务人同意；最早可于{_show(later, home)}联系",
            next_allowed_at=later,
        )

    return Rule(rule_id, f"No contact {_hm(quiet.start)}–{_hm(quiet.end)} without consent", check)


def _third_party_purpose_findings(
    contact: Contact, policy: ThirdPartyPolicy, source: str
) -> Iterator[Finding]:
    if (contact.purpose or "collection") in policy.allowed_purposes:
        return
    who, who_zh = _who(contact)
    relation = contact.relationship or "unstated"
    yield Finding(
        Effect.BLOCK,
        f"{who} (relationship: {relation}) is not obliged on the debt; only the debtor and the "
        f"guarantor may be collected from, and others contacted only to locate the debtor or "
        f"relay a message, not for {contact.purpose or 'collection'} ({source})",
        f"{who_zh}（关系：{relation}）不是债务的义务人；只能向债务人和担保人催收，"
        f"对其他人只能为查找债务人或转告信息而联系（{source}）",
    )


def _unreachable_findings(
    request: CheckRequest, policy: ThirdPartyPolicy, source: str
) -> Iterator[Finding]:
    if debtor_unreachable(request, policy.unreachable) is not None:
        return
    triggers = policy.unreachable
    who, who_zh = _who(request.proposed)
    yield Finding(
        Effect.BLOCK,
        f"{who} may be contacted only while the debtor is unreachable (失联), and no trigger is "
        f"met: all own numbers invalid, {triggers.failed_attempts} consecutive failed attempts "
        f"(from the next day), or failed attempts on {triggers.failed_days} consecutive days "
        f"({source})",
        f"仅在债务人失联时才能联系{who_zh}，目前未满足任何失联条件：本人号码无效、"
        f"连续{triggers.failed_attempts}次联系未果（次日起）、连续{triggers.failed_days}天联系未果"
        f"（{source}）",
    )


# --------------------------------------------------------------------------------------------
# CN-CBA-2026
# --------------------------------------------------------------------------------------------


def _unanswered_rule(params: CBAParams) -> Rule:
    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        if not _applies(contact) or contact.channel != "phone" or not contact.to_number:
            return
        zone = ZoneInfo(params.counting_timezone)
        number = _digits(contact.to_number)
        day = _day(contact.datetime, zone)
        count = 0
        for event in _history(request):
            if (
                event.channel == "phone"
                and event.to_number
                and _outbound(event)
                and (
                    event.outcome in params.unanswered_outcomes
                    or (event.outcome is None and params.count_unknown_outcome)
                )
                and _digits(event.to_number) == number
                and _day(event.datetime, zone) == day
            ):
                count += 1
        if count < params.unanswered_cap:
            return
        home = candidate_zones(request, params.quiet_hours.default_timezone)[0]
        if consent_covers(
            request, params.consent, home, frozenset({"additional_calls"}), time_agreement=False
        ):
            return
        later = _next_day_at(contact.datetime, zone, params.quiet_hours.end)
        masked = mask_phone(number)
        yield Finding(
            Effect.DEFER,
            f"{count} unanswered call attempts to {masked} on {day} (lender and agencies "
            f"together) reach the cap of {params.unanswered_cap} per number per day (C10 ch. 3); "
            f"next allowed {_show(later, zone)}",
            f"{day}已向{masked}拨打未接通{count}次（机构与催收机构合计），"
            f"达到同一号码每日{params.unanswered_cap}次上限（C10 第三章）；"
            f"最早可于{_show(later, zone)}拨打",
            next_allowed_at=later,
        )

    return Rule(
        "CN-CBA-2026-UNANSWERED-6",
        f"At most {params.unanswered_cap} unanswered attempts per number per day",
        check,
    )


def _visit_rule(params: CBAParams) -> Rule:
    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        if not _applies(contact) or contact.channel != "visit":
            return
        count = contact.collector_count
        if count is not None and count >= params.min_visit_collectors:
            return
        stated = "not stated" if count is None else str(count)
        stated_zh = "未注明" if count is None else f"{count}人"
        yield Finding(
            Effect.BLOCK,
            f"a field visit needs at least {params.min_visit_collectors} collectors; "
            f"collector count {stated} (C10 art. 22)",
            f"外访须至少{params.min_visit_collectors}名催收人员，本次人数{stated_zh}（C10 第22条）",
        )

    return Rule(
        "CN-CBA-2026-VISIT-2",
        f"Field visits by at least {params.min_visit_collectors} collectors",
        check,
    )


def _cba_third_party_rules(params: CBAParams) -> tuple[Rule, ...]:
    policy = params.third_parties

    def unrelated(request: CheckRequest) -> bool:
        contact = request.proposed
        return _applies(contact) and _is_third_party(contact) and not is_obliged(request, policy)

    def purpose(request: CheckRequest) -> Iterable[Finding]:
        if not unrelated(request):
            return ()
        return _third_party_purpose_findings(request.proposed, policy, "C10 ch. 3; C4 art. 68")

    def unreachable(request: CheckRequest) -> Iterable[Finding]:
        if not unrelated(request):
            return ()
        return _unreachable_findings(request, policy, "C10 ch. 3")

    def disclosure(request: CheckRequest) -> Iterator[Finding]:
        if not unrelated(request) or request.proposed.discloses_debt is not True:
            return
        who, who_zh = _who(request.proposed)
        yield Finding(
            Effect.BLOCK,
            f"the contact would disclose the debt to {who}; third parties may not be told of the "
            "debtor's debt or finances (C10 ch. 3)",
            f"本次联系会向{who_zh}透露债务信息；"
            "不得向第三人透露债务人的债务或财务信息（C10 第三章）",
        )

    return (
        Rule(
            "CN-CBA-2026-THIRD-PARTY-PURPOSE",
            "Collect only from the debtor and guarantor; others only to locate or relay",
            purpose,
        ),
        Rule(
            "CN-CBA-2026-THIRD-PARTY-UNREACHABLE",
            "Emergency contacts only while the debtor is unreachable (失联)",
            unreachable,
        ),
        Rule(
            "CN-CBA-2026-THIRD-PARTY-NO-DISCLOSURE",
            "Never disclose the debt to a third party",
            disclosure,
        ),
    )


def active_holds(request: CheckRequest, policy: HoldPolicy) -> list[tuple[str, str, datetime]]:
    """(type, debt id or ``*``, placed at) of every hold in force that covers the contact."""
    placed: dict[tuple[str, str], datetime] = {}
    lifted: dict[tuple[str, str], datetime] = {}
    lifted_all: dict[str, datetime] = {}
    for event in _history(request):
        kind = event.content_type
        if event.channel != policy.channel or kind is None or kind not in policy.types:
            continue
        whole = kind in policy.person_level or not event.debt_ids
        if event.status in policy.lifted_statuses:
            if whole:
                lifted_all[kind] = event.datetime
            else:
                for debt in event.debt_ids:
                    lifted[(kind, debt)] = event.datetime
            continue
        for key in ("*",) if whole else event.debt_ids:
            placed[(kind, key)] = event.datetime
    contact_debts = set(request.proposed.debt_ids)
    active = []
    for (kind, key), at in placed.items():
        ends = [t for t in (lifted.get((kind, key)), lifted_all.get(kind)) if t is not None]
        if ends and max(ends) > at:
            continue
        if key == "*" or not contact_debts or key in contact_debts:
            active.append((kind, key, at))
    return sorted(active)


_HOLD_ZH = {
    "dispute": "争议",
    "complaint": "投诉",
    "deceased": "债务人死亡",
    "bankruptcy": "破产",
    "litigation_hold": "诉讼暂停",
}


def _hold_rule(params: CBAParams) -> Rule:
    policy = params.holds

    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        if not _applies(contact) or contact.purpose in policy.exempt_purposes:
            return
        zone = ZoneInfo(params.counting_timezone)
        for kind, key, at in active_holds(request, policy):
            scope = "every debt" if key == "*" else f"debt {key}"
            scope_zh = "全部债务" if key == "*" else f"债务 {key}"
            yield Finding(
                Effect.BLOCK,
                f"a {kind} hold on {scope} since {_show(at, zone)} is in force; collection "
                "contacts stop until it is lifted (C10; C5; C9 §5.6)",
                f"自{_show(at, zone)}起{scope_zh}处于{_HOLD_ZH.get(kind, kind)}暂停状态，"
                "解除前停止催收联系（C10；C5；C9 §5.6）",
            )

    return Rule("CN-CBA-2026-HOLD", "No collection while a hold is in force", check)


def _public_findings(
    contact: Contact,
    visibilities: frozenset[str],
    locations: frozenset[str],
    flags: frozenset[str],
    envelope_words: tuple[str, ...],
    source: str,
) -> Iterator[Finding]:
    facts: list[tuple[str, str]] = []
    if contact.visibility in visibilities:
        facts.append((f"visibility {contact.visibility}", f"可见范围为{contact.visibility}"))
    shown = sorted(set(contact.content_flags) & flags)
    if shown:
        facts.append((f"flagged {', '.join(shown)}", f"标记为{', '.join(shown)}"))
    if contact.discloses_debt is True:
        if contact.channel in ("letter", "visit") and contact.location in locations:
            facts.append(
                (
                    f"a {contact.channel} at {contact.location} announcing the debt",
                    f"在{contact.location}以{contact.channel}方式公开债务",
                )
            )
        if contact.channel == "letter" and contact.mail_format == "postcard":
            facts.append(("a postcard announcing the debt", "以明信片公开债务"))
    envelope = (contact.envelope_text or "").lower()
    words = [word for word in envelope_words if word.lower() in envelope]
    if contact.channel == "letter" and words:
        facts.append(
            (
                f"debt wording on the envelope ({', '.join(words)})",
                f"信封上有债务字样（{'、'.join(words)}）",
            )
        )
    if not facts:
        return
    yield Finding(
        Effect.BLOCK,
        f"public disclosure of the debt: {'; '.join(en for en, _ in facts)} ({source})",
        f"公开披露债务：{'；'.join(zh for _, zh in facts)}（{source}）",
    )


def _public_rule(params: CBAParams) -> Rule:
    def check(request: CheckRequest) -> Iterable[Finding]:
        contact = request.proposed
        if not _applies(contact):
            return ()
        return _public_findings(
            contact,
            params.public_visibilities,
            params.public_locations,
            params.public_flags,
            params.envelope_debt_words,
            "C10; C8 item 4",
        )

    return Rule("CN-CBA-2026-PUBLIC-POSTING", "No public posting of collection notices", check)


def _elements_rule(params: CBAParams) -> Rule:
    compiled: list[tuple[RequiredElement, tuple[re.Pattern[str], ...]]] = []
    for element in params.required_elements:
        patterns = element.patterns
        if element.key == "institution" and params.institution_names:
            patterns = tuple(re.escape(name) for name in params.institution_names)
        compiled.append((element, tuple(re.compile(p, re.IGNORECASE) for p in patterns)))

    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        if not _applies(contact) or contact.channel not in params.content_channels:
            return
        if contact.content is None:
            yield Finding(
                Effect.WARN,
                f"no {contact.channel} text supplied, so the institution name, collector ID and "
                "purpose could not be checked (C10; C4 art. 69)",
                f"未提供{contact.channel}文本，"
                "无法核对机构名称、催收人员工号和联系目的（C10；C4 第69条）",
            )
            return
        consumer = _party(contact) == CONSUMER
        for element, patterns in compiled:
            if element.debtor_only and not consumer:
                continue
            if any(pattern.search(contact.content) for pattern in patterns):
                continue
            yield Finding(
                element.effect,
                f"the {contact.channel} does not state {element.name_en} (C10; C4 art. 69)",
                f"{contact.channel}未载明{element.name_zh}（C10；C4 第69条）",
            )

    return Rule(
        "CN-CBA-2026-IDENTITY-ELEMENTS",
        "Letters and SMS state the institution, collector ID and purpose",
        check,
    )


def cba_2026_pack(params: CBAParams | None = None) -> RulePack:
    """CN-CBA-2026: the CBA consumer-loan collection guideline of 2026-01-30 (C10)."""
    p = params or CBAParams()
    return RulePack(
        code="CN-CBA-2026",
        version="2026-01-30",
        jurisdiction="CN",
        effective=date(2026, 1, 30),
        rules=(
            _quiet_hours_rule("CN-CBA-2026-QUIET-HOURS", "C10 ch. 3", p.quiet_hours, p.consent),
            _unanswered_rule(p),
            _visit_rule(p),
            *_cba_third_party_rules(p),
            _hold_rule(p),
            _public_rule(p),
            _elements_rule(p),
        ),
    )


# --------------------------------------------------------------------------------------------
# CN-GBT45251-2025
# --------------------------------------------------------------------------------------------


def _voice_notice_rule(params: GBTParams) -> Rule:
    def connected(event: Event) -> bool:
        return event.outcome == "connected_voice_notice" or (
            event.call_type in params.voice_notice_call_types
            and event.outcome in params.connected_outcomes
        )

    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        if (
            not _applies(contact)
            or contact.channel != "phone"
            or contact.call_type not in params.voice_notice_call_types
            or _party(contact) != CONSUMER
        ):
            return
        zone = ZoneInfo(params.counting_timezone)
        day = _day(contact.datetime, zone)
        count = sum(
            1
            for event in _history(request)
            if event.channel == "phone"
            and _outbound(event)
            and _party(event) == CONSUMER
            and connected(event)
            and _day(event.datetime, zone) == day
        )
        if count < params.voice_notice_cap:
            return
        later = _next_day_at(contact.datetime, zone, params.quiet_hours.end)
        yield Finding(
            Effect.DEFER,
            f"{count} connected voice-notice calls to the debtor on {day} (lender and agencies "
            f"combined) reach the cap of {params.voice_notice_cap} per day (C9); "
            f"next allowed {_show(later, zone)}",
            f"{day}已向债务人拨通语音告知式催收{count}次（机构与催收机构合计），"
            f"达到每日{params.voice_notice_cap}次上限（C9）；最早可于{_show(later, zone)}拨打",
            next_allowed_at=later,
        )

    return Rule(
        "CN-GBT-45251-VOICE-NOTICE-3",
        f"At most {params.voice_notice_cap} connected voice notices per debtor per day",
        check,
    )


def _contact_persons_rule(params: GBTParams) -> Rule:
    policy = params.third_parties

    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        if not _applies(contact) or not _is_third_party(contact) or is_obliged(request, policy):
            return
        yield from _third_party_purpose_findings(contact, policy, "C9")
        yield from _unreachable_findings(request, policy, "C9")

    return Rule(
        "CN-GBT-45251-CONTACT-PERSONS",
        "Collect only from the debtor; contact persons only while unreachable",
        check,
    )


def gbt_45251_pack(params: GBTParams | None = None) -> RulePack:
    """CN-GBT45251-2025: GB/T 45251-2025, internet consumer-credit collection (C9).

    The "7 natural days per credit product" interval is not encoded: single secondary source,
    unclear meaning (see the module docstring).
    """
    p = params or GBTParams()
    return RulePack(
        code="CN-GBT45251-2025",
        version="2025-02-28",
        jurisdiction="CN",
        effective=date(2025, 2, 28),
        rules=(
            _quiet_hours_rule("CN-GBT-45251-QUIET-HOURS", "C9", p.quiet_hours, p.consent),
            _voice_notice_rule(p),
            _contact_persons_rule(p),
        ),
    )


# --------------------------------------------------------------------------------------------
# CN-bank-base
# --------------------------------------------------------------------------------------------


def _outsourcing_notice_rule(params: BankBaseParams) -> Rule:
    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        caller = contact.caller or "lender"
        if not _applies(contact) or not caller.startswith(AGENCY_PREFIX):
            return
        if _day(contact.datetime, ZoneInfo(BEIJING)) < params.notice_required_from:
            return
        covered: set[str] = set()
        for event in _history(request):
            if (
                event.content_type != params.notice_content_type
                or _party(event) != CONSUMER
                or not _outbound(event)
                or event.status in params.notice_ineffective_statuses
            ):
                continue
            if not event.debt_ids:
                return
            covered.update(event.debt_ids)
        missing = sorted(set(contact.debt_ids) - covered)
        if covered and not missing:
            return
        agency = _safe(caller[len(AGENCY_PREFIX) :])
        what = f" for debts {', '.join(missing)}" if missing else ""
        what_zh = f"（债务 {', '.join(missing)}）" if missing else ""
        yield Finding(
            Effect.BLOCK,
            f"agency {agency} may not contact before the debtor has been told of the outsourcing"
            f"{what}; no delivered outsourcing notice found (C6 art. 41)",
            f"催收机构 {agency} 联系前须先告知债务人委外催收{what_zh}；"
            "未见已送达的委外告知（C6 第41条）",
        )

    return Rule(
        "CN-BANK-C6-41-OUTSOURCING-NOTICE",
        "Tell the debtor before an outside agency collects",
        check,
    )


def _bank_third_party_rule(params: BankBaseParams) -> Rule:
    policy = params.third_parties

    def check(request: CheckRequest) -> Iterable[Finding]:
        contact = request.proposed
        if not _applies(contact) or not _is_third_party(contact) or is_obliged(request, policy):
            return ()
        return _third_party_purpose_findings(contact, policy, "C8 item 5; C4 art. 68; C7")

    return Rule(
        "CN-BANK-C8-5-UNRELATED-THIRD-PARTY",
        "No collection from anyone not obliged to pay",
        check,
    )


def bank_base_pack(params: BankBaseParams | None = None) -> RulePack:
    """CN-bank-base: regulator rules for banks and licensed lenders (C4–C8).

    Effective from 2011 (the credit-card measures); the outsourcing notice is checked from
    ``notice_required_from`` (C6, 2023-03-01).
    """
    p = params or BankBaseParams()
    return RulePack(
        code="CN-bank-base",
        version="2023-03-01",
        jurisdiction="CN",
        effective=date(2011, 1, 1),
        rules=(_outsourcing_notice_rule(p), _bank_third_party_rule(p)),
    )


# --------------------------------------------------------------------------------------------
# CN-PIPL
# --------------------------------------------------------------------------------------------


def _pipl_disclosure_rule(params: PIPLParams) -> Rule:
    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        if (
            not _applies(contact)
            or not _is_third_party(contact)
            or contact.discloses_debt is not True
            or is_obliged(request, params.third_parties)
        ):
            return
        who, who_zh = _who(contact)
        yield Finding(
            Effect.BLOCK,
            f"telling {who} about the debt gives the debtor's financial-account information "
            "(sensitive) to another person without separate consent (PIPL arts. 23, 28, 29)",
            f"向{who_zh}透露债务即向他人提供债务人的金融账户信息（敏感个人信息），"
            "未取得单独同意（《个人信息保护法》第23、28、29条）",
        )

    return Rule("CN-PIPL-23-DISCLOSURE", "No disclosure of the debt to third parties", check)


def _pipl_public_rule(params: PIPLParams) -> Rule:
    def check(request: CheckRequest) -> Iterable[Finding]:
        contact = request.proposed
        if not _applies(contact):
            return ()
        return _public_findings(
            contact,
            params.public_visibilities,
            params.public_locations,
            frozenset({"public_posting", "public_notice"}),
            (),
            "PIPL art. 25",
        )

    return Rule("CN-PIPL-25-PUBLIC-DISCLOSURE", "No public disclosure of personal data", check)


_OPT_OUT_MEDIA = {"voice": "phone", "call": "phone", "text": "sms", "mail": "letter"}
_OPT_OUT_ZH = {"phone": "电话", "sms": "短信", "email": "邮件", "letter": "信函", "im": "即时通讯"}


def _opt_out_medium(name: str) -> str:
    return _OPT_OUT_MEDIA.get(name.lower(), name.lower())


def _pipl_opt_out_rule(params: PIPLParams) -> Rule:
    """A person who said stop to a channel (a 退订 / STOP reply, or a request recorded as a
    ``medium_opt_out`` event) is not contacted that way again; a named number or address limits
    the stop to that one. PIPL art. 44 (the right to refuse processing) and the MIIT SMS rules
    (《通信短信息服务管理规定》 art. 18: stop at once when the recipient refuses)."""

    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        if not _applies(contact) or contact.purpose in params.opt_out_exempt_purposes:
            return
        medium = _opt_out_medium(contact.channel)
        person = _party(contact)
        address = contact.to_number or contact.to_address
        history = _history(request)
        for event in history:
            if _party(event) != person:
                continue
            if event.channel == "medium_opt_out" and not is_withdrawal(event):
                stopped = _opt_out_medium(event.medium or "")
                named = event.to_number or event.to_address
            elif not _outbound(event) and (event.content_type or "").upper() == "STOP":
                stopped = _opt_out_medium(event.channel)
                named = event.from_number or event.from_address
            else:
                continue
            if stopped != medium or (named and address and named != address):
                continue
            # The person took this one back later (designated.py: same terms, withdrawn).
            if opt_out_withdrawn(event.datetime, person, stopped, named, history, _opt_out_medium):
                continue
            zone = ZoneInfo(request.debtor.timezone or BEIJING)
            yield Finding(
                Effect.BLOCK,
                f"the person opted out of {medium} on {_show(event.datetime, zone)}; "
                "that channel stays closed to them (PIPL art. 44; MIIT SMS rules art. 18)",
                f"对方已于{_show(event.datetime, zone)}退订{_OPT_OUT_ZH.get(medium, medium)}，"
                "不得再以此方式联系（《个人信息保护法》第44条；《通信短信息服务管理规定》第18条）",
            )
            return

    return Rule("CN-PIPL-44-OPT-OUT", "No contact through a channel the person opted out of", check)


DEBTOR_TIMES_ID = "CN-HK-DEBTOR-TIMES"
_DEBTOR_TIMES_SOURCE = (
    "a platform commitment, not a statutory time window, grounded on PIPL art. 44 and the CBA "
    "guideline's reasonable time"
)
_DEBTOR_TIMES_SOURCE_ZH = (
    "平台承诺，非法定时段，依据《个人信息保护法》第44条及CBA指引的“合理时间”要求"
)


def _debtor_times_rule(params: DebtorTimesParams) -> Rule:
    """Times the debtor told us are inconvenient (``debtor.inconvenient_times``): a contact
    inside one waits until it ends, as quiet hours do. No CN text sets such a window; this is
    Huikuan's commitment, read from PIPL art. 44 (the right to limit processing) and the CBA
    guideline's call for collection at a reasonable time (C10 ch. 3). A consent to be contacted
    at that time (``consent_type: inconvenient_time`` or ``consent_to_call_at``) lifts it."""

    def check(request: CheckRequest) -> Iterator[Finding]:
        contact = request.proposed
        designations = request.debtor.inconvenient_times
        if (
            not designations
            or not _applies(contact)
            or contact.channel not in params.channels
            or _party(contact) != CONSUMER
            or contact.purpose in params.exempt_purposes
        ):
            return
        zones = candidate_zones(request, params.default_timezone)
        moment = contact.datetime
        clear = designated_clear(moment, zones, designations)
        if clear is not None and clear <= moment:
            return
        home = zones[0]
        if consent_covers(
            request, params.consent, home, frozenset({"inconvenient_time"}), time_agreement=True
        ):
            return
        at = f"{_show(moment, home)} ({home.key})"
        if clear is None:
            yield Finding(
                Effect.BLOCK,
                f"{contact.channel} contact at {at}: the debtor designated every time in the "
                f"coming year as inconvenient ({_DEBTOR_TIMES_SOURCE})",
                f"拟于{at}以{contact.channel}联系：债务人已将未来一年的所有时间指定为不便联系时间"
                f"（{_DEBTOR_TIMES_SOURCE_ZH}）",
            )
            return
        yield Finding(
            Effect.DEFER,
            f"{contact.channel} contact at {at} falls in a time the debtor designated as "
            f"inconvenient ({_DEBTOR_TIMES_SOURCE}); next allowed {_show(clear, home)}",
            f"拟于{at}以{contact.channel}联系，处于债务人指定的不便联系时间"
            f"（{_DEBTOR_TIMES_SOURCE_ZH}）；最早可于{_show(clear, home)}联系",
            next_allowed_at=clear,
        )

    return Rule(
        DEBTOR_TIMES_ID, "No contact at a time the debtor designated as inconvenient", check
    )


def pipl_pack(params: PIPLParams | None = None) -> RulePack:
    """CN-PIPL: the Personal Information Protection Law (C1), in force 2021-11-01."""
    p = params or PIPLParams()
    return RulePack(
        code="CN-PIPL",
        version="2021-11-01",
        jurisdiction="CN",
        effective=date(2021, 11, 1),
        rules=(
            _pipl_disclosure_rule(p),
            _pipl_public_rule(p),
            _pipl_opt_out_rule(p),
            _debtor_times_rule(p.debtor_times),
        ),
    )


# --------------------------------------------------------------------------------------------


def cn_packs(params: CNParams | None = None) -> tuple[RulePack, ...]:
    """The four CN packs with the given parameters (defaults: the rules table)."""
    p = params or CNParams()
    return (cba_2026_pack(p.cba), gbt_45251_pack(p.gbt), bank_base_pack(p.bank), pipl_pack(p.pipl))


CN_PACKS: tuple[RulePack, ...] = cn_packs()
