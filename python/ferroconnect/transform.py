"""The classes transform authors subclass: Kafka Connect's ``Transformation`` and ``Predicate``
(single message transforms, KIP-66 and KIP-585), in Python style.

A connector's config names them under ``transforms.<alias>.type`` and
``predicates.<alias>.type``: by class object (in-process ``Worker``), dotted path
(``mypkg.transforms.MaskEmail``) or entry point name of the group ``ferroconnect.transforms``.
The runtime makes one instance per task, calls :meth:`Transformation.configure` once with the
alias's keys, then hands it records: a source connector's :class:`~ferroconnect.SourceRecord`
before its converters run, a sink connector's :class:`~ferroconnect.SinkRecord` after its
converters ran. Both have the same fields and ``new_record(...)``, so one transform serves both.

Example:
    >>> import ferroconnect as fc
    >>> class Upper(fc.Transformation):
    ...     def apply(self, record):
    ...         return record.new_record(value=record.value.upper())
    >>> t = Upper()
    >>> t.configure({})
    >>> t.apply(fc.SourceRecord({}, {}, "topic", value="hi")).value
    'HI'
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from ferroconnect._core import SinkRecord, SourceRecord
from ferroconnect.config import ConfigDef

ConnectRecord = SourceRecord | SinkRecord
"""What a transform sees and returns (Kafka's ``ConnectRecord``): a source or a sink record."""

R = TypeVar("R", bound=ConnectRecord)


class Transformation(Generic[R]):
    """A single message transform: changes, replaces or drops one record at a time.

    Implement :meth:`apply` (and :meth:`apply_batch` to get a whole batch in one call), declare
    the keys you take in :attr:`config_def` and read them in :meth:`configure`. Return a new
    record made with ``record.new_record(...)``, the record itself, or None to drop it. An
    exception fails the record in stage ``TRANSFORMATION``: ``errors.tolerance`` decides whether
    the record is skipped (and, for a sink, written to the dead letter queue) or the task fails
    with the traceback in its trace. A :class:`~ferroconnect.RetriableError` is first retried on
    that record alone, within ``errors.retry.timeout``.

    Subscript it to say which records it takes: ``Transformation[fc.SinkRecord]`` for sink
    connectors only, plain ``Transformation`` (or ``Transformation[fc.ConnectRecord]``) for both.

    Attributes:
        config_def: The transform's own config keys (without ``transforms.<alias>.``): shown by
            ``GET /connector-plugins/{class}/config`` and checked by validation.

    Example:
        >>> import ferroconnect as fc
        >>> class AddSuffix(fc.Transformation):
        ...     config_def = fc.ConfigDef().define("suffix", fc.Type.STRING, "!", doc="Appended.")
        ...     def configure(self, config):
        ...         self.suffix = self.config().parse(config)["suffix"]
        ...     def apply(self, record):
        ...         return record.new_record(value=record.value + self.suffix)
        >>> t = AddSuffix()
        >>> t.configure({"suffix": "?"})
        >>> t.apply(fc.SourceRecord({}, {}, "topic", value="hi")).value
        'hi?'
    """

    config_def: ClassVar[ConfigDef] = ConfigDef()

    def version(self) -> str:
        """The transform's version, shown by ``GET /connector-plugins``.

        Example:
            >>> import ferroconnect as fc
            >>> fc.Transformation().version()
            'unknown'
        """
        return "unknown"

    def configure(self, config: dict[str, str]) -> None:
        """Takes the transform's config: the ``transforms.<alias>.*`` keys, prefix stripped, as
        strings (``type`` included, as Kafka passes it). Raise to refuse it (the task fails).

        Example:
            >>> import ferroconnect as fc
            >>> fc.Transformation().configure({"type": "mypkg.Upper"})
        """

    def apply(self, record: R) -> R | None:
        """The transformed record (``record.new_record(...)``, or ``record`` itself), or None to
        drop it (the rest of the chain is skipped).

        Example:
            >>> import ferroconnect as fc
            >>> class Drop(fc.Transformation):
            ...     def apply(self, record):
            ...         return None
            >>> Drop().apply(fc.SourceRecord({}, {}, "topic", value=1)) is None
            True
        """
        raise NotImplementedError("transforms must implement apply(record)")

    def apply_batch(self, records: list[R]) -> list[R | BaseException | None]:
        """Transforms a batch: one result per record, in order (a record, None to drop it, or an
        exception instance to fail that record alone).

        The runtime calls it, once per batch, only when a subclass defines it; otherwise it calls
        :meth:`apply` per record (still under one hold of the GIL per batch). An exception raised
        by ``apply_batch`` fails every record of the batch.

        Example:
            >>> import ferroconnect as fc
            >>> class Count(fc.Transformation):
            ...     def apply_batch(self, records):
            ...         return [r.new_record(value=len(records)) for r in records]
            >>> [r.value for r in Count().apply_batch([fc.SourceRecord({}, {}, "t")] * 2)]
            [2, 2]
        """
        results: list[R | BaseException | None] = [self.apply(record) for record in records]
        return results

    def config(self) -> ConfigDef:
        """The transform's config definition (by default :attr:`config_def`).

        Example:
            >>> import ferroconnect as fc
            >>> fc.Transformation().config().names()
            []
        """
        return self.config_def

    def close(self) -> None:
        """Releases what the transform holds; called once when its task stops.

        Example:
            >>> import ferroconnect as fc
            >>> fc.Transformation().close()
        """


class Predicate(Generic[R]):
    """A condition on records (KIP-585): a transform whose ``transforms.<alias>.predicate`` names
    this predicate's alias applies only to the records it matches (``negate=true``: the others).

    Implement :meth:`test`, declare the keys you take in :attr:`config_def` and read them in
    :meth:`configure`.

    Attributes:
        config_def: The predicate's own config keys (without ``predicates.<alias>.``).

    Example:
        >>> import ferroconnect as fc
        >>> class IsTombstone(fc.Predicate):
        ...     def test(self, record):
        ...         return record.value is None
        >>> IsTombstone().test(fc.SourceRecord({}, {}, "topic"))
        True
    """

    config_def: ClassVar[ConfigDef] = ConfigDef()

    def version(self) -> str:
        """The predicate's version, shown by ``GET /connector-plugins``.

        Example:
            >>> import ferroconnect as fc
            >>> fc.Predicate().version()
            'unknown'
        """
        return "unknown"

    def configure(self, config: dict[str, str]) -> None:
        """Takes the predicate's config: the ``predicates.<alias>.*`` keys, prefix stripped.

        Example:
            >>> import ferroconnect as fc
            >>> fc.Predicate().configure({})
        """

    def test(self, record: R) -> bool:
        """Whether the record matches.

        Example:
            >>> import ferroconnect as fc
            >>> class OnTopic(fc.Predicate):
            ...     def test(self, record):
            ...         return record.topic == "orders"
            >>> OnTopic().test(fc.SourceRecord({}, {}, "orders"))
            True
        """
        raise NotImplementedError("predicates must implement test(record)")

    def config(self) -> ConfigDef:
        """The predicate's config definition (by default :attr:`config_def`).

        Example:
            >>> import ferroconnect as fc
            >>> fc.Predicate().config().names()
            []
        """
        return self.config_def

    def close(self) -> None:
        """Releases what the predicate holds; called once when its task stops.

        Example:
            >>> import ferroconnect as fc
            >>> fc.Predicate().close()
        """


def _overrides_apply_batch(transform: Any) -> bool:
    """Whether a transform's class defines its own ``apply_batch`` (the runtime then uses it)."""
    return type(transform).apply_batch is not Transformation.apply_batch


__all__ = ["ConnectRecord", "Predicate", "Transformation"]
