"""Kafka Connect's metrics on the real broker: a source→sink run whose scraped ``GET /metrics``
counters match the record counts, the same figures from ``Worker.metrics()``, a tolerated bad
record in ``task-error-metrics``, a dashboard-style query (records/s per task) answered from two
scrapes, metrics going with their connector, and the ``ferroconnect.metrics.enabled`` switch."""

from __future__ import annotations

import functools
import math
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

import ferroconnect as fc
import httpx
import pytest
from cluster_helpers import ClusterWorker, all_running, cluster_props, generator, statuses, wait_for
from rest_helpers import rest_worker
from source_helpers import create_topic, wait_until

#: Records the fixed source writes, in polls of BATCH.
RECORDS = 1000
BATCH = 100

#: ``name{labels} value`` lines of the Prometheus text format.
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: httpx.Client) -> Samples:
    """``GET /metrics`` parsed: the value of every sample, by name and label set."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    samples: Samples = {}
    for line in response.text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        samples[(name, frozenset(LABEL.findall(labels or "")))] = float(value)
    assert response.text.endswith("# EOF\n")
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The one sample of ``name`` with exactly these labels."""
    return samples[(name, frozenset(labels.items()))]


def by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    """Every sample of ``name``, by the value of one of its labels."""
    return {dict(k[1])[label]: v for k, v in samples.items() if k[0] == name}


class FixedSource(fc.SourceConnector):
    """One task writing ``RECORDS`` JSON records in polls of ``BATCH``, then nothing."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return FixedTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]

    def version(self) -> str:
        return "1.2.3"


class FixedTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        self.sent = 0
        self.stopping = threading.Event()

    def poll(self) -> list[fc.SourceRecord] | None:
        if self.sent >= RECORDS:
            self.stopping.wait(0.1)
            return None
        batch = [
            fc.SourceRecord({"p": 0}, {"n": n}, self.topic, value={"n": n})
            for n in range(self.sent, self.sent + BATCH)
        ]
        self.sent += BATCH
        return batch

    def stop(self) -> None:
        self.stopping.set()


class PacedSource(fc.SourceConnector):
    """``tasks.max`` tasks, each writing 20 records every 50 ms (at most 400 records/s)."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return PacedTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings for _ in range(max_tasks)]


class PacedTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        self.stopping = threading.Event()

    def poll(self) -> list[fc.SourceRecord] | None:
        self.stopping.wait(0.05)
        return [fc.SourceRecord(None, None, self.topic, value="x") for _ in range(20)]

    def stop(self) -> None:
        self.stopping.set()


class CountingSink(fc.SinkConnector):
    """Tasks that count what ``put`` is given."""

    received: ClassVar[list[Any]] = []

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SinkTask]:
        return CountingSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class CountingSinkTask(fc.SinkTask):
    def put(self, records: list[fc.SinkRecord]) -> None:
        CountingSink.received.extend(r.value for r in records)


def _produce_raw(bootstrap: str, topic: str, value: bytes) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, value)
    assert producer.flush(30) == 0


