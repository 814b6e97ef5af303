"""Single message transforms, differential: ferroconnect's native transforms and predicates
against Kafka's own (connect-transforms 4.4.0), on the same records.

A case is a connector-style config (``transforms=a,b``, ``transforms.a.type=...``,
``predicates=...``) and records in the neutral form of ``tests/jvm/transforms/TransformCases.java``
(schemas and schema'd values as in ``tests/jvm/json/JsonConverterCases.java``, schemaless values
with tags). ``TransformCases`` builds Kafka's chain as ``ConnectorConfig`` does and applies it to
``SinkRecord``s, one JVM for every case; ours is ``ferroconnect._core.apply_transforms`` (the core's
``TransformChain``). Each record's outcome is the resulting record (topic, partition, key and value
with their schemas, headers, timestamp), ``dropped``, or an error; errors compare by kind
(``config``, ``data``, ``other``), messages are shown but not compared.

``SPECS`` holds several configs for every built-in transform (each ``$Key``/``$Value`` variant) and
predicate of Kafka 4.4, a few chains, and configs both sides must refuse. Each config runs over
records drawn by hypothesis with a fixed seed and fitted to it: structs and schemaless maps whose
fields come from a small pool of names (``id``, ``name``, ``price``, ``ts``, ``nested``...) with
types that the configs name, primitives, nulls and tombstones, optional fields, logical types and
headers.

A difference is allowed only when a ``DEVIATIONS`` entry explains it, each with its row in
``docs/compatibility.md`` (checked here). The summary table per transform (identical / deviation /
both refuse / mismatch) goes through the ``report`` fixture. Without Java or the jars the test fails
under ``CI=true`` and skips elsewhere.
"""

from __future__ import annotations

import base64
import collections
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from ferroconnect import _core as fc
from hypothesis import strategies as st
from neutral_form import (
    DECIMAL,
    ROOT,
    TIMESTAMP,
    Neutral,
    canon,
    canon_schema,
    draw_examples,
    primitive_schemas,
    run_java_cases,
    values,
)

SOURCES = [
    ROOT / "tests" / "jvm" / "json" / "JsonConverterCases.java",
    ROOT / "tests" / "jvm" / "transforms" / "TransformCases.java",
]
MAIN_CLASS = "TransformCases"
COMPATIBILITY = ROOT / "docs" / "compatibility.md"
POOL = int(os.environ.get("FC_TRANSFORMS_DIFF_RECORDS", "1000"))
PER_SPEC = int(os.environ.get("FC_TRANSFORMS_DIFF_PER_SPEC", "100"))

T = "org.apache.kafka.connect.transforms."
P = T + "predicates."

# Every built-in of Kafka 4.4 (kafka-connect.md §6); each must appear in SPECS.
TRANSFORMS = [
    *(
        f"{name}${side}"
        for name in ("Cast", "ExtractField", "Flatten", "HeaderFrom", "HoistField")
        for side in ("Key", "Value")
    ),
    *(
        f"{name}${side}"
        for name in ("InsertField", "MaskField", "ReplaceField", "SetSchemaMetadata")
        for side in ("Key", "Value")
    ),
    "TimestampConverter$Key",
    "TimestampConverter$Value",
    "DropHeaders",
    "Filter",
    "InsertHeader",
    "RegexRouter",
    "TimestampRouter",
    "ValueToKey",
]
PREDICATES = ["TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"]


# --- configs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One config to run: its stages, the records it runs over (``fields``: structs and maps;
    ``scalars``: primitives, for transforms of a whole key or value; ``times``: points in time),
    and a short note."""

    note: str
    config: dict[str, str]
    pool: str = "fields"

    @property
    def covers(self) -> list[str]:
        """The transforms and predicates of the config, by Kafka's short class name."""
        return sorted(
            {
                v.rsplit(".", 1)[-1]
                for k, v in self.config.items()
                if k.endswith(".type") and k.count(".") == 2
            }
        )


def stage(cls: str, alias: str = "s", **keys: str) -> dict[str, str]:
    """The config of one stage: ``transforms.<alias>.type`` and its keys (``_`` in a keyword is a
    ``.``: ``static_field`` is ``static.field``)."""
    out = {f"transforms.{alias}.type": cls}
    for k, v in keys.items():
        out[f"transforms.{alias}.{k.replace('_', '.')}"] = v
    return out


def chain(*stages: dict[str, str], **predicates: dict[str, str]) -> dict[str, str]:
    """A connector-style config of stages (in order) and named predicates."""
    config: dict[str, str] = {}
    aliases = []
    for s in stages:
        config.update(s)
        aliases += [k.split(".")[1] for k in s if k.endswith(".type") and k.count(".") == 2]
    config["transforms"] = ",".join(aliases)
    if predicates:
        config["predicates"] = ",".join(predicates)
        for name, keys in predicates.items():
            config.update({f"predicates.{name}.{k}": v for k, v in keys.items()})
    return config


