"""The header converter, differential: ferroconnect's ``SimpleHeaderConverter`` against Kafka's own
(connect-runtime 4.4.0), through the JsonConverter differential's harness.

``JsonConverterCases`` runs a case with ``"converter": "header"`` through Kafka's
``SimpleHeaderConverter`` (``fromConnectHeader``, then ``toConnectHeader`` of what it wrote: the
round trip, which infers a schema from the text as Kafka's ``Values.parseString`` does), and a
case's own bytes through ``toConnectHeader`` (texts chosen to exercise the parser). The cases are
the JsonConverter differential's generated schema/value pairs (same seed; nested structs, arrays,
maps, logical types, optional fields, nulls, unicode, extreme numbers) and ``TEXTS``. Written bytes
must be identical, read values equal; a difference is allowed only when a named ``DEVIATIONS``
entry explains it, each with its row in ``docs/compatibility.md``.
"""

from __future__ import annotations

import base64
import collections
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import test_json_converter_java as jc
from ferroconnect import _core as fc
from neutral_form import run_java_cases

GENERATED = int(os.environ.get("FC_HEADER_DIFF_CASES", "1000"))
TOPIC = "t"
HEADER = "h"

# Header texts as a producer may send them: what Values.parseString makes of each.
TEXTS = [
    "",
    " ",
    "true",
    "FALSE",
    "null",
    "0",
    "-1",
    "127",
    "128",
    "32768",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "1.5",
    "-0.0",
    "1e10",
    "3.4028235E39",
    "NaN",
    "Infinity",
    "12345678901234567890.5",
    "text",
    '"quoted"',
    "[1, 2, 3]",
    "[1, 2.5]",
    '["a", "b"]',
    "[]",
    '{"a": 1, "b": 2}',
    '{"a": "x", "b": 2}',
    "{}",
    "[1, [2, 3]]",
    "2024-02-29",
    "23:59:59.999Z",
    "2024-02-29T23:59:59.999Z",
    "2024-02-29T23:59:59.999+0100",
    "[1,",
    "{1: 2}",
    "déjà vu ✓",
    "\t42\n",
]


@dataclass
class Outcomes:
    cases: list[dict[str, Any]]
    java: list[dict[str, Any]]
    ours: list[dict[str, Any]]
    java_version: int


def header_cases() -> list[dict[str, Any]]:
    """Every generated schema/value pair once (the JsonConverter settings do not apply), and
    ``TEXTS`` read from their UTF-8 bytes."""
    generated = [
        dict(c, converter="header", config={})
        for c in jc.generated_cases(GENERATED)
        if c["id"].endswith("/0")
    ]
    texts = [
        {
            "id": f"text {i}: {text!r}",
            "converter": "header",
            "config": {},
            "read": base64.b64encode(text.encode()).decode(),
        }
        for i, text in enumerate(TEXTS)
    ]
    return generated + texts


def _read(converter: fc.SimpleHeaderConverter, data: bytes | None) -> dict[str, Any]:
    try:
        got = converter.to_connect_header(TOPIC, HEADER, data)
        return {"schema": jc.neutral_schema(got.schema), "value": jc.neutral_value(got.schema, got.value)}
    except Exception as exc:  # an error is an outcome to compare
        return {"error": type(exc).__name__, "message": str(exc)}


def run_ours(case: dict[str, Any], converter: fc.SimpleHeaderConverter) -> dict[str, Any]:
    """What ferroconnect does with a case, in the shape of the Java program's output line."""
    result: dict[str, Any] = {"id": case["id"]}
    if case.get("read") is not None:
        result["read"] = _read(converter, base64.b64decode(case["read"]))
    if "value" not in case:
        return result
    try:
        schema = jc.our_schema(case["schema"])
        value = jc.our_value(schema, case["value"])
    except Exception as exc:
        result["build"] = {"error": type(exc).__name__, "message": str(exc)}
        return result
    try:
        data = converter.from_connect_header(TOPIC, HEADER, schema, value)
    except Exception as exc:
        result["write"] = {"error": type(exc).__name__, "message": str(exc)}
        return result
    result["write"] = {"b64": None if data is None else base64.b64encode(data).decode()}
    result["back"] = _read(converter, data)
    return result


def _texts(d: jc.Difference) -> tuple[str, str] | None:
    """The two texts a difference is about: the written header, or a header read back as text."""
    if d.stage == "write" and d.java.get("b64") is not None and d.ours.get("b64") is not None:
        return d.texts()
    if d.stage == "back" and "error" not in d.java and "error" not in d.ours:
        java, ours = d.java.get("value"), d.ours.get("value")
        if isinstance(java, str) and isinstance(ours, str) and d.java["schema"] == d.ours["schema"]:
            return java, ours
    return None


def _same_but_float_digits(d: jc.Difference, java: str, ours: str) -> bool:
    return java != ours and jc._jdk17_float_text(d, java, ours)[0] == ours


def _jdk17_float_text(d: jc.Difference, written: tuple[str, str] | None) -> bool:
    """The texts differ only in Java's extra float digits; or, read back, the values differ
    because the texts written did (Java's ``2.82879384806159008E17`` is another long)."""
    texts = _texts(d)
    if texts is not None and _same_but_float_digits(d, *texts):
        return True
    return d.stage == "back" and written is not None and _same_but_float_digits(d, *written)


