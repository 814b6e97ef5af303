"""The live notebook view of a worker: per task state, records/s, totals and last error, refreshed
while the worker runs; and the progress line of long waits (``Worker.wait_for_state``).

Output goes to one display area updated in place: an ``ipywidgets.HTML`` when ipywidgets is
importable, else an IPython display handle (``display(..., display_id=True)`` then ``update``).
Outside a Jupyter kernel (a script, the IPython terminal) nothing is displayed; :attr:`LiveView.rows`
and ``repr`` still work.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from ferroconnect.worker import ConnectorStatus, Metric

# Kafka Connect's per-task totals: records taken in (polled / read) and handed on (written to Kafka
# / given to put), by the task's metric group.
_TOTALS = {
    "source-task-metrics": ("source-record-poll-total", "source-record-write-total"),
    "sink-task-metrics": ("sink-record-read-total", "sink-record-send-total"),
}


class _Worker(Protocol):
    """What the view reads from a :class:`~ferroconnect.Worker`."""

    def connectors(self) -> list[str]: ...
    def status(self, name: str) -> ConnectorStatus: ...
    def metrics(self) -> list[Metric]: ...


class TaskRow(NamedTuple):
    """One task as the live view shows it."""

    connector: str
    task: int
    state: str
    records_in: float | None
    """Records polled (source) or read from Kafka (sink) so far; None before the task has metrics."""
    records_out: float | None
    """Records written to Kafka (source) or given to ``put`` (sink) so far."""
    rate: float | None
    """``records_out`` per second since the previous refresh (Kafka's windowed rate at the first)."""
    last_error: str
    """The last line of a FAILED task's trace, else empty."""


def task_rows(
    statuses: Iterable[ConnectorStatus],
    metrics: Sequence[Metric],
    previous: dict[tuple[str, int], tuple[float, float]] | None = None,
    now: float | None = None,
) -> list[TaskRow]:
    """The rows of the view from statuses and ``worker.metrics()``.

    Args:
        statuses: One status per connector shown.
        metrics: ``worker.metrics()``: ``{"group", "name", "tags", "value"}`` dicts.
        previous: ``(time, records_out)`` per ``(connector, task)`` at the last refresh; updated
            in place, for the next rate.
        now: The refresh's time (``time.monotonic()`` by default).
    """
    now = time.monotonic() if now is None else now
    values: dict[tuple[str, int, str], float] = {}
    for metric in metrics:
        tags = metric["tags"]
        if metric["group"] in _TOTALS and "connector" in tags and "task" in tags:
            values[(tags["connector"], int(tags["task"]), metric["name"])] = float(metric["value"])
    rows = []
    for status in statuses:
        name = status["name"]
        group = "sink-task-metrics" if status.get("type") == "sink" else "source-task-metrics"
        in_name, out_name = _TOTALS[group]
        for task in status["tasks"]:
            task_id = int(task["id"])
            records_in = values.get((name, task_id, in_name))
            records_out = values.get((name, task_id, out_name))
            rate = None
            if records_out is not None:
                before = None if previous is None else previous.get((name, task_id))
                if before is not None and now > before[0]:
                    rate = max(0.0, (records_out - before[1]) / (now - before[0]))
                else:
                    rate = values.get((name, task_id, out_name.replace("-total", "-rate")))
                if previous is not None:
                    previous[(name, task_id)] = (now, records_out)
            trace = str(task.get("trace", "")).strip()
            last_error = trace.splitlines()[-1] if task["state"] == "FAILED" and trace else ""
            rows.append(TaskRow(name, task_id, str(task["state"]), records_in, records_out, rate, last_error))
    return rows


#: What ``html.escape`` replaces; the ``html`` module itself (with its table of entities) would
#: be imported for this alone, with ``dataclasses`` (and ``inspect``) a few MiB of every process
#: that waits for a state.
_HTML_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escape(text: str) -> str:
    """``text`` safe inside HTML text and attribute values (as ``html.escape(text)``)."""
    return text.translate(_HTML_SPECIAL)


def rows_html(rows: Sequence[TaskRow], title: str = "") -> str:
    """The rows as an HTML table."""

    def number(value: float | None, digits: int = 0) -> str:
        return "" if value is None else f"{value:,.{digits}f}"

    body = "".join(
        f"<tr><td>{escape(r.connector)}</td><td>{r.task}</td><td>{escape(r.state)}</td>"
        f"<td style='text-align:right'>{number(r.rate, 1)}</td>"
        f"<td style='text-align:right'>{number(r.records_in)}</td>"
        f"<td style='text-align:right'>{number(r.records_out)}</td>"
        f"<td><code>{escape(r.last_error)}</code></td></tr>"
        for r in rows
    )
    heading = f"<b>{escape(title)}</b>" if title else ""
    return (
        f"{heading}<table><tr><th>connector</th><th>task</th><th>state</th><th>records/s</th>"
        f"<th>records in</th><th>records out</th><th>last error</th></tr>{body}</table>"
    )


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (where displays update in place)."""
    # A kernel has imported IPython already; importing it here, in a plain process where it
    # happens to be installed, would cost tens of MiB for a "no".
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class Display:
    """One output area updated in place: an ipywidgets ``HTML`` if ipywidgets is importable, else
    an IPython display handle."""

    def __init__(self, html: str) -> None:
        """Shows ``html`` (in a Jupyter kernel; elsewhere only keeps it)."""
        self.html = html
        self._widget: Any = None
        self._handle: Any = None
        self._ipython: Any = _optional("IPython.display") if in_notebook() else None
        if self._ipython is None:
            return
        widgets: Any = _optional("ipywidgets")
        if widgets is not None:
            self._widget = widgets.HTML(value=html)
            self._ipython.display(self._widget)
        else:
            self._handle = self._ipython.display(self._ipython.HTML(html), display_id=True)

    def update(self, html: str) -> None:
        """Replaces the area's content."""
        self.html = html
        if self._widget is not None:
            self._widget.value = html
        elif self._handle is not None:
            self._handle.update(self._ipython.HTML(html))


def _optional(module: str) -> Any:
    """The module, or None when it cannot be imported (IPython and ipywidgets are optional)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


class LiveView:
    """A table of a worker's tasks refreshed every ``interval`` seconds on a thread of its own,
    until :meth:`stop` (or the worker is closed). Made by :meth:`Worker.live`.

    Attributes:
        rows: The rows of the last refresh.
    """

    def __init__(self, worker: _Worker, names: Sequence[str] | None = None, interval: float = 1.0) -> None:
        """Shows the view and starts refreshing it.

        Args:
            worker: The worker to watch.
            names: Connectors to show (all of the worker's, as they come and go, by default).
            interval: Seconds between refreshes.
        """
        self._worker = worker
        self._names = list(names) if names is not None else None
        self._interval = interval
        self._previous: dict[tuple[str, int], tuple[float, float]] = {}
        self._stopped = threading.Event()
        self._lock = threading.Lock()  # the refresh thread and refresh() share the rates' state
        self.rows: list[TaskRow] = []
        self._display = Display(self._render())
        self._thread = threading.Thread(target=self._run, name="ferroconnect-live-view", daemon=True)
        self._thread.start()

    def refresh(self) -> list[TaskRow]:
        """Reads statuses and metrics now, updates the display and returns the rows."""
        with self._lock:
            self._display.update(self._render())
            return self.rows

    def stop(self) -> None:
        """Stops refreshing; the display keeps its last content (refreshed once more now)."""
        if not self._stopped.is_set():
            self._stopped.set()
            self._thread.join()
            self.refresh()

    def _render(self) -> str:
        try:
            names = self._names if self._names is not None else self._worker.connectors()
            statuses = [self._worker.status(name) for name in names]
            self.rows = task_rows(statuses, self._worker.metrics(), self._previous)
        except Exception as exc:  # a closed worker, a connector deleted meanwhile
            return rows_html(self.rows, f"not refreshed: {exc}")
        stamp = time.strftime("%H:%M:%S")
        state = "stopped" if self._stopped.is_set() else f"every {self._interval:g} s"
        return rows_html(self.rows, f"ferroconnect tasks at {stamp} ({state})")

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            with self._lock:
                self._display.update(self._render())

    def _repr_html_(self) -> str:
        return rows_html(self.rows)

    def __repr__(self) -> str:
        return "\n".join(
            f"{r.connector}[{r.task}] {r.state} in={r.records_in} out={r.records_out} rate={r.rate}"
            for r in self.rows
        )


class WaitProgress:
    """The progress line of a wait: what is awaited, the current states and the time spent, shown
    in a notebook and updated in place; replaced by the outcome at the end."""

    def __init__(self, what: str, timeout: float) -> None:
        """Shows the line (in a Jupyter kernel only)."""
        self._what = what
        self._timeout = timeout
        self._start = time.monotonic()
        # Outside a notebook nothing is shown, and the line is not even formatted.
        self._display = Display(self._line("starting")) if in_notebook() else None

    def update(self, states: str) -> None:
        """Shows the current states."""
        if self._display is not None:
            self._display.update(self._line(states))

    def done(self, outcome: str) -> None:
        """Shows the outcome."""
        if self._display is not None:
            self._display.update(self._line(outcome, bar=False))

    def _line(self, states: str, bar: bool = True) -> str:
        spent = time.monotonic() - self._start
        meter = (
            f"<progress value='{min(spent, self._timeout):.1f}' max='{self._timeout:g}'></progress> "
            if bar
            else ""
        )
        return f"{meter}{escape(self._what)}: {escape(states)} ({spent:.1f} s of {self._timeout:g} s)"


__all__ = ["Display", "LiveView", "TaskRow", "WaitProgress", "in_notebook", "rows_html", "task_rows"]
