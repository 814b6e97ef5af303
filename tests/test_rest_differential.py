"""The REST API, differential: one scripted sequence of REST calls sent in the same order to Java
Kafka Connect 4.4.0 standalone and to ``ferroconnect standalone``, both running Kafka's FileStream
connectors with the same configs on the same broker (issue 14, item 3).

Each runtime is its own worker with the same worker keys, and its connectors write their own topic
and files; those names are the one thing a request differs in (:func:`personalise`), and are put
back to placeholders in the answers (:func:`per_runtime_names`). Every step compares the status
code and the body after the named normalisations of :data:`NORMALISATIONS`, which remove only what
must differ (worker ids, versions, timestamps, traces, plugin and logger lists, list orders Kafka
does not fix, the key order of maps Kafka does not order). A mismatch fails the test unless
:data:`KNOWN_DIFFERENCES` lists its step with the row of ``docs/compatibility.md`` that explains it
or the bug of ours it shows (reported); the mismatch table is printed either way.

Java runs ``connect-file`` 4.3.1 through the test shim (``scripts/java_connect.py``). File contents
are ASCII: Java's source offset ``position`` counts characters, ours bytes (docs/compatibility.md).
Like the broker, Java Connect fails the run under ``CI=true`` when it cannot start, and skips
elsewhere.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from rest_helpers import Standalone

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import java_connect
import kafka_broker

pytestmark = pytest.mark.broker

# Each runtime's own connector names too: a sink's consumer group is ``connect-<name>``, shared
# across workers on one broker.
SOURCE, SINK = "<source>", "<sink>"
LINES = [f"line {i}" for i in range(50)]  # ASCII, fewer than a batch (see test_file_stream.py)
# Worker keys both runtimes get, over Kafka's shipped connect-standalone.properties.
WORKER = {"offset.flush.interval.ms": "500"}


@dataclass(frozen=True)
class Runtime:
    """One side: its name, REST client and the names only it uses (placeholder -> concrete)."""

    name: str
    http: httpx.Client
    names: dict[str, str]


# --- what a request differs in, and its inverse on the answers


def fill(text: str, names: dict[str, str]) -> str:
    """The placeholders (``<source>``, ``<topic>``, ``<source-file>``...) filled in."""
    for placeholder, concrete in names.items():
        text = text.replace(placeholder, concrete)
    return text


def personalise(value: Any, names: dict[str, str]) -> Any:
    """A request body with the placeholders filled in."""
    return json.loads(fill(json.dumps(value), names))


# --- normalisations: each removes one thing that must differ between the two runtimes


def per_runtime_names(body: Any, side: Runtime, step: Step) -> Any:
    """Each runtime's own topic and files, back to their placeholders."""
    text = json.dumps(body)
    for placeholder, concrete in sorted(side.names.items(), key=lambda kv: -len(kv[1])):
        text = text.replace(json.dumps(concrete)[1:-1], placeholder)
    return json.loads(text)


def worker_ids(body: Any, side: Runtime, step: Step) -> Any:
    """``worker_id`` is each worker's advertised ``host:port``."""
    return _walk(body, lambda key, value: "<worker>" if key == "worker_id" else value)


def versions(body: Any, side: Runtime, step: Step) -> Any:
    """The runtime's version and commit (``GET /``), and a plugin's ``version``."""
    return _walk(body, lambda key, value: "<version>" if key in ("version", "commit") else value)


def traces(body: Any, side: Runtime, step: Step) -> Any:
    """A FAILED state's ``trace`` is a Java stack trace on one side, a Rust/Python one on the other."""
    return _walk(body, lambda key, value: "<trace>" if key == "trace" else value)


def timestamps(body: Any, side: Runtime, step: Step) -> Any:
    """A logger's ``last_modified`` (epoch milliseconds, or null)."""
    return _walk(body, lambda key, value: "<time>" if key == "last_modified" and value is not None else value)


