"""The hash-chained audit log: every edited, deleted or re-hashed row is found."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huikuan.audit.chain import (
    GENESIS,
    AuditRecord,
    BreakKind,
    ChainBreak,
    append,
    canonical,
    hash_of,
    iter_breaks,
    record_hash,
    verify_chain,
)

ACTIONS = ("case.transition", "pii.reveal", "import.placements", "payment.allocated")
START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
FIELDS = ("seq", "at", "actor", "action", "entity", "entity_id", "detail", "prev_hash", "hash")


def build_chain(count: int) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    prev: AuditRecord | None = None
    for index in range(count):
        prev = append(
            prev,
            at=(START + timedelta(minutes=index)).isoformat(),
            actor="system" if index % 7 == 0 else f"agent{index % 5}",
            action=ACTIONS[index % len(ACTIONS)],
            entity="case",
            entity_id=str(1000 + index // 3),
            detail={"from": "M1", "to": "M2", "phone": "138****1234", "n": index},
        )
        records.append(prev)
    return records


@cache
def chain_of_1000() -> tuple[AuditRecord, ...]:
    return tuple(build_chain(1000))


def head_of(records: list[AuditRecord] | tuple[AuditRecord, ...]) -> tuple[int, str]:
    return (records[-1].seq, records[-1].hash)


def kinds_at(breaks: list[ChainBreak]) -> set[tuple[BreakKind, int]]:
    return {(found.kind, found.seq) for found in breaks}


def test_an_intact_chain_of_1000_records_verifies() -> None:
    records = chain_of_1000()
    assert [record.seq for record in records] == list(range(1, 1001))
    assert records[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    assert verify_chain(records) == []
    assert verify_chain(records, head=head_of(records)) == []


def test_empty_log() -> None:
    assert verify_chain([]) == []
    assert verify_chain([], head=(0, GENESIS)) == []
    assert kinds_at(verify_chain([], head=(3, "f" * 64))) == {(BreakKind.TRUNCATED, 3)}


def test_verification_streams_from_a_one_shot_iterator() -> None:
    seen: list[int] = []

    def cursor() -> Iterator[AuditRecord]:
        for record in chain_of_1000():
            seen.append(record.seq)
            yield record

    breaks = iter_breaks(cursor(), head=head_of(chain_of_1000()))
    assert next(breaks, None) is None
    assert seen == list(range(1, 1001))


def _edited_value(record: AuditRecord, name: str, data: st.DataObject) -> object:
    old = getattr(record, name)
    if name == "seq":
        return data.draw(st.integers(min_value=-5, max_value=5000).filter(lambda s: s != old))
    if name == "detail":
        return data.draw(
            st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5)).filter(
                lambda d: d != old
            )
        )
    if name in ("prev_hash", "hash"):
        return data.draw(st.text("0123456789abcdef", min_size=64, max_size=64).filter(old.__ne__))
    return data.draw(st.text(max_size=30).filter(lambda s: s != old))


@given(index=st.integers(min_value=0, max_value=999), name=st.sampled_from(FIELDS), data=st.data())
def test_editing_any_field_of_any_record_is_detected_at_that_row(
    index: int, name: str, data: st.DataObject
) -> None:
    records = list(chain_of_1000())
    edited = dataclasses.replace(
        records[index], **{name: _edited_value(records[index], name, data)}
    )
    records[index] = edited
    breaks = verify_chain(records, head=head_of(chain_of_1000()))
    assert (BreakKind.EDITED, edited.seq) in kinds_at(breaks)


@given(index=st.integers(min_value=1, max_value=998))
def test_deleting_a_middle_record_is_a_gap_and_a_broken_link_at_the_next_row(index: int) -> None:
    records = list(chain_of_1000())
    deleted = records.pop(index)
    breaks = verify_chain(records, head=head_of(chain_of_1000()))
    assert kinds_at(breaks) == {
        (BreakKind.GAP, deleted.seq + 1),
        (BreakKind.BROKEN_LINK, deleted.seq + 1),
    }
    gap = next(found for found in breaks if found.kind is BreakKind.GAP)
    assert f"seq {deleted.seq} missing" in gap.message


def test_deleting_the_first_record_or_a_run_of_records() -> None:
    records = list(chain_of_1000())
    assert kinds_at(verify_chain(records[1:])) == {
        (BreakKind.GAP, 2),
        (BreakKind.BROKEN_LINK, 2),
    }
    breaks = verify_chain(records[:10] + records[20:])
    assert kinds_at(breaks) == {(BreakKind.GAP, 21), (BreakKind.BROKEN_LINK, 21)}
    assert "seqs 11-20 missing" in breaks[0].message


@given(kept=st.integers(min_value=0, max_value=999))
def test_deleting_the_tail_is_seen_only_against_the_recorded_head(kept: int) -> None:
    records = list(chain_of_1000())[:kept]
    assert verify_chain(records) == []  # a shortened chain is still a chain
    breaks = verify_chain(records, head=head_of(chain_of_1000()))
    assert kinds_at(breaks) == {(BreakKind.TRUNCATED, 1000)}
    assert "deleted from the end" in breaks[0].message


def test_re_hashing_an_edited_record_is_caught_by_the_next_rows_link() -> None:
    records = list(chain_of_1000())
    forged = dataclasses.replace(records[499], detail={"from": "M1", "to": "M0"})
    forged = dataclasses.replace(forged, hash=hash_of(forged))
    records[499] = forged
    assert kinds_at(verify_chain(records)) == {(BreakKind.BROKEN_LINK, 501)}


def test_re_hashing_the_whole_tail_is_caught_by_the_head() -> None:
    records = list(chain_of_1000())
    forged = dataclasses.replace(records[899], actor="someone-else")
    forged = dataclasses.replace(forged, hash=hash_of(forged))
    rewritten = [*records[:899], forged]
    for original in records[900:]:
        link = dataclasses.replace(original, prev_hash=rewritten[-1].hash)
        rewritten.append(dataclasses.replace(link, hash=hash_of(link)))
    assert verify_chain(rewritten) == []  # internally consistent ...
    breaks = verify_chain(rewritten, head=head_of(records))  # ... but not the recorded head
    assert kinds_at(breaks) == {(BreakKind.TRUNCATED, 1000)}
    assert "rewritten" in breaks[0].message


def test_rows_beyond_the_recorded_head_are_reported() -> None:
    records = list(chain_of_1000())
    breaks = verify_chain(records, head=head_of(records[:990]))
    assert kinds_at(breaks) == {(BreakKind.TRUNCATED, 990)}
    assert "past the recorded head" in breaks[0].message


def test_swapped_rows_are_caught() -> None:
    records = list(chain_of_1000())
    records[10], records[11] = records[11], records[10]
    found = kinds_at(verify_chain(records))
    assert (BreakKind.GAP, 12) in found
    assert (BreakKind.BROKEN_LINK, 12) in found
    assert (BreakKind.GAP, 11) in found


def test_a_stored_row_that_is_no_longer_valid_json_is_reported_not_raised() -> None:
    records = list(chain_of_1000()[:3])
    records[1] = dataclasses.replace(records[1], detail={"x": float("nan")})
    assert kinds_at(verify_chain(records)) == {(BreakKind.EDITED, 2)}


def _reveal_body(detail: dict[str, object]) -> bytes:
    return canonical(
        seq=1,
        at="2024-03-01T09:00:00+08:00",
        actor="张三",
        action="pii.reveal",
        entity="debtor",
        entity_id="42",
        detail=detail,
        prev_hash=GENESIS,
    )


def test_canonical_form_ignores_key_order_and_keeps_chinese_text() -> None:
    a = _reveal_body({"field": "phone", "masked": "138****1234"})
    b = _reveal_body({"masked": "138****1234", "field": "phone"})
    assert a == b
    assert "张三".encode() in a
    assert b" " not in a
    assert a.startswith(b'{"action":"pii.reveal","actor":')


def test_hash_format_is_pinned() -> None:
    """Changing the canonical form would break every stored log: this value must not move."""
    digest = record_hash(
        seq=1,
        at="2024-03-01T09:00:00+08:00",
        actor="张三",
        action="pii.reveal",
        entity="debtor",
        entity_id="42",
        detail={"field": "phone"},
        prev_hash=GENESIS,
    )
    body = (
        '{"action":"pii.reveal","actor":"张三","at":"2024-03-01T09:00:00+08:00",'
        '"detail":{"field":"phone"},"entity":"debtor","entity_id":"42",'
        f'"prev_hash":"{GENESIS}","seq":1}}'
    )
    assert _reveal_body({"field": "phone"}) == body.encode()
    assert digest == hashlib.sha256((GENESIS + body).encode()).hexdigest()
    assert digest == "e896d5aae9c5117309da0fbbea00c60c7a914aaf3772868374a0d5fae029ac9c"


def test_a_record_read_back_from_storage_verifies() -> None:
    records = chain_of_1000()[:5]
    stored = [
        AuditRecord(
            **{
                name: json.loads(json.dumps(getattr(record, name), ensure_ascii=False))
                for name in FIELDS
            }
        )
        for record in records
    ]
    assert stored == list(records)
    assert verify_chain(stored, head=head_of(records)) == []


def test_detail_is_read_only() -> None:
    record = chain_of_1000()[0]
    with pytest.raises(TypeError, match="read-only"):
        record.detail["n"] = 5  # type: ignore[index]
    nested = append(
        None,
        at="2024-03-01T09:00:00Z",
        actor="a",
        action="b",
        entity="c",
        entity_id="d",
        detail={"items": [{"k": 1}]},
    )
    items = nested.detail["items"]
    assert isinstance(items, tuple)
    with pytest.raises(TypeError):
        items[0]["k"] = 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"at": "2024-03-01T09:00:00"}, "needs a UTC offset"),
        ({"at": "yesterday"}, "not ISO-8601"),
        ({"actor": " "}, "actor must not be empty"),
        ({"action": ""}, "action must not be empty"),
        ({"detail": {"amount": 12.5}}, r"detail\['amount'\] is a float"),
        ({"detail": {"rows": [1, {"x": 0.1}]}}, r"detail\['rows'\]\[1\]\['x'\] is a float"),
        ({"detail": {1: "a"}}, "non-string key"),
        ({"detail": {"when": START}}, "not a JSON value"),
    ],
)
def test_append_refuses_what_would_not_verify_later(
    changes: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "at": "2024-03-01T09:00:00+08:00",
        "actor": "agent1",
        "action": "case.transition",
        "entity": "case",
        "entity_id": "7",
        "detail": {},
    }
    arguments.update(changes)
    with pytest.raises(ValueError, match=message):
        append(None, **arguments)  # type: ignore[arg-type]


def test_error_messages_do_not_echo_detail_values() -> None:
    with pytest.raises(ValueError, match="float") as err:
        append(
            None,
            at="2024-03-01T09:00:00+08:00",
            actor="a",
            action="pii.reveal",
            entity="debtor",
            entity_id="1",
            detail={"id": "11010519491231002X", "score": 0.5},
        )
    assert "11010519491231002X" not in str(err.value)
    assert "0.5" not in str(err.value)
