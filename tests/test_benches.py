"""Benchmarks are measured by hand; CI only checks that they run and print their ratios, on the
session's Apache Kafka (so that no second broker starts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import java_connect
import kafka_broker

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def _run(bench: str, records: int, bootstrap: str, *args: str) -> str:
    """Runs a benchmark with a small record count (or ``args``) on ``bootstrap``; its printed report."""
    size = ["--records", str(records)] if records else []
    out = subprocess.run(
        [sys.executable, str(BENCHES / bench), *size, "--bootstrap", bootstrap, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    print(out)
    return out


def _java_connect_missing() -> str | None:
    """Why Java Connect cannot run here, or None when it can.

    Java Connect is a benchmark dependency: like the broker, its absence fails the run under
    ``CI=true``; elsewhere the benchmarks run without their Java rows (or the test skips).
    """
    try:
        java_connect.install()
        java_connect.javac()
    except (java_connect.ConnectStartError, kafka_broker.BrokerStartError) as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Java Connect cannot run: {exc}", pytrace=False)
        return str(exc)
    return None


def test_source_throughput_benchmark_smoke_runs(bootstrap_servers: str) -> None:
    java = _java_connect_missing() is None
    ours = "a,af,ab,b,c,d,d0,d1,a0,b0"
    out = _run("source_throughput.py", 20000, bootstrap_servers, *(() if java else ("--variants", ours)))
    for ratio in ("a/c", "b/c", "a/d", "a/d1", "af/d0", "ab/d0", "ab/af", "a/a0", "b/b0"):
        assert f"{ratio} = " in out, ratio
    assert "untimed rounds (" in out and "speed probe (10M Python additions): " in out
    if java:
        for ratio in ("a/j", "af/j", "ab/j", "b/j", "ab/jb", "b/jb"):
            assert f"{ratio} = " in out, ratio


def test_sink_throughput_benchmark_smoke_runs(bootstrap_servers: str) -> None:
    java = _java_connect_missing() is None
    ours = "a,b,c,c2,d,a0,b0"
    out = _run("sink_throughput.py", 20000, bootstrap_servers, *(() if java else ("--variants", ours)))
    assert "a/c = " in out and "b/d = " in out and "a/d = " in out and "b/c2 = " in out
    assert "metrics on/off: a/a0 = " in out
    assert "untimed rounds (" in out and "speed probe (10M Python additions): " in out
    if java:
        assert "a/j = " in out and "b/j = " in out, out


def test_file_stream_benchmark_smoke_runs_java_and_ours(bootstrap_servers: str) -> None:
    out = _run("file_stream.py", 5000, bootstrap_servers)
    for job in ("source: file -> topic", "sink: topic -> file"):
        assert job in out
    assert out.count("native/java: throughput") == 2 and out.count("python/java: throughput") == 2


def test_exactly_once_benchmark_smoke_runs_java_and_ours(bootstrap_servers: str) -> None:
    out = _run("exactly_once.py", 5000, bootstrap_servers)
    for kind in ("native", "python", "java"):
        assert f"{kind} exactly-once / at-least-once:" in out, out
    assert "native / java, exactly-once: throughput" in out, out


def test_transform_chain_benchmark_smoke_runs_java_and_ours(bootstrap_servers: str) -> None:
    out = _run("transform_chain.py", 5000, bootstrap_servers)
    for chain in ("builtin", "python", "batch"):
        assert f"native {chain}/java builtin: chain cost per record" in out


def test_struct_records_benchmark_smoke_runs(bootstrap_servers: str) -> None:
    java = _java_connect_missing() is None
    out = _run("struct_records.py", 2000, bootstrap_servers, "--java", "on" if java else "off")
    labels = (
        "source: Struct.put x10",
        "source: Struct(schema, dict)",
        "source: tuples in a SourceBatch",
        "source: dict values",
        "source: prebuilt",
        "source: rows, producer compression lz4",
        "ceiling: the rows' JSON bytes",
        "source rows/ceiling = ",
        "sink:   Kafka",
        "untimed rounds (",
        "the same job after the variants: ",
        "speed probe (10M Python additions): ",
    )
    for label in labels:
        assert label in out, out
    assert "CPU µs/record" in out
    if java:
        for ratio in (
            "source put/j_put",
            "source values/j_put",
            "source prebuilt/j_prebuilt",
            "sink get/j_get",
        ):
            assert f"{ratio} = " in out, out


def test_idle_tasks_cost_almost_no_cpu(bootstrap_servers: str) -> None:
    """16 idle source tasks (poll sleeps 1 s) and 16 idle sink tasks: the worker's CPU stays near 0.

    Each source task's producer used to poll without pause (rust-rdkafka's ThreadedProducer spins
    through the last sub-millisecond of every 100 ms wait): 0.5-0.8 % of a core per idle task, about
    12 % for these 16. The figure is CPU seconds consumed, so a loaded machine does not inflate it.
    """
    out = _run("idle_cost.py", 0, bootstrap_servers, "--tasks", "16", "--window", "4", "--warmup", "1")
    shares = {
        line.split()[0]: float(line.split()[1].rstrip("%"))
        for line in out.splitlines()
        if line.startswith("s")
    }
    assert set(shares) == {"sources", "sinks"}, out
    assert shares["sources"] < 3.0, f"16 idle source tasks use {shares['sources']} % of a core"
    assert shares["sinks"] < 3.0, f"16 idle sink tasks use {shares['sinks']} % of a core"


def test_rebalance_benchmark_smoke_runs(bootstrap_servers: str) -> None:
    """2 connectors x 2 idle tasks on a ferroconnect cluster and a Java Connect one: join, kill -9."""
    missing = _java_connect_missing()
    if missing is not None:
        pytest.skip(f"Java Connect cannot run: {missing}")
    out = _run("rebalance.py", 0, bootstrap_servers, "--smoke")
    rows = {line.split("  ")[0]: line.split()[-1] for line in out.splitlines() if not line.startswith("#")}
    assert {"join (3rd worker)", "peak RSS of worker 0, MiB"} <= set(rows), out
    assert all(float(ratio) > 0 for label, ratio in rows.items() if label != "scenario"), out


def test_warm_up_repeats_until_two_rounds_in_a_row_stop_rising() -> None:
    sys.path.insert(0, str(BENCHES))
    import bench_broker

    def rounds(rates: list[float]) -> list[float]:
        it = iter(rates)
        return bench_broker.warm_up(lambda: next(it))

    # Rising, then two rounds within 2 % of the best before them.
    assert rounds([100, 300, 400, 405, 390, 999]) == [100, 300, 400, 405, 390]
    # A round that rises again resets the count.
    assert rounds([100, 200, 201, 300, 299, 301, 5]) == [100, 200, 201, 300, 299, 301]
    # Never flat: stops at max_rounds.
    assert len(bench_broker.warm_up(iter(range(1, 100)).__next__, max_rounds=20)) == 20


def test_drift_warns_only_beyond_its_tolerance() -> None:
    sys.path.insert(0, str(BENCHES))
    import bench_broker

    assert "WARNING" not in bench_broker.describe_drift(500_000, 420_000)
    assert "WARNING" in bench_broker.describe_drift(500_000, 390_000)
    assert "WARNING" in bench_broker.describe_drift(200_000, 500_000)