def plugin_lists(body: Any, side: Runtime, step: Step) -> Any:
    """``GET /connector-plugins``: ferroconnect's own connectors (``ferroconnect.*``, which Java
    cannot have) left out; every plugin of Kafka's (``org.apache.kafka.*``) stays, in its place."""
    if step.path.startswith("/connector-plugins") and step.method == "GET" and isinstance(body, list):
        return [p for p in body if not str(p.get("class")).startswith("ferroconnect.")]
    return body


def logger_lists(body: Any, side: Runtime, step: Step) -> Any:
    """``/admin/loggers`` names each runtime's own loggers (log4j loggers, or ``tracing`` targets):
    the ``root`` entry as it is, the others only as their levels' shape; the answer to setting a
    level, whether it names the logger set."""
    if isinstance(body, dict) and "root" in body and all(isinstance(v, dict) for v in body.values()):
        return {"root": body["root"], "others": sorted({json.dumps(sorted(v)) for v in body.values()})}
    if step.method == "PUT" and step.path.startswith("/admin/loggers/") and isinstance(body, list):
        # The loggers the level was set on: the named one and those under it that the runtime knows.
        named = step.path.removeprefix("/admin/loggers/")
        return {"names the logger": named in body, "all strings": all(isinstance(n, str) for n in body)}
    return body


def unordered(body: Any, side: Runtime, step: Step) -> Any:
    """Lists whose order Kafka does not fix (connector names, topics, offsets' partitions): sorted."""
    if isinstance(body, list) and all(isinstance(v, str) for v in body):
        return sorted(body)
    if isinstance(body, dict):
        return {
            k: (sorted(v, key=json.dumps) if k in ("topics", "offsets") and isinstance(v, list) else v)
            for k, v in ((k, unordered(v, side, step)) for k, v in body.items())
        }
    return body


def map_key_order(body: Any, side: Runtime, step: Step) -> Any:
    """Maps whose order Kafka does not fix (Java ``HashMap``s): a connector's or task's config, a
    partition and an offset, and the connectors of ``GET /connectors?expand=``: keys sorted. Every
    other object keeps its keys in the order sent (an entity's, which Jackson fixes)."""

    def sort(value: Any) -> Any:
        return dict(sorted(value.items())) if isinstance(value, dict) else value

    if step.method == "GET" and step.path.endswith("/config") and "/connector-plugins/" not in step.path:
        return sort(body)
    if step.path.startswith("/connectors?expand="):
        body = sort(body)
    return _walk(body, lambda key, value: sort(value) if key in ("config", "partition", "offset") else value)


NORMALISATIONS: list[Callable[[Any, Runtime, Step], Any]] = [
    per_runtime_names,
    worker_ids,
    versions,
    traces,
    timestamps,
    plugin_lists,
    logger_lists,
    unordered,
    map_key_order,
]


def _walk(body: Any, change: Callable[[str, Any], Any]) -> Any:
    if isinstance(body, dict):
        return {k: change(k, _walk(v, change)) for k, v in body.items()}
    if isinstance(body, list):
        return [_walk(v, change) for v in body]
    return body


def normalise(body: Any, side: Runtime, step: Step) -> Any:
    for normalisation in NORMALISATIONS:
        body = normalisation(body, side, step)
    return body


# --- the script


@dataclass(frozen=True)
class Step:
    """One request, sent to both sides; then, optionally, a wait on each side."""

    name: str
    method: str
    path: str
    body: Any = None
    raw: bytes | None = None  # sent as is (with ``content_type``) instead of ``body`` as JSON
    content_type: str = "application/json"
    wait: Callable[[Runtime], None] | None = field(default=None, compare=False)


