"""Loads the extension module with its allocator's memory settings; imported before anything else.

The extension's Rust allocations use mimalloc (``rust/python/src/lib.rs``). mimalloc reserves a
1 GiB arena at start and, by default on Linux, counts it as committed at once. On a kernel whose
transparent huge pages are ``always`` (RHEL's default, and this project's CI machines), each first
touch of that arena then faults in a whole 2 MiB page, so a few small allocations per page cost
resident memory by the megabyte: measured, an idle worker 38 -> 30 MiB and a source task at full
speed 68-74 -> 46-51 MiB, at the same CPU. mimalloc reads its options from the environment once,
when the module is loaded; the variable is set only for that moment, and a value the user set is
left alone.
"""

import os

_OPTION = "MIMALLOC_ARENA_EAGER_COMMIT"
_given = os.environ.get(_OPTION)
if _given is None:
    os.environ[_OPTION] = "0"
try:
    from ferroconnect import _core  # noqa: F401
finally:
    if _given is None:
        os.environ.pop(_OPTION, None)
