"""The live notebook view (``ferroconnect.live``, ``Worker.live``, ``wait_for_state``'s progress):
rows computed from statuses and metrics of the shape ``Worker.metrics()`` gives, both display paths
(ipywidgets, and IPython display handles without it), and a pipeline on the embedded broker whose
view reaches the record counts. ``tests/test_examples.py`` runs the quickstart notebook, which shows
the view on a real kernel.
"""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path
from typing import Any

import ferroconnect as fc
import pytest
from ferroconnect import live
from ferroconnect.worker import ConnectorStatus, Metric

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import file_stream


def metric(group: str, name: str, connector: str, task: int, value: float) -> Metric:
    return {"group": group, "name": name, "tags": {"connector": connector, "task": str(task)}, "value": value}


def status(name: str, kind: str, *tasks: tuple[str, str]) -> ConnectorStatus:
    return ConnectorStatus(
        {
            "name": name,
            "type": kind,
            "connector": {"state": "RUNNING", "worker_id": "w"},
            "tasks": [{"id": i, "state": s, "worker_id": "w", "trace": t} for i, (s, t) in enumerate(tasks)],
        }
    )


SOURCE_METRICS = [
    metric("source-task-metrics", "source-record-poll-total", "in", 0, 120),
    metric("source-task-metrics", "source-record-write-total", "in", 0, 100),
    metric("source-task-metrics", "source-record-write-rate", "in", 0, 3.5),
    metric("sink-task-metrics", "sink-record-read-total", "out", 0, 90),
    metric("sink-task-metrics", "sink-record-send-total", "out", 0, 80),
    metric("connector-metrics", "status", "in", 0, 1.0),  # other groups are not read
]
STATUSES = [
    status("in", "source", ("RUNNING", ""), ("FAILED", "Traceback...\n  File x\nValueError: bad line 7\n")),
    status("out", "sink", ("RUNNING", "")),
]


def test_rows_read_totals_and_rates_from_kafka_connects_metric_names() -> None:
    previous: dict[tuple[str, int], tuple[float, float]] = {}
    first = live.task_rows(STATUSES, SOURCE_METRICS, previous, now=10.0)
    assert first == [
        live.TaskRow("in", 0, "RUNNING", 120, 100, 3.5, ""),  # Kafka's windowed rate at first
        live.TaskRow("in", 1, "FAILED", None, None, None, "ValueError: bad line 7"),
        live.TaskRow("out", 0, "RUNNING", 90, 80, None, ""),  # no rate metric given: none yet
    ]
    later = [{**m, "value": m["value"] + 50} for m in SOURCE_METRICS]
    second = live.task_rows(STATUSES, later, previous, now=12.0)
    assert [(r.records_out, r.rate) for r in second] == [(150, 25.0), (None, None), (130, 25.0)]


def test_rows_html_shows_every_column() -> None:
    html = live.rows_html(live.task_rows(STATUSES, SOURCE_METRICS), "title <x>")
    assert "<b>title &lt;x&gt;</b>" in html
    assert "<td>in</td><td>0</td><td>RUNNING</td><td style='text-align:right'>3.5</td>" in html
    assert "<td style='text-align:right'>120</td><td style='text-align:right'>100</td>" in html
    assert "<code>ValueError: bad line 7</code>" in html


class FakeWorker:
    def __init__(self) -> None:
        self.metric_list = list(SOURCE_METRICS)

    def connectors(self) -> list[str]:
        return ["in", "out"]

    def status(self, name: str) -> ConnectorStatus:
        return next(s for s in STATUSES if s["name"] == name)

    def metrics(self) -> list[Metric]:
        return self.metric_list


def test_the_view_is_an_ipywidget_when_ipywidgets_is_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []

    class HTML:
        def __init__(self, value: str) -> None:
            self.value = value

    monkeypatch.setattr(live, "in_notebook", lambda: True)
    monkeypatch.setitem(sys.modules, "ipywidgets", types.SimpleNamespace(HTML=HTML))
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    worker = FakeWorker()
    view = live.LiveView(worker, interval=60)
    [widget] = shown
    assert isinstance(widget, HTML) and "records/s" in widget.value
    worker.metric_list = [{**m, "value": 777.0} for m in SOURCE_METRICS]
    assert view.refresh()[0].records_out == 777
    assert "777" in widget.value
    view.stop()
    assert "(stopped)" in widget.value


