"""The US rule pack ``US-RegF``: Regulation F (12 CFR part 1006), in force from 2021-11-30.

Data flow: :func:`us_pack` binds the numbers in :class:`USParams` (the defaults are the federal
ones; a state overlay may only tighten them, §1006.104) to one check function per rule. Every
check reads a :class:`_Facts` built once per request (one pass over the earlier events, then
small indexes computed on demand), so a request with a thousand earlier events costs a few
milliseconds for the whole pack, not a thousand per rule.

Decisions follow the request format (``shared/compliance-check-request.md``): *blocked* when
waiting does not help (an attorney, a cease notice, an open dispute, a prohibited medium, …),
*deferred* when a later moment is allowed with the same facts (quiet hours, a designated
inconvenient time, the 7-in-7 call frequency, the 14-day furnishing wait), *warn* for evidence a
person should look at (concentrated calls, a presumed violation with a rebuttal factor).

Rule ids name the provision (``US-REGF-1006.6(b)(1)(i)``). By project convention the two call
frequency prongs are ``US-REGF-1006.14(b)(2)(i)`` (more than 7 calls in 7 days) and
``US-REGF-1006.14(b)(2)(ii)`` (a call within 7 days after a conversation, in the regulation
§1006.14(b)(2)(i)(B); (b)(2)(ii) is the presumption of violation both prongs lead to).

Conventions and assumptions (documented where they are applied):

* A contact or event without ``party`` is with the consumer; without ``direction``, outbound.
  Without ``debt_ids`` it is about every debt in the request (conservative for holds and counts).
* Local days (for counting) are in the debtor's primary zone: ``debtor.timezone``, else the
  first location signal, else the first of :attr:`USParams.default_zones`. Quiet hours and
  designated times use every plausible zone (cmt. 6(b)(1)(i)-2).
* Consent only counts when ``given_directly_to_collector`` is true (§1006.6(b)(4)(i), cmt.
  6(b)(4)(i)-2). A consent event with ``status: "revoked"`` withdraws earlier consents of its
  type for its scope.
* A past unanswered call or limited-content message with several candidate debts and no
  ``counted_toward`` is counted toward each of them (the free attribution of cmt. 14(b)(4)-2.i
  must be recorded as ``counted_toward`` to be used).
* §1006.38 holds end when an outbound event with ``content_type`` ``verification_sent`` (or
  ``judgment_copy_sent``, ``duplicative_dispute_notice``) follows a written dispute, and
  ``original_creditor_information_sent`` (or ``original_creditor_same_notice``) follows an
  original-creditor request. While a hold is open, furnishing to a CRA is also stopped.
* Active ``hold`` events (the case holds the service passes in) stop collection contacts about
  their debt (``US-REGF-HOLD``) until a ``status: "lifted"`` version of the hold is listed.
* With no zone and no location signal, every zone in :attr:`USParams.default_zones` applies.
* Unknowns warn rather than block: an email with no ``address_basis``, an electronic message
  whose opt-out line cannot be seen, a text without the §1006.6(d)(5) safe harbor, a social
  media message of unknown visibility. The attorney's consent or silence is not modelled.
* §1006.10(c): a third party asks to be contacted again by contacting the collector (an inbound
  event from them after the last communication). §1006.14(h): a later direct consent to the
  same number (``text_number``) or address (``email_address``) lifts an opt-out.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from huikuan.compliance.designated import (
    INCONVENIENT_TIME,
    designated_clear,
    is_withdrawal,
    opt_out_withdrawn,
)
from huikuan.compliance.packs import Check, Rule, RulePack
from huikuan.compliance.request import CheckRequest, Event, RequestError
from huikuan.compliance.timezones import allowed_everywhere, next_allowed
from huikuan.compliance.verdict import Effect, Finding

PACK_CODE = "US-RegF"
PACK_VERSION = "2021-11-30"
PACK_EFFECTIVE = date(2021, 11, 30)

# ---------------------------------------------------------------------------------------------
# Rule ids
# ---------------------------------------------------------------------------------------------
TIME = "US-REGF-1006.6(b)(1)(i)"
PLACE = "US-REGF-1006.6(b)(1)(ii)"
ATTORNEY = "US-REGF-1006.6(b)(2)"
EMPLOYER = "US-REGF-1006.6(b)(3)"
CEASE = "US-REGF-1006.6(c)"
THIRD_PARTY = "US-REGF-1006.6(d)(1)"
EMAIL_ADDRESS = "US-REGF-1006.6(d)(4)"
TEXT_NUMBER = "US-REGF-1006.6(d)(5)"
OPT_OUT_NOTICE = "US-REGF-1006.6(e)"
LOCATION_FORM = "US-REGF-1006.10(b)"
LOCATION_ONCE = "US-REGF-1006.10(c)"
CUMULATIVE = "US-REGF-1006.14(a)"
PATTERN = "US-REGF-1006.14(b)(1)"
SEVEN_IN_SEVEN = "US-REGF-1006.14(b)(2)(i)"
AFTER_CONVERSATION = "US-REGF-1006.14(b)(2)(ii)"
MEDIUM = "US-REGF-1006.14(h)"
DISCLOSURE = "US-REGF-1006.18(e)"
POSTCARD = "US-REGF-1006.22(f)(1)"
ENVELOPE = "US-REGF-1006.22(f)(2)"
EMPLOYER_EMAIL = "US-REGF-1006.22(f)(3)"
SOCIAL_MEDIA = "US-REGF-1006.22(f)(4)"
TIME_BARRED = "US-REGF-1006.26(b)"
FURNISHING = "US-REGF-1006.30(a)"
ORIGINAL_CREDITOR = "US-REGF-1006.38(c)"
DISPUTE = "US-REGF-1006.38(d)(2)"
HOLD = "US-REGF-HOLD"

# ---------------------------------------------------------------------------------------------
# Vocabulary of the request format
# ---------------------------------------------------------------------------------------------
CONSUMER = "consumer"
# §1006.6(a): persons who count as the consumer for §1006.6.
CONSUMER_PARTIES = frozenset(
    {
        CONSUMER,
        "spouse",
        "parent_of_minor",
        "guardian",
        "executor",
        "administrator",
        "successor_in_interest",
    }
)
# §1006.6(d)(1)(ii)-(vi): not third parties; calls to them are excluded (§1006.14(b)(3)(iii)).
EXEMPT_PARTIES = frozenset(
    {
        "consumer_attorney",
        "consumer_reporting_agency",
        "creditor",
        "creditor_attorney",
        "collector_attorney",
    }
)
CALL_CHANNELS = frozenset({"phone", "ringless_voicemail"})  # cmt. 14(b)-1: ringless voicemail
WRITTEN_CHANNELS = frozenset({"letter", "email", "sms", "im", "social_media", "portal", "fax"})
ELECTRONIC_CHANNELS = frozenset({"email", "sms", "im", "social_media"})
CONTACT_CHANNELS = CALL_CHANNELS | WRITTEN_CHANNELS | {"visit"}
ORAL_CHANNELS = CALL_CHANNELS | {"visit"}
UNTIMED_CHANNELS = frozenset({"letter"})  # a letter is mailed, not delivered at a chosen hour
FURNISH = "cra_furnishing"
NOT_CONNECTED = frozenset({"busy", "not_in_service"})  # §1006.14(b)(3)(ii), cmt. 14(b)(3)(ii)-1
CONVERSATION_OUTCOMES = frozenset({"conversation", "conversation_dropped"})
LIMITED_CONTENT = "limited_content_message"

# cmts. 14(b)(2)(ii)-2.i to .iv: purposes that may rebut a presumed violation. A "one-time"
# discount the collector controls does not (cmt. 14(b)(2)(ii)-2.iv.C).
REBUTTAL_PURPOSES: Mapping[str, tuple[str, str]] = {
    "legally_required": ("required by applicable law", "依适用法律要求"),
    "active_litigation": ("directly related to active litigation", "与进行中的诉讼直接相关"),
    "respond_to_consumer_information_request": (
        "answering the consumer's request for information",
        "回应债务人的信息请求",
    ),
    "complete_dropped_settlement_conversation": (
        "completing a dropped settlement conversation",
        "继续被中断的和解通话",
    ),
    "time_sensitive_negative_effect_outside_collector_control": (
        "a time-critical warning about a harm outside the collector's control",
        "提示债务人避免催收方无法控制的紧迫不利后果",
    ),
}
NOT_REBUTTING = frozenset({"discount_offer_collector_controlled"})

CEASE_TYPES = frozenset({"cease_communication", "refusal_to_pay"})
# §1006.6(c)(2): notices still allowed after a cease or refusal-to-pay notice.
CEASE_EXCEPTIONS = frozenset(
    {
        "termination_of_efforts_notice",
        "remedies_notice",
        "specific_remedy_notice",
        "notice_of_specific_remedy",
    }
)
DISPUTE_RESOLVERS = frozenset(
    {"verification_sent", "judgment_copy_sent", "duplicative_dispute_notice"}
)
CREDITOR_RESOLVERS = frozenset(
    {"original_creditor_information_sent", "original_creditor_same_notice"}
)
LEGAL_ACTION_FLAGS = frozenset({"threat_of_legal_action", "legal_action", "lawsuit"})
LEGAL_ACTION_KINDS = frozenset({"legal_action", "lawsuit", "file_lawsuit", "summons"})
HOLD_LIFTED = frozenset({"lifted", "ended", "released"})
REVOKED = frozenset({"revoked", "withdrawn"})
_MEDIA = {
    "phone": "phone",
    "call": "phone",
    "calls": "phone",
    "telephone": "phone",
    "voice": "phone",
    "ringless_voicemail": "phone",
    "voicemail": "phone",
    "sms": "sms",
    "text": "sms",
    "text_message": "sms",
    "email": "email",
    "letter": "letter",
    "mail": "letter",
    "visit": "visit",
    "im": "im",
    "social_media": "social_media",
    "portal": "portal",
    "fax": "fax",
}
_ELECTRONIC_MEDIUM = "electronic"  # an opt-out of every electronic medium (§1006.6(e))
_CONSENT_LIFTS_OPT_OUT = {"sms": "text_number", "email": "email_address"}
_ANY_DEBT = "(any debt)"

_ENVELOPE_WORDS = re.compile(
    r"\b(debts?|collect\w*|past[ -]?due|overdue|delinquen\w*|arrears|owed?|owing|recovery|"
    r"repossess\w*|final notice|default\w*)\b",
    re.IGNORECASE,
)
_OPT_OUT_WORDS = re.compile(r"\bstop\b|opt[ -]?out|unsubscribe")
_INITIAL_COLLECT = re.compile(r"\battempt(?:ing|s)? to collect (?:a |the |this |your )?debt\b")
_INITIAL_PURPOSE = re.compile(
    r"\binformation (?:we |that we |you )?(?:obtain|obtained|provide|given) "
    r"(?:will|shall|may) be used for (?:that|this) purpose\b"
)
_LATER_DISCLOSURE = re.compile(
    r"\b(?:from|by) (?:a|the|your) debt collector\b|\bis a debt collector\b"
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class USParams:
    """Every number of the pack (COMPLIANCE-RULES.md §3). Defaults are the federal ones."""

    calls_cap: int = 7  # §1006.14(b)(2)(i)(A): not more than 7 calls …
    calls_window_days: int = 7  # … within 7 consecutive days
    conversation_cooldown_days: int = 7  # §1006.14(b)(2)(i)(B), conversation day is day 1
    call_consent_days: int = 7  # §1006.14(b)(3)(i): consent day is day 1
    window_start: time = time(8, 0)  # §1006.6(b)(1)(i)
    window_end: time = time(21, 0)
    window_end_inclusive: bool = True  # 21:00 itself is allowed
    validation_receipt_business_days: int = 5  # §1006.34(b)(5)
    validation_period_days: int = 30
    furnishing_wait_days: int = 14  # cmt. 30(a)(1)-2
    sms_per_day: int | None = None  # §1006.14(a): no federal number
    email_per_day: int | None = None
    rapid_calls: int = 2  # cmt. 14(b)(2)(i)-2.i: 2 calls to one number within 5 minutes
    rapid_window: timedelta = timedelta(minutes=5)
    concentrated_calls_per_day: int = 7  # … or 7 to one number in one day
    text_safe_harbor_days: int = 60  # §1006.6(d)(5)
    creditor_notice_min_days: int = 35  # §1006.6(d)(4)(ii)(C)(5)
    consent_call_at_minutes: int = 60  # how long "call me at 22:00" consent lasts
    default_zones: tuple[str, ...] = (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
    )

    def tighten(self, other: USParams) -> USParams:
        """The stricter of ``self`` and ``other`` in every item (a state or institution overlay)."""
        if self.window_end < other.window_end:
            end, inclusive = self.window_end, self.window_end_inclusive
        elif other.window_end < self.window_end:
            end, inclusive = other.window_end, other.window_end_inclusive
        else:
            end = self.window_end
            inclusive = self.window_end_inclusive and other.window_end_inclusive
        return USParams(
            calls_cap=min(self.calls_cap, other.calls_cap),
            calls_window_days=max(self.calls_window_days, other.calls_window_days),
            conversation_cooldown_days=max(
                self.conversation_cooldown_days, other.conversation_cooldown_days
            ),
            call_consent_days=min(self.call_consent_days, other.call_consent_days),
            window_start=max(self.window_start, other.window_start),
            window_end=end,
            window_end_inclusive=inclusive,
            validation_receipt_business_days=max(
                self.validation_receipt_business_days, other.validation_receipt_business_days
            ),
            validation_period_days=max(self.validation_period_days, other.validation_period_days),
            furnishing_wait_days=max(self.furnishing_wait_days, other.furnishing_wait_days),
            sms_per_day=_min_cap(self.sms_per_day, other.sms_per_day),
            email_per_day=_min_cap(self.email_per_day, other.email_per_day),
            rapid_calls=min(self.rapid_calls, other.rapid_calls),
            rapid_window=max(self.rapid_window, other.rapid_window),
            concentrated_calls_per_day=min(
                self.concentrated_calls_per_day, other.concentrated_calls_per_day
            ),
            text_safe_harbor_days=min(self.text_safe_harbor_days, other.text_safe_harbor_days),
            creditor_notice_min_days=max(
                self.creditor_notice_min_days, other.creditor_notice_min_days
            ),
            consent_call_at_minutes=min(
                self.consent_call_at_minutes, other.consent_call_at_minutes
            ),
            default_zones=tuple(dict.fromkeys((*self.default_zones, *other.default_zones))),
        )

    def loosened(self, base: USParams) -> tuple[str, ...]:
        """The items in which ``self`` is looser than ``base`` (empty: an overlay may use it)."""
        strictest = base.tighten(self)
        names = []
        for item in fields(self):
            mine, strict = getattr(self, item.name), getattr(strictest, item.name)
            if item.name == "default_zones":
                if set(mine) != set(strict):
                    names.append(item.name)
            elif mine != strict:
                names.append(item.name)
        return tuple(names)

    def validate(self) -> None:
        if self.calls_cap < 1 or self.calls_window_days < 1 or self.call_consent_days < 1:
            raise ValueError("USParams: call cap and windows must be at least 1")
        if self.rapid_calls < 2 or self.concentrated_calls_per_day < 2:
            raise ValueError("USParams: concentration thresholds must be at least 2 calls")
        if not self.default_zones:
            raise ValueError("USParams: default_zones must name at least one zone")


def _min_cap(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


FEDERAL = USParams()


# ---------------------------------------------------------------------------------------------
# US federal holidays (5 U.S.C. 6103(a)) and the validation period (§1006.34(b)(5))
# ---------------------------------------------------------------------------------------------
def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


@cache
def us_federal_holidays(year: int) -> frozenset[date]:
    """Legal public holidays of 5 U.S.C. 6103(a), plus the Friday or Monday each fixed-date
    holiday is observed on when it falls on a weekend (both are treated as days off)."""
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    if year >= 2021:
        fixed.append(date(year, 6, 19))  # Juneteenth
    observed = []
    for day in fixed:
        if day.weekday() == 5:
            observed.append(day - timedelta(days=1))
        elif day.weekday() == 6:
            observed.append(day + timedelta(days=1))
    floating = [
        _nth_weekday(year, 1, 0, 3),  # Birthday of Martin Luther King, Jr.
        _nth_weekday(year, 2, 0, 3),  # Washington's Birthday
        _last_weekday(year, 5, 0),  # Memorial Day
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Columbus Day
        _nth_weekday(year, 11, 3, 4),  # Thanksgiving Day
    ]
    return frozenset((*fixed, *observed, *floating))


def is_us_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in us_federal_holidays(day.year)


def add_us_business_days(start: date, days: int) -> date:
    """The date ``days`` business days after ``start`` (weekends and federal holidays skipped)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_us_business_day(current):
            left -= 1
    return current


