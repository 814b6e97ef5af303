"""The in-process worker: runs connectors in this Python process (notebooks, scripts, tests)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict, cast

from ferroconnect import _core, _logging, _plugins, embedded

if TYPE_CHECKING:
    from ferroconnect.live import LiveView

#: Converters of an in-process worker unless given: schemaless JSON would need the JsonConverter;
#: strings are Kafka Connect's simplest converter and what the FileStream examples use.
DEFAULT_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"


class ConnectorStatus(dict[str, Any]):
    """Kafka Connect's status document (``GET /connectors/{name}/status``), shown as a table in Jupyter."""

    @property
    def state(self) -> str:
        """The connector's state (RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED)."""
        return str(self["connector"]["state"])

    @property
    def task_states(self) -> list[str]:
        """Each task's state, by task id."""
        return [str(t["state"]) for t in self["tasks"]]

    def _repr_html_(self) -> str:
        from html import escape

        rows = [("connector", self["connector"])] + [(f"task {t['id']}", t) for t in self["tasks"]]
        body = "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(s['state'])}</td><td>{escape(s['worker_id'])}</td>"
            f"<td><pre>{escape(s.get('trace', ''))}</pre></td></tr>"
            for name, s in rows
        )
        return (
            f"<b>{escape(self['name'])}</b> ({escape(self['type'])})<table><tr><th></th><th>state</th>"
            f"<th>worker</th><th>trace</th></tr>{body}</table>"
        )


class Metric(TypedDict):
    """One of Kafka Connect's metrics as :meth:`Worker.metrics` reads it: Kafka's group (the
    MBean's ``type``, e.g. ``"source-task-metrics"``), name (``"source-record-poll-total"``), tags
    (``{"connector": "c", "task": "0"}``) and current value. A string-valued metric of Kafka's
    (a status, a class name) reads 1.0 with the string in a tag named after it (``status``)."""

    group: str
    name: str
    tags: dict[str, str]
    value: float


