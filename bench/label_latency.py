"""Benchmark: end-to-end latency of one A6 slip, ``GET /api/v1/shipments/{code}/label.pdf``, from a real
``postal serve`` subprocess on a free port (issue 3 target: p50 under 50 ms, warm).

Run from the repo root: ``python -m bench.label_latency`` (``--check`` exits 1 when the p50 target is
missed). The database is a fresh one on ``DATABASE_URL``'s server when that is set, otherwise on the
embedded PostgreSQL in ``.postal-data-bench``; it is dropped afterwards. The client keeps one
keep-alive connection (as a browser does) and times each request until the last byte of the PDF.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, timedelta

import aiohttp
import asyncpg

from bench.scans import free_port, server_dsn, with_database
from postal.domain.access import Role
from postal.services import accounts
from postal.services.setup import prepare_database

SHIPMENTS = 20
AGENCY = "000.00.15.H62"  # a one-stop centre code; dossier codes start with it
WARM = 30
REQUESTS = 200
TARGET_P50_MS = 50.0
SECRET = "bench-secret-key-not-for-production"
BODY = {  # the dossier comes from body()
    "direction": "delivery",
    "citizen": {"name": "Nguyễn Thị Hồng Nhung", "phone": "0912345678", "id_number": "001199012345",
                "address": {"line": "Số 12 ngõ 3 đường Hùng Vương", "ward_code": "08707", "province_code": "25"}},
    "cod_amount": 1_250_000,
    "note": "Gọi trước khi giao",
}


def body(n: int) -> dict[str, object]:
    """Shipment ``n``: its own dossier (one open shipment per dossier and direction), due in a week."""
    today = date.today()
    return BODY | {"dossier": {
        "code": f"{AGENCY}-{today:%y%m%d}-{n + 1:04d}",  # the agency's code first, as the service requires
        "procedure_code": "1.004227", "procedure_name": "Cấp đổi giấy phép lái xe",
        "appointment_date": (today + timedelta(days=7)).isoformat(),
    }}


async def _admin(dsn: str, sql: str) -> None:
    con = await asyncpg.connect(dsn)
    try:
        await con.execute(sql)
    finally:
        await con.close()


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, migrated database with one agency and a staff token; dropped on exit."""
    server = await asyncio.to_thread(server_dsn)  # DATABASE_URL, else the embedded PostgreSQL (started if need be)
    name = f"postal_bench_{uuid.uuid4().hex[:10]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server, name)
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def load_world(dsn: str) -> str:
    """Migrations, a post office, an agency and a staff user; returns the staff token."""
    con = await asyncpg.connect(dsn)
    try:
        await prepare_database(con)
        await accounts.add_post_office(con, "PO-1", "Bưu cục Vĩnh Yên", "25")
        await accounts.add_agency(con, accounts.NewAgency(
            AGENCY, "Trung tâm Phục vụ hành chính công Phú Thọ", "25", "08707", "PO-1", "Số 2 Hai Bà Trưng"))
        await accounts.add_user(con, "staff1", Role.staff, agency_code=AGENCY)
        return await accounts.create_token(con, "staff1")
    finally:
        await con.close()


@asynccontextmanager
async def served(dsn: str) -> AsyncIterator[str]:
    """``postal serve`` on a free port until the block ends; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="postal-bench-") as data_dir:
        env = {**os.environ, "DATABASE_URL": dsn, "POSTAL_SECRET_KEY": SECRET, "POSTAL_PUBLIC_URL": url,
               "POSTAL_DATA_DIR": data_dir}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "postal.cli", "serve", "--port", str(port),
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            await _wait_healthy(url, proc)
            yield url
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 20)


async def _wait_healthy(url: str, proc: asyncio.subprocess.Process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"postal serve exited with {proc.returncode}")
            try:
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("postal serve did not become healthy")


async def timed_gets(http: aiohttp.ClientSession, urls: list[str], n: int) -> list[float]:
    """Milliseconds per request (until the whole body is read), cycling through ``urls``."""
    out = []
    for i in range(n):
        started = time.perf_counter()
        async with http.get(urls[i % len(urls)]) as resp:
            body = await resp.read()
        out.append((time.perf_counter() - started) * 1000)
        if resp.status != 200 or not body.startswith(b"%PDF-"):
            raise RuntimeError(f"label request failed: {resp.status}")
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, ms: list[float]) -> str:
    return (f"  {name:<22} n={len(ms):<4} p50 {_pct(ms, 0.5):6.1f} ms  p95 {_pct(ms, 0.95):6.1f} ms"
            f"  mean {statistics.fmean(ms):6.1f} ms  max {max(ms):6.1f} ms")


async def run(requests: int) -> dict[str, list[float]]:
    """Serve, create shipments, warm up, then time A6 (and a few A4) label requests."""
    async with fresh_database() as dsn:
        token = await load_world(dsn)
        async with served(dsn) as url, aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {token}"}) as http:
            codes = []
            for n in range(SHIPMENTS):
                async with http.post(f"{url}/api/v1/shipments", json=body(n)) as resp:
                    if resp.status != 201:
                        raise RuntimeError(f"creating shipment {n} failed: {resp.status} {await resp.text()}")
                    codes.append((await resp.json())["tracking_code"])
            a6 = [f"{url}/api/v1/shipments/{c}/label.pdf" for c in codes]
            await timed_gets(http, a6, WARM)
            return {"A6 label.pdf": await timed_gets(http, a6, requests),
                    "A4 label.pdf?format=a4": await timed_gets(http, [u + "?format=a4" for u in a6], 50)}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: print p50/p95 per layout, honour ``--check``."""
    parser = argparse.ArgumentParser(prog="python -m bench.label_latency", description=__doc__)
    parser.add_argument("--requests", type=int, default=REQUESTS, help="timed A6 requests (default 200)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 if the A6 p50 is not under {TARGET_P50_MS} ms")
    args = parser.parse_args(argv)
    results = asyncio.run(run(args.requests))
    print(f"label latency: real `postal serve`, {SHIPMENTS} shipments, {WARM} warm-up requests, keep-alive client")
    for name, ms in results.items():
        print(summary(name, ms))
    p50 = _pct(results["A6 label.pdf"], 0.5)
    met = p50 < TARGET_P50_MS
    print(f"  target: A6 p50 < {TARGET_P50_MS:.0f} ms — {'met' if met else 'MISSED'} ({p50:.1f} ms)")
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
