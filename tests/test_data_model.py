"""The schema model from Python: builders, predefined schemas, Struct validation, logical types."""

from __future__ import annotations

import datetime
import decimal

import pytest
from ferroconnect import _core as fc
from hypothesis import given
from hypothesis import strategies as st


def person() -> fc.Schema:
    address = fc.SchemaBuilder.struct().name("Address").field("city", fc.Schema.STRING).build()
    return (
        fc.SchemaBuilder.struct()
        .name("com.example.Person")
        .field("name", fc.Schema.STRING)
        .field("age", fc.Schema.INT32)
        .field("admin", fc.SchemaBuilder.bool().default(False).build())
        .field(
            "address", fc.SchemaBuilder.struct().name("Address").field("city", fc.Schema.STRING).optional()
        )
        .field("tags", fc.SchemaBuilder.array(fc.Schema.STRING).optional().build())
        .field("price", fc.Decimal.builder(2).optional().build())
        .field("born", fc.Date.builder().optional().build())
        .build()
    ), address


def test_builder_and_predefined_schemas() -> None:
    schema, _ = person()
    assert schema.type == "STRUCT"
    assert schema.name == "com.example.Person"
    assert [f.name for f in schema.fields] == ["name", "age", "admin", "address", "tags", "price", "born"]
    assert schema.field("admin").schema.default is False
    assert fc.Schema.OPTIONAL_INT64.optional and fc.Schema.OPTIONAL_INT64.type == "INT64"
    assert fc.Schema.STRING == fc.SchemaBuilder.string().build()
    assert hash(fc.Schema.STRING) == hash(fc.SchemaBuilder.string().build())
    assert fc.Decimal.schema(2).parameters == {"scale": "2"}
    assert fc.Date.SCHEMA.name == fc.Date.LOGICAL_NAME == "org.apache.kafka.connect.data.Date"
    assert fc.SchemaBuilder.map(fc.Schema.STRING, fc.Schema.INT8).build().key_schema == fc.Schema.STRING


def test_builder_refuses_what_kafka_refuses() -> None:
    with pytest.raises(fc.DataError, match="has already been set"):
        fc.SchemaBuilder.int32().name("a").name("b")
    with pytest.raises(fc.DataError, match="Invalid default value"):
        fc.SchemaBuilder.int32().default("x")
    with pytest.raises(fc.DataError, match="Cannot create fields"):
        fc.SchemaBuilder.int32().field("x", fc.Schema.INT8)
    with pytest.raises(fc.DataError, match="duplication"):
        fc.SchemaBuilder.struct().field("x", fc.Schema.INT8).field("x", fc.Schema.INT8)