def test_without_ipywidgets_the_view_is_html_updated_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    updates: list[str] = []

    class Handle:
        def update(self, obj: Any) -> None:
            updates.append(obj.data)

    def display(obj: Any, display_id: bool = False) -> Handle:
        assert display_id is True
        updates.append(obj.data)
        return Handle()

    monkeypatch.setattr(live, "in_notebook", lambda: True)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails
    monkeypatch.setattr("IPython.display.display", display)
    view = live.LiveView(FakeWorker(), ["out"], interval=0.05)
    deadline = time.monotonic() + 10
    while len(updates) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    view.stop()
    assert len(updates) >= 3, "the view's thread did not refresh"
    assert all("<td>out</td>" in u and "<td>in</td>" not in u for u in updates)


def test_outside_a_notebook_nothing_is_displayed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "IPython.display.display", lambda *a, **kw: pytest.fail("displayed outside a notebook")
    )
    assert not live.in_notebook()
    view = live.LiveView(FakeWorker(), interval=60)
    assert [r.records_out for r in view.refresh()] == [100, None, 80]
    # The second refresh: no record since the first, so 0 records/s (not Kafka's windowed rate).
    assert repr(view).splitlines()[0] == "in[0] RUNNING in=120.0 out=100.0 rate=0.0"
    view.stop()


def test_wait_for_state_shows_progress_in_a_notebook(
    monkeypatch: pytest.MonkeyPatch, embedded_kafka: fc.EmbeddedKafka, tmp_path: Path
) -> None:
    lines: list[str] = []

    class Recording:
        def __init__(self, html: str) -> None:
            lines.append(html)

        def update(self, html: str) -> None:
            lines.append(html)

    monkeypatch.setattr(live, "in_notebook", lambda: True)
    monkeypatch.setattr(live, "Display", Recording)
    (tmp_path / "in.txt").write_text("a\n")
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        worker.create_connector(
            "progress",
            {"connector.class": file_stream.FileStreamSource, "file": str(tmp_path / "in.txt"), "topic": "p"},
        )
        worker.wait_for_state("progress", tasks=1, timeout=30)
    assert (
        lines[0].startswith("<progress value=") and "waiting for progress to be RUNNING: starting" in lines[0]
    )
    assert lines[-1].startswith("waiting for progress to be RUNNING: RUNNING, tasks RUNNING (")


def test_a_pipelines_view_reaches_the_record_counts(embedded_kafka: fc.EmbeddedKafka, tmp_path: Path) -> None:
    """Real metrics: the view's totals are the records copied, and stopping the worker stops the view."""
    count = 500
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("".join(f"line {i}\n" for i in range(count)))
    topic = "live-view-lines"
    embedded_kafka.create_topic(topic, 1)
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        worker.create_connector(
            "live-in", {"connector.class": file_stream.FileStreamSource, "file": str(source), "topic": topic}
        )
        worker.create_connector(
            "live-out", {"connector.class": file_stream.FileStreamSink, "file": str(sink), "topics": topic}
        )
        view = worker.live(interval=0.1)
        deadline = time.monotonic() + 60
        rows: list[live.TaskRow] = []
        while time.monotonic() < deadline:
            rows = view.refresh()
            if [(r.connector, r.records_out) for r in rows] == [("live-in", count), ("live-out", count)]:
                break
            time.sleep(0.1)
        assert [(r.connector, r.task, r.state, r.records_out) for r in rows] == [
            ("live-in", 0, "RUNNING", count),
            ("live-out", 0, "RUNNING", count),
        ]
        assert rows[0].records_in == count and rows[1].records_in == count
    assert view._stopped.is_set() and not view._thread.is_alive()
