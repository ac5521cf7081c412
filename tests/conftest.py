"""Shared fixtures: a database engine per backend (SQLite file, temporary PostgreSQL server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text

from huikuan.db.engine import make_engine
from huikuan.db.registry import metadata
from huikuan.db.throwaway_pg import temporary_postgres
from huikuan.security.crypto import FieldCipher, generate_key, generate_spec

# Tests never depend on wall-clock speed: no per-example deadline, and slow input generation
# (a loaded CI machine) is not a failure. The examples themselves are unchanged.
settings.register_profile(
    "huikuan", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("huikuan")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with temporary_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each kind; the test brings it to the schema it needs."""
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'huikuan.db'}")
        yield made
        made.dispose()
        return
    made = make_engine(request.getfixturevalue("postgres_url"))
    with made.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    yield made
    made.dispose()


@pytest.fixture(scope="session")
def cipher() -> FieldCipher:
    """A field cipher with fresh keys for the test session."""
    return FieldCipher.from_spec(generate_spec("test1"), generate_key())


__all__ = ["metadata"]
