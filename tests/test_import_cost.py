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
