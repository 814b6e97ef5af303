"""Shared pytest configuration for ferroconnect's tests.

``tests/`` is put on ``sys.path`` so test modules import helpers such as ``kafka_settings``
without a ``tests/__init__.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# --- independent test broker (scripts/tansu.py) and the conformance table: tests/fixtures_broker.py
# Fixtures: bootstrap_servers (session), broker (session, parametrized), unique_topic (function).
pytest_plugins = ["fixtures_broker"]
# --- end independent test broker
