"""The benchmarks run (tiny modes, figures not judged: never a timed assertion), so they do not rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(server_dsn: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": server_dsn}
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _databases(server_dsn: str, prefix: str = "postal_scale_") -> set[str]:
    import asyncio

    import asyncpg

    async def names() -> set[str]:
        con = await asyncpg.connect(server_dsn)
        try:
            rows = await con.fetch("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
            return {r[0] for r in rows}
        finally:
            await con.close()

    return asyncio.run(names())


def test_tracking_bench_smoke(server_dsn):
    out = _run(server_dsn, "bench.tracking", "--smoke")
    assert "ratio postal/bare:" in out and "scaling 2 processes / 1:" in out
    for name in ("bare", "postal", "bare×2", "postal×2"):
        line = next(x for x in out.splitlines() if x.startswith(f"{name} "))
        assert " 0 errors" in line, line  # every answer a 200: the real route, not an error page
    left = [p for p in Path("/proc").glob("[0-9]*/cmdline") if b"--bare-server" in _read(p)]
    assert not left, "a bare server process outlived the benchmark"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process ended meanwhile
        return b""


def test_scale_bench_tiny_drops_its_database(server_dsn):
    before = _databases(server_dsn)
    out = _run(server_dsn, "bench.scale", "--tiny")
    assert "tracking by code" in out and "SLA report, agency-month" in out and "scan" in out
    assert "grew to 5,000 shipments, 30,000 events" in out
    assert _databases(server_dsn) <= before  # nothing left behind


def test_scans_bench_smoke(server_dsn):
    out = _run(server_dsn, "bench.scans", "--rounds", "1", "--seconds", "1")
    assert "ratio postal/bare:" in out and "ratio postal/(bare+outbox):" in out
    for name in ("bare", "postal", "bare+outbox"):
        line = next(x for x in out.splitlines() if x.startswith(f"{name} "))
        assert " 0 errors" in line, line  # every scan a 201: recorded, not refused


def test_scans_statements_smoke(server_dsn):
    """The statements alone from pgbench: none failed, and (exit code 0) almost every one wrote its event."""
    out = _run(server_dsn, "bench.scans", "--statements", "--rounds", "1", "--seconds", "1")
    assert "statement ratio postal/bare:" in out and "statement ratio postal/bare+outbox:" in out
    rounds = [x for x in out.splitlines() if x.startswith("  round:")]
    assert len(rounds) == 3 and all(" 0 failed," in x for x in rounds), out


def test_label_latency_bench_smoke(server_dsn):
    """Shipments created through the API (each its own dossier), then real PDFs timed."""
    out = _run(server_dsn, "bench.label_latency", "--requests", "10")
    assert "A6 label.pdf" in out and "A4 label.pdf?format=a4" in out and "target: A6 p50" in out


def test_labels_bench_runs():
    done = subprocess.run([sys.executable, "-m", "bench.labels"], cwd=ROOT, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "speed-up vs naive baseline:" in done.stdout


def test_search_bench_small_drops_its_database(server_dsn):
    before = _databases(server_dsn, "postal_bench_search_")
    out = _run(server_dsn, "bench.search", "--shipments", "2000")
    assert "loaded 2,000 shipments" in out
    assert out.count("q='hung vuong'") >= 2 and "EXPLAIN ANALYZE" in out  # staff and admin, with plans
    assert _databases(server_dsn, "postal_bench_search_") <= before


def test_sla_bench_small_drops_its_database(server_dsn):
    before = _databases(server_dsn, "postal_bench_sla_")
    out = _run(server_dsn, "bench.sla", "--shipments", "2000")
    assert "SLA report, one agency" in out and "Overdue list, one agency" in out and "Overdue watcher" in out
    assert _databases(server_dsn, "postal_bench_sla_") <= before
