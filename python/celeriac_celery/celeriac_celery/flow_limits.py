"""celeriac's fleet-wide limits, read and taken exactly as its TypeScript workers do (``src/flow/``,
``src/aws/dynamodb-flow-store.ts``), so a Python worker and a celeriac worker share one bucket.

- **Rate buckets** (GCRA without burst tolerance): item ``celeriac-rate-<bucket>`` in the results table holds
  ``tat`` (epoch ms), the time before which its tokens are spent. Taking ``count`` tokens is one conditional
  ``UpdateItem`` (``attribute_not_exists(tat) OR tat <= now``) that sets ``tat = now + count × interval``.
  A process takes what its rate allows in 250 ms (1 to 10 tokens) and drops what it has not used by then.
- **Concurrency slots**: items ``celeriac-slot-<bucket>#<n>`` holding ``owner`` and ``lease_until``, taken with a
  conditional ``PutItem``, renewed with the run's lease and deleted when the run ends.
- **The limits record**: item ``celeriac-flow-limits`` holding ``limits``, the JSON that
  ``celeriac control rate-limit`` writes; re-read every 10 s, a field in it wins over the task's option.

Bucket names are celeriac's: ``task#<task name>`` for a task's rate, ``key#<task name>#<key>`` for a key's.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from .flow_store import DynamoDbFlowStore, SlotHandle, js_number

#: How often the limits record is read again, seconds.
LIMITS_REFRESH_SECONDS = 10.0
#: The time one batch of tokens covers, ms.
BATCH_WINDOW_MS = 250.0
#: The most tokens taken at once.
MAX_BATCH = 10
#: How long granted tokens stay usable after the answer arrives, at least, ms.
GRACE_MS = 50.0
#: Longest key kept as written in an item key; longer (or unprintable) keys are hashed.
MAX_KEY_LENGTH = 200

RATE_FORMS = (
    "'<n>/s', '<n>/m' or '<n>/h' (n > 0, e.g. '10/s', '100/m', '1000/h'), a number of tasks per second, "
    "or 0 for no limit"
)
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_NUMBER = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
_PRINTABLE = re.compile(r"^[\x21-\x7e]*$")


class FlowLimitError(ValueError):
    """A rate, key option or limits record that cannot be used; the message names it and the accepted forms."""


@dataclass(frozen=True)
class Rate:
    """A parsed rate: tasks per second (0: no limit) and the rate as written."""

    per_second: float
    text: str

    @property
    def limits(self) -> bool:
        """Whether the rate limits anything."""
        return self.per_second > 0


def parse_rate(value: Union[str, int, float], option: str) -> Rate:
    """Parses a rate in Celery's ``rate_limit`` syntax, as celeriac does (``src/flow/rate.ts``).

    :raises FlowLimitError: naming ``option`` and the accepted forms.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FlowLimitError(f"{option}: expected {RATE_FORMS}, got {value!r}")
    if not isinstance(value, str):
        if not math.isfinite(value) or value < 0:
            raise FlowLimitError(f"{option}: expected {RATE_FORMS}, got {value!r}")
        return Rate(float(value), str(value))
    text = value.strip()
    amount, _, unit = text.partition("/")
    amount, unit = amount.strip(), (unit.strip() if "/" in text else "s")
    if not _NUMBER.match(amount) or unit not in _UNIT_SECONDS:
        raise FlowLimitError(f"{option}: expected {RATE_FORMS}, got {value!r}")
    return Rate(float(amount) / _UNIT_SECONDS[unit], text)


