"""How the runtime finds and drives Python connectors (called from the compiled runtime).

``connector.class`` is resolved in this order: a class registered by the in-process ``Worker``
(given as a class object), an entry point of the group ``ferroconnect.connectors``, a dotted path
``package.module.Class``, then the simple name or alias (simple name without ``Connector``) of a
connector found on ``plugin.path``: directories whose Python modules are scanned for connector
classes, as Kafka Connect scans its plugin directories.

``transforms.<alias>.type`` and ``predicates.<alias>.type`` that name no built-in are resolved the
same way (registered class, entry point of the group ``ferroconnect.transforms``, dotted path,
then a class of that full name on ``plugin.path``), to a subclass of ``ferroconnect.Transformation``
or ``ferroconnect.Predicate``.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from ferroconnect._awaitables import is_awaitable, is_coroutine
from ferroconnect.errors import ConfigError

if TYPE_CHECKING:
    import asyncio
    from importlib.metadata import EntryPoints
    from pathlib import Path

# asyncio (with ssl) and importlib.metadata are imported when first needed, not with the package:
# together they are about 12 MiB of a worker's resident memory, and most workers need neither
# (no async task, connectors passed as classes or built in).

ENTRY_POINT_GROUP = "ferroconnect.connectors"
TRANSFORM_ENTRY_POINT_GROUP = "ferroconnect.transforms"

_registered: dict[str, type] = {}
_plugin_paths: list[Path] = []


def entry_points(*, group: str) -> EntryPoints:
    """The installed entry points of ``group``."""
    from importlib.metadata import entry_points as installed

    return installed(group=group)


def class_name(cls: type) -> str:
    """The name a class is registered and shown under: ``module.QualifiedName``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def register(cls: type) -> str:
    """Registers a connector, transform or predicate class object so that ``connector.class``
    (or ``transforms.<alias>.type``, ``predicates.<alias>.type``) can name it."""
    name = class_name(cls)
    _registered[name] = cls
    return name


def add_plugin_path(paths: str) -> None:
    """Adds ``plugin.path`` directories (comma-separated): importable, and scanned for connectors."""
    from pathlib import Path  # only where plugin.path is set (see the imports above)

    for part in paths.split(","):
        if not part.strip():
            continue
        directory = Path(part.strip()).resolve()
        if directory not in _plugin_paths:
            _plugin_paths.append(directory)
            sys.path.insert(0, str(directory))


def _scanned_classes() -> dict[str, type]:
    """Connector, transform and predicate classes defined by the modules of the ``plugin.path``
    directories."""
    from ferroconnect.connector import Connector
    from ferroconnect.transform import Predicate, Transformation

    found: dict[str, type] = {}
    for directory in _plugin_paths:
        candidates = sorted(directory.glob("*.py")) + sorted(
            p.parent for p in directory.glob("*/__init__.py")
        )
        for path in candidates:
            module_name = path.stem if path.suffix == ".py" else path.name
            if module_name.startswith("_"):
                continue
            try:
                module = importlib.import_module(module_name)
            except Exception:
                continue
            for value in vars(module).values():
                if not (isinstance(value, type) and value.__module__ == module_name):
                    continue
                if (
                    issubclass(value, Connector)
                    and getattr(value, "_ferroconnect_kind", "") in ("source", "sink")
                ) or (
                    issubclass(value, Transformation | Predicate) and value not in (Transformation, Predicate)
                ):
                    found[class_name(value)] = value
    return found


def _by_alias(name: str) -> type | None:
    """A scanned or registered class whose simple name, or alias without ``Connector``, is ``name``."""
    from ferroconnect.connector import Connector

    for cls in {**_scanned_classes(), **_registered}.values():
        if not issubclass(cls, Connector):
            continue
        simple = cls.__name__
        if name in (simple, simple.removesuffix("Connector")):
            return cls
    return None


