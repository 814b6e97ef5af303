"""How ``connector.class`` is resolved: class objects, dotted paths and entry points of the group
``ferroconnect.connectors`` (our ``plugin.path``), and what a user sees when nothing matches."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import ferroconnect as fc
import pytest

CONNECTOR = textwrap.dedent(
    """
    import ferroconnect as fc

    class Task(fc.SourceTask):
        def poll(self):
            return None

    class EntryPointSource(fc.SourceConnector):
        def task_class(self):
            return Task

        def task_configs(self, max_tasks):
            return [{}]
    """
)

RUN = textwrap.dedent(
    """
    import ferroconnect as fc
    with fc.EmbeddedKafka() as kafka, fc.Worker(kafka.bootstrap_servers) as worker:
        worker.create_connector("ep", {"connector.class": "entry-point-source"})
        print(worker.wait_for_state("ep", "RUNNING", tasks=1)["connector"]["state"])
    """
)


def test_an_entry_point_names_a_connector_class(tmp_path: Path) -> None:
    # An installed distribution, as pip would leave it: a module and a dist-info with entry points.
    (tmp_path / "my_connectors.py").write_text(CONNECTOR)
    dist = tmp_path / "my_connectors-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-connectors\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[ferroconnect.connectors]\nentry-point-source = my_connectors:EntryPointSource\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", RUN],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("RUNNING")


def test_an_unknown_class_names_where_it_was_looked_for(embedded_kafka: fc.EmbeddedKafka) -> None:
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        with pytest.raises(fc.ConfigError) as raised:
            worker.create_connector("x", {"connector.class": "no_such_module.Nothing"})
    message = str(raised.value)
    assert "connector.class" in message
    assert "entry points of group 'ferroconnect.connectors'" in message
    assert "module 'no_such_module'" in message
