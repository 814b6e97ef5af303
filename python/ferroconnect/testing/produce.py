"""Producing records to a broker with ferroconnect's own producer (for pipeline tests)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ferroconnect import _core

Record = tuple[bytes | None, bytes | None] | tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]]]
"""``(key, value)`` or ``(key, value, headers)``."""


def produce(
    bootstrap_servers: str,
    topic: str,
    records: Sequence[Record],
    config: Mapping[str, str] | None = None,
    partition: int | None = None,
    timeout: float = 30.0,
) -> list[tuple[int, int]]:
    """Produces records through ferroconnect's Rust producer and waits for every acknowledgement.

    Args:
        bootstrap_servers: Kafka's ``host:port`` list.
        topic: The topic to write to.
        records: ``(key, value)`` or ``(key, value, headers)`` tuples; headers as ``(name, bytes)`` pairs.
        config: librdkafka/Kafka producer settings laid over Kafka Connect's producer defaults
            (``acks=all``, ...), e.g. ``{"compression.type": "zstd"}``.
        partition: A fixed partition, or None for the default partitioner.
        timeout: Seconds to wait for the acknowledgements.

    Returns:
        ``(partition, offset)`` of each record, in order.

    Raises:
        KafkaError: A record could not be delivered.
    """
    return _core.produce(bootstrap_servers, topic, list(records), dict(config or {}), partition, timeout)
