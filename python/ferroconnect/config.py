"""Connector configuration definitions: Kafka's ``ConfigDef`` with its types, validators and
display hints. Definitions live in the Rust core (the REST API validates with the same ones).

Example:
    >>> from ferroconnect import ConfigDef, Importance, Range, Type
    >>> config_def = (ConfigDef()
    ...     .define("file", Type.STRING, importance=Importance.HIGH, doc="Source filename.")
    ...     .define("batch.size", Type.INT, 2000, Importance.LOW, "Lines per poll.",
    ...             validator=Range.at_least(1)))
    >>> config_def.parse({"file": "in.txt"})["batch.size"]
    2000
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ferroconnect import _core


class Type(str, enum.Enum):
    """Kafka's config types."""

    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    SHORT = "SHORT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"


class Importance(str, enum.Enum):
    """How much a key matters to users."""

    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Width(str, enum.Enum):
    """Display width hint for UIs."""

    NONE = "NONE"
    SHORT = "SHORT"
    MEDIUM = "MEDIUM"
    LONG = "LONG"


class Password:
    """A secret config value: its ``repr`` and ``str`` never show it (Kafka's ``[hidden]``)."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        """Wraps a secret."""
        self.value = value

    def __repr__(self) -> str:
        return "[hidden]"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Password) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)


class Range:
    """Inclusive numeric bounds."""

    def __init__(self, min: float | None = None, max: float | None = None) -> None:
        """Bounds; None for unbounded."""
        self.min, self.max = min, max

    @classmethod
    def at_least(cls, min: float) -> Range:
        """Values ≥ ``min``."""
        return cls(min, None)

    @classmethod
    def between(cls, min: float, max: float) -> Range:
        """Values in ``[min, max]``."""
        return cls(min, max)

    def _spec(self) -> tuple[Any, ...]:
        return ("range", self.min, self.max)


class ValidString:
    """One of a set of strings (for a LIST: each element)."""

    def __init__(self, *allowed: str, case_sensitive: bool = True) -> None:
        """The allowed strings."""
        self.allowed, self.case_sensitive = list(allowed), case_sensitive

    @classmethod
    def in_(cls, *allowed: str) -> ValidString:
        """Kafka's ``ValidString.in(...)``."""
        return cls(*allowed)

    def _spec(self) -> tuple[Any, ...]:
        return ("valid_string", self.allowed, self.case_sensitive)


class NonEmptyString:
    """A string that is not empty."""

    def _spec(self) -> tuple[Any, ...]:
        return ("non_empty",)


Validator = Range | ValidString | NonEmptyString | Callable[[str, Any], None]
"""A validator: one of the classes above, or a callable ``(name, value)`` that raises to reject."""

Recommender = Callable[[str, Mapping[str, Any]], Sequence[Any]]
"""Recommended values of a key given the other parsed values (shown by the validate endpoint)."""

_NO_DEFAULT: Any = object()


class ConfigDef:
    """A set of config keys, each defined once; ``define`` returns ``self`` for chaining."""

    def __init__(self) -> None:
        """An empty definition."""
        self._def = _core.ConfigDef()
        self.recommenders: dict[str, Recommender] = {}

    def define(
        self,
        name: str,
        type: Type | str,
        default: Any = _NO_DEFAULT,
        importance: Importance | str = Importance.MEDIUM,
        doc: str = "",
        *,
        group: str | None = None,
        order_in_group: int = -1,
        width: Width | str = Width.NONE,
        display_name: str | None = None,
        validator: Validator | None = None,
        recommender: Recommender | None = None,
        dependents: Sequence[str] = (),
    ) -> ConfigDef:
        """Defines a key. Without ``default`` the key is required; ``default=None`` makes it optional.

        Raises:
            ConfigError: The name is defined twice, or the default fails the validator.
        """
        has_default = default is not _NO_DEFAULT
        self._def.define(
            name,
            Type(type).value,
            has_default,
            default if has_default else None,
            Importance(importance).value,
            doc,
            group,
            order_in_group,
            Width(width).value,
            display_name,
            validator,
            list(dependents),
        )
        if recommender is not None:
            self.recommenders[name] = recommender
        return self

    def names(self) -> list[str]:
        """The defined keys, in definition order."""
        return self._def.names()

    def parse(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Typed values of every defined key (defaults filled in).

        Raises:
            ConfigError: A value is missing or invalid; the message names the key and the reason.
        """
        return self._def.parse(dict(config))

    def validate(self, config: Mapping[str, Any]) -> dict[str, list[str]]:
        """Error messages of every defined key (an empty list where valid)."""
        return self._def.validate(dict(config))


__all__ = ["ConfigDef", "Importance", "NonEmptyString", "Password", "Range", "Type", "ValidString", "Width"]
