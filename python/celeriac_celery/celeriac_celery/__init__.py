"""Python Celery workers beside celeriac workers on the same SQS queues, with one guarantee.

One line in the Celery app, after its configuration and before its tasks::

    import celeriac_celery

    celeriac_celery.enable(app)

``enable`` resolves the :class:`Settings` (arguments, else the ``CELERIAC_*`` environment variables celeriac's
workers read, else the app's Celery settings), stores them as ``app.celeriac_settings``, then runs each part's
``install(app, settings)`` in order. The claim comes first: the other parts run inside a claimed task.

What a part's ``install(app, settings)`` may use:

- ``settings.result_table``, ``settings.lease_seconds``, ``settings.ttl_seconds``, ``settings.worker_id``
  (``<hostname>:<pid>``, refreshed in each prefork child);
- ``settings.dynamodb()``: the boto3 DynamoDB client of the app's result backend (same endpoint/credentials);
- ``settings.sqs()``: a boto3 SQS client built like kombu's from the broker URL (one per thread);
- ``settings.options.get(name)``: an ``enable`` keyword option meant for the part (one no part reads is refused);
- ``settings.parts``: what earlier parts registered, by name (``'claim'``: the Task base class);
- inside a run: :func:`current_claim` (``task_id``, ``owner``, ``attempt``, ``delivery`` with the SQS receipt);
- :class:`ClaimingTask.before_start` claims first; a later part's checks go in a ``task_prerun`` handler or
  after ``super().before_start(...)``.
"""

from __future__ import annotations

from typing import Any

from .backend import ClaimingDynamoDBBackend
from .claim import ClaimOutcome, ClaimStore, new_owner
from .lease import Claim
from .settings import Settings, SettingsError
from .task import ClaimingTask, TaskNotClaimedError
from .worker import install as install_claim
from .control import install as install_control
from .events import install as install_events
from .flow import install as install_flow
from .routing import install as install_routing

__all__ = [
    "Claim",
    "ClaimOutcome",
    "ClaimStore",
    "ClaimingDynamoDBBackend",
    "ClaimingTask",
    "Settings",
    "SettingsError",
    "TaskNotClaimedError",
    "current_claim",
    "enable",
    "new_owner",
]
__version__ = "0.1.0"


def current_claim(task: Any) -> Claim | None:
    """The claim of the run ``task`` (a bound task, ``self``) is executing, or None outside a claimed run."""
    return getattr(task.request, "celeriac_claim", None)


def enable(app: Any, **options: Any) -> Settings:
    """Makes ``app``'s workers claim, lease and record tasks as celeriac's workers do; returns the settings.

    Call it right after ``Celery(...)`` and its configuration, before any ``@app.task`` (producers may call it
    too: it changes nothing they send). Keyword options are :class:`Settings` fields (``result_table``,
    ``lease_seconds``, ``ttl_seconds``); each falls back to its ``CELERIAC_*`` environment variable, then to the
    app's Celery settings.
    """
    settings = Settings.resolve(app, **options)
    app.celeriac_settings = settings
    install_claim(app, settings)
    # Flow control, control records and events (one line each):
    install_flow(app, settings)
    install_control(app, settings)
    install_events(app, settings)
    # Routing and shadow (one line each):
    install_routing(app, settings)
    settings.options.check_all_read()
    return settings
