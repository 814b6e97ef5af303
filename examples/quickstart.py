"""Quickstart: a file → the embedded Kafka broker → another file, with the Python FileStream
source and sink connectors in one in-process Worker.

Writes 1000 lines to a temporary file, copies them through a topic of librdkafka's mock cluster
into an output file, prints both connectors' status and the line counts, and exits 0 only if the
output file equals the input.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ferroconnect as fc
from file_stream import FileStreamSink, FileStreamSource


def main(line_count: int = 1000, timeout: float = 60.0) -> int:
    """Runs the pipeline; returns the exit code."""
    lines = [f"line {i}" for i in range(line_count)]
    with tempfile.TemporaryDirectory() as tmp:
        source, sink = Path(tmp) / "input.txt", Path(tmp) / "output.txt"
        source.write_text("".join(f"{line}\n" for line in lines))
        # Offsets are committed (and the sink's file flushed) every second instead of every minute.
        settings = {"offset.flush.interval.ms": "1000"}
        with fc.EmbeddedKafka() as kafka, fc.Worker(kafka.bootstrap_servers, **settings) as worker:
            worker.create_connector(
                "file-source",
                {"connector.class": FileStreamSource, "file": str(source), "topic": "quickstart"},
            )
            worker.create_connector(
                "file-sink", {"connector.class": FileStreamSink, "file": str(sink), "topics": "quickstart"}
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and _count_lines(sink) < len(lines):
                time.sleep(0.1)
            print(worker.status("file-source"))
            print(worker.status("file-sink"))
        copied = sink.read_text().splitlines() if sink.exists() else []
    print(f"input lines: {len(lines)}, output lines: {len(copied)}")
    return 0 if copied == lines else 1


def _count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


if __name__ == "__main__":
    sys.exit(main())
