"""Planning a day's contacts over a whole portfolio: one verdict per proposed contact.

:func:`plan_contacts` takes a frame of proposed contacts and a frame of what already happened
(executed contacts, holds, notices, consents …) and returns, for every proposal, the verdict
:func:`huikuan.compliance.engine.check` gives on it: ``decision`` (allowed / blocked /
deferred), ``next_allowed_at`` and the ``rule_ids`` of the reasons. Two paths, one policy:

* **vectorised** (Polars joins and group-bys, no per-row Python) for the common case, a plain
  call, SMS, IM message or visit to the debtor under the default CN packs, where the outcome of
  the scalar packs depends only on quiet hours (22:00–08:00 local → deferred to 08:00), unanswered
  attempts per number per counting day (cap 6 → next day 08:00), connected voice notices per
  debtor per day (cap 3 → next day 08:00), holds in force (blocked), the outsourcing notice
  before an ``agency:*`` caller (blocked without one) and visits by fewer than 2 collectors
  (blocked). Every number, time, outcome list and status list is read from the same
  :class:`~huikuan.compliance.cn.CNParams` that built the scalar packs, and the rule ids are
  checked against those packs, so the fast path re-reads the rules, it does not re-decide them.
  ``tests/compliance/test_batch.py`` checks on random portfolios that both paths agree.
* **scalar**: every other proposal becomes a :class:`~huikuan.compliance.request.CheckRequest`
  built from its debtor's history rows (:func:`request_json`, the one converter from frame rows
  to the request format) and checked by ``fallback`` (:func:`~huikuan.compliance.engine.check`).

A proposal takes the scalar path when any of these holds (the fast path is exact only without
them): the jurisdiction is not CN or the packs are not the CN packs of known parameters; the
channel is not phone / sms / im / visit; the party is not the debtor; the debtor's zone is not
the counting zone (Beijing); the date is within a day of a pack's or the outsourcing rule's start;
it carries anything else the packs read (``content``, ``discloses_debt``, ``visibility`` …); a
number is not plain ASCII; the debtor's history has a ``consent`` event (it can lift quiet hours
and the cap), a ``data_update`` event (reachability, joint debts), one of the debtor's own
designations (``medium_opt_out``, ``inconvenient_time``: the opt-out and debtor-times rules
decide those) or an opt-out reply, or any event later than the proposal (a deferral could move
past it). Third-party calls, texts and letters in the history do
not force the scalar path: the only thing a consumer-contact rule reads from them is a call
attempt to the same number, which the fast path counts. All proposals that share a number and a
counting day take the same path, so the in-batch counting below never crosses paths.

**Several proposals to one number on one day.** They are decided in time order (ties by
``proposal_id``), and every earlier proposal of the batch that is *allowed* counts as an attempt
to that number: the planner assumes each allowed call is placed and goes unanswered, the
conservative assumption for the 6-attempt cap (an unanswered call does not count as a connected
voice notice). Blocked and deferred proposals are not counted. Nothing else about earlier
proposals of the batch is assumed, so with one proposal per number per day every verdict is the
one :func:`~huikuan.compliance.engine.check` gives on that proposal alone. The result never
depends on the order of the rows.

Frames
------

``proposals`` (one row per proposed contact; columns other than the first four may be absent):

================ ========================= ====================================================
column           type                      meaning
================ ========================= ====================================================
proposal_id      any sortable, unique      returned as is; breaks ties between equal times
debtor_id        any (same as history)     whose history applies
datetime         Datetime with time zone   when the contact would be made
channel          String                    phone, sms, im, visit, letter, email …
debt_id          String                    the debt the contact is about (null: none named)
party            String                    ``consumer`` (null) or ``third_party:ID`` …
caller           String                    ``lender`` (null) or ``agency:ID``
to_number        String                    number called or texted
call_type        String                    agent, voice_notice, robot
purpose          String                    collection (null), legally_required …
timezone         String                    the debtor's IANA zone (null: Asia/Shanghai)
collector_count  Int                       collectors on a visit
(any other field of the request's CONTACT, e.g. ``content``, ``discloses_debt``, ``relationship``,
``location``: passed to the scalar check; a non-null value sends the proposal there)
================ ========================= ====================================================

``history`` (one row per earlier event of any debtor; other debtors' rows are ignored):

================ ========================= ====================================================
column           type                      meaning
================ ========================= ====================================================
debtor_id        as in proposals
datetime         Datetime with time zone
channel          String                    phone, sms, letter, visit …, hold, consent,
                                           data_update
direction        String                    outbound (null), inbound, internal
party            String                    consumer (null), third_party:ID …
caller           String                    lender (null), agency:ID
to_number        String
outcome          String                    unanswered, busy, conversation,
                                           connected_voice_notice … (null: not recorded)
call_type        String
content_type     String                    outsourcing_notice; for holds: dispute, complaint,
                                           deceased, bankruptcy, litigation_hold
status           String                    delivered / returned_undeliverable / in_transit;
                                           lifted (holds); revoked (consents);
                                           withdrawn (designations)
debt_ids         List(String)              null or empty: every debt
weekdays, from,  List(String), String …    on ``inconvenient_time`` rows only: the designation
to, until                                  (passed as ``debtor.inconvenient_times``)
(any other field of the request's EVENT, e.g. ``consent_type``, ``consent_to_call_at``,
``update``, ``from_number``, ``content``: passed to the scalar check)
================ ========================= ====================================================

The result has one row per proposal, in the proposals' order: ``proposal_id``, ``decision``
(String), ``next_allowed_at`` (Datetime UTC, null unless deferred), ``rule_ids`` (List(String):
the ids of the verdict's reasons, unique and sorted; warnings are not listed) and ``path``
(``vectorised`` or ``scalar``). Datetimes are taken to the microsecond.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from huikuan.compliance import engine
from huikuan.compliance.cn import CN_PACKS, CNParams, _digits
from huikuan.compliance.designated import INCONVENIENT_TIME, OPT_OUT, inconvenient_times_in_force
from huikuan.compliance.packs import RulePack
from huikuan.compliance.request import CheckRequest, Event, RequestError, parse_request
from huikuan.compliance.verdict import Decision, Verdict

Fallback = Callable[[CheckRequest, Sequence[RulePack]], Verdict]

VECTORISED = "vectorised"
SCALAR = "scalar"

EVENT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Event) if f.name != "index")
"""Columns that carry a field of the request's EVENT / CONTACT (everything else is ignored)."""
_EVENT_FIELD_SET = frozenset(EVENT_FIELDS)