class Worker:
    """Runs connectors in this process, with Kafka Connect's worker settings.

    Example:
        >>> with EmbeddedKafka() as kafka, Worker(bootstrap_servers=kafka.bootstrap_servers) as worker:
        ...     worker.create_connector("lines", {"connector.class": LineSource, "topic": "lines"})
        ...     print(worker.status("lines").state)  # doctest: +SKIP
    """

    def __init__(self, bootstrap_servers: str | None = None, **settings: Any) -> None:
        """Starts a worker.

        Args:
            bootstrap_servers: Kafka's ``host:port`` list (``bootstrap.servers``).
            **settings: ``distributed=True`` joins a cluster of workers (Kafka Connect's
                distributed mode, see ``docs/distributed.md``) instead of running alone: it needs
                ``group.id`` and the three ``*.storage.topic`` keys, and always serves the REST
                API (on a free loopback port unless ``listeners`` says otherwise). What runs here
                is what the group assigns; config changes are made by the group's leader, so on
                another worker they raise an error naming it (the REST API forwards them).
                ``rest_port=8083`` serves Kafka Connect's REST API on ``127.0.0.1:<port>``
                (0: a free port; see :attr:`rest_url`); setting ``listeners`` serves it too (see
                ``docs/rest.md``). The rest are worker properties, with dots or underscores:
                ``offset_flush_interval_ms=1000`` or ``**{"offset.flush.interval.ms": "1000"}``.
                Without ``offset.storage.file.filename`` offsets are kept in memory; with it,
                connector configs and their paused/stopped states are kept beside it and come back
                when a worker starts on the same file.
                ``plugin.path``: directories whose modules are scanned for connector classes.
                Converters default to Kafka's StringConverter. Statuses name the worker
                (``worker_id``) by its REST ``host:port``; without a listener and without
                ``rest.advertised.host.name``, by ``<host>:pid-<pid>``.
        """
        props: dict[str, str] = {
            "key.converter": DEFAULT_CONVERTER,
            "value.converter": DEFAULT_CONVERTER,
        }
        if bootstrap_servers is not None:
            props["bootstrap.servers"] = bootstrap_servers
        rest_port = settings.pop("rest_port", None)
        distributed = bool(settings.pop("distributed", False))
        for key, value in settings.items():
            props[key.replace("_", ".") if "." not in key else key] = _text(value)
        if embedded.is_embedded(props.get("bootstrap.servers", "")):
            for key, value in embedded.EMBEDDED_WORKER_DEFAULTS.items():
                props.setdefault(key, value)
        _logging.forward()
        if rest_port is not None:
            props.setdefault("listeners", f"http://127.0.0.1:{rest_port}")
        if distributed:
            props.setdefault("listeners", "http://127.0.0.1:0")
        if props.get("plugin.path"):
            _plugins.add_plugin_path(props["plugin.path"])
        self._worker = _core.Worker(props, rest="listeners" in props, distributed=distributed)
        self._views: list[LiveView] = []

    @property
    def rest_url(self) -> str | None:
        """The REST API's base URL (``http://127.0.0.1:8083``), or None when it is not served."""
        return self._worker.rest_url

    def create_connector(self, name: str, config: Mapping[str, Any]) -> None:
        """Creates and starts a connector.

        Args:
            name: The connector's unique name.
            config: Its config; ``connector.class`` may be a class object, a dotted path, or an
                entry-point name of group ``ferroconnect.connectors``.

        Raises:
            ConfigError: The config is invalid (every error listed; :meth:`validate` gives them key
                by key) or the class cannot be found (the message says where it was looked for).
            ConflictError: A connector of that name exists.
        """
        self._worker.create_connector(name, _config(config))

    def put_connector_config(self, name: str, config: Mapping[str, Any]) -> bool:
        """Replaces a connector's config and restarts it; creates it if absent (returns True then)."""
        return self._worker.put_connector_config(name, _config(config))

    def delete_connector(self, name: str) -> None:
        """Stops and removes a connector (its committed offsets stay)."""
        self._worker.delete_connector(name)

    def connectors(self) -> list[str]:
        """The connectors' names."""
        return self._worker.connectors()

    def connector_config(self, name: str) -> dict[str, str]:
        """A connector's config, as strings."""
        return self._worker.connector_config(name)

    def task_configs(self, name: str) -> list[dict[str, str]]:
        """The configs the connector generated for its tasks."""
        return self._worker.task_configs(name)

    def status(self, name: str) -> ConnectorStatus:
        """Kafka Connect's status of a connector and its tasks (FAILED ones carry a ``trace``)."""
        return ConnectorStatus(json.loads(self._worker.status_json(name)))

    def metrics(self) -> list[Metric]:
        """Kafka Connect's metrics of this worker and of the connectors and tasks it runs now, as
        ``GET /metrics`` serves them (see docs/metrics.md); rates and averages are over Kafka's
        window (2 samples of 30 s). Empty with ``ferroconnect.metrics.enabled=false``."""
        return cast("list[Metric]", self._worker.metrics())

    def validate(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Kafka Connect's ``ConfigInfos`` for a connector config: every key's definition, value
        and errors (``error_count`` in total), as ``PUT /connector-plugins/{plugin}/config/validate``."""
        result: dict[str, Any] = json.loads(self._worker.validate_json(_config(config)))
        return result

    def offsets(self, name: str) -> list[dict[str, Any]]:
        """The connector's committed source offsets: ``[{"partition": ..., "offset": ...}]``."""
        result: list[dict[str, Any]] = json.loads(self._worker.offsets_json(name))["offsets"]
        return result

    def pause(self, name: str) -> None:
        """Pauses a connector's tasks (they stay assigned; ``poll`` is no longer called)."""
        self._worker.pause(name)

    def resume(self, name: str) -> None:
        """Resumes a paused or stopped connector."""
        self._worker.resume(name)

    def stop_connector(self, name: str) -> None:
        """Stops a connector and its tasks, keeping its config (Kafka Connect's STOPPED)."""
        self._worker.stop_connector(name)

    def restart(self, name: str, include_tasks: bool = False, only_failed: bool = False) -> None:
        """Restarts a connector; with ``include_tasks`` its tasks; ``only_failed``: FAILED ones only."""
        self._worker.restart(name, include_tasks, only_failed)

    def restart_task(self, name: str, task_id: int) -> None:
        """Restarts one task."""
        self._worker.restart_task(name, task_id)

    def wait_for_state(
        self, name: str, state: str = "RUNNING", tasks: int | None = None, timeout: float = 30.0
    ) -> ConnectorStatus:
        """Waits until the connector (and ``tasks`` tasks, if given) are in ``state``. In a
        notebook, a progress line shows the states meanwhile, then the outcome.

        Raises:
            TimeoutError: Not reached in time; the message holds the last status.
        """
        from ferroconnect.live import WaitProgress  # notebook display: imported when used

        progress = WaitProgress(f"waiting for {name} to be {state}", timeout)
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(name)
            task_states = status.task_states
            ok = status.state == state and all(s == state for s in task_states)
            if ok and (tasks is None or len(task_states) == tasks):
                progress.done(f"{status.state}, tasks {' '.join(task_states) or 'none'}")
                return status
            if time.monotonic() > deadline:
                progress.done(f"timed out: {status.state}, tasks {' '.join(task_states) or 'none'}")
                raise TimeoutError(f"{name} did not reach {state}: {dict(status)}")
            progress.update(f"{status.state}, tasks {' '.join(task_states) or 'none yet'}")
            time.sleep(0.02)

    def live(self, *names: str, interval: float = 1.0) -> LiveView:
        """A live view of the tasks (state, records/s, totals, last error), refreshed every
        ``interval`` seconds until ``view.stop()`` or :meth:`close`. In a notebook it shows as an
        ipywidget when ipywidgets is installed, else as HTML updated in place.

        Args:
            names: Connectors to show; all of this worker's by default.
            interval: Seconds between refreshes.
        """
        from ferroconnect.live import LiveView

        view = LiveView(self, names or None, interval)
        self._views.append(view)
        return view

    def close(self) -> None:
        """Stops every connector gracefully (acknowledged offsets are committed) and the live views."""
        for view in self._views:
            view.stop()
        self._worker.shutdown()

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_text(v) for v in value)
    return str(value)


def _config(config: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, type):
            value = _plugins.register(value)
        out[key] = _text(value)
    return out


__all__ = ["ConnectorStatus", "Worker"]
