"""celeriac's flow store in the results table (``src/aws/dynamodb-flow-store.ts``), through boto3: the same items,
attribute names and conditional writes, so a Python worker and a celeriac worker take from one bucket.

- rate buckets: ``celeriac-rate-<bucket>`` holding ``tat`` (epoch ms);
- concurrency slots: ``celeriac-slot-<bucket>#<n>`` holding ``owner`` and ``lease_until``;
- the limits record: ``celeriac-flow-limits`` holding ``limits`` (JSON);

buckets and slots carry a ``ttl`` (a day past their last use), so idle ones disappear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Optional

#: How long an idle bucket or slot item lives (DynamoDB TTL).
IDLE_TTL_SECONDS = 24 * 3600
LIMITS_ID = "celeriac-flow-limits"


def js_number(value: float) -> str:
    """A number written as JavaScript's ``String(n)`` writes it (``3`` not ``3.0``)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e21 else repr(float(value))


def _ttl(now_ms: float) -> str:
    return str(int(now_ms // 1000) + IDLE_TTL_SECONDS)


def _condition_failed(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _old_number(error: Exception, name: str) -> Optional[float]:
    item = (getattr(error, "response", None) or {}).get("Item") or {}
    value = item.get(name, {}).get("N")
    return float(value) if value is not None else None


@dataclass(frozen=True)
class SlotHandle:
    """A held concurrency slot."""

    bucket: str
    slot: int
    owner: str


class DynamoDbFlowStore:
    """celeriac's flow store in the results table, through a boto3 DynamoDB client."""

    def __init__(self, client: Callable[[], Any], table: str) -> None:
        self._client = client
        self._table = table

    def take_tokens(self, bucket: str, count: int, interval_ms: float, now_ms: float) -> tuple[int, float]:
        """Takes ``count`` tokens: ``(count, until_ms)``, or ``(0, retry_at_ms)`` while the bucket is spent."""
        until_ms = now_ms + count * interval_ms
        try:
            self._client().update_item(
                TableName=self._table,
                Key={"id": {"S": f"celeriac-rate-{bucket}"}},
                UpdateExpression="SET #tat = :until, #ttl = :ttl",
                ConditionExpression="attribute_not_exists(#tat) OR #tat <= :now",
                ExpressionAttributeNames={"#tat": "tat", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":until": {"N": js_number(until_ms)},
                    ":now": {"N": js_number(now_ms)},
                    ":ttl": {"N": _ttl(now_ms)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return count, until_ms
        except Exception as error:
            if not _condition_failed(error):
                raise
            tat = _old_number(error, "tat")
            return 0, tat if tat is not None else until_ms

    def acquire_slot(
        self, bucket: str, limit: int, owner: str, lease_ms: float, now_ms: float, first: int
    ) -> tuple[Optional[int], float]:
        """Takes a free slot, trying from ``first``: ``(slot, 0)``, or ``(None, retry_at_ms)`` when all are
        held (``retry_at_ms``: when the first lease ends)."""
        retry_at_ms = math.inf
        for i in range(limit):
            slot = (first + i) % limit
            try:
                self._client().put_item(
                    TableName=self._table,
                    Item={
                        "id": {"S": f"celeriac-slot-{bucket}#{slot}"},
                        "owner": {"S": owner},
                        "lease_until": {"N": js_number(now_ms + lease_ms)},
                        "ttl": {"N": _ttl(now_ms + lease_ms)},
                    },
                    ConditionExpression="attribute_not_exists(id) OR lease_until <= :now OR #owner = :owner",
                    ExpressionAttributeNames={"#owner": "owner"},
                    ExpressionAttributeValues={":now": {"N": js_number(now_ms)}, ":owner": {"S": owner}},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                return slot, 0.0
            except Exception as error:
                if not _condition_failed(error):
                    raise
                lease = _old_number(error, "lease_until")
                retry_at_ms = min(retry_at_ms, lease if lease is not None else now_ms + 1000)
        return None, retry_at_ms

    def renew_slot(self, handle: SlotHandle, lease_ms: float, now_ms: float) -> bool:
        """Extends a held slot's lease; ``False`` when another owner holds it now."""
        try:
            self._client().update_item(
                TableName=self._table,
                Key={"id": {"S": f"celeriac-slot-{handle.bucket}#{handle.slot}"}},
                UpdateExpression="SET lease_until = :until, #ttl = :ttl",
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":until": {"N": js_number(now_ms + lease_ms)},
                    ":ttl": {"N": _ttl(now_ms + lease_ms)},
                    ":owner": {"S": handle.owner},
                },
            )
            return True
        except Exception as error:
            if _condition_failed(error):
                return False
            raise

    def release_slot(self, handle: SlotHandle) -> None:
        """Frees a held slot; nothing happens when another owner took it over after its lease."""
        try:
            self._client().delete_item(
                TableName=self._table,
                Key={"id": {"S": f"celeriac-slot-{handle.bucket}#{handle.slot}"}},
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": handle.owner}},
            )
        except Exception as error:
            if not _condition_failed(error):
                raise

    def read_limits(self) -> Optional[str]:
        """The limits record's text, or ``None`` when none was written."""
        item = self._client().get_item(TableName=self._table, Key={"id": {"S": LIMITS_ID}}).get("Item") or {}
        return item.get("limits", {}).get("S")
