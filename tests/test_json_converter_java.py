"""JsonConverter, differential: ferroconnect's converter against Kafka's own (connect-json 4.4.0).

Every case is a schema, a value and converter settings in a neutral JSON form (described in
``tests/jvm/json/JsonConverterCases.java``). ``JsonConverterCases`` builds Kafka's ``Schema`` /
``Struct`` / values from it, runs ``JsonConverter.fromConnectData`` and ``toConnectData`` on the bytes
it wrote (and on a case's own bytes, for the read vectors), and writes the outcome back in the same
neutral form; one JVM runs all cases. The same neutral form becomes ferroconnect's values here, and
the outcomes are compared: written bytes byte for byte, round trips value for value (maps in any
order: Java reads them into a ``HashMap``).

The cases are the vectors of ``tests/vectors/json_converter.json`` plus ``GENERATED`` schema/value
pairs drawn by hypothesis with a fixed seed (nested structs, arrays, maps with non-string keys,
every logical type, optional fields, defaults, nulls, unicode, extreme numbers), each under all
eight settings of ``schemas.enable`` x ``decimal.format`` x ``replace.null.with.default``.

A difference is allowed only when a named ``DEVIATIONS`` entry explains it, each with its row in
``docs/compatibility.md`` (checked here too); a bug of ours found here is fixed, or listed in
``KNOWN_BUGS`` while it waits, counted apart in the table.
The summary table is printed through the ``report`` fixture. Without Java or the jars the test
fails under ``CI=true`` and skips elsewhere.
"""

from __future__ import annotations

import base64
import collections
import datetime
import decimal
import json
import math
import os
import pathlib
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from ferroconnect import _core as fc
from hypothesis import strategies as st
from neutral_form import (
    DATE,
    DECIMAL,
    EPOCH,
    EPOCH_ORDINAL,
    MILLIS_PER_DAY,
    PYTHON_DAYS,
    PYTHON_MILLIS,
    ROOT,
    TIME,
    TIMESTAMP,
    Neutral,
    canon,
    canon_schema,
    draw_examples,
    neutral_float,
    run_java_cases,
    schemas,
    values,
    with_defaults,
)

SOURCE = ROOT / "tests" / "jvm" / "json" / "JsonConverterCases.java"
VECTORS = json.loads((ROOT / "tests" / "vectors" / "json_converter.json").read_text())["cases"]
COMPATIBILITY = ROOT / "docs" / "compatibility.md"
MAIN_CLASS = "JsonConverterCases"
GENERATED = int(os.environ.get("FC_JSON_DIFF_CASES", "2000"))
TOPIC = "t"


CONFIGS = [
    {"schemas.enable": envelope, "decimal.format": fmt, "replace.null.with.default": replace}
    for envelope in ("true", "false")
    for fmt in ("BASE64", "NUMERIC")
    for replace in ("true", "false")
]


# --- neutral form → ferroconnect ------------------------------------------------------------------


def our_schema(n: Neutral) -> fc.Schema | None:
    """ferroconnect's schema for a neutral schema."""
    if n is None:
        return None
    t = n["type"]
    if t == "ARRAY":
        builder = fc.SchemaBuilder.array(_required(our_schema(n["value"])))
    elif t == "MAP":
        builder = fc.SchemaBuilder.map(_required(our_schema(n["key"])), _required(our_schema(n["value"])))
    elif t == "STRUCT":
        builder = fc.SchemaBuilder.struct()
        for field in n["fields"]:
            builder.field(field["name"], _required(our_schema(field["schema"])))
    else:
        builder = fc.SchemaBuilder(t)
    if n.get("optional"):
        builder.optional()
    if n.get("name") is not None:
        builder.name(n["name"])
    if n.get("version") is not None:
        builder.version(n["version"])
    if n.get("doc") is not None:
        builder.doc(n["doc"])
    if n.get("parameters"):
        builder.parameters(n["parameters"])
    if "default" in n:
        builder.default(our_value(builder.schema(), n["default"]))
    return builder.build()


def _required(schema: fc.Schema | None) -> fc.Schema:
    assert schema is not None
    return schema