def validation_period_end(provided: date, params: USParams = FEDERAL) -> date:
    """§1006.34(b)(5): receipt assumed 5 business days after the information is provided; the
    period ends 30 days after receipt."""
    received = add_us_business_days(provided, params.validation_receipt_business_days)
    return received + timedelta(days=params.validation_period_days)


# ---------------------------------------------------------------------------------------------
# Small helpers on events
# ---------------------------------------------------------------------------------------------
def _party(event: Event) -> str:
    return event.party or CONSUMER


def _is_consumer(party: str) -> bool:
    return party in CONSUMER_PARTIES


def _is_third_party(party: str) -> bool:
    return party not in CONSUMER_PARTIES and party not in EXEMPT_PARTIES


def _outbound(event: Event) -> bool:
    return event.direction in (None, "outbound")


def _inbound(event: Event) -> bool:
    return event.direction == "inbound"


def _medium(channel: str | None) -> str:
    if channel is None:
        return ""
    return _MEDIA.get(channel.lower(), channel.lower())


def _who(party: str) -> tuple[str, str]:
    if party == CONSUMER:
        return "the consumer", "债务人"
    return party, party


def _is_conversation(event: Event) -> bool:
    """A telephone conversation, whoever placed the call (cmt. 14(b)(2)(i)-1.ii)."""
    if event.channel != "phone":
        return False
    if event.outcome in CONVERSATION_OUTCOMES:
        return True
    # A call the person placed to the collector with no outcome recorded: a conversation.
    return _inbound(event) and event.outcome is None


def _is_communication(event: Event) -> bool:
    """Whether an outbound event conveyed information about a debt (§1006.2(d))."""
    if event.content_type == LIMITED_CONTENT or event.outcome == "voicemail_limited_content":
        return False
    if event.channel in ORAL_CHANNELS:
        return event.outcome in CONVERSATION_OUTCOMES or bool(event.content)
    if event.channel in WRITTEN_CHANNELS:
        return event.status != "returned_undeliverable"
    return False


def _normal(text: str) -> str:
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def _fmt(moment: datetime) -> str:
    return moment.isoformat()


def _block(message: str, message_zh: str) -> Finding:
    return Finding(Effect.BLOCK, message, message_zh)


def _defer(until: datetime, message: str, message_zh: str, *, override: bool = False) -> Finding:
    return Finding(
        Effect.DEFER, message, message_zh, next_allowed_at=until, override_eligible=override
    )


def _warn(message: str, message_zh: str, *, override: bool = False) -> Finding:
    return Finding(Effect.WARN, message, message_zh, override_eligible=override)


