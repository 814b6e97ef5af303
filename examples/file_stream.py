"""The FileStream connectors of Kafka Connect's developer guide, in Python.

``FileStreamSource`` reads a text file line by line into a topic: one task, source partition
``{"filename": <file>}``, source offset ``{"position": <byte offset after the line>}``; on restart it
seeks to the committed position, so nothing is read twice after a graceful stop.

Run it with ``ferroconnect standalone examples/connect-standalone.properties
examples/connect-file-source.properties`` (``connector.class=file_stream.FileStreamSource`` with
``examples/`` on ``PYTHONPATH``), or in process with ``ferroconnect.Worker``.
"""

from __future__ import annotations

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

    def start(self, config: dict[str, str]) -> None:
        parsed = CONFIG_DEF.parse(config)
        self.filename: str = parsed["file"]
        self.topic: str = parsed["topic"][0]
        self.batch_size: int = parsed["batch.size"]
        self.partition = {"filename": self.filename}
        self.stopping = threading.Event()
        saved: dict[str, Any] | None = self.context.offset_storage_reader.offset(self.partition)
        self.position = int(saved["position"]) if saved else 0
        self.stream = open(self.filename, "rb")
        self.stream.seek(self.position)
        self.pending = b""

    def poll(self) -> list[fc.SourceRecord] | None:
        records: list[fc.SourceRecord] = []
        while len(records) < self.batch_size:
            chunk = self.stream.readline()
            if not chunk:
                break
            if not chunk.endswith(b"\n"):
                # A line still being written: keep it until its end arrives.
                self.pending += chunk
                break
            line, self.pending = self.pending + chunk, b""
            self.position += len(line)
            records.append(
                fc.SourceRecord(
                    self.partition,
                    {"position": self.position},
                    self.topic,
                    value=line.rstrip(b"\r\n").decode("utf-8"),
                )
            )
        if records:
            return records
        # Nothing new: wait a little (or until stop) instead of spinning.
        self.stopping.wait(0.05)
        return None

    def stop(self) -> None:
        self.stopping.set()

    def __del__(self) -> None:
        stream = getattr(self, "stream", None)
        if stream is not None:
            stream.close()
