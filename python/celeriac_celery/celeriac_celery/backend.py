"""Celery's DynamoDB result backend, storing through the claim as celeriac's workers do.

Reads are Celery's own (``AsyncResult`` reads every item either side writes: the item keeps Celery's shape,
``id``/``result``/``timestamp``/``ttl``). Writes add celeriac's ``task_state``, and a store made by a run that
holds a claim goes through that claim:

- a final state (SUCCESS, FAILURE, REVOKED) or RETRY **completes** it: stored with the lease dropped, never over
  a SUCCESS, never after another delivery took the claim over (``ClaimStore.complete``);
- any other state (``update_state`` progress) is stored only while the claim is held;
- the tracer's STARTED, written before the claim exists, is left to the claim, which writes it itself.

A store with no claim behind it (a client's ``update_state``, a revoke seen by a worker, a worker-lost FAILURE
written by the parent process) is stored as celeriac stores one: created if absent, else never over a SUCCESS.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from celery.backends.dynamodb import DynamoDBBackend

from .claim import READY_STATES, ClaimStore

logger = logging.getLogger("celeriac_celery")

#: Where this backend class is found, for ``result_backend = '<path>+dynamodb://...'``.
BACKEND_PATH = "celeriac_celery.backend.ClaimingDynamoDBBackend"

#: The request attribute marking a run the package claims (set on every received message's request).
CLAIMED_RUN = "celeriac_run"
#: The request attribute holding the run's :class:`celeriac_celery.lease.Claim` once claimed.
CLAIM = "celeriac_claim"


def request_value(request: Any, name: str) -> Any:
    """An attribute of a task request, whether a ``Context`` or a plain dict."""
    if request is None:
        return None
    if isinstance(request, dict):
        return request.get(name)
    return getattr(request, name, None)


def as_bytes(value: Any) -> bytes:
    """An encoded meta as bytes (Celery's JSON encoder returns text)."""
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


class ClaimingDynamoDBBackend(DynamoDBBackend):
    """``DynamoDBBackend`` whose stores keep celeriac's claim (see the module docstring)."""

    def claim_store(self) -> ClaimStore:
        """The claim's writes on this backend's table and client."""
        store = getattr(self, "_claim_store", None)
        if store is None:
            ttl = self.time_to_live_seconds if self._has_ttl() else None
            settings = getattr(self.app, "celeriac_settings", None)
            if settings is not None and settings.ttl_seconds is not None:
                ttl = settings.ttl_seconds
            store = self._claim_store = ClaimStore(lambda: self.client, self.table_name, ttl)
        return store

    def _store_result(
        self,
        task_id: str,
        result: Any,
        state: str,
        traceback: Any = None,
        request: Any = None,
        **kwargs: Any,
    ) -> Any:
        claim = request_value(request, CLAIM)
        if claim is None and state == "STARTED" and request_value(request, CLAIMED_RUN):
            return result  # the tracer's STARTED, before the claim: the claim stores it
        meta = self._get_result_meta(result=result, state=state, traceback=traceback, request=request)
        meta["task_id"] = str(task_id)
        encoded = as_bytes(self.encode(meta))
        store = self.claim_store()
        if claim is not None and claim.task_id == task_id:
            if claim.lost:
                logger.warning(
                    "celeriac_celery: %s of %s not stored: another delivery holds its claim now", state, task_id
                )
                return result
            if state in READY_STATES or state == "RETRY":
                if not store.complete(task_id, claim.owner, claim.attempt, state, encoded):
                    logger.warning(
                        "celeriac_celery: %s of %s not stored: it is SUCCESS already, or another delivery took "
                        "its claim over",
                        state,
                        task_id,
                    )
                claim.settled = True
                return result
            store.put(task_id, state, encoded, owner=claim.owner)
            return result
        store.put(task_id, state, encoded)
        return result

    def running_meta(self, task_id: str, request: Any) -> bytes:
        """The STARTED meta a tracked task's claim writes (what Celery's tracer would have stored)."""
        import os
        import socket

        meta = self._get_result_meta(
            result={"pid": os.getpid(), "hostname": request_value(request, "hostname") or socket.gethostname()},
            state="STARTED",
            traceback=None,
            request=request,
        )
        meta["task_id"] = str(task_id)
        return as_bytes(self.encode(meta))


def claiming_url(url: Optional[str]) -> str:
    """``result_backend`` with this class in front: ``<BACKEND_PATH>+dynamodb://...``."""
    return f"{BACKEND_PATH}+{url}"
