"""Awaitable checks without ``inspect``, which imports ``ast``, ``dis`` and ``tokenize`` (about
1.6 MiB of a worker's resident memory) for two one-line tests."""

from __future__ import annotations

from collections.abc import Awaitable
from types import CoroutineType, GeneratorType
from typing import Any

# A generator made a coroutine by ``@types.coroutine`` (``inspect.CO_ITERABLE_COROUTINE``).
_ITERABLE_COROUTINE = 0x100


def is_awaitable(value: Any) -> bool:
    """Whether ``await value`` works: what ``inspect.isawaitable`` answers."""
    return isinstance(value, Awaitable) or (
        isinstance(value, GeneratorType) and bool(value.gi_code.co_flags & _ITERABLE_COROUTINE)
    )


def is_coroutine(value: Any) -> bool:
    """Whether ``value`` is a coroutine object: what ``inspect.iscoroutine`` answers."""
    return isinstance(value, CoroutineType)
