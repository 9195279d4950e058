"""celeriac's events from the Python worker: :func:`celeriac_events.install` (``python/celeriac_events``), so the
same ``enable`` line that makes the worker claim tasks also makes it send celeriac's task and worker events to
celeriac's sinks (JSON lines on stdout, an EventBridge bus) and index its tasks.

Each option is an ``enable`` option of the same name (``events``, ``event_bus``, ``task_sent_event``,
``task_index``, ``heartbeat_seconds``), else the variable celeriac's workers read (``CELERIAC_EVENTS``,
``CELERIAC_EVENT_BUS``, ``CELERIAC_TASK_SEND_SENT_EVENT``, ``CELERIAC_TASK_INDEX``,
``CELERIAC_HEARTBEAT_SECONDS``), which ``celeriac_events`` reads itself. With no sink named, no event is sent.
"""

from __future__ import annotations

from typing import Any, Optional

from .part_options import option


def install(app: Any, settings: Any) -> Optional[Any]:
    """Installs celeriac's events hook on ``app``; returns its hooks."""
    import celeriac_events

    sinks = option(settings, "events")
    if isinstance(sinks, str):
        sinks = [name.strip() for name in sinks.split(",") if name.strip()]
    hooks = celeriac_events.install(
        app,
        sinks,
        event_bus=option(settings, "event_bus"),
        task_sent_event=option(settings, "task_sent_event"),
        task_index=option(settings, "task_index"),
        heartbeat_seconds=option(settings, "heartbeat_seconds"),
    )
    settings.parts["events"] = hooks
    return hooks