def one(note: str, cls: str, pool: str = "fields", **keys: str) -> Spec:
    return Spec(note, chain(stage(T + cls, **keys)), pool)


def filtered(note: str, predicate: str, negate: bool = False, **keys: str) -> Spec:
    """Filter under a predicate (``negate`` inverts it)."""
    filter_keys = {"predicate": "p"} | ({"negate": "true"} if negate else {})
    return Spec(note, chain(stage(T + "Filter", **filter_keys), p={"type": P + predicate, **keys}))


SPECS: list[Spec] = [
    # Cast
    one("fields to other types", "Cast$Value", spec="id:int64,price:float32,flag:string,name:string"),
    one("numbers to string and boolean", "Cast$Value", spec="id:string,price:boolean,flag:int8"),
    one("narrowing", "Cast$Value", spec="id:int8,price:int16,ts:int32"),
    one("whole value to int64", "Cast$Value", "scalars", spec="int64"),
    one("whole value to string", "Cast$Value", "scalars", spec="string"),
    one("whole value to float32", "Cast$Value", "scalars", spec="float32"),
    one("times to int64", "Cast$Value", "times", spec="int64"),
    one("times to string", "Cast$Value", "times", spec="string"),
    one("key fields", "Cast$Key", spec="id:string,price:float64"),
    one("whole key to boolean", "Cast$Key", "scalars", spec="boolean"),
    one("bytes and nested", "Cast$Value", spec="data:string,nested:string"),
    one(
        "nulls not replaced by defaults",
        "Cast$Value",
        spec="id:string,flag:int32,name:string",
        replace_null_with_default="false",
    ),
    one("unknown type (config error)", "Cast$Value", spec="id:bogus"),
    # DropHeaders
    one("one header", "DropHeaders", headers="h1"),
    one("several headers", "DropHeaders", headers="h1,a,absent"),
    # ExtractField
    one("top-level field", "ExtractField$Value", field="name"),
    one("struct field", "ExtractField$Value", field="nested"),
    one("key field", "ExtractField$Key", field="id"),
    one("V2 nested path", "ExtractField$Value", field="nested.inner.x", field_syntax_version="V2"),
    one("V2 one level", "ExtractField$Key", field="nested.name", field_syntax_version="V2"),
    one("V1 dotted name", "ExtractField$Value", field="nested.name"),
    one(
        "nulls not replaced by defaults",
        "ExtractField$Value",
        field="name",
        replace_null_with_default="false",
    ),
    one("no field (config error)", "ExtractField$Value"),
    # Filter and the predicates
    filtered("topic matches", "TopicNameMatches", pattern="orders|users"),
    filtered("topic does not match", "TopicNameMatches", negate=True, pattern="logs\\..*"),
    filtered("header present", "HasHeaderKey", name="h1"),
    filtered("header absent", "HasHeaderKey", negate=True, name="source"),
    filtered("tombstones", "RecordIsTombstone"),
    filtered("not tombstones", "RecordIsTombstone", negate=True),
    one("no predicate: drops all", "Filter"),
    filtered("bad pattern (config error)", "TopicNameMatches", pattern="(unclosed"),
    # Flatten
    one("default delimiter", "Flatten$Value"),
    one("custom delimiter", "Flatten$Value", delimiter="_"),
    one("key", "Flatten$Key", delimiter="#"),
    # HeaderFrom
    one("copy value fields", "HeaderFrom$Value", fields="id,name", headers="hid,hname", operation="copy"),
    one("move value fields", "HeaderFrom$Value", fields="nested,ts", headers="n,t", operation="move"),
    one("copy key field", "HeaderFrom$Key", fields="id", headers="key_id", operation="copy"),
    one(
        "nulls not replaced by defaults",
        "HeaderFrom$Value",
        fields="id,flag",
        headers="i,f",
        operation="move",
        replace_null_with_default="false",
    ),
    one("lengths differ (config error)", "HeaderFrom$Value", fields="id,name", headers="h", operation="copy"),
    # HoistField
    one("value", "HoistField$Value", field="wrapped"),
    one("key", "HoistField$Key", field="k"),
    one("scalars", "HoistField$Value", "scalars", field="v"),
    # InsertField
    one(
        "every kind",
        "InsertField$Value",
        topic_field="topic",
        partition_field="part",
        offset_field="off",
        timestamp_field="ts_ins",
        static_field="origin",
        static_value="db1",
    ),
    one("required fields", "InsertField$Value", topic_field="topic!", timestamp_field="when!"),
    one(
        "nulls not replaced by defaults",
        "InsertField$Value",
        static_field="st",
        static_value="v",
        replace_null_with_default="false",
    ),
    one("key", "InsertField$Key", partition_field="p?", static_field="s", static_value="x"),
    # InsertHeader
    one("text literal", "InsertHeader", header="source", value_literal="db1"),
    one("integer literal", "InsertHeader", header="n", value_literal="42"),
    one("list literal", "InsertHeader", header="l", value_literal="[1, 2, 3]"),
    one("map literal", "InsertHeader", header="m", value_literal='{"a": 1.5, "b": true}'),
    one("timestamp literal", "InsertHeader", header="t", value_literal="2024-01-31T12:34:56.789Z"),
    # MaskField
    one("zeros", "MaskField$Value", fields="id,name,price,flag"),
    one("replacement", "MaskField$Value", fields="name,id", replacement="***"),
    one("numeric replacement", "MaskField$Value", fields="id,price", replacement="7"),
    one("collections and logical", "MaskField$Value", fields="tags,ts,data,nested"),
    one("key", "MaskField$Key", fields="id"),
    one(
        "nulls not replaced by defaults", "MaskField$Value", fields="price", replace_null_with_default="false"
    ),
    # RegexRouter
    one("suffix", "RegexRouter", regex="(.*)s", replacement="$1"),
    one("prefix", "RegexRouter", regex="logs\\.(.*)", replacement="archive-$1"),
    # ReplaceField
    one("exclude", "ReplaceField$Value", exclude="id,price"),
    one("include", "ReplaceField$Value", include="name,price,nested"),
    one("renames", "ReplaceField$Value", renames="name:full_name,id:ident"),
    one("all three", "ReplaceField$Value", exclude="flag", include="id,name,flag", renames="id:key_id"),
    one("key", "ReplaceField$Key", exclude="id"),
    one(
        "nulls not replaced by defaults",
        "ReplaceField$Value",
        renames="flag:f",
        replace_null_with_default="false",
    ),
    # SetSchemaMetadata
    one("name and version", "SetSchemaMetadata$Value", schema_name="com.example.Value", schema_version="3"),
    one("name only", "SetSchemaMetadata$Value", "scalars", schema_name="Renamed"),
    one("key version", "SetSchemaMetadata$Key", schema_version="7"),
    one(
        "nulls not replaced by defaults",
        "SetSchemaMetadata$Value",
        schema_name="n",
        replace_null_with_default="false",
    ),
    # TimestampConverter
    one(
        "field to string",
        "TimestampConverter$Value",
        field="ts",
        target_type="string",
        format="yyyy-MM-dd HH:mm:ss",
    ),
    one("field to unix", "TimestampConverter$Value", field="ts", target_type="unix"),
    one(
        "field to Timestamp",
        "TimestampConverter$Value",
        field="ts",
        target_type="Timestamp",
        format="yyyy-MM-dd HH:mm:ss",
    ),
    one("field to Date", "TimestampConverter$Value", field="ts", target_type="Date"),
    one("field to Time", "TimestampConverter$Value", field="ts", target_type="Time"),
    one("unix seconds", "TimestampConverter$Value", field="ts", target_type="unix", unix_precision="seconds"),
    one("whole value", "TimestampConverter$Value", "scalars", target_type="Timestamp"),
    one(
        "times to Timestamp",
        "TimestampConverter$Value",
        "times",
        target_type="Timestamp",
        format="yyyy-MM-dd HH:mm:ss",
    ),
    one(
        "times to Date", "TimestampConverter$Value", "times", target_type="Date", format="yyyy-MM-dd HH:mm:ss"
    ),
    one(
        "times to Time", "TimestampConverter$Value", "times", target_type="Time", format="yyyy-MM-dd HH:mm:ss"
    ),
    one(
        "times to string",
        "TimestampConverter$Value",
        "times",
        target_type="string",
        format="EEE, d MMM yyyy HH:mm:ss.SSS Z",
    ),
    one(
        "times to unix micros",
        "TimestampConverter$Key",
        "times",
        target_type="unix",
        unix_precision="microseconds",
        format="yyyy-MM-dd HH:mm:ss",
    ),
    one("whole key to string", "TimestampConverter$Key", "scalars", target_type="string", format="yyyyMMdd"),
    one("key field", "TimestampConverter$Key", field="ts", target_type="unix", unix_precision="microseconds"),
    one(
        "nulls not replaced by defaults",
        "TimestampConverter$Value",
        field="ts",
        target_type="unix",
        replace_null_with_default="false",
    ),
    one("bad target (config error)", "TimestampConverter$Value", field="ts", target_type="Week"),
    # TimestampRouter
    one("default", "TimestampRouter"),
    one("custom", "TimestampRouter", topic_format="${topic}_${timestamp}", timestamp_format="yyyy-MM"),
    # ValueToKey
    one("two fields", "ValueToKey", fields="id,name"),
    one("nested struct", "ValueToKey", fields="nested"),
    one("duplicate fields (config error)", "ValueToKey", fields="id,name,id"),
    one("V2 nested paths", "ValueToKey", fields="nested.id,name", field_syntax_version="V2"),
    one(
        "nulls not replaced by defaults",
        "ValueToKey",
        fields="id,name,flag",
        replace_null_with_default="false",
    ),
    # chains
    Spec(
        "insert, hoist, route; hoist only off tombstones",
        chain(
            stage(T + "InsertField$Value", "ins", topic_field="topic", offset_field="off"),
            stage(T + "HoistField$Value", "hoist", predicate="tomb", negate="true", field="payload"),
            stage(T + "RegexRouter", "route", regex="(.*)", replacement="out-$1"),
            tomb={"type": P + "RecordIsTombstone"},
        ),
    ),
    Spec(
        "value to key, then extract; mask under a header",
        chain(
            stage(T + "ValueToKey", "v2k", fields="id"),
            stage(T + "ExtractField$Key", "ext", field="id"),
            stage(T + "MaskField$Value", "mask", predicate="hdr", fields="name"),
            hdr={"type": P + "HasHeaderKey", "name": "h1"},
        ),
    ),
    Spec(
        "flatten then replace then set schema",
        chain(
            stage(T + "Flatten$Value", "flat"),
            stage(T + "ReplaceField$Value", "rep", exclude="nested.inner.x", renames="nested.name:nn"),
            stage(T + "SetSchemaMetadata$Value", "meta", schema_name="flat"),
        ),
    ),
]


