"""Claiming a task id before running it, with the same writes as celeriac's workers.

This is ``src/aws/dynamodb-result-store.ts`` (``claim``, ``renewClaim``, ``releaseClaim``, ``complete``, ``put``),
``src/aws/result-conditions.ts`` and ``src/ports/claim-rules.ts`` in Python, on the same result item Celery's
DynamoDB backend reads (``id`` = ``b'celery-task-meta-<id>'``, ``result``, ``timestamp``, ``ttl``) plus
celeriac's attributes:

================== ==== ============================================================
``task_state``     S    the lifecycle state
``task_attempt``   N    the lowest ``retries`` that may still claim
``lease_owner``    S    the delivery holding the claim (unique per delivery)
``lease_expires_at`` N  epoch ms when the claim's lease ends
================== ==== ============================================================

A claim is refused as:

- ``finished``: SUCCESS, FAILURE or REVOKED is stored; the message is a duplicate and is dropped;
- ``stale``: a newer attempt is recorded (the task was retried since); dropped;
- ``busy``: another delivery holds a live lease; the message comes back when that lease ends.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any, Optional


#: States that never run again (celeriac's ``READY_STATES``).
READY_STATES = ("SUCCESS", "FAILURE", "REVOKED")

_FINISHED_VALUES = {f":finished_{state.lower()}": {"S": state} for state in READY_STATES}
_NOT_FINISHED = (
    f"attribute_not_exists(task_state) OR NOT (task_state IN ({', '.join(_FINISHED_VALUES)}))",
    _FINISHED_VALUES,
)
_NOT_SUCCESS = ("attribute_not_exists(task_state) OR task_state <> :success", {":success": {"S": "SUCCESS"}})
_NOT_REVOKED = ("attribute_not_exists(task_state) OR task_state <> :revoked", {":revoked": {"S": "REVOKED"}})
_ITEM_ABSENT = "attribute_not_exists(id)"


def _all(*conditions: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    values: dict[str, Any] = {}
    for _, v in conditions:
        values.update(v)
    return " AND ".join(f"({c})" for c, _ in conditions), values


def _held_by(owner: str) -> tuple[str, dict[str, Any]]:
    return "lease_owner = :owner", {":owner": {"S": owner}}


def _not_taken_over_from(owner: str) -> tuple[str, dict[str, Any]]:
    return "attribute_not_exists(lease_owner) OR lease_owner = :owner", {":owner": {"S": owner}}


def claim_condition(owner: str, attempt: int, now_ms: int) -> tuple[str, dict[str, Any]]:
    """celeriac's ``claimCondition``: not finished, no newer attempt, no live lease of another owner."""
    expression, values = _all(
        _NOT_FINISHED,
        ("attribute_not_exists(task_attempt) OR task_attempt <= :attempt", {":attempt": {"N": str(attempt)}}),
        (
            "attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now OR lease_owner = :owner",
            {":now": {"N": str(now_ms)}, ":owner": {"S": owner}},
        ),
    )
    return f"({_ITEM_ABSENT}) OR ({expression})", values


def new_owner(worker_id: Optional[str] = None) -> str:
    """A claim owner unique to one delivery: ``<hostname>:<pid>:<uuid4>`` (celeriac's is ``<worker id>:<uuid>``)."""
    return f"{worker_id or f'{socket.gethostname()}:{os.getpid()}'}:{uuid.uuid4()}"


def now_ms() -> int:
    """Epoch milliseconds (celeriac's lease clock)."""
    return int(time.time() * 1000)


def task_key(task_id: str) -> str:
    """Celery's DynamoDB key of a task's result: the Python repr of ``b'celery-task-meta-<id>'``."""
    return str(b"celery-task-meta-" + task_id.encode())


def pending_meta(task_id: str) -> bytes:
    """celeriac's ``pendingResultMeta``: what a claimed item shows before a result (readers see PENDING)."""
    meta = {"status": "PENDING", "result": None, "traceback": None, "children": None, "date_done": None}
    return json.dumps({**meta, "task_id": task_id}).encode()


