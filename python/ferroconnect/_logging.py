"""Forwards the runtime's log events to Python's :mod:`logging`, under the ``ferroconnect`` logger,
and gives log records Kafka Connect's connector context (KIP-449).

Runtime threads never wait for Python to log: the compiled module queues events and a daemon thread
here hands them to ``logging``. Started by the first in-process :class:`ferroconnect.Worker`; the
CLI logs to stderr instead. ``FERROCONNECT_LOG`` (e.g. ``debug`` or ``ferroconnect_core=debug``)
sets what the runtime emits; Python's logging configuration decides what is shown.

Every log record made while ferroconnect runs has two attributes: ``connector`` (the connector's
name, or None outside connector work) and ``task`` (the task's number, or None outside a task).
The runtime's own lines also start with Kafka's prefix, ``[name|task-0] `` or ``[name|worker] ``;
records made by a connector's code get it from :class:`ContextFormatter` (as the CLI shows them).
"""

from __future__ import annotations

import datetime
import logging
import threading
from typing import Any

from ferroconnect import _core

_started = False
_factory_installed = False
_lock = threading.Lock()


def forward(level: str = "info") -> None:
    """Starts forwarding (once per process; a no-op if another log subscriber is installed)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
        install_record_context()
        if _core.forward_logs(level):
            threading.Thread(target=_pump, name="ferroconnect-logging", daemon=True).start()


def prefix(connector: str | None, task: int | None) -> str:
    """Kafka Connect's connector context prefix: ``[name|task-0] ``, ``[name|worker] `` or ``""``."""
    if connector is None:
        return ""
    return f"[{connector}|task-{task}] " if task is not None else f"[{connector}|worker] "


def install_record_context() -> None:
    """Gives every log record the ``connector`` and ``task`` of the thread that made it (the
    runtime knows which connector or task each of its threads works for)."""
    global _factory_installed
    if _factory_installed:
        return
    _factory_installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        context = _core.log_context()
        record.connector, record.task = (context[0], context[1]) if context else (None, None)
        return record

    logging.setLogRecordFactory(factory)


class ContextFormatter(logging.Formatter):
    """A formatter that starts the message of a connector's record with Kafka's context prefix
    (the runtime's forwarded lines carry it already). Without a ``datefmt``, ``%(asctime)s`` is
    written as the runtime's lines write their time (RFC 3339, UTC, microseconds)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        moment = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def formatMessage(self, record: logging.LogRecord) -> str:
        context = prefix(getattr(record, "connector", None), getattr(record, "task", None))
        if context and not record.message.startswith(context):
            record.message = context + record.message
        return super().formatMessage(record)


def _pump() -> None:
    while True:
        records, dropped = _core.next_log_records(0.5)
        for level, name, message, connector, task in records:
            logger = logging.getLogger(name)
            if not logger.isEnabledFor(level):
                continue
            record = logger.makeRecord(name, level, "(runtime)", 0, "%s", (message,), None)
            record.connector, record.task = connector, task
            logger.handle(record)
        if dropped:
            logging.getLogger("ferroconnect").warning(
                "%d runtime log events dropped: Python fell behind", dropped
            )
