"""Structs end to end on Apache Kafka: a Python source emits them with the JsonConverter
(schemas enabled), a Python sink receives equal Structs; the schema changes mid-stream (the
developer guide's ALTER TABLE case) and nothing caches the old one."""

from __future__ import annotations

import datetime
import decimal
import threading
from typing import Any

import ferroconnect as fc
import pytest
from sink_helpers import SINK_WORKER_SETTINGS, wait_for
from source_helpers import create_topic

V1 = (
    fc.SchemaBuilder.struct()
    .name("com.example.User")
    .version(1)
    .field("name", fc.Schema.STRING)
    .field("age", fc.Schema.INT32)
    .field("admin", fc.SchemaBuilder.bool().default(False).build())
    .field("balance", fc.Decimal.schema(2))
    .field("born", fc.Date.SCHEMA)
    .field("seen", fc.Timestamp.SCHEMA)
    .field("tags", fc.SchemaBuilder.array(fc.Schema.STRING).build())
    .field("scores", fc.SchemaBuilder.map(fc.Schema.STRING, fc.Schema.FLOAT64).build())
    .field("avatar", fc.Schema.OPTIONAL_BYTES)
    .build()
)
# ALTER TABLE users ADD COLUMN email: a new optional field, a new schema version.
V2 = (
    fc.SchemaBuilder.struct()
    .name("com.example.User")
    .version(2)
    .field("name", fc.Schema.STRING)
    .field("age", fc.Schema.INT32)
    .field("email", fc.Schema.OPTIONAL_STRING)
    .build()
)


def user_v1(i: int) -> fc.Struct:
    return (
        fc.Struct(V1)
        .put("name", f"user {i}")
        .put("age", 20 + i)
        .put("admin", i % 2 == 0)
        .put("balance", decimal.Decimal(f"{i}.25"))
        .put("born", datetime.date(1990, 1, 1 + i))
        .put("seen", datetime.datetime(2026, 11, 24, 12, 0, i, tzinfo=datetime.timezone.utc))
        .put("tags", ["a", f"t{i}"])
        .put("scores", {"x": i / 2})
        .put("avatar", bytes([i]) if i % 3 else None)
    )


def user_v2(i: int) -> fc.Struct:
    return fc.Struct(V2).put("name", f"user {i}").put("age", 20 + i).put("email", f"u{i}@example.com")


def fresh_users() -> list[fc.Struct]:
    return [user_v1(i) for i in range(5)] + [user_v2(i) for i in range(5, 10)]


EXPECTED = fresh_users()


class UserSource(fc.SourceConnector):
    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SourceTask]:
        return UserSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.settings)]


class UserSourceTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        # Fresh Structs, which only their records refer to, are moved into the runtime rather
        # than copied; the shared ones of EXPECTED must be copied.
        self.fresh = config.get("fresh")
        self.sent = False
        self.batches = [(0, 5, user_v1, V1), (5, 10, user_v2, V2)]
        self.stopping = threading.Event()

    def poll(self) -> list[fc.SourceRecord] | fc.SourceBatch | None:
        if self.fresh == "batch" and self.batches:
            # One SourceBatch per schema, its Structs built here (moved, not copied).
            first, end, user, schema = self.batches.pop(0)
            rows = range(first, end)
            return fc.SourceBatch(
                {"table": "users"},
                self.topic,
                [user(i) for i in rows],
                list(rows),
                offset_key="row",
                keys=list(rows),
                key_schema=fc.Schema.INT64,
                value_schema=schema,
            )
        if self.sent or self.fresh == "batch":
            self.stopping.wait(0.1)
            return None
        self.sent = True
        return [
            fc.SourceRecord(
                {"table": "users"},
                {"row": i},
                self.topic,
                key_schema=fc.Schema.INT64,
                key=i,
                value_schema=user.schema,
                value=user,
            )
            for i, user in enumerate(fresh_users() if self.fresh == "list" else EXPECTED)
        ]

    def stop(self) -> None:
        self.stopping.set()


RECEIVED: dict[str, list[Any]] = {}


class UserSink(fc.SinkConnector):
    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SinkTask]:
        return UserSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.settings)]


class UserSinkTask(fc.SinkTask):
    def start(self, config: dict[str, str]) -> None:
        self.received = RECEIVED.setdefault(config["topics"], [])

    def put(self, records: list[fc.SinkRecord]) -> None:
        self.received.extend((r.key, r.value_schema, r.value) for r in records)


@pytest.mark.parametrize("fresh", ["kept", "list", "batch"])
def test_structs_survive_the_json_converter_through_kafka(
    bootstrap_servers: str, topic_name: str, fresh: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    json = "org.apache.kafka.connect.json.JsonConverter"
    settings = {
        **SINK_WORKER_SETTINGS,
        "key.converter": json,
        "value.converter": json,
        "key.converter.schemas.enable": "true",
        "value.converter.schemas.enable": "true",
    }
    with fc.Worker(bootstrap_servers, **settings) as worker:
        source = {"connector.class": UserSource, "topic": topic_name, "fresh": fresh}
        worker.create_connector("users-in", source)
        worker.create_connector("users-out", {"connector.class": UserSink, "topics": topic_name})
        try:
            wait_for(lambda: len(RECEIVED.get(topic_name, [])) >= len(EXPECTED), what="every struct")
        except TimeoutError as timeout:
            raise AssertionError(f"{worker.status('users-in')}\n{worker.status('users-out')}") from timeout
    received = RECEIVED[topic_name]
    assert [key for key, _, _ in received] == list(range(len(EXPECTED)))
    assert [value for _, _, value in received] == EXPECTED
    assert [schema for _, schema, _ in received] == [V1] * 5 + [V2] * 5
    first = received[0][2]
    assert first.get("balance") == decimal.Decimal("0.25")
    assert first.get("born") == datetime.date(1990, 1, 1)
    assert first.get("seen") == datetime.datetime(2026, 11, 24, 12, 0, 0, tzinfo=datetime.timezone.utc)
    assert received[7][2].get("email") == "u7@example.com"
