#!/usr/bin/env python3
"""Install, start and stop Java Kafka Connect 4.4.0, the reference ferroconnect is compared with.

``tests/jvm/connect/pom.xml`` names ``connect-runtime``, ``connect-json``, ``connect-transforms``
(4.4.0), ``connect-file`` (4.3.1: 4.4.0 is not on Maven Central) and a log4j2 SLF4J binding; Maven
copies them into ``~/.cache/ferroconnect/connect-4.4.0-<pom hash>/libs`` (the same cache as the
broker's, see ``kafka_broker.py``), beside a jar built from ``tests/jvm/connect/shim`` that lets
connect-file 4.3.1 run on 4.4.0 (it calls ``AppInfoParser`` by its pre-4.4 name). A worker gets a
state folder with its ``worker.properties``, ``log4j2.properties``, ``connect.log`` and
(standalone) its offsets file, a free loopback REST port, a bounded heap, and is ready when
``GET /`` answers. The JVM is a test and benchmark dependency:
the product never needs it. Stdlib only.

Library use::

    import java_connect
    worker = java_connect.start(state_dir, bootstrap, "standalone", connectors=[{...}])
    print(worker.url, worker.pid)   # http://127.0.0.1:PORT
    worker.stop()                   # SIGTERM, then SIGKILL after a grace period

Command line use::

    python scripts/java_connect.py install
    python scripts/java_connect.py standalone --bootstrap 127.0.0.1:9092 --state-dir DIR  # foreground
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import kafka_broker

POM = Path(__file__).resolve().parents[1] / "tests" / "jvm" / "connect" / "pom.xml"
SHIM = POM.parent / "shim"
MAIN_CLASSES = {
    "standalone": "org.apache.kafka.connect.cli.ConnectStandalone",
    "distributed": "org.apache.kafka.connect.cli.ConnectDistributed",
}
HEAP = ("-Xms256m", "-Xmx1g")
START_TIMEOUT_S = 120.0
STOP_GRACE_S = 20.0
LOG_FILE = "connect.log"
OUT_FILE = "connect.out"

# Kafka's config/connect-standalone.properties and connect-distributed.properties as shipped,
# less the broker address and the REST listener, which each start fills in.
STANDALONE_DEFAULTS: dict[str, str] = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "true",
    "value.converter.schemas.enable": "true",
    "offset.flush.interval.ms": "10000",
}
DISTRIBUTED_DEFAULTS: dict[str, str] = {
    **STANDALONE_DEFAULTS,
    "group.id": "connect-cluster",
    "offset.storage.topic": "connect-offsets",
    "offset.storage.replication.factor": "1",
    "config.storage.topic": "connect-configs",
    "config.storage.replication.factor": "1",
    "status.storage.topic": "connect-status",
    "status.storage.replication.factor": "1",
}


class ConnectStartError(RuntimeError):
    """Java Connect could not be installed or did not answer; the message says why."""


def install(quiet: bool = True) -> Path:
    """Resolve Java Connect's jars (Maven, cached) and build the FileStream shim; return their folder."""
    try:
        libs = kafka_broker.install(quiet, pom=POM, name="connect", marker="connect-runtime-4.4.0.jar")
    except kafka_broker.BrokerStartError as exc:
        raise ConnectStartError(str(exc)) from exc
    _build_shim(libs)
    return libs


def javac() -> str:
    """The javac beside the java that runs the broker and Connect, else the one on PATH.

    Raises:
        ConnectStartError: if there is none (a JDK 17 or newer is needed, not only a JRE).
    """
    try:
        beside = Path(kafka_broker.java()).with_name("javac")
    except kafka_broker.BrokerStartError as exc:
        raise ConnectStartError(str(exc)) from exc
    if os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("javac")
    if found is None:
        raise ConnectStartError("javac (JDK 17 or newer) is needed to compile the tests' Java programs")
    return found


def _build_shim(libs: Path) -> None:
    """Compile ``tests/jvm/connect/shim`` into a jar in ``libs`` (named by the sources' hash), so
    that connect-file 4.3.1's connectors find ``AppInfoParser`` under its pre-4.4 name."""
    sources = sorted(SHIM.rglob("*.java"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:12]
    jar = libs / f"ferroconnect-test-shim-{digest}.jar"
    if jar.is_file():
        return
    jar_tool = Path(javac()).with_name("jar")
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp) / "classes"
        staged = Path(tmp) / jar.name
        steps = [
            [javac(), "-cp", str(libs / "*"), "-d", str(classes), *map(str, sources)],
            [str(jar_tool), "cf", str(staged), "-C", str(classes), "."],
        ]
        for command in steps:
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise ConnectStartError(
                    f"building the test shim failed: {' '.join(command)}\n{result.stderr}"
                )
        for old in libs.glob("ferroconnect-test-shim-*.jar"):
            old.unlink()
        shutil.move(str(staged), jar)


