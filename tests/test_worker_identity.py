"""An in-process worker without a REST listener names itself honestly (no port nobody listens on),
and its config errors point at ``worker.validate()``, the in-process way to list them."""

from __future__ import annotations

import os
import socket

import ferroconnect as fc
import pytest
from rest_helpers import rest_worker
from source_helpers import CountingSource


def test_a_worker_without_rest_is_named_by_host_and_pid(
    embedded_kafka: fc.EmbeddedKafka, topic_name: str
) -> None:
    config = {"connector.class": CountingSource, "topic": topic_name, "tasks": "1"}
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        worker.create_connector("named", config)
        status = worker.wait_for_state("named", tasks=1)
    expected = f"{socket.gethostname()}:pid-{os.getpid()}"
    assert status["connector"]["worker_id"] == expected
    assert status["tasks"][0]["worker_id"] == expected


def test_a_worker_with_rest_or_an_advertised_name_keeps_kafkas_host_port(
    embedded_kafka: fc.EmbeddedKafka, topic_name: str
) -> None:
    config = {"connector.class": CountingSource, "topic": topic_name, "tasks": "1"}
    with rest_worker(embedded_kafka.bootstrap_servers) as (worker, _):
        worker.create_connector("served", config)
        assert worker.rest_url is not None
        assert worker.wait_for_state("served", tasks=1)["connector"]["worker_id"] == worker.rest_url[7:]
    settings = {"rest.advertised.host.name": "connect-1", "rest.advertised.port": "9999"}
    with fc.Worker(embedded_kafka.bootstrap_servers, **settings) as worker:
        worker.create_connector("advertised", config)
        assert worker.wait_for_state("advertised", tasks=1)["connector"]["worker_id"] == "connect-1:9999"


def test_in_process_config_errors_point_at_validate(embedded_kafka: fc.EmbeddedKafka) -> None:
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        with pytest.raises(fc.ConfigError) as raised:
            worker.create_connector("bad", {"connector.class": CountingSource, "tasks.max": "zero"})
    message = str(raised.value)
    assert "Connector configuration is invalid and contains the following 1 error(s)" in message
    assert "tasks.max" in message
    assert "worker.validate(config)" in message, message
    assert "/connector-plugins" not in message, message
