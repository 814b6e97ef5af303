"""The figures of a variant measured several times, interleaved with the other variants (``--repeat``
of ``source_throughput.py`` and ``sink_throughput.py``)."""

from __future__ import annotations

import statistics
from typing import Any


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each numeric figure's median over the runs (the others, e.g. Java's texts, from the first)."""
    return {
        k: statistics.median(r[k] for r in runs) if isinstance(v, (int, float)) else v
        for k, v in runs[0].items()
    }


def spread(runs: list[dict[str, Any]]) -> str:
    """The runs' lowest and highest records/s, when there were several."""
    if len(runs) < 2:
        return ""
    rates = sorted(r["records_per_s"] for r in runs)
    return f"   (runs: {rates[0]:,.0f} .. {rates[-1]:,.0f})"
