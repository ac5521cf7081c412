"""Bulk writes that stay fast at a million rows: Core executemany with ids decided up front.

ORM inserts with RETURNING cost far more than the write itself at this size, so bulk paths
reserve a block of primary keys (the table is locked on PostgreSQL so two imports cannot take
the same block), insert plain rows in batches, and move PostgreSQL's id sequence past them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

BATCH = 10_000


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def reserve_ids(session: Session, model: Any, count: int) -> range:
    """``count`` fresh primary keys for ``model``, unused by anyone else in this transaction."""
    table = _table(model)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f'LOCK TABLE "{table.name}" IN SHARE ROW EXCLUSIVE MODE'))
    highest = session.scalar(select(func.max(table.c.id))) or 0
    return range(int(highest) + 1, int(highest) + 1 + count)


def insert_rows(session: Session, model: Any, rows: Iterable[dict[str, Any]]) -> int:
    """Insert plain rows in batches straight through the driver; returns how many.

    SQLite gets one ``executemany`` per batch; PostgreSQL gets ``COPY … FROM STDIN``. Every row
    must carry the same keys (the first row's keys name the columns); values are bound, never
    spliced into SQL.
    """
    table = _table(model)
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    columns = list(first)
    unknown = [name for name in columns if name not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {', '.join(unknown)}")
    quoted = ", ".join(f'"{name}"' for name in columns)
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    written = 0
    cursor = raw.cursor()
    try:
        if session.get_bind().dialect.name == "postgresql":
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for row in _chain(first, iterator):
                    copy.write_row([row[name] for name in columns])
                    written += 1
            return written
        marks = ", ".join("?" for _ in columns)
        statement = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})'
        batch: list[tuple[Any, ...]] = []
        for row in _chain(first, iterator):
            batch.append(tuple(row[name] for name in columns))
            if len(batch) >= BATCH:
                cursor.executemany(statement, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)
            written += len(batch)
        return written
    finally:
        cursor.close()


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def sync_id_sequence(session: Session, model: Any) -> None:
    """After explicit ids, PostgreSQL's serial sequence must start past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    table = _table(model)
    session.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 1))'
        )
    )


def update_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Update rows by primary key in batches: each row is ``{"key": id, column: value, …}``.

    One executemany UPDATE per batch; every row must name the same columns.
    """
    if not rows:
        return 0
    table = _table(model)
    columns = [name for name in rows[0] if name != "key"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("key"))
        .values({name: bindparam(name) for name in columns})
    )
    connection = session.connection()
    for start in range(0, len(rows), BATCH):
        connection.execute(statement, list(rows[start : start + BATCH]))
    return len(rows)
