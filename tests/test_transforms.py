"""Single message transforms and predicates in the runtime, on Apache Kafka, with Kafka's built-in
classes: source records are transformed before their converters, sink records after theirs;
a dropped record is not produced (source) or not delivered (sink); predicates and ``negate``
select the records a stage applies to; a failing stage goes through ``errors.tolerance`` as stage
``TRANSFORMATION`` (a sink's dead letter queue gets the original bytes). Also what validation and
the plugin endpoints show for transforms, as Kafka 4.4 does."""

from __future__ import annotations

import json
from typing import Any

import ferroconnect as fc
import pytest
from ferroconnect.testing import produce
from rest_helpers import rest_worker
from sink_helpers import SINK_WORKER_SETTINGS, RecordingSink, probe, wait_for
from source_helpers import CommitRecordingSource, ScriptedSource, create_topic, read_values, wait_until

T = "org.apache.kafka.connect.transforms."
P = "org.apache.kafka.connect.transforms.predicates."
JSON = {
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}
DLQ_HEADERS = "__connect.errors."


def _trace(worker: fc.Worker, name: str) -> str:
    wait_until(lambda: worker.status(name).task_states == ["FAILED"], what="task FAILED")
    return str(worker.status(name)["tasks"][0]["trace"])


# --- source tasks


def test_source_records_are_filtered_and_routed_before_conversion(
    bootstrap_servers: str, topic_name: str
) -> None:
    CommitRecordingSource.calls.clear()
    # Offsets n=0..4; the tombstones (n=1 and the last, n=4) are dropped.
    CommitRecordingSource.batches[topic_name] = [["a", None, "b"], ["c", None]]
    routed = f"{topic_name}-routed"
    config = {
        "connector.class": CommitRecordingSource,
        "topic": topic_name,
        "script": topic_name,
        "transforms": "dropTombstones, route",
        "transforms.dropTombstones.type": f"{T}Filter",
        "transforms.dropTombstones.predicate": "isTombstone",
        "transforms.route.type": f"{T}RegexRouter",
        "transforms.route.regex": "(.*)",
        "transforms.route.replacement": "$1-routed",
        "predicates": "isTombstone",
        "predicates.isTombstone.type": f"{P}RecordIsTombstone",
    }
    with fc.Worker(bootstrap_servers, offset_flush_interval_ms=100) as worker:
        worker.create_connector("filtered", config)
        assert read_values(bootstrap_servers, routed, 3, idle=2) == ["a", "b", "c"]
        # Kafka 4.4 (WorkerSourceTask.recordDropped): a dropped record's offset is not tracked, so
        # the last one (n=4) is committed only when a later record of its partition is acked.
        wanted = [{"partition": {"p": 0}, "offset": {"n": 3}}]
        wait_until(lambda: worker.offsets("filtered") == wanted, what=f"offsets {wanted}")
        wait_until(lambda: len(CommitRecordingSource.calls) == 5, what="commit_record for every record")
        assert worker.status("filtered").task_states == ["RUNNING"]
        assert worker.offsets("filtered") == wanted
    # commit_record gets the record as polled; a dropped one without metadata, as in Kafka.
    dropped = [value for value, metadata in CommitRecordingSource.calls if metadata is None]
    assert dropped == [None, None]
    produced = [metadata for value, metadata in CommitRecordingSource.calls if value is not None]
    assert all(m is not None and m.topic == routed for m in produced), produced