def state(connector: str, want: str, tasks: int = 1) -> Callable[[Runtime], None]:
    """Waits until the connector and its tasks are in ``want`` (``GET .../status``)."""

    def wait(side: Runtime) -> None:
        deadline = time.monotonic() + 60
        while True:
            response = side.http.get(fill(f"/connectors/{connector}/status", side.names))
            status = response.json()
            if response.status_code == 200:
                states = [status["connector"]["state"]] + [t["state"] for t in status["tasks"]]
                if len(states) == tasks + 1 and all(s == want for s in states):
                    return
            assert time.monotonic() < deadline, f"{side.name}: {connector} not {want}: {status}"
            time.sleep(0.1)

    return wait


def delivered(side: Runtime) -> None:
    """Waits until the sink file holds every line, and both connectors' offsets say so."""
    deadline = time.monotonic() + 60
    sink = Path(side.names["<sink-file>"])
    size = Path(side.names["<source-file>"]).stat().st_size
    want_source = [{"partition": {"filename": side.names["<source-file>"]}, "offset": {"position": size}}]
    while True:
        lines = sink.read_text().splitlines() if sink.exists() else []
        source = side.http.get(fill(f"{S}/offsets", side.names)).json().get("offsets")
        sink_offsets = side.http.get(fill(f"{K}/offsets", side.names)).json().get("offsets")
        if lines == LINES and source == want_source and sink_offsets:
            offsets = sink_offsets[0]["offset"]["kafka_offset"]
            if offsets == len(LINES):
                return
        assert time.monotonic() < deadline, f"{side.name}: {len(lines)} lines, {source}, {sink_offsets}"
        time.sleep(0.1)


def all_of(*waits: Callable[[Runtime], None]) -> Callable[[Runtime], None]:
    def wait(side: Runtime) -> None:
        for one in waits:
            one(side)

    return wait


SOURCE_CONFIG = {
    "connector.class": "FileStreamSource",
    "tasks.max": "1",
    "file": "<source-file>",
    "topic": "<topic>",
}
SINK_CONFIG = {
    "connector.class": "FileStreamSink",
    "tasks.max": "1",
    "file": "<sink-file>",
    "topics": "<topic>",
}
SOURCE_OFFSETS = {"offsets": [{"partition": {"filename": "<source-file>"}, "offset": {"position": 7}}]}
SINK_PARTITION = {"kafka_topic": "<topic>", "kafka_partition": 0}
SINK_OFFSETS = {"offsets": [{"partition": SINK_PARTITION, "offset": {"kafka_offset": 5}}]}
S, K = f"/connectors/{SOURCE}", f"/connectors/{SINK}"
LOGGER = "org.apache.kafka.connect.runtime.rest"

