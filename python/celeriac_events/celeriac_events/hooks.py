"""Celery's signals turned into celeriac's events, with the fields and order celeriac's workers send.

| signal | event |
|---|---|
| ``after_task_publish`` (with ``task_sent_event``) | ``task-sent`` |
| ``task_received`` | ``task-received`` |
| ``task_prerun`` | ``task-started`` |
| ``task_success`` | ``task-succeeded`` (``result`` is ``saferepr``, at most 1,024 characters; ``runtime`` s) |
| ``task_failure`` | ``task-failed`` |
| ``task_retry`` | ``task-retried`` |
| ``task_revoked`` | ``task-revoked`` |
| ``task_postrun`` with state ``REJECTED`` (``Reject``) | ``task-rejected`` |
| ``task_unknown`` | ``task-failed`` with ``NotRegistered('name')`` |
| ``worker_ready`` / a heartbeat thread / ``worker_shutdown`` | ``worker-online`` / ``-heartbeat`` / ``-offline`` |
"""

from __future__ import annotations

import platform
import threading
import time
from typing import Any

import celery
from celery import signals
from celery.utils.nodenames import anon_nodename
from celery.utils.saferepr import saferepr
from kombu.utils.encoding import safe_repr

from .dispatcher import EventDispatcher
from .task_index import TaskIndexWriter

#: Celery's ``resultrepr_maxsize``: ``task-succeeded``'s ``result`` is at most this long.
RESULT_REPR_MAX = 1024
#: The final states Celery's worker stores by the time ``task_postrun`` fires (``Reject``/``Ignore`` store none).
STORED_STATES = frozenset({"SUCCESS", "FAILURE", "RETRY"})


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _worker_fields(freq: float) -> dict[str, Any]:
    from celery.utils.sysinfo import load_average
    from celery.worker import state

    try:
        loadavg = [round(value, 2) for value in load_average()]
    except Exception:  # noqa: BLE001 - no load average on this platform
        loadavg = [0.0, 0.0, 0.0]
    return {
        "freq": freq,
        "active": len(state.active_requests),
        "processed": sum(state.total_count.values()),
        "loadavg": loadavg,
        "sw_ident": "py-celery",
        "sw_ver": celery.__version__,
        "sw_sys": platform.system(),
    }


