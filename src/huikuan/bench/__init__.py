"""Benchmarks behind ``make bench``: each prints JSON lines with at least ``bench``, ``n``,
``seconds`` and ``peak_mb`` (and ``baseline_seconds`` / ``speedup`` where compared)."""
