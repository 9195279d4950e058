#!/usr/bin/env python3
"""Captures the golden vector for tracing: what `opentelemetry-instrumentation-celery` writes into a task
message's headers and which spans it records for one send and one run, written to
test/golden/tracing/python-celery-otel.json.

Run by hand from the repository root (not by the test suite); commit what it writes. It needs Celery and the
instrumentation, which the project venv carries (python/requirements.txt):

    bash scripts/python-env.sh
    .venv/bin/python scripts/capture-golden-tracing.py

It sends `tasks.add(2, 3)` on the in-memory broker to an in-process worker (`celery.contrib.testing`) with the
instrumentation on and the SDK's default propagators (W3C trace context and baggage). The headers are read by a
`before_task_publish` receiver connected after the instrumentation's, so they are the headers as published.
"""

from __future__ import annotations

import json
import pathlib
import sys
from importlib.metadata import version

from celery import Celery, signals
from celery.contrib.testing.worker import start_worker
from opentelemetry import trace
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

OUT = pathlib.Path(__file__).resolve().parent.parent / "test" / "golden" / "tracing" / "python-celery-otel.json"


def span_json(span) -> dict:
    return {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": format(span.context.trace_id, "032x"),
        "span_id": format(span.context.span_id, "016x"),
        "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
        "attributes": {k: list(v) if isinstance(v, tuple) else v for k, v in span.attributes.items()},
    }


def main() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    CeleryInstrumentor().instrument()

    app = Celery("golden", broker="memory://", backend="cache+memory://")
    app.conf.task_default_queue = "celery"

    @app.task(name="tasks.add")
    def add(a: int, b: int) -> int:
        return a + b

    published: dict = {}

    @signals.before_task_publish.connect(weak=False)
    def grab(headers=None, **_kwargs) -> None:
        published["headers"] = dict(headers)

    with start_worker(app, perform_ping_check=False, pool="solo"):
        add.delay(2, 3).get(timeout=10)

    vector = {
        "versions": {
            name: version(name)
            for name in ("celery", "kombu", "opentelemetry-instrumentation-celery", "opentelemetry-sdk")
        },
        "headers": published["headers"],
        "header_keys": list(published["headers"]),
        "spans": [span_json(span) for span in exporter.get_finished_spans()],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(vector, indent=2, default=str) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
