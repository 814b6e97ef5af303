"""Pytest plugin: the independent test broker, the brokers under conformance test, and their table.

Loaded from ``tests/conftest.py`` (``pytest_plugins``). Fixtures:

- ``bootstrap_servers`` (session): address of the independent broker. ``FERROCONNECT_BOOTSTRAP``
  if set (e.g. a real Kafka cluster); otherwise Tansu, started by ``scripts/tansu.py`` on a free
  loopback port and stopped at the end of the session. If it cannot start, the fixture fails under
  ``CI=true`` and skips elsewhere.
- ``broker`` (session, parametrized over :data:`BROKERS_UNDER_TEST`): a :class:`BrokerUnderTest`
  for tests that must hold on every broker (``tests/broker/test_conformance.py``).
- ``isolated_broker`` (function): like ``broker``, but a private Tansu instance for probes that may
  break it.
- ``unique_topic`` (function): a topic name no other test uses.
- ``conformance(feature)`` marker: the test probes ``feature`` (``{name}`` placeholders are
  filled from the test's params, e.g. ``"compression.{codec}"``); if the broker under test is known
  not to have it (:data:`KNOWN_GAPS`), the test becomes a strict xfail with the measured reason, and
  the outcome goes into the conformance table printed at the end of the run.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import tansu

BOOTSTRAP_ENV = "FERROCONNECT_BOOTSTRAP"
TANSU_DIR_ENV = "FERROCONNECT_TANSU_DIR"

BROKERS_UNDER_TEST: dict[str, str] = {
    "independent": "bootstrap_servers",
    # "embedded": "embedded_kafka",  # one line to run the conformance suite on EmbeddedKafka too
}
"""Conformance test param id -> name of the fixture giving the broker (an address string, or an
object with ``.bootstrap_servers``)."""

KNOWN_GAPS: dict[str, dict[str, str]] = {
    "tansu": {
        "list_offsets.latest": (
            "Tansu 0.6.0 answers ListOffsets 'latest' with the last batch's base offset + 1 "
            "(1 after one 10-record batch), not the log end offset"
        ),
        "list_offsets.timestamp": (
            "Tansu 0.6.0 answers ListOffsets by timestamp with offset 0 whatever the timestamp"
        ),
        "watermarks.query": (
            "Tansu 0.6.0: the queried high watermark comes from ListOffsets 'latest', which is wrong "
            "(take it from a fetch instead)"
        ),
        "delete_records": (
            "Tansu 0.6.0 memory storage does not implement DeleteRecords (panics, the connection drops)"
        ),
        "transactions.read_committed": "Tansu 0.6.0 serves aborted records to read_committed consumers",
    },
    # librdkafka 2.12.1's mock cluster (ferroconnect.EmbeddedKafka), measured with confluent-kafka 2.16.
    "embedded": {
        "admin.create_topic": (
            "the mock cluster does not answer CreateTopics (use EmbeddedKafka.create_topic)"
        ),
        "admin.create_topic.exists_error": "the mock cluster does not answer CreateTopics",
        "admin.create_topic.compact": "the mock cluster does not answer CreateTopics (and has no compaction)",
        "admin.describe_configs.cleanup_policy": (
            "the mock cluster does not answer CreateTopics/DescribeConfigs"
        ),
        "admin.delete_topic": "the mock cluster does not answer DeleteTopics",
        "list_offsets.timestamp": "the mock cluster answers ListOffsets by timestamp with -1",
        "transactions.read_committed": "the mock cluster serves aborted records to read_committed consumers",
        "transactions.send_offsets": (
            "offsets sent in a mock-cluster transaction are not committed for the group"
        ),
        "delete_records": "the mock cluster does not support DeleteRecords (UNSUPPORTED_FEATURE)",
    },
    "external": {},
}
"""Broker kind -> feature -> measured reason it is missing. A listed feature runs as a strict
xfail, so a broker that gains the feature turns the run red until the entry is removed."""


@dataclass(frozen=True)
class BrokerUnderTest:
    """A broker the conformance suite runs against.

    Attributes:
        name: param id (``independent``, ``embedded``...).
        kind: key into :data:`KNOWN_GAPS` (``tansu``, ``external``, ``embedded``...).
        bootstrap_servers: ``host:port`` for Kafka clients.
        gaps: feature -> reason for the features this broker lacks.
        handle: the fixture's value (e.g. ``EmbeddedKafka``), for broker-specific helpers such as
            its ``create_topic``; None for a plain address.
    """

    name: str
    kind: str
    bootstrap_servers: str
    gaps: dict[str, str] = field(default_factory=dict)
    handle: Any = field(default=None, compare=False, repr=False)


def _independent_kind() -> str:
    return "external" if os.environ.get(BOOTSTRAP_ENV) else "tansu"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _tansu_root() -> Path:
    configured = os.environ.get(TANSU_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"ferroconnect-tansu-{os.getuid()}"


@pytest.fixture(scope="session")
def bootstrap_servers() -> Iterator[str]:
    """Address of the independent test broker (``FERROCONNECT_BOOTSTRAP`` or a fresh Tansu)."""
    external = os.environ.get(BOOTSTRAP_ENV)
    if external:
        yield external
        return
    root = _tansu_root()
    tansu.reap_stale_tree(root)  # brokers of sessions that died without their finalizer
    try:
        broker = tansu.start(root / str(os.getpid()))
    except tansu.BrokerStartError as exc:
        message = f"the independent test broker (Tansu) did not start: {exc}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    _STATE["tansu_log"] = str(broker.log_dir / tansu.LOG_FILE)
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@pytest.fixture(scope="session", params=list(BROKERS_UNDER_TEST))
def broker(request: pytest.FixtureRequest) -> BrokerUnderTest:
    """The broker under conformance test, one param per entry of :data:`BROKERS_UNDER_TEST`."""
    name: str = request.param
    value: Any = request.getfixturevalue(BROKERS_UNDER_TEST[name])
    address = value if isinstance(value, str) else str(value.bootstrap_servers)
    kind = _independent_kind() if name == "independent" else name
    return BrokerUnderTest(
        name=name,
        kind=kind,
        bootstrap_servers=address,
        gaps=KNOWN_GAPS.get(kind, {}),
        handle=None if isinstance(value, str) else value,
    )


@pytest.fixture
def isolated_broker(broker: BrokerUnderTest) -> Iterator[BrokerUnderTest]:
    """The broker under test, except that for Tansu it is a fresh private instance.

    For probes that may break the broker (Tansu panics on DeleteRecords), so that the tests after
    them keep a healthy session broker. Other brokers are used as they are.
    """
    if broker.kind != "tansu":
        yield broker
        return
    private = tansu.start(_tansu_root() / f"{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        yield BrokerUnderTest(broker.name, broker.kind, private.bootstrap_servers, broker.gaps)
    finally:
        private.stop()


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> str:
    """A topic name of the form ``fc-<test name>-<random>`` that no other test uses (not created)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name).strip("-.")[:120]
    return f"fc-{base}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def _conformance_expectation(request: pytest.FixtureRequest) -> None:
    """Turn a ``conformance`` test into a strict xfail when its broker lacks the feature."""
    marker = request.node.get_closest_marker("conformance")
    if marker is None or "broker" not in request.fixturenames:
        return
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    feature = str(marker.args[0]).format(**params)
    under_test: BrokerUnderTest = request.getfixturevalue("broker")
    request.node.user_properties.append(("conformance", (feature, under_test.name, under_test.kind)))
    reason = under_test.gaps.get(feature)
    if reason is not None:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