# --- records ------------------------------------------------------------------------------------

TOPICS = ["orders", "users", "t-1", "logs.2024", "Orders"]
HEADER_KEYS = ["h1", "h2", "a", "source"]
OPTIONAL = st.booleans()


def _schema(type_: str, **extra: Any) -> st.SearchStrategy[Neutral]:
    return st.builds(lambda o: {"type": type_, "optional": o, **extra}, OPTIONAL)


def _logical(type_: str, kind: str) -> st.SearchStrategy[Neutral]:
    return _schema(type_, name=f"org.apache.kafka.connect.data.{kind}", version=1)


INNER = st.builds(
    lambda o, xo: {
        "type": "STRUCT",
        "optional": o,
        "fields": [{"name": "x", "schema": {"type": "INT32", "optional": xo}}],
    },
    OPTIONAL,
    OPTIONAL,
)

# The schemas a struct's field of each name may have: the types the configs above expect there,
# and others.
FIELD_SCHEMAS: dict[str, st.SearchStrategy[Neutral]] = {
    "id": st.sampled_from(["INT8", "INT16", "INT32", "INT64", "STRING"]).flatmap(_schema)
    | st.just({"type": "INT32", "optional": True, "default": 0}),
    "name": _schema("STRING") | st.just({"type": "STRING", "optional": True, "default": "anon"}),
    "price": st.one_of(
        _schema("FLOAT32"),
        _schema("FLOAT64"),
        _schema("BYTES", name=DECIMAL, version=1, parameters={"scale": "2"}),
    ),
    "flag": _schema("BOOLEAN") | st.just({"type": "BOOLEAN", "optional": True, "default": True}),
    "ts": st.one_of(
        _logical("INT64", "Timestamp"),
        _logical("INT32", "Date"),
        _logical("INT32", "Time"),
        _schema("INT64"),
        _schema("STRING"),
    ),
    "data": _schema("BYTES"),
    "tags": st.one_of(
        st.builds(
            lambda o: {"type": "ARRAY", "optional": o, "value": {"type": "STRING", "optional": False}},
            OPTIONAL,
        ),
        st.builds(
            lambda o: {
                "type": "MAP",
                "optional": o,
                "key": {"type": "STRING", "optional": False},
                "value": {"type": "INT32", "optional": True},
            },
            OPTIONAL,
        ),
    ),
    "nested": st.builds(
        lambda o, id_, name, inner: {
            "type": "STRUCT",
            "optional": o,
            "fields": [
                {"name": "id", "schema": id_},
                {"name": "name", "schema": name},
                {"name": "inner", "schema": inner},
            ],
        },
        OPTIONAL,
        _schema("INT32"),
        _schema("STRING"),
        INNER,
    ),
    "x": primitive_schemas(),
}