PROPOSAL_COLUMNS: dict[str, pl.DataType] = {
    "channel": pl.String(),
    "debt_id": pl.String(),
    "party": pl.String(),
    "caller": pl.String(),
    "to_number": pl.String(),
    "call_type": pl.String(),
    "purpose": pl.String(),
    "timezone": pl.String(),
    "collector_count": pl.Int64(),
}
HISTORY_COLUMNS: dict[str, pl.DataType] = {
    "channel": pl.String(),
    "direction": pl.String(),
    "party": pl.String(),
    "caller": pl.String(),
    "to_number": pl.String(),
    "outcome": pl.String(),
    "call_type": pl.String(),
    "content_type": pl.String(),
    "status": pl.String(),
    "debt_ids": pl.List(pl.String()),
}
RESULT_SCHEMA: dict[str, pl.DataType] = {
    "decision": pl.String(),
    "next_allowed_at": pl.Datetime("us", "UTC"),
    "rule_ids": pl.List(pl.String()),
    "path": pl.String(),
}

# Proposal channels the fast path decides; fields of the CONTACT it reads itself.
FAST_CHANNELS = ("phone", "sms", "im", "visit")
_FAST_READS = frozenset({"datetime", "channel", "party", "caller", "to_number", "call_type"})
_FAST_READS |= {"purpose", "collector_count"}
# History channels whose events the fast path does not model.
UNMODELLED_HISTORY = ("consent", "data_update", OPT_OUT, INCONVENIENT_TIME)

# What an earlier allowed proposal of the batch becomes in the scalar request: a placed call
# with no outcome recorded.
_PLACED_FIELDS: tuple[str, ...] = ("datetime", "channel", "direction", "party", "caller")
_PLACED_FIELDS += ("to_number", "call_type", "debt_ids")

