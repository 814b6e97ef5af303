"""Kafka's FileStream connectors, built in under Kafka's names: Kafka's own quickstart files run in
``ferroconnect standalone`` as they are (issue 14, item 2), with Kafka's offset format.

Not yet compared with Java's FileStream connectors: ``connect-file`` 4.4.0 is not on Maven Central,
and 4.3.1's classes fail in Connect 4.4.0 (``NoClassDefFoundError: AppInfoParser``, measured).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

# As Kafka 4.4 ships them in config/ (comments left out); a test changes only the broker address,
# the offsets file and the REST port, which must differ on a shared machine.
CONNECT_STANDALONE = """\
bootstrap.servers=localhost:9092
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
offset.storage.file.filename=/tmp/connect.offsets
offset.flush.interval.ms=10000
"""
CONNECT_FILE_SOURCE = """\
name=local-file-source
connector.class=FileStreamSource
tasks.max=1
file=test.txt
topic=connect-test
"""
CONNECT_FILE_SINK = """\
name=local-file-sink
connector.class=FileStreamSink
tasks.max=1
file=test.sink.txt
topics=connect-test
"""
# More than a read chunk (1 MiB), so that the source reads the file in several bounded pieces.
LINES = [f"line {i}" for i in range(150_000)] + ["", "unicode: déjà vu", "last"]


def _write_worker(folder: Path, bootstrap: str) -> Path:
    text = (
        CONNECT_STANDALONE.replace("localhost:9092", bootstrap).replace(
            "/tmp/connect.offsets", str(folder / "connect.offsets")
        )
        + "listeners=http://127.0.0.1:0\n"
    )
    path = folder / "connect-standalone.properties"
    path.write_text(text)
    return path


def _wait_for_lines(path: Path, want: list[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text(encoding="utf-8").splitlines() == want):
        got = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        assert time.monotonic() < deadline, f"{path.name}: {len(got)} of {len(want)} lines"
        time.sleep(0.1)


def test_kafkas_quickstart_files_run_unchanged(tmp_path: Path, bootstrap_servers: str) -> None:
    (tmp_path / "test.txt").write_text("".join(f"{line}\n" for line in LINES), encoding="utf-8")
    topic = f"connect-test-{uuid.uuid4().hex[:8]}"  # the shipped name, made unique on a shared broker
    (tmp_path / "connect-file-source.properties").write_text(
        CONNECT_FILE_SOURCE.replace("connect-test", topic)
    )
    (tmp_path / "connect-file-sink.properties").write_text(CONNECT_FILE_SINK.replace("connect-test", topic))
    worker = _write_worker(tmp_path, bootstrap_servers)
    command = [sys.executable, "-m", "ferroconnect.cli", "standalone", worker.name]
    command += ["connect-file-source.properties", "connect-file-sink.properties"]
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=log)
    try:
        _wait_for_lines(tmp_path / "test.sink.txt", LINES)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, (tmp_path / "worker.log").read_text()[-3000:]
    # Kafka's offset format: {"filename": <file as configured>} -> {"position": <next byte>}.
    offsets = json.loads((tmp_path / "connect.offsets").read_text())
    size = (tmp_path / "test.txt").stat().st_size
    assert {"filename": "test.txt"} in [json.loads(k)[1] for k in offsets], offsets
    assert [v for v in offsets.values() if isinstance(v, dict) and "position" in v] == [{"position": size}]