TS_TEXTS = st.sampled_from(
    ["2024-01-31 12:34:56", "1970-01-01 00:00:00", "1999-12-31 23:59:59", "not a date", "2024-02-30 00:00:00"]
)
# Milliseconds from 1900 to 2100, and a few edges.
MILLIS = st.integers(-2_208_988_800_000, 4_102_444_800_000) | st.sampled_from([0, -1, 86_399_999, 1_000])


def _value(name: str, schema: Neutral) -> st.SearchStrategy[Neutral]:
    """A value of the field ``name`` of ``schema``, with date texts and plausible millis for ``ts``."""
    if name == "ts" and schema["type"] == "STRING":
        base: st.SearchStrategy[Neutral] = TS_TEXTS | st.text(max_size=8)
    elif name == "ts" and (schema.get("name") == TIMESTAMP or schema["type"] == "INT64"):
        base = MILLIS
    else:
        return full_values(schema)
    return st.none() | base if schema.get("optional") else base


@st.composite
def full_values(draw: st.DrawFn, schema: Neutral) -> Neutral:
    """A value of ``schema`` in which every required field of a struct is set (at any depth)."""
    if schema["type"] != "STRUCT":
        return draw(values(schema))
    if schema.get("optional") and draw(st.integers(0, 4)) == 0:
        return None
    out = {}
    for f in schema["fields"]:
        if not f["schema"].get("optional") or draw(st.booleans()):
            out[f["name"]] = draw(full_values(f["schema"]))
    return out


