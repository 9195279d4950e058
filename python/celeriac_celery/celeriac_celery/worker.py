"""Installs the claim in a Celery app: its settings, its backend, its Task base class and its signals.

What :func:`install` changes, all through Celery's own settings and hooks:

- ``result_backend``: ``celeriac_celery.backend.ClaimingDynamoDBBackend+<the app's dynamodb:// URL>`` (Celery's
  ``<class>+<url>`` form), so results are stored through the claim and read as Celery reads them;
- ``task_acks_late = True``: Celery's default acknowledges (on SQS: deletes) a message before its task runs, so
  a worker lost mid-run loses the task; late, the message is deleted only once the outcome is stored;
- ``task_reject_on_worker_lost = True``: a prefork child killed mid-run hands its message back (its claim's
  lease then runs out) instead of storing a FAILURE the task never reached;
- ``app.task_cls``: :class:`~celeriac_celery.task.ClaimingTask`, the base of every task the app defines after
  this call;
- signals: ``task_received`` carries the SQS receipt into the request (for the heartbeat and for putting off a
  busy message), ``task_postrun`` settles the claim, ``worker_process_init`` gives prefork children their own
  clients and owner prefix, ``worker_init`` stops the worker before it consumes when a task would run unclaimed.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import signals

from .backend import BACKEND_PATH, CLAIMED_RUN, claiming_url
from .lease import Delivery
from .settings import Settings, SettingsError
from .task import ClaimingTask, TaskNotClaimedError, finish_claim

logger = logging.getLogger("celeriac_celery")


def _backend_url(app: Any) -> str:
    url = app.conf.result_backend
    if isinstance(url, str) and url.startswith(f"{BACKEND_PATH}+"):
        return url
    if not isinstance(url, str) or not url.startswith("dynamodb://"):
        raise SettingsError(
            f"celeriac_celery: result_backend is {url!r}; celeriac's claim lives in its DynamoDB results table, "
            "so set result_backend to a dynamodb:// URL (the table celeriac's workers use, CELERIAC_RESULT_TABLE)"
        )
    return claiming_url(url)


def _refuse_to_start(message: str) -> None:
    """Stops the worker before it consumes: Celery's signals log an ``Exception`` and go on, not a ``SystemExit``."""
    logger.critical("%s", message)
    raise SystemExit(str(TaskNotClaimedError(message)))


def install(app: Any, settings: Settings) -> None:
    """Makes ``app``'s workers claim every task before running it (see the module docstring)."""
    app.conf.result_backend = _backend_url(app)
    if getattr(app, "_backend", None) is not None:
        app._backend = None  # built before enable(): the next use builds the claiming backend
    app.conf.task_acks_late = True
    app.conf.task_reject_on_worker_lost = True
    if "Task" in app.__dict__ and not issubclass(app.Task, ClaimingTask):
        raise SettingsError(
            "celeriac_celery.enable(app) was called after app.Task was created; call it right after "
            "Celery(...) and its configuration, before any @app.task"
        )
    app.task_cls = ClaimingTask
    settings.parts["claim"] = ClaimingTask

    @signals.task_received.connect(weak=False)
    def _carry_delivery(sender: Any = None, request: Any = None, **_: Any) -> None:
        if request is None or request.task is None or request.task.app is not app:
            return
        info = request.message.delivery_info or {}
        sqs_message = info.get("sqs_message") or {}
        request_dict = request.request_dict
        request_dict[CLAIMED_RUN] = True
        if info.get("sqs_queue") and sqs_message.get("ReceiptHandle"):
            request_dict["celeriac_delivery"] = Delivery(
                info["sqs_queue"], sqs_message["ReceiptHandle"], sqs_message.get("MessageId", "")
            ).to_dict()

    @signals.task_postrun.connect(weak=False)
    def _settle(sender: Any = None, state: Any = None, retval: Any = None, **_: Any) -> None:
        if sender is not None and getattr(sender, "app", None) is app:
            finish_claim(sender, state, retval)

    @signals.worker_process_init.connect(weak=False)
    def _own_clients(**_: Any) -> None:
        settings.refresh_worker_id()
        backend = app.backend
        if getattr(backend, "_client", None) is not None:
            backend._client = None  # a forked child must not share the parent's pooled connections
        settings._local.__dict__.clear()

    @signals.worker_init.connect(weak=False)
    def _check_tasks(sender: Any = None, **_: Any) -> None:
        worker_app = getattr(sender, "app", None)
        if worker_app is not None and worker_app is not app:
            return
        app.loader.import_default_modules()
        unclaimed = sorted(name for name, task in app.tasks.items() if not isinstance(task, ClaimingTask))
        if unclaimed:
            _refuse_to_start(
                f"celeriac_celery: these tasks do not claim their runs: {', '.join(unclaimed)}; call "
                "celeriac_celery.enable(app) before defining them, or derive their base class from "
                "celeriac_celery.ClaimingTask"
            )
        early = sorted(name for name, task in app.tasks.items() if not task.acks_late)
        if early:
            _refuse_to_start(
                f"celeriac_celery: these tasks set acks_late=False: {', '.join(early)}; a message deleted "
                "before its task runs is lost when the worker is; remove the option"
            )
