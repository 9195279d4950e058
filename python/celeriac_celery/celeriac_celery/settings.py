"""The settings every part of the package reads, resolved once by :func:`celeriac_celery.enable`.

Each field comes from ``enable``'s keyword argument of the same name, else the ``CELERIAC_*`` environment
variable celeriac's TypeScript workers read (``src/config/env.ts``), else the Celery app's own settings, so a
Python worker and a celeriac worker configured from one environment agree on the results table, the TTL and the
lease.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

#: kombu's SQS visibility timeout when ``broker_transport_options`` sets none (``kombu/transport/SQS.py``).
KOMBU_DEFAULT_VISIBILITY_SECONDS = 1800


class SettingsError(ValueError):
    """A setting with a value celeriac_celery cannot use; the message names the setting and the fix."""


def _nonempty(value: Optional[str]) -> Optional[str]:
    return value if value not in (None, "") else None


def _number(name: str, value: Any) -> Optional[float]:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"celeriac_celery: {name} must be a number of seconds, got {value!r}") from error
    if number <= 0:
        raise SettingsError(f"celeriac_celery: {name} must be more than 0 seconds, got {value!r}")
    return number


@dataclass
class Settings:
    """What :func:`celeriac_celery.enable` resolved; read it from ``app.celeriac_settings``.

    :ivar app: the Celery app.
    :ivar result_table: DynamoDB results table (``CELERIAC_RESULT_TABLE``, else the DynamoDB backend's table).
    :ivar lease_seconds: the claim's lease, renewed while a task runs; also how long the heartbeat keeps the SQS
        message invisible. Default the app's ``broker_transport_options['visibility_timeout']``, else kombu's
        1800 s: a message and its claim come back together.
    :ivar ttl_seconds: seconds a result lives before DynamoDB TTL (``CELERIAC_RESULT_TTL_SECONDS``, else the
        backend URL's ``ttl_seconds``); ``None`` writes no ``ttl``.
    :ivar worker_id: this process's part of every claim owner (``<hostname>:<pid>``); each delivery adds a UUID.
    :ivar options: ``enable``'s other keyword options, for the parts that read them (``options.get(name)``);
        one that no part read is refused once every part is installed (:meth:`Options.check_all_read`).
    """

    app: Any
    result_table: str
    lease_seconds: float
    ttl_seconds: Optional[int] = None
    worker_id: str = ""
    options: "Options" = field(default_factory=lambda: Options())
    #: Parts installed by enable(), by name, so later parts can find earlier ones (``settings.parts['claim']``).
    parts: dict[str, Any] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @classmethod
    def resolve(
        cls,
        app: Any,
        *,
        result_table: Optional[str] = None,
        lease_seconds: Optional[float] = None,
        ttl_seconds: Optional[int] = None,
        **options: Any,
    ) -> "Settings":
        """Resolves the settings from arguments, then ``CELERIAC_*`` variables, then the app's configuration;
        other options are kept in :attr:`options` for the parts that read them."""
        env = os.environ
        conf = app.conf
        table = (
            _nonempty(result_table)
            or _nonempty(env.get("CELERIAC_RESULT_TABLE"))
            or _backend_table(conf.result_backend)
            or "celery"
        )
        transport = conf.broker_transport_options or {}
        lease = (
            _number("lease_seconds", lease_seconds)
            or _number("broker_transport_options['visibility_timeout']", transport.get("visibility_timeout"))
            or KOMBU_DEFAULT_VISIBILITY_SECONDS
        )
        ttl = _number("ttl_seconds", ttl_seconds) or _number(
            "CELERIAC_RESULT_TTL_SECONDS", env.get("CELERIAC_RESULT_TTL_SECONDS")
        )
        return cls(
            app=app,
            result_table=table,
            lease_seconds=lease,
            ttl_seconds=int(ttl) if ttl is not None else None,
            worker_id=f"{socket.gethostname()}:{os.getpid()}",
            options=Options(options),
        )

    def refresh_worker_id(self) -> None:
        """Takes this process's pid into the worker id (a prefork child calls it after the fork)."""
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"

    def dynamodb(self) -> Any:
        """The boto3 DynamoDB client of the app's result backend (its region, endpoint and credentials).

        The app's backend builds it lazily, per process (prefork children rebuild theirs); boto3 clients are
        thread-safe, so the heartbeat thread and the pool's threads share it.
        """
        return self.app.backend.client

    def sqs(self) -> Any:
        """A boto3 SQS client built like kombu's (the broker URL's host, credentials and region), per thread."""
        client = getattr(self._local, "sqs", None)
        if client is None:
            client = self._local.sqs = _sqs_client(self.app)
        return client


class Options(dict):
    """``enable``'s part-specific options; remembers which ones a part read, so a misspelt one is refused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        """The option's value (or ``default``), marking it read."""
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def check_all_read(self) -> None:
        """Raises :class:`SettingsError` naming the options no part read (misspelt, or for a part not here)."""
        unread = sorted(set(self) - self.read)
        if unread:
            known = ", ".join(sorted(self.read | {"result_table", "lease_seconds", "ttl_seconds"}))
            raise SettingsError(f"celeriac_celery.enable: unknown option(s) {', '.join(unread)}; known: {known}")


def _backend_table(url: Any) -> Optional[str]:
    """The table name of a ``dynamodb://...host/<table>?...`` backend URL."""
    if not isinstance(url, str) or not url.startswith("dynamodb://"):
        return None
    path = url.split("://", 1)[1].split("?", 1)[0]
    return _nonempty(path.split("/", 1)[1]) if "/" in path else None


def _sqs_client(app: Any) -> Any:
    import boto3

    conn = app.connection_for_read()
    try:
        options = dict(app.conf.broker_transport_options or {})
        params: dict[str, Any] = {"region_name": options.get("region") or os.environ.get("AWS_DEFAULT_REGION")}
        if conn.hostname is not None:  # kombu's Channel.endpoint_url
            scheme = "https" if options.get("is_secure") else "http"
            port = f":{conn.port}" if conn.port else ""
            params["endpoint_url"] = f"{scheme}://{conn.hostname}{port}"
        if conn.userid and conn.password:
            params["aws_access_key_id"] = conn.userid
            params["aws_secret_access_key"] = conn.password
        return boto3.client("sqs", **{k: v for k, v in params.items() if v is not None})
    finally:
        conn.release()
