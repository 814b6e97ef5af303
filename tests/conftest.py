"""Shared pytest configuration for ferroconnect's tests.

``tests/`` is put on ``sys.path`` so test modules import helpers such as ``kafka_settings``
without a ``tests/__init__.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# --- Apache Kafka (scripts/kafka_broker.py) and the conformance table: tests/fixtures_broker.py
# Fixtures: kafka and bootstrap_servers (session), broker (session, parametrized), unique_topic (function).
pytest_plugins = ["fixtures_broker"]
# --- end real test broker

# --- embedded broker and shared helpers
import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

import ferroconnect as fc  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def embedded_kafka() -> Iterator[fc.EmbeddedKafka]:
    """librdkafka's mock cluster in a child process, for the whole session."""
    with fc.EmbeddedKafka() as kafka:
        yield kafka


@pytest.fixture
def topic_name() -> str:
    """A fresh topic name."""
    return f"t-{uuid.uuid4().hex[:10]}"


# --- end embedded broker

# --- measured figures, printed at the end of the run

_FIGURES: list[str] = []


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Return a function that records one line of figures for the ``measured`` section printed at
    the end of the run (pytest hides a passing test's prints)."""

    def add(line: str) -> None:
        _FIGURES.append(f"{request.node.name}: {line}")
        print(line)

    return add


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the figures that tests recorded with :func:`report`."""
    if _FIGURES:
        terminalreporter.section("measured")
        for line in _FIGURES:
            terminalreporter.write_line(line)