# The Java exceptions Kafka's SimpleHeaderConverter lets out of toConnectHeader for texts it
# writes itself or that a producer may send (Values.parseString's map and array inference).
_JAVA_FAILURES = (
    "unexpected schemaless value of class",  # a map mixing Date/Time/Decimal with other values
    "cannot be cast to class",  # a map of lists mixing strings and numbers
    'Cannot invoke "org.apache.kafka.connect.data.SchemaAndValue.schema()"',  # the text "null"
)


def _java_fails_ours_reads(d: jc.Difference) -> bool:
    return (
        d.stage in ("back", "read")
        and "error" in d.java
        and "error" not in d.ours
        and any(m in d.java["message"] for m in _JAVA_FAILURES)
    )


def _python_time_of_day(d: jc.Difference) -> bool:
    """A Time of 24:00:00.000 (``86400000``), which Java reads and Python cannot hold."""
    return (
        d.stage in ("back", "read")
        and "error" not in d.java
        and "cannot be represented as a datetime" in d.ours.get("message", "")
    )


DEVIATIONS: dict[str, tuple[str, Callable[[jc.Difference, tuple[str, str] | None], bool]]] = {
    # name: (the text of its row in docs/compatibility.md, whether it explains a difference)
    "JDK < 19 prints floats with extra digits": (
        "prints some floats with more digits than needed",
        _jdk17_float_text,
    ),
    "Kafka's SimpleHeaderConverter throws on some texts": (
        "`SimpleHeaderConverter` throws a Java exception",
        lambda d, _: _java_fails_ours_reads(d),
    ),
    "Time 24:00 outside Python's time": (
        "outside Python's `datetime` range",
        lambda d, _: _python_time_of_day(d),
    ),
}


def _text_where_java_infers(d: jc.Difference) -> bool:
    java_type = ((d.java.get("schema") or {}) if "error" not in d.java else {}).get("type")
    ours_type = ((d.ours.get("schema") or {}) if "error" not in d.ours else {}).get("type")
    return d.stage in ("back", "read") and java_type in ("MAP", "ARRAY") and ours_type == "STRING"


KNOWN_BUGS: dict[str, Callable[[jc.Difference], bool]] = {
    # Found by this test, to be fixed in data/values_parse.rs (then the entry goes): Kafka's
    # Values.parseString infers a map or an array whose elements mix logical types (Date and Time
    # keys, Timestamp and Time items) or hold maps next to nulls; ours gives up and keeps the text.
    "bug: a map or array Java infers is read as text": _text_where_java_infers,
}


def explain(d: jc.Difference, written: tuple[str, str] | None) -> str | None:
    """The name of the deviation (or known bug) that explains ``d``; ``written`` are the two header
    texts."""
    deviation = next((name for name, (_, test) in DEVIATIONS.items() if test(d, written)), None)
    return deviation or next((name for name, test in KNOWN_BUGS.items() if test(d)), None)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    """Every case run by Kafka's SimpleHeaderConverter (one JVM) and by ours."""
    work = tmp_path_factory.mktemp("header-converter-java")
    cases = header_cases()
    java_out, version = run_java_cases([jc.SOURCE], jc.MAIN_CLASS, cases, work)
    converter = fc.SimpleHeaderConverter()
    ours = [run_ours(c, converter) for c in cases]
    assert [o["id"] for o in java_out] == [c["id"] for c in cases]
    return Outcomes(cases, java_out, ours, int(version.split(".")[-1]))


def test_ours_matches_kafkas_simple_header_converter(
    outcomes: Outcomes, report: Callable[[str], None]
) -> None:
    counts: collections.Counter[str] = collections.Counter()
    unexplained: list[jc.Difference] = []
    for case, java, ours in zip(outcomes.cases, outcomes.java, outcomes.ours, strict=True):
        agree, differ = jc.differences(case, java, ours, outcomes.java_version)
        written = None
        if (java.get("write") or {}).get("b64") and (ours.get("write") or {}).get("b64"):
            written = (jc._text(java["write"]), jc._text(ours["write"]))
        for stage in agree:
            refused = stage == "build" or "error" in (java.get(stage) or {})
            counts[f"{stage}: {'both refuse' if refused else 'identical'}"] += 1
        for d in differ:
            name = explain(d, written)
            label = "UNEXPLAINED" if name is None else name if name in KNOWN_BUGS else f"deviation: {name}"
            counts[f"{d.stage}: {label}"] += 1
            if name is None:
                unexplained.append(d)
    report(
        f"SimpleHeaderConverter vs Kafka 4.4.0: {len(outcomes.cases)} cases "
        f"({len(outcomes.cases) - len(TEXTS)} generated values, {len(TEXTS)} texts)"
    )
    for label, n in sorted(counts.items()):
        report(f"  {label:<60} {n:>6}")
    assert not unexplained, f"{len(unexplained)} unexplained differences, e.g.:\n" + "\n".join(
        jc._show(d) for d in unexplained[:8]
    )


def test_every_deviation_names_a_row_of_the_compatibility_table() -> None:
    text = jc.COMPATIBILITY.read_text()
    for name, (doc, _) in DEVIATIONS.items():
        assert doc in text, name