def test_a_source_to_sink_run_scrapes_counters_that_match_the_records(bootstrap_servers: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    topic, dlq = f"metrics-{suffix}", f"metrics-dlq-{suffix}"
    create_topic(bootstrap_servers, topic)
    # A record the sink's JsonConverter cannot read, tolerated and sent to the dead letter queue.
    _produce_raw(bootstrap_servers, topic, b"not json{")
    CountingSink.received = []
    json = "org.apache.kafka.connect.json.JsonConverter"
    with rest_worker(bootstrap_servers, offset_flush_interval_ms=500) as (worker, client):
        worker.create_connector(
            "src",
            {
                "connector.class": FixedSource,
                "topic": topic,
                "value.converter": json,
                "value.converter.schemas.enable": "false",
            },
        )
        worker.create_connector(
            "snk",
            {
                "connector.class": CountingSink,
                "topics": topic,
                "value.converter": json,
                "value.converter.schemas.enable": "false",
                "errors.tolerance": "all",
                "errors.log.enable": "true",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
            },
        )
        src, snk = {"connector": "src", "task": "0"}, {"connector": "snk", "task": "0"}
        wait_until(lambda: len(CountingSink.received) >= RECORDS, 60, "the sink to get every record")

        def settled() -> bool:
            s = scrape(client)
            return (
                value(s, "kafka_connect_source_task_metrics_source_record_write_total", **src) == RECORDS
                and value(s, "kafka_connect_sink_task_metrics_offset_commit_completion_total", **snk) >= 1
                and value(s, "kafka_connect_task_error_metrics_deadletterqueue_produce_requests", **snk) == 1
                # The source's offsets stored at least once (NaN before: no commit in the window).
                and value(s, "kafka_connect_connector_task_metrics_offset_commit_max_time_ms", **src) >= 0
            )

        wait_until(settled, 30, "the source's writes to be acknowledged and the sink to commit")
        s = scrape(client)

        # Records: exactly what the source wrote and the sink was given.
        assert value(s, "kafka_connect_source_task_metrics_source_record_poll_total", **src) == RECORDS
        assert value(s, "kafka_connect_source_task_metrics_source_record_write_total", **src) == RECORDS
        assert value(s, "kafka_connect_source_task_metrics_source_record_active_count", **src) == 0
        assert value(s, "kafka_connect_sink_task_metrics_sink_record_read_total", **snk) == RECORDS + 1
        assert value(s, "kafka_connect_sink_task_metrics_sink_record_send_total", **snk) == RECORDS
        assert len(CountingSink.received) == RECORDS
        assert value(s, "kafka_connect_sink_task_metrics_partition_count", **snk) == 1
        assert value(s, "kafka_connect_connector_task_metrics_batch_size_max", **src) == BATCH
        assert value(s, "kafka_connect_source_task_metrics_source_record_poll_rate", **src) > 0
        assert value(s, "kafka_connect_source_task_metrics_poll_batch_max_time_ms", **src) >= 0

        # Offset commits: each attempt has a sequence number; every one succeeded.
        completions = value(s, "kafka_connect_sink_task_metrics_offset_commit_completion_total", **snk)
        assert value(s, "kafka_connect_sink_task_metrics_offset_commit_seq_no", **snk) == completions
        for labels in (src, snk):
            assert (
                value(s, "kafka_connect_connector_task_metrics_offset_commit_success_percentage", **labels)
                == 1
            )
            assert (
                value(s, "kafka_connect_connector_task_metrics_offset_commit_failure_percentage", **labels)
                == 0
            )
            assert value(s, "kafka_connect_connector_task_metrics_offset_commit_max_time_ms", **labels) >= 0

        # The tolerated bad record.
        errors = {
            "total_record_failures": 1,
            "total_record_errors": 1,
            "total_records_skipped": 1,
            "total_errors_logged": 1,
            "total_retries": 0,
            "deadletterqueue_produce_requests": 1,
            "deadletterqueue_produce_failures": 0,
        }
        for name, expected in errors.items():
            assert value(s, f"kafka_connect_task_error_metrics_{name}", **snk) == expected, name
            assert value(s, f"kafka_connect_task_error_metrics_{name}", **src) == 0, name
        last_error = value(s, "kafka_connect_task_error_metrics_last_error_timestamp", **snk)
        assert abs(last_error / 1000 - time.time()) < 120

        # The worker, its connectors and tasks.
        assert value(s, "kafka_connect_connect_worker_metrics_connector_count") == 2
        assert value(s, "kafka_connect_connect_worker_metrics_task_count") == 2
        assert value(s, "kafka_connect_connect_worker_metrics_connector_startup_success_total") == 2
        assert value(s, "kafka_connect_connect_worker_metrics_task_startup_success_total") == 2
        assert value(s, "kafka_connect_connect_worker_metrics_task_startup_failure_percentage") == 0
        for name in ("src", "snk"):
            assert (
                value(s, "kafka_connect_connect_worker_metrics_connector_running_task_count", connector=name)
                == 1
            )
            assert (
                value(s, "kafka_connect_connect_worker_metrics_connector_failed_task_count", connector=name)
                == 0
            )
            assert value(s, "kafka_connect_connector_metrics_status", connector=name, status="running") == 1
            assert (
                value(
                    s,
                    "kafka_connect_connector_task_metrics_status",
                    connector=name,
                    task="0",
                    status="running",
                )
                == 1
            )
            assert (
                0.5
                < value(s, "kafka_connect_connector_task_metrics_running_ratio", connector=name, task="0")
                <= 1
            )
            assert value(s, "kafka_connect_connector_task_metrics_pause_ratio", connector=name, task="0") == 0
        assert (
            value(
                s, "kafka_connect_connector_metrics_connector_type", connector="src", connector_type="source"
            )
            == 1
        )
        assert (
            value(s, "kafka_connect_connector_metrics_connector_type", connector="snk", connector_type="sink")
            == 1
        )
        assert (
            value(
                s,
                "kafka_connect_connector_metrics_connector_version",
                connector="src",
                connector_version="1.2.3",
            )
            == 1
        )
        classes = by_label(s, "kafka_connect_connector_metrics_connector_class", "connector_class")
        assert any(c.endswith("FixedSource") for c in classes), classes

        # Python reads the same metrics under Kafka's own names.
        metrics = worker.metrics()
        assert all(set(m) == {"group", "name", "tags", "value"} for m in metrics)
        polled = [
            m
            for m in metrics
            if m["group"] == "source-task-metrics" and m["name"] == "source-record-poll-total"
        ]
        assert polled == [
            {
                "group": "source-task-metrics",
                "name": "source-record-poll-total",
                "tags": src,
                "value": RECORDS,
            }
        ]
        read = next(m for m in metrics if m["name"] == "sink-record-read-total")
        assert (read["group"], read["tags"], read["value"]) == ("sink-task-metrics", snk, RECORDS + 1)

        # A connector's metrics go with it.
        worker.delete_connector("src")
        after = scrape(client)
        assert not [k for k in after if ("connector", "src") in k[1]]
        assert value(after, "kafka_connect_connect_worker_metrics_connector_count") == 1
        assert not [m for m in worker.metrics() if m["tags"].get("connector") == "src"]


def test_records_per_second_per_task_from_two_scrapes(bootstrap_servers: str) -> None:
    """The dashboard query ``rate(kafka_connect_source_task_metrics_source_record_write_total[…])``
    by task, answered from two scrapes; the rate gauge agrees on the order of magnitude."""
    topic = f"metrics-paced-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap_servers, topic, 2)
    with rest_worker(bootstrap_servers) as (worker, client):
        worker.create_connector("paced", {"connector.class": PacedSource, "topic": topic, "tasks.max": "2"})
        worker.wait_for_state("paced", tasks=2)
        name = "kafka_connect_source_task_metrics_source_record_write_total"
        wait_until(lambda: len(by_label(scrape(client), name, "task")) == 2, 30, "both tasks' metrics")
        first, t1 = by_label(scrape(client), name, "task"), time.monotonic()
        time.sleep(3)
        second, t2 = by_label(scrape(client), name, "task"), time.monotonic()
        per_task = {task: (second[task] - first[task]) / (t2 - t1) for task in second}
        assert set(per_task) == {"0", "1"}
        for task, rate in per_task.items():
            # 20 records per 50 ms at most; Python's poll and the GIL make it slower, never faster.
            assert 50 < rate <= 400 * 1.1, (task, rate)
            gauge = value(
                scrape(client),
                "kafka_connect_source_task_metrics_source_record_write_rate",
                connector="paced",
                task=task,
            )
            assert 0 < gauge <= 400 * 1.1, (task, gauge)


def test_metrics_can_be_turned_off(bootstrap_servers: str) -> None:
    topic = f"metrics-off-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap_servers, topic)
    with rest_worker(bootstrap_servers, **{"ferroconnect.metrics.enabled": "false"}) as (worker, client):
        worker.create_connector("quiet", {"connector.class": FixedSource, "topic": topic})
        worker.wait_for_state("quiet", tasks=1)
        assert worker.metrics() == []
        assert client.get("/metrics").text == "# EOF\n"


def test_a_bad_switch_value_names_the_key(bootstrap_servers: str) -> None:
    with pytest.raises(fc.ConnectError, match=r"ferroconnect\.metrics\.enabled"):
        fc.Worker(bootstrap_servers, **{"ferroconnect.metrics.enabled": "sometimes"})


def test_client_figures_come_from_librdkafka_statistics(bootstrap_servers: str) -> None:
    """The tasks' producer and consumer report their own figures, tagged with their client ids;
    the consumer's lag is the sink task's ``sink-record-lag-max``."""
    topic = f"metrics-clients-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap_servers, topic)
    settings = {"producer.statistics.interval.ms": "500", "consumer.statistics.interval.ms": "500"}
    with rest_worker(bootstrap_servers, **settings) as (worker, client):
        CountingSink.received = []
        worker.create_connector("cl", {"connector.class": FixedSource, "topic": topic})
        worker.create_connector("cs", {"connector.class": CountingSink, "topics": topic})
        client_id = "connector-producer-cl-0"
        name = "kafka_producer_producer_metrics_record_send_total"

        def sent() -> float:
            return scrape(client).get((name, frozenset({("client_id", client_id)})), math.nan)

        wait_until(lambda: sent() == RECORDS, 30, "the producer's statistics to count every record")
        s = scrape(client)
        assert value(s, "kafka_producer_producer_metrics_outgoing_byte_total", client_id=client_id) > 0
        assert value(s, "kafka_producer_producer_metrics_queued_records", client_id=client_id) == 0

        consumer = {"client_id": "connector-consumer-cs-0"}
        consumed = "kafka_consumer_consumer_fetch_manager_metrics_records_consumed_total"
        lag = "kafka_connect_sink_task_metrics_sink_record_lag_max"

        def caught_up() -> bool:
            s = scrape(client)
            return s.get((consumed, frozenset(consumer.items()))) == RECORDS and (
                value(s, lag, connector="cs", task="0") == 0
            )

        wait_until(caught_up, 30, "the consumer's statistics to count every record, with no lag left")
        s = scrape(client)
        assert value(s, "kafka_consumer_consumer_fetch_manager_metrics_records_lag_max", **consumer) == 0
        assert value(s, "kafka_consumer_consumer_metrics_incoming_byte_total", **consumer) > 0


def test_each_worker_of_a_cluster_serves_its_own_tasks_metrics(
    tmp_path: Path, bootstrap_servers: str
) -> None:
    props = cluster_props(bootstrap_servers, 4000)
    workers = [ClusterWorker(tmp_path, f"worker-{i}", props) for i in range(2)]
    try:
        for worker in workers:
            wait_for(f"{worker.name} serves REST", worker.ready, 90, workers)
        topic = f"metrics-dist-{uuid.uuid4().hex[:8]}"
        answer = workers[0].client.post("/connectors", json={"name": "gen", "config": generator(topic, 4)})
        assert answer.status_code == 201, answer.text

        def spread() -> dict[int, str] | None:
            status = statuses(workers[0]).get("gen")
            if not status or not all_running(status, 4):
                return None
            owners = {t["id"]: t["worker_id"] for t in status["tasks"]}
            return owners if len(set(owners.values())) == 2 else None

        owners = wait_for("4 tasks RUNNING over both workers", spread, 90, workers)
        name = "kafka_connect_source_task_metrics_source_record_poll_total"

        def own_tasks_polled(worker: ClusterWorker) -> bool:
            polled = by_label(scrape(worker.client), name, "task")
            mine = {str(t) for t, w in owners.items() if w == f"127.0.0.1:{worker.port}"}
            return set(polled) == mine and all(v > 0 for v in polled.values())

        for worker in workers:
            wait_for(
                f"{worker.name} serves exactly its own tasks' metrics",
                functools.partial(own_tasks_polled, worker),
                30,
            )
        scrapes = [scrape(w.client) for w in workers]
        # The connector instance runs on one of them; the tasks are split.
        assert sum(value(s, "kafka_connect_connect_worker_metrics_connector_count") for s in scrapes) == 1
        assert sum(value(s, "kafka_connect_connect_worker_metrics_task_count") for s in scrapes) == 4
        # Rebalances, from the herder: both completed one in the same generation, under one leader.
        leaders = set()
        for s in scrapes:
            assert value(s, "kafka_connect_connect_worker_rebalance_metrics_completed_rebalances_total") >= 1
            assert value(s, "kafka_connect_connect_worker_rebalance_metrics_rebalancing") == 0
            assert value(s, "kafka_connect_connect_worker_rebalance_metrics_rebalance_max_time_ms") >= 0
            assert (
                value(s, "kafka_connect_connect_worker_rebalance_metrics_time_since_last_rebalance_ms") >= 0
            )
            leaders |= set(
                by_label(s, "kafka_connect_connect_worker_rebalance_metrics_leader_name", "leader_name")
            )
        epochs = {value(s, "kafka_connect_connect_worker_rebalance_metrics_epoch") for s in scrapes}
        assert len(epochs) == 1 and min(epochs) >= 1, epochs
        assert len(leaders) == 1 and leaders <= {f"{w.url}/" for w in workers}, (
            leaders
        )  # Kafka's advertised URL
    finally:
        for worker in workers:
            worker.stop()
