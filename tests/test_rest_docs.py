"""docs/rest.md runs: every ``curl`` command of it, in order, against a live ``ferroconnect
standalone`` worker; each must succeed (2xx), and its answer must have the shape of the JSON the
page shows after it."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import ferroconnect as fc
from rest_helpers import EXAMPLES, Standalone

DOC = Path(__file__).resolve().parent.parent / "docs" / "rest.md"

# A failing request fails the block, and its body is shown.
CURL = 'curl() { command curl --fail-with-body -sS "$@"; }\n'


def _examples() -> list[tuple[str, str | None]]:
    """Each bash block with a curl command, and the json block right after it (if any)."""
    blocks = re.findall(r"```(\w*)\n(.*?)```", DOC.read_text(), flags=re.S)
    examples: list[tuple[str, str | None]] = []
    for i, (lang, body) in enumerate(blocks):
        if lang == "bash" and "curl" in body:
            following = blocks[i + 1] if i + 1 < len(blocks) else ("", "")
            examples.append((body, following[1] if following[0] == "json" else None))
    return examples


def _conforms(shown: Any, actual: Any, where: str = "$") -> None:
    """The answer has every key the page shows (recursively; lists by their first element)."""
    if isinstance(shown, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        missing = set(shown) - set(actual)
        assert not missing, f"{where}: the answer lacks {sorted(missing)}: {actual!r}"
        for key in shown:
            _conforms(shown[key], actual[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        if shown and actual:
            _conforms(shown[0], actual[0], f"{where}[0]")


def test_every_curl_example_of_the_rest_doc_runs(embedded_kafka: fc.EmbeddedKafka, tmp_path: Path) -> None:
    examples = _examples()
    endpoints = {re.search(r"-X (\w+)", cmd).group(1) if "-X" in cmd else "GET" for cmd, _ in examples}
    assert len(examples) >= 30 and endpoints == {"GET", "POST", "PUT", "PATCH", "DELETE"}
    topic = f"connect-test-{uuid.uuid4().hex[:8]}"
    embedded_kafka.create_topic(topic, 1)
    data = tmp_path / "test.txt"
    data.write_text("".join(f"line {i}\n" for i in range(4)))
    worker = Standalone(
        tmp_path,
        {
            "bootstrap.servers": embedded_kafka.bootstrap_servers,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": str(tmp_path / "offsets.json"),
            "offset.flush.interval.ms": "200",
            "listeners": "http://127.0.0.1:0",
            "plugin.path": str(EXAMPLES),
        },
    )
    try:
        for command, shown in examples:
            script = (
                command.replace("http://localhost:8083", worker.url)
                .replace("/tmp/test.txt", str(data))
                .replace("connect-test", topic)
            )
            run = subprocess.run(
                ["bash", "-c", CURL + script], capture_output=True, text=True, cwd=tmp_path, timeout=60
            )
            assert run.returncode == 0, f"{command}\nfailed: {run.stdout} {run.stderr}"
            if shown is not None:
                _conforms(json.loads(shown), json.loads(run.stdout), command.splitlines()[0])
    finally:
        worker.stop()
    assert worker.process.returncode == 0