def _float(v: Neutral) -> float:
    return float(v)  # float("NaN"), float("Infinity"), float("-Infinity") too


def our_value(schema: fc.Schema | None, v: Neutral) -> Any:
    """ferroconnect's (Python) value for a neutral value of ``schema``."""
    if v is None:
        return None
    if schema is None:
        return v  # schemaless input is plain JSON
    if schema.name == DECIMAL:
        return decimal.Decimal(v)
    if schema.name in (DATE, TIME, TIMESTAMP):
        return v  # the binding takes the integer form of every logical type
    t = schema.type
    if t in ("FLOAT32", "FLOAT64"):
        return _float(v)
    if t == "BYTES":
        return base64.b64decode(v)
    if t == "ARRAY":
        return [our_value(schema.value_schema, x) for x in v]
    if t == "MAP":
        return {our_value(schema.key_schema, k): our_value(schema.value_schema, x) for k, x in v}
    if t == "STRUCT":
        record = fc.Struct(schema)
        for name, x in v.items():
            field = schema.field(name)
            assert field is not None
            record.put(name, our_value(field.schema, x))
        return record
    return v


# --- ferroconnect → neutral form ------------------------------------------------------------------


def neutral_schema(schema: fc.Schema | None) -> Neutral:
    """The neutral form of one of our schemas (as the Java program writes Kafka's)."""
    if schema is None:
        return None
    n: dict[str, Any] = {"type": schema.type, "optional": schema.optional}
    for key in ("name", "version", "doc"):
        if getattr(schema, key) is not None:
            n[key] = getattr(schema, key)
    if schema.parameters:
        n["parameters"] = dict(schema.parameters)
    if schema.default is not None:
        n["default"] = neutral_value(schema, schema.default)
    if schema.type == "ARRAY":
        n["value"] = neutral_schema(schema.value_schema)
    elif schema.type == "MAP":
        n["key"] = neutral_schema(schema.key_schema)
        n["value"] = neutral_schema(schema.value_schema)
    elif schema.type == "STRUCT":
        n["fields"] = [{"name": f.name, "schema": neutral_schema(f.schema)} for f in schema.fields]
    return n


def neutral_value(schema: fc.Schema | None, v: Any) -> Neutral:
    """The neutral form of one of our (Python) values."""
    if v is None:
        return None
    if schema is None:
        return _schemaless_neutral(v)
    if schema.name == DECIMAL:
        return str(v)
    if schema.name == DATE:
        return v.toordinal() - EPOCH_ORDINAL
    if schema.name == TIME:
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1000 + v.microsecond // 1000
    if schema.name == TIMESTAMP:
        return (v - EPOCH) // datetime.timedelta(milliseconds=1)
    t = schema.type
    if t in ("FLOAT32", "FLOAT64"):
        return neutral_float(v)
    if t == "BYTES":
        return base64.b64encode(v).decode()
    if t == "ARRAY":
        return [neutral_value(schema.value_schema, x) for x in v]
    if t == "MAP":
        return [
            [neutral_value(schema.key_schema, k), neutral_value(schema.value_schema, x)] for k, x in v.items()
        ]
    if t == "STRUCT":
        return {f.name: neutral_value(f.schema, v.get_without_default(f.name)) for f in schema.fields}
    return v


def _schemaless_neutral(v: Any) -> Neutral:
    if isinstance(v, float):
        return neutral_float(v)
    if isinstance(v, list):
        return [_schemaless_neutral(x) for x in v]
    if isinstance(v, dict):
        return {"map": [[_schemaless_neutral(k), _schemaless_neutral(x)] for k, x in v.items()]}
    return v


# --- comparing neutral values ---------------------------------------------------------------------


def _as_float32(v: Neutral) -> Neutral:
    """Every float in a neutral value rounded to float32 (for the JDK < 19 text of floats)."""
    if isinstance(v, float):
        return _f32(v)
    if isinstance(v, list):
        return [_as_float32(x) for x in v]
    if isinstance(v, dict):
        return {k: _as_float32(x) for k, x in v.items()}
    return v


