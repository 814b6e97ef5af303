"""Forwards the runtime's log events to Python's :mod:`logging`, under the ``ferroconnect`` logger.

Runtime threads never wait for Python to log: the compiled module queues events and a daemon thread
here hands them to ``logging``. Started by the first in-process :class:`ferroconnect.Worker`; the
CLI logs to stderr instead. ``FERROCONNECT_LOG`` (e.g. ``debug`` or ``ferroconnect_core=debug``)
sets what the runtime emits; Python's logging configuration decides what is shown.
"""

from __future__ import annotations

import logging
import threading

from ferroconnect import _core

_started = False
_lock = threading.Lock()


def forward(level: str = "info") -> None:
    """Starts forwarding (once per process; a no-op if another log subscriber is installed)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
        if _core.forward_logs(level):
            threading.Thread(target=_pump, name="ferroconnect-logging", daemon=True).start()


def _pump() -> None:
    while True:
        records, dropped = _core.next_log_records(0.5)
        for level, name, message in records:
            logging.getLogger(name).log(level, "%s", message)
        if dropped:
            logging.getLogger("ferroconnect").warning(
                "%d runtime log events dropped: Python fell behind", dropped
            )
