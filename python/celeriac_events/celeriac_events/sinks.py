"""The sinks celeriac's TypeScript side writes to: JSON lines on stdout, and an EventBridge bus (batched).

``EventBridgeSink`` puts entries with ``Source`` ``celeriac``, ``DetailType`` the event type and ``Detail`` the
event as JSON, in ``PutEvents`` calls of at most 10 entries and 256 KiB, from one background thread: as soon as
10 wait, every ``flush_interval`` seconds, and on ``flush()``. A bus that is down never reaches a task: a failed
call drops its entries, a full buffer drops its oldest entry, and every loss is counted and logged (the first at
once, then at most once a minute).
"""

from __future__ import annotations

import collections
import json
import logging
import os
import sys
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

logger = logging.getLogger("celeriac_events")

#: EventBridge's limits on one ``PutEvents`` call.
MAX_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
#: celeriac's defaults.
DEFAULT_SOURCE = "celeriac"
DEFAULT_MAX_BUFFERED = 1000


def to_json(event: dict[str, Any]) -> str:
    """The event as compact JSON, as JavaScript's ``JSON.stringify`` writes it."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, default=str)


class StdoutSink:
    """One JSON line per event, written at once to the process's real stdout (not Celery's redirected one)."""

    name = "stdout"

    def __init__(self, write: Callable[[str], Any] | None = None):
        self._write = write
        self._counts = {"accepted": 0, "delivered": 0, "dropped": 0}

    def emit(self, event: dict[str, Any]) -> None:
        self._counts["accepted"] += 1
        try:
            line = to_json(event) + "\n"
            if self._write is not None:
                self._write(line)
            else:
                stream = sys.__stdout__ or sys.stdout
                stream.write(line)
                stream.flush()
            self._counts["delivered"] += 1
        except Exception:  # noqa: BLE001
            self._counts["dropped"] += 1

    def flush(self, timeout: float | None = None) -> None:
        return None

    def stats(self) -> dict[str, int]:
        return dict(self._counts)


def _entry_bytes(entry: dict[str, Any]) -> int:
    """EventBridge's size of an entry: Source, DetailType, Detail and 14 bytes for Time."""
    return sum(len(entry[key].encode("utf-8")) for key in ("Source", "DetailType", "Detail")) + 14


class EventBridgeSink:
    """Batches events onto the EventBridge bus ``event_bus`` (a name or an ARN)."""

    name = "eventbridge"

    def __init__(
        self,
        event_bus: str = "default",
        *,
        client: Any = None,
        source: str = DEFAULT_SOURCE,
        max_buffered: int = DEFAULT_MAX_BUFFERED,
        flush_interval: float = 1.0,
        endpoint_url: str | None = None,
    ):
        self.event_bus = event_bus
        self.source = source
        self._client = client
        self._own_client = client is None
        self._endpoint_url = endpoint_url
        self._max_buffered = max(1, max_buffered)
        self._flush_interval = flush_interval
        self._buffer: collections.deque[dict[str, Any]] = collections.deque()
        self._cond = threading.Condition()
        self._sending = False
        self._flush_requested = False
        self._thread: threading.Thread | None = None
        self._thread_pid: int | None = None
        self._counts = {"accepted": 0, "delivered": 0, "dropped": 0}
        self._last_report = 0.0
        #: ``PutEvents`` calls made, for cost measurements.
        self.calls = 0
        # A forked child (prefork pool) starts empty: the parent sends what it had buffered.
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self._buffer = collections.deque()
        self._cond = threading.Condition()
        self._sending = False
        self._flush_requested = False
        self._thread = None
        self._thread_pid = None
        self._counts = {"accepted": 0, "delivered": 0, "dropped": 0}
        self._last_report = 0.0
        if self._own_client:
            self._client = None  # boto3 clients are not fork-safe: the child builds its own

    def _bus_client(self) -> Any:
        if self._client is None:
            import boto3  # loaded only when the sink sends

            # boto3 resolves AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL itself.
            self._client = boto3.client("events", endpoint_url=self._endpoint_url)
        return self._client

    def emit(self, event: dict[str, Any]) -> None:
        entry = {
            "Source": self.source,
            "DetailType": event["type"],
            "Detail": to_json(event),
            "EventBusName": self.event_bus,
            "Time": datetime.fromtimestamp(event["timestamp"], tz=timezone.utc),
        }
        with self._cond:
            self._counts["accepted"] += 1
            if _entry_bytes(entry) > MAX_BATCH_BYTES:
                self._drop(1, f"a {event['type']} event is larger than {MAX_BATCH_BYTES} bytes")
                return
            if len(self._buffer) >= self._max_buffered:
                self._buffer.popleft()
                self._drop(1, f"more than {self._max_buffered} events waiting for the bus")
            self._buffer.append(entry)
            self._ensure_thread()
            if len(self._buffer) >= MAX_ENTRIES:
                self._cond.notify_all()

    def flush(self, timeout: float | None = 2.0) -> None:
        """Sends what waits; returns when the buffer is empty or after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if not self._buffer and not self._sending:
                return
            self._ensure_thread()
            self._flush_requested = True
            self._cond.notify_all()
            while self._buffer or self._sending:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return
                self._cond.wait(remaining)

    def stats(self) -> dict[str, int]:
        with self._cond:
            return dict(self._counts)

    def _ensure_thread(self) -> None:
        if self._thread is None or self._thread_pid != os.getpid() or not self._thread.is_alive():
            self._thread_pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="celeriac-events", daemon=True)
            self._thread.start()

    def _take_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        size = 0
        while self._buffer and len(batch) < MAX_ENTRIES:
            entry_size = _entry_bytes(self._buffer[0])
            if batch and size + entry_size > MAX_BATCH_BYTES:
                break
            batch.append(self._buffer.popleft())
            size += entry_size
        return batch

    def _run(self) -> None:
        while True:
            with self._cond:
                if len(self._buffer) < MAX_ENTRIES and not self._flush_requested:
                    self._cond.wait(self._flush_interval)
                batch = self._take_batch()
                # A flush asks for everything that waits: it is done only once the buffer is empty.
                if not self._buffer:
                    self._flush_requested = False
                self._sending = bool(batch)
            if batch:
                self._put(batch)
                with self._cond:
                    self._sending = False
                    self._cond.notify_all()

    def _put(self, batch: list[dict[str, Any]]) -> None:
        self.calls += 1
        try:
            response = self._bus_client().put_events(Entries=batch)
            failed = int(response.get("FailedEntryCount", 0))
        except Exception as error:  # noqa: BLE001 - the bus being down must not reach a task
            with self._cond:
                self._drop(len(batch), str(error))
            return
        with self._cond:
            self._counts["delivered"] += len(batch) - failed
            if failed:
                self._drop(failed, f"the bus refused {failed} event(s)")

    def _drop(self, count: int, reason: str) -> None:
        self._counts["dropped"] += count
        now = time.monotonic()
        if self._last_report == 0.0 or now - self._last_report >= 60:
            self._last_report = now
            logger.warning(
                "celeriac_events: dropped %d event(s) for the bus %s (%s); %d dropped in all",
                count,
                self.event_bus,
                reason,
                self._counts["dropped"],
            )
