"""Single message transforms written in Python, in an in-process pipeline on the embedded broker.

A source connector emits orders (schemaless dicts, written as JSON). On the source side, a Python
predicate ``HasField`` gates a Python transform ``Redact``: only orders that carry an
``email`` get it masked. On the sink side, ``ToCents`` (with ``apply_batch``: one Python call per
batch) converts amounts to cents and drops the orders marked as tests. The sink keeps what it
gets; the script prints it and exits 0 only if every order arrived as expected.

The same classes are first run without a worker through ``ferroconnect.testing.apply_transform``,
as a unit test of a transform would.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, ClassVar

import ferroconnect as fc
from ferroconnect.testing import apply_transform, match_predicate

ORDERS = 20


class HasField(fc.Predicate[fc.ConnectRecord]):
    """Matches records whose (dict) value has the field named by ``field``."""

    config_def = fc.ConfigDef().define("field", fc.Type.STRING, importance=fc.Importance.HIGH, doc="Field.")

    def configure(self, config: dict[str, str]) -> None:
        self.field = self.config().parse(config)["field"]

    def test(self, record: fc.ConnectRecord) -> bool:
        return isinstance(record.value, dict) and self.field in record.value


class Redact(fc.Transformation[fc.ConnectRecord]):
    """Replaces the value's ``field`` with ``***`` (source or sink records alike)."""

    config_def = fc.ConfigDef().define("field", fc.Type.STRING, importance=fc.Importance.HIGH, doc="Field.")

    def configure(self, config: dict[str, str]) -> None:
        self.field = self.config().parse(config)["field"]

    def apply(self, record: fc.ConnectRecord) -> fc.ConnectRecord | None:
        return record.new_record(value={**record.value, self.field: "***"})


class ToCents(fc.Transformation[fc.SinkRecord]):
    """Converts ``amount`` to integer cents and drops test orders, a batch at a time."""

    def apply_batch(self, records: list[fc.SinkRecord]) -> list[fc.SinkRecord | BaseException | None]:
        results: list[fc.SinkRecord | BaseException | None] = []
        for record in records:
            order = record.value
            if order.get("test"):
                results.append(None)  # dropped
            else:
                results.append(record.new_record(value={**order, "amount": round(order["amount"] * 100)}))
        return results


class OrdersSource(fc.SourceConnector):
    """One task emitting ``ORDERS`` orders to ``topic``; every third has an email, every fifth is a test."""

    config_def = fc.ConfigDef().define("topic", fc.Type.STRING, importance=fc.Importance.HIGH, doc="Topic.")

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SourceTask]:
        return OrdersTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class OrdersTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        # Resume after the last order whose offset was committed (a restart sends no order twice).
        saved = self.context.offset_storage_reader.offset({"orders": 1})
        self.next_id = saved["id"] + 1 if saved else 0
        self.stopping = threading.Event()

    def poll(self) -> list[fc.SourceRecord] | None:
        if self.next_id >= ORDERS:
            self.stopping.wait(0.1)
            return None
        first, self.next_id = self.next_id, ORDERS
        return [
            fc.SourceRecord({"orders": 1}, {"id": i}, self.topic, value=order(i))
            for i in range(first, ORDERS)
        ]

    def stop(self) -> None:
        self.stopping.set()


class KeepingSink(fc.SinkConnector):
    """Keeps every value it is given in ``KeepingSink.received``."""

    received: ClassVar[list[Any]] = []

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SinkTask]:
        return KeepingTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class KeepingTask(fc.SinkTask):
    def put(self, records: list[fc.SinkRecord]) -> None:
        KeepingSink.received.extend(r.value for r in records)


def order(i: int) -> dict[str, Any]:
    """Order ``i`` as the source emits it."""
    value: dict[str, Any] = {"id": i, "amount": 1.25 + i}
    if i % 3 == 0:
        value["email"] = f"buyer{i}@example.com"
    if i % 5 == 0:
        value["test"] = True
    return value


def expected() -> list[dict[str, Any]]:
    """What the sink should receive."""
    out = []
    for i in range(ORDERS):
        value = order(i)
        if value.get("test"):
            continue
        if "email" in value:
            value["email"] = "***"
        out.append({**value, "amount": round(value["amount"] * 100)})
    return out


def unit_check() -> None:
    """The transforms run without a worker, as in a unit test."""
    records = [fc.SourceRecord({"orders": 1}, {"id": i}, "orders", value=order(i)) for i in (0, 1)]
    assert match_predicate(HasField, {"field": "email"}, records) == [True, False]
    masked = apply_transform(Redact, {"field": "email"}, records[:1])[0]
    assert isinstance(masked, fc.SourceRecord) and masked.value["email"] == "***", masked
    print("unit check: ok")


def main(timeout: float = 60.0) -> int:
    """Runs the pipeline; returns the exit code."""
    unit_check()
    json_values = {
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    }
    with fc.EmbeddedKafka() as kafka, fc.Worker(kafka.bootstrap_servers) as worker:
        kafka.create_topic("orders", 1)
        worker.create_connector(
            "orders-source",
            {
                "connector.class": OrdersSource,
                "topic": "orders",
                **json_values,
                "transforms": "mask",
                "transforms.mask.type": Redact,
                "transforms.mask.field": "email",
                "transforms.mask.predicate": "has_email",
                "predicates": "has_email",
                "predicates.has_email.type": HasField,
                "predicates.has_email.field": "email",
            },
        )
        worker.create_connector(
            "orders-sink",
            {
                "connector.class": KeepingSink,
                "topics": "orders",
                **json_values,
                "transforms": "cents",
                "transforms.cents.type": ToCents,
            },
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(KeepingSink.received) < len(expected()):
            time.sleep(0.1)
        print(worker.status("orders-source"))
        print(worker.status("orders-sink"))
    for value in KeepingSink.received:
        print(value)
    ok = KeepingSink.received == expected()
    print(f"orders sent: {ORDERS}, received: {len(KeepingSink.received)}, as expected: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
