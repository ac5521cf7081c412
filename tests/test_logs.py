"""Logs never carry personal data."""

from __future__ import annotations

import json

import pytest

from huikuan.logs import configure_logging, get_logger, scrub


def test_personal_fields_and_shapes_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    get_logger("test").info(
        "contact attempt for 张三 at 13812345678",
        name="张三",
        phone="13812345678",
        id_number="11010519491231002X",
        note="debtor said call 13987654321 or mail zhang.san@example.com",
        details={"address": "北京市朝阳区某路1号", "amount": 1000},
        account_id=42,
    )
    line = capsys.readouterr().err.strip()
    record = json.loads(line)
    for secret in ("13812345678", "13987654321", "11010519491231002X", "zhang.san@example.com"):
        assert secret not in line
    assert "北京市朝阳区" not in line
    assert record["name"] == record["phone"] == record["id_number"] == "[redacted]"
    assert record["details"]["amount"] == 1000
    assert record["account_id"] == 42


def test_scrub_keeps_ordinary_numbers() -> None:
    assert scrub("account 1000234 owes 138.00") == "account 1000234 owes 138.00"
    assert scrub("ID 110105194912310021 phone 15912345678") == "ID [redacted] phone [redacted]"
