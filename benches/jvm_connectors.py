"""The benchmarks' own Java connectors (``benches/jvm``) and one Java Kafka Connect run of them.

:func:`compile_connectors` compiles every ``jvm/*.java`` against Java Connect's jars
(``scripts/java_connect.py``) with ``META-INF/services`` entries so Connect's plugin scan finds
them on the worker's classpath; the classes are cached by the sources' hash under the project's
cache folder, so a benchmark run pays ``javac`` once. :func:`run_standalone` runs one of the
throughput connectors on Java Connect standalone until the task writes its marks file (see
``jvm/Marks.java``: the task times itself and reads the JVM's CPU time at its first and last
record) and returns them with the JVM's peak RSS (``VmHWM``, which includes the worker's start-up).
:func:`second_half` turns the marks of the second half of the records into a rate and a CPU cost:
the JVM compiles its hot code during the first seconds of a run, on the same two cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

JVM = Path(__file__).resolve().parent / "jvm"
sys.path.insert(0, str(JVM.parent.parent / "scripts"))
import java_connect  # noqa: E402
import kafka_broker  # noqa: E402

PACKAGE = "ferroconnect.bench"
LABEL = "Java Kafka Connect 4.4"
SERVICES = {
    "SourceConnector": "org.apache.kafka.connect.source.SourceConnector",
    "SinkConnector": "org.apache.kafka.connect.sink.SinkConnector",
}


def compile_connectors() -> Path:
    """Compile ``jvm/*.java`` (cached); return the classes folder to put on Connect's classpath.

    Raises:
        java_connect.ConnectStartError: if Java Connect's jars or ``javac`` are missing.
        subprocess.CalledProcessError: if the sources do not compile.
    """
    libs = java_connect.install()
    sources = sorted(JVM.glob("*.java"))
    digest = hashlib.sha256(str(libs).encode() + b"".join(p.read_bytes() for p in sources)).hexdigest()
    classes = kafka_broker.cache_root() / f"bench-jvm-{digest[:12]}"
    if classes.is_dir():
        return classes
    with tempfile.TemporaryDirectory(dir=classes.parent) as tmp:
        staged = Path(tmp) / "classes"
        command = [java_connect.javac(), "-d", str(staged), "-cp", str(libs / "*"), *map(str, sources)]
        subprocess.run(command, check=True, capture_output=True, text=True)
        services = staged / "META-INF" / "services"
        services.mkdir(parents=True)
        for kind, interface in SERVICES.items():
            names = [p.stem for p in sources if re.search(rf"\bextends {kind}\b", p.read_text())]
            (services / interface).write_text("".join(f"{PACKAGE}.{n}\n" for n in names))
        try:
            staged.rename(classes)
        except OSError:  # another run compiled the same sources first
            if not classes.is_dir():
                raise
    # Older versions stay (a few dozen KiB each): another checkout's running benchmark may use one.
    return classes


def second_half(marks: Mapping[str, float]) -> str:
    """The second half's records/s and CPU µs per record, as one printed phrase."""
    records = marks["second_half_records"]
    rate = records / marks["second_half_seconds"]
    return f"{rate:,.0f} records/s at {marks['second_half_cpu_s'] / records * 1e6:.2f} µs CPU per record"


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (``VmHWM``), MiB."""
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return 0.0


def run_standalone(
    bootstrap: str,
    worker: Mapping[str, str],
    connector: Mapping[str, str],
    records: int,
    timeout_s: float = 600.0,
) -> dict[str, float]:
    """Run one benchmark connector (``connector.class`` a short name in ``benches/jvm``) on Java
    Connect standalone until its task has seen ``records`` records.

    Args:
        bootstrap: the broker.
        worker: worker keys laid over Kafka's shipped standalone defaults.
        connector: the connector's config, less ``name``, ``records`` and ``marks.file``.
        records: how many records the task produces or waits for.
        timeout_s: how long the task may take.

    Returns:
        ``seconds`` and ``cpu_s`` between the task's first and last record (its marks), the
        ``records`` it counted, the same for the second half of them alone (``second_half_records``,
        ``second_half_seconds``, ``second_half_cpu_s``: JIT-compiled code, mostly), and the JVM's
        ``peak_rss_mib`` (start-up included).
    """
    classes = compile_connectors()
    with tempfile.TemporaryDirectory(prefix="bench-java-") as tmp:
        marks = Path(tmp) / "marks.json"
        config = {
            **connector,
            "name": f"bench-java-{os.getpid()}-{time.monotonic_ns()}",
            "connector.class": f"{PACKAGE}.{connector['connector.class']}",
            "tasks.max": "1",
            "records": str(records),
            "marks.file": str(marks),
        }
        # Plugins found by their service files: the classpath scan costs seconds of start-up (not
        # timed, but CI pays it), and every plugin a benchmark uses has one.
        settings = {"plugin.discovery": "service_load", **worker}
        connect = java_connect.start(
            Path(tmp) / "worker", bootstrap, "standalone", settings, [config], extra_classpath=[classes]
        )
        try:
            deadline = time.monotonic() + timeout_s
            while not marks.exists():
                if not connect.alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"Java Connect did not finish:\n{connect.log_tail()}")
                time.sleep(0.05)
            result: dict[str, float] = json.loads(marks.read_text())
            result["peak_rss_mib"] = peak_rss_mib(connect.pid)
        finally:
            connect.stop()
    return result