@dataclass(frozen=True)
class ClaimOutcome:
    """A claim's outcome: ``kind`` is ``claimed``, ``finished``, ``stale`` or ``busy``."""

    kind: str
    state: Optional[str] = None
    recorded_attempt: Optional[int] = None
    lease_expires_at_ms: Optional[int] = None
    held_by_attempt: Optional[int] = None


def decide_claim(item: Optional[dict[str, Any]], owner: str, attempt: int, now: int) -> ClaimOutcome:
    """celeriac's ``decideClaim``, on a raw DynamoDB item: why a claim was refused (or that it may claim)."""
    if not item:
        return ClaimOutcome("claimed")
    state = item.get("task_state", {}).get("S")
    if state in READY_STATES:
        return ClaimOutcome("finished", state=state)
    recorded = item.get("task_attempt", {}).get("N")
    min_attempt = int(recorded) if recorded is not None else None
    if min_attempt is not None and attempt < min_attempt:
        return ClaimOutcome("stale", recorded_attempt=min_attempt)
    expires = item.get("lease_expires_at", {}).get("N")
    lease_owner = item.get("lease_owner", {}).get("S")
    if expires is not None and int(float(expires)) > now and lease_owner is not None and lease_owner != owner:
        return ClaimOutcome("busy", lease_expires_at_ms=int(float(expires)), held_by_attempt=min_attempt)
    return ClaimOutcome("claimed")


