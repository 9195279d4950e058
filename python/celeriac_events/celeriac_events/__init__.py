"""Python Celery's task and worker events in celeriac's view.

One call hooks Celery's signals and writes the events celeriac's TypeScript workers write, with the same names,
fields and envelope, to the same sinks (JSON lines on stdout, an EventBridge bus with ``Source`` ``celeriac``),
and, with ``task_index``, adds celeriac's task index keys to the result items Celery's DynamoDB backend writes::

    import celeriac_events

    celeriac_events.install(app, sinks=["stdout", "eventbridge"], event_bus="ops", task_index=True)

Every option falls back to the environment variable celeriac's workers read: ``CELERIAC_EVENTS``,
``CELERIAC_EVENT_BUS``, ``CELERIAC_TASK_SEND_SENT_EVENT``, ``CELERIAC_TASK_INDEX``, ``CELERIAC_HEARTBEAT_SECONDS``.
"""

from __future__ import annotations

import atexit
import os
from typing import Any, Iterable, Union

from .dispatcher import EventDispatcher, EventSink
from .hooks import Hooks
from .sinks import EventBridgeSink, StdoutSink
from .task_index import index_key, index_shard

__all__ = [
    "EventBridgeSink",
    "EventDispatcher",
    "EventSink",
    "Hooks",
    "StdoutSink",
    "index_key",
    "index_shard",
    "install",
]
__version__ = "0.1.0"

SINK_NAMES = ("stdout", "eventbridge")


class InvalidSinkError(ValueError):
    """A sink name that is neither ``stdout`` nor ``eventbridge``."""


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _sinks(sinks: Iterable[Union[str, EventSink]], event_bus: str | None) -> list[EventSink]:
    built: list[EventSink] = []
    for sink in sinks:
        if sink == "stdout":
            built.append(StdoutSink())
        elif sink == "eventbridge":
            built.append(EventBridgeSink(event_bus or os.environ.get("CELERIAC_EVENT_BUS") or "default"))
        elif isinstance(sink, str):
            raise InvalidSinkError(
                f"celeriac_events: unknown sink {sink!r}; use one of {', '.join(SINK_NAMES)} "
                "or an object with emit(event), flush(timeout) and stats()"
            )
        else:
            built.append(sink)
    return built


def install(
    app: Any,
    sinks: Iterable[Union[str, EventSink]] | None = None,
    *,
    event_bus: str | None = None,
    task_sent_event: bool | None = None,
    task_index: bool | None = None,
    heartbeat_seconds: float | None = None,
) -> Hooks:
    """Hooks ``app``'s signals so its workers and producers send celeriac's events; returns the hooks.

    :param sinks: ``'stdout'``, ``'eventbridge'`` or sink objects; default ``CELERIAC_EVENTS`` (comma-separated).
    :param event_bus: the ``eventbridge`` sink's bus name or ARN; default ``CELERIAC_EVENT_BUS``, else ``default``.
    :param task_sent_event: send ``task-sent`` from producers; default ``CELERIAC_TASK_SEND_SENT_EVENT``.
    :param task_index: add the task index keys to result items (DynamoDB backend only); default
        ``CELERIAC_TASK_INDEX``.
    :param heartbeat_seconds: seconds between ``worker-heartbeat`` events (0: none); default
        ``CELERIAC_HEARTBEAT_SECONDS``, else 30.
    """
    existing = getattr(app, "_celeriac_events", None)
    if existing is not None:
        return existing
    if sinks is None:
        sinks = [name.strip() for name in os.environ.get("CELERIAC_EVENTS", "").split(",") if name.strip()]
    dispatcher = EventDispatcher(_sinks(sinks, event_bus))
    hooks = Hooks(
        app,
        dispatcher,
        task_sent_event=_flag("CELERIAC_TASK_SEND_SENT_EVENT") if task_sent_event is None else task_sent_event,
        task_index=_flag("CELERIAC_TASK_INDEX") if task_index is None else task_index,
        heartbeat_seconds=float(os.environ.get("CELERIAC_HEARTBEAT_SECONDS") or 30)
        if heartbeat_seconds is None
        else heartbeat_seconds,
    )
    hooks.connect()
    # A producer's events wait in the bus sink's buffer: send them before the process exits.
    atexit.register(dispatcher.flush, 2.0)
    app._celeriac_events = hooks
    return hooks
