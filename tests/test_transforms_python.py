"""Python transforms and predicates without a worker: the base classes, ``new_record`` on both
record kinds, and the compiled loader (``ferroconnect.testing.apply_transform`` and
``match_predicate`` go through ``PyTransformLoader`` and the records' conversions, as a task's
chain does)."""

from __future__ import annotations

import doctest
import importlib.metadata
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any, ClassVar

import ferroconnect as fc
import ferroconnect.connector_utils
import ferroconnect.testing.transforms
import ferroconnect.transform
import pytest
from ferroconnect import _plugins
from ferroconnect.testing import apply_transform, match_predicate


def source(value: Any = "v", **fields: Any) -> fc.SourceRecord:
    return fc.SourceRecord({"file": "in"}, {"line": 1}, "topic", value=value, **fields)


def sink(value: Any = "v", offset: int = 7, **fields: Any) -> fc.SinkRecord:
    args: dict[str, Any] = {"key_schema": None, "key": None, "value_schema": None, "timestamp": 1000}
    args.update(fields)
    return fc.SinkRecord(
        "topic", 0, args["key_schema"], args["key"], args["value_schema"], value, offset,
        args["timestamp"], "CreateTime", args.get("headers"),
    )  # fmt: skip


class Upper(fc.Transformation):
    def apply(self, record: Any) -> Any:
        return record.new_record(value=record.value.upper())


class Suffix(fc.Transformation):
    config_def = fc.ConfigDef().define("suffix", fc.Type.STRING, "!", fc.Importance.HIGH, "Appended.")

    def configure(self, config: dict[str, str]) -> None:
        self.suffix = self.config().parse(config)["suffix"]

    def apply(self, record: Any) -> Any:
        return record.new_record(value=record.value + self.suffix)


class Batched(fc.Transformation):
    calls: ClassVar[list[int]] = []

    def apply_batch(self, records: list[Any]) -> list[Any]:
        Batched.calls.append(len(records))
        return [r.new_record(value=f"{r.value}/{len(records)}") for r in records]


class IsOdd(fc.Predicate):
    def test(self, record: Any) -> bool:
        return bool(record.value % 2)


def test_docstring_examples_run() -> None:
    for module in (ferroconnect.transform, ferroconnect.testing.transforms, ferroconnect.connector_utils):
        failed, attempted = doctest.testmod(module)
        assert attempted > 0 and failed == 0, module.__name__


def test_base_classes_defaults() -> None:
    t, p = fc.Transformation(), fc.Predicate()
    assert t.version() == p.version() == "unknown"
    assert t.config().names() == p.config().names() == []
    t.configure({}), p.configure({}), t.close(), p.close()
    with pytest.raises(NotImplementedError):
        t.apply(source())
    with pytest.raises(NotImplementedError):
        p.test(source())
    assert Upper().apply_batch([source("a"), source("b")])[1].value == "B"  # type: ignore[union-attr]
    assert "Transformation" in fc.__all__ and "Predicate" in fc.__all__ and "ConnectRecord" in fc.__all__


def test_source_new_record_keeps_what_is_not_given() -> None:
    schema = fc.Schema.STRING
    record = source("v", key="k", key_schema=schema, partition=2, timestamp=5, headers=[("h", "1")])
    new = record.new_record(value="w", key=None)
    assert (new.value, new.key, new.key_schema) == ("w", None, schema)
    assert (new.kafka_partition, new.timestamp) == (2, 5)
    assert (new.source_partition, new.source_offset, new.topic) == ({"file": "in"}, {"line": 1}, "topic")
    new.headers.append(("added", "x"))
    assert record.headers == [("h", "1")]  # copied, as Kafka's headers().duplicate()
    moved = record.new_record(topic="other", partition=None, timestamp=None, headers=None)
    assert (moved.topic, moved.kafka_partition, moved.timestamp, moved.headers) == ("other", None, None, None)
    with pytest.raises(TypeError, match="unexpected keyword argument 'offset'"):
        record.new_record(offset=3)  # type: ignore[call-arg]


def test_sink_new_record_keeps_offset_timestamp_type_and_unread_fields() -> None:
    record = sink({"a": 1}, key="k", headers=[("h", "1")])
    new = record.new_record(value={"b": 2}, topic="renamed", timestamp=None)
    assert (new.topic, new.kafka_partition, new.kafka_offset, new.timestamp) == ("renamed", 0, 7, None)
    assert (new.key, new.value, new.timestamp_type) == ("k", {"b": 2}, "CreateTime")
    assert new.headers == [("h", "1")]
    assert record.value == {"a": 1} and record.topic == "topic"
    new.headers.append(("x", "y"))
    assert record.headers == [("h", "1")]
    assert record.new_record(headers=None).headers == []
    with pytest.raises(TypeError):
        record.new_record(partition=None)


