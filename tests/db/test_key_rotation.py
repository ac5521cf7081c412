"""Rotating the data key rewrites every stored token; old keys keep working until then."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.db.engine import transaction
from huikuan.demo.service import load_demo
from huikuan.security.crypto import FieldCipher, KeyRing, generate_spec
from huikuan.security.rotation import ENCRYPTED_COLUMNS, rotate_all


def test_rotation_moves_every_token_to_the_new_key(
    engine: Engine, cipher: FieldCipher, tmp_path: Path
) -> None:
    load_demo(
        engine,
        accounts=150,
        as_of=date(2026, 11, 20),
        days=0,
        seed=8,
        cipher=cipher,
        work_dir=tmp_path / "demo",
    )
    with transaction(engine) as session:
        before = session.scalars(select(Debtor).order_by(Debtor.id)).first()
        assert before is not None
        assert before.id_number_enc is not None
        plain = cipher.decrypt(before.id_number_enc, context="debtor.id_number")
    new_key = KeyRing.from_spec(generate_spec("k2"))
    rotated = cipher.with_ring(KeyRing((*new_key.entries, *cipher.ring.entries)))
    counts = rotate_all(engine, rotated)
    assert counts["debtors.id_number_enc"] > 0
    assert counts["contact_points.value_enc"] > 0
    assert rotate_all(engine, rotated) == dict.fromkeys(counts, 0)  # nothing left to do
    new_only = cipher.with_ring(new_key)
    with transaction(engine) as session:
        after = session.get(Debtor, before.id)
        assert after is not None
        assert after.id_number_enc is not None
        assert after.id_number_enc.startswith("v1:k2:")
        assert new_only.decrypt(after.id_number_enc, context="debtor.id_number") == plain
        for model, column, _context in ENCRYPTED_COLUMNS:
            tokens = [t for t in session.scalars(select(getattr(model, column))) if t is not None]
            assert all(t.startswith("v1:k2:") for t in tokens), column
        hashes = session.scalars(select(ContactPoint.value_hash)).all()
        assert all(len(h) == 64 for h in hashes)  # search hashes are untouched by rotation