def canon_read(outcome: Neutral, scale_free: bool = False) -> Any:
    """A read outcome (schema and value, or an error) made comparable; errors compare by being errors."""
    if not outcome:
        return "missing"
    if "error" in outcome:
        return "error"
    return (canon_schema(outcome["schema"]), canon(outcome["schema"], outcome["value"], scale_free))


# --- our side of a case -----------------------------------------------------------------------------


def _error(exc: BaseException) -> dict[str, str]:
    return {"error": type(exc).__name__, "message": str(exc)}


def _our_read(converter: fc.JsonConverter, data: bytes | None) -> dict[str, Any]:
    try:
        got = converter.to_connect_data(TOPIC, data)
        return {"schema": neutral_schema(got.schema), "value": neutral_value(got.schema, got.value)}
    except Exception as exc:  # an error is an outcome to compare
        return _error(exc)


def run_ours(case: dict[str, Any], converters: dict[str, fc.JsonConverter]) -> dict[str, Any]:
    """What ferroconnect does with a case, in the shape of the Java program's output line."""
    key = json.dumps(case["config"], sort_keys=True)
    converter = converters.get(key)
    if converter is None:
        converter = converters[key] = fc.JsonConverter(dict(case["config"]))
    result: dict[str, Any] = {"id": case["id"]}
    if case.get("read") is not None:
        result["read"] = _our_read(converter, base64.b64decode(case["read"]))
    if "value" not in case:
        return result
    try:
        schema = our_schema(case["schema"])
        value = our_value(schema, case["value"])
    except Exception as exc:
        result["build"] = _error(exc)
        return result
    try:
        data = converter.from_connect_data(TOPIC, schema, value)
    except Exception as exc:
        result["write"] = _error(exc)
        return result
    result["write"] = {"b64": None if data is None else base64.b64encode(data).decode()}
    result["back"] = _our_read(converter, data)
    return result


# --- the vectors in neutral form ------------------------------------------------------------------

KAFKA_TYPES = {
    "int8": "INT8",
    "int16": "INT16",
    "int32": "INT32",
    "int64": "INT64",
    "float": "FLOAT32",
    "double": "FLOAT64",
    "boolean": "BOOLEAN",
    "string": "STRING",
    "bytes": "BYTES",
    "array": "ARRAY",
    "map": "MAP",
    "struct": "STRUCT",
}


def schema_from_kafka(k: Neutral) -> Neutral:
    """A schema in Kafka's JSON form (as the vectors hold it) → the neutral form."""
    if k is None:
        return None
    n: dict[str, Any] = {"type": KAFKA_TYPES[k["type"]], "optional": bool(k.get("optional", False))}
    for key in ("name", "version", "doc", "parameters"):
        if key in k:
            n[key] = k[key]
    if "items" in k:
        n["value"] = schema_from_kafka(k["items"])
    if "keys" in k:
        n["key"] = schema_from_kafka(k["keys"])
        n["value"] = schema_from_kafka(k["values"])
    if "fields" in k:
        n["fields"] = [{"name": f["field"], "schema": schema_from_kafka(f)} for f in k["fields"]]
    if "default" in k:
        n["default"] = _payload_to_neutral(n, k["default"])
    return n


def _payload_to_neutral(n: Neutral, v: Neutral) -> Neutral:
    """A value as Kafka's JSON payload holds it (base64 decimals) → the neutral form."""
    if v is None:
        return None
    if n.get("name") == DECIMAL and isinstance(v, str):
        unscaled = int.from_bytes(base64.b64decode(v), "big", signed=True)
        return str(decimal.Decimal(unscaled).scaleb(-int(n["parameters"]["scale"])))
    if n["type"] == "ARRAY":
        return [_payload_to_neutral(n["value"], x) for x in v]
    if n["type"] == "MAP":
        pairs = v.items() if isinstance(v, dict) else v
        return [[_payload_to_neutral(n["key"], a), _payload_to_neutral(n["value"], b)] for a, b in pairs]
    if n["type"] == "STRUCT":
        return {
            f["name"]: _payload_to_neutral(f["schema"], v[f["name"]]) for f in n["fields"] if f["name"] in v
        }
    return v