STEPS: list[Step] = [
    Step("root", "GET", "/"),
    Step("plugins", "GET", "/connector-plugins"),
    Step("plugins connectorsOnly=true", "GET", "/connector-plugins?connectorsOnly=true"),
    Step("plugins connectorsOnly=false", "GET", "/connector-plugins?connectorsOnly=false"),
    Step("plugin config source", "GET", "/connector-plugins/FileStreamSource/config"),
    Step("plugin config sink", "GET", "/connector-plugins/FileStreamSinkConnector/config"),
    Step(
        "validate good",
        "PUT",
        "/connector-plugins/FileStreamSource/config/validate",
        {**SOURCE_CONFIG, "name": SOURCE},
    ),
    Step(
        "validate bad",
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        {"connector.class": "FileStreamSink", "tasks.max": "0", "batch.size": "x"},
    ),
    Step(
        "validate sink without topics",
        "PUT",
        "/connector-plugins/FileStreamSink/config/validate",
        {"connector.class": "FileStreamSink", "name": "x", "file": "<sink-file>"},
    ),
    Step("list empty", "GET", "/connectors"),
    Step("create source", "POST", "/connectors", {"name": SOURCE, "config": SOURCE_CONFIG}),
    Step(
        "create sink",
        "POST",
        "/connectors",
        {"name": SINK, "config": SINK_CONFIG},
        wait=all_of(state(SOURCE, "RUNNING"), state(SINK, "RUNNING"), delivered),
    ),
    Step("list", "GET", "/connectors"),
    Step("list expand=status", "GET", "/connectors?expand=status"),
    Step("list expand=info", "GET", "/connectors?expand=info"),
    Step("list expand=status&info", "GET", "/connectors?expand=status&expand=info"),
    Step("get", "GET", S),
    Step("get sink", "GET", K),
    Step("config get", "GET", f"{S}/config"),
    Step("status", "GET", f"{S}/status"),
    Step("tasks", "GET", f"{S}/tasks"),
    Step("task status", "GET", f"{S}/tasks/0/status"),
    Step("topics source", "GET", f"{S}/topics"),
    Step("topics sink", "GET", f"{K}/topics"),
    Step("offsets get running", "GET", f"{S}/offsets"),
    Step("offsets get running sink", "GET", f"{K}/offsets"),
    Step("offsets patch running", "PATCH", f"{S}/offsets", SOURCE_OFFSETS),
    Step("offsets delete running", "DELETE", f"{S}/offsets"),
    Step(
        "config put",
        "PUT",
        f"{S}/config",
        {**SOURCE_CONFIG, "batch.size": "100"},
        wait=state(SOURCE, "RUNNING"),
    ),
    Step("config patch", "PATCH", f"{S}/config", {"batch.size": None}, wait=state(SOURCE, "RUNNING")),
    Step("config get after patch", "GET", f"{S}/config"),
    Step("pause", "PUT", f"{S}/pause", wait=state(SOURCE, "PAUSED")),
    Step("status paused", "GET", f"{S}/status"),
    Step("resume", "PUT", f"{S}/resume", wait=state(SOURCE, "RUNNING")),
    Step("restart", "POST", f"{S}/restart", wait=state(SOURCE, "RUNNING")),
    Step("restart includeTasks", "POST", f"{S}/restart?includeTasks=true", wait=state(SOURCE, "RUNNING")),
    Step("restart onlyFailed", "POST", f"{S}/restart?onlyFailed=true", wait=state(SOURCE, "RUNNING")),
    Step(
        "restart includeTasks onlyFailed",
        "POST",
        f"{S}/restart?includeTasks=true&onlyFailed=true",
        wait=state(SOURCE, "RUNNING"),
    ),
    Step("task restart", "POST", f"{S}/tasks/0/restart", wait=state(SOURCE, "RUNNING")),
    Step("topics reset", "PUT", f"{S}/topics/reset"),
    Step("topics after reset", "GET", f"{S}/topics"),
    Step("stop", "PUT", f"{S}/stop", wait=state(SOURCE, "STOPPED", tasks=0)),
    Step("stop sink", "PUT", f"{K}/stop", wait=state(SINK, "STOPPED", tasks=0)),
    Step("status stopped", "GET", f"{S}/status"),
    Step("tasks stopped", "GET", f"{S}/tasks"),
    Step("offsets get stopped", "GET", f"{S}/offsets"),
    Step("offsets get stopped sink", "GET", f"{K}/offsets"),
    Step("offsets patch stopped", "PATCH", f"{S}/offsets", SOURCE_OFFSETS),
    Step("offsets after patch", "GET", f"{S}/offsets"),
    Step("offsets patch stopped sink", "PATCH", f"{K}/offsets", SINK_OFFSETS),
    Step("offsets after patch sink", "GET", f"{K}/offsets"),
    Step("offsets delete stopped", "DELETE", f"{S}/offsets"),
    Step("offsets after delete", "GET", f"{S}/offsets"),
    Step("offsets delete stopped sink", "DELETE", f"{K}/offsets"),
    Step("offsets after delete sink", "GET", f"{K}/offsets"),
    Step("resume stopped", "PUT", f"{S}/resume", wait=state(SOURCE, "RUNNING")),
    Step("loggers", "GET", "/admin/loggers"),
    Step("logger root", "GET", "/admin/loggers/root"),
    Step("logger put", "PUT", f"/admin/loggers/{LOGGER}", {"level": "WARN"}),
    Step("logger get", "GET", f"/admin/loggers/{LOGGER}"),
    # The error cases.
    Step("unknown connector", "GET", "/connectors/no-such-connector"),
    Step("unknown connector status", "GET", "/connectors/no-such-connector/status"),
    Step("unknown task", "GET", f"{S}/tasks/7/status"),
    Step("duplicate create", "POST", "/connectors", {"name": SOURCE, "config": SOURCE_CONFIG}),
    Step("bad JSON", "POST", "/connectors", raw=b'{"name": "x", "config": {'),
    Step("bad JSON config put", "PUT", f"{S}/config", raw=b"[1, 2"),
    Step("wrong method", "DELETE", "/connectors"),
    Step("wrong method on a connector", "POST", S),
    Step(
        "wrong content type",
        "POST",
        "/connectors",
        raw=b"name=x",
        content_type="text/plain",
    ),
    Step(
        "invalid config",
        "POST",
        "/connectors",
        {"name": "diff-invalid", "config": {"connector.class": "FileStreamSink", "tasks.max": "0"}},
    ),
    Step("unknown plugin", "GET", "/connector-plugins/NoSuchConnector/config"),
    Step("delete source", "DELETE", S),
    Step("delete sink", "DELETE", K),
    Step("list after delete", "GET", "/connectors"),
]

