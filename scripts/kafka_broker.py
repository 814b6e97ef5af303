#!/usr/bin/env python3
"""Install, start and stop the test broker: Apache Kafka 4.4.0, one KRaft node on loopback.

The broker's jars come from Maven Central: ``tests/jvm/pom.xml`` names ``kafka_2.13`` and a log4j2
SLF4J binding, and ``mvn dependency:copy-dependencies`` copies them into a per-user cache folder
keyed by the Kafka version and the pom's hash (``~/.cache/ferroconnect/kafka-4.4.0-<hash>/libs``,
beside the cargo target dir that ``scripts/test`` caches; ``FERROCONNECT_CACHE`` moves the root).
The folder is reused when present and resolved again when missing; nothing else is needed but
``java`` (17+) and ``mvn``.

A broker gets a fresh temp folder: ``server.properties`` (a combined broker and controller node,
free loopback ports, replication factors of 1, ``group.initial.rebalance.delay.ms=0``), a KRaft log
dir formatted by Kafka's ``StorageTool``, ``kafka.log`` (log4j2, rolled at 4 MiB, one backup) and
``kafka.out`` (the JVM's own output). It is ready when a Kafka Metadata request sent over a raw
socket answers with its node, never on a sleep or a log line. Stdlib only, so it runs before any
test dependency is installed.

Library use::

    import kafka_broker
    broker = kafka_broker.start(state_dir)  # installs if needed, waits for metadata
    print(broker.bootstrap_servers, broker.pid, broker.startup_s)
    broker.stop()  # SIGTERM, then SIGKILL after a grace period; removes the data

``start(state_dir, sasl=True)`` adds a second client listener, ``SASL_PLAINTEXT`` on
``broker.sasl_bootstrap_servers``, with the PLAIN and SCRAM-SHA-256 mechanisms and one user,
:data:`SASL_USER` / :data:`SASL_PASSWORD` (PLAIN from the listener's JAAS config, the SCRAM
credential written into the metadata log at format time by ``StorageTool format --add-scram``).
The PLAINTEXT listener stays as it is, for the readiness probe and the broker's own traffic.

Command line use::

    python scripts/kafka_broker.py install                      # resolve the jars, print their folder
    python scripts/kafka_broker.py start --state-dir DIR        # prints the bootstrap address, returns
    python scripts/kafka_broker.py stop --state-dir DIR
    python scripts/kafka_broker.py probe 127.0.0.1:PORT         # one raw Metadata request

Lifetime: a broker started with :func:`start` gets ``PR_SET_PDEATHSIG`` (Linux), so it is killed
when the thread that started it dies, however it dies. ``start`` on the command line therefore runs
a small detached supervisor (``serve``) that owns the broker and exits when it exits (or when
``--owner-pid`` dies). Every broker records ``DIR/kafka.pid`` (``{"pid", "owner", "port"}``); a
later start reaps brokers whose owner is gone, so a killed test session never leaves one behind.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

KAFKA_VERSION = "4.4.0"
POM = Path(__file__).resolve().parents[1] / "tests" / "jvm" / "pom.xml"
CACHE_ENV = "FERROCONNECT_CACHE"
PID_FILE = "kafka.pid"
BOOTSTRAP_FILE = "bootstrap"
LOG_FILE = "kafka.log"
OUT_FILE = "kafka.out"
START_TIMEOUT_S = 90.0
"""Generous: a cold JVM on two busy cores; a warm start takes a few seconds (printed)."""
STOP_GRACE_S = 10.0
HEAP = ("-Xms512m", "-Xmx1g")
LOOPBACK = "127.0.0.1"
MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"

_PR_SET_PDEATHSIG = 1

SASL_USER = "ferroconnect"
SASL_PASSWORD = "ferroconnect-secret"
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256")
"""The SASL listener's user (``start(..., sasl=True)``), for every mechanism in SASL_MECHANISMS."""