@dataclass(frozen=True, slots=True)
class _Consent:
    event: Event
    groups: frozenset[str]
    days: frozenset[date]


@dataclass(frozen=True, slots=True)
class _Load:
    """The calls and conversations that limit a proposed call about one particular debt."""

    group: str
    calls: tuple[date, ...]  # counted call days inside the window, latest first
    conversation: date | None  # the latest conversation day inside the cool-down
    exempt: bool  # the proposed call itself falls under the person's prior consent
    cap_clear: date | None  # first day the cap allows a call again (None: allows now)
    talk_clear: date | None  # first day after the cool-down (None: allows now)

    @property
    def clear(self) -> date | None:
        days = [day for day in (self.cap_clear, self.talk_clear) if day is not None]
        return max(days) if days else None


# ---------------------------------------------------------------------------------------------
# What the rules read: computed once per request, on demand
# ---------------------------------------------------------------------------------------------
class _Facts:
    def __init__(self, request: CheckRequest, params: USParams) -> None:
        self.request = request
        self.params = params
        self.p = request.proposed
        self.moment = request.proposed.datetime
        self.person = _party(request.proposed)

    # -- the proposed contact ----------------------------------------------------------------
    @cached_property
    def is_contact(self) -> bool:
        """An outbound communication or attempt (not furnishing, not an internal note)."""
        return _outbound(self.p) and self.p.channel not in _NON_CONTACT

    @cached_property
    def to_consumer(self) -> bool:
        return self.is_contact and _is_consumer(self.person)

    @cached_property
    def medium(self) -> str:
        return _medium(self.p.channel)

    @cached_property
    def proposed_debts(self) -> frozenset[str]:
        return self.debts(
            self.p.debt_ids + ((self.p.counted_toward,) if self.p.counted_toward else ())
        )

    # -- time --------------------------------------------------------------------------------
    @cached_property
    def zones(self) -> tuple[ZoneInfo, ...]:
        debtor = self.request.debtor
        names = [debtor.timezone] if debtor.timezone else []
        names += [
            signal.timezone
            for signal in debtor.location_signals
            if signal.timezone and signal.timezone != "None"
        ]
        if not names:
            names = list(self.params.default_zones)
        zones = []
        for name in dict.fromkeys(names):
            try:
                zones.append(ZoneInfo(name))
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise RequestError(f"debtor: unknown time zone {name!r}") from exc
        return tuple(zones)

    @cached_property
    def zone(self) -> ZoneInfo:
        return self.zones[0]

    def day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    @cached_property
    def today(self) -> date:
        return self.day(self.moment)

    def start_of(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone)

    # -- debts -------------------------------------------------------------------------------
    @cached_property
    def group_of(self) -> dict[str, str]:
        return {debt.id: debt.group or debt.id for debt in self.request.debts}

    @cached_property
    def all_debts(self) -> frozenset[str]:
        ids = {debt.id for debt in self.request.debts} | self._index.debt_ids
        ids.update(self.p.debt_ids, self.p.discussed_debt_ids)
        for one in (self.p.counted_toward, self.p.counted_conversation_toward):
            if one:
                ids.add(one)
        return frozenset(ids)

    @cached_property
    def all_groups(self) -> frozenset[str]:
        groups = frozenset(self.group_of.get(debt, debt) for debt in self.all_debts)
        return groups or frozenset({_ANY_DEBT})

    def debts(self, ids: Iterable[str]) -> frozenset[str]:
        chosen = frozenset(ids)
        return chosen or self.all_debts

    def groups(self, ids: Iterable[str]) -> frozenset[str]:
        chosen = frozenset(self.group_of.get(debt, debt) for debt in ids)
        return chosen or self.all_groups

    def label(self, group: str) -> str:
        members = sorted(debt for debt, owner in self.group_of.items() if owner == group)
        if not members or members == [group]:
            return group
        return f"{group} ({', '.join(members)})"

    # -- one pass over the earlier events ----------------------------------------------------
    def _upto(self, events: tuple[Event, ...], latest: datetime | None) -> tuple[Event, ...]:
        if latest is None or latest <= self.moment:
            return events
        moment = self.moment
        return tuple(event for event in events if event.datetime <= moment)

    @cached_property
    def _index(self) -> _Index:
        return _index(self.request.events)

    @cached_property
    def _by_channel(self) -> dict[str, tuple[Event, ...]]:
        index = self._index
        return {
            channel: self._upto(events, index.latest)
            for channel, events in index.by_channel.items()
        }

    def of(self, *channels: str) -> Iterator[Event]:
        for channel in channels:
            yield from self._by_channel.get(channel, ())

    @cached_property
    def contacts(self) -> tuple[Event, ...]:
        """Earlier contact events (any direction), unordered."""
        return self._upto(self._index.contacts, self._index.latest)

    def calls_since(self, start: datetime) -> tuple[Event, ...]:
        """Phone and ringless-voicemail events from ``start`` up to the proposed moment."""
        index = self._index
        low = bisect_left(index.call_stamps, start.timestamp())
        high = bisect_right(index.call_stamps, self.moment.timestamp())
        return index.calls[low:high]

    @cached_property
    def typed(self) -> tuple[Event, ...]:
        """Earlier contact events that carry a ``content_type`` (notices, disputes, STOP …)."""
        return self._upto(self._index.typed, self._index.latest)

    @cached_property
    def last_inbound(self) -> dict[tuple[str, str], datetime]:
        """Latest inbound contact per (person, medium); medium "" means any medium."""
        latest: dict[tuple[str, str], datetime] = {}
        for event in self.contacts:
            if _inbound(event):
                for key in ((_party(event), _medium(event.channel)), (_party(event), "")):
                    if key not in latest or latest[key] < event.datetime:
                        latest[key] = event.datetime
        return latest

    @cached_property
    def last_outbound(self) -> dict[tuple[str, str], datetime]:
        latest: dict[tuple[str, str], datetime] = {}
        for event in self.contacts:
            if _outbound(event):
                for key in ((_party(event), _medium(event.channel)), (_party(event), "")):
                    if key not in latest or latest[key] < event.datetime:
                        latest[key] = event.datetime
        return latest

    def reply_once(self, medium: str, *, after: datetime | None = None) -> bool:
        """The contact answers a message the person started, through the same medium (or any
        medium when ``medium`` is ""), and nothing has been sent back since (cmts. 6(b)(1)-2,
        6(b)(2)-1; §1006.14(h)(2)(ii))."""
        if not self.p.in_reply_to_consumer_message:
            return False
        started = self.last_inbound.get((self.person, medium))
        if started is None or (after is not None and started <= after):
            return False
        answered = self.last_outbound.get((self.person, medium))
        return answered is None or answered < started

    @cached_property
    def reassigned(self) -> frozenset[tuple[str, str]]:
        """(person, number) pairs found not to be that person's (cmt. 14(b)(2)(i)-3)."""
        pairs = set()
        for event in self.of("data_update"):
            if "number_reassigned" in (event.update, event.content_type):
                for number in (event.to_number, event.from_number):
                    if number:
                        pairs.add((_party(event), number))
        return frozenset(pairs)

    def misdirected(self, event: Event) -> bool:
        number = event.to_number or event.from_number
        return number is not None and (_party(event), number) in self.reassigned

    # -- consent -----------------------------------------------------------------------------
    @cached_property
    def consents(self) -> dict[str, list[Event]]:
        """Consent events given directly to the collector, by type."""
        by_type: dict[str, list[Event]] = defaultdict(list)
        for event in self.of("consent"):
            # A withdrawal counts however it reached the collector.
            if event.consent_type and (
                event.given_directly_to_collector or event.status in REVOKED
            ):
                by_type[event.consent_type].append(event)
        return by_type

    def revoked(self, consent: Event, until: datetime) -> bool:
        """Whether a later ``status: revoked`` consent of the same type withdrew ``consent``."""
        for other in self.consents.get(consent.consent_type or "", ()):
            if (
                other.status in REVOKED
                and consent.datetime < other.datetime <= until
                and _party(other) == _party(consent)
                and self.debts(other.consent_scope_debt_ids or other.debt_ids)
                & self.debts(consent.consent_scope_debt_ids or consent.debt_ids)
            ):
                return True
        return False

    def consented(self, consent_type: str, *, place: str | None = None) -> bool:
        """Prior consent of this type for the proposed contact (§1006.6(b)(4)(i))."""
        for consent in self.consents.get(consent_type, ()):
            if consent.status in REVOKED or self.revoked(consent, self.moment):
                continue
            if _party(consent) != self.person:
                continue
            scope = consent.consent_scope_debt_ids or consent.debt_ids
            if scope and not self.proposed_debts <= frozenset(scope):
                continue
            if consent.consent_valid_dates and self.today not in consent.consent_valid_dates:
                continue
            consent_place = consent.number_place or consent.location
            if place is not None and consent_place is not None and consent_place != place:
                continue
            if consent.consent_to_call_at and not self._within_stated_time(consent):
                continue
            return True
        return False

    def _within_stated_time(self, consent: Event) -> bool:
        stated = (consent.consent_to_call_at or "").strip()
        local = self.moment.astimezone(self.zone)
        length = timedelta(minutes=self.params.consent_call_at_minutes)
        try:
            if "T" in stated:
                start = datetime.fromisoformat(stated)
                if start.tzinfo is None:
                    start = start.replace(tzinfo=self.zone)
                return start <= self.moment < start + length
            if "-" in stated:
                first, last = (time.fromisoformat(part.strip()) for part in stated.split("-", 1))
                now = local.time().replace(tzinfo=None)
                if first <= last:
                    return first <= now <= last
                return now >= first or now <= last
            first = time.fromisoformat(stated)
        except ValueError:
            return False  # unreadable: do not rely on it
        opening = datetime.combine(local.date(), first, tzinfo=self.zone)
        return opening <= local < opening + length

    @cached_property
    def call_consents(self) -> dict[str, list[_Consent]]:
        """Consents to additional calls (§1006.14(b)(3)(i)), by person."""
        span = self.params.call_consent_days
        by_person: dict[str, list[_Consent]] = defaultdict(list)
        for event in self.consents.get("additional_calls", ()):
            if event.status in REVOKED:
                continue
            first = self.day(event.datetime)
            days = {first + timedelta(days=offset) for offset in range(span)}
            if event.consent_valid_dates:
                days &= set(event.consent_valid_dates)
            groups = self.groups(event.consent_scope_debt_ids or event.debt_ids)
            by_person[_party(event)].append(_Consent(event, groups, frozenset(days)))
        return by_person

    def call_exempt(self, person: str, group: str, moment: datetime, day: date) -> bool:
        """A call at ``moment`` to ``person`` about ``group`` placed under prior consent: within
        its days, before any later conversation about the debt and before revocation."""
        for consent in self.call_consents.get(person, ()):
            given = consent.event.datetime
            if given > moment or day not in consent.days or group not in consent.groups:
                continue
            if self.talked_between(person, group, given, moment):
                continue
            if self.revoked(consent.event, moment):
                continue
            return True
        return False

    # -- calls and conversations -------------------------------------------------------------
    @cached_property
    def conversations(self) -> dict[tuple[str, str], list[datetime]]:
        """Moments of telephone conversations per (person, particular debt), sorted."""
        talks: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        # Older conversations matter neither for the cool-down nor for ending a consent that
        # could still cover a call inside the window.
        since = self.window_opens - timedelta(days=self.params.call_consent_days)
        for event in self.calls_since(since):
            if not _is_conversation(event) or self.misdirected(event):
                continue
            person = _party(event)
            if person in EXEMPT_PARTIES:
                continue
            discussed = event.discussed_debt_ids or event.debt_ids
            if not discussed and event.counted_conversation_toward:
                discussed = (event.counted_conversation_toward,)
            for group in self.groups(discussed):
                talks[(person, group)].append(event.datetime)
        for moments in talks.values():
            moments.sort()
        return talks

    def talked_between(self, person: str, group: str, after: datetime, before: datetime) -> bool:
        moments = self.conversations.get((person, group), [])
        at = bisect_right(moments, after)
        return at < len(moments) and moments[at] < before

    def call_groups(self, event: Event) -> frozenset[str]:
        """The particular debts an earlier call counts toward (cmts. 14(b)(4)-1.i, -2)."""
        if event.counted_toward:
            return self.groups((event.counted_toward,))
        return self.groups(event.debt_ids)

    def counts(self, event: Event) -> bool:
        """Whether an earlier outbound call counts at all (§1006.14(b)(3), cmt. 14(b)(2)(i)-3)."""
        return not (
            event.outcome in NOT_CONNECTED
            or event.excluded_by
            or _party(event) in EXEMPT_PARTIES
            or self.misdirected(event)
        )

    @cached_property
    def window_opens(self) -> datetime:
        """Start of the earliest local day any frequency window reaches back to."""
        reach = max(self.params.calls_window_days, self.params.conversation_cooldown_days)
        return self.start_of(self.today - timedelta(days=reach - 1)).astimezone(UTC)

    @cached_property
    def recent_calls(self) -> tuple[Event, ...]:
        """Outbound calls to the proposed person since the window opened (any outcome)."""
        return tuple(
            event
            for event in self.calls_since(self.window_opens)
            if _outbound(event) and _party(event) == self.person
        )

    def load(self, group: str) -> _Load:
        params = self.params
        today = self.today
        first_call_day = today - timedelta(days=params.calls_window_days - 1)
        days = []
        for event in self.recent_calls:
            if not self.counts(event) or group not in self.call_groups(event):
                continue
            day = self.day(event.datetime)
            if day < first_call_day:
                continue
            if self.call_exempt(self.person, group, event.datetime, day):
                continue
            days.append(day)
        days.sort(reverse=True)
        cap_clear = None
        if len(days) + 1 > params.calls_cap:
            cap_clear = days[params.calls_cap - 1] + timedelta(days=params.calls_window_days)
        first_talk_day = today - timedelta(days=params.conversation_cooldown_days - 1)
        talks = self.conversations.get((self.person, group), [])
        latest = self.day(talks[-1]) if talks else None
        conversation = latest if latest is not None and latest >= first_talk_day else None
        talk_clear = None
        if conversation is not None:
            talk_clear = conversation + timedelta(days=params.conversation_cooldown_days)
        exempt = self.call_exempt(self.person, group, self.moment, today)
        return _Load(group, tuple(days), conversation, exempt, cap_clear, talk_clear)

    @cached_property
    def frequency(self) -> tuple[_FrequencyFinding, ...]:
        """Both call-frequency prongs, computed once for the two rules that report them."""
        return _frequency(self)

    def next_consent_day(self, group: str, before: date) -> date | None:
        """The first day after today, before ``before``, that a consent covers calls about
        ``group``."""
        best = None
        for consent in self.call_consents.get(self.person, ()):
            if group not in consent.groups or self.talked_between(
                self.person, group, consent.event.datetime, self.moment
            ):
                continue
            for day in consent.days:
                if self.today < day < before and (best is None or day < best):
                    best = day
        return best