# --- the conformance table -----------------------------------------------------------------------

_STATE: dict[str, str] = {}
_RESULTS: dict[tuple[str, str], str] = {}
"""(feature, broker label) -> outcome text, filled as reports arrive."""


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``conformance`` marker."""
    config.addinivalue_line(
        "markers", "conformance(feature): probes one Kafka feature of the broker under test"
    )


def _outcome(report: pytest.TestReport) -> str | None:
    xfail_reason = getattr(report, "wasxfail", None)
    if report.skipped and xfail_reason is not None:
        return f"xfail: {xfail_reason}"
    if report.skipped:
        return "skipped"
    if report.failed and "XPASS(strict)" in str(report.longrepr):
        return "FAILED: passed, but KNOWN_GAPS lists it (remove the entry)"
    if report.failed:
        return "FAILED" if report.when == "call" else f"ERROR in {report.when}"
    if report.passed and report.when == "call":
        return "pass"
    return None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Record the outcome of every ``conformance`` test; the worst phase wins."""
    for key, value in report.user_properties:
        if key != "conformance":
            continue
        feature, name, kind = cast("tuple[str, str, str]", value)
        outcome = _outcome(report)
        label = f"{name} ({kind})"
        if outcome is not None and not _RESULTS.get((feature, label), "").startswith(("FAILED", "ERROR")):
            _RESULTS[(feature, label)] = outcome


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the conformance table: one row per feature, one column per broker, reasons below."""
    if not _RESULTS:
        return
    labels = list(dict.fromkeys(label for _, label in _RESULTS))
    features = list(dict.fromkeys(feature for feature, _ in _RESULTS))
    notes: dict[str, int] = {}
    rows: list[list[str]] = [["feature", *labels]]
    for feature in features:
        row = [feature]
        for label in labels:
            outcome = _RESULTS.get((feature, label), "-")
            word, _, detail = outcome.partition(": ")
            if detail:
                number = notes.setdefault(f"{label}: {detail}", len(notes) + 1)
                word = f"{word} [{number}]"
            row.append(word)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    terminalreporter.section("broker conformance")
    if "tansu_log" in _STATE:
        terminalreporter.write_line(f"tansu log: {_STATE['tansu_log']}")
    for index, row in enumerate(rows):
        terminalreporter.write_line(
            " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if index == 0:
            terminalreporter.write_line("-+-".join("-" * width for width in widths))
    for note, number in notes.items():
        terminalreporter.write_line(f"[{number}] {note}")
