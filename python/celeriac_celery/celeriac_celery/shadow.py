"""Shadow copies: while a task name is routed in shadow mode, Python runs it for real and sends celeriac a copy.

The copy is the received SQS message unchanged (same body, so the same task id, headers and arguments) plus the
``celeriac_shadow`` message attribute, sent to a queue only celeriac workers read (the route's ``celeriacQueue``).
A celeriac worker runs the copy as a shadow when the task is marked shadow-safe there (``shadow: true``), stores
its result in a separate item (``celeriac-shadow-<task id>``, never the task's result), compares it with the real
result Python stored, logs the difference, and deletes the copy: the copy never runs for real, and never writes a
result. ``celeriac shadow report`` lists the task ids whose values differ.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

logger = logging.getLogger("celeriac_celery.shadow")

#: The message attribute that marks a shadow copy (celeriac's ``SHADOW_ATTRIBUTE``).
SHADOW_ATTRIBUTE = "celeriac_shadow"

_warned: set[str] = set()


def send_shadow_copy(sqs: Any, sqs_message: Mapping[str, Any], task_name: str, queue_url: str | None) -> bool:
    """Sends a shadow copy of ``sqs_message`` to ``queue_url``; returns whether it sent one.

    Without a celeriac queue no copy is sent (a copy on a queue Python workers read would run twice), and a
    warning says so once per task name. A failed send is logged and never affects the real run.
    """
    if not queue_url:
        if task_name not in _warned:
            _warned.add(task_name)
            logger.warning(
                "shadow mode for %s sends no shadow copies: the route has no celeriac queue "
                "(celeriac route %s shadow --celeriac-queue <url>); only messages celeriac workers receive are shadowed",
                task_name,
                task_name,
            )
        return False
    attributes = dict(sqs_message.get("MessageAttributes") or {})
    attributes[SHADOW_ATTRIBUTE] = {"DataType": "String", "StringValue": "1"}
    try:
        sqs.send_message(QueueUrl=queue_url, MessageBody=sqs_message["Body"], MessageAttributes=attributes)
    except Exception:  # noqa: BLE001 - the real run must not depend on the comparison
        logger.exception("could not send the shadow copy of a %s message to %s", task_name, queue_url)
        return False
    return True
