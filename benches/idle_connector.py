"""A source connector whose tasks have nothing to do, for ``benches/rebalance.py``.

``tasks.max`` tasks, each ``poll`` sleeps 0.1 s and returns None: the Python twin of
``benches/jvm/IdleSourceConnector.java``, so that the benchmark times the same work on both
runtimes, the cluster's. A ``ferroconnect distributed`` worker loads it by its dotted path
(``idle_connector.IdleSourceConnector``) with this folder on its ``PYTHONPATH``.
"""

from __future__ import annotations

import time

import ferroconnect as fc


class IdleSourceTask(fc.SourceTask):
    """Polls nothing: sleeps 0.1 s, returns None."""

    def poll(self) -> list[fc.SourceRecord] | None:
        time.sleep(0.1)
        return None


class IdleSourceConnector(fc.SourceConnector):
    """``tasks.max`` idle tasks, each with the connector's config."""

    def start(self, config: dict[str, str]) -> None:
        self._config = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return IdleSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._config) for _ in range(max_tasks)]
