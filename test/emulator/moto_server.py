"""moto's server (`moto_server`), with DynamoDB requests made atomic and two fixes for its speed on deep queues.

moto is not thread-safe (its FAQ: "Is Moto concurrency safe? No."), and its server runs each request on a thread
of its own. Two conditional writes to one item can then both pass their condition: two of eight concurrent
takes of one rate bucket were granted, and two workers claimed one task, under load. DynamoDB applies each
request to an item atomically, and celeriac's claim, leases and limits rely on it, so here every DynamoDB request
holds one lock for the time moto takes to answer it. DynamoDB's requests do not wait (unlike SQS's long polls),
so the lock costs nothing but the interleaving moto should not have allowed.

moto 5.2.5 checks each message it receives against the queue's retention period by building every attribute of
the queue (`Queue.attributes`), three of which count the queue's messages one by one; sending a message builds
them too. Each count asks for the time once per message, through a conversion that imports a module and builds
two datetimes. With 1,000 messages queued, a ReceiveMessage of 10 took about 500 ms and a SendMessageBatch of 10
about 380 ms, three quarters of moto's time in a chord of 1,000 (test/integration/workflow-scale.test.ts).

The fixes: the retention check reads the one attribute it needs, and SQS's clock reads `time.time()`, the same
number moto computes. What moto answers is unchanged. They apply to the pinned version only (the code they
replace is the pinned one's); with any other, moto runs as it is and this says so on stderr.

Usage: python moto_server.py -H 127.0.0.1 -p <port> (the arguments of `moto_server`).
"""

import datetime
import functools
import sys
import threading
import time

import moto
from moto.dynamodb.responses import DynamoHandler
from moto.server import main
from moto.sqs import models as sqs_models

PATCHED_VERSION = "5.2.5"

_moto_unix_time = sqs_models.unix_time


def unix_time(dt: datetime.datetime | None = None) -> float:
    """moto's `unix_time`: seconds since the epoch, UTC, now when `dt` is None."""
    return time.time() if dt is None else _moto_unix_time(dt)


def unix_time_millis(dt: datetime.datetime | None = None) -> float:
    """moto's `unix_time_millis`."""
    return unix_time(dt) * 1000.0


def is_message_valid_based_on_retention_period(
    self: sqs_models.SQSBackend, queue_name: str, message: sqs_models.Message
) -> bool:
    """moto's check, reading the queue's retention period alone instead of every attribute of the queue."""
    retention_period = self.get_queue(queue_name).message_retention_period
    return retention_period + message.sent_timestamp / 1000 > unix_time()


if moto.__version__ == PATCHED_VERSION:
    sqs_models.unix_time = unix_time
    sqs_models.unix_time_millis = unix_time_millis
    sqs_models.SQSBackend.is_message_valid_based_on_retention_period = (
        is_message_valid_based_on_retention_period
    )
else:
    print(
        f"moto_server.py: moto {moto.__version__} is not {PATCHED_VERSION}: running it unpatched",
        file=sys.stderr,
    )

_dynamodb_lock = threading.Lock()
_dynamodb_call_action = DynamoHandler.call_action


@functools.wraps(_dynamodb_call_action)
def _atomic_call_action(self: DynamoHandler):  # type: ignore[no-untyped-def]
    """One DynamoDB request at a time, as DynamoDB serializes the writes to an item."""
    with _dynamodb_lock:
        return _dynamodb_call_action(self)


DynamoHandler.call_action = _atomic_call_action  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
