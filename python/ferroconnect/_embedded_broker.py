"""Child-process host of the embedded broker: ``python -m ferroconnect._embedded_broker``.

Prints one JSON line with the bootstrap servers, then serves JSON-line commands on stdin (one JSON
reply each) until stdin closes, which also happens when the parent dies: the broker never outlives
the process that started it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ferroconnect._core import MockCluster


def _serve(cluster: MockCluster) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        request: dict[str, Any] = json.loads(line)
        try:
            method = getattr(cluster, request["op"])
            method(*request.get("args", []))
            reply: dict[str, Any] = {"ok": True}
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(reply), flush=True)


def main() -> None:
    """Starts the mock cluster and serves commands until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--brokers", type=int, default=1)
    parser.add_argument("--partitions", type=int, default=1)
    args = parser.parse_args()
    cluster = MockCluster(args.brokers, args.partitions)
    print(json.dumps({"bootstrap_servers": cluster.bootstrap_servers}), flush=True)
    try:
        _serve(cluster)
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
