"""Python transforms and predicates in running connectors on the real broker: a sink connector
with a Python transform (per record, and with ``apply_batch``), a source connector with a Python
predicate gating a Python transform, a transform's exception in the task's FAILED trace, and the
Python classes in validation and the plugin listing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import ferroconnect as fc
from ferroconnect.testing import produce
from process_helpers import stop_gracefully
from sink_helpers import SINK_WORKER_SETTINGS, RecordingSink, probe, wait_for
from source_helpers import CountingSource, create_topic, read_values


class Shout(fc.Transformation):
    """Appends ``suffix`` to string values (per record)."""

    config_def = fc.ConfigDef().define("suffix", fc.Type.STRING, "!", fc.Importance.HIGH, "Appended.")

    def configure(self, config: dict[str, str]) -> None:
        self.suffix = self.config().parse(config)["suffix"]

    def apply(self, record: Any) -> Any:
        return record.new_record(value=f"{record.value}{self.suffix}")


class DropOddBatched(fc.Transformation[fc.SinkRecord]):
    """Drops odd offsets and tags the rest with the size of the batch they came in."""

    batches: ClassVar[list[int]] = []

    def apply_batch(self, records: list[fc.SinkRecord]) -> list[fc.SinkRecord | BaseException | None]:
        DropOddBatched.batches.append(len(records))
        return [
            None if r.kafka_offset % 2 else r.new_record(value=f"{r.value}|batch") for r in records
        ]  # fmt: skip


class EvenCount(fc.Predicate[fc.SourceRecord]):
    """Matches values ``task:n`` with an even ``n``."""

    def test(self, record: fc.SourceRecord) -> bool:
        return int(str(record.value).split(":")[1]) % 2 == 0


class FlakyOnce(fc.Transformation):
    """Raises RetriableError the first time it sees each value."""

    seen: ClassVar[set[str]] = set()

    def apply(self, record: Any) -> Any:
        if record.value not in FlakyOnce.seen:
            FlakyOnce.seen.add(record.value)
            raise fc.RetriableError(f"{record.value} is not ready")
        return record.new_record(value=f"{record.value}+retried")


class Explodes(fc.Transformation):
    def apply(self, record: Any) -> Any:
        return self.parse(record.value)

    def parse(self, value: Any) -> Any:
        raise ValueError(f"cannot parse {value!r}")


def test_sink_connector_with_python_transforms(bootstrap_servers: str, unique_topic: str) -> None:
    create_topic(bootstrap_servers, unique_topic)
    produce(bootstrap_servers, unique_topic, [(None, f"v{i}".encode()) for i in range(40)])
    seen = probe(unique_topic)
    DropOddBatched.batches.clear()
    config = {
        "connector.class": RecordingSink,
        "topics": unique_topic,
        "probe": unique_topic,
        "transforms": "shout,odd",
        "transforms.shout.type": Shout,
        "transforms.shout.suffix": "?",
        "transforms.odd.type": DropOddBatched,
    }
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("py-smt-sink", config)
        wait_for(lambda: len(seen.records) >= 20, what="the even records")
        status = worker.wait_for_state("py-smt-sink", tasks=1)
    assert status.state == "RUNNING"
    got = [(offset, value) for _, _, _, offset, value in seen.records]
    assert got == [(i, f"v{i}?|batch") for i in range(0, 40, 2)]
    # apply_batch: one call per batch the task got, not one per record.
    assert sum(DropOddBatched.batches) == 40 and len(DropOddBatched.batches) < 40


def test_source_connector_with_a_python_predicate_gating_a_python_transform(
    bootstrap_servers: str, unique_topic: str
) -> None:
    create_topic(bootstrap_servers, unique_topic)
    config = {
        "connector.class": CountingSource,
        "topic": unique_topic,
        "transforms": "shout",
        "transforms.shout.type": Shout,
        "transforms.shout.predicate": "even",
        "predicates": "even",
        "predicates.even.type": EvenCount,
    }
    with fc.Worker(bootstrap_servers, **{"offset.flush.interval.ms": "500"}) as worker:
        worker.create_connector("py-smt-source", config)
        values = read_values(bootstrap_servers, unique_topic, 30)
        # The source partition and offset survive the chain: offsets are committed.
        wait_for(lambda: bool(worker.offsets("py-smt-source")), what="committed source offsets")
    assert len(values) == 30
    for value in values:
        n = int(value.rstrip("!").split(":")[1])
        assert value.endswith("!") == (n % 2 == 0), value


def test_a_retriable_error_is_retried_under_errors_retry_timeout(
    bootstrap_servers: str, unique_topic: str
) -> None:
    create_topic(bootstrap_servers, unique_topic)
    produce(bootstrap_servers, unique_topic, [(None, f"r{i}".encode()) for i in range(5)])
    seen = probe(unique_topic)
    config = {
        "connector.class": RecordingSink,
        "topics": unique_topic,
        "probe": unique_topic,
        "errors.retry.timeout": "30000",
        "errors.retry.delay.max.ms": "100",
        "transforms": "flaky",
        "transforms.flaky.type": FlakyOnce,
    }
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("py-smt-retry", config)
        wait_for(lambda: len(seen.records) >= 5, what="the retried records")
    assert seen.values() == [f"r{i}+retried" for i in range(5)]


def test_a_transform_exception_fails_the_task_with_its_traceback(
    bootstrap_servers: str, unique_topic: str
) -> None:
    create_topic(bootstrap_servers, unique_topic)
    produce(bootstrap_servers, unique_topic, [(None, b"x")])
    config = {
        "connector.class": RecordingSink,
        "topics": unique_topic,
        "probe": unique_topic,
        "transforms": "boom",
        "transforms.boom.type": Explodes,
    }
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("py-smt-fails", config)
        wait_for(lambda: worker.status("py-smt-fails").task_states == ["FAILED"], what="the task to fail")
        trace = str(worker.status("py-smt-fails")["tasks"][0]["trace"])
    assert "Traceback (most recent call last)" in trace, trace
    assert "in parse" in trace and "ValueError: cannot parse 'x'" in trace, trace
    assert probe(unique_topic).records == []


def test_python_transforms_in_validation_and_the_plugin_listing(bootstrap_servers: str) -> None:
    with fc.Worker(bootstrap_servers, rest=True, listeners="http://127.0.0.1:0") as worker:
        infos = worker.validate(
            {
                "connector.class": RecordingSink,
                "name": "validated",
                "topics": "t",
                "transforms": "shout",
                "transforms.shout.type": Shout,
                "transforms.shout.suffix": "",
            }
        )
        names = {c["definition"]["name"] for c in infos["configs"]}
        assert "transforms.shout.suffix" in names, sorted(names)
        assert infos["error_count"] == 0, json.dumps(infos, indent=1)
        wrong_kind = worker.validate(
            {
                "connector.class": RecordingSink,
                "name": "validated",
                "topics": "t",
                "transforms": "even",
                "transforms.even.type": EvenCount,
            }
        )
        errors = [e for c in wrong_kind["configs"] for e in c["value"]["errors"]]
        assert any("does not implement the Transformation interface" in e for e in errors), errors
        shout = f"{Shout.__module__}.Shout"
        import urllib.request

        url = f"{worker.rest_url}/connector-plugins?connectorsOnly=false"
        with urllib.request.urlopen(url, timeout=30) as response:
            plugins = json.load(response)
        assert {"class": shout, "type": "transformation", "version": "unknown"} in plugins, plugins
        with urllib.request.urlopen(f"{worker.rest_url}/connector-plugins/{shout}/config", timeout=30) as r:
            keys = [k["name"] for k in json.load(r)]
        assert "suffix" in keys, keys


def test_standalone_cli_finds_python_transforms_by_dotted_path(
    tmp_path: Path, bootstrap_servers: str, unique_topic: str
) -> None:
    create_topic(bootstrap_servers, unique_topic)
    (tmp_path / "cli_smt.py").write_text(
        textwrap.dedent(
            """
            import ferroconnect as fc

            class Bracket(fc.Transformation):
                def apply(self, record):
                    return record.new_record(value=f"[{record.value}]")

            class EndsWithZero(fc.Predicate):
                def test(self, record):
                    return record.value.endswith("0")
            """
        )
    )
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("".join(f"line {i}\n" for i in range(30)))
    (tmp_path / "worker.properties").write_text(
        f"bootstrap.servers={bootstrap_servers}\noffset.storage.file.filename={tmp_path / 'offsets.json'}\n"
        "listeners=http://127.0.0.1:0\noffset.flush.interval.ms=500\n"
    )
    (tmp_path / "source.properties").write_text(
        f"name=file-source\nconnector.class=file_stream.FileStreamSource\nfile={source}\ntopic={unique_topic}\n"
        "transforms=bracket\ntransforms.bracket.type=cli_smt.Bracket\n"
        "transforms.bracket.predicate=zero\npredicates=zero\npredicates.zero.type=cli_smt.EndsWithZero\n"
    )
    (tmp_path / "sink.properties").write_text(
        f"name=file-sink\nconnector.class=file_stream.FileStreamSink\nfile={sink}\ntopics={unique_topic}\n"
        "transforms=bracket\ntransforms.bracket.type=cli_smt.Bracket\n"
    )
    examples = Path(__file__).resolve().parent.parent / "examples"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(examples), str(tmp_path)])}
    files = [str(tmp_path / f) for f in ("worker.properties", "source.properties", "sink.properties")]
    with (tmp_path / "worker.log").open("ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "ferroconnect.cli", "standalone", *files], env=env, stdout=log, stderr=log
        )
    try:
        lines = lambda: sink.read_text().splitlines() if sink.exists() else []  # noqa: E731
        wait_for(lambda: len(lines()) >= 30, what="the sink file to fill")
    finally:
        stop_gracefully(worker, tmp_path / "worker.log", timeout=60)
    expected = [f"[[line {i}]]" if i % 10 == 0 else f"[line {i}]" for i in range(30)]
    assert lines() == expected
