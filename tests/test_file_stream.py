"""Kafka's FileStream connectors, built in under Kafka's names: Kafka's own quickstart files run in
``ferroconnect standalone`` as they are (issue 14, item 2), with Kafka's offset format; and Java
Kafka Connect 4.4.0 running Kafka's own FileStream connectors on the same files writes the same
sink file and reports the same offsets.

Java runs ``connect-file`` 4.3.1 (4.4.0 is not on Maven Central) through a test-only shim for a
class that 4.4 moved (``tests/jvm/connect/shim``, built by ``scripts/java_connect.py``).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import java_connect
from process_helpers import stop_gracefully

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
        stop_gracefully(process, tmp_path / "worker.log", timeout=60)
    # Kafka's offset format: {"filename": <file as configured>} -> {"position": <next byte>}.
    offsets = json.loads((tmp_path / "connect.offsets").read_text())
    size = (tmp_path / "test.txt").stat().st_size
    assert {"filename": "test.txt"} in [json.loads(k)[1] for k in offsets], offsets
    assert [v for v in offsets.values() if isinstance(v, dict) and "position" in v] == [{"position": size}]


def _properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_java_connect_writes_the_same_sink_file_and_offsets(tmp_path: Path, bootstrap_servers: str) -> None:
    """Java's FileStream connectors and ours, each in its standalone worker with Kafka's quickstart
    configs on its own copy of the same input: the same sink file, and offsets of the same shape
    through ``GET /connectors/{name}/offsets`` ({"filename": <file>} -> {"position": <n>})."""
    # Fewer than batch.size (2000) lines: Java's source returns a full batch and then leaves the
    # lines still in its buffer unread until the file grows (its poll extracts lines only after a
    # read that got data); ours reads them. Measured with 2003 lines: Java's sink got 2000.
    lines = [f"line {i}" for i in range(1_500)] + ["", "unicode: déjà vu", "last"]
    results = {}
    for runtime in ("java", "ferroconnect"):
        folder = tmp_path / runtime
        folder.mkdir()
        (folder / "test.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        topic = f"connect-test-{uuid.uuid4().hex[:8]}"
        source = {**_properties(CONNECT_FILE_SOURCE), "topic": topic, "file": str(folder / "test.txt")}
        sink = {**_properties(CONNECT_FILE_SINK), "topics": topic, "file": str(folder / "test.sink.txt")}
        if runtime == "java":
            worker = java_connect.start(
                folder / "state", bootstrap_servers, "standalone", connectors=[source, sink]
            )
            url, stop = worker.url, worker.stop
        else:
            props = _write_worker(folder, bootstrap_servers)
            for name, config in (("source", source), ("sink", sink)):
                (folder / f"{name}.properties").write_text("".join(f"{k}={v}\n" for k, v in config.items()))
            command = [sys.executable, "-m", "ferroconnect.cli", "standalone", props.name]
            command += ["source.properties", "sink.properties"]
            log = (folder / "worker.log").open("wb")
            process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=log)
            url = ""

            def stop(process: subprocess.Popen[bytes] = process) -> None:
                process.send_signal(signal.SIGTERM)
                process.wait(60)

        try:
            _wait_for_lines(folder / "test.sink.txt", lines)
            if not url:
                url = _rest_url(folder / "worker.log")
            with httpx.Client(base_url=url, timeout=30) as http:
                deadline = time.monotonic() + 60
                while True:  # committed every offset.flush.interval.ms (10 s, as shipped)
                    offsets = http.get("/connectors/local-file-source/offsets").json()
                    if offsets.get("offsets") or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
        finally:
            stop()
        size = (folder / "test.txt").stat().st_size
        results[runtime] = (offsets, size, (folder / "test.sink.txt").read_bytes())
    (java_offsets, java_size, java_sink), (our_offsets, our_size, our_sink) = (
        results["java"],
        results["ferroconnect"],
    )
    assert our_sink == java_sink
    assert java_size == our_size
    # The same partition; the position is the file's size in bytes for us, and in characters for
    # Java (its FileStreamSourceTask counts the characters it decoded, yet skips that many bytes
    # when it resumes). They differ by the extra UTF-8 bytes of "é" and "à": docs/compatibility.md.
    text = "".join(f"{line}\n" for line in lines)
    characters, extra_bytes = len(text), len(text.encode()) - len(text)
    assert extra_bytes == 2
    for offsets, runtime, position in (
        (java_offsets, "java", characters),
        (our_offsets, "ferroconnect", our_size),
    ):
        shown = json.loads(json.dumps(offsets).replace(str(tmp_path / runtime / "test.txt"), "<file>"))
        expected = {"offsets": [{"partition": {"filename": "<file>"}, "offset": {"position": position}}]}
        assert shown == expected, (runtime, offsets)


def _rest_url(log: Path, timeout: float = 30) -> str:
    """The REST URL a ``ferroconnect standalone`` process printed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("REST API on "):
                return line.removeprefix("REST API on ").strip()
        time.sleep(0.2)
    raise AssertionError(f"no REST URL in {log}")
