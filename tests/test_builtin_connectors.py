"""Built-in Rust connectors, reached by ``connector.class`` from the Python worker."""

from __future__ import annotations

import json
from pathlib import Path

import ferroconnect as fc
from source_helpers import create_topic, read_values, wait_until

GENERATOR = "ferroconnect.connectors.GeneratorSourceConnector"


def _committed_seqno(offsets: Path) -> int | None:
    if not offsets.exists():
        return None
    entries = json.loads(offsets.read_text())
    return max((v["seqno"] for v in entries.values()), default=None)


def _numbers(values: list[str]) -> list[int]:
    return [int(v.rstrip("x")) for v in values]


def test_generator_source_writes_numbered_records_and_resumes_from_its_offset(
    tmp_path: Path, bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name, 1)  # one partition: the order is checked
    offsets = tmp_path / "offsets.json"
    config = {"connector.class": GENERATOR, "topic": topic_name, "batch.size": 500, "message.size": 16}
    with fc.Worker(
        bootstrap_servers, offset_flush_interval_ms=100, offset_storage_file_filename=str(offsets)
    ) as worker:
        worker.create_connector("gen", {**config, "max.messages": 3000})
        worker.wait_for_state("gen", tasks=1)
        wait_until(lambda: _committed_seqno(offsets) == 2999, what="offsets of all 3000 records")
        worker.delete_connector("gen")
        # The same connector name again: the task starts after its committed offset.
        worker.create_connector("gen", {**config, "connector.class": "GeneratorSource", "max.messages": 4000})
        wait_until(lambda: _committed_seqno(offsets) == 3999, what="offsets of the next 1000 records")
    values = read_values(bootstrap_servers, topic_name, 4000)
    assert all(len(v) == 16 for v in values)
    assert _numbers(values) == list(range(4000))


def test_generator_source_config_errors_name_the_key(bootstrap_servers: str) -> None:
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("gen", {"connector.class": GENERATOR, "message.size": -1})
        status = worker.status("gen")
        assert status.state == "FAILED"
        assert "topic" in status["connector"]["trace"]