def find_connector_class(name: str) -> type:
    """The connector class ``name`` refers to; ConfigError naming what was looked up where."""
    from ferroconnect.connector import Connector

    looked: list[str] = []
    cls: Any = _registered.get(name)
    looked.append("classes passed to this Worker")
    # A dotted path is tried before the entry points: reading the installed distributions' entry
    # points imports importlib.metadata (about 5 MiB of a worker's resident memory), which a
    # connector named by its module path, as Kafka Connect names classes, does not need.
    if cls is None and "." in name:
        module_name, _, attr = name.rpartition(".")
        looked.append(f"attribute {attr!r} of module {module_name!r}")
        try:
            cls = getattr(importlib.import_module(module_name), attr, None)
        except ImportError as exc:
            looked[-1] += f" (import failed: {exc})"
    if cls is None:
        matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        looked.append(f"entry points of group {ENTRY_POINT_GROUP!r}")
        if matches:
            cls = matches[0].load()
    if cls is None and "." not in name:
        looked.append("simple names and aliases of connectors on plugin.path")
        cls = _by_alias(name)
    if cls is None:
        raise ConfigError(
            f"Failed to find any class that implements Connector and which name matches {name}; "
            f"looked in: {'; '.join(looked)}"
        )
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise ConfigError(f"{name} resolves to {cls!r}, which is not a subclass of ferroconnect.Connector")
    return cls


def load_connector(name: str) -> Any:
    """A new instance of the connector class ``name``."""
    return find_connector_class(name)()


def connector_plugins() -> list[tuple[str, str, str]]:
    """``(class name, "source"|"sink", version)`` of every connector class known without being
    named: classes passed to an in-process ``Worker``, entry points of ``ferroconnect.connectors`` and
    connectors on ``plugin.path`` (``GET /connector-plugins``). What fails to load is skipped."""
    from ferroconnect.connector import Connector

    classes: dict[str, type] = {**_scanned_classes(), **_registered}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception:
            continue
        if isinstance(cls, type) and issubclass(cls, Connector):
            classes.setdefault(class_name(cls), cls)
    found = []
    for name, cls in sorted(classes.items()):
        kind = getattr(cls, "_ferroconnect_kind", "")
        if kind not in ("source", "sink"):
            continue
        try:
            version = str(cls().version())
        except Exception:
            version = "undefined"
        found.append((name, kind, version))
    return found


def _transform_base(kind: str) -> type:
    from ferroconnect.transform import Predicate, Transformation

    return Transformation if kind == "transformation" else Predicate


def find_transform_class(name: str, kind: str) -> type | None:
    """The ``Transformation`` (``kind="transformation"``) or ``Predicate`` (``"predicate"``) class
    ``name`` refers to, or None when it names no such class (not found, or of the other kind:
    the runtime then says which).

    Raises:
        ConfigError: ``name`` is a class that is neither a transform nor a predicate.
        Exception: Importing its module failed (other than the module not existing).
    """
    from ferroconnect.transform import Predicate, Transformation

    cls: Any = _registered.get(name)
    if cls is None and "." in name:
        # Before the entry points, as for connectors (see find_connector_class).
        module_name, _, attr = name.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only a missing module means "not here"; a module that fails inside is an error.
            missing = exc.name or ""
            if not (module_name == missing or module_name.startswith(missing + ".")):
                raise
            module = None
        cls = getattr(module, attr, None)
    if cls is None:
        matches = [ep for ep in entry_points(group=TRANSFORM_ENTRY_POINT_GROUP) if ep.name == name]
        if matches:
            cls = matches[0].load()
    if cls is None:
        cls = _scanned_classes().get(name)
    if cls is None:
        return None
    if not (isinstance(cls, type) and issubclass(cls, Transformation | Predicate)):
        raise ConfigError(
            f"Class {name} does not implement the {_transform_base(kind).__name__} interface: it resolves "
            f"to {cls!r}, which is not a subclass of ferroconnect.Transformation or ferroconnect.Predicate"
        )
    return cls if issubclass(cls, _transform_base(kind)) else None