COMPATIBILITY = Path(__file__).resolve().parents[1] / "docs" / "compatibility.md"
# Rows of docs/compatibility.md, by their first cell.
ROW_MALFORMED = (
    "a malformed REST request that Java answers with a 500 (a body that is not JSON, or JSON of the "
    "wrong type; `POST /connectors` without `config`; `PUT .../config/validate` without `connector.class`)"
)
ROW_FRAMEWORK_KEYS = (
    "the framework's connector keys in `GET /connector-plugins/{plugin}/config` and `PUT .../config/validate`"
)
# Where ours is simply wrong: reported, to be fixed (then the entry goes).
BUG_STATE_VERSION = "bug, reported: connector and task states lack `version` (the plugin's version)"
BUG_TOPICS_CHECK = (
    "bug, reported: a sink without topics/topics.regex: the error is on `topics` only (Kafka: on both), "
    "and missing when another key is invalid"
)
BUG_CONVERTER_KEYS = (
    "bug, reported: validate gives key/value/header.converter no default, value or recommended values "
    "(Kafka: the worker's converter and the installed converters)"
)
_VALIDATE = (f"docs/compatibility.md: {ROW_FRAMEWORK_KEYS}", BUG_CONVERTER_KEYS)
_STATUS = (BUG_STATE_VERSION,)

KNOWN_DIFFERENCES: dict[str, tuple[str, ...]] = {
    "plugin config source": (f"docs/compatibility.md: {ROW_FRAMEWORK_KEYS}",),
    "plugin config sink": (f"docs/compatibility.md: {ROW_FRAMEWORK_KEYS}",),
    "validate good": _VALIDATE,
    "validate bad": (*_VALIDATE, BUG_TOPICS_CHECK),
    "validate sink without topics": (*_VALIDATE, BUG_TOPICS_CHECK),
    "list expand=status": _STATUS,
    "list expand=status&info": _STATUS,
    "status": _STATUS,
    "task status": _STATUS,
    "status paused": _STATUS,
    "restart includeTasks": _STATUS,
    "restart onlyFailed": _STATUS,
    "restart includeTasks onlyFailed": _STATUS,
    "status stopped": _STATUS,
    "bad JSON": (f"docs/compatibility.md: {ROW_MALFORMED}",),
    "bad JSON config put": (f"docs/compatibility.md: {ROW_MALFORMED}",),
    "invalid config": (BUG_TOPICS_CHECK,),
}
"""Step name -> why its answers differ: the row of ``docs/compatibility.md`` (its first cell) that
explains it, or a bug of ours that was reported."""