_NON_CONTACT = frozenset(
    {
        "consent",
        "data_update",
        "creditor_notice",
        "undeliverable_notice",
        FURNISH,
        "medium_opt_out",
        INCONVENIENT_TIME,
        "hold",
        "internal",
        "note",
    }
)


class _Index:
    """A request's events read once per events tuple (the engine's deferral steps move the
    proposed time but keep the same events); the parts past the channel index are computed only
    when a rule needs them."""

    def __init__(self, events: tuple[Event, ...]) -> None:
        self.events = events
        by_channel: dict[str, list[Event]] = defaultdict(list)
        for event in events:
            by_channel[event.channel].append(event)
        self.by_channel = {channel: tuple(listed) for channel, listed in by_channel.items()}

    @cached_property
    def latest(self) -> datetime | None:
        return max((event.datetime for event in self.events), default=None)

    @cached_property
    def contacts(self) -> tuple[Event, ...]:
        return tuple(
            event
            for channel, listed in self.by_channel.items()
            if channel not in _NON_CONTACT
            for event in listed
        )

    @cached_property
    def typed(self) -> tuple[Event, ...]:
        return tuple(event for event in self.contacts if event.content_type is not None)

    @cached_property
    def _stamped(self) -> list[tuple[float, Event]]:
        return sorted(
            (
                (event.datetime.timestamp(), event)
                for channel in CALL_CHANNELS
                for event in self.by_channel.get(channel, ())
            ),
            key=lambda pair: pair[0],
        )

    @cached_property
    def calls(self) -> tuple[Event, ...]:
        """Phone and ringless-voicemail events in time order …"""
        return tuple(event for _, event in self._stamped)

    @cached_property
    def call_stamps(self) -> tuple[float, ...]:
        """… and their POSIX timestamps, for bisecting a window."""
        return tuple(stamp for stamp, _ in self._stamped)

    @cached_property
    def debt_ids(self) -> frozenset[str]:
        ids: set[str] = set()
        for event in self.events:
            ids.update(event.debt_ids)
            ids.update(event.discussed_debt_ids)
            for one in (event.counted_toward, event.counted_conversation_toward):
                if one:
                    ids.add(one)
        return frozenset(ids)

    @cached_property
    def first_communications(self) -> tuple[datetime | None, datetime | None]:
        """The first communication with the consumer (an outbound one, or a call the consumer
        started), and the first outbound written one (§1006.18(e)(1))."""
        first: datetime | None = None
        written: datetime | None = None
        for event in self.contacts:
            if not _is_consumer(_party(event)):
                continue
            if _outbound(event) and _is_communication(event):
                moment = event.datetime
                if first is None or moment < first:
                    first = moment
                if event.channel in WRITTEN_CHANNELS and (written is None or moment < written):
                    written = moment
            elif (
                _inbound(event)
                and _is_conversation(event)
                and (first is None or event.datetime < first)
            ):
                first = event.datetime
        return first, written


_INDEXED: list[_Index] = []


def _index(events: tuple[Event, ...]) -> _Index:
    if _INDEXED and _INDEXED[0].events is events:
        return _INDEXED[0]
    index = _Index(events)
    _INDEXED[:] = [index]
    return index


_LAST: list[tuple[CheckRequest, USParams, _Facts]] = []


def _facts(request: CheckRequest, params: USParams) -> _Facts:
    """The facts of ``request``; the rules of one check share them (the engine runs every rule
    on the same request object, one after the other)."""
    if _LAST:
        last_request, last_params, facts = _LAST[0]
        if last_request is request and (last_params is params or last_params == params):
            return facts
    facts = _Facts(request, params)
    _LAST[:] = [(request, params, facts)]
    return facts


# ---------------------------------------------------------------------------------------------
# §1006.6(b): times, places, attorney, employer
# ---------------------------------------------------------------------------------------------
def _designated_clear(facts: _Facts) -> datetime | None:
    """The first moment at or after the proposed one outside every designated inconvenient time
    in every plausible zone; ``None`` if none within a year (always inconvenient)."""
    return designated_clear(facts.moment, facts.zones, facts.request.debtor.inconvenient_times)


