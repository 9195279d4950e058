"""Routing by task name while an app moves from Python Celery to celeriac, one task name at a time.

The routes record (item ``celeriac-migration-routes`` of the results table, written by ``celeriac route``) says,
per task name, which side runs it: ``python``, ``celeriac`` or ``shadow`` (Python runs it; celeriac runs it too,
see :mod:`celeriac_celery.shadow`). Routes in code (``enable(app, routes={...})``, else the Celery setting
``celeriac_routes``) apply to task names the record does not name. The record is read again every
``routes_refresh_seconds`` (10 by default, ``CELERIAC_MIGRATION_REFRESH_SECONDS``).

A message of a task name routed to ``celeriac`` that a Python worker receives is handed over, before it is
claimed or run, through the task's Celery strategy (``Task.Strategy``, wrapped at ``worker_init``):

- with the route's ``celeriacQueue`` (a queue only celeriac workers read), the SQS message is re-sent there
  unchanged (same body, so the same task id and headers), then the received copy is acknowledged (deleted);
- without one, the message is left on the queue it came from, visible again in a second, for a celeriac worker;
  after ``handover_limit`` receives (10) it is left for the queue's dead-letter queue with an error, so a message
  cannot go back and forth for ever.

celeriac's workers do the same in the other direction (``src/migration/hand-over.ts``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from celery.signals import worker_init
from celery.utils.imports import instantiate

from .shadow import send_shadow_copy

logger = logging.getLogger("celeriac_celery.routing")

#: The routes record's item id in the results table.
ROUTES_ID = "celeriac-migration-routes"
SIDES = ("python", "celeriac", "shadow")


@dataclass(frozen=True)
class Route:
    """Who runs a task name, and the queues each side reads on its own."""

    side: str
    python_queue: str | None = None
    celeriac_queue: str | None = None

    @classmethod
    def parse(cls, name: str, value: Any) -> "Route":
        """Reads a route: a side (``"celeriac"``) or ``{"side", "pythonQueue"?, "celeriacQueue"?}``."""
        if isinstance(value, str):
            value = {"side": value}
        if not isinstance(value, Mapping) or value.get("side") not in SIDES:
            raise ValueError(
                f"Expected the route of {name} to be 'python', 'celeriac', 'shadow' or "
                f"{{side, pythonQueue?, celeriacQueue?}}, got {value!r}"
            )
        return cls(value["side"], value.get("pythonQueue"), value.get("celeriacQueue"))


def parse_record(text: str) -> dict[str, Route]:
    """Reads the routes record's JSON text into task name -> :class:`Route`."""
    record = json.loads(text)
    if not isinstance(record, dict) or record.get("version") != 1 or not isinstance(record.get("tasks"), dict):
        raise ValueError('the routes record is not an object with "version": 1 and "tasks"')
    return {name: Route.parse(name, route) for name, route in record["tasks"].items()}


class RoutesUnknown(RuntimeError):
    """The routes record was never read and cannot be read now: no message may be routed yet."""


