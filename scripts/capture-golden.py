#!/usr/bin/env python3
"""Captures golden vectors: the exact AWS calls real Python Celery makes, written to test/golden/.

Run by hand from the repository root (not by the test suite); commit what it writes:

    .venv/bin/python scripts/capture-golden.py            # starts its own moto server on a free port
    .venv/bin/python scripts/capture-golden.py --endpoint http://127.0.0.1:4566

How it works. The fixture app (python/fixtures/celeriac_fixtures) installs a recorder when
CELERIAC_RECORD_CALLS names a file: every botocore call (SQS sends/acks, DynamoDB reads/writes) and every call
of kombu's pycurl SQS client is appended to that file with a timestamp. This script runs the vectors in
phases; each phase is a fresh Python process (so the app picks up that phase's environment), some with a real
`celery worker` subprocess recording to its own file. Each vector records a time window; afterwards the
producer's and the worker's calls inside the window are merged in time order and written to
test/golden/messages/<vector>.json and/or test/golden/results/<vector>.json, with test/golden/README.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "python" / "fixtures"
GOLDEN = ROOT / "test" / "golden"
BIN = Path(sys.executable).parent

# Calls that only set up or poll infrastructure. Everything else (SendMessage, SendMessageBatch,
# ChangeMessageVisibility, DeleteMessage, PutItem, UpdateItem, GetItem, DeleteItem, S3 object calls) is kept.
HOUSEKEEPING = {
    "ListQueues",
    "GetQueueUrl",
    "CreateQueue",
    "GetQueueAttributes",
    "ReceiveMessage",
    "DescribeTable",
    "CreateTable",
    "DescribeTimeToLive",
    "UpdateTimeToLive",
}

# Environment variables the phase subprocess reads (set by the orchestrator).
EVENTS_ENV = "CELERIAC_GOLDEN_EVENTS"
WORKER_CALLS_ENV = "CELERIAC_GOLDEN_WORKER_CALLS"
WORKER_PID_ENV = "CELERIAC_GOLDEN_WORKER_PID"
WORKER_LOG_ENV = "CELERIAC_GOLDEN_WORKER_LOG"

# How long the worker must make no (non-receive) call before a vector's window closes.
QUIET_SECONDS = 0.8


# --------------------------------------------------------------------------------------------------------------
# Waiting on the worker (used inside phase processes)
# --------------------------------------------------------------------------------------------------------------


class WorkerLog:
    """Tails the worker's call recording so a phase can wait for what the worker did, without polling AWS."""

    def __init__(self, path: str, pid: int, log_path: str) -> None:
        self.path = path
        self.pid = pid
        self.log_path = log_path
        self.records: list[dict[str, Any]] = []
        self._offset = 0

    def _read(self) -> None:
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
        complete, _, _partial = chunk.rpartition("\n")
        if not complete:
            return
        self._offset += len((complete + "\n").encode("utf-8"))
        for line in complete.split("\n"):
            if line:
                self.records.append(json.loads(line))

    def wait(self, predicate: Callable[[list[dict[str, Any]]], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            self._read()
            if predicate(self.records):
                return
            time.sleep(0.05)
        raise TimeoutError(f"worker did not {what} within {timeout} s")

    def quiet(self, seconds: float = QUIET_SECONDS, timeout: float = 30.0) -> None:
        """Waits until the worker has made no call other than ReceiveMessage for `seconds`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self._read()
            busy = [r for r in self.records if r["operation"] != "ReceiveMessage"]
            last = busy[-1]["t"] if busy else 0.0
            if time.time() - last >= seconds:
                return
            time.sleep(0.05)
        raise TimeoutError(f"worker did not go quiet within {timeout} s")

    # Predicates ----------------------------------------------------------------------------------------------

    def result(self, task_id: str, status: str, count: int = 1) -> None:
        """Waits until the worker has stored `status` for `task_id` (`count` times)."""
        key = f"b'celery-task-meta-{task_id}'"

        def seen(records: list[dict[str, Any]]) -> bool:
            n = 0
            for r in records:
                if r["operation"] != "PutItem":
                    continue
                item = r["params"].get("Item", {})
                if item.get("id", {}).get("S") != key:
                    continue
                raw = item.get("result", {}).get("B")
                if isinstance(raw, dict) and "__bytes_base64__" in raw:
                    raw = base64.b64decode(raw["__bytes_base64__"]).decode("utf-8")
                if isinstance(raw, str) and json.loads(raw).get("status") == status:
                    n += 1
            return n >= count

        self.wait(seen, f"store {status} for {task_id}")

    def warm_shutdown(self, task_id: str) -> None:
        """Once the worker holds `task_id`, sends it SIGTERM and waits for it to restore what it holds."""
        needle = f"[{task_id}] received"
        deadline = time.time() + 30
        while needle not in Path(self.log_path).read_text(encoding="utf-8", errors="replace"):
            if time.time() > deadline:
                raise TimeoutError(f"worker did not receive {task_id} within 30 s")
            time.sleep(0.05)
        stopped_at = time.time()
        os.kill(self.pid, signal.SIGTERM)
        self.called("ChangeMessageVisibility", stopped_at)

    def called(self, operation: str, after: float) -> None:
        """Waits until the worker has made `operation` after time `after`."""
        self.wait(
            lambda records: any(r["operation"] == operation and r["t"] >= after for r in records),
            f"call {operation}",
        )


# --------------------------------------------------------------------------------------------------------------
# Vectors
# --------------------------------------------------------------------------------------------------------------

Wait = Callable[[dict[str, Any], WorkerLog, float], None]


@dataclass(frozen=True)
class Vector:
    name: str
    phase: str
    outputs: tuple[str, ...]
    description: str
    python: str
    queue: str = "celery"
    wait: Wait | None = None
    notes: str = field(default="")


def tid(vector: int, n: int = 1) -> str:
    """A fixed, readable task id: vector number and task number in a valid UUID shape."""
    return f"{vector:08d}-0000-4000-8000-{n:012d}"


def _success(name: str = "r") -> Wait:
    return lambda ns, w, _start: w.result(ns[name].id, "SUCCESS")


def _all_succeeded(results: list[Any], worker: WorkerLog) -> None:
    for child in results:
        worker.result(child.id, "SUCCESS")


VECTORS: list[Vector] = [
    # ---- messages: producer only -----------------------------------------------------------------------------
    Vector(
        "plain-call",
        "producer",
        ("messages",),
        "add.apply_async((2, 3)) to the default queue",
        f"tasks.add.apply_async((2, 3), task_id='{tid(1)}')",
    ),
    Vector(
        "send-task",
        "producer",
        ("messages",),
        "app.send_task by name (no task object in the producer)",
        f"app.send_task('tasks.add', args=(2, 3), task_id='{tid(2)}')",
    ),
    Vector(
        "countdown",
        "producer",
        ("messages",),
        "countdown=10: an `eta` header 10 s after sent_at; no DelaySeconds",
        f"tasks.add.apply_async((2, 3), task_id='{tid(3)}', countdown=10)",
    ),
    Vector(
        "expires",
        "producer",
        ("messages",),
        "expires=60: an `expires` header 60 s after sent_at and an `expiration` property in ms",
        f"tasks.add.apply_async((2, 3), task_id='{tid(4)}', expires=60)",
    ),
    Vector(
        "countdown-expires",
        "producer",
        ("messages",),
        "countdown=10 and expires=60 together",
        f"tasks.add.apply_async((2, 3), task_id='{tid(5)}', countdown=10, expires=60)",
    ),
    Vector(
        "custom-headers",
        "producer",
        ("messages",),
        "headers={...}: custom keys appended after Celery's own headers",
        f"tasks.add.apply_async((2, 3), task_id='{tid(6)}', "
        "headers={'custom': 'x', 'tenant': 42, 'nested': {'a': [1, 2]}})",
    ),
    Vector(
        "type-tags",
        "producer",
        ("messages",),
        "tasks.echo with every kombu JSON type tag (datetime aware/naive, date, time, Decimal, UUID, bytes) "
        "in args and kwargs",
        f"tasks.echo.apply_async(\n"
        "    args=(datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc),\n"
        "          datetime(2024, 1, 2, 3, 4, 5),\n"
        "          datetime(2024, 1, 2, 3, 4, 5, 123000, tzinfo=timezone(timedelta(hours=2))),\n"
        "          date(2024, 1, 2), time(1, 2, 3), time(1, 2, 3, 456789),\n"
        "          Decimal('1.10'), UUID('12345678-1234-5678-1234-567812345678'), b'abc', b'\\xff\\x00'),\n"
        "    kwargs={'dt': datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc), 'naive': datetime(2024, 1, 2),\n"
        "            'd': date(2024, 1, 2), 't': time(1, 2, 3), 'dec': Decimal('1.10'),\n"
        "            'u': UUID('12345678-1234-5678-1234-567812345678'), 'b': b'abc', 'bb': b'\\xff\\x00',\n"
        "            'nested': {'list': [Decimal('0.5'), date(2024, 2, 29)]}},\n"
        f"    task_id='{tid(7)}')",
    ),
    Vector(
        "non-ascii",
        "producer",
        ("messages",),
        "strings with é, ü, a CJK character, an emoji, a quote, a backslash and a newline, in args, kwargs "
        "and a custom header (ensure_ascii escapes, surrogate pairs)",
        f"tasks.echo.apply_async(\n"
        "    args=('café', 'Müller', '中', '🎉', 'say \"hi\"', 'back\\\\slash', 'line1\\nline2'),\n"
        "    kwargs={'naïve': 'ü', 'emoji': '🎉', 'quote': \"'\"},\n"
        "    headers={'note': 'é🎉'},\n"
        f"    task_id='{tid(8)}')",
    ),
    Vector(
        "options",
        "producer",
        ("messages",),
        "priority=5, time_limit=30, soft_time_limit=20, shadow='alias' (timelimit header is [hard, soft])",
        f"tasks.add.apply_async((1, 1), task_id='{tid(9)}', priority=5, time_limit=30, soft_time_limit=20, "
        "shadow='alias')",
    ),
    Vector(
        "link-link-error",
        "producer",
        ("messages",),
        "link=add.s(10), link_error=tsum.s(): embed.callbacks and embed.errbacks",
        f"tasks.add.apply_async((2, 3), task_id='{tid(10)}', link=tasks.add.s(10), link_error=tasks.tsum.s())",
    ),
    Vector(
        "fifo",
        "producer",
        ("messages",),
        "two sends to a .fifo queue: one with MessageGroupId and MessageDeduplicationId, one without (kombu "
        "fills MessageGroupId='default' and a uuid4 MessageDeduplicationId)",
        f"tasks.add.apply_async((1, 2), task_id='{tid(11, 1)}', queue='jobs.fifo',\n"
        "                       MessageGroupId='group-1', MessageDeduplicationId='dedup-1')\n"
        f"tasks.add.apply_async((3, 4), task_id='{tid(11, 2)}', queue='jobs.fifo')",
        queue="jobs.fifo",
    ),
    Vector(
        "delay-seconds",
        "producer",
        ("messages",),
        "apply_async(DelaySeconds=5): kombu forwards it to SendMessage (and leaves it in properties)",
        f"tasks.add.apply_async((2, 3), task_id='{tid(12)}', DelaySeconds=5)",
    ),
    Vector(
        "group",
        "producer",
        ("messages",),
        "group(add.s(1, 1), add.s(2, 2)): one message per member with group and group_index headers",
        "r = group(tasks.add.s(1, 1), tasks.add.s(2, 2)).apply_async()",
    ),
    Vector(
        "compressed",
        "producer",
        ("messages",),
        "compression='zlib': zlib-compressed body, header compression='application/x-gzip'",
        f"tasks.add.apply_async((2, 3), task_id='{tid(13)}', compression='zlib')",
    ),
    Vector(
        "stamped",
        "producer",
        ("messages",),
        "a signature stamped with monitoring_id (stamped_headers and stamps headers)",
        f"tasks.add.s(2, 3).stamp(monitoring_id='mon-1').apply_async(task_id='{tid(14)}')",
    ),
    Vector(
        "kwargs-only",
        "producer",
        ("messages",),
        "keyword arguments only: args [] and argsrepr '()'",
        f"tasks.add.apply_async(kwargs={{'a': 2, 'b': 3}}, task_id='{tid(15)}')",
    ),
    Vector(
        "no-args",
        "producer",
        ("messages",),
        "a task without arguments",
        f"tasks.boom.apply_async(task_id='{tid(16)}')",
    ),
    Vector(
        "ignore-result-header",
        "producer",
        ("messages",),
        "ignore_result=True as a call option: header ignore_result true",
        f"tasks.add.apply_async((2, 3), task_id='{tid(17)}', ignore_result=True)",
    ),
    Vector(
        "message-attributes",
        "producer",
        ("messages",),
        "apply_async(message_attributes={...}): kombu pops them from the properties into SQS MessageAttributes",
        f"tasks.add.apply_async((2, 3), task_id='{tid(19)}',\n"
        "                       message_attributes={'tenant': {'DataType': 'String', 'StringValue': 'acme'},\n"
        "                                           'attempt': {'DataType': 'Number', 'StringValue': '1'}})",
    ),
    # ---- kombu transport variant: sqs_base64_encoding=False -----------------------------------------------------
    Vector(
        "plain-json-body",
        "plain-json",
        ("messages",),
        "an app with the SQS transport option sqs_base64_encoding=False: MessageBody is the envelope JSON "
        "itself (the inner body is still base64)",
        f"tasks.add.apply_async((2, 3), task_id='{tid(20)}')",
    ),
    # ---- protocol v1 producer ---------------------------------------------------------------------------------
    Vector(
        "protocol-v1",
        "protocol-v1",
        ("messages",),
        "an app with task_protocol=1: everything in the body, headers {}; a plain call, then one with "
        "countdown, expires, link and link_error",
        f"tasks.add.apply_async((2, 3), task_id='{tid(18, 1)}')\n"
        f"tasks.add.apply_async((2, 3), task_id='{tid(18, 2)}', countdown=10, expires=60,\n"
        "                       link=tasks.add.s(10), link_error=tasks.tsum.s())",
    ),
    # ---- with a worker -----------------------------------------------------------------------------------------
    Vector(
        "chain",
        "worker",
        ("messages",),
        "chain(add.s(1, 2), add.s(3), add.s(4)) run to completion: the producer's message (embed.chain "
        "reversed), then the worker's follow-up messages for steps 2 and 3 and every result item",
        "r = chain(tasks.add.s(1, 2), tasks.add.s(3), tasks.add.s(4)).apply_async()",
        wait=_success(),
    ),
    Vector(
        "chord",
        "worker",
        ("messages", "results"),
        "chord([add.s(1, 1), add.s(2, 2)], tsum.s()) run to completion: counter and group items, header "
        "messages, header results with group_id, counter UpdateItems, group/counter DeleteItems, the body "
        "message and its result",
        "r = chord([tasks.add.s(1, 1), tasks.add.s(2, 2)], tasks.tsum.s()).apply_async()",
        wait=_success(),
    ),
    Vector(
        "success",
        "worker",
        ("results",),
        "add(2, 3) stores SUCCESS with result 5 (worker reads the item first, then writes it)",
        f"r = tasks.add.apply_async((2, 3), task_id='{tid(21)}')",
        wait=_success(),
    ),
    Vector(
        "echo-type-tags",
        "worker",
        ("results",),
        "tasks.echo returns [args, kwargs] holding kombu type tags and non-ASCII text; the result JSON keeps "
        "the tags",
        "r = tasks.echo.apply_async(\n"
        "    args=(datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc), date(2024, 1, 2), time(1, 2, 3),\n"
        "          Decimal('1.10'), UUID('12345678-1234-5678-1234-567812345678'), b'abc', b'\\xff\\x00'),\n"
        "    kwargs={'text': 'café 中 🎉'},\n"
        f"    task_id='{tid(22)}')",
        wait=_success(),
    ),
    Vector(
        "failure",
        "worker",
        ("results",),
        "boom() raises ValueError('boom', 42): FAILURE with exc_type/exc_message/exc_module and a traceback",
        f"r = tasks.boom.apply_async(task_id='{tid(23)}')",
        wait=lambda ns, w, _s: w.result(ns["r"].id, "FAILURE"),
    ),
    Vector(
        "failure-custom-exception",
        "worker",
        ("results",),
        "decline() raises PaymentDeclined('card 4242 declined', 402), a class defined in the task module",
        f"r = tasks.decline.apply_async(task_id='{tid(24)}')",
        wait=lambda ns, w, _s: w.result(ns["r"].id, "FAILURE"),
    ),
    Vector(
        "progress",
        "worker",
        ("results",),
        "update_state(state='PROGRESS', meta={'done': 1, 'total': 2}) then SUCCESS 'ok'",
        f"r = tasks.progress.apply_async(task_id='{tid(25)}')",
        wait=_success(),
    ),
    Vector(
        "revoked-expired",
        "worker",
        ("results",),
        "a message whose expires is already past: the worker does not run it and stores REVOKED "
        "(TaskRevokedError 'expired')",
        f"r = tasks.add.apply_async((2, 3), task_id='{tid(26)}',\n"
        "                           expires=datetime.now(timezone.utc) - timedelta(minutes=1))",
        wait=lambda ns, w, _s: w.result(ns["r"].id, "REVOKED"),
    ),
    Vector(
        "ignore-result",
        "worker",
        ("results",),
        "ignore_result=True: the worker runs the task and acks the message but stores nothing",
        f"r = tasks.add.apply_async((2, 3), task_id='{tid(27)}', ignore_result=True)",
        wait=lambda _ns, w, start: w.called("DeleteMessage", start),
    ),
    Vector(
        "group-save",
        "worker",
        ("results",),
        "group(add.s(1, 1), add.s(2, 2)) run by a worker, GroupResult.save() and GroupResult.restore(): "
        "the celery-taskset-meta item and member results with group_id",
        "r = group(tasks.add.s(1, 1), tasks.add.s(2, 2)).apply_async()\n"
        "r.save()\n"
        "restored = app.GroupResult.restore(r.id)",
        wait=lambda ns, w, _s: _all_succeeded(ns["r"].results, w),
    ),
    # Late in its phase: the worker keeps the retry message (ETA) in memory after the window closes.
    Vector(
        "retry",
        "worker",
        ("messages", "results"),
        "flaky() calls self.retry(countdown=5, exc=KeyError('k'), max_retries=3); captured through two "
        "retries: each run sends the retry message (same id, retries+1, eta, origin also in properties) and "
        "stores RETRY",
        f"r = tasks.flaky.apply_async(task_id='{tid(29)}')",
        wait=lambda ns, w, _s: w.result(ns["r"].id, "RETRY", count=2),
    ),
    # Last in its phase: it stops the worker.
    Vector(
        "warm-shutdown-restore",
        "worker",
        ("messages",),
        "a countdown=60 message the worker holds unacknowledged until its ETA; the worker then gets SIGTERM "
        "(warm shutdown) and restores every message it holds (this one and the retry message from the `retry` "
        "vector) with ChangeMessageVisibility(VisibilityTimeout=wait_time_seconds, here 1)",
        f"r = tasks.add.apply_async((2, 3), task_id='{tid(31)}', countdown=60)\n"
        "# then: kill -TERM <worker pid>",
        wait=lambda ns, w, _s: w.warm_shutdown(ns["r"].id),
    ),
    Vector(
        "success-extended-started",
        "worker-extended",
        ("results",),
        "result_extended=True and task_track_started=True: STARTED item ({pid, hostname}) then SUCCESS with "
        "name, args, kwargs, worker, retries, queue",
        f"r = tasks.add.apply_async((2, 3), task_id='{tid(30)}')",
        wait=_success(),
    ),
]


@dataclass(frozen=True)
class Phase:
    """One fresh producer process (and optionally a worker) sharing one environment."""

    name: str
    worker: bool
    queue_prefix: str
    env: dict[str, str]
    description: str


PHASES = [
    Phase("producer", False, "golden-p", {}, "producer only, no worker"),
    Phase("protocol-v1", False, "golden-p", {"CELERIAC_TEST_TASK_PROTOCOL": "1"}, "producer with task_protocol=1"),
    Phase(
        "plain-json",
        False,
        "golden-p",
        {"CELERIAC_TEST_SQS_BASE64": "0"},
        "producer with sqs_base64_encoding=False",
    ),
    Phase("worker", True, "golden-w", {}, "producer and a `celery worker --pool=solo`"),
    Phase(
        "worker-extended",
        True,
        "golden-x",
        {"CELERIAC_TEST_RESULT_EXTENDED": "1", "CELERIAC_TEST_TRACK_STARTED": "1"},
        "producer and a worker with result_extended and task_track_started",
    ),
]


# --------------------------------------------------------------------------------------------------------------
# Phase process: runs one phase's vectors with the fixture app
# --------------------------------------------------------------------------------------------------------------


def run_phase(phase_name: str) -> None:
    from datetime import date, datetime, timedelta, timezone
    from datetime import time as dtime
    from decimal import Decimal
    from uuid import UUID

    from celery import chain, chord, group

    from celeriac_fixtures import app, tasks

    events_path = os.environ[EVENTS_ENV]
    worker_calls = os.environ.get(WORKER_CALLS_ENV)
    worker = (
        WorkerLog(worker_calls, int(os.environ[WORKER_PID_ENV]), os.environ[WORKER_LOG_ENV])
        if worker_calls
        else None
    )

    # Create the queues and the table before the first window, so no vector carries setup calls.
    with app.connection_for_write() as conn:
        conn.default_channel  # noqa: B018 - ListQueues
    app.backend.client  # noqa: B018 - DescribeTable, CreateTable when missing

    for vector in VECTORS:
        if vector.phase != phase_name:
            continue
        namespace: dict[str, Any] = {
            "app": app,
            "tasks": tasks,
            "chain": chain,
            "chord": chord,
            "group": group,
            "datetime": datetime,
            "date": date,
            "time": dtime,
            "timedelta": timedelta,
            "timezone": timezone,
            "Decimal": Decimal,
            "UUID": UUID,
        }
        code = compile(vector.python, f"<vector {vector.name}>", "exec")
        sent_at = time.time()
        exec(code, namespace)  # noqa: S102 - the vector's own code, shown verbatim in its golden file
        if vector.wait is not None:
            if worker is None:
                raise RuntimeError(f"vector {vector.name} waits on a worker but phase {phase_name} has none")
            vector.wait(namespace, worker, sent_at)
            worker.quiet()
        else:
            time.sleep(0.05)
        end = time.time()
        with open(events_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"vector": vector.name, "start": sent_at, "end": end}) + "\n")
        print(f"  {vector.name}: {end - sent_at:.2f} s", flush=True)


# --------------------------------------------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode} before answering on {url}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered on {url} within {timeout} s")


def stop(proc: subprocess.Popen[Any], grace: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celeriac_fixtures",
            "worker",
            "--pool=solo",
            "--hostname=golden@celeriac",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        if " ready." in text:
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited with {proc.returncode}:\n{text}")
        time.sleep(0.1)
    stop(proc)
    raise TimeoutError(f"celery worker not ready within 60 s:\n{log_path.read_text(errors='replace')}")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def produced_by() -> dict[str, str]:
    import celery
    import kombu

    return {"celery": celery.__version__, "kombu": kombu.__version__, "python": platform.python_version()}


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def readme(versions: dict[str, str]) -> str:
    rows = []
    for v in VECTORS:
        files = ", ".join(f"`{out}/{v.name}.json`" for out in v.outputs)
        phase = next(p for p in PHASES if p.name == v.phase)
        rows.append(f"| `{v.name}` | {files} | {v.description} | {phase.description} |")
    table = "\n".join(rows)
    return f"""# Golden vectors from real Python Celery

Every file here is what Python Celery {versions['celery']} with kombu {versions['kombu']} (Python {versions['python']})
really sent to SQS and DynamoDB, recorded at botocore's `_make_api_call` (the parameters exactly as botocore
received them) while the calls went on to a moto server. They are test inputs for celeriac's decoders and
interop tests. Never edit them by hand: regenerate them.

## Regenerate

```bash
bash scripts/python-env.sh                       # the pinned venv (celery, kombu, moto)
.venv/bin/python scripts/capture-golden.py       # starts its own moto server; about 25 s
```

`--endpoint http://127.0.0.1:PORT` uses a running emulator instead (queue and table names then get a random
suffix); `--keep` keeps the raw per-process recordings. The fixture app is
`python/fixtures/celeriac_fixtures` (tasks `tasks.add`, `tasks.echo`, `tasks.boom`, `tasks.decline`,
`tasks.tsum`, `tasks.flaky`, `tasks.progress`, `tasks.sleep`; JSON serializer only). Values that depend on
the run change on every capture: moto's port in queue URLs, `origin` (`gen<pid>@<host>`), `reply_to`,
`delivery_tag`, generated task and group ids, times, receipt handles, and the file paths in tracebacks.

## File format

```json
{{
  "vector": "plain-call",
  "description": "what the vector shows",
  "python": "the exact Python code that ran (the capture script executes this very text)",
  "produced_by": {{"celery": "5.6.3", "kombu": "5.6.2", "python": "3.11.7"}},
  "queue": "celery",
  "sent_at": 1795244690.7812,
  "calls": [{{"service": "sqs", "operation": "SendMessage", "params": {{"QueueUrl": "...", "MessageBody": "..."}}}}]
}}
```

- `queue`: the Celery queue name (routing key), without the capture's kombu `queue_name_prefix`
  (`golden-p-`, `golden-w-`, `golden-x-`), which does appear in queue URLs.
- `sent_at`: `time.time()` just before the code in `python` ran; `eta`/`expires` headers are offsets from it.
- `calls`: every SQS and DynamoDB call the vector caused, from the producer and from the worker, in time
  order. Left out as housekeeping: {", ".join(sorted(HOUSEKEEPING))}.
  Bytes would appear as `{{"__bytes_base64__": "..."}}`; Celery passes the DynamoDB `result` attribute (`B`)
  as a `str` of JSON, so it appears as text (botocore sends its UTF-8 bytes).
- `SendMessage.MessageBody` is base64 of kombu's JSON envelope `{{body, content-encoding, content-type,
  headers, properties}}`; `body` is base64 of the serialized task (`[args, kwargs, embed]` for protocol 2),
  zlib-compressed first when `headers.compression` is set.
- Worker vectors ran `python -m celery -A celeriac_fixtures worker --pool=solo --hostname=golden@celeriac`.
  Celery schedules the ack on the worker's event loop, so with the solo pool `DeleteMessage` comes after the
  task's result writes; other pools may ack earlier. Before each result write the worker reads the item
  (`GetItem`: Celery does not overwrite a stored SUCCESS).
- `messages/` holds what producers send (and, for worker vectors, the worker's follow-up messages and
  result writes); `results/` holds vectors about result items. `chord` and `retry` are in both, with the
  same calls.

## Vectors

| vector | files | what it shows | run |
| --- | --- | --- | --- |
{table}
"""


def check_vector(vector: Vector, calls: list[dict[str, Any]]) -> None:
    """Refuses to write a vector that obviously missed what it is about."""
    operations = [c["operation"] for c in calls]
    if not any(op in ("SendMessage", "SendMessageBatch") for op in operations):
        raise RuntimeError(f"vector {vector.name} recorded no SendMessage: {operations}")
    if "results" in vector.outputs and vector.name != "ignore-result" and "PutItem" not in operations:
        raise RuntimeError(f"result vector {vector.name} recorded no PutItem: {operations}")
    if vector.name == "ignore-result" and "PutItem" in operations:
        raise RuntimeError(f"vector ignore-result stored a result: {operations}")


def format_markdown(path: Path) -> None:
    """Formats the generated README with the project's Biome, so `biome check` stays clean."""
    biome = ROOT / "node_modules" / ".bin" / "biome"
    if not biome.exists():
        print(f"warning: {biome} not found; run `npx biome format --write {path.relative_to(ROOT)}`")
        return
    subprocess.run([str(biome), "format", "--write", str(path)], cwd=ROOT, check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", help="use this emulator instead of starting a moto server")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the raw recordings (prints their directory)")
    args = parser.parse_args()

    if args.phase:
        run_phase(args.phase)
        return 0

    began = time.time()
    moto: subprocess.Popen[bytes] | None = None
    if args.endpoint:
        endpoint = args.endpoint.rstrip("/")
        suffix = f"-{uuid.uuid4().hex[:8]}"
    else:
        port = free_port()
        moto = subprocess.Popen(
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"
        suffix = ""
        wait_http(f"{endpoint}/moto-api/data.json", 30, moto)

    workdir = Path(tempfile.mkdtemp(prefix="celeriac-golden-"))
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CELERIAC_", "AWS_")) and k != "PYTHONPATH"
    }
    base_env.update(
        {
            "PYTHONPATH": str(FIXTURES),
            "CELERIAC_TEST_ENDPOINT": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "CELERIAC_TEST_RESULT_TABLE": f"golden-results{suffix}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    calls: list[dict[str, Any]] = []
    windows: dict[str, dict[str, float]] = {}
    try:
        for phase in PHASES:
            print(f"phase {phase.name}", flush=True)
            env = {**base_env, **phase.env, "CELERIAC_TEST_QUEUE_PREFIX": f"{phase.queue_prefix}{suffix}-"}
            producer_calls = workdir / f"{phase.name}-producer.jsonl"
            worker_calls = workdir / f"{phase.name}-worker.jsonl"
            events = workdir / f"{phase.name}-events.jsonl"
            worker = None
            if phase.worker:
                worker = start_worker(
                    {**env, "CELERIAC_RECORD_CALLS": str(worker_calls)}, workdir / f"{phase.name}-worker.log"
                )
            try:
                phase_env = {**env, "CELERIAC_RECORD_CALLS": str(producer_calls), EVENTS_ENV: str(events)}
                if worker is not None:
                    phase_env[WORKER_CALLS_ENV] = str(worker_calls)
                    phase_env[WORKER_PID_ENV] = str(worker.pid)
                    phase_env[WORKER_LOG_ENV] = str(workdir / f"{phase.name}-worker.log")
                done = subprocess.run(
                    [sys.executable, str(Path(__file__).resolve()), "--phase", phase.name],
                    env=phase_env,
                    cwd=ROOT,
                    timeout=120,
                    check=False,
                )
                if done.returncode != 0:
                    log = workdir / f"{phase.name}-worker.log"
                    tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
                    raise RuntimeError(
                        f"phase {phase.name} failed ({done.returncode}); recordings in {workdir}; "
                        f"worker log:\n{tail}"
                    )
            finally:
                if worker is not None:
                    stop(worker)
            calls += read_jsonl(producer_calls) + read_jsonl(worker_calls)
            for event in read_jsonl(events):
                windows[event["vector"]] = {"start": event["start"], "end": event["end"]}
    finally:
        if moto is not None:
            stop(moto)

    calls.sort(key=lambda c: c["t"])
    versions = produced_by()
    files: dict[Path, dict[str, Any]] = {}
    for vector in VECTORS:
        window = windows.get(vector.name)
        if window is None:
            raise RuntimeError(f"vector {vector.name} did not run")
        in_window = [
            {"service": c["service"], "operation": c["operation"], "params": c["params"]}
            for c in calls
            if window["start"] <= c["t"] <= window["end"] and c["operation"] not in HOUSEKEEPING
        ]
        check_vector(vector, in_window)
        for out in vector.outputs:
            files[GOLDEN / out / f"{vector.name}.json"] = {
                "vector": vector.name,
                "description": vector.description,
                "python": vector.python,
                "produced_by": versions,
                "queue": vector.queue,
                "sent_at": window["start"],
                "calls": in_window,
            }
    # Only now that every vector is complete: replace the previous capture.
    for out in ("messages", "results"):
        for stale in (GOLDEN / out).glob("*.json"):
            stale.unlink()
    for path, data in files.items():
        write_json(path, data)
    (GOLDEN / "README.md").write_text(readme(versions), encoding="utf-8")
    format_markdown(GOLDEN / "README.md")

    if args.keep:
        print(f"raw recordings kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"wrote {len(VECTORS)} vectors to {GOLDEN.relative_to(ROOT)} in {time.time() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