# What differs from Kafka's defaults, and why. Everything else is Kafka's default, so tests see
# Kafka's behaviour (num.partitions=1, auto.create.topics.enable=true, session timeouts...).
TEST_BROKER_SETTINGS: dict[str, str] = {
    # One node: internal topics cannot have 3 replicas.
    "offsets.topic.replication.factor": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    # One partition each: the first group or transaction creates 1 partition, not 50.
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.num.partitions": "1",
    # Kafka waits 3 s before the first rebalance of a new group; every test makes new groups.
    "group.initial.rebalance.delay.ms": "0",
    # The log cleaner checks for work every 15 s by default; compaction tests would wait that long.
    "log.cleaner.backoff.ms": "500",
}

LOG4J2_PROPERTIES = """\
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log}
appender.file.filePattern = {log}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 4MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 1
rootLogger.level = {root}
rootLogger.appenderRef.file.ref = file
"""
"""A JVM's log: one file rolled at 4 MiB with one backup, so at most 8 MiB per process."""


def log4j2_properties(log: Path, root: str, loggers: dict[str, str]) -> str:
    """Return a log4j2 ``.properties`` config writing to ``log`` at ``root`` level, with ``loggers``
    (logger name -> level) set apart. ``.properties``, not YAML: the jars carry no YAML parser."""
    lines = [LOG4J2_PROPERTIES.format(log=log, root=root)]
    for index, (name, level) in enumerate(loggers.items()):
        lines.append(f"logger.l{index}.name = {name}\nlogger.l{index}.level = {level}\n")
    return "".join(lines)


class BrokerStartError(RuntimeError):
    """The broker could not be installed or did not come up; the message says why."""


# --- install -----------------------------------------------------------------------------------


def cache_root() -> Path:
    """Return the per-user cache root (``$FERROCONNECT_CACHE`` or ``~/.cache/ferroconnect``)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ferroconnect"


def libs_dir(pom: Path = POM, name: str = "kafka") -> Path:
    """Return the jar folder for ``pom``: ``name``, the Kafka version and the pom's hash name it."""
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    return cache_root() / f"{name}-{KAFKA_VERSION}-{digest}" / "libs"


