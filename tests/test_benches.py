"""Benchmarks are measured by hand; CI only checks that they run and print their ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def _run(bench: str, records: int) -> str:
    """Runs a benchmark with a small record count; its printed report."""
    out = subprocess.run(
        [sys.executable, str(BENCHES / bench), "--records", str(records)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    print(out)
    return out


def test_source_throughput_benchmark_smoke_runs() -> None:
    out = _run("source_throughput.py", 20000)
    assert "a/c = " in out and "b/c = " in out and "a/d = " in out and "a/d1 = " in out


def test_sink_throughput_benchmark_smoke_runs() -> None:
    out = _run("sink_throughput.py", 20000)
    assert "a/c = " in out and "a/d = " in out


def test_struct_records_benchmark_smoke_runs() -> None:
    out = _run("struct_records.py", 2000)
    assert "source: SourceRecord(Struct)" in out and "sink:   Kafka" in out