def _vector_to_neutral(n: Neutral, v: Neutral) -> Neutral:
    """A vector's value (ISO dates, hex bytes, ``"-0.0"``) → the neutral form."""
    if v is None or n is None:
        return v
    name, t = n.get("name"), n["type"]
    if name == DECIMAL:
        return v
    if name == DATE:
        return datetime.date.fromisoformat(v).toordinal() - EPOCH_ORDINAL
    if name == TIME:
        time = datetime.time.fromisoformat(v)
        return ((time.hour * 60 + time.minute) * 60 + time.second) * 1000 + time.microsecond // 1000
    if name == TIMESTAMP:
        return (datetime.datetime.fromisoformat(v.replace("Z", "+00:00")) - EPOCH) // datetime.timedelta(
            milliseconds=1
        )
    if t in ("FLOAT32", "FLOAT64"):
        return neutral_float(float(v))
    if t == "BYTES":
        return base64.b64encode(bytes.fromhex(v)).decode()
    if t == "ARRAY":
        return [_vector_to_neutral(n["value"], x) for x in v]
    if t == "MAP":
        pairs = v.items() if isinstance(v, dict) else v
        return [[_vector_to_neutral(n["key"], a), _vector_to_neutral(n["value"], b)] for a, b in pairs]
    if t == "STRUCT":
        return {
            f["name"]: _vector_to_neutral(f["schema"], v[f["name"]])
            for f in n["fields"]
            if v.get(f["name"]) is not None
        }
    return v


def vector_cases() -> list[dict[str, Any]]:
    """The vectors as cases: written from their value (modes both/write/write_error), read from
    their bytes (modes both/read/read_error)."""
    cases = []
    for vector in VECTORS:
        schema = schema_from_kafka(vector["schema"])
        case: dict[str, Any] = {
            "id": f"vector: {vector['name']}",
            "config": {k: str(v).lower() for k, v in vector["config"].items()},
            "schema": schema,
        }
        if vector["mode"] in ("both", "write", "write_error"):
            case["value"] = _vector_to_neutral(schema, vector["value"])
        if vector["mode"] in ("both", "read", "read_error") and vector["json"] is not None:
            case["read"] = base64.b64encode(vector["json"].encode()).decode()
        cases.append(case)
    return cases


# --- generated cases ------------------------------------------------------------------------------


@st.composite
def generated_pairs(draw: st.DrawFn) -> tuple[Neutral, Neutral]:
    schema = draw(schemas().flatmap(with_defaults))
    return schema, draw(values(schema))


def generated_cases(count: int) -> list[dict[str, Any]]:
    """``count`` schema/value pairs (fixed seed), each under every converter setting."""
    drawn = draw_examples(generated_pairs(), count)
    cases = []
    for i, (schema, value) in enumerate(drawn):
        for j, config in enumerate(CONFIGS):
            cases.append({"id": f"gen {i}/{j}", "config": config, "schema": schema, "value": value})
    return cases


# --- differences: named deviations and known bugs -------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One stage of one case where the two sides do not agree."""

    case: dict[str, Any]
    stage: str  # build | write | back | read
    java: dict[str, Any]
    ours: dict[str, Any]
    java_version: int

    def texts(self) -> tuple[str, str]:
        """The written JSON of both sides (stage ``write``, both wrote bytes)."""
        return _text(self.java), _text(self.ours)


def _text(outcome: dict[str, Any]) -> str:
    return base64.b64decode(outcome.get("b64") or "").decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Explanation:
    """A named reason for a kind of difference: documented (``doc`` is the text of its row in
    docs/compatibility.md) or a bug of ours (``doc`` is the reason of its xfail).

    For stage ``write`` an explanation is a ``rewrite`` of both texts that removes its difference
    (rewrites are applied one after another, so a case with two known causes is explained by
    both); for the other stages a ``matches`` predicate.
    """

    name: str
    doc: str
    matches: Callable[[Difference], bool] = lambda d: False
    rewrite: Callable[[Difference, str, str], tuple[str, str]] | None = None


