"""How flow control, the worker registry and events read their ``enable`` options from the resolved settings."""

from __future__ import annotations

from typing import Any


def option(settings: Any, name: str) -> Any:
    """An ``enable`` option: its entry in ``settings.options`` (which marks it read, so ``enable`` does not refuse
    it as unknown), else ``None``: the part then reads the ``CELERIAC_*`` variable celeriac's workers read."""
    options = getattr(settings, "options", None)
    return options.get(name) if options is not None else None
