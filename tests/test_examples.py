"""Every runnable example runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_quickstart_copies_the_file_into_kafka() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")], capture_output=True, text=True, timeout=120
    )
    print(result.stdout, result.stderr[-2000:])
    assert result.returncode == 0
    assert "records in Kafka: 1000" in result.stdout
