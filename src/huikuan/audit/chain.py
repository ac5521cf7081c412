"""A hash-chained, append-only audit log as pure functions over immutable records.

Data flow: ``append(prev, …)`` → a new :class:`AuditRecord` whose ``hash`` is
``sha256(prev_hash ‖ canonical(body))`` and whose ``prev_hash`` is the previous record's ``hash``
(:data:`GENESIS` for the first) → the audit service stores it → ``verify_chain(rows, head=…)``
re-walks the stored rows in ``seq`` order, one at a time, and returns every
:class:`ChainBreak` it finds (an empty list: the log is intact).

What each check catches:

* ``EDITED``: a row's stored hash differs from the hash of its contents: a field was changed.
* ``BROKEN_LINK``: a row's ``prev_hash`` is not the previous row's hash: a row before it was
  deleted or inserted, or an edited row was given a recomputed hash.
* ``GAP``: ``seq`` is not one more than the previous row's: rows were deleted (or reordered).
* ``TRUNCATED``: the last row is not the head ``(seq, hash)`` recorded at append time: rows were
  deleted from the end, or the tail was rewritten. Without ``head`` this cannot be seen, since
  a shortened chain is still a valid chain; so the head must be kept somewhere the log's writer
  cannot rewrite together with the log (a separate table, and ideally a copy outside the DB).

Storage contract for the audit table: keep ``at`` and ``detail`` as the exact text written
(``detail`` as :func:`canonical_detail` text, not PostgreSQL ``jsonb``, which re-spaces and
reformats numbers), because the hash is over those exact values. ``detail`` takes strings,
integers, booleans, ``None``, lists and string-keyed objects: no floats (money is integer minor
units; floats do not survive every database's JSON unchanged) and never plaintext personal data
(callers pass masked values).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NoReturn

GENESIS = "0" * 64
"""The ``prev_hash`` of the first record."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of the audit log.

    ``detail`` is deep-copied read-only on creation (mappings that refuse changes, lists become
    tuples); it is still a ``dict``, so ``json.dumps(record.detail)`` works as usual.
    """

    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: Mapping[str, object] = field(hash=False)
    prev_hash: str
    hash: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", _freeze_mapping(self.detail))


class BreakKind(StrEnum):
    EDITED = "edited"
    BROKEN_LINK = "broken_link"
    GAP = "gap"
    TRUNCATED = "truncated"


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """A place where the log is not what was appended.

    ``seq`` is the stored ``seq`` of the row where the problem shows (for ``TRUNCATED``, the
    head's ``seq`` that the log should reach).
    """

    seq: int
    kind: BreakKind
    message: str


def canonical_detail(detail: Mapping[str, object]) -> str:
    """``detail`` as sorted-key compact JSON text (non-ASCII kept as is).

    >>> canonical_detail({"to": "M2", "from": "M1", "by": "张三"})
    '{"by":"张三","from":"M1","to":"M2"}'
    """
    return _dumps(detail)


def canonical(
    *,
    seq: int,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, object],
    prev_hash: str,
) -> bytes:
    """The bytes a record's hash covers: every field but ``hash``, as sorted-key compact JSON
    in UTF-8 (the same bytes whatever order ``detail``'s keys were written in).
    """
    body = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return _dumps(body).encode("utf-8")


def record_hash(
    *,
    seq: int,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, object],
    prev_hash: str,
) -> str:
    """SHA-256 (hex) over ``prev_hash`` followed by the canonical body."""
    body = canonical(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
        prev_hash=prev_hash,
    )
    return hashlib.sha256(prev_hash.encode("utf-8") + body).hexdigest()


def hash_of(record: AuditRecord) -> str:
    """The hash ``record``'s contents should carry (ignores its stored ``hash``)."""
    return record_hash(
        seq=record.seq,
        at=record.at,
        actor=record.actor,
        action=record.action,
        entity=record.entity,
        entity_id=record.entity_id,
        detail=record.detail,
        prev_hash=record.prev_hash,
    )


def append(
    prev: AuditRecord | None,
    *,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: Mapping[str, object],
) -> AuditRecord:
    """The record that follows ``prev`` (``None``: the first record of an empty log).

    ``ValueError`` when ``at`` is not ISO-8601 with an offset, a name is empty, or ``detail``
    holds something other than JSON strings, integers, booleans, nulls, lists and objects.
    """
    _check_timestamp(at)
    for name, value in (("actor", actor), ("action", action), ("entity", entity)):
        if not value.strip():
            raise ValueError(f"audit record {name} must not be empty")
    _check_json(detail, "detail")
    seq = 1 if prev is None else prev.seq + 1
    prev_hash = GENESIS if prev is None else prev.hash
    digest = record_hash(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
        prev_hash=prev_hash,
    )
    return AuditRecord(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail,
        prev_hash=prev_hash,
        hash=digest,
    )


def iter_breaks(
    records: Iterable[AuditRecord], *, head: tuple[int, str] | None = None
) -> Iterator[ChainBreak]:
    """The breaks in ``records`` (in ``seq`` order) as they are found; holds one row at a time.

    ``head`` is the ``(seq, hash)`` of the last record appended, kept apart from the log;
    ``(0, GENESIS)`` stands for an empty log.
    """
    expected_seq = 1
    expected_prev = GENESIS
    last: tuple[int, str] = (0, GENESIS)
    for record in records:
        seq = record.seq
        if seq != expected_seq:
            if seq > expected_seq:
                missing = (
                    f"seq {expected_seq}"
                    if seq == expected_seq + 1
                    else f"seqs {expected_seq}-{seq - 1}"
                )
                message = f"expected seq {expected_seq}, found {seq}: {missing} missing"
            else:
                message = f"expected seq {expected_seq}, found {seq}: repeated or out of order"
            yield ChainBreak(seq, BreakKind.GAP, message)
        if record.prev_hash != expected_prev:
            before = f"the row before (seq {last[0]})" if last[0] else "the genesis value"
            yield ChainBreak(
                seq,
                BreakKind.BROKEN_LINK,
                f"prev_hash does not match {before}: a row was deleted or inserted before "
                "it, or the row before was edited and re-hashed",
            )
        try:
            recomputed = hash_of(record)
        except (TypeError, ValueError):
            recomputed = None
        if recomputed != record.hash:
            yield ChainBreak(
                seq,
                BreakKind.EDITED,
                "stored hash does not match the row's contents: the row was edited",
            )
        expected_seq = seq + 1
        expected_prev = record.hash
        last = (seq, record.hash)
    if head is not None and last != head:
        head_seq, _ = head
        if last[0] < head_seq:
            message = (
                f"the log ends at seq {last[0]} but the recorded head is seq {head_seq}: "
                "rows were deleted from the end"
            )
        elif last[0] == head_seq:
            message = (
                f"the last row (seq {head_seq}) does not carry the recorded head hash: "
                "the end of the log was rewritten"
            )
        else:
            message = (
                f"the log runs on to seq {last[0]} past the recorded head seq {head_seq}: "
                "rows were written without moving the head, or the head was reset"
            )
        yield ChainBreak(head_seq, BreakKind.TRUNCATED, message)


def verify_chain(
    records: Iterable[AuditRecord], *, head: tuple[int, str] | None = None
) -> list[ChainBreak]:
    """Every break in ``records`` (in ``seq`` order); an empty list means the log is intact.

    Streams ``records`` (a database cursor is fine): only the previous row's ``seq`` and hash
    are kept. See :func:`iter_breaks` for ``head``; without it, rows deleted from the very end
    go unnoticed.
    """
    return list(iter_breaks(records, head=head))


def _check_timestamp(at: str) -> None:
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise ValueError(f"audit timestamp {at!r} is not ISO-8601") from None
    if moment.utcoffset() is None:
        raise ValueError(f"audit timestamp {at!r} needs a UTC offset, e.g. +08:00")


def _check_json(value: object, path: str) -> None:
    """Accept only JSON values that hash the same after a database round trip.

    Messages name the path, never the value (it might be personal data).
    """
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        raise ValueError(f"{path} is a float; use integer minor units or a string")
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{path} has a non-string key of type {type(key).__name__}")
            _check_json(item, f"{path}[{key!r}]")
        return
    raise ValueError(f"{path} is a {type(value).__name__}, which is not a JSON value")


def _dumps(value: object) -> str:
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_thaw,
    )


class _FrozenDict(dict[str, object]):
    """A ``dict`` that refuses changes: ``json`` serialises it like any dict."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("audit record detail is read-only")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[_FrozenDict], tuple[dict[str, object]]]:
        return (_FrozenDict, (dict(self),))


def _freeze_mapping(value: Mapping[str, object]) -> Mapping[str, object]:
    """Deep read-only copy: mappings → :class:`_FrozenDict`, lists → tuples."""
    if isinstance(value, _FrozenDict):
        return value
    return _FrozenDict({key: _freeze(item) for key, item in value.items()})


def _freeze(value: object) -> object:
    if isinstance(value, Mapping):
        return _freeze_mapping(value)
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value


def _thaw(value: object) -> object:
    """``json.dumps`` fallback for mappings that are not ``dict`` (e.g. ``MappingProxyType``)."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"a {type(value).__name__} is not a JSON value")