def _values_in(schema: Neutral, v: Neutral) -> Iterator[tuple[Neutral, Neutral]]:
    """Every (schema, value) inside a neutral value, the value itself first."""
    yield schema, v
    if v is None or schema is None:
        return
    t = schema["type"]
    if t == "ARRAY":
        for x in v:
            yield from _values_in(schema["value"], x)
    elif t == "MAP":
        for k, x in v:
            yield from _values_in(schema["key"], k)
            yield from _values_in(schema["value"], x)
    elif t == "STRUCT":
        for f in schema["fields"]:
            yield from _values_in(f["schema"], v.get(f["name"]))


def _schemas_in(schema: Neutral) -> Iterator[Neutral]:
    if schema is None:
        return
    yield schema
    for key in ("key", "value"):
        yield from _schemas_in(schema.get(key))
    for f in schema.get("fields", []):
        yield from _schemas_in(f["schema"])


def _has_value(d: Difference, test: Callable[[Neutral, Neutral], bool]) -> bool:
    """Whether the case's value or any default in its schema holds a value that passes ``test``."""
    schema = d.case.get("schema")
    pairs = list(_values_in(schema, d.case.get("value")))
    for s in _schemas_in(schema):
        if "default" in s:
            pairs += _values_in(s, s["default"])
    return any(v is not None and s is not None and test(s, v) for s, v in pairs)


def _non_finite(s: Neutral, v: Neutral) -> bool:
    return s["type"] in ("FLOAT32", "FLOAT64") and v in ("NaN", "Infinity", "-Infinity")


def _negative_zero(s: Neutral, v: Neutral) -> bool:
    return s["type"] in ("FLOAT32", "FLOAT64") and isinstance(v, float) and v == 0 and math.copysign(1, v) < 0


def _out_of_python_range(s: Neutral, v: Neutral) -> bool:
    name = s.get("name")
    if name == DATE:
        return not PYTHON_DAYS[0] <= v <= PYTHON_DAYS[1]
    if name == TIMESTAMP:
        return not PYTHON_MILLIS[0] <= v <= PYTHON_MILLIS[1]
    return name == TIME and v == MILLIS_PER_DAY


def _both_read(d: Difference) -> bool:
    return d.stage in ("back", "read") and "error" not in d.java and "error" not in d.ours


def _only_ours_refuses(d: Difference) -> bool:
    return "error" in d.ours and "error" not in d.java


_SURROGATES = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})")


_NUMBER = re.compile(r'"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:E[-+]?\d+)?)')


def _jdk17_float_text(d: Difference, java: str, ours: str) -> tuple[str, str]:
    """Before Java 19 Double.toString and Float.toString could print more digits than needed
    (JDK-4511638); where the two texts of a number denote the same float, take ours."""
    if d.java_version >= 19:
        return java, ours
    mine = [m.group(1) for m in _NUMBER.finditer(ours) if m.group(1) is not None]
    theirs = [m for m in _NUMBER.finditer(java) if m.group(1) is not None]
    if len(mine) != len(theirs):
        return java, ours
    out, last = [], 0
    for m, number in zip(theirs, mine, strict=True):
        text = m.group(1)
        # The same double, or (a float32) the same float with Java's text the longer.
        same = text == number or (
            ("." in text or "E" in text)
            and (
                float(text) == float(number)
                or (_f32(float(text)) == _f32(float(number)) and len(text) > len(number))
            )
        )
        out += [java[last : m.start(1)], number if same else text]
        last = m.end(1)
    out.append(java[last:])
    return "".join(out), ours


def _f32(v: float) -> float:
    """``v`` rounded to float32 (beyond its range: infinity, as Java's ``(float)`` cast)."""
    try:
        return float(struct.unpack(">f", struct.pack(">f", v))[0])
    except OverflowError:
        return math.copysign(math.inf, v)


def _same_as_float32(d: Difference) -> bool:
    """Schemaless round trip of a float32 that Java 17 wrote with extra digits: read back as a
    double, it is another double, but the same float32."""
    if d.java_version >= 19 or not _both_read(d) or d.java["schema"] is not None:
        return False
    return canon_read(_as_float32(d.java)) == canon_read(_as_float32(d.ours))


