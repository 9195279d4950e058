"""Keeping a running task's two leases alive, as celeriac's ``src/worker/keep-alive.ts`` does.

Every half lease a daemon thread extends both, independently: the SQS message's visibility (so SQS does not
deliver it again) and the task claim's lease (so no other delivery may run it). A throttled
ChangeMessageVisibility cannot let a second run start: the second delivery is refused by the live claim.

When the claim cannot be renewed because the store says another delivery holds it now, or the lease ended
unrenewed, the claim is marked lost: the run goes on (Python cannot stop a thread), but its outcome is not
stored over the new holder's (``complete`` refuses it). A task revoked while it runs is not renewed either; a
revoked task can never be claimed again, so no second run can start.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from .claim import ClaimStore, now_ms

logger = logging.getLogger("celeriac_celery")

#: SQS's longest visibility timeout (12 hours).
SQS_MAX_VISIBILITY_SECONDS = 43_200


@dataclass(frozen=True)
class Delivery:
    """One SQS receipt of a message: where it came from and the receipt handle that changes its visibility."""

    queue_url: str
    receipt_handle: str
    message_id: str = ""

    def to_dict(self) -> dict[str, str]:
        """The picklable form carried in the task's request (prefork children receive it)."""
        return {"queue_url": self.queue_url, "receipt_handle": self.receipt_handle, "message_id": self.message_id}

    @classmethod
    def from_dict(cls, value: Any) -> Optional["Delivery"]:
        """The delivery carried in a request, or None (not an SQS delivery)."""
        if not isinstance(value, dict) or not value.get("queue_url") or not value.get("receipt_handle"):
            return None
        return cls(value["queue_url"], value["receipt_handle"], value.get("message_id", ""))


def set_visibility(sqs: Any, delivery: Delivery, seconds: float, what: str) -> bool:
    """Sets how long the message stays invisible from now; False (and logged) when SQS refused."""
    seconds = int(min(max(seconds, 0), SQS_MAX_VISIBILITY_SECONDS))
    try:
        sqs.change_message_visibility(
            QueueUrl=delivery.queue_url, ReceiptHandle=delivery.receipt_handle, VisibilityTimeout=seconds
        )
        return True
    except Exception as error:  # noqa: BLE001 - a failed change is logged; the claim still guards the task
        logger.warning("celeriac_celery: could not %s message %s: %s", what, delivery.message_id, error)
        return False


@dataclass
class Claim:
    """A claim held by one delivery while its task runs; lives on the task's request as ``celeriac_claim``."""

    task_id: str
    owner: str
    attempt: int
    lease_seconds: float
    store: ClaimStore
    delivery: Optional[Delivery] = None
    #: A completion (or release) was written: nothing is left to renew or to record.
    settled: bool = False
    #: Another delivery holds the claim now, or the task was revoked: the outcome is not recorded over it.
    lost: bool = False
    heartbeat: Optional["Heartbeat"] = field(default=None, repr=False)

    def stop(self) -> None:
        """Stops the heartbeat (the run ended)."""
        if self.heartbeat is not None:
            self.heartbeat.stop()


class Heartbeat:
    """The heartbeat of one claimed run: a daemon thread renewing the lease and the message's visibility."""

    def __init__(self, claim: Claim, sqs: Optional[Any]):
        self._claim = claim
        self._sqs = sqs
        self._stopped = threading.Event()
        self._lease_until_ms = now_ms() + int(claim.lease_seconds * 1000)
        self._thread = threading.Thread(
            target=self._run, name=f"celeriac-lease-{claim.task_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Ends the renewals; returns at once."""
        self._stopped.set()

    def _run(self) -> None:
        claim = self._claim
        lease_ms = int(claim.lease_seconds * 1000)
        interval = claim.lease_seconds / 2
        while not self._stopped.wait(interval):
            if claim.delivery is not None and self._sqs is not None:
                set_visibility(self._sqs, claim.delivery, claim.lease_seconds, "extend the visibility of")
            if claim.lost:
                continue
            interval = claim.lease_seconds / 2
            try:
                held = claim.store.renew(claim.task_id, claim.owner, lease_ms)
            except Exception as error:  # noqa: BLE001 - retried every second until the lease is about to end
                if now_ms() >= self._lease_until_ms - min(2000, lease_ms / 4):
                    self._lose(f"the claim on {claim.task_id} could not be renewed before its lease ended: {error}")
                else:
                    logger.warning("celeriac_celery: lease renewal for %s failed, trying again: %s", claim.task_id, error)
                    interval = min(1.0, claim.lease_seconds / 4)
                continue
            if self._stopped.is_set():
                return
            if held:
                self._lease_until_ms = now_ms() + lease_ms
                continue
            item = _safe_get(claim)
            if item is not None and item.get("task_state", {}).get("S") == "REVOKED":
                claim.lost = True
                logger.warning("celeriac_celery: %s was revoked while running; it runs to its end", claim.task_id)
            else:
                self._lose(f"the claim on {claim.task_id} is held by another delivery now")

    def _lose(self, message: str) -> None:
        self._claim.lost = True
        logger.error("celeriac_celery: %s; its outcome will not be recorded over the new holder's", message)


def _safe_get(claim: Claim) -> Optional[dict[str, Any]]:
    try:
        return claim.store.get_item(claim.task_id)
    except Exception:  # noqa: BLE001 - unknown: treated as lost, the safe side
        return None
