"""Benchmarks are measured by hand; CI only checks that they run and print their ratios, on the
session's Apache Kafka (so that no second broker starts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def _run(bench: str, records: int, bootstrap: str) -> str:
    """Runs a benchmark with a small record count on ``bootstrap``; its printed report."""
    out = subprocess.run(
        [sys.executable, str(BENCHES / bench), "--records", str(records), "--bootstrap", bootstrap],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    print(out)
    return out


def test_source_throughput_benchmark_smoke_runs(bootstrap_servers: str) -> None:
    out = _run("source_throughput.py", 20000, bootstrap_servers)
    assert "a/c = " in out and "b/c = " in out and "a/d = " in out and "a/d1 = " in out


def test_sink_throughput_benchmark_smoke_runs(bootstrap_servers: str) -> None:
    out = _run("sink_throughput.py", 20000, bootstrap_servers)
    assert "a/c = " in out and "a/d = " in out


def test_struct_records_benchmark_smoke_runs(bootstrap_servers: str) -> None:
    out = _run("struct_records.py", 2000, bootstrap_servers)
    assert "source: SourceRecord(Struct)" in out and "sink:   Kafka" in out
