"""The neutral JSON form of Connect schemas and values that the differential tests against Kafka's
Java code share (``test_json_converter_java.py``, ``test_transforms_java.py``), with the helpers
both sides use: comparing neutral values, hypothesis strategies for schemas and values, and
compiling and running a Java program over cases (one JVM for all).

The form itself is described in ``tests/jvm/json/JsonConverterCases.java``; schemaless values of
transforms add tagged objects (``{"int32": 5}``, ``{"map": pairs}``...), described in
``tests/jvm/transforms/TransformCases.java``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import decimal
import json
import math
import os
import struct
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import java_connect  # noqa: E402
import kafka_broker  # noqa: E402

DECIMAL = "org.apache.kafka.connect.data.Decimal"
DATE = "org.apache.kafka.connect.data.Date"
TIME = "org.apache.kafka.connect.data.Time"
TIMESTAMP = "org.apache.kafka.connect.data.Timestamp"
LOGICAL = (DECIMAL, DATE, TIME, TIMESTAMP)
MILLIS_PER_DAY = 86_400_000
EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

Neutral = Any  # a neutral value or schema: JSON data


def neutral_float(v: float) -> Neutral:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float(v)


def canon(schema: Neutral, v: Neutral, scale_free: bool = False) -> Any:
    """A neutral value made comparable: types kept apart (``1`` is not ``1.0``), floats by their
    bits (``-0.0`` is not ``0.0``, NaN is NaN), maps as sorted pairs (order is Java's ``HashMap``'s).
    ``scale_free``: decimals by their numeric value (``156`` is ``156.00``)."""
    if v is None:
        return None
    if schema is None:
        return canon_schemaless(v)
    if isinstance(v, dict) and list(v) in (["type_mismatch"], ["logical_mismatch"]):
        # ferroconnect's value of another type; Kafka's value not of its logical type's class
        return (next(iter(v)), json.dumps(v, sort_keys=True))
    t = schema["type"]
    if scale_free and schema.get("name") == DECIMAL:
        return ("decimal", decimal.Decimal(v))
    if schema.get("name") in LOGICAL or t not in ("ARRAY", "MAP", "STRUCT"):
        return canon_scalar(v)
    if t == "ARRAY":
        return ("list", tuple(canon(schema["value"], x, scale_free) for x in v))
    if t == "MAP":
        pairs = [(canon(schema["key"], k, scale_free), canon(schema["value"], x, scale_free)) for k, x in v]
        return ("map", tuple(sorted(pairs, key=repr)))
    # Fields in the schema's order, an unset one as null (both sides write every field).
    fields = schema["fields"]
    return ("struct", tuple((f["name"], canon(f["schema"], v.get(f["name"]), scale_free)) for f in fields))


def canon_scalar(v: Neutral) -> Any:
    if isinstance(v, float):
        return ("float", struct.pack(">d", v) if not math.isnan(v) else "NaN")
    return (type(v).__name__, v)


def canon_schemaless(v: Neutral) -> Any:
    if isinstance(v, list):
        return ("list", tuple(canon_schemaless(x) for x in v))
    if isinstance(v, dict):  # {"map": pairs}, or another tag of a schemaless value (transforms)
        ((tag, x),) = v.items()
        if tag == "map":
            pairs = [(canon_schemaless(k), canon_schemaless(y)) for k, y in x]
            return ("map", tuple(sorted(pairs, key=repr)))
        if tag == "struct":
            return ("struct", canon_schema(x["schema"]), canon(x["schema"], x["value"]))
        if tag == "type_mismatch":
            return (tag, json.dumps(x, sort_keys=True))
        return (tag, canon_scalar(x))
    return canon_scalar(v)


def canon_schema(n: Neutral) -> Any:
    if n is None:
        return None
    out = {k: v for k, v in n.items() if k not in ("default", "fields", "key", "value", "parameters")}
    out["parameters"] = tuple(sorted((n.get("parameters") or {}).items()))
    if "default" in n:
        out["default"] = canon(n, n["default"])
    for key in ("key", "value"):
        if key in n:
            out[key] = canon_schema(n[key])
    if "fields" in n:
        out["fields"] = tuple((f["name"], canon_schema(f["schema"])) for f in n["fields"])
    return tuple(sorted(out.items(), key=lambda kv: kv[0]))


INT_RANGES = {"INT8": 7, "INT16": 15, "INT32": 31, "INT64": 63}
PYTHON_DAYS = (datetime.date.min.toordinal() - EPOCH_ORDINAL, datetime.date.max.toordinal() - EPOCH_ORDINAL)
PYTHON_MILLIS = (
    (datetime.datetime.min.replace(tzinfo=datetime.timezone.utc) - EPOCH)
    // datetime.timedelta(milliseconds=1),
    (datetime.datetime.max.replace(tzinfo=datetime.timezone.utc) - EPOCH)
    // datetime.timedelta(milliseconds=1),
)

names = st.text(min_size=1, max_size=6)
texts = st.text(max_size=12)


def ints(bits: int) -> st.SearchStrategy[int]:
    low, high = -(2**bits), 2**bits - 1
    return st.integers(low, high) | st.sampled_from([low, high, 0, -1])


def decimals(scale: int) -> st.SearchStrategy[str]:
    def text(unscaled: int) -> str:
        return str(decimal.Decimal((0 if unscaled >= 0 else 1, tuple(map(int, str(abs(unscaled)))), -scale)))

    return (st.integers(-(10**40), 10**40) | st.integers(-1000, 1000)).map(text)


@st.composite
def primitive_schemas(draw: st.DrawFn) -> Neutral:
    kind = draw(
        st.sampled_from(
            [
                *INT_RANGES,
                "FLOAT32",
                "FLOAT64",
                "BOOLEAN",
                "STRING",
                "BYTES",
                "Decimal",
                "Date",
                "Time",
                "Timestamp",
            ]
        )
    )
    if kind == "Decimal":
        scale = draw(st.sampled_from([0, 1, 2, 3, 10, 20, -2]))
        n = {"type": "BYTES", "name": DECIMAL, "version": 1, "parameters": {"scale": str(scale)}}
    elif kind in ("Date", "Time"):
        n = {"type": "INT32", "name": f"org.apache.kafka.connect.data.{kind}", "version": 1}
    elif kind == "Timestamp":
        n = {"type": "INT64", "name": TIMESTAMP, "version": 1}
    else:
        n = {"type": kind}
        if draw(st.integers(0, 9)) == 0:
            n["name"] = draw(names.filter(lambda s: s not in LOGICAL))
            n["version"] = draw(ints(31))
            n["doc"] = draw(texts)
            n["parameters"] = draw(st.dictionaries(names, texts, max_size=2))
    n["optional"] = draw(st.booleans())
    return n


def schemas() -> st.SearchStrategy[Neutral]:
    def extend(inner: st.SearchStrategy[Neutral]) -> st.SearchStrategy[Neutral]:
        arrays = st.builds(lambda v, o: {"type": "ARRAY", "value": v, "optional": o}, inner, st.booleans())
        maps = st.builds(
            lambda k, v, o: {"type": "MAP", "key": k, "value": v, "optional": o},
            primitive_schemas(),
            inner,
            st.booleans(),
        )
        structs = st.builds(
            lambda fields, o: {
                "type": "STRUCT",
                "fields": [{"name": n, "schema": s} for n, s in fields],
                "optional": o,
            },
            st.lists(st.tuples(names, inner), max_size=5, unique_by=lambda f: f[0]),
            st.booleans(),
        )
        return arrays | maps | structs

    return st.recursive(primitive_schemas(), extend, max_leaves=8)


def values(n: Neutral) -> st.SearchStrategy[Neutral]:
    """Neutral values of the neutral schema ``n`` (null when it is optional or has a default)."""
    strategy = present_values(n)
    if n.get("optional"):
        return st.none() | strategy
    return strategy


def present_values(n: Neutral) -> st.SearchStrategy[Neutral]:
    name, t = n.get("name"), n["type"]
    if name == DECIMAL:
        return decimals(int(n["parameters"]["scale"]))
    if name == DATE:
        return (
            st.integers(*PYTHON_DAYS)
            | st.sampled_from([0, -1, -719162, 2932896])
            | ints(31).filter(lambda d: d % 50 == 0)
        )
    if name == TIME:
        return st.integers(0, MILLIS_PER_DAY - 1) | st.sampled_from([0, MILLIS_PER_DAY - 1, MILLIS_PER_DAY])
    if name == TIMESTAMP:
        return st.integers(*PYTHON_MILLIS) | st.sampled_from([0, -1, *PYTHON_MILLIS]) | ints(63)
    if t in INT_RANGES:
        return ints(INT_RANGES[t])
    if t == "FLOAT32":
        return st.floats(width=32).map(neutral_float) | st.sampled_from(
            [-0.0, "NaN", "Infinity", "-Infinity"]
        )
    if t == "FLOAT64":
        specials = [
            -0.0,
            "NaN",
            "Infinity",
            "-Infinity",
            5e-324,
            1.7976931348623157e308,
            1e23,
            2.8287938480615901e17,
        ]
        return st.floats().map(neutral_float) | st.sampled_from(specials)
    if t == "BOOLEAN":
        return st.booleans()
    if t == "STRING":
        return st.text(max_size=16) | st.sampled_from(
            ["\U0001f600", "\x00\x1f\x7f\u2028\ufffd", '"\\/', "é\n\t"]
        )
    if t == "BYTES":
        return st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())
    if t == "ARRAY":
        return st.lists(values(n["value"]), max_size=4)
    if t == "MAP":
        return st.lists(
            st.tuples(values(n["key"]), values(n["value"])), max_size=4, unique_by=key_identity
        ).map(lambda pairs: [list(p) for p in pairs])
    return struct_values(n)


def key_identity(pair: tuple[Neutral, Neutral]) -> Any:
    """Keys equal in Python or in Java are one key (``0.0 == -0.0`` in a Python dict)."""
    key = pair[0]
    if isinstance(key, float) or key in ("NaN", "Infinity", "-Infinity"):
        return ("float", float(key) if key != "NaN" else "NaN")
    return json.dumps(key)


@st.composite
def struct_values(draw: st.DrawFn, n: Neutral) -> Neutral:
    out = {}
    for field in n["fields"]:
        schema = field["schema"]
        # A required field without a default is nearly always set (unset: both sides must refuse).
        required = not schema.get("optional") and "default" not in schema
        if (required and draw(st.integers(0, 49)) > 0) or draw(st.booleans()):
            value = draw(values(schema))
            if value is not None:
                out[field["name"]] = value
    return out


@st.composite
def with_defaults(draw: st.DrawFn, n: Neutral) -> Neutral:
    """The schema with a default drawn for some of its primitive and array schemas."""
    n = dict(n)
    if n["type"] == "ARRAY":
        n["value"] = draw(with_defaults(n["value"]))
    elif n["type"] == "MAP":
        n["value"] = draw(with_defaults(n["value"]))
    elif n["type"] == "STRUCT":
        n["fields"] = [{"name": f["name"], "schema": draw(with_defaults(f["schema"]))} for f in n["fields"]]
    if n["type"] != "STRUCT" and draw(st.integers(0, 3)) == 0:
        n["default"] = draw(present_values(n))
    return n


def unavailable(reason: str) -> NoReturn:
    """Fail under CI (the check must run there), skip on a machine without Java."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def draw_examples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of ``strategy``, the same on every run (hypothesis with a fixed seed,
    drawn without the constants of the modules loaded: see ``_without_local_constants``)."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        drawn.append(example)

    with _without_local_constants():
        collect()
    return drawn


