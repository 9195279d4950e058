#!/usr/bin/env python3
"""Captures golden vectors of Celery's canvas: nested workflows as real Python Celery sends and runs them.

Run by hand from the repository root (not by the test suite); commit what it writes:

    .venv/bin/python scripts/capture-golden-canvas.py     # starts its own moto server on a free port

It reuses scripts/capture-golden.py as a library (its vector format, phases, recorder and orchestrator) with
this file's vectors, and writes test/golden/canvas/messages/<vector>.json and test/golden/canvas/README.md.
Every task and group id is fixed with `.set(task_id=...)`, so celeriac can build the same workflow and compare
bytes; the frozen `reply_to` (Celery's per-thread oid) is read from the recording.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
_spec = importlib.util.spec_from_file_location("capture_golden", HERE.parent / "capture-golden.py")
assert _spec is not None and _spec.loader is not None
golden = importlib.util.module_from_spec(_spec)
sys.modules["capture_golden"] = golden
_spec.loader.exec_module(golden)

Vector = golden.Vector


def cid(vector: int, n: int) -> str:
    """A fixed task id for canvas vector `vector`, task `n` (valid UUID shape, distinct from capture-golden's)."""
    return f"{vector:08d}-0000-4000-9000-{n:012d}"


def _success(name: str = "r") -> Any:
    return lambda ns, w, _start: w.result(ns[name].id, "SUCCESS")


def _group_success(ns: dict[str, Any], worker: Any, _start: float) -> None:
    for child in ns["r"].results:
        worker.result(child.id, "SUCCESS")


VECTORS = [
    Vector(
        "group-of-chains",
        "canvas",
        ("messages",),
        "group(chain(add(1, 1), add(10)), chain(add(2, 2), add(20))): each chain's first task is sent plain, its "
        "last step (in embed.chain) carries the group id and group_index",
        "r = group(\n"
        f"    chain(tasks.add.s(1, 1).set(task_id='{cid(1, 1)}'), tasks.add.s(10).set(task_id='{cid(1, 2)}')),\n"
        f"    chain(tasks.add.s(2, 2).set(task_id='{cid(1, 3)}'), tasks.add.s(20).set(task_id='{cid(1, 4)}')),\n"
        f").set(task_id='{cid(1, 99)}').apply_async()",
        wait=_group_success,
    ),
    Vector(
        "chain-group-task",
        "canvas",
        ("messages",),
        "chain(add(1, 2), group(add(1), add(2)), tsum()): the group followed by a task becomes a chord in "
        "embed.chain; the worker then saves the group and sends the header with the body in embed.chord",
        "r = chain(\n"
        f"    tasks.add.s(1, 2).set(task_id='{cid(2, 1)}'),\n"
        f"    group(tasks.add.s(1).set(task_id='{cid(2, 2)}'), tasks.add.s(2).set(task_id='{cid(2, 3)}'))"
        f".set(task_id='{cid(2, 99)}'),\n"
        f"    tasks.tsum.s().set(task_id='{cid(2, 4)}'),\n"
        ").apply_async()",
        wait=_success(),
    ),
    Vector(
        "chord-chain-body",
        "canvas",
        ("messages",),
        "chord([add(1, 1), add(2, 2)], chain(tsum(), add(10))): the body chain is frozen into embed.chord, its "
        "last task with the header's group id",
        "r = chord(\n"
        f"    group(tasks.add.s(1, 1).set(task_id='{cid(3, 1)}'), tasks.add.s(2, 2).set(task_id='{cid(3, 2)}'))"
        f".set(task_id='{cid(3, 99)}'),\n"
        f"    chain(tasks.tsum.s().set(task_id='{cid(3, 3)}'), tasks.add.s(10).set(task_id='{cid(3, 4)}')),\n"
        ").apply_async()",
        wait=_success(),
    ),
    Vector(
        "chord-in-chain",
        "canvas",
        ("messages",),
        "chain(add(1, 1), chord([add(10), add(20)], tsum())): the chord travels in embed.chain and the worker "
        "applies it with the first task's result",
        "r = chain(\n"
        f"    tasks.add.s(1, 1).set(task_id='{cid(4, 1)}'),\n"
        "    chord(\n"
        f"        group(tasks.add.s(10).set(task_id='{cid(4, 2)}'), tasks.add.s(20).set(task_id='{cid(4, 3)}'))"
        f".set(task_id='{cid(4, 99)}'),\n"
        f"        tasks.tsum.s().set(task_id='{cid(4, 4)}'),\n"
        "    ),\n"
        ").apply_async()",
        wait=_success(),
    ),
    Vector(
        "chain-link-error",
        "canvas",
        ("messages",),
        "chain(add(1, 2), add(3)).apply_async(link_error=tsum.si([0])): the errback on every step's options "
        "(link_error), the first step's in embed.errbacks",
        "r = chain(\n"
        f"    tasks.add.s(1, 2).set(task_id='{cid(5, 1)}'), tasks.add.s(3).set(task_id='{cid(5, 2)}'),\n"
        f").apply_async(link_error=tasks.tsum.si([0]).set(task_id='{cid(5, 3)}'))",
        wait=_success(),
    ),
    Vector(
        "map",
        "canvas",
        ("messages",),
        "tsum.map([[1, 2], [3]]): one celery.map message, kwargs {task, it}, no args",
        f"r = tasks.tsum.map([[1, 2], [3]]).apply_async(task_id='{cid(6, 1)}')",
        wait=_success(),
    ),
    Vector(
        "chunks",
        "canvas",
        ("messages",),
        "add.chunks([(1, 1), (2, 2), (3, 3)], 2): a group of celery.starmap messages over chunks of 2",
        f"r = tasks.add.chunks([(1, 1), (2, 2), (3, 3)], 2).apply_async(task_id='{cid(7, 99)}')",
        wait=_group_success,
    ),
]

PHASES = [golden.Phase("canvas", True, "golden-c", {}, "producer and a `celery worker --pool=solo`")]


def main() -> int:
    golden.VECTORS = VECTORS
    golden.PHASES = PHASES
    golden.GOLDEN = golden.ROOT / "test" / "golden" / "canvas"
    # The orchestrator starts each phase as `<this script> --phase <name>`.
    golden.__file__ = str(HERE)
    if "--phase" in sys.argv:
        golden.run_phase(sys.argv[sys.argv.index("--phase") + 1])
        return 0
    format_markdown = golden.format_markdown
    golden.format_markdown = lambda _path: None  # formatted below, once the text is this script's
    code = golden.main()
    readme = golden.GOLDEN / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = text.replace("# Golden vectors from real Python Celery", "# Golden canvas vectors from real Python Celery")
    text = text.replace("scripts/capture-golden.py", "scripts/capture-golden-canvas.py")
    readme.write_text(text, encoding="utf-8")
    try:
        format_markdown(readme)
    except Exception as error:  # noqa: BLE001 - a formatter that declines the file leaves it as written
        print(f"warning: could not format {readme}: {error}")
    return code


if __name__ == "__main__":
    sys.exit(main())
