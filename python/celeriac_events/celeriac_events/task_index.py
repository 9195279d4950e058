"""celeriac's task index keys on the result items Celery's DynamoDB backend writes.

celeriac's ``ResultStore({ taskIndex: true })`` adds two sparse global secondary indexes to the results table:
``celeriac-by-state`` on ``idx_state`` = ``<state>#<shard>`` and ``celeriac-by-name`` on ``idx_name`` =
``<task name>#<shard>``, both sorted by Celery's ``timestamp``. Celery writes its items with ``PutItem`` and
knows nothing of them, so this module adds the two keys with one ``UpdateItem`` after Celery stored the task's
state (``task_postrun``, ``task_revoked``). The condition ``attribute_exists(id)`` keeps it from creating an
item Celery did not write (``ignore_result``).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("celeriac_events")

STATE_KEY = "idx_state"
NAME_KEY = "idx_name"
SHARDS = 8


def index_shard(task_id: str) -> int:
    """The shard of a task id, as celeriac computes it: 32-bit FNV-1a over its UTF-16 code units, modulo 8."""
    data = task_id.encode("utf-16-le")
    value = 2_166_136_261
    for i in range(0, len(data), 2):
        value ^= data[i] | (data[i + 1] << 8)
        value = (value * 16_777_619) & 0xFFFFFFFF
    return value % SHARDS


def index_key(value: str, task_id: str) -> str:
    """``<value>#<shard>``."""
    return f"{value}#{index_shard(task_id)}"


class TaskIndexWriter:
    """Writes the index keys of one task on its result item, through the app's DynamoDB backend's client."""

    def __init__(self, app: Any):
        self.app = app
        self._failing = False

    def supported(self) -> bool:
        """Whether the app's result backend is Celery's DynamoDB backend."""
        try:
            from celery.backends.dynamodb import DynamoDBBackend
        except ImportError:  # boto3 missing: the backend cannot be DynamoDB either
            return False
        return isinstance(self.app.backend, DynamoDBBackend)

    def write(self, task_id: str, state: str, name: str | None) -> None:
        """Adds ``idx_state`` (and ``idx_name`` when the name is known); logs a failure once until one works."""
        backend = self.app.backend
        names = {"#id": backend._key_field.name, "#state": STATE_KEY}
        values: dict[str, Any] = {":state": {"S": index_key(state, task_id)}}
        update = "SET #state = :state"
        if name:
            names["#name"] = NAME_KEY
            values[":name"] = {"S": index_key(name, task_id)}
            update += ", #name = :name"
        # Celery's backend stores the Python repr of its bytes key: "b'celery-task-meta-<id>'".
        key_text = str(backend.get_key_for_task(task_id))
        try:
            backend.client.update_item(
                TableName=backend.table_name,
                Key={backend._key_field.name: {"S": key_text}},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(#id)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
            self._failing = False
        except Exception as error:  # noqa: BLE001 - indexing must never fail a task
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code == "ConditionalCheckFailedException":
                return  # no result stored (ignore_result): nothing to index
            if not self._failing:
                self._failing = True
                logger.warning(
                    "celeriac_events: could not write the task index keys of %s to %s (%s); "
                    "logged once until it works again",
                    task_id,
                    backend.table_name,
                    error,
                )