def test_every_known_difference_names_a_row_of_the_compatibility_table() -> None:
    rows = {line.split(" | ")[0].removeprefix("| ") for line in COMPATIBILITY.read_text().splitlines()}
    for step, reasons in KNOWN_DIFFERENCES.items():
        assert step in {s.name for s in STEPS}, step
        for reason in reasons:
            if reason.startswith("docs/compatibility.md: "):
                assert reason.removeprefix("docs/compatibility.md: ") in rows, (step, reason)
            else:
                assert reason.startswith("bug, reported: "), (step, reason)


def _send(side: Runtime, step: Step) -> tuple[int, Any]:
    if step.raw is not None:
        content: bytes | None = step.raw
    elif step.body is not None:
        content = json.dumps(personalise(step.body, side.names)).encode()
    else:
        content = None
    headers = {"Content-Type": step.content_type, "Accept": "application/json"} if content else {}
    response = side.http.request(step.method, fill(step.path, side.names), content=content, headers=headers)
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = {"<not JSON>": response.text[:200]}
    return response.status_code, body


# --- the two workers


def _names(folder: Path, runtime: str) -> dict[str, str]:
    folder.mkdir()
    source = folder / "source.txt"
    source.write_text("".join(f"{line}\n" for line in LINES), encoding="ascii")
    unique = f"{runtime}-{uuid.uuid4().hex[:8]}"
    return {
        "<source>": f"diff-source-{unique}",
        "<sink>": f"diff-sink-{unique}",
        "<topic>": f"rest-diff-{unique}",
        "<source-file>": str(source),
        "<sink-file>": str(folder / "sink.txt"),
    }


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory, bootstrap_servers: str) -> Iterator[list[Runtime]]:
    """Java Connect 4.4.0 standalone and ferroconnect standalone, each with the same worker keys."""
    root = tmp_path_factory.mktemp("rest-diff")
    ours_names = _names(root / "ours", "ours")
    port = kafka_broker.free_port()
    props = {
        **java_connect.STANDALONE_DEFAULTS,
        **WORKER,
        "bootstrap.servers": bootstrap_servers,
        "listeners": f"http://127.0.0.1:{port}",
        "rest.advertised.host.name": "127.0.0.1",
        "rest.advertised.port": str(port),
        "offset.storage.file.filename": str(root / "ours" / "connect.offsets"),
    }
    ours = Standalone(root / "ours", props)  # starts while the JVM starts
    try:
        java_names = _names(root / "java", "java")
        try:
            java = java_connect.start(root / "java" / "state", bootstrap_servers, "standalone", WORKER)
        except (java_connect.ConnectStartError, kafka_broker.BrokerStartError) as exc:  # no JVM: the latter
            if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
                pytest.fail(f"Java Connect did not start: {exc}", pytrace=False)
            pytest.skip(f"Java Connect did not start: {exc}")
        try:
            # A new connection per request on both sides: a pooled keep-alive connection that the
            # server closes as it is reused fails the request ("Server disconnected without sending
            # a response", seen once in a CI rehearsal), which says nothing about either API.
            fresh = httpx.Limits(max_keepalive_connections=0)
            with (
                httpx.Client(base_url=java.url, timeout=90, limits=fresh) as j,
                httpx.Client(base_url=ours.url, timeout=60, limits=fresh) as o,
            ):
                yield [Runtime("java", j, java_names), Runtime("ours", o, ours_names)]
        finally:
            java.stop()
    finally:
        ours.stop()


def _short(body: Any, width: int = 60) -> str:
    text = json.dumps(body, sort_keys=True)
    return text if len(text) <= width else text[: width - 3] + "..."


