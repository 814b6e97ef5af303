"""Pytest plugin: the real test broker, the brokers under conformance test, and their table.

Loaded from ``tests/conftest.py`` (``pytest_plugins``). Fixtures:

- ``kafka`` (session): the broker every test that claims Kafka behaviour runs on, an object with
  ``bootstrap_servers``. ``FERROCONNECT_BOOTSTRAP`` if set (e.g. a user's cluster); otherwise
  Apache Kafka 4.4.0, one KRaft node started by ``scripts/kafka_broker.py`` on free loopback ports
  and stopped at the end of the session. If it cannot start, the fixture fails under ``CI=true``
  and skips elsewhere (a developer without Java or Maven can still run the other tests).
- ``bootstrap_servers`` (session): ``kafka.bootstrap_servers``, for tests that need only the address.
- ``broker`` (session, parametrized over :data:`BROKERS_UNDER_TEST`): a :class:`BrokerUnderTest`
  for tests that must hold on every broker (``tests/broker/test_conformance.py``).
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
from ferroconnect import embedded as fc_embedded

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import kafka_broker

BOOTSTRAP_ENV = "FERROCONNECT_BOOTSTRAP"
KAFKA_DIR_ENV = "FERROCONNECT_KAFKA_DIR"

BROKERS_UNDER_TEST: dict[str, str] = {
    "kafka": "kafka",
    "embedded": "embedded_kafka",
}
"""Conformance test param id -> name of the fixture giving the broker (an address string, or an
object with ``.bootstrap_servers``)."""

KNOWN_GAPS: dict[str, dict[str, str]] = {
    "apache-kafka": {},
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
        "compaction.removes_superseded": "the mock cluster has no log cleaner (and no CreateTopics)",
        "list_offsets.timestamp": "the mock cluster answers ListOffsets by timestamp with -1",
        "transactions.read_committed": "the mock cluster serves aborted records to read_committed consumers",
        "transactions.send_offsets": (
            "offsets sent in a mock-cluster transaction are not committed for the group"
        ),
        "transactions.fenced_producer": "the mock cluster does not fence an older transactional producer",
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
        name: param id (``kafka``, ``embedded``...).
        kind: key into :data:`KNOWN_GAPS` (``apache-kafka``, ``external``, ``embedded``...).
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
    client_settings: dict[str, Any] = field(default_factory=dict)
    admin_timeout_s: float = 15.0


CLIENT_SETTINGS: dict[str, dict[str, Any]] = {
    # The mock cluster holds a group's rebalance for the session timeout (less 1 s), even after a
    # LeaveGroup: at Kafka's 45 s default each group change takes 44 s. The consumer settings an
    # in-process Worker gets on the mock, without their worker prefix.
    "embedded": {
        key.removeprefix("consumer."): value for key, value in fc_embedded.EMBEDDED_WORKER_DEFAULTS.items()
    },
}
"""Broker kind -> client settings the conformance suite adds for that broker, and why."""

ADMIN_TIMEOUT_S: dict[str, float] = {"embedded": 3.0}
"""Broker kind -> how long an admin request may take (default 15 s). The mock cluster answers at
once or never (CreateTopics, DescribeConfigs, DeleteTopics), so its known gaps fail fast."""


@dataclass(frozen=True)
class ExternalKafka:
    """A cluster named by ``FERROCONNECT_BOOTSTRAP``: only its address is known."""

    bootstrap_servers: str


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _kafka_root() -> Path:
    configured = os.environ.get(KAFKA_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"ferroconnect-kafka-{os.getuid()}"


@pytest.fixture(scope="session")
def kafka() -> Iterator[kafka_broker.Broker | ExternalKafka]:
    """The real test broker: ``FERROCONNECT_BOOTSTRAP``'s cluster or a fresh Apache Kafka 4.4.0."""
    external = os.environ.get(BOOTSTRAP_ENV)
    if external:
        yield ExternalKafka(external)
        return
    root = _kafka_root()
    kafka_broker.reap_stale_tree(root)  # brokers of sessions that died without their finalizer
    try:
        broker = kafka_broker.start(root / str(os.getpid()))
    except kafka_broker.BrokerStartError as exc:
        message = f"the test broker (Apache Kafka {kafka_broker.KAFKA_VERSION}) did not start: {exc}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    _STATE["kafka"] = (
        f"Apache Kafka {kafka_broker.KAFKA_VERSION} on {broker.bootstrap_servers}, ready in "
        f"{broker.startup_s:.1f} s (format and start); log: {broker.log_path}"
    )
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def bootstrap_servers(kafka: kafka_broker.Broker | ExternalKafka) -> str:
    """The real test broker's address (``host:port``)."""
    return kafka.bootstrap_servers


@pytest.fixture(scope="session", params=list(BROKERS_UNDER_TEST))
def broker(request: pytest.FixtureRequest) -> BrokerUnderTest:
    """The broker under conformance test, one param per entry of :data:`BROKERS_UNDER_TEST`."""
    name: str = request.param
    value: Any = request.getfixturevalue(BROKERS_UNDER_TEST[name])
    if isinstance(value, ExternalKafka):
        kind = "external"
    elif isinstance(value, kafka_broker.Broker):
        kind = "apache-kafka"
    else:
        kind = name
    return BrokerUnderTest(
        name=name,
        kind=kind,
        bootstrap_servers=str(value.bootstrap_servers),
        gaps=KNOWN_GAPS.get(kind, {}),
        handle=None if isinstance(value, kafka_broker.Broker | ExternalKafka) else value,
        client_settings=CLIENT_SETTINGS.get(kind, {}),
        admin_timeout_s=ADMIN_TIMEOUT_S.get(kind, 15.0),
    )


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
    """Print how the test broker started, then the conformance table: one row per feature, one
    column per broker, reasons below."""
    if "kafka" in _STATE:
        terminalreporter.section("test broker")
        terminalreporter.write_line(_STATE["kafka"])
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
    for index, row in enumerate(rows):
        terminalreporter.write_line(
            " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if index == 0:
            terminalreporter.write_line("-+-".join("-" * width for width in widths))
    for note, number in notes.items():
        terminalreporter.write_line(f"[{number}] {note}")
