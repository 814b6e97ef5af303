"""What ``import ferroconnect`` costs a process: heavy standard modules stay unimported until used."""

from __future__ import annotations

import json
import subprocess
import sys


def test_importing_the_package_leaves_asyncio_ssl_and_importlib_metadata_out() -> None:
    # About 12 MiB of resident memory together; only async tasks and entry-point lookups need them.
    code = (
        "import json, sys, ferroconnect; "
        "print(json.dumps([m for m in ('asyncio', 'ssl', 'importlib.metadata') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


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