def validate_override(task: str, override: Any) -> dict[str, Any]:
    """One task's entry of the limits record, checked field by field (``src/flow/limits-record.ts``)."""
    if not isinstance(override, dict):
        raise FlowLimitError(f"limits.{task}: expected an object, got {override!r}")
    out: dict[str, Any] = {}
    for name in ("rateLimit", "keyRateLimit"):
        value = override.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise FlowLimitError(f"limits.{task}.{name}: expected a rate, got {value!r}")
        parse_rate(value, f"limits.{task}.{name}")
        out[name] = value
    concurrency = override.get("keyConcurrency")
    if concurrency is not None:
        if isinstance(concurrency, bool) or not isinstance(concurrency, (int, float)) or concurrency < 1 or (
            int(concurrency) != concurrency
        ):
            raise FlowLimitError(f"limits.{task}.keyConcurrency: expected an integer >= 1, got {concurrency!r}")
        out["keyConcurrency"] = int(concurrency)
    return out


def parse_limits_record(text: str) -> dict[str, dict[str, Any]]:
    """The tasks' overrides in the limits record's text.

    :raises FlowLimitError: saying what is wrong with it.
    """
    try:
        value = json.loads(text)
    except ValueError as error:
        raise FlowLimitError(f"the limits record is not JSON: {error}") from error
    if not isinstance(value, dict) or value.get("version") != 1:
        raise FlowLimitError(f'limits: expected an object with "version": 1, got {text[:80]!r}')
    tasks = value.get("tasks")
    if not isinstance(tasks, dict):
        raise FlowLimitError(f"limits.tasks: expected an object of task name to limits, got {tasks!r}")
    return {name: validate_override(name, override) for name, override in tasks.items()}


#: A task's ``rate_limit_key``: ``{'header': name}``, ``{'kwarg': name}`` or a function of the positional args.
RateLimitKey = Union[Mapping[str, str], Callable[..., Any]]


def validate_rate_limit_key(option: str, key: Any) -> None:
    """Checks a ``rate_limit_key`` task option."""
    if callable(key):
        return
    name = key.get("header", key.get("kwarg")) if isinstance(key, Mapping) else None
    if not isinstance(name, str) or not name:
        raise FlowLimitError(
            f"{option}: expected {{'header': '<name>'}}, {{'kwarg': '<name>'}} or a function of the task's "
            f"positional arguments returning a string, got {key!r}"
        )


def limit_key_of(
    key: RateLimitKey, args: Sequence[Any], kwargs: Mapping[str, Any], headers: Mapping[str, Any]
) -> Optional[str]:
    """The key of one call, or ``None`` when it has none (``src/flow/limit-key.ts``)."""
    if callable(key):
        try:
            value = key(*args)
        except Exception:  # noqa: BLE001 - a key function that fails gives no key, as in celeriac
            return None
    elif "header" in key:
        value = headers.get(key["header"])
    else:
        value = kwargs.get(key["kwarg"])
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        value = js_number(value)
    return value if isinstance(value, str) and value else None


def bucket_key(key: str) -> str:
    """A key as it appears in a bucket name: as written when short and printable, else its SHA-256."""
    if len(key) <= MAX_KEY_LENGTH and _PRINTABLE.match(key):
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TaskLimits:
    """The limits in force for one task."""

    rate: Optional[Rate] = None
    key: Optional[RateLimitKey] = None
    key_rate: Optional[Rate] = None
    key_concurrency: Optional[int] = None


@dataclass
class _Tokens:
    left: int = 0
    until_ms: float = 0.0
    retry_at_ms: Optional[float] = None
    tail_ms: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _now_ms() -> float:
    return time.time() * 1000