def transform_config_def(name: str, kind: str) -> Any:
    """The compiled ``ConfigDef`` of the transform or predicate class ``name`` (from a new
    instance's ``config()``, as Kafka asks a new instance), or None if unknown."""
    cls = find_transform_class(name, kind)
    if cls is None:
        return None
    return cls().config()._def


def transform_plugins() -> list[tuple[str, str, str]]:
    """``(class name, "transformation"|"predicate", version)`` of every transform and predicate
    class known without being named: registered classes, entry points of
    ``ferroconnect.transforms`` and classes on ``plugin.path``. What fails to load is skipped."""
    from ferroconnect.transform import Predicate, Transformation

    classes: dict[str, type] = {**_scanned_classes(), **_registered}
    for ep in entry_points(group=TRANSFORM_ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception:
            continue
        if isinstance(cls, type):
            # Listed under the name configs use for it.
            classes.setdefault(ep.name, cls)
    found = []
    for name, cls in sorted(classes.items()):
        if issubclass(cls, Transformation):
            kind = "transformation"
        elif issubclass(cls, Predicate):
            kind = "predicate"
        else:
            continue
        try:
            version = str(cls().version())
        except Exception:
            version = "undefined"
        found.append((name, kind, version))
    return found


def validate_connector(
    connector: Any, config: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """A connector's ``validate(config)`` and its config definition's recommended values, by key."""
    errors = {str(k): [str(e) for e in v] for k, v in connector.validate(config).items()}
    config_def = connector.config()
    recommended: dict[str, list[str]] = {}
    if config_def.recommenders:
        try:
            parsed: dict[str, Any] = config_def.parse(config)
        except Exception:
            parsed = dict(config)
        for key, recommender in config_def.recommenders.items():
            recommended[key] = [str(v) for v in recommender(key, parsed)]
    return errors, recommended


def overrides_commit_record(task: Any) -> bool:
    """Whether a task implements ``commit_record`` (records are kept for it only then)."""
    from ferroconnect.connector import SourceTask

    return type(task).commit_record is not SourceTask.commit_record


class RecordMetadata(NamedTuple):
    """Where Kafka stored a record: given to ``SourceTask.commit_record``."""

    topic: str
    partition: int
    offset: int
    timestamp: int | None


class AsyncRunner:
    """Runs a task's methods on the task's own thread; ``async def`` ones on its own asyncio loop.

    Each task thread that has coroutine methods gets a private event loop, so tasks work in a
    process that already runs a loop (Jupyter) and never block each other.
    """

    def __init__(self, task: Any) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._current: asyncio.Future[Any] | None = None
        self._stopping = False

    def call(self, method: Any, args: tuple[Any, ...]) -> Any:
        """Calls ``method(*args)``; awaits the result on this thread's loop if it is awaitable."""
        return self.resolve(method(*args))

    def resolve(self, result: Any) -> Any:
        """``result``, or what it gives once awaited on this thread's loop if it is awaitable.

        The runtime calls task methods itself and hands their result here unless it is None.
        """
        if not is_awaitable(result):
            return result
        import asyncio

        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        if self._stopping:
            # stop() already ran: don't start a new await that nothing will cancel.
            result.close() if is_coroutine(result) else None
            return None
        future = asyncio.ensure_future(result, loop=self._loop)
        self._current = future
        try:
            return self._loop.run_until_complete(future)
        except asyncio.CancelledError:
            return None
        finally:
            self._current = None

    def stop(self, task: Any) -> None:
        """Calls the task's ``stop`` (from another thread) and cancels an ``await`` in progress."""
        self._stopping = True
        result = task.stop()
        if is_awaitable(result):
            import asyncio

            asyncio.run(_awaited(result))
        loop, current = self._loop, self._current
        if loop is not None and current is not None and not loop.is_closed():
            loop.call_soon_threadsafe(current.cancel)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
