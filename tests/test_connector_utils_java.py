"""``fc.ConnectorUtils.group_partitions`` against Kafka's ``ConnectorUtils.groupPartitions`` from Java
Connect 4.4.0's connect-api jar: every (elements, groups) with 0..12 elements and -1..8 groups.
``tests/jvm/golden/GroupPartitions.java`` prints Java's groups; Python must give the same. Without
Java the test fails under ``CI=true`` and skips elsewhere.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ferroconnect as fc
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import java_connect  # noqa: E402
import kafka_broker  # noqa: E402
from neutral_form import unavailable  # noqa: E402

SOURCE = ROOT / "tests" / "jvm" / "golden" / "GroupPartitions.java"


def _python_line(n: int, g: int) -> str:
    try:
        result = str(fc.ConnectorUtils.group_partitions(list(range(n)), g))
    except ValueError:
        result = "IllegalArgumentException: Number of groups must be positive."
    return f"{n} {g} -> {result}"


def test_group_partitions_matches_java(tmp_path: Path) -> None:
    try:
        libs = java_connect.install()
        java, javac = kafka_broker.java(), java_connect.javac()
    except (java_connect.ConnectStartError, kafka_broker.BrokerStartError) as exc:
        unavailable(f"Java Connect is not available: {exc}")
        raise
    classpath = str(libs / "connect-api-4.4.0.jar")
    compiled = subprocess.run(
        [javac, "-cp", classpath, "-d", str(tmp_path), str(SOURCE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compiled.returncode == 0, compiled.stderr
    run = subprocess.run(
        [java, "-cp", f"{tmp_path}:{classpath}", "GroupPartitions"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    java_lines = run.stdout.splitlines()
    assert len(java_lines) == 13 * 10
    assert "3 2 -> [[0, 1], [2]]" in java_lines  # Java's text, as a sanity check of the format
    python_lines = [_python_line(n, g) for n in range(13) for g in range(-1, 9)]
    assert python_lines == java_lines


@pytest.mark.parametrize("groups", [0, -1])
def test_group_partitions_refuses_non_positive_group_counts(groups: int) -> None:
    with pytest.raises(ValueError, match=f"Number of groups must be positive, got num_groups={groups}"):
        fc.ConnectorUtils.group_partitions(["a"], groups)