class FlowControl:
    """Limits, tokens and slots of one process (``src/flow/flow-control.ts``)."""

    def __init__(
        self, store: DynamoDbFlowStore, log: Callable[[str], None], now_ms: Callable[[], float] = _now_ms
    ) -> None:
        self.store = store
        self._log = log
        self._now_ms = now_ms
        self._tokens: dict[str, _Tokens] = {}
        self._lock = threading.Lock()
        self._record: dict[str, dict[str, Any]] = {}
        self._read_at = -math.inf
        self._problem: Optional[str] = None

    def now_ms(self) -> float:
        """This process's clock, epoch ms (the buckets compare the workers' clocks)."""
        return self._now_ms()

    def limits_of(self, task: Any) -> TaskLimits:
        """The limits in force for a Celery task: the limits record's, else the task's options."""
        override = self._override(task.name)
        rate = override.get("rateLimit", getattr(task, "rate_limit", None))
        key = getattr(task, "rate_limit_key", None)
        key_rate = override.get("keyRateLimit", getattr(task, "key_rate_limit", None))
        key_concurrency = override.get("keyConcurrency", getattr(task, "key_concurrency", None))
        parsed = parse_rate(rate, f"{task.name}: rate_limit") if rate is not None else None
        parsed_key_rate = parse_rate(key_rate, f"{task.name}: key_rate_limit") if key_rate is not None else None
        return TaskLimits(
            rate=parsed if parsed is not None and parsed.limits else None,
            key=key,
            key_rate=parsed_key_rate if key is not None and parsed_key_rate and parsed_key_rate.limits else None,
            key_concurrency=int(key_concurrency) if key is not None and key_concurrency is not None else None,
        )

    def take(self, bucket: str, rate: Rate) -> tuple[bool, float]:
        """Takes one token of ``bucket``: ``(True, 0)``, or ``(False, retry_at_ms)`` for a message turned away."""
        with self._lock:
            tokens = self._tokens.setdefault(bucket, _Tokens())
        with tokens.lock:
            for _ in range(3):
                now = self._now_ms()
                if tokens.left > 0 and now < tokens.until_ms:
                    tokens.left -= 1
                    return True, 0.0
                if tokens.retry_at_ms is not None and now < tokens.retry_at_ms:
                    # Turned-away messages come back a token apart, so a backlog drains at the rate.
                    at = max(tokens.tail_ms, tokens.retry_at_ms)
                    tokens.tail_ms = at + 1000 / rate.per_second
                    return False, at
                self._refill(bucket, rate, tokens)
            return False, self._now_ms() + 1000 / rate.per_second

    def _refill(self, bucket: str, rate: Rate, tokens: _Tokens) -> None:
        interval_ms = 1000 / rate.per_second
        # JavaScript's Math.round (halves up), as celeriac's workers size their batches.
        batch = max(1, min(MAX_BATCH, math.floor(rate.per_second * BATCH_WINDOW_MS / 1000 + 0.5)))
        granted, at_ms = self.store.take_tokens(bucket, batch, interval_ms, self._now_ms())
        if granted > 0:
            tokens.left = granted
            tokens.until_ms = max(at_ms, self._now_ms() + GRACE_MS)
            tokens.retry_at_ms = None
        else:
            tokens.left = 0
            tokens.retry_at_ms = at_ms

    def acquire(
        self, bucket: str, limit: int, owner: str, lease_ms: float, first: int
    ) -> tuple[Optional[int], float]:
        """Takes a concurrency slot of ``bucket``."""
        return self.store.acquire_slot(bucket, limit, owner, lease_ms, self._now_ms(), first)

    def renew(self, handle: SlotHandle, lease_ms: float) -> bool:
        """Extends a held slot's lease."""
        return self.store.renew_slot(handle, lease_ms, self._now_ms())

    def release(self, handle: SlotHandle) -> None:
        """Frees a held slot."""
        self.store.release_slot(handle)

    def _override(self, name: str) -> dict[str, Any]:
        with self._lock:
            if time.monotonic() - self._read_at >= LIMITS_REFRESH_SECONDS:
                self._read_at = time.monotonic()
                self._read()
            return self._record.get(name, {})

    def _read(self) -> None:
        try:
            text = self.store.read_limits()
        except Exception as error:  # noqa: BLE001 - an unreadable record keeps the limits in force
            self._report(f"cannot read the limits record ({error}); keeping the limits in force")
            return
        if text is None:
            self._record, self._problem = {}, None
            return
        try:
            self._record, self._problem = parse_limits_record(text), None
        except FlowLimitError as error:
            self._record = {}
            self._report(f"ignoring the limits record, {error}; using the limits in code")

    def _report(self, problem: str) -> None:
        if problem != self._problem:
            self._problem = problem
            self._log(problem)
