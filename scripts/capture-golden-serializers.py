#!/usr/bin/env python3
"""Captures golden vectors for serializers, compression and signing: what real Python Celery sends to SQS with
`serializer=`, `compression=` and the `auth` (signing) serializer, written to test/golden/serializers/.

Run by hand from the repository root (not by the test suite); commit what it writes:

    .venv/bin/python scripts/capture-golden-serializers.py     # starts its own moto server on a free port

It reuses the recorder and helpers of scripts/capture-golden.py (imported, not copied): each phase is a fresh
producer process of the fixture app (python/fixtures/celeriac_fixtures) with CELERIAC_RECORD_CALLS set, and each
vector's SendMessage calls are the ones recorded inside its time window.

The `signed` phase signs with a throw-away RSA key and a self-signed certificate made here (valid for 100 years,
so the vector stays verifiable); the certificate (public) is written into the vector, the private key is not
kept anywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_spec = importlib.util.spec_from_file_location("capture_golden", Path(__file__).with_name("capture-golden.py"))
assert _spec is not None and _spec.loader is not None
golden = importlib.util.module_from_spec(_spec)
sys.modules["capture_golden"] = golden
_spec.loader.exec_module(golden)

OUT = golden.GOLDEN / "serializers"
EVENTS_ENV = "CELERIAC_GOLDEN_EVENTS"
CERT_ENV = "CELERIAC_GOLDEN_CERT"


@dataclass(frozen=True)
class Vector:
    name: str
    phase: str
    description: str
    python: str


def tid(n: int) -> str:
    """Fixed task ids, in a range of their own (vector numbers 900+)."""
    return golden.tid(900 + n)


# Values chosen to show what each serializer keeps: big and 64-bit integers, integral floats, text, bytes,
# nesting; for YAML also datetimes (naive and aware, with microseconds) and dates.
MSGPACK_ARGS = (
    "(1, -1, 2**40, 2**63 - 1, 2**64 - 1, -2**63, 1.5, 5.0, 'ünï', b'\\x00\\xff', None, True, [1, [2]], {'k': 'v'})"
)
YAML_ARGS = (
    "(1, 10**30, 1.5, 5.0, float('inf'), 'yes', 'ünï', b'\\x00\\xff', None, True,\n"
    "                              datetime(2024, 1, 2, 3, 4, 5, 123456),\n"
    "                              datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc),\n"
    "                              date(2024, 1, 2), [1, [2]], {'k': 'v'})"
)

VECTORS: list[Vector] = [
    *[
        Vector(
            f"compress-{method}",
            "plain",
            f"compression='{method}': JSON body compressed with kombu's {method} encoder",
            f"tasks.echo.apply_async(('x' * 64, 2, 3), {{'k': 'ünï'}}, task_id='{tid(i)}', compression='{method}')",
        )
        for i, method in enumerate(["zlib", "gzip", "bzip2", "lzma", "brotli", "zstd"], start=1)
    ],
    Vector(
        "serializer-msgpack",
        "plain",
        "serializer='msgpack': packb(use_bin_type=True), content type application/x-msgpack, encoding binary",
        f"tasks.describe.apply_async({MSGPACK_ARGS}, {{'key': 'value'}},\n"
        f"                            task_id='{tid(10)}', serializer='msgpack')",
    ),
    Vector(
        "serializer-yaml",
        "plain",
        "serializer='yaml': yaml.safe_dump, content type application/x-yaml",
        f"tasks.describe.apply_async({YAML_ARGS}, {{'key': 'value'}},\n"
        f"                            task_id='{tid(11)}', serializer='yaml')",
    ),
    Vector(
        "serializer-msgpack-zlib",
        "plain",
        "serializer='msgpack' and compression='zlib' together",
        f"tasks.describe.apply_async((1, 'two', b'3'), task_id='{tid(12)}', serializer='msgpack', compression='zlib')",
    ),
    Vector(
        "exact-values",
        "plain",
        "JSON values a JavaScript number or Date would change: big ints, integral floats, microsecond and naive datetimes",
        f"tasks.echo.apply_async((9007199254740993, 10**30, -(2**70), 5.0, -0.0, 1e300, 1.5, 2**53,\n"
        "                         datetime(2024, 1, 2, 3, 4, 5, 123456),\n"
        "                         datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)),\n"
        f"                        {{'big': 2**64 + 1, 'f': 100.0, 'nested': [2.0, [3.0e20]]}}, task_id='{tid(13)}')",
    ),
    Vector(
        "signed",
        "signed",
        "setup_security() with an RSA key and certificate: the `auth` serializer signs the JSON body (sha256)",
        f"tasks.add.apply_async((2, 3), task_id='{tid(20)}')",
    ),
    Vector(
        "signed-zlib",
        "signed",
        "a signed message compressed with zlib (compression wraps the signed body)",
        f"tasks.add.apply_async((2, 3), task_id='{tid(21)}', compression='zlib')",
    ),
]

PHASES: dict[str, str] = {
    "plain": "producer with serializer= and compression= per call",
    "signed": "producer after setup_security() (security_key, security_certificate, security_cert_store)",
}


def make_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away RSA key and self-signed certificate, and a cert store directory holding the certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "XX"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "celeriac golden vectors"),
            x509.NameAttribute(NameOID.COMMON_NAME, "celeriac-test-signer"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0x5EC0DE)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=36500))
        .sign(key, hashes.SHA256())
    )
    key_path = directory / "signer.key"
    cert_path = directory / "signer.pem"
    store = directory / "store"
    store.mkdir()
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path.write_bytes(cert_pem)
    (store / "signer.pem").write_bytes(cert_pem)
    return key_path, cert_path, store


def run_phase(phase: str) -> None:
    from datetime import date, datetime, timezone

    from celeriac_fixtures import app, tasks

    with app.connection_for_write() as conn:
        conn.default_channel  # noqa: B018 - ListQueues before the first window
    for vector in VECTORS:
        if vector.phase != phase:
            continue
        namespace: dict[str, Any] = {
            "app": app,
            "tasks": tasks,
            "datetime": datetime,
            "date": date,
            "timezone": timezone,
        }
        start = time.time()
        exec(compile(vector.python, f"<vector {vector.name}>", "exec"), namespace)  # noqa: S102
        time.sleep(0.05)
        end = time.time()
        with open(os.environ[EVENTS_ENV], "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"vector": vector.name, "start": start, "end": end}) + "\n")
        print(f"  {vector.name}: {end - start:.2f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run_phase(args.phase)
        return 0

    port = golden.free_port()
    moto = subprocess.Popen(
        [str(golden.BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="celeriac-golden-serializers-"))
    calls: list[dict[str, Any]] = []
    windows: dict[str, dict[str, float]] = {}
    try:
        golden.wait_http(f"{endpoint}/moto-api/data.json", 30, moto)
        key, cert, store = make_certificate(workdir)
        base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("CELERIAC_", "AWS_")) and k != "PYTHONPATH"
        }
        base_env.update(
            {
                "PYTHONPATH": str(golden.FIXTURES),
                "CELERIAC_TEST_ENDPOINT": endpoint,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
                "CELERIAC_TEST_QUEUE_PREFIX": "golden-s-",
                "PYTHONUNBUFFERED": "1",
            }
        )
        phase_env = {
            "plain": {},
            "signed": {
                "CELERIAC_TEST_SECURITY_KEY": str(key),
                "CELERIAC_TEST_SECURITY_CERTIFICATE": str(cert),
                "CELERIAC_TEST_SECURITY_CERT_STORE": str(store),
            },
        }
        for phase in PHASES:
            print(f"phase {phase}", flush=True)
            recording = workdir / f"{phase}-calls.jsonl"
            events = workdir / f"{phase}-events.jsonl"
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--phase", phase],
                env={
                    **base_env,
                    **phase_env[phase],
                    "CELERIAC_RECORD_CALLS": str(recording),
                    EVENTS_ENV: str(events),
                },
                cwd=golden.ROOT,
                timeout=120,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"phase {phase} failed ({done.returncode}); recordings in {workdir}")
            calls += golden.read_jsonl(recording)
            for event in golden.read_jsonl(events):
                windows[event["vector"]] = {"start": event["start"], "end": event["end"]}
        certificate_pem = cert.read_text(encoding="ascii")
    finally:
        golden.stop(moto)

    versions = golden.produced_by()
    files: dict[Path, dict[str, Any]] = {}
    for vector in VECTORS:
        window = windows[vector.name]
        in_window = [
            {"service": c["service"], "operation": c["operation"], "params": c["params"]}
            for c in sorted(calls, key=lambda c: c["t"])
            if window["start"] <= c["t"] <= window["end"] and c["operation"] not in golden.HOUSEKEEPING
        ]
        if [c["operation"] for c in in_window] != ["SendMessage"]:
            raise RuntimeError(f"vector {vector.name} recorded {[c['operation'] for c in in_window]}")
        data: dict[str, Any] = {
            "vector": vector.name,
            "description": vector.description,
            "python": vector.python,
            "produced_by": versions,
            "phase": PHASES[vector.phase],
            "queue": "celery",
            "sent_at": window["start"],
            "calls": in_window,
        }
        if vector.phase == "signed":
            data["security"] = {"digest": "sha256", "certificate": certificate_pem}
        files[OUT / f"{vector.name}.json"] = data
    for stale in OUT.glob("*.json"):
        stale.unlink()
    for path, data in files.items():
        golden.write_json(path, data)
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"wrote {len(files)} vectors to {OUT.relative_to(golden.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
