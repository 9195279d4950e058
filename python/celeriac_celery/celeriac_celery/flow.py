"""celeriac's flow control on a Python Celery worker: fleet-wide rate limits and per-key limits, shared with
celeriac's workers (``docs/flow-control.md``), with the message waiting in SQS, never in the worker.

At ``worker_init`` each task's Celery strategy (``Task.Strategy``, the handler the consumer gives every received
message) is wrapped; the routing's wrapper (:mod:`celeriac_celery.routing`) goes around it, so a message handed
over to the other side takes nothing. Before Celery sees a message, the gate takes a token of the task's rate
(``task#<name>``), a token of its key's rate and a slot of its key's concurrency (``key#<name>#<key>``), from
the same items in the results table as celeriac (:mod:`celeriac_celery.flow_limits`). Over a limit, the message
is made invisible until its turn (``ChangeMessageVisibility``) and forgotten by kombu without a delete; once SQS
has delivered it three times, on a standard queue, it is sent again with that delay and the received copy
deleted, so waiting does not use up ``maxReceiveCount``. The log line says ``THROTTLED`` with the limit and
the wait.

The limits of a task come from the limits record (``celeriac control rate-limit``), else its options::

    @app.task(name="tasks.charge", rate_limit="10/s",              # Celery's own option, held fleet-wide
              rate_limit_key={"header": "tenant"},                 # or {"kwarg": "tenant"}, or a function of args
              key_rate_limit="5/s", key_concurrency=2)
    def charge(order): ...

Celery's in-worker rate limiting is turned off (``worker_disable_rate_limits``): the fleet's bucket replaces
it. A concurrency slot travels with the request (in its ``delivery_info``) to whichever process runs it, which
renews it with the lease while the task runs and frees it when the task has ended (``task_postrun``).

Messages with an ETA still ahead are left to Celery, which holds them until their time, and are not gated.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from celery.signals import task_postrun, task_prerun, worker_init
from celery.utils.imports import instantiate

from .flow_limits import FlowControl, FlowLimitError, bucket_key, limit_key_of, validate_rate_limit_key
from .flow_store import DynamoDbFlowStore, SlotHandle
from .part_options import option
from .settings import SettingsError

logger = logging.getLogger("celeriac_celery.flow")

#: From this many receives, a throttled message on a standard queue is sent again instead of hidden.
RESEND_AFTER_RECEIVES = 3
#: How long a message refused a concurrency slot waits before it is tried again, seconds.
SLOT_RETRY_SECONDS = 1
#: SQS's longest delay and visibility change used here, seconds.
SQS_MAX_DELAY_SECONDS = 900
#: Errors kombu's ``ack_log_error`` / ``reject_log_error`` log instead of raising (the consumer's promises).
_SETTLE_ERRORS = (Exception,)
#: The key of the held slot in a request's ``delivery_info``.
SLOT_INFO = "celeriac_flow_slot"


class FlowGate:
    """Gates one worker's task messages on celeriac's limits."""

    def __init__(self, settings: Any, flow: FlowControl) -> None:
        self.settings = settings
        self.flow = flow
        self._missing_logged: set[str] = set()

    def check(self, task: Any) -> None:
        """Refuses a task whose limit options cannot be read, naming the option (at worker start)."""
        key = getattr(task, "rate_limit_key", None)
        if key is not None:
            validate_rate_limit_key(f"{task.name}: rate_limit_key", key)
        self.flow.limits_of(task)

    def strategy(self, previous: Any) -> Callable[..., Any]:
        """A ``Task.Strategy`` whose handler passes the gate before the ``previous`` strategy's handler."""

        def strategy(task: Any, app: Any, consumer: Any, **kwargs: Any) -> Callable[..., Any]:
            return self.wrap(task, instantiate(previous, task, app, consumer, **kwargs))

        return strategy

    def wrap(self, task: Any, strategy: Callable[..., Any]) -> Callable[..., Any]:
        """The task's message handler with the gate in front of it."""

        def gated(message: Any, body: Any, ack: Any, reject: Any, callbacks: Any, **kwargs: Any) -> Any:
            if _eta_ahead(message) or _expired(message):
                return strategy(message, body, ack, reject, callbacks, **kwargs)
            outcome = self.admit(task, message)
            if outcome is None:
                return strategy(message, body, ack, reject, callbacks, **kwargs)
            if isinstance(outcome, SlotHandle):
                slot = {"bucket": outcome.bucket, "slot": outcome.slot, "owner": outcome.owner}
                carried: list[bool] = []

                def carry_slot(request: Any) -> None:
                    request.delivery_info[SLOT_INFO] = slot
                    carried.append(True)

                try:
                    return strategy(message, body, ack, reject, [*(callbacks or ()), carry_slot], **kwargs)
                finally:
                    if not carried:  # Celery dropped it (revoked, expired, invalid): the slot is not used
                        self._release(outcome)
            retry_at_ms, why = outcome
            self.wait_in_sqs(task.name, message, ack, reject, retry_at_ms, why)
            return None

        return gated

    def _release(self, handle: SlotHandle) -> None:
        try:
            self.flow.release(handle)
        except Exception as error:  # noqa: BLE001 - it frees when its lease ends
            logger.warning("could not free a concurrency slot (it frees when its lease ends): %s", error)

    def admit(self, task: Any, message: Any) -> "None | SlotHandle | tuple[float, str]":
        """``None`` to run, a held slot to run with, or ``(retry_at_ms, why)`` to wait."""
        try:
            limits = self.flow.limits_of(task)
            if limits.rate is not None:
                ok, retry_at = self.flow.take(f"task#{task.name}", limits.rate)
                if not ok:
                    return retry_at, f"rate limit {limits.rate.text}"
            if limits.key is None or (limits.key_rate is None and limits.key_concurrency is None):
                return None
            args, kwargs = _arguments(message) if not _header_key(limits.key) else ((), {})
            key = limit_key_of(limits.key, args, kwargs, message.headers or {})
            if key is None:
                if task.name not in self._missing_logged:
                    self._missing_logged.add(task.name)
                    logger.warning(
                        "%s is limited per key (%r), but %s has none; messages without a key share one bucket "
                        "(send the key, e.g. headers= from Python)",
                        task.name,
                        limits.key,
                        _task_id(message),
                    )
                key = ""
            bucket = f"key#{task.name}#{bucket_key(key)}"
            if limits.key_rate is not None:
                ok, retry_at = self.flow.take(bucket, limits.key_rate)
                if not ok:
                    return retry_at, f"key rate limit {limits.key_rate.text}"
            if limits.key_concurrency is None:
                return None
            owner = f"{self.settings.worker_id}:{uuid.uuid4()}"
            lease_ms = self.settings.lease_seconds * 1000
            slot, retry_at = self.flow.acquire(
                bucket, limits.key_concurrency, owner, lease_ms, random.randrange(limits.key_concurrency)
            )
            if slot is None:
                retry_at = min(retry_at, self.flow.now_ms() + SLOT_RETRY_SECONDS * 1000)
                return retry_at, f"key concurrency {limits.key_concurrency} reached"
            return SlotHandle(bucket, slot, owner)
        except FlowLimitError as error:
            return self.flow.now_ms() + 1000, f"limits unusable: {error}"
        except Exception as error:  # noqa: BLE001 - the store failing: wait in the queue and try again
            return self.flow.now_ms() + 1000, f"limits unavailable: {error}"

    def wait_in_sqs(self, name: str, message: Any, ack: Any, reject: Any, retry_at_ms: float, why: str) -> None:
        """Back to SQS until ``retry_at_ms``: hidden, or sent again with a delay, never held here."""
        info = message.delivery_info or {}
        sqs_message = info.get("sqs_message") or {}
        queue_url = info.get("sqs_queue")
        receipt = sqs_message.get("ReceiptHandle") or message.delivery_tag
        receives = int((sqs_message.get("Attributes") or {}).get("ApproximateReceiveCount") or 1)
        wait = max(1, math.ceil((retry_at_ms - self.flow.now_ms()) / 1000))
        delay = min(SQS_MAX_DELAY_SECONDS, wait + random.randint(0, 1))
        task_id = _task_id(message)
        reason = f"{why}: waiting {delay} s in the queue"
        client = self.settings.sqs()
        fifo = str(queue_url).endswith(".fifo")
        if not fifo and receives >= RESEND_AFTER_RECEIVES and "Body" in sqs_message:
            try:
                client.send_message(
                    QueueUrl=queue_url,
                    MessageBody=sqs_message["Body"],
                    DelaySeconds=delay,
                    **_attributes(sqs_message),
                )
                ack(logger, _SETTLE_ERRORS)  # deletes the received copy
                logger.info("THROTTLED %s[%s]: %s (sent again)", name, task_id, reason)
                return
            except Exception as error:  # noqa: BLE001 - hide it instead
                logger.warning("could not send %s again, hiding it instead: %s", task_id, error)
        try:
            client.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=delay)
        except Exception as error:  # noqa: BLE001 - it comes back when its visibility timeout ends
            logger.warning(
                "could not hide %s for %s s (%s); it comes back with its visibility timeout", task_id, delay, error
            )
        reject(logger, _SETTLE_ERRORS)  # kombu forgets it; SQS keeps it (a reject without requeue deletes none)
        logger.info("THROTTLED %s[%s]: %s", name, task_id, reason)


