"""The Task base class that claims a task id before its body runs (celeriac's ``src/worker/claim-task.ts``).

``before_start`` runs inside Celery's tracer, after ``task_prerun`` and before the body, so what it raises is
handled by the tracer as the task's own ``Ignore`` / ``Reject`` would be:

- claimed: the lease's heartbeat starts, and the body runs;
- finished (SUCCESS, FAILURE, REVOKED) or stale (a newer attempt is recorded): ``Ignore``, so the message is
  acknowledged (deleted) and nothing is stored;
- busy (another delivery holds a live lease): the message is made invisible until that lease ends (a few
  seconds when the holder is the attempt that sent this retry and is still recording it), then ``Reject``
  without requeue, which with kombu's SQS transport only forgets the message locally: SQS delivers it again
  when its visibility ends. (kombu's ``Reject(requeue=True)`` would make it visible after ``wait_time_seconds``
  instead of when the lease ends.)

How the run ends is recorded by the backend (``backend.py``) and, for ends that store nothing, by
``finish_claim`` on ``task_postrun``: an ignored result is completed without its meta, ``Ignore`` is completed as
SUCCESS without meta (as celeriac does), ``Reject(requeue=True)`` and a run cut short release the claim.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Optional

from celery import Task
from celery.exceptions import Ignore, Reject

from .backend import CLAIM, CLAIMED_RUN, ClaimingDynamoDBBackend, request_value
from .claim import ClaimOutcome, new_owner, now_ms
from .lease import Claim, Delivery, Heartbeat, set_visibility

logger = logging.getLogger("celeriac_celery")

#: Seconds a retry waits for the attempt that sent it to finish recording (celeriac's TRANSIENT_RETRY_SECONDS).
HANDOVER_SECONDS = 5
#: SQS's longest message delay, the longest a busy message is put off at once (celeriac's SQS_MAX_DELAY_SECONDS).
MAX_BUSY_SECONDS = 900


class TaskNotClaimedError(RuntimeError):
    """A task of a celeriac_celery app whose class does not claim (not a :class:`ClaimingTask`)."""


def busy_seconds(outcome: ClaimOutcome, attempt: int, now: int) -> int:
    """How long a busy message stays invisible: until the lease ends, or shortly when this is the retry of the
    attempt holding it (that attempt is recording its RETRY); 1 s to 900 s."""
    left = math.ceil(((outcome.lease_expires_at_ms or now) - now) / 1000)
    handing_over = outcome.held_by_attempt is not None and outcome.held_by_attempt < attempt
    seconds = min(left, HANDOVER_SECONDS) if handing_over else left
    return min(max(seconds, 1), MAX_BUSY_SECONDS)


class ClaimingTask(Task):
    """A Celery ``Task`` that claims its id, as celeriac's workers do, before its body runs.

    ``celeriac_celery.enable(app)`` makes it the app's ``Task``; a task with its own base class derives from it
    (``class MyTask(celeriac_celery.ClaimingTask)``). A subclass overriding ``before_start`` must call
    ``super().before_start(...)`` first.
    """

    abstract = True

    def before_start(self, task_id: str, args: Any, kwargs: Any) -> None:
        """Claims ``task_id`` for this delivery, or raises ``Ignore`` / ``Reject`` (see the module docstring)."""
        request = self.request
        if request.is_eager or request.called_directly or not request_value(request, CLAIMED_RUN):
            return  # not a worker's delivery: nothing to claim
        settings = self.app.celeriac_settings
        backend = self.backend
        if not isinstance(backend, ClaimingDynamoDBBackend):
            raise TaskNotClaimedError(
                f"celeriac_celery: task {self.name} stores results through {type(backend).__name__}, not the "
                "claiming DynamoDB backend; remove the task's own `backend` so enable() can claim its runs"
            )
        store = backend.claim_store()
        owner = new_owner(settings.worker_id)
        attempt = int(request.retries or 0)
        lease_ms = int(settings.lease_seconds * 1000)
        running = None
        if self.track_started and not self._ignores_result(request):
            running = backend.running_meta(task_id, request)
        try:
            outcome = store.claim(task_id, owner, attempt, lease_ms, running_meta=running)
        except Exception as error:  # noqa: BLE001 - a failed claim write leaves the message for later
            logger.warning("celeriac_celery: claim of %s failed, trying again later: %s", task_id, error)
            self._come_back(request, 5, "retry the claim of")
        delivery = Delivery.from_dict(request_value(request, "celeriac_delivery"))
        if outcome.kind == "claimed":
            claim = Claim(task_id, owner, attempt, settings.lease_seconds, store, delivery)
            claim.heartbeat = Heartbeat(claim, settings.sqs() if delivery else None)
            setattr(request, CLAIM, claim)
            return
        if outcome.kind == "finished":
            logger.info("celeriac_celery: %s is a duplicate: already %s; dropped", task_id, outcome.state)
            raise Ignore(f"already {outcome.state}")
        if outcome.kind == "stale":
            logger.info(
                "celeriac_celery: %s attempt %s was already retried (now at %s); dropped",
                task_id,
                attempt,
                outcome.recorded_attempt,
            )
            raise Ignore("stale attempt")
        seconds = busy_seconds(outcome, attempt, now_ms())
        logger.info("celeriac_celery: %s is running on another delivery; back in %s s", task_id, seconds)
        self._come_back(request, seconds, "delay")

    def _come_back(self, request: Any, seconds: int, what: str) -> None:
        """Leaves the message to SQS, visible again in ``seconds``."""
        delivery = Delivery.from_dict(request_value(request, "celeriac_delivery"))
        if delivery is not None and set_visibility(self.app.celeriac_settings.sqs(), delivery, seconds, what):
            raise Reject("another delivery holds the claim", requeue=False)
        raise Reject("another delivery holds the claim", requeue=True)

    def _ignores_result(self, request: Any) -> bool:
        ignore = request_value(request, "ignore_result")
        return bool(self.ignore_result if ignore is None else ignore)


def finish_claim(task: Any, state: Optional[str], retval: Any) -> None:
    """Settles a run's claim after the tracer stored what it stores (``task_postrun``); stops its heartbeat."""
    request = getattr(task, "request", None)
    claim: Optional[Claim] = request_value(request, CLAIM)
    if claim is None:
        return
    claim.stop()
    setattr(request, CLAIM, None)
    if claim.settled or claim.lost:
        return
    try:
        if state == "REJECTED" and isinstance(retval, Reject) and not retval.requeue:
            # celeriac fails a run rejected without requeue; Celery's tracer stores nothing for it.
            task.backend.mark_as_failure(claim.task_id, retval, request=_with_claim(request, claim))
            if not claim.settled:
                claim.store.complete(claim.task_id, claim.owner, claim.attempt, "FAILURE", None)
        elif state in ("SUCCESS", "FAILURE", "RETRY"):
            # Nothing visible was stored (ignore_result): the state, with readers still seeing PENDING.
            claim.store.complete(claim.task_id, claim.owner, claim.attempt, state, None)
        elif state == "IGNORED":
            claim.store.complete(claim.task_id, claim.owner, claim.attempt, "SUCCESS", None)
        else:
            # Reject(requeue=True), or a run cut short: the next delivery may claim at once.
            claim.store.release(claim.task_id, claim.owner)
    except Exception as error:  # noqa: BLE001 - the lease ends on its own; logged for the operator
        logger.error("celeriac_celery: could not settle the claim on %s (%s): %s", claim.task_id, state, error)
    claim.settled = True


def _with_claim(request: Any, claim: Claim) -> Any:
    setattr(request, CLAIM, claim)
    return request
