"""Stamps events with Celery's envelope and hands them to every sink, as celeriac's ``EventDispatcher`` does.

An event is a flat dict: ``hostname``, ``utcoffset``, ``pid``, ``clock`` (a Lamport clock, one step per event
of this process; a prefork child continues its parent's count on its own), the fields of its type, then
``timestamp`` (epoch seconds) and ``type``. Sending never raises and never waits: sinks buffer and count their
own losses.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Protocol, Sequence

from celery.utils.time import utcoffset


class EventSink(Protocol):
    """Where events go. ``emit`` must not raise or wait; ``flush`` waits at most ``timeout`` seconds."""

    name: str

    def emit(self, event: dict[str, Any]) -> None: ...

    def flush(self, timeout: float | None = None) -> None: ...

    def stats(self) -> dict[str, int]: ...


class EventDispatcher:
    """Stamps and fans out events to ``sinks``."""

    def __init__(self, sinks: Sequence[EventSink]):
        self.sinks = list(sinks)
        self._lock = threading.Lock()
        self._clock = 0
        # A lock held by another thread at fork would never be released in the child.
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._lock = threading.Lock()

    def send(self, type_: str, fields: dict[str, Any], hostname: str) -> dict[str, Any]:
        """Sends one event of ``type_`` from ``hostname``; returns it."""
        with self._lock:
            self._clock += 1
            clock = self._clock
        event: dict[str, Any] = {
            "hostname": hostname,
            "utcoffset": utcoffset(),
            "pid": os.getpid(),
            "clock": clock,
            **fields,
            "timestamp": time.time(),
            "type": type_,
        }
        for sink in self.sinks:
            try:
                sink.emit(event)
            except Exception:  # noqa: BLE001 - a sink's bug must not reach the task
                pass
        return event

    def flush(self, timeout: float | None = 2.0) -> None:
        """Flushes every sink, each within ``timeout`` seconds; never raises."""
        for sink in self.sinks:
            try:
                sink.flush(timeout)
            except Exception:  # noqa: BLE001
                pass

    def stats(self) -> dict[str, dict[str, int]]:
        """Each sink's ``accepted``/``delivered``/``dropped`` counters, by sink name."""
        return {sink.name: sink.stats() for sink in self.sinks}
