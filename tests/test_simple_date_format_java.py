"""Java's side of the golden lines of ``SimpleDateFormat``, which Kafka's transforms use.

``rust/core/tests/golden/simple_date_format.txt`` holds patterns formatted and parsed by Java (UTC,
English), the way ``TimestampConverter`` (``format``) and ``Cast`` (dates to strings) use them; the
Rust unit test in ``rust/core/src/transforms/date_format.rs`` must give every line's result. Here
the same file is checked against the JVM: ``tests/jvm/golden/SimpleDateFormatGolden.java`` must
reproduce every line, and print exactly the committed lines. Without Java the test fails under
``CI=true`` and skips elsewhere. No broker and no Kafka jar is needed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import java_connect  # noqa: E402
import kafka_broker  # noqa: E402
from neutral_form import unavailable  # noqa: E402

SOURCE = ROOT / "tests" / "jvm" / "golden" / "SimpleDateFormatGolden.java"
GOLDEN = ROOT / "rust" / "core" / "tests" / "golden" / "simple_date_format.txt"
MAIN_CLASS = "SimpleDateFormatGolden"


@pytest.fixture(scope="module")
def golden_program(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command that runs SimpleDateFormatGolden (the JDK only)."""
    try:
        java = kafka_broker.java()
        javac = java_connect.javac()
    except (java_connect.ConnectStartError, kafka_broker.BrokerStartError) as exc:
        unavailable(f"Java is not available: {exc}")
        raise
    classes = tmp_path_factory.mktemp("simple-date-format-golden")
    compiled = subprocess.run(
        [javac, "-d", str(classes), str(SOURCE)], capture_output=True, text=True, timeout=300
    )
    assert compiled.returncode == 0, f"javac failed:\n{compiled.stdout}{compiled.stderr}"
    return [java, "-cp", str(classes), MAIN_CLASS]


def _golden_lines() -> list[str]:
    """The committed lines, comments left out."""
    lines = GOLDEN.read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_java_gives_every_golden_line(golden_program: list[str]) -> None:
    result = subprocess.run(
        [*golden_program, "check", str(GOLDEN)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"checked {len(_golden_lines())} lines, 0 mismatched" in result.stdout


def test_the_golden_file_is_what_java_prints(golden_program: list[str]) -> None:
    """Regenerating the file (``... SimpleDateFormatGolden print``) changes nothing."""
    result = subprocess.run([*golden_program, "print"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == _golden_lines()
