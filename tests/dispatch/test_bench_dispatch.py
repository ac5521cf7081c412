"""The dispatch benchmark's own check: every run drains its messages, each accepted once by a
provider in another process (its figures are only worth printing if that holds)."""

from __future__ import annotations

from huikuan.bench.dispatch import run


def test_dispatch_bench_sends_every_message_once_per_run() -> None:
    lines = run(12)
    assert [(line["bench"], line["concurrency"]) for line in lines] == [
        ("dispatch.sms", 1),
        ("dispatch.sms", 8),
        ("dispatch.sms_client_per_message", 1),
        ("dispatch.sms_client_per_message", 8),
        ("dispatch.email", 1),
        ("dispatch.email", 8),
        ("dispatch.sms_latency_20ms", 1),
        ("dispatch.sms_latency_20ms", 8),
        ("dispatch.email_latency_20ms", 1),
        ("dispatch.email_latency_20ms", 8),
    ]
    for line in lines:
        n = line["n"]
        assert line["sent"] == line["provider_accepted"] == line["provider_distinct"] == n
        assert "speedup" in line if line["concurrency"] == 8 else "speedup" not in line