@st.composite
def structs(draw: st.DrawFn) -> tuple[Neutral, Neutral]:
    """A struct schema of pool fields (in any order, some optional) and a value of it."""
    chosen = draw(st.lists(st.sampled_from(list(FIELD_SCHEMAS)), min_size=1, max_size=6, unique=True))
    fields = [{"name": n, "schema": draw(FIELD_SCHEMAS[n])} for n in chosen]
    schema = {"type": "STRUCT", "optional": draw(OPTIONAL), "fields": fields}
    if draw(st.integers(0, 4)) == 0:
        schema["name"] = "com.example.Record"
        schema["version"] = 1
    value = {}
    for f in fields:
        v = draw(_value(f["name"], f["schema"]))
        if v is None and not f["schema"]["optional"]:
            continue  # left unset; Java's Struct refuses a null for a required field
        value[f["name"]] = v
    # A required field left unset makes an invalid struct: set every required field.
    for f in fields:
        if f["name"] not in value and not f["schema"]["optional"]:
            value[f["name"]] = draw(_value(f["name"], {**f["schema"], "optional": False}))
    return schema, value


SCHEMALESS_SCALARS: st.SearchStrategy[Neutral] = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
    st.booleans(),
    st.integers(-(2**31), 2**31 - 1).map(lambda i: {"int32": i}),
    st.integers(-128, 127).map(lambda i: {"int8": i}),
    st.floats(width=32, allow_nan=False, allow_infinity=False).map(lambda f: {"float32": f}),
    st.binary(max_size=6).map(lambda b: {"bytes": base64.b64encode(b).decode()}),
)

SCHEMALESS_FIELDS: dict[str, st.SearchStrategy[Neutral]] = {
    "id": st.integers(-1000, 1000) | st.integers(-100, 100).map(lambda i: {"int32": i}),
    "name": st.text(max_size=8),
    "price": st.floats(-1e6, 1e6) | st.integers(0, 100),
    "flag": st.booleans(),
    "ts": MILLIS | TS_TEXTS,
    "data": st.text(max_size=6),
    "tags": st.lists(st.text(max_size=4), max_size=3),
    "nested": st.builds(
        lambda i, n, x: {"map": [["id", i], ["name", n], ["inner", {"map": [["x", x]]}]]},
        st.integers(-5, 5),
        st.text(max_size=4),
        st.integers(0, 9),
    ),
    "x": st.none() | SCHEMALESS_SCALARS,
}


@st.composite
def schemaless_maps(draw: st.DrawFn) -> Neutral:
    chosen = draw(st.lists(st.sampled_from(list(SCHEMALESS_FIELDS)), max_size=6, unique=True))
    return {"map": [[n, draw(SCHEMALESS_FIELDS[n])] for n in chosen]}


@st.composite
def scalars(draw: st.DrawFn) -> tuple[Neutral, Neutral]:
    """A primitive key or value: with a schema (logical types too), schemaless, or null."""
    kind = draw(st.integers(0, 9))
    if kind < 5:
        schema = draw(primitive_schemas())
        if schema.get("name") == TIMESTAMP or schema["type"] == "INT64":
            return schema, draw(st.none() | MILLIS if schema["optional"] else MILLIS)
        if schema["type"] == "STRING" and draw(st.booleans()):
            return schema, draw(TS_TEXTS)
        return schema, draw(values(schema))
    if kind < 9:
        return None, draw(SCHEMALESS_SCALARS | MILLIS | TS_TEXTS)
    return None, None


@st.composite
def times(draw: st.DrawFn) -> tuple[Neutral, Neutral]:
    """A whole key or value that is a point in time: millis (schemaless, INT64, Timestamp), a
    Date or a Time, a date text."""
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return None, draw(MILLIS)
    if kind == 1:
        return {"type": "INT64", "optional": draw(OPTIONAL)}, draw(MILLIS)
    if kind == 2:
        return {"type": "INT64", "optional": False, "name": TIMESTAMP, "version": 1}, draw(MILLIS)
    if kind == 3:
        schema = draw(_logical("INT32", "Date").map(lambda n: {**n, "optional": False}))
        return schema, draw(st.integers(-50_000, 50_000))
    if kind == 4:
        schema = draw(_logical("INT32", "Time").map(lambda n: {**n, "optional": False}))
        return schema, draw(st.integers(0, 86_399_999))
    return draw(st.sampled_from([None, {"type": "STRING", "optional": False}])), draw(TS_TEXTS)


