"""Benchmarks are measured by hand; CI only checks that they run and print their ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def test_source_throughput_benchmark_smoke_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHES / "source_throughput.py"), "--records", "20000"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    print(out)
    assert "a/c = " in out and "b/c = " in out and "a/d = " in out and "a/d1 = " in out


def test_sink_throughput_benchmark_smoke_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHES / "sink_throughput.py"), "--records", "20000"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    print(out)
    assert "a/c = " in out and "a/d = " in out


def test_struct_records_benchmark_smoke_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHES / "struct_records.py"), "--records", "2000"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    print(out)
    assert "source: SourceRecord(Struct)" in out and "sink:   Kafka" in out