def _header_key(key: Any) -> bool:
    return not callable(key) and "header" in key


def _task_id(message: Any) -> str:
    return str((message.headers or {}).get("id") or "?")


def _header_time(message: Any, name: str) -> Optional[datetime]:
    value = (message.headers or {}).get(name)
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _eta_ahead(message: Any) -> bool:
    """An ETA still ahead: Celery holds the message until then (not gated)."""
    eta = _header_time(message, "eta")
    return eta is not None and eta > datetime.now(timezone.utc)


def _expired(message: Any) -> bool:
    """Expired: Celery refuses it before it runs, so it takes no token or slot."""
    expires = _header_time(message, "expires")
    return expires is not None and expires <= datetime.now(timezone.utc)


def _arguments(message: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call's positional and keyword arguments (protocol 2 body, or protocol 1's fields)."""
    try:
        payload = message.decode()
    except Exception:  # noqa: BLE001 - an undecodable body has no key; Celery rejects it afterwards
        return (), {}
    if isinstance(payload, (list, tuple)) and len(payload) >= 2:
        return tuple(payload[0] or ()), dict(payload[1] or {})
    if isinstance(payload, dict):
        return tuple(payload.get("args") or ()), dict(payload.get("kwargs") or {})
    return (), {}


def _attributes(sqs_message: dict[str, Any]) -> dict[str, Any]:
    """The received message's attributes, as ``send_message`` takes them (a large payload's S3 pointer...)."""
    out = {}
    for name, value in (sqs_message.get("MessageAttributes") or {}).items():
        kept = {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
        out[name] = kept
    return {"MessageAttributes": out} if out else {}


class SlotKeeper:
    """Renews the concurrency slots held by the tasks this process runs, and frees each when its task ends."""

    def __init__(self, flow: FlowControl, lease_seconds: float) -> None:
        self._flow = flow
        self._lease_ms = lease_seconds * 1000
        self._held: dict[str, SlotHandle] = {}
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    def hold(self, task_id: str, slot: dict[str, Any]) -> None:
        """Starts renewing a slot while its task runs."""
        with self._lock:
            self._held[task_id] = SlotHandle(slot["bucket"], int(slot["slot"]), slot["owner"])
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._renew, name="celeriac-slots", daemon=True)
                self._thread.start()

    def release(self, task_id: str) -> None:
        """Frees the slot its task held; a failure leaves it to expire with its lease."""
        with self._lock:
            handle = self._held.pop(task_id, None)
        if handle is None:
            return
        try:
            self._flow.release(handle)
        except Exception as error:  # noqa: BLE001
            logger.warning("could not free a concurrency slot (it frees when its lease ends): %s", error)

    def _renew(self) -> None:
        while True:
            time.sleep(self._lease_ms / 2000)
            with self._lock:
                handles = list(self._held.values())
            for handle in handles:
                try:
                    if not self._flow.renew(handle, self._lease_ms):
                        logger.warning(
                            "the concurrency slot %s#%s was taken over after its lease", handle.bucket, handle.slot
                        )
                except Exception as error:  # noqa: BLE001
                    logger.warning("could not renew a concurrency slot: %s", error)


def install(app: Any, settings: Any) -> Optional[FlowGate]:
    """Puts celeriac's fleet-wide limits in front of ``app``'s workers; returns the gate.

    ``rate_limit_scope='worker'`` (an ``enable`` option) keeps Celery's own per-process rate limits instead.
    """
    scope = option(settings, "rate_limit_scope") or "fleet"
    if scope not in ("fleet", "worker"):
        raise SettingsError(f"celeriac_celery: rate_limit_scope must be 'fleet' or 'worker', got {scope!r}")
    if scope == "worker":
        return None
    flow = FlowControl(DynamoDbFlowStore(settings.dynamodb, settings.result_table), log=logger.warning)
    gate = FlowGate(settings, flow)
    keeper = SlotKeeper(flow, settings.lease_seconds)
    app.conf.worker_disable_rate_limits = True

    @worker_init.connect(weak=False)
    def _gate_strategies(sender: Any = None, **_: Any) -> None:
        # Before the routing's wrapper (installed after this one), so a message handed over takes no token.
        worker_app = getattr(sender, "app", None)
        if worker_app is not None and worker_app is not app:
            return
        app.finalize(auto=True)
        for task in app.tasks.values():
            if not getattr(task, "_celeriac_gated", False):
                gate.check(task)
                task.Strategy = gate.strategy(task.Strategy)
                task._celeriac_gated = True

    def on_prerun(task_id: Optional[str] = None, task: Any = None, **_: Any) -> None:
        if getattr(task, "app", None) is not app:
            return
        slot = (getattr(getattr(task, "request", None), "delivery_info", None) or {}).get(SLOT_INFO)
        if slot and task_id:
            keeper.hold(task_id, slot)

    def on_postrun(task_id: Optional[str] = None, **_: Any) -> None:
        if task_id:
            keeper.release(task_id)

    task_prerun.connect(on_prerun, weak=False)
    task_postrun.connect(on_postrun, weak=False)
    settings.parts["flow"] = gate
    return gate