def test_a_predicate_and_negate_choose_the_records_a_source_stage_applies_to(
    bootstrap_servers: str, topic_name: str
) -> None:
    ScriptedSource.batches[topic_name] = [[{"n": 1}, {"n": 2}]]
    config = {
        "connector.class": ScriptedSource,
        "topic": topic_name,
        "script": topic_name,
        **JSON,
        "transforms": "mark,never",
        # Applies where the topic does NOT match other.*: every record here.
        "transforms.mark.type": f"{T}InsertField$Value",
        "transforms.mark.static.field": "marked",
        "transforms.mark.static.value": "yes",
        "transforms.mark.predicate": "isOther",
        "transforms.mark.negate": "true",
        # Applies where the topic matches other.*: no record here.
        "transforms.never.type": f"{T}InsertField$Value",
        "transforms.never.static.field": "never",
        "transforms.never.static.value": "seen",
        "transforms.never.predicate": "isOther",
        "predicates": "isOther",
        "predicates.isOther.type": f"{P}TopicNameMatches",
        "predicates.isOther.pattern": "other.*",
    }
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("marked", config)
        values = [json.loads(v) for v in read_values(bootstrap_servers, topic_name, 2)]
    assert values == [{"n": 1, "marked": "yes"}, {"n": 2, "marked": "yes"}]


def _failing_source_config(topic: str, **extra: str) -> dict[str, Any]:
    return {
        "connector.class": ScriptedSource,
        "topic": topic,
        "script": topic,
        **JSON,
        "transforms": "extract",
        "transforms.extract.type": f"{T}ExtractField$Value",
        "transforms.extract.field": "x",
        **extra,
    }


def test_a_failing_source_transform_fails_the_task_with_tolerance_none(
    bootstrap_servers: str, topic_name: str
) -> None:
    ScriptedSource.batches[topic_name] = [[{"x": 1}, "not a map"]]
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("fails", _failing_source_config(topic_name))
        trace = _trace(worker, "fails")
    assert "Tolerance exceeded in error handler" in trace, trace
    assert f"stage TRANSFORMATION with class '{T}ExtractField$Value'" in trace, trace
    assert "record 1 of the batch" in trace, trace


def test_a_failing_source_transform_skips_the_record_with_tolerance_all(
    bootstrap_servers: str, topic_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    ScriptedSource.batches[topic_name] = [[{"x": 1}, "not a map", {"x": 3}]]
    config = _failing_source_config(topic_name, **{"errors.tolerance": "all", "errors.log.enable": "true"})
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("skips", config)
        assert read_values(bootstrap_servers, topic_name, 3, idle=2) == ["1", "3"]
        assert worker.status("skips").task_states == ["RUNNING"]
    logged = [r.getMessage() for r in caplog.records if "Error encountered in task skips-0" in r.getMessage()]
    assert logged and f"Executing stage 'TRANSFORMATION' with class '{T}ExtractField$Value'" in logged[0]


# --- sink tasks


def _sink_config(topic: str, **extra: str) -> dict[str, Any]:
    return {"connector.class": RecordingSink, "topics": topic, "probe": topic, **extra}


def _committed(bootstrap: str, group: str, topic: str) -> int | None:
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    request = [ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0)])]
    result = admin.list_consumer_group_offsets(request)[group].result(30)
    offset = result.topic_partitions[0].offset
    return offset if offset >= 0 else None