def test_transform_runs_on_source_and_sink_records_alike() -> None:
    out = apply_transform(Upper, {}, [source("a"), source("b")])
    assert [r.value for r in out] == ["A", "B"]  # type: ignore[union-attr]
    assert all(isinstance(r, fc.SourceRecord) and r.source_offset == {"line": 1} for r in out)
    out = apply_transform(Upper, {}, [sink("a", offset=3), sink("b", offset=4)])
    assert [(type(r), r.value, r.kafka_offset) for r in out] == [  # type: ignore[union-attr]
        (fc.SinkRecord, "A", 3),
        (fc.SinkRecord, "B", 4),
    ]


def test_configure_gets_the_alias_keys() -> None:
    out = apply_transform(Suffix, {"type": "x", "suffix": "?"}, [source("a")])
    assert out[0].value == "a?"  # type: ignore[union-attr]


def test_apply_batch_is_one_call_per_batch_when_defined() -> None:
    Batched.calls.clear()
    out = apply_transform(Batched, {}, [sink(str(i), offset=i) for i in range(5)])
    assert Batched.calls == [5]
    assert [r.value for r in out] == [f"{i}/5" for i in range(5)]  # type: ignore[union-attr]


def test_apply_batch_can_fail_or_drop_one_record() -> None:
    class Picky(fc.Transformation):
        def apply_batch(self, records: list[Any]) -> list[Any]:
            return [None, ValueError("not this one"), records[2]]

    out = apply_transform(Picky, {}, [source(i) for i in range(3)])
    assert out[0] is None
    assert isinstance(out[1], fc.ConnectError) and "ValueError: not this one" in str(out[1])
    assert isinstance(out[2], fc.SourceRecord) and out[2].value == 2


def test_apply_batch_failures_fail_every_record() -> None:
    class Short(fc.Transformation):
        def apply_batch(self, records: list[Any]) -> list[Any]:
            return records[:1]

    class Raises(fc.Transformation):
        def apply_batch(self, records: list[Any]) -> list[Any]:
            raise fc.RetriableError("try later")

    out = apply_transform(Short, {}, [source(1), source(2)])
    assert all(isinstance(e, fc.DataError) and "got 2 records and returned 1" in str(e) for e in out)
    out = apply_transform(Raises, {}, [source(1), source(2)])
    assert all(isinstance(e, fc.RetriableError) and "try later" in str(e) for e in out)


def test_an_exception_keeps_its_traceback_and_fails_only_its_record() -> None:
    class Fails(fc.Transformation):
        def apply(self, record: Any) -> Any:
            if record.value == "bad":
                return self.explode()
            return record

        def explode(self) -> Any:
            raise KeyError("missing field")

    out = apply_transform(Fails, {}, [source("ok"), source("bad")])
    assert isinstance(out[0], fc.SourceRecord)
    assert isinstance(out[1], fc.ConnectError)
    message = str(out[1])
    assert "Traceback (most recent call last)" in message and "in explode" in message
    assert "KeyError: 'missing field'" in message


def test_returning_something_else_is_a_data_error() -> None:
    class Wrong(fc.Transformation):
        def apply(self, record: Any) -> Any:
            return {"value": 1}

    (out,) = apply_transform(Wrong, {}, [source()])
    assert isinstance(out, fc.DataError)
    assert "apply() must return a SourceRecord, a SinkRecord or None, not dict" in str(out)


def test_a_value_that_is_not_connect_data_fails_its_record() -> None:
    class MakesSet(fc.Transformation):
        def apply(self, record: Any) -> Any:
            return record.new_record(value={1, 2})

    (out,) = apply_transform(MakesSet, {}, [source()])
    assert isinstance(out, fc.ConnectError) and "set" in str(out)


def test_schemas_and_structs_round_trip() -> None:
    schema = fc.SchemaBuilder.struct().field("id", fc.Schema.INT64).field("name", fc.Schema.STRING).build()
    value = fc.Struct(schema).put("id", 1).put("name", "ada")

    class Rename(fc.Transformation):
        def apply(self, record: Any) -> Any:
            return record.new_record(topic=f"{record.topic}-{record.value.get('name')}")

    class Untouched(fc.Transformation):
        def apply(self, record: Any) -> Any:
            return record  # fields never read go back without a conversion

    for kind in (source, sink):
        record = kind(value, value_schema=schema, key=b"k", key_schema=fc.Schema.BYTES)
        (out,) = apply_transform(Rename, {}, [record])
        assert out.topic == "topic-ada"  # type: ignore[union-attr]
        assert out.value == value and out.value_schema == schema  # type: ignore[union-attr]
        assert out.key == b"k" and out.key_schema == fc.Schema.BYTES  # type: ignore[union-attr]
        (out,) = apply_transform(Untouched, {}, [kind(value, value_schema=schema, headers=[("h", "x")])])
        assert out.value == value and out.headers == [("h", "x")]  # type: ignore[union-attr]


def test_predicate_matches_and_fails_with_traceback() -> None:
    assert match_predicate(IsOdd, {}, [source(1), source(2), sink(3)]) == [True, False, True]
    with pytest.raises(fc.ConnectError, match="TypeError"):
        match_predicate(IsOdd, {}, [source("text")])


