"""The connector test kit: run tasks, transforms and predicates as the runtime does, without a
worker or a broker, and check a connector against the rules of Kafka Connect's connector guide.

- :class:`SourceTaskHarness`: start a source task, poll, acknowledge, commit, restart on the
  committed offsets.
- :class:`SinkTaskHarness` and :func:`sink_record`: feed records, assign and revoke partitions,
  flush and commit, read errant-record reports.
- :func:`check_connector`: the contract rules (:data:`RULES`), as a list of :class:`Violation`.
- :func:`apply_transform`, :func:`match_predicate`: one transform or predicate on records.
- :func:`produce`: records to a real or embedded broker with ferroconnect's producer.

The pytest plugin ``ferroconnect.pytest_plugin`` (installed with the package) adds an
``embedded_kafka`` fixture. See ``docs/testing.md``.
"""

from ferroconnect.testing.contract import RULES, Violation, check_connector
from ferroconnect.testing.produce import Record, produce
from ferroconnect.testing.sink import ErrantReport, SinkContextLog, SinkTaskHarness, sink_record
from ferroconnect.testing.source import SourceTaskHarness
from ferroconnect.testing.transforms import apply_transform, match_predicate

__all__ = [
    "RULES",
    "ErrantReport",
    "Record",
    "SinkContextLog",
    "SinkTaskHarness",
    "SourceTaskHarness",
    "Violation",
    "apply_transform",
    "check_connector",
    "match_predicate",
    "produce",
    "sink_record",
]