def _is_condition_failure(error: BaseException) -> bool:
    response = getattr(error, "response", None) or {}
    return response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class ClaimStore:
    """The claim's writes on the results table, through a boto3 DynamoDB client.

    :param client: a function returning the boto3 client (``Settings.dynamodb``), called per write so prefork
        children use their own.
    """

    def __init__(self, client: Any, table: str, ttl_seconds: Optional[int] = None):
        self._client = client
        self.table = table
        self.ttl_seconds = ttl_seconds

    def _common(self, now: int) -> dict[str, Any]:
        values: dict[str, Any] = {"timestamp": {"N": str(now / 1000)}}
        if self.ttl_seconds is not None:
            values["ttl"] = {"N": str(int(now / 1000 + self.ttl_seconds))}
        return values

    def claim(
        self,
        task_id: str,
        owner: str,
        attempt: int,
        lease_ms: int,
        running_meta: Optional[bytes] = None,
        now: Optional[int] = None,
    ) -> ClaimOutcome:
        """Claims ``task_id`` for ``owner`` (one delivery) with a lease of ``lease_ms``.

        One conditional PutItem of the whole item when nothing is stored yet (so no reader ever sees an item
        without ``result``), else one conditional UpdateItem; a refusal reads the old item and names why.
        """
        now = now_ms() if now is None else now
        lease = {
            "lease_owner": {"S": owner},
            "lease_expires_at": {"N": str(now + lease_ms)},
            "task_attempt": {"N": str(attempt)},
            **self._common(now),
        }
        set_if_absent: dict[str, Any] = {}
        if running_meta is not None:
            lease.update(result={"B": running_meta}, task_state={"S": "STARTED"})
        else:
            set_if_absent = {"result": {"B": pending_meta(task_id)}, "task_state": {"S": "PENDING"}}
        if self._create(task_id, {**set_if_absent, **lease}):
            return ClaimOutcome("claimed")
        condition, values = claim_condition(owner, attempt, now)
        try:
            self._update(task_id, lease, set_if_absent, (), (condition, values), return_old=True)
            return ClaimOutcome("claimed")
        except Exception as error:
            if not _is_condition_failure(error):
                raise
            outcome = decide_claim(getattr(error, "response", {}).get("Item"), owner, attempt, now)
            # The condition and the rules agree; if they seem not to, the item changed in between: back off.
            return ClaimOutcome("busy", lease_expires_at_ms=now + 1000) if outcome.kind == "claimed" else outcome

    def renew(self, task_id: str, owner: str, lease_ms: int) -> bool:
        """Extends this owner's lease; False when the claim is no longer held, or the task was revoked."""
        now = now_ms()
        return self._conditional(
            task_id,
            {"lease_expires_at": {"N": str(now + lease_ms)}},
            {},
            (),
            _all(_held_by(owner), _NOT_REVOKED),
        )

    def release(self, task_id: str, owner: str) -> bool:
        """Gives the claim up without finishing (a retry by redelivery): the next delivery claims at once."""
        return self._conditional(task_id, {}, {}, ("lease_owner", "lease_expires_at"), _held_by(owner))

    def complete(
        self, task_id: str, owner: str, attempt: int, state: str, meta: Optional[bytes]
    ) -> bool:
        """Records the end of a run and drops the lease: never over a SUCCESS, never once another delivery
        took the claim over. A RETRY records the next attempt. Without ``meta`` (an ignored result) readers
        keep seeing PENDING. False when the condition refused it."""
        now = now_ms()
        values: dict[str, Any] = {
            "task_state": {"S": state},
            "task_attempt": {"N": str(attempt + 1 if state == "RETRY" else attempt)},
        }
        common = self._common(now)
        if "ttl" in common:
            values["ttl"] = common.pop("ttl")
        set_if_absent: dict[str, Any] = {}
        if meta is not None:
            values.update(common, result={"B": meta})
        else:
            set_if_absent = {**common, "result": {"B": pending_meta(task_id)}}
        return self._conditional(
            task_id,
            values,
            set_if_absent,
            ("lease_owner", "lease_expires_at"),
            _all(_NOT_SUCCESS, _not_taken_over_from(owner)),
        )

    def put(self, task_id: str, state: str, meta: bytes, owner: Optional[str] = None) -> bool:
        """Stores a meta outside a completion: a running task's progress while ``owner`` holds the claim, or
        (no owner) a state written from outside a run, never over a SUCCESS."""
        values = {"result": {"B": meta}, "task_state": {"S": state}, **self._common(now_ms())}
        if owner is not None:
            return self._conditional(task_id, values, {}, (), _held_by(owner))
        if self._create(task_id, values):
            return True
        return self._conditional(task_id, values, {}, (), _NOT_SUCCESS)

    def get_item(self, task_id: str) -> Optional[dict[str, Any]]:
        """The raw item (strongly consistent), or None."""
        response = self._client().get_item(
            TableName=self.table, Key={"id": {"S": task_key(task_id)}}, ConsistentRead=True
        )
        return response.get("Item")

    def _create(self, task_id: str, attributes: dict[str, Any]) -> bool:
        try:
            self._client().put_item(
                TableName=self.table,
                Item={"id": {"S": task_key(task_id)}, **attributes},
                ConditionExpression=_ITEM_ABSENT,
            )
            return True
        except Exception as error:
            if _is_condition_failure(error):
                return False
            raise

    def _conditional(self, task_id: str, *args: Any) -> bool:
        try:
            self._update(task_id, *args)
            return True
        except Exception as error:
            if _is_condition_failure(error):
                return False
            raise

    def _update(
        self,
        task_id: str,
        values: dict[str, Any],
        set_if_absent: dict[str, Any],
        remove: tuple[str, ...],
        condition: tuple[str, dict[str, Any]],
        return_old: bool = False,
    ) -> None:
        names: dict[str, str] = {}
        expression_values = dict(condition[1])
        assignments = []
        for name, value in values.items():
            names[f"#{name}"] = name
            expression_values[f":set_{name}"] = value
            assignments.append(f"#{name} = :set_{name}")
        for name, value in set_if_absent.items():
            names[f"#{name}"] = name
            expression_values[f":set_{name}"] = value
            assignments.append(f"#{name} = if_not_exists(#{name}, :set_{name})")
        for name in remove:
            names[f"#{name}"] = name
        clauses = []
        if assignments:
            clauses.append("SET " + ", ".join(assignments))
        if remove:
            clauses.append("REMOVE " + ", ".join(f"#{name}" for name in remove))
        request: dict[str, Any] = {
            "TableName": self.table,
            "Key": {"id": {"S": task_key(task_id)}},
            "UpdateExpression": " ".join(clauses),
            "ConditionExpression": condition[0],
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": expression_values,
        }
        if return_old:
            request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        self._client().update_item(**request)
