"""Struct rows without a ``Struct``: with a STRUCT key or value schema, a record's key or value may
be a tuple (or list) of the field values in the schema's order, or a dict of field names to values,
converted by the schema straight into the runtime's Struct. Each value is checked as
``Struct.put`` checks it; a row that does not fit is refused by the converter's stage under
``errors.tolerance`` like any unconvertible record; the bytes are those of the same row built as a
``Struct``. Conversion checks here, and end to end on Apache Kafka."""

from __future__ import annotations

import datetime
import decimal
import time
from typing import Any

import ferroconnect as fc
import pytest
from ferroconnect import _core
from source_helpers import create_topic, wait_until

JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"

ADDRESS = (
    fc.SchemaBuilder.struct()
    .name("Address")
    .field("city", fc.Schema.STRING)
    .field("zip", fc.Schema.INT32)
    .optional()
    .build()
)
ROW = (
    fc.SchemaBuilder.struct()
    .name("test.Row")
    .field("id", fc.Schema.INT64)
    .field("name", fc.Schema.OPTIONAL_STRING)
    .field("score", fc.Schema.FLOAT64)
    .field("active", fc.SchemaBuilder.bool().default(False).build())
    .field("tags", fc.SchemaBuilder.array(fc.Schema.STRING).build())
    .field("amount", fc.Decimal.schema(2))
    .field("born", fc.Date.SCHEMA)
    .field("address", ADDRESS)
    .build()
)
KEY = fc.SchemaBuilder.struct().name("test.Key").field("id", fc.Schema.INT64).build()


def row(n: int) -> tuple[Any, ...]:
    """Row ``n``'s values in field order (every third without an address)."""
    address = None if n % 3 == 0 else (f"city {n}", 10_000 + n)
    return (
        n,
        f"name {n}" if n % 2 else None,
        n / 3,
        n % 2 == 0,
        ["a", str(n)],
        decimal.Decimal(n) / 4,
        datetime.date(2000, 1, 1) + datetime.timedelta(days=n),
        address,
    )


def as_dict(values: tuple[Any, ...]) -> dict[str, Any]:
    """The same row by field name, the nested address a dict too."""
    out = dict(zip([f.name for f in ROW.fields], values, strict=True))
    if out["address"] is not None:
        out["address"] = dict(zip(["city", "zip"], out["address"], strict=True))
    return out


def as_struct(values: tuple[Any, ...]) -> fc.Struct:
    """The same row built as a ``Struct`` (the nested address one too)."""
    address = values[-1] if values[-1] is None else fc.Struct(ADDRESS, values[-1])
    return fc.Struct(ROW, (*values[:-1], address))


def test_a_tuple_a_list_and_a_dict_give_the_bytes_of_the_struct() -> None:
    converter = fc.JsonConverter({"schemas.enable": True})
    for n in range(6):
        values = row(n)
        expected = converter.from_connect_data("t", ROW, as_struct(values))
        assert converter.from_connect_data("t", ROW, values) == expected
        assert converter.from_connect_data("t", ROW, list(values)) == expected
        assert converter.from_connect_data("t", ROW, as_dict(values)) == expected
        shuffled = dict(reversed(as_dict(values).items()))
        assert converter.from_connect_data("t", ROW, shuffled) == expected
    # Fields a dict leaves out are unset, as in Struct(schema, dict): optional ones and defaults.
    partial = {"id": 1, "score": 0.5, "tags": [], "amount": 1, "born": 0}
    assert converter.from_connect_data("t", ROW, partial) == converter.from_connect_data(
        "t", ROW, fc.Struct(ROW, partial)
    )


def test_a_tuple_for_another_schema_keeps_its_meaning() -> None:
    # An ARRAY takes a tuple as its items; a primitive refuses it; schemaless, a tuple is an array.
    converter = fc.JsonConverter({"schemas.enable": False})
    strings = fc.SchemaBuilder.array(fc.Schema.STRING).build()
    assert converter.from_connect_data("t", strings, ("a", "b")) == b'["a","b"]'
    assert converter.from_connect_data("t", None, (1, "b")) == b'[1,"b"]'
    with pytest.raises(fc.DataError, match="Invalid value for schema with type STRING: tuple"):
        converter.from_connect_data("t", fc.Schema.STRING, ("a",))
    with pytest.raises(fc.DataError, match=r'schema "test\.Row" with type STRUCT: str'):
        converter.from_connect_data("t", ROW, "a row")


def _refusals(values: list[Any], keys: list[Any] | None = None) -> list[tuple[str, str] | None]:
    """What the runtime's conversion says of each row, as a SourceBatch and as SourceRecords."""
    batch = fc.SourceBatch(
        {"p": 0},
        "t",
        values,
        list(range(len(values))),
        offset_key="n",
        keys=keys,
        key_schema=KEY if keys is not None else None,
        value_schema=ROW,
    )
    records = [
        fc.SourceRecord(
            {"p": 0},
            {"n": i},
            "t",
            key_schema=KEY if keys is not None else None,
            key=None if keys is None else keys[i],
            value_schema=ROW,
            value=value,
        )
        for i, value in enumerate(values)
    ]
    as_batch = _core.convert_source_batch(batch)
    assert _core.convert_source_batch(records) == as_batch
    return as_batch


