"""Peak resident memory of this process during a block, sampled by a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil


@dataclass
class Peak:
    mb: float = 0.0


@contextmanager
def peak_memory(interval: float = 0.01) -> Iterator[Peak]:
    process = psutil.Process()
    peak = Peak(process.memory_info().rss / 2**20)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.mb = max(peak.mb, process.memory_info().rss / 2**20)
            done.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()
        peak.mb = max(peak.mb, process.memory_info().rss / 2**20)