# The rules the fast path reads, by id (checked against the packs before use).
QUIET_IDS = ("CN-CBA-2026-QUIET-HOURS", "CN-GBT-45251-QUIET-HOURS")
UNANSWERED_ID = "CN-CBA-2026-UNANSWERED-6"
VOICE_ID = "CN-GBT-45251-VOICE-NOTICE-3"
HOLD_ID = "CN-CBA-2026-HOLD"
VISIT_ID = "CN-CBA-2026-VISIT-2"
OUTSOURCING_ID = "CN-BANK-C6-41-OUTSOURCING-NOTICE"
FAST_RULE_IDS = frozenset({*QUIET_IDS, UNANSWERED_ID, VOICE_ID, HOLD_ID, VISIT_ID, OUTSOURCING_ID})


# --------------------------------------------------------------------------------------------
# Frame rows → the request format (the scalar path's only converter)
# --------------------------------------------------------------------------------------------


def _json_value(name: str, value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if name == "consent_valid_dates" and isinstance(value, list):
        return [item.isoformat() if isinstance(item, date) else item for item in value]
    return value


def event_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A history row as an EVENT of ``shared/compliance-check-request.md`` (nulls left out)."""
    return {
        name: _json_value(name, value)
        for name, value in row.items()
        if value is not None and name in _EVENT_FIELD_SET
    }


def contact_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A proposals row as the request's CONTACT: outbound, about its ``debt_id``."""
    raw = {"direction": "outbound", **event_json(row)}
    if row.get("debt_id") is not None:
        raw["debt_ids"] = [row["debt_id"]]
    return raw


def request_json(
    proposal: Mapping[str, Any],
    history: Iterable[Mapping[str, Any]],
    *,
    jurisdiction: str,
    earlier: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The request for one proposal: its debtor's history rows, plus ``earlier`` proposals of the
    batch taken as placed, unanswered calls (no outcome recorded: counted as attempts)."""
    debtor: dict[str, Any] = {}
    if proposal.get("timezone") is not None:
        debtor["timezone"] = proposal["timezone"]
    rows = list(history)
    # The debtor's own inconvenient times (rows with ``weekdays`` / ``from`` / ``to`` /
    # ``until`` columns) are designations the request carries on the debtor, not events.
    designated = [
        {name: _json_value(name, value) for name, value in row.items() if value is not None}
        for row in rows
        if row.get("channel") == INCONVENIENT_TIME
    ]
    if designated:
        moment = proposal["datetime"]
        debtor["inconvenient_times"] = inconvenient_times_in_force(designated, moment)
    events = [event_json(row) for row in rows if row.get("channel") != INCONVENIENT_TIME]
    for row in earlier:
        placed = contact_json(row)
        events.append({name: placed[name] for name in _PLACED_FIELDS if name in placed})
    debt = proposal.get("debt_id")
    return {
        "jurisdiction": jurisdiction,
        "debtor": debtor,
        "debts": [{"id": debt}] if debt is not None else [],
        "events": events,
        "proposed": contact_json(proposal),
    }


# --------------------------------------------------------------------------------------------
# Input frames
# --------------------------------------------------------------------------------------------


def _aware_datetime(frame: pl.DataFrame, what: str) -> pl.Expr:
    dtype = frame.schema.get("datetime")
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
        raise ValueError(f"{what}.datetime: expected a Datetime with a time zone, got {dtype}")
    return pl.col("datetime").dt.cast_time_unit("us")


def _normalised(
    frame: pl.DataFrame, columns: Mapping[str, pl.DataType], what: str, required: Sequence[str]
) -> pl.DataFrame:
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")
    exprs = [_aware_datetime(frame, what)]
    exprs.append(exprs[0].dt.convert_time_zone("UTC").alias("_utc"))
    for name, dtype in columns.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype).alias(name))
    out = frame.with_columns(exprs)
    for name in ("debtor_id", "datetime", "channel"):
        if out.get_column(name).null_count():
            raise ValueError(f"{what}.{name}: null values")
    return out


def _consumer(column: str = "party") -> pl.Expr:
    """``event.party or "consumer"`` is the debtor."""
    party = pl.col(column)
    return party.is_null() | party.is_in(["", "consumer"])


def _outbound() -> pl.Expr:
    return pl.col("direction").is_null() | (pl.col("direction") == "outbound")


def _ascii(column: str) -> pl.Expr:
    text = pl.col(column)
    return text.is_null() | (text.str.len_bytes() == text.str.len_chars())


def _at(day: pl.Expr, clock: time, zone: str) -> pl.Expr:
    """``clock`` on local ``day`` in ``zone``, as a UTC instant."""
    return (
        day.dt.combine(clock)
        .dt.replace_time_zone(zone, ambiguous="earliest")
        .dt.convert_time_zone("UTC")
    )


def _fast_params(
    packs: Sequence[RulePack], params: CNParams | None, jurisdiction: str
) -> CNParams | None:
    """The parameters the packs were built from, when the fast path can read them exactly."""
    if jurisdiction != "CN":
        return None
    if params is None:
        if packs is not CN_PACKS:
            return None
        params = CNParams()
    ids = {rule.rule_id for pack in packs if pack.jurisdiction == "CN" for rule in pack.rules}
    quiet = params.cba.quiet_hours
    zone = params.cba.counting_timezone
    if (
        not ids >= FAST_RULE_IDS
        or quiet != params.gbt.quiet_hours
        or quiet.start == quiet.end
        or zone != params.gbt.counting_timezone
        or zone != quiet.default_timezone
        or params.cba.unanswered_cap < 1
        or params.gbt.voice_notice_cap < 1
    ):
        return None
    return params


# --------------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------------


_GROUP = ("debtor_id", "cap_number", "day")


def _route(
    proposals: pl.DataFrame,
    history: pl.DataFrame,
    packs: Sequence[RulePack],
    params: CNParams,
) -> pl.DataFrame:
    """The proposals with ``day``, ``cap_number`` (digits of a called number), ``_shared`` (how
    many calls of the batch share that number and day) and ``fast`` (the fast path is exact)."""
    zone = params.cba.counting_timezone
    starts = [pack.effective for pack in packs if pack.jurisdiction == "CN"]
    first_day = max([*starts, params.bank.notice_required_from]) + timedelta(days=1)
    # Only events later than the earliest proposal can be later than a proposal.
    earliest = proposals.get_column("_utc").min()
    late = (
        history.filter(pl.col("_utc") > earliest)
        .group_by("debtor_id")
        .agg(pl.col("_utc").max().alias("_last_event"))
    )
    unmodelled = (
        history.filter(
            pl.col("channel").is_in(UNMODELLED_HISTORY)
            | ~_ascii("to_number")
            # an opt-out reply (STOP / 退订) closes a channel: the scalar opt-out rule decides
            | (pl.col("content_type").str.to_uppercase() == "STOP").fill_null(False)
        )
        .select("debtor_id")
        .unique()
        .with_columns(pl.lit(True).alias("_unmodelled"))
    )
    extra = [
        name
        for name in proposals.columns
        if name in EVENT_FIELDS and name not in _FAST_READS and name != "discloses_debt"
    ]
    plain = pl.all_horizontal([pl.col(name).is_null() for name in extra] or [pl.lit(True)])
    if "discloses_debt" in proposals.columns:
        plain = plain & ~pl.col("discloses_debt").cast(pl.Boolean).fill_null(False)
    cap_applies = (pl.col("channel") == "phone") & pl.col("to_number").is_not_null()
    cap_applies = cap_applies & (pl.col("to_number") != "")
    row_fast = (
        pl.col("channel").is_in(FAST_CHANNELS)
        & _consumer()
        & (pl.col("timezone").is_null() | (pl.col("timezone") == zone))
        & (pl.col("day") >= first_day)
        & _ascii("to_number")
        & plain
        & pl.col("_unmodelled").is_null()
        & (pl.col("_last_event").is_null() | (pl.col("_last_event") <= pl.col("_utc")))
    ).fill_null(False)
    frame = (
        proposals.with_columns(
            pl.col("datetime").dt.convert_time_zone(zone).dt.date().alias("day"),
            pl.when(cap_applies)
            .then(pl.col("to_number").str.replace_all(r"[^0-9+]", ""))
            .alias("cap_number"),
        )
        .join(late, on="debtor_id", how="left")
        .join(unmodelled, on="debtor_id", how="left")
        .with_columns(
            row_fast.alias("_row_fast"),
            pl.when(pl.col("cap_number").is_not_null())
            .then(pl.len().over(_GROUP))
            .otherwise(1)
            .alias("_shared"),
        )
    )
    # Calls that share a number and a day take one path together.
    together = (
        frame.filter(pl.col("_shared") > 1)
        .group_by(_GROUP)
        .agg(pl.col("_row_fast").all().alias("_group_fast"))
    )
    return (
        frame.join(together, on=_GROUP, how="left")
        .with_columns(pl.coalesce("_group_fast", "_row_fast").alias("fast"))
        .drop("_row_fast", "_group_fast", "_unmodelled", "_last_event")
    )


# --------------------------------------------------------------------------------------------
# The vectorised path
# --------------------------------------------------------------------------------------------


def _exploded_debts(frame: pl.DataFrame, whole: pl.Expr) -> pl.DataFrame:
    """One row per (event, debt key): ``*`` for an event that covers every debt."""
    return frame.with_columns(
        pl.when(whole)
        .then(pl.lit(["*"], pl.List(pl.String())))
        .otherwise(pl.col("debt_ids"))
        .alias("key")
    ).explode("key")


def _active_holds(history: pl.DataFrame, params: CNParams) -> pl.DataFrame:
    """(debtor_id, key) of every hold in force: :func:`huikuan.compliance.cn.active_holds`."""
    policy = params.cba.holds
    holds = history.filter(
        (pl.col("channel") == policy.channel) & pl.col("content_type").is_in(policy.types)
    ).select("debtor_id", "datetime", "content_type", "status", "debt_ids")
    whole = pl.col("content_type").is_in(policy.person_level) | (
        pl.col("debt_ids").list.len().fill_null(0) == 0
    )
    lift = pl.col("status").is_in(policy.lifted_statuses).fill_null(False)
    holds = holds.with_columns(whole.alias("whole"), lift.alias("lift"))
    keyed = _exploded_debts(holds, pl.col("whole"))
    kind = ["debtor_id", "content_type"]
    placed = keyed.filter(~pl.col("lift")).group_by([*kind, "key"]).agg(pl.col("datetime").max())
    lifted = (
        keyed.filter(pl.col("lift") & ~pl.col("whole"))
        .group_by([*kind, "key"])
        .agg(pl.col("datetime").max().alias("lifted"))
    )
    lifted_all = (
        holds.filter(pl.col("lift") & pl.col("whole"))
        .group_by(kind)
        .agg(pl.col("datetime").max().alias("lifted_all"))
    )
    ends = pl.max_horizontal("lifted", "lifted_all")
    return (
        placed.join(lifted, on=[*kind, "key"], how="left")
        .join(lifted_all, on=kind, how="left")
        .filter(ends.is_null() | (ends <= pl.col("datetime")))
        .select("debtor_id", "key")
        .unique()
    )


def _notices(history: pl.DataFrame, params: CNParams) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Debtors with an effective outsourcing notice (and whether one covers every debt), and
    the debts the notices name."""
    bank = params.bank
    notices = history.filter(
        (pl.col("content_type") == bank.notice_content_type)
        & _consumer()
        & _outbound()
        & ~pl.col("status").is_in(bank.notice_ineffective_statuses).fill_null(False)
    ).select("debtor_id", "debt_ids")
    every = (pl.col("debt_ids").list.len().fill_null(0) == 0).alias("_every")
    debtors = notices.group_by("debtor_id").agg(
        every.any().alias("_notice_all"), (~every).any().alias("_notice_some")
    )
    named = (
        notices.select("debtor_id", pl.col("debt_ids").alias("debt_id"))
        .explode("debt_id")
        .drop_nulls("debt_id")
        .unique()
        .with_columns(pl.lit(True).alias("_notice_names"))
    )
    return debtors, named


def _rule_lists(codes: pl.Series) -> pl.DataFrame:
    """``_code`` → the sorted rule ids its flags stand for (a few distinct codes per batch)."""
    bits = (
        (1, OUTSOURCING_ID),
        (2, HOLD_ID),
        (4, VISIT_ID),
        (8, QUIET_IDS[0]),
        (8, QUIET_IDS[1]),
        (16, UNANSWERED_ID),
        (32, VOICE_ID),
    )
    present = sorted(codes.unique().to_list())
    return pl.DataFrame(
        {
            "_code": present,
            "rule_ids": [sorted(rule for bit, rule in bits if code & bit) for code in present],
        },
        schema={"_code": codes.dtype, "rule_ids": RESULT_SCHEMA["rule_ids"]},
    )


def _vectorised(proposals: pl.DataFrame, history: pl.DataFrame, params: CNParams) -> pl.DataFrame:
    cba, gbt = params.cba, params.gbt
    quiet = cba.quiet_hours
    zone = cba.counting_timezone
    end = quiet.end
    days = sorted(proposals.get_column("day").unique().to_list())
    # The planning days' events only (the rest cannot count towards a daily cap).
    first = datetime.combine(days[0], time(0), tzinfo=ZoneInfo(zone)) - timedelta(days=1)
    last = datetime.combine(days[-1], time(0), tzinfo=ZoneInfo(zone)) + timedelta(days=2)
    first, last = first.astimezone(UTC), last.astimezone(UTC)
    on_days = (
        history.filter((pl.col("_utc") >= first) & (pl.col("_utc") < last))
        .with_columns(pl.col("datetime").dt.convert_time_zone(zone).dt.date().alias("day"))
        .filter(pl.col("day").is_in(days))
    )

    # Unanswered attempts per number per day (any party, lender and agencies together).
    attempted = pl.col("outcome").is_in(cba.unanswered_outcomes).fill_null(False)
    if cba.count_unknown_outcome:
        attempted = attempted | pl.col("outcome").is_null()
    attempts = (
        on_days.filter(
            (pl.col("channel") == "phone")
            & pl.col("to_number").is_not_null()
            & (pl.col("to_number") != "")
            & _outbound()
            & attempted
        )
        .with_columns(pl.col("to_number").str.replace_all(r"[^0-9+]", "").alias("cap_number"))
        .group_by(_GROUP)
        .agg(pl.len().cast(pl.Int64).alias("_attempts"))
    )
    # Connected voice notices to the debtor per day (any caller).
    connected = (pl.col("outcome") == "connected_voice_notice") | (
        pl.col("call_type").is_in(gbt.voice_notice_call_types)
        & pl.col("outcome").is_in(gbt.connected_outcomes)
    )
    voice = (
        on_days.filter(
            (pl.col("channel") == "phone") & _outbound() & _consumer() & connected.fill_null(False)
        )
        .group_by("debtor_id", "day")
        .agg(pl.len().cast(pl.Int64).alias("_voice"))
    )
    holds = _active_holds(history, params)
    hold_any = holds.group_by("debtor_id").agg(
        pl.lit(True).alias("_hold_any"), (pl.col("key") == "*").any().alias("_hold_all")
    )
    hold_debts = holds.rename({"key": "debt_id"}).with_columns(pl.lit(True).alias("_hold_debt"))
    notice_debtors, notice_debts = _notices(history, params)
    # 08:00 (the end of the quiet hours) on each planning day and the day after, as instants.
    openings = pl.DataFrame({"day": days}, schema={"day": pl.Date()}).with_columns(
        _at(pl.col("day"), end, zone).alias("_opens"),
        _at(pl.col("day") + timedelta(days=1), end, zone).alias("_opens_next"),
    )

    frame = (
        proposals.join(attempts, on=_GROUP, how="left")
        .join(voice, on=["debtor_id", "day"], how="left")
        .join(hold_any, on="debtor_id", how="left")
        .join(hold_debts, on=["debtor_id", "debt_id"], how="left")
        .join(notice_debtors, on="debtor_id", how="left")
        .join(notice_debts, on=["debtor_id", "debt_id"], how="left")
        .join(openings, on="day", how="left")
        .with_columns(pl.col("datetime").dt.convert_time_zone(zone).dt.time().alias("_local"))
    )

    local = pl.col("_local")
    start = quiet.start
    before_start = local <= start if quiet.start_allowed else local < start
    after_end = local >= end
    # [end, start) in the day, or wrapping past midnight when the quiet period does not.
    allowed_time = after_end & before_start if end <= start else after_end | before_start
    channel = pl.col("channel")
    no_debt = pl.col("debt_id").is_null()
    caller = pl.col("caller").fill_null("")

    hold_block = ~pl.col("purpose").is_in(cba.holds.exempt_purposes).fill_null(False) & (
        pl.col("_hold_all").fill_null(False)
        | (no_debt & pl.col("_hold_any").fill_null(False))
        | pl.col("_hold_debt").fill_null(False)
    )
    notice_ok = pl.col("_notice_all").fill_null(False) | (
        pl.col("_notice_some").fill_null(False)
        & (no_debt | pl.col("_notice_names").fill_null(False))
    )
    frame = frame.with_columns(
        (channel.is_in(quiet.channels) & ~allowed_time).alias("_quiet"),
        (
            (channel == "phone")
            & pl.col("call_type").is_in(gbt.voice_notice_call_types).fill_null(False)
            & (pl.col("_voice").fill_null(0) >= gbt.voice_notice_cap)
        ).alias("_voice_defer"),
        hold_block.alias("_hold"),
        (
            (channel == "visit")
            & (pl.col("collector_count").fill_null(-1) < cba.min_visit_collectors)
        ).alias("_visit"),
        (caller.str.starts_with("agency:") & ~notice_ok).alias("_outsourcing"),
        pl.col("_attempts").fill_null(0).alias("_attempts"),
    ).with_columns((pl.col("_hold") | pl.col("_visit") | pl.col("_outsourcing")).alias("_blocked"))

    # In-batch attempts: the allowed calls before this one to the same number and day are the
    # first (cap - attempts) of those that nothing but the cap would stop. Only groups with
    # more than one call need the (ordered) count.
    capped = pl.col("cap_number").is_not_null()
    eligible = (capped & ~pl.col("_blocked") & ~pl.col("_quiet") & ~pl.col("_voice_defer")).cast(
        pl.Int64
    )
    shared = (
        frame.filter(pl.col("_shared") > 1)
        .select("_row", *_GROUP, "datetime", "proposal_id", eligible.alias("_eligible"))
        .sort(*_GROUP, "datetime", "proposal_id")
        .select(
            "_row",
            (pl.col("_eligible").cum_sum().over(_GROUP) - pl.col("_eligible")).alias("_before"),
        )
    )
    room = (cba.unanswered_cap - pl.col("_attempts")).clip(lower_bound=0)
    before = pl.min_horizontal(pl.col("_before").fill_null(0), room)
    frame = frame.join(shared, on="_row", how="left").with_columns(
        (capped & (pl.col("_attempts") + before >= cba.unanswered_cap)).alias("_cap_defer")
    )

    # The latest time a deferring rule names: 08:00 the next day for a cap (CBA and GB/T both
    # open at ``quiet.end``), else the end of the quiet hours (today if before it).
    until_quiet_ends = pl.when(local < end).then("_opens").otherwise("_opens_next")
    later = (
        pl.when(pl.col("_cap_defer") | pl.col("_voice_defer"))
        .then("_opens_next")
        .when(pl.col("_quiet"))
        .then(until_quiet_ends)
    )
    deferred = pl.col("_quiet") | pl.col("_cap_defer") | pl.col("_voice_defer")
    blocked = pl.col("_blocked")

    def bit(flag: str, value: int) -> pl.Expr:
        return pl.col(flag).cast(pl.Int32) * value

    blocks = bit("_outsourcing", 1) + bit("_hold", 2) + bit("_visit", 4)
    defers = bit("_quiet", 8) + bit("_cap_defer", 16) + bit("_voice_defer", 32)
    code = pl.when(blocked).then(blocks).otherwise(defers)
    frame = frame.select(
        "_row",
        pl.when(blocked)
        .then(pl.lit(Decision.BLOCKED.value))
        .when(deferred)
        .then(pl.lit(Decision.DEFERRED.value))
        .otherwise(pl.lit(Decision.ALLOWED.value))
        .alias("decision"),
        pl.when(~blocked & deferred)
        .then(later)
        .cast(RESULT_SCHEMA["next_allowed_at"])
        .alias("next_allowed_at"),
        code.alias("_code"),
    )
    return (
        frame.join(_rule_lists(frame.get_column("_code")), on="_code", how="left")
        .select("_row", "decision", "next_allowed_at", "rule_ids")
        .with_columns(pl.lit(VECTORISED).alias("path"))
    )


# --------------------------------------------------------------------------------------------
# The scalar path
# --------------------------------------------------------------------------------------------


def _scalar(
    proposals: pl.DataFrame,
    history: pl.DataFrame,
    *,
    jurisdiction: str,
    packs: Sequence[RulePack],
    fallback: Fallback,
    counting_zone: str,
) -> pl.DataFrame:
    columns = [name for name in history.columns if name == "debtor_id" or name in EVENT_FIELDS]
    rows_by_debtor: dict[Any, list[dict[str, Any]]] = {}
    wanted = history.join(proposals.select("debtor_id").unique(), on="debtor_id", how="semi")
    for row in wanted.select(columns).iter_rows(named=True):
        rows_by_debtor.setdefault(row["debtor_id"], []).append(row)
    placed: dict[tuple[Any, str, date], list[dict[str, Any]]] = {}
    out: dict[str, list[Any]] = {"_row": [], **{name: [] for name in RESULT_SCHEMA}}
    ordered = proposals.sort("datetime", "proposal_id")
    for row in ordered.iter_rows(named=True):
        key = None
        if row["channel"] == "phone" and row.get("to_number"):
            zone = counting_zone if jurisdiction == "CN" else row.get("timezone") or "UTC"
            day = row["datetime"].astimezone(ZoneInfo(zone)).date()
            key = (row["debtor_id"], _digits(row["to_number"]), day)
        raw = request_json(
            row,
            rows_by_debtor.get(row["debtor_id"], ()),
            jurisdiction=jurisdiction,
            earlier=placed.get(key, ()) if key is not None else (),
        )
        try:
            verdict = fallback(parse_request(raw), packs)
        except RequestError as exc:
            raise RequestError(f"proposal {row['proposal_id']!r}: {exc}") from exc
        if verdict.allowed and key is not None:
            placed.setdefault(key, []).append(row)
        out["_row"].append(row["_row"])
        out["decision"].append(verdict.decision.value)
        out["next_allowed_at"].append(verdict.next_allowed_at)
        out["rule_ids"].append(sorted({reason.rule_id for reason in verdict.reasons}))
        out["path"].append(SCALAR)
    return pl.DataFrame(out, schema={"_row": proposals.schema["_row"], **RESULT_SCHEMA})


# --------------------------------------------------------------------------------------------


def plan_contacts(
    proposals: pl.DataFrame,
    history: pl.DataFrame,
    *,
    jurisdiction: str = "CN",
    packs: Sequence[RulePack] = CN_PACKS,
    fallback: Fallback = engine.check,
    params: CNParams | None = None,
) -> pl.DataFrame:
    """The verdict on every proposed contact against the portfolio's history (module docstring).

    ``params``: the parameters ``packs`` were built from (``cn_packs(params)``), so the fast path
    can read them; left out, the fast path is used only for the default :data:`CN_PACKS`, and
    any other packs are checked proposal by proposal.
    """
    required = ("proposal_id", "debtor_id", "datetime", "channel")
    props = _normalised(proposals, PROPOSAL_COLUMNS, "proposals", required).with_row_index("_row")
    if props.get_column("proposal_id").n_unique() != props.height:
        raise ValueError("proposals.proposal_id: values must be unique")
    hist = _normalised(history, HISTORY_COLUMNS, "history", ("debtor_id", "datetime", "channel"))
    if hist.schema["debtor_id"] != props.schema["debtor_id"]:
        hist = hist.with_columns(pl.col("debtor_id").cast(props.schema["debtor_id"]))
    fast_params = _fast_params(packs, params, jurisdiction)
    counting_zone = (params or CNParams()).cba.counting_timezone
    parts = []
    slow = props
    if fast_params is not None and props.height:
        routed = _route(props, hist, packs, fast_params)
        fast = routed.filter(pl.col("fast"))
        slow = props.join(routed.filter(~pl.col("fast")).select("_row"), on="_row", how="semi")
        if fast.height:
            parts.append(_vectorised(fast, hist, fast_params))
    if slow.height or not parts:
        parts.append(
            _scalar(
                slow,
                hist,
                jurisdiction=jurisdiction,
                packs=packs,
                fallback=fallback,
                counting_zone=counting_zone,
            )
        )
    # Every row is decided exactly once, so the rows in order line up with the proposals.
    decided = pl.concat(parts, how="vertical").sort("_row")
    assert decided.height == props.height
    return props.select("proposal_id").hstack(decided.drop("_row"))
