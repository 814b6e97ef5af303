"""The broker a benchmark runs on: Apache Kafka 4.4.0 (``scripts/kafka_broker.py``) by default,
the embedded mock cluster with ``--embedded``, or any cluster with ``--bootstrap HOST:PORT``.

Every benchmark takes the same three choices through :func:`add_arguments` and :func:`broker`, so
figures always name the broker they were measured on.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BenchBroker:
    """Where a benchmark sends its records.

    Attributes:
        bootstrap_servers: ``host:port``.
        label: the broker's description, printed with the figures.
        pid: the broker's process id, to count its CPU seconds; None when unknown.
    """

    bootstrap_servers: str
    label: str
    pid: int | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--bootstrap`` and ``--embedded`` to a benchmark's arguments."""
    parser.add_argument("--bootstrap", help="an already running broker (its CPU is not counted)")
    parser.add_argument(
        "--embedded", action="store_true", help="the embedded mock cluster instead of Apache Kafka"
    )


@contextlib.contextmanager
def broker(args: argparse.Namespace) -> Iterator[BenchBroker]:
    """Start (or name) the broker that ``args`` chose; stop it on exit if started here."""
    if args.bootstrap:
        yield BenchBroker(args.bootstrap, f"broker at {args.bootstrap}", None)
    elif args.embedded:
        import ferroconnect as fc

        with fc.EmbeddedKafka() as kafka:
            child_process = getattr(kafka, "_child", None)
            pid = child_process.pid if child_process is not None else None
            yield BenchBroker(kafka.bootstrap_servers, "embedded mock cluster (one broker)", pid)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
        import kafka_broker

        with tempfile.TemporaryDirectory() as state, kafka_broker.start(state) as kafka:
            label = f"Apache Kafka {kafka_broker.KAFKA_VERSION} (one KRaft node, log on {state})"
            yield BenchBroker(kafka.bootstrap_servers, label, kafka.pid)


def warm_up(run_once: Callable[[], float], *, rise: float = 0.02, max_rounds: int = 20) -> list[float]:
    """Repeat an untimed job until the broker is warm; return the job's rate in each round.

    A fresh broker speeds up over its first two million records or so while its JVM compiles the
    produce and fetch paths: 200k-row rounds of the Struct ceiling went from 154k to 548k records/s
    in ten rounds, and the ``rows`` source measured after a single round read 40 % low. So one
    round is not enough: the job repeats until two rounds in a row are less than ``rise`` above the
    best before them.

    Args:
        run_once: runs the job once and returns its records per second.
        rise: the relative gain over the best earlier round that still counts as warming.
        max_rounds: stop here even if the rate still rises.
    """
    rates: list[float] = []
    flat = 0
    while len(rates) < max_rounds and flat < 2:
        rate = run_once()
        flat = flat + 1 if rates and rate < max(rates) * (1 + rise) else 0
        rates.append(rate)
    return rates


def describe_warm_up(rates: list[float]) -> str:
    """One line for a bench's header: how many untimed rounds warmed the broker, and their rates."""
    shown = ", ".join(f"{r / 1000:,.0f}k" for r in rates)
    return f"broker warmed up by {len(rates)} untimed rounds ({shown} records/s)"


def describe_drift(before: float, after: float, tolerance: float = 0.2) -> str:
    """One line for a bench's header: the same untimed job's rate before and after the measured
    variants, with a warning when they differ by more than ``tolerance``.

    On a VM that hands freed memory back to its host (Firecracker's free page reporting), the
    broker's writes slow to about half once its page cache grows past memory the guest still holds:
    records/s measured after that point are not comparable with those before it, ratios between
    neighbouring runs still are (docs/benchmarks.md, "What moves the figures on this machine").
    """
    line = f"the same job after the variants: {after / 1000:,.0f}k records/s"
    line += f" (last warm-up round {before / 1000:,.0f}k)"
    if min(before, after) < (1 - tolerance) * max(before, after):
        line += "; WARNING: the broker's speed changed during the run, compare neighbouring runs only"
    return line


def speed_probe() -> float:
    """Seconds for a fixed pure-Python loop (10M additions): how fast this machine runs right now.

    On a shared VM the whole machine's speed moves over the day, and every figure moves with it,
    CPU per record included: on the 2-core development VM this loop took 0.69-1.12 s within one
    session, and the Struct ceiling sent 420k records/s at 0.91 µs of CPU each in a fast hour
    against 152k-160k at 1.6-1.8 µs in a slow one. Compare runs whose probes are alike.
    """
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def describe_speed(before: float, after: float) -> str:
    """One line for a bench's header: the speed probe at the start and at the end of the run."""
    return f"speed probe (10M Python additions): {before:.2f} s before the run, {after:.2f} s after"