def test_sink_records_a_negated_predicate_filters_are_not_delivered_and_their_offsets_advance(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    keep = [("keep", b"")]
    records = [(None, b"keep-1", keep), (None, b"drop-2", []), (None, b"keep-3", keep), (None, b"drop-4", [])]
    produce(bootstrap_servers, topic_name, records)
    seen = probe(topic_name)
    config = _sink_config(
        topic_name,
        transforms="onlyKept",
        **{
            "transforms.onlyKept.type": f"{T}Filter",
            "transforms.onlyKept.predicate": "hasKeep",
            "transforms.onlyKept.negate": "true",
            "predicates": "hasKeep",
            "predicates.hasKeep.type": f"{P}HasHeaderKey",
            "predicates.hasKeep.name": "keep",
        },
    )
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("kept", config)
        wait_for(lambda: len(seen.records) >= 2, what="the kept records")
        # The last record was dropped: its offset is committed all the same.
        wait_for(lambda: _committed(bootstrap_servers, "connect-kept", topic_name) == 4, what="offset 4")
    assert seen.values() == ["keep-1", "keep-3"]


def test_sink_records_see_the_transformed_topic(bootstrap_servers: str, topic_name: str) -> None:
    create_topic(bootstrap_servers, topic_name)
    produce(bootstrap_servers, topic_name, [(None, b"v")])
    seen = probe(topic_name)
    config = _sink_config(
        topic_name,
        transforms="route",
        **{
            "transforms.route.type": f"{T}RegexRouter",
            "transforms.route.regex": "t-(.*)",
            "transforms.route.replacement": "routed-$1",
        },
    )
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("routed", config)
        wait_for(lambda: len(seen.records) >= 1, what="the record")
    (_, topic, partition, offset, value) = seen.records[0]
    assert (topic, partition, offset, value) == (topic_name.replace("t-", "routed-", 1), 0, 0, "v")


def test_a_failing_sink_transform_fails_the_task_with_tolerance_none(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    produce(bootstrap_servers, topic_name, [(None, b'{"x": 1}'), (None, b'"a string"')])
    config = _sink_config(
        topic_name,
        **JSON,
        transforms="extract",
        **{"transforms.extract.type": f"{T}ExtractField$Value", "transforms.extract.field": "x"},
    )
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("sink-fails", config)
        trace = _trace(worker, "sink-fails")
    assert "Tolerance exceeded in error handler" in trace, trace
    assert f"{T}ExtractField$Value failed in stage TRANSFORMATION" in trace, trace
    assert f"topic {topic_name}, partition 0, offset 1" in trace, trace


def test_a_failing_sink_transform_sends_the_original_record_to_the_dead_letter_queue(
    bootstrap_servers: str, topic_name: str
) -> None:
    from ferroconnect import _core

    create_topic(bootstrap_servers, topic_name)
    values = [b'{"x": 1}', b'"a string"', b'{"x": 3}']
    produce(bootstrap_servers, topic_name, [(None, v, [("origin", b"test")]) for v in values])
    seen = probe(topic_name)
    dlq = f"{topic_name}-dlq"
    config = _sink_config(
        topic_name,
        **JSON,
        transforms="extract",
        **{
            "transforms.extract.type": f"{T}ExtractField$Value",
            "transforms.extract.field": "x",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        },
    )
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("sink-dlq", config)
        wait_for(lambda: len(seen.records) >= 2, what="the good records")
        wait_for(lambda: _committed(bootstrap_servers, "connect-sink-dlq", topic_name) == 3, what="offset 3")
        assert worker.status("sink-dlq").task_states == ["RUNNING"]
    assert seen.values() == [1, 3]
    (dead,) = _core.read_topic(bootstrap_servers, dlq, 1, 3.0, 60.0, {})
    headers = {k: v for k, v in dead[5] if v is not None}
    assert dead[4] == b'"a string"', "the original bytes"
    assert headers["origin"] == b"test"
    assert headers[f"{DLQ_HEADERS}stage"] == b"TRANSFORMATION"
    assert headers[f"{DLQ_HEADERS}class.name"] == f"{T}ExtractField$Value".encode()
    assert headers[f"{DLQ_HEADERS}offset"] == b"1"


# --- config errors, validation and plugins


def test_a_predicate_alias_without_a_definition_fails_the_task_naming_the_key(
    bootstrap_servers: str, topic_name: str
) -> None:
    ScriptedSource.batches[topic_name] = [["a"]]
    config = {
        "connector.class": ScriptedSource,
        "topic": topic_name,
        "script": topic_name,
        "transforms": "drop",
        "transforms.drop.type": f"{T}Filter",
        "transforms.drop.predicate": "undefined",
    }
    with fc.Worker(bootstrap_servers) as worker:
        # As Kafka: validation passes, the task fails at start.
        worker.create_connector("undefined-predicate", config)
        trace = _trace(worker, "undefined-predicate")
    assert "predicates.undefined.type" in trace, trace


def _configs(infos: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {(c["definition"] or c["value"])["name"]: c for c in infos["configs"]}


def test_validation_shows_a_group_per_alias_with_errors_on_full_keys(
    embedded_kafka: fc.EmbeddedKafka,
) -> None:
    config = {
        "connector.class": "FileStreamSink",
        "name": "v",
        "topics": "t",
        "transforms": "route,bad,route",
        "transforms.route.type": f"{T}RegexRouter",
        "transforms.route.regex": "(.*)",
        "transforms.bad.type": "com.example.Nope",
        "predicates": "isT",
        "predicates.isT.type": f"{P}TopicNameMatches",
        "predicates.isT.pattern": "t.*",
    }
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        infos = worker.validate(config)
        with pytest.raises(fc.ConfigError, match=r"Class com\.example\.Nope could not be found"):
            worker.create_connector("v", config)
    assert infos["groups"][:4] == ["Common", "Transforms", "Predicates", "Error Handling"]
    assert infos["groups"][4:] == ["Transforms: route", "Transforms: bad", "Predicates: isT"]
    configs = _configs(infos)
    route = [name for name in configs if name.startswith("transforms.route.")]
    assert route == [f"transforms.route.{k}" for k in ["type", "regex", "replacement", "negate", "predicate"]]
    type_key = configs["transforms.route.type"]
    assert type_key["definition"]["display_name"] == "Transformation type for route"
    assert type_key["definition"]["group"] == "Transforms: route"
    assert f"{T}RegexRouter" in type_key["value"]["recommended_values"]
    missing = 'Missing required configuration "transforms.route.replacement" which has no default value.'
    assert configs["transforms.route.replacement"]["value"]["errors"] == [missing]
    bad = configs["transforms.bad.type"]["value"]
    not_found = (
        "Invalid value com.example.Nope for configuration transforms.bad.type: "
        "Class com.example.Nope could not be found."
    )
    assert (bad["value"], bad["errors"]) == (None, [not_found])
    duplicate = "Invalid value [route, bad, route] for configuration transforms: Duplicate alias provided."
    assert configs["transforms"]["value"]["errors"] == [duplicate]
    predicate = [n for n in configs if n.startswith("predicates.isT.")]
    assert predicate == ["predicates.isT.type", "predicates.isT.pattern"]
    assert infos["error_count"] == 3


def test_transforms_and_predicates_are_plugins_with_their_config(embedded_kafka: fc.EmbeddedKafka) -> None:
    with rest_worker(embedded_kafka.bootstrap_servers) as (_, http):
        plugins = http.get("/connector-plugins", params={"connectorsOnly": "false"}).json()
        version = fc.__version__
        assert {"class": f"{T}RegexRouter", "type": "transformation", "version": version} in plugins
        assert {"class": f"{P}TopicNameMatches", "type": "predicate", "version": version} in plugins
        types = [p["type"] for p in plugins]
        # Kafka's order: connectors, transformations, predicates, converters, header converters.
        assert types.index("transformation") < types.index("predicate") < types.index("converter")
        assert not any(p["type"] == "transformation" for p in http.get("/connector-plugins").json())
        keys = http.get(f"/connector-plugins/{T}RegexRouter/config").json()
        assert [k["name"] for k in keys] == ["regex", "replacement"]
        assert http.get("/connector-plugins/RegexRouter/config").json() == keys
        pattern = http.get("/connector-plugins/TopicNameMatches/config").json()
        assert [k["name"] for k in pattern] == ["pattern"]
        assert http.get("/connector-plugins/Filter/config").json() == []
        assert http.get("/connector-plugins/InsertField$Value/config").status_code == 404


# --- the whole path: a source chain with a predicate, and a sink with a Python transform


class TagOrFail(fc.Transformation[fc.ConnectRecord]):
    """Marks each value ``seen``; fails on the value whose ``id`` is 3 (it goes to the DLQ)."""

    def apply(self, record: fc.ConnectRecord) -> fc.ConnectRecord | None:
        if record.value["id"] == 3:
            raise ValueError("id 3 is refused")
        return record.new_record(value={**record.value, "seen": True})


def test_a_source_chain_with_a_predicate_feeds_a_sink_with_a_python_transform_and_a_dlq(
    bootstrap_servers: str, topic_name: str
) -> None:
    """The issue's end-to-end case: a source runs InsertField, MaskField and RegexRouter, plus a
    Filter gated by RecordIsTombstone; a sink reads the routed topic through a Python transform
    that refuses one record, which goes to the dead letter queue with stage TRANSFORMATION."""
    from ferroconnect import _core

    raw, clean, dlq = f"{topic_name}-raw", f"{topic_name}-clean", f"{topic_name}-dlq"
    for topic in (raw, clean):
        create_topic(bootstrap_servers, topic)
    ScriptedSource.batches[topic_name] = [
        [{"id": 0, "secret": "pw0"}, None, {"id": 1, "secret": "pw1"}],
        [{"id": 2, "secret": "pw2"}, {"id": 3, "secret": "pw3"}, None, {"id": 4, "secret": "pw4"}],
    ]
    source = {
        "connector.class": ScriptedSource,
        "topic": raw,
        "script": topic_name,
        **JSON,
        "transforms": "dropTombstones,origin,mask,route",
        "transforms.dropTombstones.type": f"{T}Filter",
        "transforms.dropTombstones.predicate": "isTombstone",
        "transforms.origin.type": f"{T}InsertField$Value",
        "transforms.origin.static.field": "origin",
        "transforms.origin.static.value": "ferroconnect",
        "transforms.mask.type": f"{T}MaskField$Value",
        "transforms.mask.fields": "secret",
        "transforms.route.type": f"{T}RegexRouter",
        "transforms.route.regex": "(.*)-raw",
        "transforms.route.replacement": "$1-clean",
        "predicates": "isTombstone",
        "predicates.isTombstone.type": f"{P}RecordIsTombstone",
    }
    seen = probe(clean)
    sink = _sink_config(
        clean,
        **JSON,
        transforms="tag",
        **{
            "transforms.tag.type": TagOrFail,
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        },
    )
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("chain-source", source)
        worker.create_connector("chain-sink", sink)
        wait_for(lambda: len(seen.records) >= 4, what="the sink's records")
        wait_for(lambda: _committed(bootstrap_servers, "connect-chain-sink", clean) == 5, what="offset 5")
        assert worker.status("chain-source").task_states == ["RUNNING"]
        assert worker.status("chain-sink").task_states == ["RUNNING"]
    expected = [{"id": i, "secret": "", "origin": "ferroconnect"} for i in range(5)]
    # The source chain: tombstones dropped, fields inserted and masked, the topic renamed.
    assert [json.loads(v) for v in read_values(bootstrap_servers, clean, 5, idle=2)] == expected
    assert read_values(bootstrap_servers, raw, 1, timeout=3, idle=1) == []
    # The sink chain: every record but the refused one, marked by the Python transform.
    assert seen.values() == [{**v, "seen": True} for v in expected if v["id"] != 3]
    (dead,) = _core.read_topic(bootstrap_servers, dlq, 1, 3.0, 60.0, {})
    headers = {k: v for k, v in dead[5] if v is not None}
    assert json.loads(dead[4]) == expected[3], "the original bytes"
    assert headers[f"{DLQ_HEADERS}stage"] == b"TRANSFORMATION"
    assert b"TagOrFail" in headers[f"{DLQ_HEADERS}class.name"]
    assert b"id 3 is refused" in headers[f"{DLQ_HEADERS}exception.message"]
