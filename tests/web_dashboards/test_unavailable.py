"""Set-up the numbers depend on is missing: a clear 409 naming what to fix, never a 500.

The web tests' tiny world (``tests/web/conftest.py``) stores empty product policies and installs
no commission scheme.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from huikuan.db.engine import make_engine
from huikuan.security.crypto import FieldCipher
from tests.web.conftest import FakeClock, build_world, login, make_app


def test_missing_set_up_is_a_409_with_the_reason(tmp_path: Path, cipher: FieldCipher) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tiny.db'}")
    try:
        world = build_world(engine, cipher)
        with TestClient(make_app(world, cipher, FakeClock())) as client:
            login(client, "mgr")
            kpis = client.get("/api/dashboards/manager")
            assert kpis.status_code == 409
            assert "product policy" in kpis.json()["detail"]
            page = client.get("/dashboards/manager")
            assert page.status_code == 409
            assert "product policy" in page.text
            money = client.get("/api/dashboards/commissions", params={"month": "2026-11"})
            assert money.status_code == 409
            assert "commission scheme" in money.json()["detail"]
            export = client.get("/dashboards/commissions/export.csv", params={"month": "2026-11"})
            assert export.status_code == 409
    finally:
        engine.dispose()