def test_struct_put_get_validate() -> None:
    schema, _ = person()
    s = fc.Struct(schema).put("name", "Barbara Liskov").put("age", 75)
    assert s.get("name") == "Barbara Liskov"
    assert s.get("admin") is False
    assert s.get_without_default("admin") is None
    s.validate()
    s.put("price", decimal.Decimal("1.5")).put("born", datetime.date(1939, 11, 7))
    assert s.get("price") == decimal.Decimal("1.50")
    assert s["born"] == datetime.date(1939, 11, 7)
    assert repr(s).startswith("Struct{name=Barbara Liskov,age=75,")
    other = fc.Struct(schema).put("name", "Barbara Liskov").put("age", 75)
    assert s != other
    other.put("price", decimal.Decimal("1.50")).put("born", datetime.date(1939, 11, 7))
    assert s == other


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nope", 1, "nope is not a valid field name"),
        ("age", "x", 'INT32: str for field "age"'),
        ("age", 2**31, 'out of range for INT32 for field "age"'),
        ("age", True, "INT32: bool"),
        ("name", None, 'null used for required field: "name"'),
        ("tags", ["a", 2], 'field "tags[1]"'),
        ("price", decimal.Decimal("1.555"), "scale 2"),
        ("born", datetime.datetime(2024, 1, 1, 12, 0), "time fields"),
    ],
)
def test_struct_put_rejects_invalid_values(field: str, value: object, message: str) -> None:
    schema, _ = person()
    with pytest.raises(fc.DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        fc.Struct(schema).put(field, value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nope", 1, "nope is not a valid field name"),
        ("age", "x", 'INT32: str for field "age"'),
        ("name", None, 'null used for required field: "name"'),
        ("tags", ["a", 2], 'field "tags[1]"'),
        ("price", decimal.Decimal("1.555"), "scale 2"),
    ],
)
def test_struct_from_a_dict_rejects_what_put_rejects(field: str, value: object, message: str) -> None:
    schema, _ = person()
    with pytest.raises(fc.DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        fc.Struct(schema, {"age": 1, field: value})


def test_struct_built_in_one_call_equals_put_chain() -> None:
    schema, address = person()
    values: dict[str, object] = {
        "name": "Barbara Liskov",
        "age": 75,
        "admin": True,
        "address": {"city": "Boston"},
        "tags": ["a", "b"],
        "price": decimal.Decimal("1.5"),
        "born": datetime.date(1939, 11, 7),
    }
    chained = fc.Struct(schema)
    for name, value in values.items():
        chained.put(name, value)
    assert fc.Struct(schema, values) == chained
    assert fc.Struct(schema, tuple(values.values())) == chained
    assert fc.Struct(schema, list(values.values())) == chained
    assert fc.Struct(schema, {"name": "x"}).to_dict() == {
        "name": "x",
        "age": None,
        "admin": False,
        "address": None,
        "tags": None,
        "price": None,
        "born": None,
    }
    assert fc.Struct(address, {}).get("city") is None


def test_struct_values_of_the_wrong_shape_are_refused() -> None:
    schema, address = person()
    with pytest.raises(fc.DataError, match="the schema has 7 fields, 2 values were given"):
        fc.Struct(schema, ("x", 1))
    with pytest.raises(fc.DataError, match="must be a dict, tuple or list, not <class 'str'>"):
        fc.Struct(address, "Boston")
    with pytest.raises(fc.DataError, match="field names must be str, not <class 'int'>"):
        fc.Struct(address, {1: "Boston"})
    with pytest.raises(fc.DataError, match='INT32: str for field "age"'):
        fc.Struct(schema, ("x", "y", None, None, None, None, None))


def test_validate_names_missing_required_field_and_nested_path() -> None:
    schema, _ = person()
    with pytest.raises(fc.DataError, match='field: "name"'):
        fc.Struct(schema).validate()
    address = schema.field("address").schema
    with pytest.raises(fc.DataError, match=r'field: "address\.city"'):
        fc.Struct(schema).put("name", "x").put("age", 1).put("address", fc.Struct(address))
    with pytest.raises(fc.DataError, match="Struct schemas do not match"):
        fc.Struct(schema).put("address", fc.Struct(fc.SchemaBuilder.struct().build()))


def test_projector_and_compatibility() -> None:
    source = fc.SchemaBuilder.struct().field("a", fc.Schema.INT8).build()
    target = (
        fc.SchemaBuilder.struct()
        .field("a", fc.Schema.INT64)
        .field("b", fc.SchemaBuilder.string().default("x").build())
        .build()
    )
    fc.SchemaProjector.check_compatible(source, target)
    projected = fc.SchemaProjector.project(source, fc.Struct(source).put("a", 5), target)
    assert projected.get("a") == 5 and projected.get("b") == "x" and projected.schema == target
    with pytest.raises(fc.DataError, match='field "a"'):
        fc.SchemaProjector.check_compatible(target, source)


@given(st.integers())
def test_integer_widths_are_range_checked(n: int) -> None:
    for schema, bits in [
        (fc.Schema.INT8, 8),
        (fc.Schema.INT16, 16),
        (fc.Schema.INT32, 32),
        (fc.Schema.INT64, 64),
    ]:
        holder = fc.SchemaBuilder.struct().field("x", schema).build()
        if -(2 ** (bits - 1)) <= n < 2 ** (bits - 1):
            assert fc.Struct(holder).put("x", n).get("x") == n
        else:
            with pytest.raises(fc.DataError, match="out of range"):
                fc.Struct(holder).put("x", n)


@given(st.datetimes(timezones=st.just(datetime.timezone.utc)))
def test_timestamps_keep_the_millisecond(moment: datetime.datetime) -> None:
    holder = fc.SchemaBuilder.struct().field("t", fc.Timestamp.SCHEMA).build()
    got = fc.Struct(holder).put("t", moment).get("t")
    assert got == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@given(st.dates(), st.times())
def test_dates_and_times_round_trip(day: datetime.date, moment: datetime.time) -> None:
    holder = fc.SchemaBuilder.struct().field("d", fc.Date.SCHEMA).field("t", fc.Time.SCHEMA).build()
    s = fc.Struct(holder).put("d", day).put("t", moment)
    assert s.get("d") == day
    assert s.get("t") == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_a_struct_the_task_still_refers_to_is_left_whole_by_the_conversion() -> None:
    # The runtime moves a polled Struct's contents out (no copy) only when nothing but its record
    # in the returned list refers to it; each reference a task keeps must see the Struct unchanged.
    schema = (
        fc.SchemaBuilder.struct()
        .field("id", fc.Schema.INT64)
        .field("tags", fc.SchemaBuilder.array(fc.Schema.STRING).build())
        .build()
    )

    def row(i: int) -> fc.Struct:
        return fc.Struct(schema, (i, ["a", f"t{i}"]))

    def record(value: fc.Struct) -> fc.SourceRecord:
        return fc.SourceRecord({"p": 0}, {"o": 1}, "t", value_schema=schema, value=value)

    kept_struct = row(1)
    kept_record = record(row(2))
    kept_list = [record(row(3))]
    assert fc.convert_source_batch([record(kept_struct), kept_record, record(row(4))]) == [None] * 3
    assert fc.convert_source_batch(kept_list) == [None]
    assert kept_struct == row(1) and kept_struct.get("tags") == ["a", "t1"]
    assert kept_record.value == row(2)
    assert kept_list[0].value == row(3)
    # The same for a SourceBatch: a kept values list, a kept Struct among fresh ones.
    kept_values = [row(5)]
    batch = fc.SourceBatch({"p": 0}, "t", kept_values, [1], offset_key="o", value_schema=schema)
    assert fc.convert_source_batch(batch) == [None]
    assert kept_values[0] == row(5)
    del batch
    assert fc.convert_source_batch(
        fc.SourceBatch({"p": 0}, "t", kept_values, [1], offset_key="o", value_schema=schema)
    ) == [None]
    assert kept_values == [row(5)]
    another = row(6)
    fresh = fc.SourceBatch({"p": 0}, "t", [another, row(7)], [1, 2], offset_key="o", value_schema=schema)
    assert fc.convert_source_batch(fresh) == [None, None]
    assert another == row(6)
    # A Struct of an equal schema built separately is compared, not moved, and still converts.
    twin = (
        fc.SchemaBuilder.struct()
        .field("id", fc.Schema.INT64)
        .field("tags", fc.SchemaBuilder.array(fc.Schema.STRING).build())
        .build()
    )
    assert fc.convert_source_batch([record(fc.Struct(twin, (5, [])))]) == [None]


def test_a_struct_is_built_from_a_tuple_list_or_dict_with_the_checks_of_put() -> None:
    schema = (
        fc.SchemaBuilder.struct()
        .field("id", fc.Schema.INT64)
        .field("name", fc.Schema.OPTIONAL_STRING)
        .field("price", fc.Decimal.schema(2))
        .build()
    )
    by_tuple = fc.Struct(schema, (1, None, decimal.Decimal("1.5")))
    assert by_tuple == fc.Struct(schema, [1, None, decimal.Decimal("1.50")])
    assert by_tuple == fc.Struct(schema, {"id": 1, "price": decimal.Decimal("1.5")})
    assert by_tuple.get("price") == decimal.Decimal("1.50")
    assert fc.Struct(schema, (1, None, -1)).get("price") == decimal.Decimal("-1.00")
    with pytest.raises(fc.DataError, match="2 values were given"):
        fc.Struct(schema, (1, None))
    with pytest.raises(fc.DataError, match="INT64"):
        fc.Struct(schema, ("x", None, 1))
    with pytest.raises(fc.DataError, match="null used for required"):
        fc.Struct(schema, (None, None, 1))
    with pytest.raises(fc.DataError, match="more digits after the point"):
        fc.Struct(schema, (1, None, decimal.Decimal("1.234")))
    with pytest.raises(fc.DataError, match="not a finite number"):
        fc.Struct(schema, (1, None, decimal.Decimal("NaN")))
