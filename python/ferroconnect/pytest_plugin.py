"""pytest plugin for connector tests, registered through the ``pytest11`` entry point: installing
ferroconnect makes its fixtures available in any project's tests.

A fixture of the same name in a project's ``conftest.py`` takes precedence over these. ferroconnect
itself is imported only when a test uses a fixture, so other test runs pay nothing for the plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ferroconnect.embedded import EmbeddedKafka


@pytest.fixture(scope="session")
def embedded_kafka() -> Iterator[EmbeddedKafka]:
    """An :class:`~ferroconnect.EmbeddedKafka` broker shared by the session's tests, closed at its end."""
    from ferroconnect.embedded import EmbeddedKafka

    with EmbeddedKafka() as cluster:
        yield cluster
