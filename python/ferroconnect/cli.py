"""The ``ferroconnect`` command: Kafka Connect's standalone and distributed modes with their own
config files.

Usage::

    ferroconnect standalone worker.properties connector1.properties [connector2.json ...]
    ferroconnect distributed worker.properties

A distributed worker joins the cluster named by ``group.id`` (``docs/distributed.md``); connectors
are created over its REST API, from any worker of the cluster.

Worker and connector files use Kafka Connect's keys. A connector file is a ``.properties`` file, or
a ``.json`` file holding ``{"name": ..., "config": {...}}`` or a flat config. SIGINT and SIGTERM
stop the worker gracefully: tasks commit the offsets of what Kafka acknowledged.

The worker serves Kafka Connect's REST API on ``listeners`` (default ``http://127.0.0.1:8083``; see
``docs/rest.md``). Connectors created over REST, and paused or stopped ones, are kept in a file
beside the offsets file and come back on the next start; a connector file given again replaces the
kept config of its connector.

A task that does not stop within ``task.shutdown.graceful.timeout.ms`` (5 s by default) is abandoned,
as Kafka Connect abandons it, so a stop takes at most that long; a second SIGINT or SIGTERM during
the stop exits at once, without waiting for the tasks (what they had not committed is delivered
again on the next start).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from typing import Any

from ferroconnect import _core, _logging
from ferroconnect.errors import ConnectError


def _connector_file(path: str) -> tuple[str, dict[str, str]]:
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as file:
            data: dict[str, Any] = json.load(file)
        config = data.get("config", data)
        name = data.get("name", config.get("name"))
    else:
        config = _core.read_properties(path)
        name = config.get("name")
    if not name:
        raise ConnectError(f"{path}: a connector config needs a 'name'")
    return str(name), {str(k): str(v) for k, v in config.items()}


_STOP = threading.Event()
"""Set by the first SIGINT or SIGTERM."""


def _on_stop_signal(signum: int, _frame: object) -> None:
    if _STOP.is_set():
        message = "Stopping ferroconnect standalone now (second signal): tasks not waited for"
        print(message, file=sys.stderr, flush=True)
        os._exit(128 + signum)
    _STOP.set()


def _handle_stop_signals() -> None:
    """SIGINT and SIGTERM ask for a graceful stop (a second one exits at once). Installed first
    thing in :func:`main`, so that a signal during start-up is a graceful stop, not a kill."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _on_stop_signal)


def standalone(worker_file: str, connector_files: list[str]) -> int:
    """Runs a standalone worker until SIGINT/SIGTERM; returns the exit code."""
    from ferroconnect.worker import Worker

    props = _core.read_properties(worker_file)
    if "offset.storage.file.filename" not in props:
        print(
            "error: Missing required configuration"
            ' "offset.storage.file.filename" which has no default value.',
            file=sys.stderr,
        )
        return 2
    # Connector modules next to the config files are importable, as with Kafka's plugin.path.
    sys.path.insert(0, os.getcwd())
    _handle_stop_signals()
    stop = _STOP
    props.setdefault("listeners", "http://127.0.0.1:8083")
    settings: dict[str, Any] = dict(props)
    worker = Worker(**settings)
    try:
        print(f"REST API on {worker.rest_url}", file=sys.stderr)
        for path in connector_files:
            name, config = _connector_file(path)
            if name in worker.connectors() and worker.connector_config(name) == {**config, "name": name}:
                # Restored from the connector config file as the file has it: not restarted for nothing.
                print(f"Kept connector {name}", file=sys.stderr)
                continue
            created = worker.put_connector_config(name, config)
            print(f"{'Created' if created else 'Updated'} connector {name}", file=sys.stderr)
        stop.wait()
        print("Stopping ferroconnect standalone", file=sys.stderr)
    finally:
        _close_interruptibly(worker)
    return 0


def distributed(worker_file: str) -> int:
    """Runs a worker of a cluster until SIGINT/SIGTERM; returns the exit code."""
    from ferroconnect.worker import Worker

    props = _core.read_properties(worker_file)
    sys.path.insert(0, os.getcwd())
    _handle_stop_signals()
    props.setdefault("listeners", "http://127.0.0.1:8083")
    worker = Worker(distributed=True, **dict(props))
    try:
        print(f"REST API on {worker.rest_url}", file=sys.stderr)
        _STOP.wait()
        print("Stopping ferroconnect distributed", file=sys.stderr)
    finally:
        _close_interruptibly(worker)
    return 0


def _close_interruptibly(worker: Any) -> None:
    """Closes the worker on another thread: Python runs signal handlers only on the main thread,
    and only between bytecodes, so the main thread waits in Python for a second signal to be seen."""
    closing = threading.Thread(target=worker.close, name="worker-shutdown", daemon=True)
    closing.start()
    while closing.is_alive():
        closing.join(0.1)


def _python_logging(log_level: str) -> None:
    """Python connectors' own ``logging`` records on stderr, as the runtime's lines: time, level,
    Kafka's connector context (``[name|task-0] ``), message. The level is ``--log-level``'s root
    level (INFO when it names none)."""
    root = next((d for d in log_level.split(",") if "=" not in d and "[" not in d), "info").strip()
    level = logging.getLevelName({"warn": "WARNING", "trace": "DEBUG"}.get(root.lower(), root.upper()))
    handler = logging.StreamHandler(sys.stderr)
    formatter = _logging.ContextFormatter("%(asctime)s %(levelname)5s %(message)s (%(name)s)")
    handler.setFormatter(formatter)
    logging.basicConfig(level=level if isinstance(level, int) else logging.INFO, handlers=[handler])
    _logging.install_record_context()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``ferroconnect`` command."""
    _handle_stop_signals()
    parser = argparse.ArgumentParser(prog="ferroconnect", description="Kafka Connect with Python connectors.")
    parser.add_argument("--version", action="version", version=f"ferroconnect {_core.__version__}")
    parser.add_argument("--log-level", default="info", help="error, warn, info, debug or a tracing filter")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("standalone", help="run a standalone worker")
    # Plain strings, not pathlib paths: pathlib (with urllib.parse and ipaddress) is about 0.7 MiB
    # of the worker's resident memory for nothing a file name needs here.
    run.add_argument("worker_properties")
    run.add_argument("connector_configs", nargs="*")
    cluster = commands.add_parser("distributed", help="run a worker of a cluster (distributed mode)")
    cluster.add_argument("worker_properties")
    args = parser.parse_args(argv)
    try:
        _core.init_logging(args.log_level)
    except ConnectError as exc:
        parser.error(str(exc))
    _python_logging(args.log_level)
    try:
        if args.command == "distributed":
            code = distributed(args.worker_properties)
        else:
            code = standalone(args.worker_properties, args.connector_configs)
    except ConnectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    # The worker is closed: offsets are committed and the REST server is down. What may remain are
    # tasks abandoned after task.shutdown.graceful.timeout.ms, still inside Python code on their own
    # threads; the interpreter's finalization must neither wait for them nor tear Python down under
    # them, so the process ends here, as Kafka Connect's does once its herder has stopped.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