@st.composite
def side(draw: st.DrawFn, pool: str, null_weight: int) -> tuple[Neutral, Neutral]:
    """A key or value: null (weight ``null_weight`` of 10), else fitted to ``pool``."""
    if draw(st.integers(0, 9)) < null_weight:
        optional_schema = draw(st.none() | structs().map(lambda sv: {**sv[0], "optional": True}))
        return optional_schema, None
    if pool == "scalars":
        return draw(scalars())
    if pool == "times":
        return draw(times())
    kind = draw(st.integers(0, 9))
    if kind < 5:
        return draw(structs())
    if kind < 8:
        return None, draw(schemaless_maps())
    return draw(scalars())


@st.composite
def headers(draw: st.DrawFn) -> list[Neutral]:
    out = []
    for key in draw(st.lists(st.sampled_from(HEADER_KEYS), max_size=3)):
        if draw(st.booleans()):
            schema = draw(primitive_schemas())
            out.append({"key": key, "schema": schema, "value": draw(values(schema))})
        else:
            out.append(
                {
                    "key": key,
                    "schema": None,
                    "value": draw(st.none() | st.text(max_size=6) | st.integers(-9, 9)),
                }
            )
    return out


@st.composite
def records(draw: st.DrawFn, pool: str) -> Neutral:
    key_schema, key = draw(side(pool, 3))
    value_schema, value = draw(side(pool, 1))
    return {
        "topic": draw(st.sampled_from(TOPICS)),
        "partition": draw(st.integers(0, 3)),
        "offset": draw(st.integers(0, 10**6)),
        "key_schema": key_schema,
        "key": key,
        "value_schema": value_schema,
        "value": value,
        "timestamp": draw(st.none() | MILLIS),
        "headers": draw(headers()),
    }


def generated_cases(pool_size: int, per_spec: int) -> list[dict[str, Any]]:
    """Every spec with ``per_spec`` records of its pool (pools drawn with a fixed seed)."""
    pools = {name: draw_examples(records(name), pool_size) for name in ("fields", "scalars", "times")}
    cases = []
    for i, spec in enumerate(SPECS):
        pool = pools[spec.pool]
        start = (i * 7919) % len(pool)
        chosen = [pool[(start + j) % len(pool)] for j in range(min(per_spec, len(pool)))]
        cases.append(
            {"id": f"{i}: {' + '.join(spec.covers)}: {spec.note}", "config": spec.config, "records": chosen}
        )
    return cases


# --- our side -----------------------------------------------------------------------------------


def _kind(exc: BaseException) -> str:
    if isinstance(exc, fc.ConfigError):
        return "config"
    if isinstance(exc, fc.DataError):
        return "data"
    return "other"


def run_ours(case: dict[str, Any]) -> dict[str, Any]:
    """What ferroconnect does with a case, in the shape of the Java program's output line."""
    try:
        outcomes = fc.apply_transforms(case["config"], case["records"])
    except Exception as exc:  # a config refused is an outcome to compare
        return {
            "id": case["id"],
            "config_error": {"kind": _kind(exc), "class": type(exc).__name__, "message": str(exc)},
        }
    return {"id": case["id"], "outcomes": outcomes}


# --- comparing ------------------------------------------------------------------------------------

PARTS = ("topic", "partition", "key_schema", "key", "value_schema", "value", "timestamp", "headers")


def canon_record(r: Neutral) -> dict[str, Any]:
    """A record made comparable, part by part (offsets are not compared)."""
    return {
        "topic": r["topic"],
        "partition": r["partition"],
        "key_schema": canon_schema(r["key_schema"]),
        "key": canon(r["key_schema"], r["key"]),
        "value_schema": canon_schema(r["value_schema"]),
        "value": canon(r["value_schema"], r["value"]),
        "timestamp": r["timestamp"],
        "headers": tuple(
            (h["key"], canon_schema(h["schema"]), canon(h["schema"], h["value"])) for h in r["headers"]
        ),
    }


@dataclass(frozen=True)
class Difference:
    """A record (or a whole case, when building the chain is at stake) where the sides differ."""

    case: dict[str, Any]
    index: int | None  # the record's index; None: the config
    java: dict[str, Any]
    ours: dict[str, Any]
    parts: tuple[str, ...] = field(default=())
    java_version: int = 21

    @property
    def record(self) -> Neutral:
        return None if self.index is None else self.case["records"][self.index]