class Routes:
    """The routes in force in this process: the record, re-read every ``refresh_seconds``, over the code's."""

    def __init__(
        self,
        read: Callable[[], str | None],
        code_routes: Mapping[str, Route] | None = None,
        refresh_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._code = dict(code_routes or {})
        self._refresh = refresh_seconds
        self._clock = clock
        self._record: dict[str, Route] = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._problem: str | None = None
        self._read_once = False

    def route_of(self, name: str) -> Route | None:
        """The route of ``name``, or None when it runs wherever it is received.

        :raises RoutesUnknown: when the record was never read and cannot be read now.
        """
        with self._lock:
            if self._clock() - self._read_at >= self._refresh:
                self._read_at = self._clock()
                self._reload()
            return self._record.get(name) or self._code.get(name)

    def _reload(self) -> None:
        try:
            text = self._read()
        except Exception as exc:  # noqa: BLE001 - a read that fails keeps the routes in force
            if not self._read_once:
                self._read_at = float("-inf")
                raise RoutesUnknown(f"cannot read the routes record yet ({exc}); the message is tried again later") from exc
            self._report(f"cannot read the routes record ({exc}); keeping the routes in force")
            return
        self._read_once = True
        try:
            self._record = parse_record(text) if text is not None else {}
            self._problem = None
        except ValueError as exc:
            self._record = {}
            self._report(f"ignoring the routes record, {exc}; using the routes in code")

    def _report(self, problem: str) -> None:
        if problem != self._problem:
            self._problem = problem
            logger.warning(problem)


def _setting(settings: Any, name: str, env: str | None = None) -> Any:
    """A setting of ``enable()``: its attribute, else its entry in ``settings.options``, else ``env``."""
    value = getattr(settings, name, None) if settings is not None else None
    if value is None and settings is not None:
        value = (getattr(settings, "options", None) or {}).get(name)
    if value is None and env is not None:
        value = os.environ.get(env) or None
    return value


def _table_of(app: Any) -> str | None:
    """The results table named by a ``dynamodb://`` result backend URL."""
    url = str(app.conf.result_backend or "")
    if not url.startswith("dynamodb://"):
        return None
    return urlsplit(url).path.strip("/").split("/")[0] or None


class Handover:
    """Decides, for each received message, whether this Python worker runs it, and hands it over when not."""

    def __init__(self, routes: Routes, sqs: Callable[[], Any], handover_limit: int = 10) -> None:
        self.routes = routes
        self._sqs = sqs
        self.handover_limit = handover_limit

    @property
    def sqs(self) -> Any:
        """The SQS client of this thread."""
        return self._sqs()

    def wrap(self, previous: Any) -> Callable[..., Any]:
        """A ``Task.Strategy`` that runs the routing before the ``previous`` strategy's handler."""

        def strategy(task: Any, app: Any, consumer: Any, **kwargs: Any) -> Callable[..., Any]:
            inner = instantiate(previous, task, app, consumer, **kwargs)
            name = task.name

            def handler(message: Any, body: Any, ack: Any, reject: Any, callbacks: Any, **kw: Any) -> Any:
                info = getattr(message, "delivery_info", None) or {}
                sqs_message = info.get("sqs_message")
                try:
                    route = self.routes.route_of(name)
                except RoutesUnknown as exc:
                    # Not run on a side the record may not allow: visible again in 5 s, for this or another worker.
                    logger.warning("%s: %s", name, exc)
                    if sqs_message is not None:
                        self.sqs.change_message_visibility(
                            QueueUrl=info.get("sqs_queue"), ReceiptHandle=sqs_message["ReceiptHandle"], VisibilityTimeout=5
                        )
                    reject(logger, consumer.connection_errors)
                    return None
                if route is None or route.side == "python" or sqs_message is None:
                    return inner(message, body, ack, reject, callbacks, **kw)
                if route.side == "shadow":
                    result = inner(message, body, ack, reject, callbacks, **kw)
                    send_shadow_copy(self.sqs, sqs_message, name, route.celeriac_queue)
                    return result
                errors = consumer.connection_errors
                return self._hand_over(
                    name,
                    message,
                    sqs_message,
                    info.get("sqs_queue"),
                    route,
                    lambda: ack(logger, errors),
                    lambda: reject(logger, errors),
                )

            return handler

        return strategy

    def _hand_over(
        self,
        name: str,
        message: Any,
        sqs_message: Mapping[str, Any],
        source: str | None,
        route: Route,
        ack: Callable[[], Any],
        reject: Callable[[], Any],
    ) -> None:
        task_id = (getattr(message, "headers", None) or {}).get("id")
        target = route.celeriac_queue
        if target and target != source:
            # Send first, then delete: a crash between the two leaves two copies, and the claim runs one.
            self.sqs.send_message(
                QueueUrl=target,
                MessageBody=sqs_message["Body"],
                **({"MessageAttributes": sqs_message["MessageAttributes"]} if sqs_message.get("MessageAttributes") else {}),
            )
            ack()
            logger.info("%s[%s] routed to celeriac: re-sent to %s", name, task_id, target)
            return
        received = int((sqs_message.get("Attributes") or {}).get("ApproximateReceiveCount", 1))
        if received >= self.handover_limit:
            logger.error(
                "%s[%s] routed to celeriac, but received %d times on a queue both sides read and no celeriac worker "
                "took it: start celeriac workers on this queue, or give the route a queue of their own "
                "(celeriac route %s celeriac --celeriac-queue <url>); left for the dead-letter queue",
                name, task_id, received, name,
            )
        else:
            self.sqs.change_message_visibility(
                QueueUrl=source, ReceiptHandle=sqs_message["ReceiptHandle"], VisibilityTimeout=1
            )
            logger.info("%s[%s] routed to celeriac: left on %s for a celeriac worker", name, task_id, source)
        reject()  # forgets the delivery here without deleting it from SQS


def install(
    app: Any,
    settings: Any = None,
    *,
    routes: Mapping[str, Any] | None = None,
    result_table: str | None = None,
    refresh_seconds: float | None = None,
    handover_limit: int | None = None,
) -> Handover:
    """Makes ``app``'s workers follow the routes record: each task's strategy hands over what is not Python's.

    ``settings`` is :class:`celeriac_celery.Settings` (its ``result_table``, its clients, and the ``enable()``
    options ``routes``, ``handover_limit``, ``routes_refresh_seconds``); keyword arguments win over it. Routes in
    code come from ``routes``, else ``enable(app, routes=...)``, else the Celery setting ``celeriac_routes`` (task name to ``'python'``, ``'celeriac'``, ``'shadow'`` or
    ``{"side", "pythonQueue", "celeriacQueue"}``). The table falls back to ``CELERIAC_RESULT_TABLE``, then to the
    table of a ``dynamodb://`` result backend. Without ``settings``, boto3's own configuration (``AWS_ENDPOINT_URL``
    and so on) finds the services.
    """
    table = result_table or _setting(settings, "result_table", "CELERIAC_RESULT_TABLE") or _table_of(app)
    if not table:
        raise ValueError(
            "celeriac_celery routing needs the results table: pass result_table=..., set CELERIAC_RESULT_TABLE, "
            "or use a dynamodb:// result backend"
        )
    if settings is not None and hasattr(settings, "dynamodb") and hasattr(settings, "sqs"):
        # The app's own clients: the result backend's DynamoDB client, an SQS client built like kombu's.
        dynamodb_of: Callable[[], Any] = settings.dynamodb
        sqs_of: Callable[[], Any] = settings.sqs
    else:
        import boto3

        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        dynamodb_client = boto3.client("dynamodb", region_name=region)
        sqs_client = boto3.client("sqs", region_name=region)
        dynamodb_of, sqs_of = (lambda: dynamodb_client), (lambda: sqs_client)

    def read() -> str | None:
        item = dynamodb_of().get_item(TableName=table, Key={"id": {"S": ROUTES_ID}}, ConsistentRead=True).get("Item")
        return item["routes"]["S"] if item and "routes" in item else None

    code = routes if routes is not None else (_setting(settings, "routes") or app.conf.get("celeriac_routes") or {})
    refresh = refresh_seconds or float(
        _setting(settings, "routes_refresh_seconds", "CELERIAC_MIGRATION_REFRESH_SECONDS") or 10
    )
    handover = Handover(
        Routes(read, {name: Route.parse(name, r) for name, r in code.items()}, refresh),
        sqs_of,
        handover_limit or int(_setting(settings, "handover_limit") or 10),
    )

    @worker_init.connect(weak=False)
    def _wrap_strategies(sender: Any = None, **_kwargs: Any) -> None:
        app.finalize(auto=True)
        for task in app.tasks.values():
            if not getattr(task, "_celeriac_routed", False):
                task.Strategy = handover.wrap(task.Strategy)
                task._celeriac_routed = True

    app.celeriac_routing = handover
    return handover