def _check_time(facts: _Facts) -> Iterator[Finding]:
    """§1006.6(b)(1)(i): before 8:00 or after 21:00 local time in any plausible zone, and times
    the consumer or creditor designated as inconvenient (cmt. 6(b)(1)-1)."""
    if not facts.to_consumer or facts.p.channel in UNTIMED_CHANNELS:
        return
    if facts.consented("inconvenient_time"):
        return
    params = facts.params
    zones = facts.zones
    inclusive = params.window_end_inclusive
    start, end = params.window_start, params.window_end
    window = f"{start:%H:%M}-{end:%H:%M}"
    names = ", ".join(str(zone) for zone in zones)
    if not allowed_everywhere(facts.moment, zones, start, end, end_inclusive=inclusive):
        later = next_allowed(facts.moment, zones, start, end, end_inclusive=inclusive)
        local = facts.moment.astimezone(facts.zone)
        if later is None:
            yield _block(
                f"{local:%Y-%m-%d %H:%M} ({facts.zone}) is outside {window} in at least one of "
                f"the consumer's plausible time zones ({names}), and the windows never overlap",
                f"债务人可能所在的时区（{names}）的{window}允许时段没有交集，"
                f"{local:%Y-%m-%d %H:%M}（{facts.zone}）不在允许时段内",
            )
        else:
            yield _defer(
                later,
                f"{local:%Y-%m-%d %H:%M} ({facts.zone}) is outside {window} local time in at "
                f"least one of the consumer's plausible time zones ({names}); first allowed "
                f"{_fmt(later)}",
                f"{local:%Y-%m-%d %H:%M}（{facts.zone}）不在债务人可能所在时区（{names}）的"
                f"当地{window}之内；最早可于{_fmt(later)}联系",
            )
    if facts.request.debtor.inconvenient_times and not facts.reply_once(facts.medium):
        clear = _designated_clear(facts)
        if clear is None:
            yield _block(
                "the consumer designated every time in the coming year as inconvenient",
                "债务人已将未来一年的所有时间指定为不便联系时间",
            )
        elif clear > facts.moment:
            yield _defer(
                clear,
                f"the consumer or the creditor's notes designated this time as inconvenient; "
                f"the designated time ends {_fmt(clear)}",
                f"债务人或债权人记录已将此时间指定为不便联系时间，至{_fmt(clear)}结束",
            )


def _place(facts: _Facts) -> str | None:
    proposed = facts.p
    if proposed.number_place:
        return proposed.number_place
    places = facts.request.debtor.number_places
    for key in (proposed.to_number, proposed.to_address):
        if key is not None and places.get(key):
            return places[key]
    if proposed.channel == "visit" and proposed.location:
        return proposed.location
    return None


def _check_place(facts: _Facts) -> Iterator[Finding]:
    """§1006.6(b)(1)(ii), cmt. 6(b)(1)(ii)-1: media tied to a designated inconvenient place."""
    if not facts.to_consumer:
        return
    place = _place(facts)
    if place is None or place not in facts.request.debtor.inconvenient_places:
        return
    if facts.consented("inconvenient_place", place=place) or facts.reply_once(facts.medium):
        return
    yield _block(
        f"the consumer designated {place} as an inconvenient place and this "
        f"{facts.p.channel} contact reaches them there",
        f"债务人已将{place}指定为不便联系地点，此次{facts.p.channel}联系指向该地点",
    )


def _check_attorney(facts: _Facts) -> Iterator[Finding]:
    """§1006.6(b)(2): a consumer represented by an attorney about the debt, once the collector
    knows the attorney's name and address. The collector may answer a message the consumer
    starts, once (cmt. 6(b)(2)-1). The attorney's consent or silence is not modelled."""
    represented = facts.request.debtor.represented_by_attorney
    if not facts.to_consumer or represented is None or not represented.attorney_known:
        return
    if represented.since is not None and represented.since > facts.today:
        return
    covered = sorted(facts.debts(represented.debt_ids) & facts.proposed_debts)
    if not covered or facts.reply_once(""):
        return
    debts = ", ".join(covered)
    yield _block(
        f"the consumer is represented by an attorney about {debts}; contact the attorney",
        f"债务人就{debts}已委托律师，应联系其律师",
    )


def _check_employer(facts: _Facts) -> Iterator[Finding]:
    """§1006.6(b)(3): the employer prohibits the consumer from receiving such contacts at work."""
    if not facts.to_consumer or not facts.request.debtor.employer_prohibits_contact:
        return
    at_work = _place(facts) == "work" or (
        facts.p.channel == "email" and bool(facts.p.address_known_employer_provided)
    )
    if not at_work or facts.consented("inconvenient_place", place="work"):
        return
    yield _block(
        f"the consumer's employer prohibits collection contacts at work; this "
        f"{facts.p.channel} contact reaches the consumer at work",
        f"债务人的雇主禁止在工作场所接收催收联系，此次{facts.p.channel}联系指向工作场所",
    )


# ---------------------------------------------------------------------------------------------
# §1006.6(c), (d), (e) and §1006.10
# ---------------------------------------------------------------------------------------------
def _check_cease(facts: _Facts) -> Iterator[Finding]:
    """§1006.6(c): after a written or electronic refusal to pay or cease notice, effective on
    receipt (cmt. 6(c)(1)-1), only the notices of §1006.6(c)(2) may follow."""
    if not facts.to_consumer:
        return
    proposed = facts.p
    if proposed.content_type in CEASE_EXCEPTIONS or proposed.purpose == "legally_required":
        return
    stopped: dict[str, date] = {}
    for event in facts.typed:
        if (
            _inbound(event)
            and event.content_type in CEASE_TYPES
            and event.channel in WRITTEN_CHANNELS
            and _is_consumer(_party(event))
        ):
            for debt in facts.debts(event.debt_ids) & facts.proposed_debts:
                day = facts.day(event.datetime)
                if debt not in stopped or day < stopped[debt]:
                    stopped[debt] = day
    if not stopped:
        return
    debts = ", ".join(sorted(stopped))
    since = min(stopped.values()).isoformat()
    yield _block(
        f"the consumer asked in writing to stop communication or refused to pay ({debts}, "
        f"received {since}); only a notice that efforts end or of a remedy may be sent",
        f"债务人已书面要求停止联系或拒绝还款（{debts}，{since}收到）；"
        f"只能发送终止催收或采取特定措施的通知",
    )


def _third_party_consent(facts: _Facts) -> bool:
    for consent in facts.consents.get("third_party_contact", ()):
        if consent.status in REVOKED or facts.revoked(consent, facts.moment):
            continue
        if _party(consent) in (CONSUMER, facts.person):
            return True
    return False


def _check_third_party(facts: _Facts) -> Iterator[Finding]:
    """§1006.6(d)(1)-(2): third parties only to acquire location information, with the
    consumer's prior consent given directly, or with court permission."""
    if not facts.is_contact or not _is_third_party(facts.person):
        return
    if facts.p.purpose in ("location_information", "court_permitted", "postjudgment_remedy"):
        return
    if _third_party_consent(facts):
        return
    purpose = facts.p.purpose or "collection"
    yield _block(
        f"{facts.person} is a third party; contact is allowed only to acquire location "
        f"information or with the consumer's consent (purpose here: {purpose})",
        f"{facts.person}为第三方，仅可为获取位置信息或经债务人同意后联系（本次目的：{purpose}）",
    )


def _check_location_form(facts: _Facts) -> Iterator[Finding]:
    """§1006.10(b): a location contact must not say the consumer owes a debt, and after the
    collector knows of the consumer's attorney goes only to that attorney (§1006.10(b)(5))."""
    if not facts.is_contact or not _is_third_party(facts.person):
        return
    if facts.p.discloses_debt:
        yield _block(
            f"this contact with {facts.person} would disclose the consumer's debt",
            f"此次联系会向{facts.person}透露债务人的债务",
        )
    represented = facts.request.debtor.represented_by_attorney
    if (
        represented is not None
        and represented.attorney_known
        and (represented.since is None or represented.since <= facts.today)
        and facts.debts(represented.debt_ids) & facts.proposed_debts
    ):
        yield _block(
            "the consumer is represented by an attorney about this debt; location information "
            "may be sought only from the attorney",
            "债务人已就此债务委托律师，只能向其律师查询位置信息",
        )


def _check_location_once(facts: _Facts) -> Iterator[Finding]:
    """§1006.10(c): one communication per third party, unless that person asks for another
    (modelled as an inbound contact from them after the last communication)."""
    if not facts.is_contact or not _is_third_party(facts.person):
        return
    last = None
    for event in facts.contacts:
        if _outbound(event) and _party(event) == facts.person and _is_communication(event):
            last = event.datetime if last is None or event.datetime > last else last
    if last is None:
        return
    answered = facts.last_inbound.get((facts.person, ""))
    if answered is not None and answered > last:
        return
    yield _block(
        f"{facts.person} was already communicated with on {facts.day(last).isoformat()} and has "
        f"not asked to be contacted again",
        f"已于{facts.day(last).isoformat()}与{facts.person}沟通过，对方未要求再次联系",
    )