def install(quiet: bool = True, pom: Path = POM, name: str = "kafka", marker: str = "") -> Path:
    """Resolve ``pom``'s runtime jars into :func:`libs_dir` with Maven unless they are already there.

    Args:
        quiet: pass ``-q`` to Maven.
        pom: the Maven project naming the jars (the broker's by default).
        name: the cache folder's name.
        marker: a jar whose presence means the folder is complete (default: the broker's jar).

    Returns:
        The folder holding the jars.

    Raises:
        BrokerStartError: if ``mvn`` is missing or fails (its output is in the message).
    """
    marker = marker or f"kafka_2.13-{KAFKA_VERSION}.jar"
    libs = libs_dir(pom, name)
    if (libs / marker).is_file():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerStartError("Maven (mvn) is needed to resolve the Kafka jars from Maven Central")
    staging = libs.with_name(f"libs.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        mvn,
        "-B",
        *(["-q"] if quiet else []),
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not (staging / marker).is_file():
        shutil.rmtree(staging, ignore_errors=True)
        raise BrokerStartError(
            f"mvn could not resolve {pom} (exit {result.returncode}):\n"
            f"{result.stdout[-4000:]}{result.stderr[-4000:]}"
        )
    with contextlib.suppress(OSError):  # another process won the race: keep its copy
        staging.rename(libs)
    shutil.rmtree(staging, ignore_errors=True)
    print(
        f"{name} {KAFKA_VERSION} jars resolved into {libs} in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return libs


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(Path(home) / "bin" / "java", os.X_OK):
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise BrokerStartError("java (17 or newer) is needed to run the Kafka broker")
    return found


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def die_with_parent(parent_pid: int) -> Callable[[], None]:
    """Return a ``preexec_fn`` that makes the child get SIGKILL when its parent dies (Linux)."""

    def preexec() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            return  # not Linux: rely on the finalizer and the stale-pid reaping
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def pid_alive(pid: int) -> bool:
    """Return whether a process with this pid exists (zombies count as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_broker_process(pid: int) -> bool:
    """Return whether ``pid`` still runs a Kafka broker (guards against pid reuse)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid_alive(pid)  # no /proc: trust the pid
    return MAIN_CLASS.encode() in argv


def kill(pid: int, grace_s: float, is_child: Callable[[], int | None] | None = None) -> None:
    """Send SIGTERM to ``pid``, then SIGKILL if it is still alive after ``grace_s`` seconds.

    Args:
        pid: the process to end.
        grace_s: how long to wait after SIGTERM.
        is_child: the ``poll`` of a :class:`subprocess.Popen` when the process is our child, so
            that it is reaped instead of lingering as a zombie.
    """

    def gone() -> bool:
        if is_child is not None:
            return is_child() is not None
        return not pid_alive(pid)

    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if gone():
                return
            time.sleep(0.05)


def _read_pid_file(state_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((state_dir / PID_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def _remove_state(state_dir: Path) -> None:
    """Remove what a stopped broker leaves but its logs: pid and bootstrap files, the data."""
    for name in (PID_FILE, BOOTSTRAP_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()
    shutil.rmtree(state_dir / "data", ignore_errors=True)


def reap_stale(state_dir: Path) -> bool:
    """Stop the broker recorded in ``state_dir`` if its owner process is gone.

    Returns:
        True if ``state_dir`` is now free (nothing recorded, or a stale broker was stopped),
        False if a broker recorded there is alive and its owner too.
    """
    info = _read_pid_file(state_dir)
    if info is None:
        _remove_state(state_dir)
        return True
    pid, owner = info["pid"], int(info.get("owner", 0))
    broker_alive = pid_alive(pid) and _is_broker_process(pid)
    if broker_alive and pid_alive(owner):
        return False
    if broker_alive:
        kill(pid, 1.0)
    _remove_state(state_dir)
    return True


def reap_stale_tree(root: Path) -> None:
    """Apply :func:`reap_stale` to ``root``'s subdirectories and delete the freed ones."""
    if not root.is_dir():
        return
    for sub in root.iterdir():
        if sub.is_dir() and reap_stale(sub):
            shutil.rmtree(sub, ignore_errors=True)


# --- readiness: a Metadata request over a raw socket ---------------------------------------------


def _metadata_request(correlation_id: int) -> bytes:
    """Encode a Kafka Metadata v4 request for no topics (Kafka 4 removed v0-v3, KIP-896)."""
    client_id = b"ferroconnect-probe"
    header = struct.pack(">hhih", 3, 4, correlation_id, len(client_id)) + client_id
    body = struct.pack(">ib", 0, 0)  # topics: empty array; allow_auto_topic_creation: false
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def probe_metadata(
    host: str, port: int, timeout_s: float = 2.0
) -> tuple[str | None, list[tuple[int, str, int]]]:
    """Send one Metadata v4 request over a raw socket.

    Returns:
        The cluster id and ``(node_id, host, port)`` for every broker in the response.

    Raises:
        OSError: on connection problems or a malformed response.
    """
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(_metadata_request(0x0FC0))
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        if not 8 <= size <= 1 << 20:
            raise OSError(f"implausible metadata response size {size}")
        payload = _recv_exact(sock, size)
    correlation_id, _throttle_ms, count = struct.unpack_from(">iii", payload, 0)
    if correlation_id != 0x0FC0:
        raise OSError(f"correlation id mismatch: {correlation_id}")
    offset, brokers = 12, []
    for _ in range(count):
        (node_id,) = struct.unpack_from(">i", payload, offset)
        broker_host, offset = _string(payload, offset + 4)
        (broker_port,) = struct.unpack_from(">i", payload, offset)
        _rack, offset = _string(payload, offset + 4)
        brokers.append((node_id, str(broker_host), broker_port))
    cluster_id, _ = _string(payload, offset)
    return cluster_id, brokers


def _string(payload: bytes, offset: int) -> tuple[str | None, int]:
    """Read a nullable int16-length string at ``offset``; return it and the offset after it."""
    (length,) = struct.unpack_from(">h", payload, offset)
    if length < 0:
        return None, offset + 2
    return payload[offset + 2 : offset + 2 + length].decode(), offset + 2 + length


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(n - got)
        if not chunk:
            raise OSError("connection closed by the broker")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def log_tail(state_dir: Path, lines: int = 40, names: Sequence[str] = (OUT_FILE, LOG_FILE)) -> str:
    """Return the last lines of a JVM's output and log files in ``state_dir`` (empty if none)."""
    parts = []
    for name in names:
        with contextlib.suppress(OSError):
            text = (state_dir / name).read_text(errors="replace").strip()
            if text:
                parts.append(f"--- {name}\n" + "\n".join(text.splitlines()[-lines:]))
    return "\n".join(parts)


# --- the broker ----------------------------------------------------------------------------------


class Broker:
    """A running Kafka broker, child of this process.

    Attributes:
        bootstrap_servers: ``"127.0.0.1:PORT"`` for Kafka clients.
        sasl_bootstrap_servers: the ``SASL_PLAINTEXT`` listener's address if started with
            ``sasl=True``, else None.
        state_dir: where the config, the data, ``kafka.log`` and ``kafka.pid`` live.
        cluster_id: the KRaft cluster id the log dir was formatted with.
        startup_s: seconds from the start of formatting until the first Metadata answer.
    """

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        port: int,
        state_dir: Path,
        cluster_id: str,
        sasl_port: int | None = None,
    ) -> None:
        self._process = process
        self.bootstrap_servers = f"{LOOPBACK}:{port}"
        self.sasl_bootstrap_servers = f"{LOOPBACK}:{sasl_port}" if sasl_port else None
        self.state_dir = state_dir
        self.cluster_id = cluster_id
        self.startup_s = 0.0

    @property
    def pid(self) -> int:
        """The broker's process id."""
        return self._process.pid

    @property
    def log_path(self) -> Path:
        """The broker's log4j2 log file."""
        return self.state_dir / LOG_FILE

    def alive(self) -> bool:
        """Return whether the broker process is still running."""
        return self._process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """Return the last ``lines`` lines of the broker's output and log."""
        return log_tail(self.state_dir, lines)

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Stop the broker by its own pid (SIGTERM, SIGKILL after ``grace_s``) and delete its data."""
        if self._process.poll() is None:
            kill(self._process.pid, grace_s, self._process.poll)
        self._process.wait(timeout=10)
        info = _read_pid_file(self.state_dir)
        if info is None or info["pid"] == self._process.pid:
            _remove_state(self.state_dir)

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Broker(bootstrap_servers={self.bootstrap_servers!r}, pid={self.pid})"


def _random_cluster_id() -> str:
    """A Kafka ``Uuid`` in its text form (URL-safe base64 of 16 bytes), never starting with '-'."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def server_properties(port: int, controller_port: int, data_dir: Path, sasl_port: int | None = None) -> str:
    """Return ``server.properties`` for one combined broker and controller node on loopback, with
    a ``SASL_PLAINTEXT`` listener on ``sasl_port`` if given."""
    listeners = f"PLAINTEXT://{LOOPBACK}:{port}"
    protocols = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    sasl: dict[str, str] = {}
    if sasl_port is not None:
        listeners += f",SASL_PLAINTEXT://{LOOPBACK}:{sasl_port}"
        protocols += ",SASL_PLAINTEXT:SASL_PLAINTEXT"
        prefix = "listener.name.sasl_plaintext"
        sasl = {
            "sasl.enabled.mechanisms": ",".join(SASL_MECHANISMS),
            f"{prefix}.plain.sasl.jaas.config": (
                "org.apache.kafka.common.security.plain.PlainLoginModule required "
                f'user_{SASL_USER}="{SASL_PASSWORD}";'
            ),
            f"{prefix}.scram-sha-256.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
        }
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{LOOPBACK}:{controller_port}",
        "listeners": f"{listeners},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": listeners,
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": protocols,
        "log.dirs": str(data_dir),
        **sasl,
        **TEST_BROKER_SETTINGS,
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


def start(
    state_dir: str | os.PathLike[str], timeout_s: float = START_TIMEOUT_S, sasl: bool = False
) -> Broker:
    """Install if needed, format a KRaft log dir, start the broker and wait for a Metadata answer.

    The broker dies with the calling thread's process (``PR_SET_PDEATHSIG``). A broker left in
    ``state_dir`` by a dead owner is stopped first.

    Args:
        state_dir: folder for the config, data, logs and pid file; created if needed.
        timeout_s: how long to wait for the broker to answer.
        sasl: also listen with ``SASL_PLAINTEXT`` (``Broker.sasl_bootstrap_servers``; module docstring).

    Raises:
        BrokerStartError: if Java, Maven or the jars are missing, a live broker already owns
            ``state_dir``, or the broker does not answer within ``timeout_s`` (with the log tail).
    """
    path = Path(state_dir).resolve()
    path.mkdir(parents=True, exist_ok=True)
    if not reap_stale(path):
        info = _read_pid_file(path) or {}
        raise BrokerStartError(
            f"a broker (pid {info.get('pid')}, owner pid {info.get('owner')}) already runs in {path}; "
            "stop it first"
        )
    classpath = str(install() / "*")
    java_bin = java()
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probe and bind: retry
        started = time.monotonic()
        port, controller_port = free_port(), free_port()
        sasl_port = free_port() if sasl else None
        broker = _spawn(java_bin, classpath, port, controller_port, path, sasl_port)
        error = _wait_ready(broker, timeout_s)
        if error is None:
            broker.startup_s = time.monotonic() - started
            return broker
        broker.stop(grace_s=1.0)
        last_error = error
        if "Address already in use" not in error:
            break
    raise BrokerStartError(last_error)


def _spawn(
    java: str, classpath: str, port: int, controller_port: int, state_dir: Path, sasl_port: int | None = None
) -> Broker:
    data = state_dir / "data"
    shutil.rmtree(data, ignore_errors=True)
    config = state_dir / "server.properties"
    config.write_text(server_properties(port, controller_port, data, sasl_port))
    scram = ["--add-scram", f"SCRAM-SHA-256=[name={SASL_USER},password={SASL_PASSWORD}]"] if sasl_port else []
    log4j = state_dir / "log4j2.properties"
    # Warnings, and the line saying the broker started.
    log4j.write_text(
        log4j2_properties(state_dir / LOG_FILE, "warn", {"kafka.server.KafkaRaftServer": "info"})
    )
    jvm = [java, *HEAP, "-XX:+UseG1GC", "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={log4j}"]
    cluster_id = _random_cluster_id()
    with (state_dir / OUT_FILE).open("ab") as out:
        out.write(
            f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} format, then start on {LOOPBACK}:{port}\n".encode()
        )
        out.flush()
        formatted = subprocess.run(
            [*jvm, "-cp", classpath, STORAGE_TOOL, "format", "-t", cluster_id, "-c", str(config), *scram],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
        if formatted.returncode != 0:
            raise BrokerStartError(f"Kafka's StorageTool format failed:\n{log_tail(state_dir)}")
        process = subprocess.Popen(
            [*jvm, "-cp", classpath, MAIN_CLASS, str(config)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # preexec_fn is unsafe only with threads holding locks across fork; it only calls prctl.
            preexec_fn=die_with_parent(os.getpid()),
        )
    record = {"pid": process.pid, "owner": os.getpid(), "port": port}
    (state_dir / PID_FILE).write_text(json.dumps(record) + "\n")
    return Broker(process, port, state_dir, cluster_id, sasl_port)


def _wait_ready(broker: Broker, timeout_s: float) -> str | None:
    """Poll with Metadata requests; return None when ready, else an error message with the log tail."""
    host, port = broker.bootstrap_servers.rsplit(":", 1)
    deadline = time.monotonic() + timeout_s
    last = "no attempt"
    while time.monotonic() < deadline:
        if not broker.alive():
            return (
                f"Kafka exited with code {broker._process.returncode} before answering metadata "
                f"requests; log tail ({broker.state_dir}):\n{broker.log_tail()}"
            )
        try:
            cluster_id, brokers = probe_metadata(host, int(port))
            if brokers and cluster_id == broker.cluster_id:
                return None
            last = f"metadata answered cluster {cluster_id} with brokers {brokers}"
        except (OSError, struct.error) as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    return (
        f"Kafka did not answer a metadata request on {broker.bootstrap_servers} within {timeout_s:.0f} s "
        f"(last error: {last}); log tail ({broker.state_dir}):\n{broker.log_tail()}"
    )


# --- command line -------------------------------------------------------------------------------


def _cmd_serve(state_dir: Path, owner_pid: int | None) -> int:
    """Run a broker in the foreground and write the state files; return when it exits."""
    try:
        broker = start(state_dir)
    except BrokerStartError as exc:
        (state_dir / "start-error").write_text(str(exc))
        return 1
    (state_dir / BOOTSTRAP_FILE).write_text(broker.bootstrap_servers + "\n")
    print(
        f"Kafka {KAFKA_VERSION} ready on {broker.bootstrap_servers} in {broker.startup_s:.1f} s", flush=True
    )
    stop_now = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop_now.set())
    while broker.alive() and not stop_now.is_set():
        if owner_pid is not None and not pid_alive(owner_pid):
            break
        stop_now.wait(0.5)
    broker.stop()
    return 0


def _cmd_start(state_dir: Path, owner_pid: int | None, timeout_s: float) -> int:
    """Start a detached supervisor (``serve``), wait for its bootstrap file, print the address."""
    state_dir.mkdir(parents=True, exist_ok=True)
    if not reap_stale(state_dir):
        info = _read_pid_file(state_dir) or {}
        print(f"Kafka already running in {state_dir}: pid {info.get('pid')}", file=sys.stderr)
        return 1
    with contextlib.suppress(FileNotFoundError):
        (state_dir / "start-error").unlink()
    install(quiet=True)  # before detaching, so that Maven's errors reach this terminal
    argv = [sys.executable, os.path.abspath(__file__), "serve", "--state-dir", str(state_dir)]
    if owner_pid is not None:
        argv += ["--owner-pid", str(owner_pid)]
    started = time.monotonic()
    supervisor = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = started + timeout_s + 5
    bootstrap = state_dir / BOOTSTRAP_FILE
    while time.monotonic() < deadline:
        if bootstrap.exists() and bootstrap.read_text().strip():
            print(f"Kafka {KAFKA_VERSION} ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
            print(bootstrap.read_text().strip())
            return 0
        if supervisor.poll() is not None:
            error = state_dir / "start-error"
            print(error.read_text() if error.exists() else "the Kafka supervisor exited", file=sys.stderr)
            return 1
        time.sleep(0.05)
    kill(supervisor.pid, 1.0, supervisor.poll)
    print(f"Kafka did not start within {timeout_s:.0f} s:\n{log_tail(state_dir)}", file=sys.stderr)
    return 1


def _cmd_stop(state_dir: Path) -> int:
    """Stop the broker recorded in ``state_dir`` by its pid; the supervisor then exits on its own."""
    info = _read_pid_file(state_dir)
    if info is None:
        print(f"no Kafka broker recorded in {state_dir}", file=sys.stderr)
        _remove_state(state_dir)
        return 0
    if pid_alive(info["pid"]) and _is_broker_process(info["pid"]):
        kill(info["pid"], STOP_GRACE_S)
    owner = int(info.get("owner", 0))
    deadline = time.monotonic() + 5
    while pid_alive(owner) and time.monotonic() < deadline:
        time.sleep(0.05)
    _remove_state(state_dir)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``install``, ``start``, ``serve`` (foreground), ``stop`` or ``probe``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="resolve the Kafka jars from Maven Central, print their folder")
    for name, text in (
        ("start", "start a detached broker, print its bootstrap address"),
        ("serve", "run a broker in the foreground until it exits or is signalled"),
        ("stop", "stop the broker recorded in --state-dir"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument(
            "--state-dir", type=Path, required=True, help="holds kafka.pid, bootstrap, the logs, the data"
        )
        if name != "stop":
            cmd.add_argument("--owner-pid", type=int, help="stop the broker when this process dies")
        if name == "start":
            cmd.add_argument("--timeout", type=float, default=START_TIMEOUT_S, help="seconds to wait")
    probe = sub.add_parser("probe", help="send a Metadata request to HOST:PORT")
    probe.add_argument("address")
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(install(quiet=False))
            return 0
        if args.command == "probe":
            host, port = args.address.rsplit(":", 1)
            print(probe_metadata(host, int(port)))
            return 0
    except BrokerStartError as exc:
        print(exc, file=sys.stderr)
        return 1
    state_dir = args.state_dir.resolve()
    if args.command == "start":
        return _cmd_start(state_dir, args.owner_pid, args.timeout)
    if args.command == "serve":
        state_dir.mkdir(parents=True, exist_ok=True)
        return _cmd_serve(state_dir, args.owner_pid)
    return _cmd_stop(state_dir)


if __name__ == "__main__":
    sys.exit(main())
