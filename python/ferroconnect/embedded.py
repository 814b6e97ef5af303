"""The embedded broker: librdkafka's mock cluster, for notebooks, the quickstart and fast tests."""

from __future__ import annotations

import json
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ferroconnect._core import MockCluster
from ferroconnect.errors import ConfigError, ConnectError

if TYPE_CHECKING:
    import subprocess

#: Kafka API keys accepted by :meth:`EmbeddedKafka.request_errors`.
API_KEYS = {
    "Produce": 0,
    "Fetch": 1,
    "ListOffsets": 2,
    "Metadata": 3,
    "OffsetCommit": 8,
    "OffsetFetch": 9,
    "FindCoordinator": 10,
    "JoinGroup": 11,
    "Heartbeat": 12,
    "LeaveGroup": 13,
    "SyncGroup": 14,
    "InitProducerId": 22,
}


#: Worker settings an in-process :class:`~ferroconnect.Worker` adds (unless given) when its
#: ``bootstrap.servers`` is a live :class:`EmbeddedKafka` of this process. The mock cluster answers a
#: member's LeaveGroup by holding the group's next rebalance for ``session.timeout.ms`` - 1 s, so a
#: restarted sink task would wait 44 s at Kafka's 45 s default before its consumer rejoins; at 3 s it
#: waits 2 s. Heartbeats come from librdkafka's threads, so a busy Python task does not miss them.
EMBEDDED_WORKER_DEFAULTS: dict[str, str] = {
    "consumer.session.timeout.ms": "3000",
    "consumer.heartbeat.interval.ms": "500",
}

_LIVE: set[str] = set()
"""Bootstrap addresses of the EmbeddedKafka instances of this process that are running."""


def is_embedded(bootstrap_servers: str) -> bool:
    """Whether ``bootstrap_servers`` is the address of a running :class:`EmbeddedKafka` of this process."""
    return bootstrap_servers in _LIVE


class EmbeddedKafka:
    """A Kafka cluster that lives as long as this object: librdkafka's mock cluster.

    Any Kafka client on this machine can reach it at :attr:`bootstrap_servers` (loopback) while it
    runs. By default it runs in a child process, because a client mistake (for example mismatched
    group protocols) can abort the mock cluster's process; ``in_process=True`` runs it in this one.
    The child stops when this object is closed or when this process dies.

    Limits, from librdkafka's mock cluster: about 5 MiB kept per partition (older data is dropped),
    no compaction, no real transactions, no admin APIs for configs or topics. Topics are auto-created
    on first use, with ``num_partitions`` partitions (Kafka's ``num.partitions``, 1 by default); more
    with :meth:`create_topic`. Use a real Kafka-protocol broker for claims about those. A
    :class:`~ferroconnect.Worker` of this process pointed at it gets
    :data:`EMBEDDED_WORKER_DEFAULTS` (short consumer sessions), so that a restarted sink task rejoins
    its group within seconds.

    Example:
        >>> with EmbeddedKafka() as kafka:
        ...     kafka.create_topic("lines", partitions=3)
        ...     print(kafka.bootstrap_servers)  # doctest: +SKIP
    """

    def __init__(self, num_brokers: int = 1, *, num_partitions: int = 1, in_process: bool = False) -> None:
        """Starts the cluster.

        Args:
            num_brokers: How many brokers the cluster has (ids 1..num_brokers).
            num_partitions: Partitions of each auto-created topic (Kafka's ``num.partitions``).
            in_process: Run the mock cluster in this process instead of a child process.
        """
        if num_partitions < 1:
            raise ConfigError(f"num_partitions must be at least 1, not {num_partitions}")
        self._cluster: MockCluster | None = None
        self._child: subprocess.Popen[str] | None = None
        if in_process:
            self._cluster = MockCluster(num_brokers, num_partitions)
            self._bootstrap = self._cluster.bootstrap_servers
        else:
            import subprocess  # only for a child-process broker (about 1.4 MiB imported)

            self._child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ferroconnect._embedded_broker",
                    "--brokers",
                    str(num_brokers),
                    "--partitions",
                    str(num_partitions),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert self._child.stdout is not None
            first = self._child.stdout.readline()
            if not first:
                self._child.wait(timeout=5)
                raise ConnectError(
                    f"the embedded broker exited during start-up (code {self._child.returncode})"
                )
            self._bootstrap = json.loads(first)["bootstrap_servers"]
        _LIVE.add(self._bootstrap)

    @property
    def bootstrap_servers(self) -> str:
        """The ``host:port`` list to give Kafka clients."""
        return self._bootstrap

    def create_topic(self, name: str, partitions: int = 1) -> None:
        """Creates a topic with this many partitions."""
        self._call("create_topic", name, partitions)

    def request_errors(self, api: str | int, error_codes: list[int]) -> None:
        """Makes the next requests of an API fail, one Kafka error code per request, in order.

        Args:
            api: The API's name (``"Produce"``, see :data:`API_KEYS`) or Kafka API key number.
            error_codes: Kafka protocol error codes, e.g. ``[6, 6]`` for two NOT_LEADER_OR_FOLLOWER.
        """
        self._call("request_errors", API_KEYS[api] if isinstance(api, str) else api, list(error_codes))

    def clear_request_errors(self, api: str | int) -> None:
        """Removes the errors queued for an API."""
        self._call("clear_request_errors", API_KEYS[api] if isinstance(api, str) else api)

    def broker_down(self, broker_id: int = 1) -> None:
        """Takes a broker down: its connections close and new ones are refused."""
        self._call("broker_down", broker_id)

    def broker_up(self, broker_id: int = 1) -> None:
        """Brings a broker back up."""
        self._call("broker_up", broker_id)

    def close(self) -> None:
        """Stops the cluster. Safe to call twice."""
        _LIVE.discard(getattr(self, "_bootstrap", ""))
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        if self._child is not None:
            assert self._child.stdin is not None
            self._child.stdin.close()
            import subprocess

            try:
                self._child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
            if self._child.stdout is not None:
                self._child.stdout.close()
            self._child = None

    def _call(self, op: str, *args: Any) -> None:
        if self._cluster is not None:
            getattr(self._cluster, op)(*args)
            return
        if self._child is None:
            raise ConnectError("the embedded broker is closed")
        assert self._child.stdin is not None and self._child.stdout is not None
        self._child.stdin.write(json.dumps({"op": op, "args": list(args)}) + "\n")
        self._child.stdin.flush()
        reply = json.loads(self._child.stdout.readline() or '{"ok": false, "error": "the broker exited"}')
        if not reply["ok"]:
            raise ConnectError(f"embedded broker: {op} failed: {reply['error']}")

    def __enter__(self) -> EmbeddedKafka:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # Best effort when the user forgot close(); the child also exits when its stdin closes.
        if getattr(self, "_child", None) is not None or getattr(self, "_cluster", None) is not None:
            self.close()
