"""``docs/testing.md``'s example is a pytest file: it is run here as written, in a project of its
own, and every test in it must pass."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "testing.md"


def test_the_example_of_docs_testing_md_passes(tmp_path: Path) -> None:
    example = re.search(r"## An example\n.*?```python\n(.*?)```", DOC.read_text(), re.S)
    assert example is not None, "docs/testing.md lost its example"
    (tmp_path / "test_example.py").write_text(example.group(1))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout
