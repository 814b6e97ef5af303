"""A counting source for the exactly-once tests (loaded by the workers through ``plugin.path``).

Task keys: ``topic``; ``limit`` (the count ends there); ``batch`` (records per poll); ``poll.pause.s``;
``commit.log`` (a file where each ``commit()`` appends the wall time and the count polled so far);
``commit.every`` (with ``transaction.boundary=connector``: commit right after every record whose
number ends a block of that many, and in odd blocks abort right after the record at mid-block).
The source offset of record ``n`` is ``{"n": n}`` in source partition ``{"counter": "<task>"}``; a
restarted task resumes after the committed one. Each of ``tasks.max`` tasks counts on its own.
"""

from __future__ import annotations

import time
from typing import Any

import ferroconnect as fc


class CounterSource(fc.SourceConnector):
    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[Any]:
        return CounterTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.settings, "task": str(task)} for task in range(max_tasks)]

    def stop(self) -> None:
        pass

    def version(self) -> str:
        return "1.0"

    def exactly_once_support(self, config: dict[str, str]) -> fc.ExactlyOnceSupport | None:
        answer = config.get("test.exactly.once", "supported")
        return None if answer == "none" else fc.ExactlyOnceSupport[answer.upper()]

    def can_define_transaction_boundaries(self, config: dict[str, str]) -> fc.ConnectorTransactionBoundaries:
        return fc.ConnectorTransactionBoundaries.SUPPORTED


class CounterTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        self.limit = int(config["limit"])
        self.batch = int(config.get("batch", "7"))
        self.pause = float(config.get("poll.pause.s", "0.01"))
        self.log = config.get("commit.log")
        self.every = int(config.get("commit.every", "50"))
        self.partition = {"counter": config.get("task", "0")}
        stored = self.context.offset_storage_reader.offset(self.partition)
        self.next = 0 if stored is None else int(stored["n"]) + 1
        self.transactions = self.context.transaction_context

    def poll(self) -> list[fc.SourceRecord] | None:
        if self.next >= self.limit:
            time.sleep(0.05)
            return None
        time.sleep(self.pause)
        records = []
        for n in range(self.next, min(self.next + self.batch, self.limit)):
            record = fc.SourceRecord(
                source_partition=self.partition, source_offset={"n": n}, topic=self.topic, value=str(n)
            )
            if self.transactions is not None:
                block, place = divmod(n, self.every)
                if place == self.every - 1:
                    self.transactions.commit_transaction(record)
                elif block % 2 == 1 and place == self.every // 2 - 1:
                    self.transactions.abort_transaction(record)
            records.append(record)
        self.next += len(records)
        return records

    def commit(self) -> None:
        if self.log:
            with open(self.log, "a") as log:
                log.write(f"{time.time()} {self.next}\n")

    def stop(self) -> None:
        pass