@contextlib.contextmanager
def _without_local_constants() -> Iterator[None]:
    """Hypothesis (6.131 on) also draws from the constants it finds in the local modules loaded so
    far, so the same seed drew other examples in a full run than in one test file, and again after
    any new constant anywhere in ``tests/``: CI once drew a case no single-file run had. Without
    them, the examples depend only on the seed and the strategy. These are hypothesis's private
    names; where they are missing, draws keep hypothesis's own behaviour."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants

        cache, original = providers.CONSTANTS_CACHE.cache, providers._get_local_constants
    except (ImportError, AttributeError):
        yield
        return
    # Allowed constants are cached per choice type, computed with the local ones: cleared on the
    # way in and out, so that neither side reuses the other's.
    cache.clear()
    providers._get_local_constants = Constants
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.clear()


def run_java_cases(
    sources: Iterable[Path], main_class: str, cases: list[dict[str, Any]], work: Path
) -> tuple[list[dict[str, Any]], str]:
    """Compiles ``sources`` against Kafka Connect 4.4.0's jars and runs ``main_class`` once over
    ``cases`` (one JSON line each, read from ``cases.jsonl``, results written to ``java.jsonl``);
    returns the results and the first line of its standard output. Without Java or the jars:
    fails under ``CI=true``, skips elsewhere."""
    try:
        libs = java_connect.install()
        java = kafka_broker.java()
        javac = java_connect.javac()
    except (java_connect.ConnectStartError, kafka_broker.BrokerStartError) as exc:
        unavailable(f"Java Kafka Connect 4.4.0 is not available: {exc}")
    classpath = f"{libs}/*"
    compiled = subprocess.run(
        [javac, "-cp", classpath, "-d", str(work), *map(str, sources)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compiled.returncode == 0, f"javac failed:\n{compiled.stdout}{compiled.stderr}"
    (work / "cases.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases))
    ran = subprocess.run(
        [java, "-Xmx512m", "-cp", f"{work}{os.pathsep}{classpath}", main_class, "cases.jsonl", "java.jsonl"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, f"{main_class} failed:\n{ran.stdout}{ran.stderr}"
    # "\n" only: str.splitlines() would also split at U+2028 inside a string.
    lines = (work / "java.jsonl").read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines if line], ran.stdout.strip().splitlines()[0]