def _nan(s: Neutral, v: Neutral) -> bool:
    return s["type"] in ("FLOAT32", "FLOAT64") and v == "NaN"


def _defaults(d: Difference) -> list[Neutral]:
    return [s for s in _schemas_in(d.case.get("schema")) if "default" in s]


def _has_value_in(schema: Neutral, v: Neutral, test: Callable[[Neutral, Neutral], bool]) -> bool:
    return any(x is not None and s is not None and test(s, x) for s, x in _values_in(schema, v))


DEVIATIONS = [
    Explanation(
        "JDK < 19 prints floats with extra digits",
        "prints some floats with more digits than needed",
        matches=_same_as_float32,
        rewrite=_jdk17_float_text,
    ),
    Explanation(
        "non-finite float read back",
        'reads the strings `"NaN"`, `"Infinity"`, `"-Infinity"` of a `float`/`double` schema as `0.0`',
        matches=lambda d: _both_read(d) and _has_value(d, _non_finite),
    ),
    Explanation(
        "negative zero read back",
        "reads `-0.0` as `0.0`",
        matches=lambda d: _both_read(d) and _has_value(d, _negative_zero),
    ),
    Explanation(
        "Decimal read from a JSON number takes the schema's scale",
        "a `Decimal` read from a JSON number has the schema's scale",
        matches=lambda d: _both_read(d) and canon_read(d.java, True) == canon_read(d.ours, True),
    ),
    Explanation(
        "integer out of its type's range refused on read",
        "an integer out of its schema type's range",
        # Also read back without a schema: an integer past 64 bits (a NUMERIC Decimal written
        # schemaless) is wrapped to its low 64 bits by Kafka.
        matches=lambda d: (
            d.stage in ("read", "back") and _only_ours_refuses(d) and "out of range" in d.ours["message"]
        ),
    ),
    Explanation(
        "Date/Timestamp outside Python's datetime",
        "outside Python's `datetime` range",
        matches=lambda d: (
            d.stage in ("back", "read") and _only_ours_refuses(d) and _has_value(d, _out_of_python_range)
        ),
    ),
]

# Bugs of ours the differential finds go here until fixed (none now: the two it found, astral
# characters and NaN defaults, were fixed).
KNOWN_BUGS: list[Explanation] = []


def explain(d: Difference) -> tuple[str, str] | None:
    """(kind, name) of the explanation of a difference: ``bug`` or ``deviation``; None if unexplained."""
    if d.stage == "write" and d.java.get("b64") is not None and d.ours.get("b64") is not None:
        java, ours = d.texts()
        used = []
        for kind, explanation in [("bug", e) for e in KNOWN_BUGS] + [("deviation", e) for e in DEVIATIONS]:
            if explanation.rewrite is None:
                continue
            rewritten = explanation.rewrite(d, java, ours)
            if rewritten != (java, ours):
                used.append((kind, explanation.name))
                java, ours = rewritten
        if java != ours or not used:
            return None
        kind = "bug" if any(k == "bug" for k, _ in used) else "deviation"
        return kind, " + ".join(name for _, name in used)
    for kind, explanations in (("bug", KNOWN_BUGS), ("deviation", DEVIATIONS)):
        for explanation in explanations:
            if explanation.matches(d):
                return kind, explanation.name
    return None


def differences(
    case: dict[str, Any], java: dict[str, Any], ours: dict[str, Any], java_version: int
) -> tuple[list[str], list[Difference]]:
    """The stages where both sides agree, and the differences."""
    if "build" in java or "build" in ours:
        if "build" in java and "build" in ours:
            return ["build"], []
        return [], [Difference(case, "build", java.get("build", {}), ours.get("build", {}), java_version)]
    agree, differ = [], []
    for stage in ("write", "back", "read"):
        j, o = java.get(stage), ours.get(stage)
        if j is None and o is None:
            continue
        j, o = j or {}, o or {}
        if stage == "write":
            same = ("error" in j and "error" in o) or ("b64" in j and "b64" in o and j["b64"] == o["b64"])
        else:
            same = canon_read(j) == canon_read(o)
        if same:
            agree.append(stage)
        else:
            differ.append(Difference(case, stage, j, o, java_version))
    return agree, differ


