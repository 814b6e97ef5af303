"""Quickstart: a file → the embedded Kafka broker, with the Python FileStream source.

Writes 1000 lines to a temporary file, runs the FileStream source connector in an in-process
Worker against librdkafka's mock cluster, reads the topic back, prints the connector's status and
exits 0 only if the topic holds exactly the file's lines, in order. (The FileStream sink joins it
once the sink runtime lands.)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ferroconnect as fc
from ferroconnect import _core
from file_stream import FileStreamSource


def main() -> int:
    """Runs the pipeline; returns the exit code."""
    lines = [f"line {i}" for i in range(1000)]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.txt"
        source.write_text("".join(f"{line}\n" for line in lines))
        with fc.EmbeddedKafka() as kafka, fc.Worker(kafka.bootstrap_servers) as worker:
            kafka.create_topic("quickstart", 1)
            config = {"connector.class": FileStreamSource, "file": str(source), "topic": "quickstart"}
            worker.create_connector("file-source", config)
            records = _core.read_topic(kafka.bootstrap_servers, "quickstart", len(lines), 1.0, 30.0)
            print(worker.status("file-source"))
    got = [r[4].decode() if r[4] is not None else "" for r in records]
    print(f"input lines: {len(lines)}, records in Kafka: {len(got)}")
    return 0 if got == lines else 1


if __name__ == "__main__":
    sys.exit(main())
