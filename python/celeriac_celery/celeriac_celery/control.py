"""A Python Celery worker in celeriac's worker registry, answering its remote control (``docs/monitoring.md``),
so ``celeriac inspect``, ``celeriac control`` and the dashboard see one fleet.

From ``worker_ready`` a heartbeat thread writes, every ``heartbeat_seconds``, the worker's record as celeriac's
workers write theirs (``src/worker/registry-agent.ts``, ``src/aws/dynamodb-monitoring-store.ts``): item
``celeriac-worker-<worker id>`` in the results table, ``idx_state`` ``WORKER#0``, ``timestamp``, ``ttl`` and the
record's JSON in ``monitoring`` (hostname, pid, kind, pool, concurrency, queues, active tasks, processed counts by state and by task,
registered task names, version, start, heartbeat, status). Then it reads the control records written since its
last beat (one ``Query`` on ``celeriac-by-state``, ``CONTROL#0``), carries out those meant for it and writes a
reply record ``celeriac-reply-<command id>-<worker id>`` for each. On ``worker_shutdown`` it writes itself
offline. A failing table is logged once until it works again and never stops the worker.

Commands answered: ``ping`` (``pong``), ``shutdown`` (replies, then a warm shutdown as on SIGTERM),
``add_consumer`` / ``cancel_consumer`` ``{queue}`` (Celery's consumer starts or stops polling the queue),
``rate_limit`` (an error reply pointing to the limits record, as celeriac's workers answer). ``revoke`` needs no
worker: it stores REVOKED, which the claim refuses. Like celeriac, it needs the task index on the results table,
and is on when ``CELERIAC_TASK_INDEX`` is (or ``worker_registry=True``).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import uuid
from collections import Counter
from typing import Any, Callable, Optional

from celery import __version__ as celery_version
from celery.signals import task_postrun, worker_ready, worker_shutdown
from celery.worker import state as worker_state

from .part_options import option
from .settings import SettingsError

logger = logging.getLogger("celeriac_celery.control")

#: How long replies and control records live, seconds.
CONTROL_TTL_SECONDS = 600
#: How far back each read of control records reaches past the previous one (index propagation), ms.
CONTROL_OVERLAP_MS = 10_000
#: The longest the worker waits for its offline record on shutdown, seconds.
REGISTRY_WAIT_SECONDS = 2.0
BY_STATE_INDEX = "celeriac-by-state"
COMMANDS = ("ping", "shutdown", "rate_limit", "add_consumer", "cancel_consumer")
RATE_LIMIT_REPLY = (
    "celeriac workers read rate limits from the limits record, which `celeriac control rate-limit` writes; "
    "they pick a change up within 10 s"
)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _js_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def record_ttl_seconds(freq_seconds: float) -> int:
    """Seconds a worker record lives after its last heartbeat: ten heartbeats, at least 5 minutes."""
    import math

    return max(300, math.ceil(freq_seconds * 10))


def package_version() -> str:
    """This package's version (``celeriac_celery.__version__``)."""
    from . import __version__

    return str(__version__)


def pool_name(pool_cls: Any) -> str:
    """The pool's name as ``celery worker --pool`` takes it (``prefork``, ``threads``, ``solo``, ...)."""
    from celery.concurrency import ALIASES

    if isinstance(pool_cls, str):
        return pool_cls
    path = f"{getattr(pool_cls, '__module__', '')}:{getattr(pool_cls, '__name__', '')}"
    return next((alias for alias, target in ALIASES.items() if target == path), path)


def parse_control(stored_id: str, body: str) -> dict[str, Any] | str:
    """The command a control record holds, or why it holds none (``src/monitoring/control-command.ts``)."""
    try:
        value = json.loads(body)
    except ValueError:
        return "it is not JSON"
    if not isinstance(value, dict):
        return "it is not a JSON object"
    if value.get("id") != stored_id:
        return f"its id {json.dumps(value.get('id'))} is not the record's"
    if not isinstance(value.get("command"), str) or not value["command"]:
        return "it names no command"
    if not isinstance(value.get("arguments"), dict):
        return "`arguments` is not an object"
    created = value.get("createdAtMs")
    if isinstance(created, bool) or not isinstance(created, (int, float)):
        return "`createdAtMs` is not a number"
    destination = value.get("destination")
    if destination is not None and not (
        isinstance(destination, list) and all(isinstance(name, str) for name in destination)
    ):
        return "`destination` is not a list of hostnames"
    return value


#: The longest ``args`` and ``kwargs`` repr an active task's entry carries, as celeriac's workers write them.
MAX_ACTIVE_REPR_CHARS = 1024
#: The most repr characters all entries carry together, shared out when many tasks run (the record is one item).
MAX_ACTIVE_REPR_TOTAL = 32768


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