@dataclass(frozen=True)
class Explanation:
    """A named reason for a kind of difference; ``doc`` is the text of its row in
    docs/compatibility.md."""

    name: str
    doc: str
    matches: Callable[[Difference], bool]


JAVA_RUNTIME_EXCEPTIONS = ("java.lang.NullPointerException", "java.lang.IllegalArgumentException")


def _kafka_runtime_exception(d: Difference) -> bool:
    """Kafka fails with a Java runtime exception (a field missing from the schema: ExtractField's
    ``IllegalArgumentException: Unknown field``, HeaderFrom's ``NullPointerException``) where ours
    raises a ``DataError`` for the same record."""
    j, o = d.java.get("error"), d.ours.get("error")
    return (
        j is not None
        and o is not None
        and j["kind"] == "other"
        and j["class"] in JAVA_RUNTIME_EXCEPTIONS
        and o["kind"] == "data"
    )


def _without_java_markers(v: Neutral) -> Neutral:
    """Kafka's output with its ``{"date": millis}`` (a schemaless ``java.util.Date``) and
    ``{"logical_mismatch": ...}`` markers replaced by the plain values they hold."""
    if isinstance(v, list):
        return [_without_java_markers(x) for x in v]
    if isinstance(v, dict):
        if list(v) == ["date"]:
            return v["date"]
        if list(v) == ["logical_mismatch"]:
            return _without_java_markers(v["logical_mismatch"]["value"])
        return {k: _without_java_markers(x) for k, x in v.items()}
    return v


def _same_without(d: Difference, markers: tuple[str, ...]) -> bool:
    """Both sides gave a record, and Kafka's has one of ``markers``; without the markers the two are equal."""
    j, o = d.java.get("record"), d.ours.get("record")
    if j is None or o is None or not any(f'"{m}"' in json.dumps(j) for m in markers):
        return False
    return canon_record(_without_java_markers(j)) == canon_record(o)


def _decimal_scale_only(d: Difference) -> bool:
    """Both gave a record that differs only in the scale of Decimal values (MaskField)."""
    j, o = d.java.get("record"), d.ours.get("record")
    if j is None or o is None or d.parts not in (("value",), ("key",)):
        return False
    part = d.parts[0]
    schema = j[f"{part}_schema"]
    return canon(schema, j[part], scale_free=True) == canon(o[f"{part}_schema"], o[part], scale_free=True)


def _jdk17_float_text(d: Difference) -> bool:
    """Java before 19 prints some floats with more digits than needed (JDK-4511638): a float or
    double cast to a string is another text of the same number."""
    j, o = d.java.get("record"), d.ours.get("record")
    if d.java_version >= 19 or j is None or o is None or d.parts not in (("value",), ("key",)):
        return False
    a, b = j[d.parts[0]], o[d.parts[0]]
    if not (isinstance(a, str) and isinstance(b, str)):
        return False
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return x == y or struct.pack(">f", x) == struct.pack(">f", y)


DEVIATIONS: list[Explanation] = [
    Explanation(
        "Kafka fails with a Java runtime exception",
        "a transform meets a field its schema lacks",
        _kafka_runtime_exception,
    ),
    Explanation(
        "MaskField's Decimal keeps the field's scale",
        "`MaskField` on a Decimal field",
        _decimal_scale_only,
    ),
    Explanation(
        "schemaless TimestampConverter gives epoch milliseconds",
        "`TimestampConverter` without a schema, target `Date`, `Time` or `Timestamp`",
        lambda d: _same_without(d, ("date",)),
    ),
    Explanation(
        "JDK < 19 prints floats with extra digits",
        "`Cast` of a `float32`/`float64` to a string on Java 17/18",
        _jdk17_float_text,
    ),
    Explanation(
        "a logical schema's name kept over another type",
        "the logical name of a schema over another type",
        lambda d: _same_without(d, ("logical_mismatch",)),
    ),
]


def explain(d: Difference) -> str | None:
    for explanation in DEVIATIONS:
        if explanation.matches(d):
            return explanation.name
    return None


