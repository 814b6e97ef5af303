"""``check_connector``: the rules every connector must follow to run under Kafka Connect's model,
checked by running the connector and its tasks without a worker.

Each rule has a name (:data:`RULES`); a broken rule gives a :class:`Violation` whose message says
what happened and what to change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ferroconnect.config import ConfigDef
from ferroconnect.connector import Connector, SinkConnector, SinkTask, SourceConnector, SourceTask
from ferroconnect.testing.sink import SinkTaskHarness
from ferroconnect.testing.source import SourceTaskHarness

RULES: dict[str, str] = {
    "connector-class": "the class is a SourceConnector or SinkConnector subclass made without arguments",
    "version": "version() of the connector and of its tasks returns a non-empty str",
    "config-def": "config() returns a ferroconnect.ConfigDef",
    "valid-config": "validate(config) reports no error for the config under test",
    "required-keys": "a key the connector cannot start without is reported missing by validate()",
    "connector-start": "start(config) succeeds on a config validate() accepts",
    "task-class": "task_class() returns a SourceTask (source) or SinkTask (sink) subclass",
    "task-configs": "task_configs(max_tasks) returns at most max_tasks dicts of str to str",
    "task-start": "a task starts on each config task_configs() returned",
    "poll-batch": "poll() returns None, a list of SourceRecord or a SourceBatch the runtime can convert",
    "offset-format": "source partitions and offsets are maps of str keys to primitive values",
    "resume": "a task restarted on the committed offsets does not emit committed records again",
    "stop-unblocks-poll": "stop(), called from another thread, makes a running poll() return in time",
    "sink-lifecycle": "open, put (an empty batch too), pre_commit, close and stop succeed",
    "stop": "stop() of the connector and of its tasks succeeds",
}
"""Rule name -> what it requires."""

# Keys the framework reads (Kafka's ConnectorConfig, SinkConnectorConfig, SourceConnectorConfig):
# never the connector's own, so not checked by "required-keys".
_FRAMEWORK_KEYS = {
    "name",
    "connector.class",
    "tasks.max",
    "tasks.max.enforce",
    "key.converter",
    "value.converter",
    "header.converter",
    "transforms",
    "predicates",
    "config.action.reload",
    "topics",
    "topics.regex",
    "exactly.once.support",
    "transaction.boundary",
    "transaction.boundary.interval.ms",
    "offsets.storage.topic",
}
_FRAMEWORK_PREFIXES = (
    "transforms.",
    "predicates.",
    "errors.",
    "producer.override.",
    "consumer.override.",
    "admin.override.",
    "key.converter.",
    "value.converter.",
    "header.converter.",
    "topic.creation.",
)
_PRIMITIVES = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Violation:
    """A broken rule: its name (a key of :data:`RULES`) and what to change."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


def check_connector(
    connector: type[Connector],
    config: Mapping[str, str],
    *,
    max_tasks: tuple[int, ...] = (1, 2, 3),
    polls: int = 5,
    stop_timeout: float = 5.0,
) -> list[Violation]:
    """Runs the connector and its tasks through the rules of :data:`RULES`.

    Source tasks are started (on the first task config), polled, acknowledged, committed and
    restarted on their committed offsets; sink tasks are given a partition and an empty batch.
    Nothing reaches Kafka.

    Args:
        connector: The connector class.
        config: A config the connector should accept (string values).
        max_tasks: The ``max_tasks`` values ``task_configs`` is called with.
        polls: At most this many ``poll()`` calls, before and after the restart, stopping at the
            first that gives records.
        stop_timeout: Seconds a ``poll()`` may run on after ``stop()`` (Kafka's
            ``task.shutdown.graceful.timeout.ms`` is 5 s).

    Returns:
        The violations found (empty: every rule holds). Checks that need a step that failed are
        skipped, so fix the first violations first.

    Example:
        >>> from ferroconnect.testing import check_connector   # doctest: +SKIP
        >>> assert check_connector(MySource, {"topic": "t"}) == []
    """
    return _Checker(connector, {str(k): str(v) for k, v in config.items()}, stop_timeout).run(
        max_tasks, polls
    )