class JavaConnect:
    """A running Java Kafka Connect worker, child of this process.

    Attributes:
        url: the REST API's base URL.
        state_dir: its config, logs and offsets.
        startup_s: seconds from the JVM's start until ``GET /`` answered.
    """

    def __init__(self, process: subprocess.Popen[bytes], url: str, state_dir: Path) -> None:
        self._process = process
        self.url = url
        self.state_dir = state_dir
        self.startup_s = 0.0

    @property
    def pid(self) -> int:
        """The JVM's process id."""
        return self._process.pid

    def alive(self) -> bool:
        """Return whether the JVM still runs."""
        return self._process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash (tests of what survivors do); waits for the process to end."""
        self._process.kill()
        self._process.wait(30)

    def log_tail(self, lines: int = 60) -> str:
        """Return the last lines of the JVM's output and its log."""
        return kafka_broker.log_tail(self.state_dir, lines, (OUT_FILE, LOG_FILE))

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Send one REST request; return the status and the decoded JSON body (None if empty)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=90) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        return status, (json.loads(text) if text.strip() else None)

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Stop the JVM by its own pid: SIGTERM (Connect's graceful stop), SIGKILL after ``grace_s``."""
        if self._process.poll() is None:
            kafka_broker.kill(self._process.pid, grace_s, self._process.poll)
        self._process.wait(timeout=10)

    def __enter__(self) -> JavaConnect:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    state_dir: str | os.PathLike[str],
    bootstrap_servers: str,
    mode: str = "standalone",
    worker: Mapping[str, str] | None = None,
    connectors: Sequence[Mapping[str, str]] = (),
    timeout_s: float = START_TIMEOUT_S,
    extra_classpath: Sequence[str | os.PathLike[str]] = (),
) -> JavaConnect:
    """Start Java Connect and wait until its REST API answers ``GET /``.

    Args:
        state_dir: folder for the worker's files; created if needed.
        bootstrap_servers: the Kafka cluster.
        mode: ``standalone`` or ``distributed``.
        worker: worker properties laid over Kafka's shipped defaults for ``mode``.
        connectors: standalone only: connector configs (each with ``name``) given on the command line.
        timeout_s: how long to wait for ``GET /``.
        extra_classpath: folders or jars appended to the worker's classpath after Connect's own
            jars, e.g. a benchmark's compiled connector (``benches/rebalance.py``); plugins found
            there by Connect's classpath scan are usable as with ``plugin.path``.

    Raises:
        ConnectStartError: if the jars cannot be resolved, or the worker exits or does not answer.
    """
    if mode not in MAIN_CLASSES:
        raise ConnectStartError(f"mode must be standalone or distributed, not {mode!r}")
    path = Path(state_dir).resolve()
    path.mkdir(parents=True, exist_ok=True)
    classpath = os.pathsep.join([str(install() / "*"), *(str(Path(p).resolve()) for p in extra_classpath)])
    port = kafka_broker.free_port()
    url = f"http://127.0.0.1:{port}"
    props = dict(STANDALONE_DEFAULTS if mode == "standalone" else DISTRIBUTED_DEFAULTS)
    props.update(
        {
            "bootstrap.servers": bootstrap_servers,
            "listeners": url,
            "rest.advertised.host.name": "127.0.0.1",
            "rest.advertised.port": str(port),
        }
    )
    if mode == "standalone":
        props["offset.storage.file.filename"] = str(path / "connect.offsets")
    props.update(worker or {})
    (path / "worker.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    files = []
    for index, connector in enumerate(connectors):
        file = path / f"connector-{index}.properties"
        file.write_text("".join(f"{k}={v}\n" for k, v in connector.items()))
        files.append(str(file))
    log4j = path / "log4j2.properties"
    # Connect's own INFO lines (connectors, tasks, rebalances); its clients' warnings only.
    loggers = {"org.apache.kafka": "warn", "org.apache.kafka.connect": "info"}
    log4j.write_text(kafka_broker.log4j2_properties(path / LOG_FILE, "info", loggers))
    command = [
        kafka_broker.java(),
        *HEAP,
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        classpath,
        MAIN_CLASSES[mode],
        str(path / "worker.properties"),
        *files,
    ]
    started = time.monotonic()
    with (path / OUT_FILE).open("ab") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # preexec_fn only calls prctl: safe with threads.
            preexec_fn=kafka_broker.die_with_parent(os.getpid()),
        )
    connect = JavaConnect(process, url, path)
    deadline = started + timeout_s
    last = "no attempt"
    while time.monotonic() < deadline:
        if not connect.alive():
            raise ConnectStartError(
                f"Java Connect exited with code {process.returncode}; log tail ({path}):\n"
                + connect.log_tail()
            )
        try:
            status, _ = connect.request("GET", "/")
            if status == 200:
                connect.startup_s = time.monotonic() - started
                return connect
            last = f"GET / answered {status}"
        except OSError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.2)
    connect.stop(grace_s=2)
    raise ConnectStartError(
        f"Java Connect did not answer GET / within {timeout_s:.0f} s ({last}):\n{connect.log_tail()}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``install``, or run a worker in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="resolve Java Connect's jars from Maven Central, print their folder")
    for mode in MAIN_CLASSES:
        cmd = sub.add_parser(mode, help=f"run a {mode} worker in the foreground")
        cmd.add_argument("--bootstrap", required=True)
        cmd.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(install(quiet=False))
            return 0
        worker = start(args.state_dir, args.bootstrap, args.command)
    except ConnectStartError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Java Connect {args.command} on {worker.url} (ready in {worker.startup_s:.1f} s)", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    try:
        while worker.alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        worker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