def compare_outcome(j: dict[str, Any], o: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """``identical``, ``both refuse`` or ``differ`` for one record, and the parts that differ."""
    if "record" in j and "record" in o:
        cj, co = canon_record(j["record"]), canon_record(o["record"])
        parts = tuple(p for p in PARTS if cj[p] != co[p])
        return ("differ", parts) if parts else ("identical", ())
    if j.get("dropped") and o.get("dropped"):
        return "identical", ()
    if "error" in j and "error" in o:
        same = j["error"]["kind"] == o["error"]["kind"]
        return ("both refuse", ()) if same else ("differ", ("error kind",))
    return "differ", ("outcome",)


@dataclass
class Outcomes:
    cases: list[dict[str, Any]]
    java: list[dict[str, Any]]
    ours: list[dict[str, Any]]
    java_version: int = 21


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    """Every case run by Kafka's transforms (one JVM) and by ours."""
    work = tmp_path_factory.mktemp("transforms-java")
    cases = generated_cases(POOL, PER_SPEC)
    java_out, version = run_java_cases(SOURCES, MAIN_CLASS, cases, work)
    assert [o["id"] for o in java_out] == [c["id"] for c in cases]
    return Outcomes(cases, java_out, [run_ours(c) for c in cases], int(version.split(".")[-1]))


COLUMNS = ("identical", "deviation", "both refuse", "mismatch")


def compare(outcomes: Outcomes) -> tuple[dict[str, collections.Counter[str]], dict[str, list[Difference]]]:
    """Counts per transform/predicate and column, and the differences by explanation
    (``UNEXPLAINED`` if none)."""
    table: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    found: dict[str, list[Difference]] = collections.defaultdict(list)
    for spec, case, java, ours in zip(SPECS, outcomes.cases, outcomes.java, outcomes.ours, strict=True):
        results: list[tuple[str, Difference | None]] = []
        if "config_error" in java or "config_error" in ours:
            j, o = java.get("config_error"), ours.get("config_error")
            if j is not None and o is not None and j["kind"] == o["kind"]:
                results.append(("both refuse", None))
            else:
                results.append(
                    ("differ", Difference(case, None, java, ours, ("config",), outcomes.java_version))
                )
        else:
            for i, (j, o) in enumerate(zip(java["outcomes"], ours["outcomes"], strict=True)):
                verdict, parts = compare_outcome(j, o)
                d = Difference(case, i, j, o, parts, outcomes.java_version) if verdict == "differ" else None
                results.append((verdict, d))
        for verdict, d in results:
            column = verdict
            if d is not None:
                name = explain(d)
                column = "mismatch" if name is None else "deviation"
                found[name or "UNEXPLAINED"].append(d)
            for covered in spec.covers:
                table[covered][column] += 1
    return table, found


def _short(v: Any, limit: int = 700) -> str:
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


def show(d: Difference) -> str:
    where = "config" if d.index is None else f"record {d.index}"
    return (
        f"{d.case['id']} [{where}; differs in {', '.join(d.parts)}]\n"
        f"  config: {_short(d.case['config'], 400)}\n"
        + (f"  input:  {_short(d.record)}\n" if d.index is not None else "")
        + f"  java:   {_short(d.java)}\n  ours:   {_short(d.ours)}"
    )


def test_ours_match_kafkas_transforms(outcomes: Outcomes, report: Callable[[str], None]) -> None:
    table, found = compare(outcomes)
    records = sum(len(c["records"]) for c in outcomes.cases)
    report(
        f"transforms vs Kafka 4.4.0: {len(SPECS)} configs, {records} records (a config refused counts once)"
    )
    report(f"  {'transform / predicate':<26}" + "".join(f"{c:>12}" for c in COLUMNS))
    for name in sorted(table):
        report(f"  {name:<26}" + "".join(f"{table[name][c]:>12}" for c in COLUMNS))
    for name, ds in sorted(found.items()):
        if name != "UNEXPLAINED":
            report(f"  deviation {name!r}: {len(ds)}")
    unexplained = found.get("UNEXPLAINED", [])
    if unexplained:
        by_case = collections.Counter(d.case["id"] for d in unexplained)
        report(f"  unexplained differences: {len(unexplained)} in {len(by_case)} configs")
    examples: dict[str, Difference] = {}
    for d in unexplained:
        examples.setdefault(d.case["id"], d)  # the first of each config
    assert not unexplained, (
        f"{len(unexplained)} unexplained differences, the first of each config:\n"
        + "\n".join(show(d) for d in list(examples.values())[:40])
    )


def test_every_builtin_is_covered() -> None:
    covered = {c for spec in SPECS for c in spec.covers}
    assert set(TRANSFORMS) | set(PREDICATES) <= covered, sorted(set(TRANSFORMS) | set(PREDICATES) - covered)


def test_every_deviation_is_documented() -> None:
    text = COMPATIBILITY.read_text()
    for deviation in DEVIATIONS:
        assert deviation.doc in text, f"no row in docs/compatibility.md for {deviation.name!r}"


def test_generated_cases_are_deterministic() -> None:
    assert generated_cases(10, 5) == generated_cases(10, 5)


def test_neutral_records_round_trip_through_ours() -> None:
    """An empty chain gives every record back as it came (the binding's neutral form ⇄ Record)."""
    for pool in ("fields", "scalars"):
        given = draw_examples(records(pool), 60)
        got = fc.apply_transforms({"transforms": ""}, given)
        for record, outcome in zip(given, got, strict=True):
            assert "record" in outcome, outcome
            assert canon_record(outcome["record"]) == canon_record(record), (record, outcome)
