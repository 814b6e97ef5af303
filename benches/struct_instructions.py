"""Instructions per record of each step of a Struct row's way through the Python API, counted by
valgrind's callgrind, which a loaded machine does not change (wall-clock figures on a shared
2-core machine vary by ±50 %). No broker: the steps are the ones ``struct_records.py`` times
inside a worker, run in a loop in this process.

- ``build put``: ``Struct(SCHEMA).put(...)`` ten times;
- ``build values``: ``Struct(SCHEMA, {...})`` in one call;
- ``build tuple``: ``Struct(SCHEMA, (...))`` in one call, values in field order;
- ``to JSON``: ``JsonConverter.from_connect_data`` of a built Struct (the Python → Rust conversion
  that a source's ``poll`` batch goes through, then the envelope);
- ``tuple to JSON``: the same of the row's values as a tuple in field order, no ``Struct`` (a
  ``rows`` record's value);
- ``dict to JSON``: the same of the row's values as a dict by field name (a ``dict_rows`` value);
- ``from JSON + get``: ``JsonConverter.to_connect_data`` of one record's bytes, then
  ``value.get("id")`` (what a sink's ``put`` sees);
- ``from JSON + to_dict``: the same, then ``value.to_dict()`` (all ten fields).

Each step runs twice under callgrind, with N and 2N records; the difference divided by N is the
cost of one record, free of start-up. Usage: ``python benches/struct_instructions.py [--records N]``
(needs ``valgrind``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import callgrind
import ferroconnect as fc
import struct_records

SCHEMA = struct_records.SCHEMA
STEPS = [
    "build put",
    "build values",
    "build tuple",
    "to JSON",
    "tuple to JSON",
    "dict to JSON",
    "from JSON + get",
    "from JSON + to_dict",
]


def step(name: str) -> Callable[[int], None]:
    """The loop of one step over ``n`` records."""
    converter = fc.JsonConverter()
    row = struct_records.row_put(7)
    data = converter.from_connect_data("t", SCHEMA, row)
    values_tuple, values_dict = struct_records.values_tuple(7), struct_records.values_dict(7)

    def run(n: int) -> None:
        if name == "build put":
            for i in range(n):
                struct_records.row_put(i)
        elif name == "build values":
            for i in range(n):
                struct_records.row_values(i)
        elif name == "build tuple":
            for i in range(n):
                struct_records.row_tuple(i)
        elif name == "to JSON":
            for _ in range(n):
                converter.from_connect_data("t", SCHEMA, row)
        elif name == "tuple to JSON":
            for _ in range(n):
                converter.from_connect_data("t", SCHEMA, values_tuple)
        elif name == "dict to JSON":
            for _ in range(n):
                converter.from_connect_data("t", SCHEMA, values_dict)
        elif name == "from JSON + get":
            for _ in range(n):
                converter.to_connect_data("t", data).value.get("id")
        else:
            for _ in range(n):
                converter.to_connect_data("t", data).value.to_dict()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        step(args.run)(args.records)
        return
    n = args.records
    print(f"# instructions per record (callgrind, N={n} and 2N), python {sys.version.split()[0]}")
    for name in STEPS:
        per_record = callgrind.per_record(__file__, name, n)
        print(f"{name:<22}{per_record:>12,.0f}")


if __name__ == "__main__":
    main()
