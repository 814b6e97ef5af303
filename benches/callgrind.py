"""Instruction counts of a benchmark step under valgrind's callgrind, shared by the ``*_instructions.py``
benchmarks: a loaded machine does not change them, where wall-clock figures on a shared 2-core
machine vary by ±50 %."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile


def instructions(script: str, name: str, n: int) -> int:
    """Instructions callgrind counts for a whole run of ``script --run name --records n``."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            [
                *("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"),
                *(sys.executable, script, "--run", name, "--records", str(n)),
            ],
            capture_output=True,
            check=True,
            env=os.environ | {"PYTHONHASHSEED": "0"},  # the same dict layouts in every run
        )
        with open(out) as f:
            summary = re.search(r"^summary:\s+(\d+)", f.read(), re.MULTILINE)
    assert summary, "callgrind wrote no summary"
    return int(summary.group(1))


def per_record(script: str, name: str, n: int) -> float:
    """One record's instructions: runs of ``n`` and ``2n`` records, the difference over ``n``
    (free of start-up)."""
    return (instructions(script, name, 2 * n) - instructions(script, name, n)) / n