# --- running both sides ---------------------------------------------------------------------------


@dataclass
class Outcomes:
    cases: list[dict[str, Any]]
    java: list[dict[str, Any]]
    ours: list[dict[str, Any]]
    generated: int
    java_version: int


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    """Every case run by Kafka's JsonConverter (one JVM) and by ours."""
    work = tmp_path_factory.mktemp("json-converter-java")
    generated = generated_cases(GENERATED)
    cases = vector_cases() + generated
    java_out, version = run_java_cases([SOURCE], MAIN_CLASS, cases, work)
    converters: dict[str, fc.JsonConverter] = {}
    ours = [run_ours(c, converters) for c in cases]
    assert [o["id"] for o in java_out] == [c["id"] for c in cases]
    return Outcomes(cases, java_out, ours, len(generated) // len(CONFIGS), int(version.split(".")[-1]))


def _compare(outcomes: Outcomes) -> tuple[collections.Counter[str], dict[str, list[Difference]]]:
    """Counts by stage and outcome, and the differences by their explanation ("UNEXPLAINED" if none)."""
    counts: collections.Counter[str] = collections.Counter()
    found: dict[str, list[Difference]] = collections.defaultdict(list)
    for case, java, ours in zip(outcomes.cases, outcomes.java, outcomes.ours, strict=True):
        agree, differ = differences(case, java, ours, outcomes.java_version)
        for stage in agree:
            refused = stage == "build" or "error" in (java.get(stage) or {})
            counts[f"{stage}: {'both refuse' if refused else 'identical'}"] += 1
        for d in differ:
            explained = explain(d)
            label = "UNEXPLAINED" if explained is None else f"{explained[0]}: {explained[1]}"
            counts[f"{d.stage}: {label}"] += 1
            found[label].append(d)
    return counts, found


def _show(d: Difference) -> str:
    def text(outcome: dict[str, Any]) -> str:
        if outcome.get("b64"):
            return _text(outcome)[:600]
        return json.dumps(outcome, ensure_ascii=False)[:600]

    return (
        f"{d.case['id']} [{d.stage}] config={d.case['config']}\n"
        f"  schema={json.dumps(d.case.get('schema'), ensure_ascii=False)[:300]}\n"
        f"  value={json.dumps(d.case.get('value'), ensure_ascii=False)[:300]}\n"
        f"  java: {text(d.java)}\n  ours: {text(d.ours)}"
    )


def test_ours_matches_kafkas_json_converter(outcomes: Outcomes, report: Callable[[str], None]) -> None:
    counts, found = _compare(outcomes)
    report(
        f"JsonConverter vs Kafka 4.4.0: {len(VECTORS)} vectors + {outcomes.generated} generated cases "
        f"x {len(CONFIGS)} settings = {len(outcomes.cases)} runs"
    )
    for label, n in sorted(counts.items()):
        report(f"  {label:<60} {n:>6}")
    unexplained = found.get("UNEXPLAINED", [])
    assert not unexplained, f"{len(unexplained)} unexplained differences, e.g.:\n" + "\n".join(
        _show(d) for d in unexplained[:8]
    )


def test_every_deviation_is_documented() -> None:
    text = COMPATIBILITY.read_text()
    for deviation in DEVIATIONS:
        assert deviation.doc in text, f"no row in docs/compatibility.md for {deviation.name!r}"


def test_generated_cases_are_deterministic(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = generated_cases(200)
    assert generated_cases(200) == before
    # A module loaded meanwhile, full of constants, must not change them: hypothesis would draw
    # from its constants (neutral_form._without_local_constants).
    (tmp_path / "fc_constants_probe.py").write_text(
        "VALUES = "
        + repr([f"constant {i}" for i in range(200)] + list(range(-(10**6), -(10**6) + 200)))
        + "\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("fc_constants_probe")
    assert generated_cases(200) == before
