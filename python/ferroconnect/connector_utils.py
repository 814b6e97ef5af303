"""Kafka Connect's ``ConnectorUtils``: helpers for splitting a connector's work among its tasks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class ConnectorUtils:
    """Kafka's ``org.apache.kafka.connect.util.ConnectorUtils``, with the same results."""

    @staticmethod
    def group_partitions(elements: Sequence[T], num_groups: int) -> list[list[T]]:
        """Splits ``elements`` into ``num_groups`` groups of consecutive elements, as evenly as
        possible: the first ``len(elements) % num_groups`` groups get one more. Groups may be
        empty (more groups than elements), exactly as Kafka's ``groupPartitions``, so a task keeps
        its share when a connector is ported.

        Example:
            >>> ConnectorUtils.group_partitions(["a", "b", "c", "d", "e"], 2)
            [['a', 'b', 'c'], ['d', 'e']]

        Raises:
            ValueError: ``num_groups`` is not positive (Kafka: "Number of groups must be positive.").
        """
        if num_groups <= 0:
            raise ValueError(f"Number of groups must be positive, got num_groups={num_groups}.")
        per_group, leftover = divmod(len(elements), num_groups)
        groups: list[list[T]] = []
        start = 0
        for group in range(num_groups):
            size = per_group + 1 if group < leftover else per_group
            groups.append(list(elements[start : start + size]))
            start += size
        return groups


__all__ = ["ConnectorUtils"]