class Hooks:
    """The signal receivers of one app. Build with :func:`celeriac_events.install`."""

    def __init__(
        self,
        app: Any,
        dispatcher: EventDispatcher,
        *,
        task_sent_event: bool,
        task_index: bool,
        heartbeat_seconds: float,
    ):
        self.app = app
        self.dispatcher = dispatcher
        self.task_sent_event = task_sent_event
        self.index = TaskIndexWriter(app) if task_index else None
        self.heartbeat_seconds = heartbeat_seconds
        self.hostname: str | None = None
        self._started: dict[str, float] = {}
        self._stop = threading.Event()
        self._heart: threading.Thread | None = None

    def connect(self) -> None:
        """Connects every receiver (strongly: they live as long as the process)."""
        for signal, receiver in (
            (signals.after_task_publish, self.on_published),
            (signals.task_received, self.on_received),
            (signals.task_prerun, self.on_prerun),
            (signals.task_success, self.on_success),
            (signals.task_failure, self.on_failure),
            (signals.task_retry, self.on_retry),
            (signals.task_revoked, self.on_revoked),
            (signals.task_postrun, self.on_postrun),
            (signals.task_unknown, self.on_unknown),
            (signals.worker_init, self.on_worker_init),
            (signals.worker_ready, self.on_worker_ready),
            (signals.worker_shutdown, self.on_worker_shutdown),
            (signals.worker_process_shutdown, self.on_process_shutdown),
        ):
            signal.connect(receiver, weak=False)

    # -- helpers --

    def _ours(self, task: Any) -> bool:
        return getattr(task, "app", self.app) is self.app

    def _host(self, request: Any = None) -> str:
        return getattr(request, "hostname", None) or self.hostname or anon_nodename()

    def _send(self, type_: str, fields: dict[str, Any], hostname: str) -> None:
        self.dispatcher.send(type_, fields, hostname)

    def _index(self, task_id: str | None, state: str, name: str | None) -> None:
        if self.index is not None and task_id and self.index.supported():
            self.index.write(task_id, state, name)

    # -- task events --

    def on_published(self, sender: Any = None, body: Any = None, exchange: Any = None,
                     routing_key: Any = None, headers: Any = None, **_: Any) -> None:
        if not self.task_sent_event:
            return
        headers = headers or {}
        if "task" in headers:  # protocol 2
            info = headers
            args, kwargs = headers.get("argsrepr"), headers.get("kwargsrepr")
        else:  # protocol 1: everything is in the body
            info = body if isinstance(body, dict) else {}
            args, kwargs = saferepr(info.get("args", ())), saferepr(info.get("kwargs", {}))
        queue = routing_key or ""
        self._send(
            "task-sent",
            {
                "uuid": info.get("id"),
                "root_id": info.get("root_id"),
                "parent_id": info.get("parent_id"),
                "name": info.get("task") or sender,
                "args": args,
                "kwargs": kwargs,
                "retries": info.get("retries") or 0,
                "eta": _iso(info.get("eta")),
                "expires": _iso(info.get("expires")),
                "queue": queue,
                "exchange": "",
                "routing_key": queue,
            },
            headers.get("origin") or anon_nodename(),
        )

    def on_received(self, sender: Any = None, request: Any = None, **_: Any) -> None:
        if request is None or not self._ours(getattr(request, "task", None)):
            return
        self._send(
            "task-received",
            {
                "uuid": request.id,
                "name": request.name,
                "args": request.argsrepr,
                "kwargs": request.kwargsrepr,
                "root_id": request.root_id,
                "parent_id": request.parent_id,
                "retries": request.request_dict.get("retries", 0),
                "eta": _iso(request.eta),
                "expires": _iso(request.expires),
            },
            self._host(request),
        )

    def on_prerun(self, sender: Any = None, task_id: Any = None, task: Any = None, **_: Any) -> None:
        if not self._ours(task):
            return
        self._started[task_id] = time.monotonic()
        self._send("task-started", {"uuid": task_id}, self._host(task.request))

    def on_success(self, sender: Any = None, result: Any = None, **_: Any) -> None:
        if not self._ours(sender):
            return
        task_id = sender.request.id
        started = self._started.pop(task_id, None)
        self._send(
            "task-succeeded",
            {
                "uuid": task_id,
                "result": saferepr(result, RESULT_REPR_MAX),
                "runtime": 0.0 if started is None else time.monotonic() - started,
            },
            self._host(sender.request),
        )

    def on_failure(self, sender: Any = None, task_id: Any = None, exception: Any = None,
                   einfo: Any = None, **_: Any) -> None:
        if not self._ours(sender):
            return
        self._started.pop(task_id, None)
        self._send(
            "task-failed",
            {
                "uuid": task_id,
                "exception": safe_repr(exception),
                "traceback": getattr(einfo, "traceback", None),
            },
            self._host(sender.request),
        )

    def on_retry(self, sender: Any = None, request: Any = None, reason: Any = None,
                 einfo: Any = None, **_: Any) -> None:
        if not self._ours(sender) or request is None:
            return
        self._started.pop(request.id, None)
        exc = getattr(reason, "exc", None)
        self._send(
            "task-retried",
            {
                "uuid": request.id,
                "exception": safe_repr(exc),
                "traceback": None if exc is None else getattr(einfo, "traceback", None),
            },
            self._host(request),
        )

    def on_revoked(self, sender: Any = None, request: Any = None, terminated: Any = False,
                   signum: Any = None, expired: Any = False, **_: Any) -> None:
        if not self._ours(sender) or request is None:
            return
        self._send(
            "task-revoked",
            {
                "uuid": request.id,
                "terminated": bool(terminated),
                "signum": None if signum is None else str(int(signum)),
                "expired": bool(expired),
            },
            self._host(request),
        )
        self._index(request.id, "REVOKED", None)

    def on_postrun(self, sender: Any = None, task_id: Any = None, task: Any = None,
                   retval: Any = None, state: Any = None, **_: Any) -> None:
        if not self._ours(task):
            return
        self._started.pop(task_id, None)  # also for Ignore, which sends nothing more
        if state == "REJECTED":
            self._send(
                "task-rejected",
                {"uuid": task_id, "requeue": bool(getattr(retval, "requeue", False))},
                self._host(task.request),
            )
        # Celery stored the state before this signal: add the index keys to its item.
        if state in STORED_STATES and not getattr(task, "ignore_result", False):
            self._index(task_id, str(state), task.name)

    def on_unknown(self, sender: Any = None, name: Any = None, id: Any = None, **_: Any) -> None:  # noqa: A002
        if getattr(sender, "app", self.app) is not self.app:
            return
        self._send(
            "task-failed",
            {"uuid": id, "exception": f"NotRegistered({name!r})", "traceback": None},
            self._host(),
        )
        # Celery stored FAILURE; as celeriac's, an unregistered task is in the state index only (no name).
        self._index(id, "FAILURE", None)

    # -- worker events --

    def on_worker_init(self, sender: Any = None, **_: Any) -> None:
        self.hostname = getattr(sender, "hostname", None) or self.hostname

    def on_worker_ready(self, sender: Any = None, **_: Any) -> None:
        self.hostname = getattr(sender, "hostname", None) or self.hostname
        self._send("worker-online", _worker_fields(self.heartbeat_seconds), self._host())
        self.dispatcher.flush(2.0)
        if self.heartbeat_seconds > 0 and self._heart is None:
            self._heart = threading.Thread(target=self._beat, name="celeriac-heartbeat", daemon=True)
            self._heart.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            self._send("worker-heartbeat", _worker_fields(self.heartbeat_seconds), self._host())

    def on_worker_shutdown(self, sender: Any = None, **_: Any) -> None:
        self._stop.set()
        self._send("worker-offline", _worker_fields(self.heartbeat_seconds), self._host())
        self.dispatcher.flush(2.0)

    def on_process_shutdown(self, **_: Any) -> None:
        # A prefork child sends its task events itself: flush them before it exits.
        self.dispatcher.flush(2.0)