class _Checker:
    def __init__(self, connector: type[Connector], config: dict[str, str], stop_timeout: float) -> None:
        self.cls = connector
        self.config = config
        self.stop_timeout = stop_timeout
        self.found: list[Violation] = []

    def fail(self, rule: str, message: str) -> None:
        self.found.append(Violation(rule, message))

    def run(self, max_tasks: tuple[int, ...], polls: int) -> list[Violation]:
        if not (isinstance(self.cls, type) and issubclass(self.cls, SourceConnector | SinkConnector)):
            self.fail(
                "connector-class", f"{self.cls!r} is not a subclass of fc.SourceConnector or fc.SinkConnector"
            )
            return self.found
        try:
            connector = self.cls()
        except Exception as exc:
            self.fail(
                "connector-class",
                f"{self.cls.__name__}() raised {_text(exc)}: the runtime makes connectors "
                "without arguments; take settings in start(config)",
            )
            return self.found
        self.check_version(connector, f"{self.cls.__name__}.version()")
        self.check_config(connector)
        try:
            connector.start(dict(self.config))
        except Exception as exc:
            self.fail("connector-start", f"start(config) raised {_text(exc)}")
            return self.found
        task_class = self.check_task_class(connector)
        configs = self.check_task_configs(connector, max_tasks)
        self.stop_connector(connector)
        if task_class is not None and configs:
            if issubclass(task_class, SourceTask):
                self.check_source_task(task_class, configs[0], polls)
            elif issubclass(task_class, SinkTask):
                self.check_sink_task(task_class, configs[0])
        return self.found

    def check_version(self, obj: Any, what: str) -> None:
        try:
            version = obj.version()
        except Exception as exc:
            self.fail("version", f"{what} raised {_text(exc)}")
            return
        if not isinstance(version, str) or not version:
            self.fail(
                "version",
                f"{what} returned {version!r}: return a non-empty str, e.g. the package's __version__",
            )

    def check_config(self, connector: Connector) -> None:
        try:
            definition = connector.config()
        except Exception as exc:
            self.fail("config-def", f"config() raised {_text(exc)}")
            return
        if not isinstance(definition, ConfigDef):
            self.fail(
                "config-def", f"config() returned {type(definition).__name__}, not a ferroconnect.ConfigDef"
            )
            return
        errors = _errors(connector, self.config)
        if errors is None:
            self.fail(
                "valid-config", "validate(config) raised or did not return a dict of key -> error messages"
            )
            return
        for key, messages in errors.items():
            self.fail(
                "valid-config",
                f"validate(config) reports {key!r}: {'; '.join(messages)} (the runtime would "
                "refuse this config; fix the config under test or the definition)",
            )
        for key in sorted(self.config):
            if key in _FRAMEWORK_KEYS or key.startswith(_FRAMEWORK_PREFIXES):
                continue
            self.check_required(key)

    def check_required(self, key: str) -> None:
        """Without ``key``: if validate() names no error for it, the connector and a task must start."""
        without = {k: v for k, v in self.config.items() if k != key}
        errors = _errors(self.cls(), without)
        if errors is None or errors.get(key):
            return
        problem = _start_problem(self.cls, without)
        if problem is not None:
            self.fail(
                "required-keys",
                f"without {key!r}, validate() reports no error but {problem}: define {key!r} "
                "in config_def without a default (so it is required), or give it a default, so that a config "
                "missing it is refused by validation with the key named",
            )

    def check_task_class(self, connector: Connector) -> type | None:
        expected = SourceTask if isinstance(connector, SourceConnector) else SinkTask
        try:
            task_class = connector.task_class()
        except Exception as exc:
            self.fail("task-class", f"task_class() raised {_text(exc)}")
            return None
        if not (isinstance(task_class, type) and issubclass(task_class, expected)):
            self.fail(
                "task-class",
                f"task_class() returned {task_class!r}: return a subclass of fc.{expected.__name__}",
            )
            return None
        return task_class

    def check_task_configs(self, connector: Connector, max_tasks: tuple[int, ...]) -> list[dict[str, str]]:
        first: list[dict[str, str]] = []
        for n in max_tasks:
            try:
                configs = connector.task_configs(n)
            except Exception as exc:
                self.fail("task-configs", f"task_configs({n}) raised {_text(exc)}")
                continue
            if not isinstance(configs, list):
                self.fail(
                    "task-configs",
                    f"task_configs({n}) returned {type(configs).__name__}: return a list of dicts",
                )
                continue
            if len(configs) > n:
                self.fail(
                    "task-configs",
                    f"task_configs({n}) returned {len(configs)} configs: return at most max_tasks "
                    "(Kafka Connect fails a connector that returns more); split the work with "
                    "fc.ConnectorUtils.group_partitions(items, max_tasks)",
                )
            good = True
            for index, task_config in enumerate(configs):
                good = self.check_string_map(f"task_configs({n})[{index}]", task_config) and good
            if good and not first:
                first = configs
            elif not first and configs and all(isinstance(c, dict) for c in configs):
                # Go on with the values as strings, to check the tasks too.
                first = [{str(k): str(v) for k, v in c.items()} for c in configs]
        return first

    def check_string_map(self, what: str, value: Any) -> bool:
        if not isinstance(value, dict):
            self.fail(
                "task-configs",
                f"{what} is a {type(value).__name__}: each task config is a dict of str to str",
            )
            return False
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                self.fail(
                    "task-configs",
                    f"{what}[{k!r}] is {type(v).__name__} {v!r}: task configs are maps of "
                    "str to str, as Kafka stores them (write str(value) and parse it in the task's start)",
                )
                return False
        return True

    def stop_connector(self, connector: Connector) -> None:
        try:
            connector.stop()
        except Exception as exc:
            self.fail("stop", f"{self.cls.__name__}.stop() raised {_text(exc)}")

    def check_source_task(self, task_class: type[SourceTask], config: dict[str, str], polls: int) -> None:
        harness = SourceTaskHarness(task_class, config)
        try:
            harness.start()
        except Exception as exc:
            self.fail("task-start", f"{task_class.__name__}.start(task_configs(1)[0]) raised {_text(exc)}")
            self.stop_task(harness)
            return
        self.check_version(harness.task, f"{task_class.__name__}.version()")
        records = self.poll_some(harness, polls)
        if records is None:
            self.stop_task(harness)
            return
        # Records without a partition or offset are not tracked (Kafka commits nothing for them).
        committed_before = {
            (_json(r.source_partition), _json(r.source_offset))
            for r in records
            if r.source_partition is not None and r.source_offset is not None
        }
        harness.ack()
        try:
            harness.commit()
        except Exception as exc:
            self.fail("offset-format", f"committing offsets failed: {_text(exc)}")
            self.stop_task(harness)
            return
        self.stop_task(harness)
        resumed = SourceTaskHarness(task_class, config, connector=harness.connector, offsets=harness.offsets)
        try:
            resumed.start()
        except Exception as exc:
            self.fail("task-start", f"{task_class.__name__}.start() on committed offsets raised {_text(exc)}")
            self.stop_task(resumed)
            return
        again = self.poll_some(resumed, polls) or []
        repeated = [
            r for r in again if (_json(r.source_partition), _json(r.source_offset)) in committed_before
        ]
        if repeated and records:
            first = repeated[0]
            self.fail(
                "resume",
                f"after a restart the task polled again a record whose offset was committed "
                f"(partition {first.source_partition!r}, offset {first.source_offset!r}): in start(), read "
                "self.context.offset_storage_reader.offset(partition) and continue after it",
            )
        if not resumed.stop_during_poll(self.stop_timeout):
            self.fail(
                "stop-unblocks-poll",
                f"poll() was still running {self.stop_timeout} s after stop() was called from another "
                "thread: the runtime calls stop() while poll() blocks; wait on a threading.Event that "
                "stop() sets (event.wait(timeout)) instead of time.sleep or a blocking call without timeout",
            )

    def poll_some(self, harness: SourceTaskHarness, polls: int) -> list[Any] | None:
        """Records of up to ``polls`` polls (stopping at the first non-empty one); None if poll failed."""
        for _ in range(polls):
            try:
                records = harness.poll()
            except Exception as exc:
                self.fail("poll-batch", f"poll() failed: {_text(exc)}")
                return None
            for index, record in enumerate(records):
                self.check_offset_format(f"record {index}'s source partition", record.source_partition)
                self.check_offset_format(f"record {index}'s source offset", record.source_offset)
            if records:
                return records
        return []

    def check_offset_format(self, what: str, value: Any) -> None:
        """Kafka's ``OffsetUtils.validateFormat``: None, or a map of str keys to primitive values."""
        if value is None:
            return
        if not isinstance(value, dict):
            self.fail(
                "offset-format",
                f"{what} is a {type(value).__name__} ({value!r}): Kafka Connect stores only "
                "maps; use a dict such as {'position': 42}",
            )
            return
        for key, item in value.items():
            if not isinstance(key, str):
                self.fail(
                    "offset-format", f"{what} has the key {key!r} ({type(key).__name__}): keys must be str"
                )
            elif not isinstance(item, _PRIMITIVES):
                self.fail(
                    "offset-format",
                    f"{what} holds a {type(item).__name__} under {key!r} ({item!r}): values "
                    "must be str, int, float, bool or None (Kafka Connect refuses nested values when it "
                    "flushes offsets); flatten it into several keys or a string",
                )

    def check_sink_task(self, task_class: type[SinkTask], config: dict[str, str]) -> None:
        harness = SinkTaskHarness(task_class, config)
        try:
            harness.start()
        except Exception as exc:
            self.fail("task-start", f"{task_class.__name__}.start(task_configs(1)[0]) raised {_text(exc)}")
            self.stop_task(harness)
            return
        self.check_version(harness.task, f"{task_class.__name__}.version()")
        partition = ("ferroconnect-contract", 0)
        for step, action in (
            ("open([partition])", lambda: harness.open([partition])),
            ("put([]) (the runtime calls put with empty batches)", lambda: harness.put([])),
            ("pre_commit(current_offsets)", harness.commit),
            ("close([partition])", lambda: harness.close([partition])),
        ):
            try:
                action()
            except Exception as exc:
                self.fail("sink-lifecycle", f"{step} raised {_text(exc)}")
                break
        self.stop_task(harness)

    def stop_task(self, harness: SourceTaskHarness | SinkTaskHarness) -> None:
        try:
            harness.stop()
        except Exception as exc:
            self.fail("stop", f"{type(harness.task).__name__}.stop() raised {_text(exc)}")


def _errors(connector: Connector, config: dict[str, str]) -> dict[str, list[str]] | None:
    """Keys with errors in ``validate(config)``; None if it raised or gave no dict."""
    try:
        result = connector.validate(dict(config))
    except Exception:
        return None
    if not isinstance(result, dict):
        return None
    return {str(k): [str(m) for m in v] for k, v in result.items() if v}


def _start_problem(cls: type[Connector], config: dict[str, str]) -> str | None:
    """What fails when the connector and its first task start on ``config``, or None."""
    connector = cls()
    try:
        connector.start(dict(config))
        configs = connector.task_configs(1)
        task_class = connector.task_class()
    except Exception as exc:
        return f"the connector's start() or task_configs() raised {_text(exc)}"
    finally:
        try:
            connector.stop()
        except Exception:
            pass
    if not configs:
        return None
    harness: SourceTaskHarness | SinkTaskHarness = (
        SourceTaskHarness(task_class, configs[0])
        if issubclass(task_class, SourceTask)
        else SinkTaskHarness(task_class, configs[0])
    )
    try:
        harness.start()
    except Exception as exc:
        return f"the task's start() raised {_text(exc)}"
    finally:
        try:
            harness.stop()
        except Exception:
            pass
    return None


def _text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)
