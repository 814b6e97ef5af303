"""Java's side of the golden bytes of Kafka Connect's group protocol.

``rust/core/tests/golden/connect_protocol.txt`` holds member metadata and assignments as hex; the
Rust test ``connect_protocol_golden.rs`` checks ferroconnect's codec against it. Here the same file is
checked against Java Kafka Connect 4.4.0's own classes: ``tests/jvm/golden/ConnectProtocolGolden.java``
is compiled against the jars that ``scripts/java_connect.py`` resolves and must encode every case to
the committed hex and decode the hex back to the case's values. Without Java or the jars the test
fails under ``CI=true`` and skips elsewhere. No broker is needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import java_connect  # noqa: E402
import kafka_broker  # noqa: E402
from neutral_form import unavailable  # noqa: E402

SOURCE = ROOT / "tests" / "jvm" / "golden" / "ConnectProtocolGolden.java"
GOLDEN = ROOT / "rust" / "core" / "tests" / "golden" / "connect_protocol.txt"
MAIN_CLASS = "ConnectProtocolGolden"


@pytest.fixture(scope="module")
def golden_program(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The command that runs ConnectProtocolGolden, compiled against Java Connect 4.4.0's jars."""
    try:
        libs = java_connect.install()
        java = kafka_broker.java()
        javac = java_connect.javac()
    except (java_connect.ConnectStartError, kafka_broker.BrokerStartError) as exc:
        unavailable(f"Java Kafka Connect 4.4.0 is not available: {exc}")
        raise
    classes = tmp_path_factory.mktemp("connect-protocol-golden")
    classpath = f"{libs}/*"
    compiled = subprocess.run(
        [javac, "-cp", classpath, "-d", str(classes), str(SOURCE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compiled.returncode == 0, f"javac failed:\n{compiled.stdout}{compiled.stderr}"
    return [java, "-cp", f"{classes}{os.pathsep}{classpath}", MAIN_CLASS]


def _golden_lines() -> list[str]:
    """The committed case lines (``name kind version hex``), comments left out."""
    lines = GOLDEN.read_text().splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_java_encodes_and_decodes_every_golden_case(golden_program: list[str]) -> None:
    result = subprocess.run(
        [*golden_program, "check", str(GOLDEN)], capture_output=True, text=True, timeout=300
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    passed = {line.split()[1] for line in result.stdout.splitlines() if line.startswith("ok ")}
    cases = [line.split()[0] for line in _golden_lines()]
    assert len(cases) == 11
    assert passed == set(cases), report


def test_the_golden_file_is_what_java_prints(golden_program: list[str]) -> None:
    """The committed lines are Java's own output, so regenerating the file changes nothing."""
    result = subprocess.run([*golden_program, "print"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == _golden_lines()