def test_rows_that_do_not_fit_are_refused_naming_the_field() -> None:
    good = row(1)
    wrong_type = (*good[:2], "high", *good[3:])
    nested_wrong = (*good[:-1], ("Boston", "02115"))
    null_required = (None, *good[1:])
    unknown = {**as_dict(good), "colour": "red"}
    missing = {k: v for k, v in as_dict(good).items() if k != "score"}
    refusals = _refusals(
        [
            good,
            good[:-1],
            wrong_type,
            nested_wrong,
            null_required,
            as_dict(good),
            unknown,
            (*good, 1),
            missing,
        ]
    )
    assert refusals[0] is None and refusals[5] is None
    stages = {r[0] for r in refusals if r is not None}
    assert stages == {"VALUE_CONVERTER"}
    messages = [r[1] if r is not None else None for r in refusals]
    assert messages[1] == "Struct values: the schema has 8 fields, 7 values were given"
    assert messages[2] == 'Invalid value for schema with type FLOAT64: str for field "score"'
    assert messages[3] == 'Invalid value for schema with type INT32: str for field "address.zip"'
    assert messages[4] == 'Invalid value: null used for required field: "id", schema type: INT64'
    assert messages[6] == "colour is not a valid field name"
    assert messages[7] == "Struct values: the schema has 8 fields, 9 values were given"
    assert messages[8] == 'Invalid value: null used for required field: "score", schema type: FLOAT64'


def test_a_key_may_be_a_row_too() -> None:
    assert _refusals([row(1), row(2), row(3)], keys=[(1,), {"id": 2}, ("three",)]) == [
        None,
        None,
        ("KEY_CONVERTER", 'Invalid value for schema with type INT64: str for field "id"'),
    ]


class RowsSource(fc.SourceConnector):
    """One task, three polls of rows 0-8: a SourceBatch of tuples (keys too), SourceRecords with
    dict values, SourceRecords with Structs; the bytes of rows ``n``, ``n + 3`` and ``n + 6`` are
    the same. With ``bad`` set, one poll of a SourceBatch whose rows 1 and 2 do not fit."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return RowsTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class RowsTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.topic, self.bad = config["topic"], bool(config.get("bad"))
        self.polls = 0

    def poll(self) -> fc.SourceBatch | list[fc.SourceRecord] | None:
        self.polls += 1
        if self.bad and self.polls == 1:
            values = [row(0), row(1)[:-1], (*row(2)[:2], "high", *row(2)[3:]), row(3)]
            return fc.SourceBatch(
                {"p": 0}, self.topic, values, [0, 1, 2, 3], offset_key="n", value_schema=ROW
            )
        if self.bad or self.polls > 3:
            time.sleep(0.05)
            return None
        n = range(3 * (self.polls - 1), 3 * self.polls)
        if self.polls == 1:
            return fc.SourceBatch(
                {"p": 0},
                self.topic,
                [row(i) for i in range(3)],
                list(n),
                offset_key="n",
                keys=[(i,) for i in range(3)],
                key_schema=KEY,
                value_schema=ROW,
            )

        def record(i: int, key: Any, value: Any) -> fc.SourceRecord:
            return fc.SourceRecord(
                {"p": 0}, {"n": i}, self.topic, key_schema=KEY, key=key, value_schema=ROW, value=value
            )

        if self.polls == 2:
            return [record(i, {"id": i - 3}, as_dict(row(i - 3))) for i in n]
        return [record(i, fc.Struct(KEY, (i - 6,)), as_struct(row(i - 6))) for i in n]

    def stop(self) -> None:
        pass


def _config(topic: str, **extra: str) -> dict[str, Any]:
    return {
        "connector.class": RowsSource,
        "topic": topic,
        "key.converter": JSON_CONVERTER,
        "value.converter": JSON_CONVERTER,
        **extra,
    }


def test_tuple_and_dict_rows_reach_kafka_as_the_struct_would(bootstrap_servers: str, topic_name: str) -> None:
    create_topic(bootstrap_servers, topic_name)
    with fc.Worker(bootstrap_servers, offset_flush_interval_ms=100) as worker:
        worker.create_connector("rows", _config(topic_name))
        wanted = [{"partition": {"p": 0}, "offset": {"n": 8}}]
        wait_until(lambda: worker.offsets("rows") == wanted, what=f"offsets {wanted}")
    stored = _core.read_topic(bootstrap_servers, topic_name, 9, 2.0, 60.0, {})
    keys = [key for _, _, _, key, _, _ in stored]
    values = [value for _, _, _, _, value, _ in stored]
    assert len(values) == 9
    for n in range(3):
        assert keys[n] == keys[n + 3] == keys[n + 6]
        assert values[n] == values[n + 3] == values[n + 6]
    assert b'"payload":{"id":1,"name":"name 1"' in values[1]


def test_a_row_that_does_not_fit_fails_the_task_naming_field_and_place(
    bootstrap_servers: str, topic_name: str
) -> None:
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("badrows", _config(topic_name, bad="true"))
        wait_until(lambda: worker.status("badrows").task_states == ["FAILED"], what="task FAILED")
        trace = str(worker.status("badrows")["tasks"][0]["trace"])
    assert "Tolerance exceeded in error handler" in trace, trace
    assert "record 1 of the batch polled by task badrows-0" in trace, trace
    assert "the schema has 8 fields, 7 values were given" in trace, trace


def test_tolerated_rows_that_do_not_fit_are_skipped(bootstrap_servers: str, topic_name: str) -> None:
    create_topic(bootstrap_servers, topic_name)
    with fc.Worker(bootstrap_servers, offset_flush_interval_ms=100) as worker:
        worker.create_connector("skiprows", _config(topic_name, bad="true", **{"errors.tolerance": "all"}))
        wanted = [{"partition": {"p": 0}, "offset": {"n": 3}}]
        wait_until(lambda: worker.offsets("skiprows") == wanted, what=f"offsets {wanted}")
    stored = _core.read_topic(bootstrap_servers, topic_name, 4, 2.0, 30.0, {})
    converter = fc.JsonConverter({"schemas.enable": True})
    assert [value for _, _, _, _, value, _ in stored] == [
        converter.from_connect_data("t", ROW, as_struct(row(n))) for n in (0, 3)
    ]