def test_close_is_called_once_after_the_records() -> None:
    events: list[str] = []

    class Tracked(fc.Transformation):
        def configure(self, config: dict[str, str]) -> None:
            events.append("configure")

        def apply(self, record: Any) -> Any:
            events.append("apply")
            return record

        def close(self) -> None:
            events.append("close")

    apply_transform(Tracked, {}, [source(), source()])
    assert events == ["configure", "apply", "apply", "close"]


def test_configure_failure_is_a_connect_error_with_the_traceback() -> None:
    class Refuses(fc.Transformation):
        def configure(self, config: dict[str, str]) -> None:
            raise fc.ConfigError("suffix must not be empty")

    with pytest.raises(fc.ConnectError, match="suffix must not be empty") as info:
        apply_transform(Refuses, {}, [source()])
    assert "Traceback" in str(info.value)


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module on sys.path with a transform, a predicate and a class that is neither."""
    name = f"smt_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            import ferroconnect as fc

            class Reverse(fc.Transformation):
                def version(self):
                    return "1.2"

                def apply(self, record):
                    return record.new_record(value=record.value[::-1])

            class Empty(fc.Predicate):
                config_def = fc.ConfigDef().define("min", fc.Type.INT, 1, fc.Importance.LOW, "Minimum.")

                def test(self, record):
                    return not record.value

            class NotATransform:
                pass
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_dotted_path(plugin_module: str) -> None:
    (out,) = apply_transform(f"{plugin_module}.Reverse", {}, [source("abc")])
    assert out.value == "cba"  # type: ignore[union-attr]
    assert match_predicate(f"{plugin_module}.Empty", {}, [source(""), source("x")]) == [True, False]


def test_unknown_or_wrong_classes(plugin_module: str) -> None:
    with pytest.raises(fc.ConfigError, match="could not be found as a transform"):
        apply_transform("no_such_module_xyz.Nothing", {}, [source()])
    with pytest.raises(fc.ConfigError, match="could not be found as a transform"):
        apply_transform(f"{plugin_module}.Missing", {}, [source()])
    # A predicate is not a transform: unknown as one (the chain then says it is the other kind).
    assert _plugins.find_transform_class(f"{plugin_module}.Empty", "transformation") is None
    assert _plugins.find_transform_class(f"{plugin_module}.Empty", "predicate") is not None
    with pytest.raises(fc.ConfigError, match="does not implement the Transformation interface"):
        apply_transform(f"{plugin_module}.NotATransform", {}, [source()])


def test_a_module_failing_on_import_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"broken_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(fc.ConnectError, match="no_such_dependency_xyz") as info:
        apply_transform(f"{name}.T", {}, [source()])
    assert "Traceback" in str(info.value)


def test_entry_points_and_plugin_listing(plugin_module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    group = _plugins.TRANSFORM_ENTRY_POINT_GROUP
    points = [
        importlib.metadata.EntryPoint("reverse", f"{plugin_module}:Reverse", group),
        importlib.metadata.EntryPoint("empty", f"{plugin_module}:Empty", group),
    ]
    real = _plugins.entry_points

    def fake(**selection: Any) -> Any:
        return points if selection.get("group") == group else real(**selection)

    monkeypatch.setattr(_plugins, "entry_points", fake)
    (out,) = apply_transform("reverse", {}, [sink("abc")])
    assert out.value == "cba"  # type: ignore[union-attr]
    assert match_predicate("empty", {}, [sink("")]) == [True]
    listed = {name: (kind, version) for name, kind, version in _plugins.transform_plugins()}
    assert listed["reverse"] == ("transformation", "1.2")
    assert listed["empty"] == ("predicate", "unknown")
    assert _plugins.transform_config_def("empty", "predicate").names() == ["min"]
    # Registered classes are listed under their full names; connectors are not listed here.
    name = _plugins.register(Upper)
    assert (name, "transformation", "unknown") in _plugins.transform_plugins()
    assert all(kind in ("source", "sink") for _, kind, _ in _plugins.connector_plugins())


def test_classes_on_plugin_path_are_found_and_listed(
    plugin_module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_plugins, "_plugin_paths", [tmp_path])  # plugin_module's directory
    listed = {name: kind for name, kind, _ in _plugins.transform_plugins()}
    assert listed[f"{plugin_module}.Reverse"] == "transformation"
    assert listed[f"{plugin_module}.Empty"] == "predicate"
    assert f"{plugin_module}.NotATransform" not in listed


def test_worker_config_accepts_class_objects_for_transform_and_predicate_types() -> None:
    from ferroconnect.worker import _config

    config = _config({"transforms": "up", "transforms.up.type": Upper, "predicates.odd.type": IsOdd})
    assert config["transforms.up.type"] == f"{__name__}.Upper"
    assert _plugins.find_transform_class(config["transforms.up.type"], "transformation") is Upper
    assert _plugins.find_transform_class(config["predicates.odd.type"], "predicate") is IsOdd
    assert sys.modules[__name__] is not None


def test_records_print_as_python_values() -> None:
    text = repr(source("v", timestamp=5))
    assert "topic='topic', partition=None" in text and "timestamp=5)" in text, text
    text = repr(sink("v"))
    assert text.startswith("SinkRecord(topic='topic', partition=0, offset=7") and "timestamp=1000)" in text, (
        text
    )