def _check_email_address(facts: _Facts) -> Iterator[Finding]:
    """§1006.6(d)(3)-(4): the email address must have a documented basis; a creditor-provided
    address needs the creditor's notice, its opt-out period (≥ 35 days) expired, and must not
    be known to be employer-provided."""
    proposed = facts.p
    if not facts.to_consumer or proposed.channel != "email":
        return
    basis = proposed.address_basis
    if basis is None:
        yield _warn(
            "no basis recorded for this email address (§1006.6(d)(4) procedures)",
            "未记录此电子邮箱的使用依据（§1006.6(d)(4)）",
        )
        return
    if basis == "none":
        yield _block(
            "this email address has no §1006.6(d)(4) basis: the consumer neither used nor "
            "consented to it, and no creditor or prior-collector procedure applies",
            "此电子邮箱没有§1006.6(d)(4)规定的使用依据",
        )
        return
    if basis != "creditor_procedures_6d4ii":
        return
    if proposed.address_known_employer_provided:
        yield _block(
            "a creditor-provided email address known to be employer-provided cannot be used "
            "(§1006.6(d)(4)(ii)(E))",
            "债权人提供的邮箱已知为雇主提供，不得使用（§1006.6(d)(4)(ii)(E)）",
        )
        return
    waiting: date | None = None
    for notice in facts.of("creditor_notice"):
        if (
            notice.email_address
            and proposed.to_address
            and notice.email_address != proposed.to_address
        ):
            continue
        deadline = notice.opt_out_deadline
        sent = facts.day(notice.datetime)
        if deadline is None or deadline < sent + timedelta(
            days=facts.params.creditor_notice_min_days
        ):
            continue
        if deadline < facts.today:
            return
        if waiting is None or deadline < waiting:
            waiting = deadline
    if waiting is None:
        yield _block(
            "no creditor notice with an opt-out period of at least "
            f"{facts.params.creditor_notice_min_days} days covers this email address",
            f"没有载明至少{facts.params.creditor_notice_min_days}天退出期的债权人通知涵盖此邮箱",
        )
        return
    until = facts.start_of(waiting + timedelta(days=1))
    yield _defer(
        until,
        f"the creditor's opt-out period for this email address runs until {waiting.isoformat()}",
        f"债权人通知的邮箱退出期至{waiting.isoformat()}届满",
    )


def _check_text_number(facts: _Facts) -> Iterator[Finding]:
    """§1006.6(d)(5): the text-message safe harbor (the consumer texted from the number, or
    consented to it, within 60 days). Without it the guard only warns."""
    proposed = facts.p
    if not facts.to_consumer or proposed.channel != "sms":
        return
    since = facts.moment - timedelta(days=facts.params.text_safe_harbor_days)
    number = proposed.to_number
    for event in facts.of("sms"):
        if _inbound(event) and event.datetime >= since and event.from_number in (None, number):
            return
    for consent in facts.consents.get("text_number", ()):
        if (
            consent.status not in REVOKED
            and consent.datetime >= since
            and consent.to_number in (None, number)
        ):
            return
    yield _warn(
        "no text from this number or consent to it within "
        f"{facts.params.text_safe_harbor_days} days: confirm it has not been reassigned "
        "(§1006.6(d)(5))",
        f"{facts.params.text_safe_harbor_days}天内债务人未用此号码发短信或同意使用，"
        "需核实号码未被重新分配（§1006.6(d)(5)）",
    )


def _check_opt_out_notice(facts: _Facts) -> Iterator[Finding]:
    """§1006.6(e): every electronic communication or attempt carries a simple opt-out method."""
    proposed = facts.p
    if not facts.to_consumer or proposed.channel not in ELECTRONIC_CHANNELS:
        return
    if proposed.content_type == "opt_out_confirmation":
        return
    included = proposed.includes_opt_out_instruction
    if included is None and proposed.content:
        included = bool(_OPT_OUT_WORDS.search(_normal(proposed.content)))
    if included:
        return
    if included is None:
        yield _warn(
            f"cannot tell whether this {proposed.channel} includes an opt-out instruction",
            f"无法确认此{proposed.channel}是否包含退订说明",
        )
        return
    yield _block(
        f"this {proposed.channel} lacks a clear, free opt-out instruction "
        '(e.g. "Reply STOP to stop texts to this number")',
        f"此{proposed.channel}缺少简单免费的退订说明（例如“回复STOP停止接收短信”）",
    )


# ---------------------------------------------------------------------------------------------
# §1006.14: harassment, call frequency, prohibited media
# ---------------------------------------------------------------------------------------------
def _check_cumulative(facts: _Facts) -> Iterator[Finding]:
    """§1006.14(a): optional per-day caps on texts and emails (Reg F sets no numbers)."""
    proposed = facts.p
    cap = {"sms": facts.params.sms_per_day, "email": facts.params.email_per_day}.get(
        proposed.channel
    )
    if cap is None or not facts.is_contact:
        return
    opens = facts.start_of(facts.today).astimezone(UTC)
    sent = sum(
        1
        for event in facts.of(proposed.channel)
        if _outbound(event) and _party(event) == facts.person and event.datetime >= opens
    )
    if sent + 1 <= cap:
        return
    who, who_zh = _who(facts.person)
    tomorrow = facts.start_of(facts.today + timedelta(days=1))
    yield _defer(
        tomorrow,
        f"{sent} {proposed.channel} messages already sent to {who} on "
        f"{facts.today.isoformat()}; the daily cap is {cap}",
        f"{facts.today.isoformat()}已向{who_zh}发送{sent}条{proposed.channel}，每日上限为{cap}条",
    )