def _name(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    if "class" in item:  # a plugin
        return f"{item.get('type')} {item['class']}"
    return item.get("name", item.get("definition", {}).get("name"))


def _named(items: list[Any]) -> dict[str, Any] | None:
    """Config definitions, validation entries or plugins, by name; else None."""
    names = [_name(item) for item in items]
    if items and all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return dict(zip(names, items, strict=True))
    return None


def differences(java: Any, ours: Any, path: str = "") -> list[str]:
    """Where two normalised answers differ, one line per JSON path (lists of config keys by name)."""
    if type(java) is not type(ours):
        return [f"{path or '.'}: {_short(java, 40)} vs {_short(ours, 40)}"]
    if isinstance(java, dict):
        found = [f"{path}.{k}: only Java's" for k in java if k not in ours]
        found += [f"{path}.{k}: only ours" for k in ours if k not in java]
        if [k for k in java if k in ours] != [k for k in ours if k in java]:
            found.append(f"{path or '.'}: keys in another order: {list(java)} vs {list(ours)}")
        for key in (k for k in java if k in ours):
            found += differences(java[key], ours[key], f"{path}.{key}")
        return found
    if isinstance(java, list):
        by_name, our_names = _named(java), _named(ours)
        if by_name is not None and our_names is not None:
            common = [n for n in by_name if n in our_names]
            found = []
            for owner, these, others in (("Java's", by_name, our_names), ("ours", our_names, by_name)):
                alone = [n for n in these if n not in others]
                if alone:
                    found.append(f"{path}: only {owner}: {', '.join(alone)}")
            if common != [n for n in our_names if n in by_name]:
                found.append(f"{path or '.'}: the entries both have are in another order")
            for name in common:
                found += differences(by_name[name], our_names[name], f"{path}[{name}]")
            return found
        if len(java) != len(ours):
            return [f"{path or '.'}: {_short(java, 40)} vs {_short(ours, 40)}"]
        pairs = enumerate(zip(java, ours, strict=True))
        return [line for i, (a, b) in pairs for line in differences(a, b, f"{path}[{i}]")]
    return [] if java == ours else [f"{path or '.'}: {_short(java, 40)} vs {_short(ours, 40)}"]


def test_the_same_rest_script_gets_the_same_answers(
    sides: list[Runtime], report: Callable[[str], None]
) -> None:
    """Every step to Java, then to ours (each waits for its own states); the answers compared after
    :data:`NORMALISATIONS`, object keys in order; the mismatch table printed."""
    rows: list[tuple[str, str, str, str]] = []
    details: list[list[str]] = []
    unexplained: list[str] = []
    for step in STEPS:
        answers = []
        for side in sides:
            status, body = _send(side, step)
            answers.append((status, normalise(body, side, step)))
            if step.wait is not None:
                step.wait(side)
        (java_status, java_body), (our_status, our_body) = answers
        if (java_status, json.dumps(java_body)) == (our_status, json.dumps(our_body)):
            continue
        reasons = KNOWN_DIFFERENCES.get(step.name)
        if reasons is None:
            unexplained.append(step.name)
        java_text, our_text = f"{java_status} {_short(java_body)}", f"{our_status} {_short(our_body)}"
        rows.append((step.name, java_text, our_text, "; ".join(reasons or ("NOT EXPLAINED",))))
        details.append(differences(java_body, our_body) if java_status == our_status else [])
    report(f"{len(STEPS)} steps, {len(rows)} mismatches ({len(unexplained)} not explained)")
    report("step | Java | ours | reason")
    for row, detail in zip(rows, details, strict=True):
        report(" | ".join(row))
        for line in detail:
            report(f"    {line}")
    stale = sorted(set(KNOWN_DIFFERENCES) - {r[0] for r in rows})
    assert not unexplained, f"mismatches not in KNOWN_DIFFERENCES: {unexplained}"
    assert not stale, f"KNOWN_DIFFERENCES that no longer differ: {stale}"
