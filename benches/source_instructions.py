"""Instructions per record of a Python source task's batch built and converted as the runtime
converts what ``poll`` returns, counted by valgrind's callgrind (which a loaded machine does not
change). No broker: the steps are what ``source_throughput.py``'s variants a, af and ab do in the
task's thread before the producer, run in a loop in this process, in batches of 1000 records.

- ``records prebuilt`` (variant a): the same list of 1000 ``SourceRecord``s converted again;
- ``records built`` (variant af): 1000 fresh ``SourceRecord``s, each with a fresh offset dict,
  then converted;
- ``batch built`` (variant ab): a fresh ``SourceBatch`` of a fresh list of values and a fresh
  list of int offsets (``offset_key``), then converted;
- ``batch dict offsets``: the same with a fresh offset dict per record instead.

Each step runs twice under callgrind, with N and 2N records; the difference divided by N is the
cost of one record, free of start-up. Usage:
``python benches/source_instructions.py [--records N] [--steps NAME,...]`` (needs ``valgrind``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import callgrind
import ferroconnect as fc
from ferroconnect import _core

RECORD = b"x" * 100
BATCH = 1000
STEPS = ["records prebuilt", "records built", "batch built", "batch dict offsets"]


def step(name: str) -> Callable[[int], None]:
    """The loop of one step over ``n`` records (a multiple of BATCH)."""
    partition = {"p": 0}

    def build(first: int) -> list[fc.SourceRecord] | fc.SourceBatch:
        offsets = range(first, first + BATCH)
        if name == "batch built":
            return fc.SourceBatch(partition, "t", [RECORD for _ in offsets], list(offsets), offset_key="o")
        if name == "batch dict offsets":
            return fc.SourceBatch(partition, "t", [RECORD for _ in offsets], [{"o": o} for o in offsets])
        return [fc.SourceRecord(partition, {"o": o}, "t", value=RECORD) for o in offsets]

    prebuilt = build(0)

    def run(n: int) -> None:
        for first in range(0, n, BATCH):
            _core.convert_source_batch(prebuilt if name == "records prebuilt" else build(first))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--steps", help="comma-separated steps to count (default: all)")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = max(BATCH, args.records // BATCH * BATCH)
    if args.run:
        step(args.run)(n)
        return
    print(f"# instructions per record (callgrind, N={n} and 2N), python {sys.version.split()[0]}")
    for name in args.steps.split(",") if args.steps else STEPS:
        per_record = callgrind.per_record(__file__, name, n)
        print(f"{name:<22}{per_record:>12,.0f}")


if __name__ == "__main__":
    main()