def _check_pattern(facts: _Facts) -> Iterator[Finding]:
    """cmt. 14(b)(2)(i)-2.i-ii: calls or voicemails in rapid succession (2 within 5 minutes) or
    highly concentrated (7 in one day) to one number may rebut the presumption of compliance."""
    proposed = facts.p
    if not facts.is_contact or proposed.channel not in CALL_CHANNELS:
        return
    if facts.person in EXEMPT_PARTIES:
        return
    params = facts.params
    number = proposed.to_number
    rapid_since = facts.moment - params.rapid_window
    day_opens = facts.start_of(facts.today).astimezone(UTC)
    rapid = same_day = 0
    for event in facts.recent_calls:
        if event.outcome in NOT_CONNECTED or event.to_number != number or facts.misdirected(event):
            continue
        if event.datetime > rapid_since:
            rapid += 1
        if event.datetime >= day_opens:
            same_day += 1
    target = f"number {number}" if number else "this person"
    target_zh = f"号码{number}" if number else "此人"
    minutes = int(params.rapid_window.total_seconds() // 60)
    if rapid + 1 >= params.rapid_calls:
        yield _warn(
            f"{rapid + 1} calls to {target} within {minutes} minutes (rapid succession)",
            f"{minutes}分钟内向{target_zh}拨打{rapid + 1}次电话（连续拨打）",
        )
    if same_day + 1 >= params.concentrated_calls_per_day:
        yield _warn(
            f"{same_day + 1} calls to {target} on {facts.today.isoformat()} (highly concentrated)",
            f"{facts.today.isoformat()}向{target_zh}拨打{same_day + 1}次电话（高度集中）",
        )


def _frequency_targets(facts: _Facts) -> tuple[frozenset[str], bool]:
    """The particular debts the proposed call is about, and whether any one of them will do
    (a call about no debt in particular counts toward at least one, cmt. 14(b)(4)-1.i)."""
    proposed = facts.p
    if proposed.debt_ids:
        return facts.groups(
            proposed.debt_ids + ((proposed.counted_toward,) if proposed.counted_toward else ())
        ), False
    if proposed.counted_toward:
        return facts.groups((proposed.counted_toward,)), False
    return facts.all_groups, True


@dataclass(frozen=True, slots=True)
class _FrequencyFinding:
    rule_id: str
    finding: Finding


def _frequency(facts: _Facts) -> tuple[_FrequencyFinding, ...]:
    """§1006.14(b)(2)-(4) as in COMPLIANCE-RULES.md §2.1; shared by both prong rules."""
    proposed = facts.p
    if not facts.is_contact or proposed.channel not in CALL_CHANNELS:
        return ()
    if facts.person in EXEMPT_PARTIES:
        return ()
    targets, any_one = _frequency_targets(facts)
    loads = [facts.load(group) for group in sorted(targets)]
    failing = [load for load in loads if not load.exempt and load.clear is not None]
    if not failing:
        return ()
    if any_one:
        if len(failing) < len(loads):
            return ()  # some debt has room: attribute the call to it
        failing = [min(failing, key=lambda load: (load.clear or date.max, load.group))]
    return tuple(item for load in failing for item in _frequency_findings(facts, load))


def _frequency_findings(facts: _Facts, load: _Load) -> Iterator[_FrequencyFinding]:
    params = facts.params
    purpose = facts.p.purpose or "collection"
    rebuttal = REBUTTAL_PURPOSES.get(purpose)
    who, who_zh = _who(facts.person)
    label = facts.label(load.group)
    today = facts.today
    prongs: list[tuple[str, date, str, str]] = []
    if load.cap_clear is not None:
        first = today - timedelta(days=params.calls_window_days - 1)
        count = len(load.calls)
        prongs.append(
            (
                SEVEN_IN_SEVEN,
                load.cap_clear,
                f"{count} counted calls to {who} about {label} in {first.isoformat()}.."
                f"{today.isoformat()}; this call would be call {count + 1}, over the cap of "
                f"{params.calls_cap} in {params.calls_window_days} days (presumed violation)",
                f"{first.isoformat()}至{today.isoformat()}期间已就{label}向{who_zh}拨打"
                f"{count}次计数电话，本次将是第{count + 1}次，超过{params.calls_window_days}天"
                f"{params.calls_cap}次的上限（推定违规）",
            )
        )
    if load.talk_clear is not None and load.conversation is not None:
        talked = load.conversation.isoformat()
        prongs.append(
            (
                AFTER_CONVERSATION,
                load.talk_clear,
                f"telephone conversation with {who} about {label} on {talked}; no call about "
                f"it for {params.conversation_cooldown_days} days counting that day "
                "(presumed violation)",
                f"已于{talked}就{label}与{who_zh}通话，含当天{params.conversation_cooldown_days}"
                f"天内不得再就此债务致电（推定违规）",
            )
        )
    for rule_id, clear, message, message_zh in prongs:
        consent_day = facts.next_consent_day(load.group, clear)
        resume = consent_day if consent_day is not None else clear
        if rebuttal is not None:
            reason, reason_zh = rebuttal
            yield _FrequencyFinding(
                rule_id,
                _warn(
                    f"{message}; allowed with a documented rebuttal factor: {reason} "
                    "(record the reason code and approval)",
                    f"{message_zh}；存在可推翻推定的因素：{reason_zh}（需记录原因代码并经审批）",
                    override=True,
                ),
            )
            continue
        note = ""
        note_zh = ""
        if purpose in NOT_REBUTTING:
            note = "; a discount the collector controls does not rebut the presumption"
            note_zh = "；催收方可控的折扣优惠不构成推翻推定的理由"
        yield _FrequencyFinding(
            rule_id,
            _defer(
                facts.start_of(resume),
                f"{message}{note}; next allowed {resume.isoformat()}",
                f"{message_zh}{note_zh}；最早可于{resume.isoformat()}再拨",
                override=True,
            ),
        )


def _check_frequency(rule_id: str) -> Callable[[_Facts], Iterator[Finding]]:
    def check(facts: _Facts) -> Iterator[Finding]:
        for item in facts.frequency:
            if item.rule_id == rule_id:
                yield item.finding

    return check


@dataclass(frozen=True, slots=True)
class _OptOut:
    medium: str
    address: str | None
    at: datetime


def _opt_outs(facts: _Facts) -> list[_OptOut]:
    """Requests by the proposed person not to use a medium or one address (§1006.14(h)(1))."""
    found = []
    for event in facts.of("medium_opt_out"):
        if _party(event) == facts.person and not is_withdrawal(event):
            medium = _medium(event.medium or "")
            found.append(_OptOut(medium, event.to_number or event.to_address, event.datetime))
    for event in facts.typed:
        if (
            _inbound(event)
            and (event.content_type or "").upper() == "STOP"
            and _party(event) == facts.person
        ):
            address = event.from_number or event.from_address
            found.append(_OptOut(_medium(event.channel), address, event.datetime))
    return found


def _opt_out_lifted(facts: _Facts, opt_out: _OptOut) -> bool:
    # The person withdrew the opt-out (a later medium_opt_out with the same terms, withdrawn).
    if opt_out_withdrawn(
        opt_out.at,
        facts.person,
        opt_out.medium,
        opt_out.address,
        facts.of("medium_opt_out"),
        _medium,
    ):
        return True
    consent_type = _CONSENT_LIFTS_OPT_OUT.get(facts.medium)
    if consent_type is None:
        return False
    address = facts.p.to_number if facts.medium == "sms" else facts.p.to_address
    for consent in facts.consents.get(consent_type, ()):
        given_for = consent.to_number or consent.to_address or consent.email_address
        if (
            consent.status not in REVOKED
            and consent.datetime > opt_out.at
            and _party(consent) == facts.person
            and given_for in (None, address)
        ):
            return True
    return False


def _check_medium(facts: _Facts) -> Iterator[Finding]:
    """§1006.14(h): a medium, or one address or number, the person asked not to be used.
    Allowed: an opt-out confirmation, one reply in the same medium to a message the person
    starts, and legally required contacts (§1006.14(h)(2))."""
    proposed = facts.p
    if not facts.is_contact or proposed.purpose == "legally_required":
        return
    medium = facts.medium
    electronic = proposed.channel in ELECTRONIC_CHANNELS
    if proposed.content_type == "opt_out_confirmation" and electronic:
        return
    addresses = {proposed.to_number, proposed.to_address} - {None}
    hits = [
        opt_out
        for opt_out in _opt_outs(facts)
        if (opt_out.medium == medium or (opt_out.medium == _ELECTRONIC_MEDIUM and electronic))
        and (opt_out.address is None or opt_out.address in addresses)
        and not _opt_out_lifted(facts, opt_out)
    ]
    if not hits:
        return
    latest = max(opt_out.at for opt_out in hits)
    if facts.reply_once(medium, after=latest):
        return
    specific = sorted({opt_out.address for opt_out in hits if opt_out.address})
    what = f"{medium} to {', '.join(specific)}" if specific else medium
    who, who_zh = _who(facts.person)
    since = facts.day(min(opt_out.at for opt_out in hits)).isoformat()
    yield _block(
        f"{who} asked on {since} not to be contacted by {what}",
        f"{who_zh}已于{since}要求不通过{what}联系",
    )


# ---------------------------------------------------------------------------------------------
# §1006.18(e), §1006.22(f), §1006.26(b)
# ---------------------------------------------------------------------------------------------
def _check_disclosure(facts: _Facts) -> Iterator[Finding]:
    """§1006.18(e): the initial communication says the collector is attempting to collect a
    debt and any information obtained will be used for that purpose (again in the first written
    one after an oral start); later ones say they are from a debt collector. A limited-content
    message is not a communication (cmt. 18(e)-1). English wording is checked."""
    proposed = facts.p
    if not facts.to_consumer or not proposed.content or not proposed.content.strip():
        return
    if proposed.content_type in (LIMITED_CONTENT, "opt_out_confirmation", "formal_pleading"):
        return
    if proposed.expected_outcome == "voicemail_limited_content":
        return
    text = _normal(proposed.content)
    if not re.search(r"[a-z]", text):
        yield _warn(
            "the content is not in English: check that the §1006.18(e) disclosure is given in "
            "the same language",
            "内容非英文：请人工核实是否以相同语言作出§1006.18(e)所要求的披露",
        )
        return
    written = proposed.channel in WRITTEN_CHANNELS
    first, first_written = facts._index.first_communications
    since = first_written if written else first
    earlier = since is not None and since <= facts.moment
    collect = bool(_INITIAL_COLLECT.search(text))
    if not earlier:
        if collect and _INITIAL_PURPOSE.search(text):
            return
        kind = "written communication" if written else "communication"
        yield _block(
            f"this is the initial {kind} with the consumer: it must say the collector is "
            "attempting to collect a debt and that any information obtained will be used for "
            "that purpose",
            "这是与债务人的首次"
            + ("书面" if written else "")
            + "沟通，必须说明正在催收债务且所获信息将用于该目的",
        )
        return
    if collect or _LATER_DISCLOSURE.search(text):
        return
    yield _block(
        "a later communication must disclose that it is from a debt collector",
        "后续沟通必须说明该信息来自债务催收方",
    )


def _check_postcard(facts: _Facts) -> Iterator[Finding]:
    """§1006.22(f)(1), §1006.10(b)(3): no postcards."""
    if facts.is_contact and facts.p.channel == "letter" and facts.p.mail_format == "postcard":
        yield _block("collection mail may not be sent by postcard", "不得以明信片寄送催收信件")


def _check_envelope(facts: _Facts) -> Iterator[Finding]:
    """§1006.22(f)(2), §1006.10(b)(4): nothing on the envelope but the collector's address and a
    business name that does not reveal debt collection."""
    proposed = facts.p
    if not facts.is_contact or proposed.channel != "letter" or not proposed.envelope_text:
        return
    match = _ENVELOPE_WORDS.search(proposed.envelope_text)
    if match:
        yield _block(
            f'the envelope text reveals debt collection ("{match.group(0)}")',
            f"信封文字透露了催收性质（“{match.group(0)}”）",
        )


def _check_employer_email(facts: _Facts) -> Iterator[Finding]:
    """§1006.22(f)(3): no email to an address known to be employer-provided, unless the
    consumer used or consented to it, or the prior collector's procedures apply."""
    proposed = facts.p
    if not facts.to_consumer or proposed.channel != "email":
        return
    if not proposed.address_known_employer_provided:
        return
    if proposed.address_basis in ("consumer_used", "consumer_consented", "prior_collector"):
        return
    yield _block(
        "this email address is known to be provided by the consumer's employer",
        "此邮箱已知为债务人雇主提供的工作邮箱",
    )


def _check_social_media(facts: _Facts) -> Iterator[Finding]:
    """§1006.22(f)(4): nothing the public or the person's contacts can see."""
    proposed = facts.p
    if not facts.is_contact or proposed.channel != "social_media":
        return
    if proposed.visibility in ("public", "contacts"):
        yield _block(
            f"a social media message visible to {proposed.visibility} is not allowed",
            "社交媒体消息不得对公众或联系人可见",
        )
    elif proposed.visibility is None:
        yield _warn("confirm the social media message is private", "请确认社交媒体消息为私密消息")


def _check_time_barred(facts: _Facts) -> Iterator[Finding]:
    """§1006.26(b): no suit or threat of suit on a time-barred debt (proofs of claim aside)."""
    proposed = facts.p
    if proposed.purpose == "bankruptcy_proof_of_claim" or not _outbound(proposed):
        return
    threat = bool(LEGAL_ACTION_FLAGS & set(proposed.content_flags)) or bool(
        LEGAL_ACTION_KINDS & {proposed.purpose, proposed.content_type}
    )
    if not threat:
        return
    barred = sorted(
        debt.id
        for debt in facts.request.debts
        if debt.id in facts.proposed_debts
        and debt.sol_expiry is not None
        and debt.sol_expiry < facts.today
    )
    if barred:
        debts = ", ".join(barred)
        yield _block(
            f"{debts} is time-barred: legal action may not be brought or threatened",
            f"{debts}已过诉讼时效，不得起诉或以诉讼相威胁",
        )


# ---------------------------------------------------------------------------------------------
# §1006.30(a) furnishing, §1006.38 disputes, holds
# ---------------------------------------------------------------------------------------------
def _check_furnishing(facts: _Facts) -> Iterator[Finding]:
    """§1006.30(a)(1): before furnishing, speak to the consumer about the debt, or mail or send
    a message about it and wait 14 days with no notice of undeliverability (cmts. 30(a)(1)-2,
    -3)."""
    if facts.p.channel != FURNISH:
        return
    wait = timedelta(days=facts.params.furnishing_wait_days)
    undeliverable = [
        event for event in facts.of("undeliverable_notice") if _is_consumer(_party(event))
    ]
    blocked: list[str] = []
    waiting: dict[str, date] = {}
    for debt in sorted(facts.proposed_debts):
        earliest: date | None = None
        for event in facts.contacts:
            if not _is_consumer(_party(event)) or debt not in facts.debts(
                event.discussed_debt_ids or event.debt_ids
            ):
                continue
            if _is_conversation(event) or (
                event.channel == "visit" and event.outcome in CONVERSATION_OUTCOMES
            ):
                earliest = facts.today
                break
            if not _outbound(event) or event.channel not in WRITTEN_CHANNELS - {"portal"}:
                continue
            if event.status == "returned_undeliverable":
                continue
            sent = event.datetime
            ends = facts.start_of(facts.day(sent)) + wait
            spoiled = any(
                sent <= notice.datetime < ends
                and debt in facts.debts(notice.debt_ids)
                and (
                    notice.to_address is None
                    or event.to_address is None
                    or notice.to_address == event.to_address
                )
                for notice in undeliverable
            )
            if spoiled:
                continue
            ready = facts.day(sent) + wait
            if earliest is None or ready < earliest:
                earliest = ready
        if earliest is None:
            blocked.append(debt)
        elif earliest > facts.today:
            waiting[debt] = earliest
    if blocked:
        debts = ", ".join(blocked)
        yield _block(
            f"no conversation with the consumer about {debts} and no delivered letter or "
            "message about it: furnishing is not allowed yet",
            f"尚未就{debts}与债务人通话，也没有成功送达的信件或消息，暂不得报送征信",
        )
    if waiting:
        resume = max(waiting.values())
        debts = ", ".join(sorted(waiting))
        yield _defer(
            facts.start_of(resume),
            f"the {facts.params.furnishing_wait_days}-day wait for a notice of undeliverability "
            f"about {debts} ends {resume.isoformat()}",
            f"关于{debts}的{facts.params.furnishing_wait_days}天退信等待期至{resume.isoformat()}届满",
        )


def _collection_step(facts: _Facts) -> bool:
    """Whether the proposed step is collection activity a hold stops."""
    if facts.p.channel == FURNISH:
        return _outbound(facts.p)
    return facts.is_contact and facts.person not in EXEMPT_PARTIES


def _validation_ends(facts: _Facts) -> dict[str, date]:
    """The latest validation-period end per debt (computed when the event does not give it)."""
    ends: dict[str, date] = {}
    for event in facts.typed:
        if _outbound(event) and event.content_type == "validation_notice":
            end = event.validation_period_end or validation_period_end(
                facts.day(event.datetime), facts.params
            )
            for debt in facts.debts(event.debt_ids):
                if debt not in ends or ends[debt] < end:
                    ends[debt] = end
    return ends


def _open_requests(facts: _Facts, kind: str, resolvers: frozenset[str]) -> dict[str, date]:
    """Debts with a written request of ``kind`` within the validation period and no answer
    sent since (§1006.38(c), (d)(2)); a request with no validation notice on record counts."""
    ends = _validation_ends(facts)
    asked: dict[str, datetime] = {}
    answered: dict[str, datetime] = {}
    for event in facts.typed:
        if (
            _inbound(event)
            and event.content_type == kind
            and event.channel in WRITTEN_CHANNELS
            and _is_consumer(_party(event))
        ):
            day = facts.day(event.datetime)
            for debt in facts.debts(event.debt_ids):
                if debt in ends and day > ends[debt]:
                    continue
                if debt not in asked or asked[debt] < event.datetime:
                    asked[debt] = event.datetime
        elif _outbound(event) and event.content_type in resolvers:
            for debt in facts.debts(event.debt_ids):
                if debt not in answered or answered[debt] < event.datetime:
                    answered[debt] = event.datetime
    return {
        debt: facts.day(moment)
        for debt, moment in asked.items()
        if debt in facts.proposed_debts and (debt not in answered or answered[debt] <= moment)
    }


def _check_dispute(facts: _Facts) -> Iterator[Finding]:
    if not _collection_step(facts) or facts.p.content_type in DISPUTE_RESOLVERS | CEASE_EXCEPTIONS:
        return
    open_ = _open_requests(facts, "written_dispute", DISPUTE_RESOLVERS)
    if open_:
        debts = ", ".join(sorted(open_))
        since = min(open_.values()).isoformat()
        yield _block(
            f"written dispute of {debts} within the validation period (received {since}): "
            "collection stops until verification is sent (content_type verification_sent)",
            f"债务人在验证期内书面异议{debts}（{since}收到）：寄出核实材料前须停止催收",
        )


def _check_original_creditor(facts: _Facts) -> Iterator[Finding]:
    if not _collection_step(facts) or facts.p.content_type in CREDITOR_RESOLVERS | CEASE_EXCEPTIONS:
        return
    open_ = _open_requests(facts, "original_creditor_request", CREDITOR_RESOLVERS)
    if open_:
        debts = ", ".join(sorted(open_))
        since = min(open_.values()).isoformat()
        yield _block(
            f"written request for the original creditor of {debts} within the validation "
            f"period (received {since}): collection stops until its name and address are sent",
            f"债务人在验证期内书面索取{debts}原债权人信息（{since}收到）：寄出前须停止催收",
        )


def _check_holds(facts: _Facts) -> Iterator[Finding]:
    """Case holds (dispute, cease, bankruptcy, deceased, litigation, complaint …) stop collection
    contacts about their debt until lifted."""
    if not _collection_step(facts) or facts.p.content_type in CEASE_EXCEPTIONS:
        return
    state: dict[tuple[str, str], tuple[datetime, bool]] = {}
    for event in facts.of("hold"):
        kind = event.content_type or "hold"
        lifted = event.status in HOLD_LIFTED
        for debt in facts.debts(event.debt_ids) & facts.proposed_debts:
            key = (kind, debt)
            # A lifted record wins over an active one of the same moment.
            if key not in state or (event.datetime, lifted) > state[key]:
                state[key] = (event.datetime, lifted)
    active = sorted({(kind, debt) for (kind, debt), (_, lifted) in state.items() if not lifted})
    if active:
        what = ", ".join(f"{kind} on {debt}" for kind, debt in active)
        yield _block(f"active hold: {what}", f"存在未解除的停催：{what}")


# ---------------------------------------------------------------------------------------------
# The pack
# ---------------------------------------------------------------------------------------------
_RULES: tuple[tuple[str, str, Callable[[_Facts], Iterable[Finding]]], ...] = (
    (
        TIME,
        "Inconvenient times: 8:00-21:00 local in every plausible zone; designated times",
        _check_time,
    ),
    (PLACE, "Inconvenient places designated by the consumer", _check_place),
    (ATTORNEY, "Consumer represented by an attorney", _check_attorney),
    (EMPLOYER, "Employer prohibits contact at work", _check_employer),
    (CEASE, "Cease communication or refusal to pay in writing", _check_cease),
    (
        THIRD_PARTY,
        "Third parties only for location information or with consent",
        _check_third_party,
    ),
    (EMAIL_ADDRESS, "Email address procedures", _check_email_address),
    (TEXT_NUMBER, "Text-message number procedures (warning)", _check_text_number),
    (OPT_OUT_NOTICE, "Opt-out notice in every electronic communication", _check_opt_out_notice),
    (
        LOCATION_FORM,
        "Location contacts: no disclosure of the debt; attorney only",
        _check_location_form,
    ),
    (LOCATION_ONCE, "Location contacts: once per person unless asked", _check_location_once),
    (CUMULATIVE, "Optional per-day text and email caps", _check_cumulative),
    (PATTERN, "Rapid or concentrated calls (warning)", _check_pattern),
    (
        SEVEN_IN_SEVEN,
        "More than 7 calls in 7 days about a particular debt",
        _check_frequency(SEVEN_IN_SEVEN),
    ),
    (
        AFTER_CONVERSATION,
        "A call within 7 days after a conversation",
        _check_frequency(AFTER_CONVERSATION),
    ),
    (MEDIUM, "Prohibited communication media", _check_medium),
    (DISCLOSURE, "Mini-Miranda disclosures", _check_disclosure),
    (POSTCARD, "No postcards", _check_postcard),
    (ENVELOPE, "Nothing on envelopes revealing debt collection", _check_envelope),
    (EMPLOYER_EMAIL, "No email to employer-provided addresses", _check_employer_email),
    (SOCIAL_MEDIA, "No public or contacts-visible social media messages", _check_social_media),
    (TIME_BARRED, "No threat of suit on time-barred debt", _check_time_barred),
    (FURNISHING, "Speak or send a notice and wait before furnishing", _check_furnishing),
    (ORIGINAL_CREDITOR, "Original-creditor request stops collection", _check_original_creditor),
    (DISPUTE, "Written dispute stops collection until verification", _check_dispute),
    (HOLD, "Active case holds stop collection", _check_holds),
)


def _bind(check: Callable[[_Facts], Iterable[Finding]], params: USParams) -> Check:
    def run(request: CheckRequest) -> Iterable[Finding]:
        return tuple(check(_facts(request, params)))

    run.__doc__ = check.__doc__
    return run


def us_pack(
    params: USParams = FEDERAL,
    *,
    code: str = PACK_CODE,
    version: str = PACK_VERSION,
    effective: date = PACK_EFFECTIVE,
) -> RulePack:
    """The Regulation F pack with ``params``. A state or institution overlay passes its own
    ``code``; its numbers may only tighten the federal ones (§1006.104)."""
    params.validate()
    looser = params.loosened(FEDERAL)
    if looser:
        raise ValueError(
            f"pack {code}: parameters may only tighten Regulation F; looser: {', '.join(looser)}"
        )
    rules = tuple(Rule(rule_id, title, _bind(check, params)) for rule_id, title, check in _RULES)
    return RulePack(code, version, "US", effective, rules)


US_PACK = us_pack()
