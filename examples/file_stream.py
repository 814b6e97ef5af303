"""The FileStream connectors of Kafka Connect's developer guide, in Python.

``FileStreamSource`` reads a text file line by line into a topic: one task, source partition
``{"filename": <file>}``, source offset ``{"position": <byte offset after the line>}``; on restart it
seeks to the committed position, so nothing is read twice after a graceful stop.

``FileStreamSink`` appends each record's value to a file as a line; ``flush`` fsyncs the file,
so the offsets the runtime commits after it are durable in the file too.

Run them with ``ferroconnect standalone examples/connect-standalone.properties
examples/connect-file-source.properties examples/connect-file-sink.properties``
(``connector.class=file_stream.FileStreamSource`` with ``examples/`` on ``PYTHONPATH``), or in
process with ``ferroconnect.Worker``.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import ferroconnect as fc

CONFIG_DEF = (
    fc.ConfigDef()
    .define(
        "file",
        fc.Type.STRING,
        None,
        fc.Importance.HIGH,
        "Source filename. If not set, the source reads nothing.",
    )
    .define("topic", fc.Type.LIST, importance=fc.Importance.HIGH, doc="The topic to publish data to.")
    .define(
        "batch.size",
        fc.Type.INT,
        2000,
        fc.Importance.LOW,
        "The maximum number of records the source task can read from the file each time it is polled.",
        validator=fc.Range.at_least(1),
    )
)


class FileStreamSource(fc.SourceConnector):
    """Reads lines of one file into one topic."""

    config_def = CONFIG_DEF

    def version(self) -> str:
        return fc.__version__

    def start(self, config: dict[str, str]) -> None:
        parsed = CONFIG_DEF.parse(config)
        if len(parsed["topic"]) != 1:
            raise fc.ConfigError(
                "Invalid value for configuration topic: 'topic' in FileStreamSource must be a single topic"
            )
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return FileStreamSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        # One file, one task: only one reader can own the file's position.
        return [dict(self.settings)]


class FileStreamSourceTask(fc.SourceTask):
    """Reads up to ``batch.size`` lines per poll, keeping the byte position as the source offset."""

    def version(self) -> str:
        return fc.__version__

    def start(self, config: dict[str, str]) -> None:
        parsed = CONFIG_DEF.parse(config)
        self.filename: str | None = parsed["file"]
        self.topic: str = parsed["topic"][0]
        self.batch_size: int = parsed["batch.size"]
        self.partition = {"filename": self.filename}
        self.stopping = threading.Event()
        saved: dict[str, Any] | None = self.context.offset_storage_reader.offset(self.partition)
        self.position = int(saved["position"]) if saved else 0
        # Without a file the task reads nothing (the connector's documented behaviour).
        self.stream = open(self.filename, "rb") if self.filename else None
        if self.stream is not None:
            self.stream.seek(self.position)
        self.pending = b""

    def poll(self) -> fc.SourceBatch | None:
        lines: list[str] = []
        positions: list[int] = []
        while self.stream is not None and len(lines) < self.batch_size:
            chunk = self.stream.readline()
            if not chunk:
                break
            if not chunk.endswith(b"\n"):
                # A line still being written: keep it until its end arrives.
                self.pending += chunk
                break
            line, self.pending = self.pending + chunk, b""
            self.position += len(line)
            lines.append(line.rstrip(b"\r\n").decode("utf-8"))
            positions.append(self.position)
        if lines:
            # All lines share the file's source partition and the topic: one SourceBatch carries
            # them with each line's offset ({"position": ...}), no SourceRecord object per line.
            return fc.SourceBatch(self.partition, self.topic, lines, positions, offset_key="position")
        # Nothing new: wait a little (or until stop) instead of spinning.
        self.stopping.wait(0.05)
        return None

    def stop(self) -> None:
        self.stopping.set()

    def __del__(self) -> None:
        stream = getattr(self, "stream", None)
        if stream is not None:
            stream.close()


SINK_CONFIG_DEF = fc.ConfigDef().define(
    "file",
    fc.Type.STRING,
    None,
    fc.Importance.HIGH,
    "Destination filename. If not set, standard output is used.",
)


class FileStreamSink(fc.SinkConnector):
    """Appends the values of the records of its topics to one file."""

    config_def = SINK_CONFIG_DEF

    def version(self) -> str:
        return fc.__version__

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SinkTask]:
        return FileStreamSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        # Every task appends to the same file, as Kafka's FileStreamSink does.
        return [dict(self.settings) for _ in range(max_tasks)]


class FileStreamSinkTask(fc.SinkTask):
    """Writes each value as a line; ``flush`` makes the lines durable before offsets are committed."""

    def version(self) -> str:
        return fc.__version__

    def start(self, config: dict[str, str]) -> None:
        filename = SINK_CONFIG_DEF.parse(config)["file"]
        self.stream = open(filename, "a", encoding="utf-8") if filename else sys.stdout

    def put(self, records: list[fc.SinkRecord]) -> None:
        self.stream.write("".join(f"{record.value}\n" for record in records))

    def flush(self, current_offsets: dict[fc.TopicPartition, int]) -> None:
        self.stream.flush()
        if self.stream is not sys.stdout:
            os.fsync(self.stream.fileno())

    def stop(self) -> None:
        if self.stream is not sys.stdout:
            self.stream.close()
