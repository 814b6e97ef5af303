"""Property-based test of the REST API (schemathesis): requests generated from ``/openapi.json``,
valid and invalid, against a live worker. No answer may be a 5xx, and every answer must agree with
the document (status codes, content types, headers, body schemas)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import ferroconnect as fc
from rest_helpers import EXAMPLES, rest_worker


def test_no_server_errors_and_no_schema_contradictions(
    embedded_kafka: fc.EmbeddedKafka, tmp_path: Path
) -> None:
    source = tmp_path / "in.txt"
    source.write_text("a\nb\n")
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    with rest_worker(embedded_kafka.bootstrap_servers, plugin_path=str(EXAMPLES)) as (_, http):
        # Connectors in each state; the document's examples name the first, so requests reach it.
        config = {"connector.class": "FileStreamSource", "file": str(source), "topic": "schema-t"}
        for name, state in [("local-file-source", "RUNNING"), ("paused", "PAUSED"), ("stopped", "STOPPED")]:
            created = http.post("/connectors", json={"name": name, "config": config, "initial_state": state})
            assert created.status_code == 201, created.text
        run = subprocess.run(
            [
                schemathesis,
                "run",
                f"{str(http.base_url).rstrip('/')}/openapi.json",
                "--checks",
                "all",
                # Schema-valid configs may still fail the connector's own checks: a 400 by design.
                "--exclude-checks",
                "positive_data_acceptance",
                "--max-examples",
                "25",
                "--seed",
                "7",
                "--generation-deterministic",
                "--request-timeout",
                "30",
                "--report-dir",
                str(tmp_path / "report"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
    print(run.stdout[-6000:], run.stderr[-2000:])
    assert run.returncode == 0, run.stdout[-6000:]
