"""Running a Python transform or predicate on records exactly as the runtime does (through the
compiled loader and the records' conversions), without a worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ferroconnect import _core, _plugins
from ferroconnect._core import SinkRecord, SourceRecord


def apply_transform(
    transform: type | str,
    config: Mapping[str, str],
    records: Iterable[SourceRecord | SinkRecord],
) -> list[SourceRecord | SinkRecord | Exception | None]:
    """Runs a Python transform on records as a connector's task would, then closes it.

    The class is found as ``transforms.<alias>.type`` would find it, configured with ``config``,
    and given the records converted to the runtime's records and back (so a value that cannot
    become Connect data fails here as it would in a task); ``apply_batch`` is used when the class
    defines it. Source records keep their source partition and offset, as in the runtime.

    Args:
        transform: The class, or its dotted path or entry point name.
        config: The transform's keys, ``transforms.<alias>.`` stripped.
        records: Source records, or sink records (not mixed).

    Returns:
        One result per record: the transformed record, None (dropped) or the
        :class:`~ferroconnect.ConnectError` (or ``RetriableError``) it failed with, whose message
        holds the transform's traceback.

    Raises:
        ConfigError: The class is not found, or is not a ``Transformation``.
        ConnectError: ``configure`` raised.

    Example:
        >>> import ferroconnect as fc
        >>> from ferroconnect.testing import apply_transform
        >>> class Double(fc.Transformation):
        ...     def apply(self, record):
        ...         return record.new_record(value=record.value * 2)
        >>> records = [fc.SourceRecord({"file": "in"}, {"line": 1}, "topic", value=21)]
        >>> [r.value for r in apply_transform(Double, {}, records)]
        [42]
    """
    inputs = list(records)
    name = _plugins.register(transform) if isinstance(transform, type) else transform
    results: list[Any] = _core.apply_transform(name, dict(config), inputs)
    for result, record in zip(results, inputs, strict=True):
        if isinstance(result, SourceRecord) and isinstance(record, SourceRecord):
            result.source_partition, result.source_offset = record.source_partition, record.source_offset
    return results


def match_predicate(
    predicate: type | str,
    config: Mapping[str, str],
    records: Iterable[SourceRecord | SinkRecord],
) -> list[bool]:
    """Runs a Python predicate on records as a connector's task would, then closes it.

    Args:
        predicate: The class, or its dotted path or entry point name.
        config: The predicate's keys, ``predicates.<alias>.`` stripped.
        records: Source records, or sink records (not mixed).

    Returns:
        Whether each record matches.

    Raises:
        ConfigError: The class is not found, or is not a ``Predicate``.
        ConnectError: ``configure`` or ``test`` raised (the message holds the traceback).

    Example:
        >>> import ferroconnect as fc
        >>> from ferroconnect.testing import match_predicate
        >>> class HasKey(fc.Predicate):
        ...     def test(self, record):
        ...         return record.key is not None
        >>> match_predicate(HasKey, {}, [fc.SourceRecord({}, {}, "t", key="k"), fc.SourceRecord({}, {}, "t")])
        [True, False]
    """
    name = _plugins.register(predicate) if isinstance(predicate, type) else predicate
    return _core.match_predicate(name, dict(config), list(records))
