"""What ``import ferroconnect`` costs a process: heavy standard modules stay unimported until used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ferroconnect as fc

#: Standard modules the package imports only when used: asyncio with ssl and importlib.metadata
#: (about 12 MiB of resident memory together: async tasks, entry-point lookups), inspect (ast, dis:
#: 1.6 MiB), subprocess (a child-process broker), pathlib (plugin.path), dataclasses and html (the
#: notebook view): 2-3 MiB more, measured on an idle worker.
LAZY = ("asyncio", "ssl", "importlib.metadata", "inspect", "subprocess", "pathlib", "dataclasses", "html")


def test_importing_the_package_leaves_heavy_standard_modules_out() -> None:
    code = f"import json, sys, ferroconnect; print(json.dumps([m for m in {LAZY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_a_worker_running_a_connector_named_by_its_module_path_leaves_them_out(
    embedded_kafka: fc.EmbeddedKafka, tmp_path: Path
) -> None:
    # A connector named as Kafka Connect names classes (a dotted path) is imported without reading
    # the installed entry points; the source task runs without inspect.
    (tmp_path / "quiet_source.py").write_text(
        "import time\n"
        "import ferroconnect as fc\n"
        "class QuietTask(fc.SourceTask):\n"
        "    def poll(self):\n"
        "        time.sleep(0.05)\n"
        "        return None\n"
        "class QuietSource(fc.SourceConnector):\n"
        "    def task_class(self):\n"
        "        return QuietTask\n"
        "    def task_configs(self, max_tasks):\n"
        "        return [{}]\n"
    )
    code = (
        "import json, sys, time, ferroconnect as fc\n"
        f"with fc.Worker({embedded_kafka.bootstrap_servers!r}, rest_port=0) as worker:\n"
        "    config = {'connector.class': 'quiet_source.QuietSource', 'topic': 'q'}\n"
        "    worker.create_connector('quiet', config)\n"
        "    worker.wait_for_state('quiet', tasks=1)\n"
        "    time.sleep(0.3)\n"
        f"    print(json.dumps([m for m in {LAZY!r} if m in sys.modules]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []


def test_the_allocator_setting_lasts_only_for_the_import_and_a_users_value_wins() -> None:
    # ferroconnect._allocator: mimalloc reads MIMALLOC_ARENA_EAGER_COMMIT when the extension loads.
    code = (
        "import os, ferroconnect; "
        "print(os.environ.get('MIMALLOC_ARENA_EAGER_COMMIT'), os.environ.get('MIMALLOC_VERBOSE'))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["None", "None"]
    # With MIMALLOC_VERBOSE, mimalloc prints each option's value as it starts.
    env = {"MIMALLOC_VERBOSE": "1", "PATH": ""}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert "option 'arena_eager_commit': 0" in run.stderr, run.stderr[-2000:]
    env["MIMALLOC_ARENA_EAGER_COMMIT"] = "1"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert "option 'arena_eager_commit': 1" in run.stderr, run.stderr[-2000:]