class WorkerRegistry:
    """One Celery worker's record in the registry, and its answers to control records."""

    def __init__(
        self, settings: Any, freq_seconds: float, now_ms: Callable[[], float] = lambda: time.time() * 1000
    ) -> None:
        self.settings = settings
        self.freq_seconds = freq_seconds
        self._now_ms = now_ms
        self.worker_id = f"{settings.worker_id}:{uuid.uuid4().hex[:8]}"
        self.processed: Counter[str] = Counter()
        self.totals: Counter[str] = Counter()
        self._consumer: Any = None
        self._started_ms = now_ms()
        self._read_since_ms = self._started_ms
        self._seen: dict[str, float] = {}
        self._failing = False
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    # -- the record ---------------------------------------------------------------------------------------

    @property
    def hostname(self) -> str:
        return str(getattr(self._consumer, "hostname", None) or f"celery@{os.uname().nodename}")

    def record(self, status: str, now_ms: float) -> dict[str, Any]:
        """The worker record, with celeriac's field names."""
        c = self._consumer
        controller = getattr(c, "controller", None)
        pool = pool_name(getattr(controller, "pool_cls", None))
        queues = [q.name for q in getattr(getattr(c, "task_consumer", None), "queues", None) or []]
        active = []
        requests = list(worker_state.active_requests)
        limit = max(16, min(MAX_ACTIVE_REPR_CHARS, MAX_ACTIVE_REPR_TOTAL // (2 * max(1, len(requests)))))
        for request in requests:
            started = getattr(request, "time_start", None)
            delivery = getattr(request, "delivery_info", None) or {}
            active.append(
                {
                    "id": request.id,
                    "name": request.name,
                    "startedAtMs": round(started * 1000) if started else round(now_ms),
                    "args": _clip(str(getattr(request, "argsrepr", None) or ""), limit),
                    "kwargs": _clip(str(getattr(request, "kwargsrepr", None) or ""), limit),
                    "queue": str(delivery.get("routing_key") or ""),
                    "redelivered": bool(delivery.get("redelivered")),
                }
            )
        app = self.settings.app
        return {
            "workerId": self.worker_id,
            "hostname": self.hostname,
            "pid": os.getpid(),
            "kind": "worker",
            "pool": pool,
            "concurrency": int(getattr(controller, "concurrency", None) or 1),
            "queues": queues,
            "active": active,
            "processed": dict(self.processed),
            "totals": dict(self.totals),
            "registered": sorted(name for name in app.tasks if not name.startswith("celery.")),
            "version": f"{package_version()} (Python celery {celery_version})",
            "startedAtMs": round(self._started_ms),
            "heartbeatAtMs": round(now_ms),
            "freqSeconds": self.freq_seconds,
            "status": status,
        }

    def _put(self, kind: str, item_id: str, at_ms: float, body: dict[str, Any], ttl_seconds: int) -> None:
        self.settings.dynamodb().put_item(
            TableName=self.settings.result_table,
            Item={
                "id": {"S": item_id},
                "idx_state": {"S": f"{kind}#0"},
                "timestamp": {"N": _js_number(at_ms / 1000)},
                "ttl": {"N": str(int(self._now_ms() // 1000) + ttl_seconds)},
                "monitoring": {"S": json.dumps(body, separators=(",", ":"))},
            },
        )

    def _list_controls(self, since_ms: float) -> list[tuple[str, str]]:
        client = self.settings.dynamodb()
        out: list[tuple[str, str]] = []
        params: dict[str, Any] = {
            "TableName": self.settings.result_table,
            "IndexName": BY_STATE_INDEX,
            "KeyConditionExpression": "#pk = :pk AND #ts >= :since",
            "ExpressionAttributeNames": {"#pk": "idx_state", "#ts": "timestamp"},
            "ExpressionAttributeValues": {":pk": {"S": "CONTROL#0"}, ":since": {"N": _js_number(since_ms / 1000)}},
        }
        while True:
            page = client.query(**params)
            for item in page.get("Items", []):
                item_id, body = item.get("id", {}).get("S"), item.get("monitoring", {}).get("S")
                if item_id is not None and body is not None:
                    out.append((item_id[len("celeriac-control-") :], body))
            if not page.get("LastEvaluatedKey"):
                return out
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- control ------------------------------------------------------------------------------------------

    def run_control(self, command: dict[str, Any]) -> dict[str, Any]:
        """Carries out one command: ``{'ok': value}`` or ``{'error': why}``; never raises."""
        name = command["command"]
        try:
            if name == "ping":
                return {"ok": "pong"}
            if name == "shutdown":
                return {"ok": "shutting down"}
            if name == "rate_limit":
                return {"error": RATE_LIMIT_REPLY}
            if name in ("add_consumer", "cancel_consumer"):
                queue = command["arguments"].get("queue")
                if not isinstance(queue, str) or not queue:
                    return {"error": f"{name} needs a `queue` argument naming a Celery queue"}
                c = self._consumer
                if name == "add_consumer":
                    c.call_soon(c.add_task_queue, queue)
                    return {"ok": f"add consumer {queue}"}
                c.call_soon(c.cancel_task_queue, queue)
                return {"ok": f"no longer consuming from {queue}"}
            return {"error": f"No such command {json.dumps(name)}; workers answer {', '.join(COMMANDS)}"}
        except Exception as error:  # noqa: BLE001 - an error reply, as celeriac's workers give
            return {"error": str(error)}

    def _answer_controls(self, now_ms: float) -> None:
        since = self._read_since_ms
        controls = self._list_controls(since)
        self._read_since_ms = max(self._started_ms, now_ms - CONTROL_OVERLAP_MS)
        for seen_id, at in list(self._seen.items()):
            if at < self._read_since_ms - CONTROL_OVERLAP_MS:
                del self._seen[seen_id]
        shutdown = False
        for stored_id, body in controls:
            if stored_id in self._seen:
                continue
            self._seen[stored_id] = now_ms
            command = parse_control(stored_id, body)
            if isinstance(command, str):
                logger.warning("worker registry: skipping control record %s: %s", stored_id, command)
                continue
            destination = command.get("destination")
            if command["createdAtMs"] < self._started_ms or (
                destination is not None and self.hostname not in destination
            ):
                continue
            result = self.run_control(command)
            reply = {
                "commandId": command["id"],
                "workerId": self.worker_id,
                "hostname": self.hostname,
                **result,
                "atMs": round(self._now_ms()),
            }
            reply_id = f"celeriac-reply-{command['id']}-{self.worker_id}"
            self._put("REPLY", reply_id, reply["atMs"], reply, CONTROL_TTL_SECONDS)
            if command["command"] == "shutdown" and "ok" in result:
                shutdown = True
        if shutdown:
            os.kill(os.getpid(), signal.SIGTERM)  # Celery's warm shutdown

    def beat(self) -> None:
        """Writes the record and answers control records; never raises."""
        with self._lock:
            now_ms = self._now_ms()
            try:
                self._put(
                    "WORKER",
                    f"celeriac-worker-{self.worker_id}",
                    now_ms,
                    self.record("online", now_ms),
                    record_ttl_seconds(self.freq_seconds),
                )
                self._answer_controls(now_ms)
                self._failing = False
            except Exception as error:  # noqa: BLE001 - never stops the worker
                if not self._failing:
                    self._failing = True
                    logger.warning("worker registry: a heartbeat failed, retrying at each heartbeat: %s", error)

    # -- life ---------------------------------------------------------------------------------------------

    def start(self, consumer: Any) -> None:
        """Beats now and then every ``freq_seconds``, on a daemon thread."""
        self._consumer = consumer
        self._started_ms = self._read_since_ms = self._now_ms()  # commands written before now never reach it
        self._thread = threading.Thread(target=self._loop, name="celeriac-registry", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.beat()
            self._stop.wait(self.freq_seconds)

    def stop(self) -> None:
        """Stops beating and writes the record offline (waiting at most 2 s); never raises."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(REGISTRY_WAIT_SECONDS)
        done = threading.Event()

        def offline() -> None:
            try:
                now_ms = self._now_ms()
                self._put(
                    "WORKER",
                    f"celeriac-worker-{self.worker_id}",
                    now_ms,
                    self.record("offline", now_ms),
                    record_ttl_seconds(self.freq_seconds),
                )
            except Exception as error:  # noqa: BLE001
                logger.warning("worker registry: writing the offline record failed: %s", error)
            finally:
                done.set()

        threading.Thread(target=offline, daemon=True).start()
        done.wait(REGISTRY_WAIT_SECONDS)


def install(app: Any, settings: Any) -> Optional[WorkerRegistry]:
    """Registers ``app``'s workers in celeriac's registry when it is on; returns the registry (or ``None``).

    On when ``worker_registry`` (an ``enable`` option) says so, else when ``CELERIAC_TASK_INDEX`` is true, as for
    celeriac's workers. ``heartbeat_seconds`` (else ``CELERIAC_HEARTBEAT_SECONDS``, else 30) is its interval.
    """
    enabled = option(settings, "worker_registry")
    heartbeat = option(settings, "heartbeat_seconds")
    if enabled is None:
        enabled = _flag("CELERIAC_TASK_INDEX")
    if not enabled:
        return None
    raw = heartbeat or os.environ.get("CELERIAC_HEARTBEAT_SECONDS") or 30
    try:
        freq = float(raw)
    except (TypeError, ValueError):
        freq = -1.0
    if not freq > 0:
        raise SettingsError(
            f"celeriac_celery: heartbeat_seconds (CELERIAC_HEARTBEAT_SECONDS) must be a number of seconds > 0, "
            f"got {raw!r}"
        )
    registry = WorkerRegistry(settings, freq)

    def on_ready(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is app:
            registry.start(sender)

    def on_shutdown(**_: Any) -> None:
        if registry._thread is not None:
            registry.stop()

    def on_postrun(task: Any = None, state: Optional[str] = None, **_: Any) -> None:
        if getattr(task, "app", None) is app and state:
            registry.processed[state] += 1
            registry.totals[task.name] += 1

    worker_ready.connect(on_ready, weak=False)
    worker_shutdown.connect(on_shutdown, weak=False)
    task_postrun.connect(on_postrun, weak=False)
    settings.parts["control"] = registry
    return registry
