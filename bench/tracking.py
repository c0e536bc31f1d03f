"""Benchmark: public tracking ``GET /api/v1/track/{code}`` on a real ``postal serve`` against a bare
aiohttp + asyncpg endpoint doing the same two reads, and ``postal serve --processes 2`` against one.

Run from the repo root: ``python -m bench.tracking`` (``--smoke`` for a few-second run that only checks
the machinery, ``--check`` exits 1 when a target is missed).

All servers run as their own processes on 127.0.0.1 against one freshly made database on the same
PostgreSQL server (``DATABASE_URL`` when set, else the embedded pgserver), holding ``SHIPMENTS``
shipments with 3 events each. The load is ``wrk -t2 -c50`` when ``wrk`` is on PATH (else 50 aiohttp
clients), each request a random code of the set, for ``--seconds`` per round. Short rounds alternate
between the servers, and the ratios are medians of rounds paired with their neighbours: this
machine's speed drifts by half within a minute, so only side-by-side rounds compare. Printed: every
round, the best round of each server, and the ratios postal/bare and (2 processes)/(1 process), for
postal and for the bare server (two processes on one port, as ``postal serve --processes 2``): what
two processes gain on this machine, whatever the server.

- **bare**: the shipment row by code, then its events joined to the post office names (two statements,
  as the issue that asked for this benchmark defines the baseline), JSON out. No throttle, no middleware.
  With ``--bare-one-statement`` it reads both in one statement, as postal does (postal's statement
  minus the miss counter read): the stricter baseline, where only the server's own work differs.
- **postal**: the real route: client address, throttle check, proofs, texts, access log, metrics. One
  statement reads the shipment, its timeline (an array of records) and the client's miss count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg

from bench.scans import (
    bench_database,
    cpu_seconds,
    database_cpu,
    free_port,
    postal_env,
    process,
    server_dsn,
    wait_ready,
    wrk,
)

SHIPMENTS = 3000
CONCURRENCY = 50
TARGET_RATIO = 0.80
TARGET_P99_MS = 25.0
TARGET_SCALING = 1.8
POOL_SIZE = 20

BARE_SHIPMENT = (
    "SELECT s.id, s.tracking_code, s.direction, s.status, s.due_date, s.created_at, s.completed_at"
    " FROM shipments s WHERE s.tracking_code = $1"
)
BARE_EVENTS = (
    "SELECT e.event, e.occurred_at, e.to_status, e.applied, p.name AS post_office_name"
    " FROM shipment_events e LEFT JOIN post_offices p ON p.code = e.post_office_code"
    " WHERE e.shipment_id = $1 ORDER BY e.occurred_at, e.id"
)
BARE_ONE_STATEMENT = (
    "SELECT s.id, s.tracking_code, s.direction, s.status, s.due_date, s.created_at, s.completed_at,"
    " ARRAY(SELECT ROW(e.event, e.occurred_at, e.to_status, e.applied, p.name)"
    " FROM shipment_events e LEFT JOIN post_offices p ON p.code = e.post_office_code"
    " WHERE e.shipment_id = s.id ORDER BY e.occurred_at, e.id) AS events"
    " FROM shipments s WHERE s.tracking_code = $1"
)
ONE_STATEMENT_ENV = "BENCH_BARE_ONE_STATEMENT"
EVENTS_SQL = """
INSERT INTO shipment_events (shipment_id, event, occurred_at, post_office_code, from_status, to_status, applied)
SELECT s.id, ev.event, now() - ev.ago, 'BC-BENCH', ev.from_status, ev.to_status, true
FROM shipments s, (VALUES ('picked_up', interval '2 days', 'created', 'picked_up'),
                          ('arrived', interval '1 day', 'picked_up', 'in_transit'),
                          ('arrived', interval '2 hours', 'in_transit', 'in_transit'))
     AS ev(event, ago, from_status, to_status)
"""


# ---------------------------------------------------------------------------
# The bare server


async def bare_app(dsn: str, pool_size: int = POOL_SIZE, one_statement: bool = False) -> object:
    """The baseline: the same reads (two statements, or one), JSON out, nothing else."""
    from aiohttp import web

    async def reset(con: asyncpg.Connection) -> None:  # the same release as postal's pool: no extra round trip
        if con.is_in_transaction():
            await con.execute("ROLLBACK")

    pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size, reset=reset,
                                     server_settings={"timezone": "UTC"})

    async def track(request: web.Request) -> web.Response:
        async with pool.acquire() as con:
            row = await con.fetchrow(BARE_ONE_STATEMENT if one_statement else BARE_SHIPMENT,
                                     request.match_info["code"])
            if row is None:
                return web.json_response({"status": 404}, status=404)
            if one_statement:  # (event, occurred_at, to_status, applied, post office name) tuples
                events = [{"event": e[0], "occurred_at": e[1].isoformat(), "post_office_name": e[4],
                           "applied": e[3]} for e in row["events"]]
            else:
                events = [{"event": e["event"], "occurred_at": e["occurred_at"].isoformat(),
                           "post_office_name": e["post_office_name"], "applied": e["applied"]}
                          for e in await con.fetch(BARE_EVENTS, row["id"])]
        body = {"tracking_code": row["tracking_code"], "status": row["status"], "direction": row["direction"],
                "due_date": row["due_date"].isoformat(), "created_at": row["created_at"].isoformat(),
                "events": events}
        return web.Response(body=json.dumps(body, ensure_ascii=False).encode(), content_type="application/json")

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/api/v1/track/{code}", track)
    app.router.add_get("/healthz", health)
    return app


def run_bare_server(port: int, dsn: str, processes: int, pool_size: int) -> None:
    """The baseline in ``processes`` processes sharing the port (SO_REUSEPORT, as ``postal serve
    --processes``), each with ``pool_size`` connections: this one and children stopped with it."""
    from aiohttp import web

    child = [sys.executable, "-m", "bench.tracking", "--bare-server", str(port), dsn, "1", str(pool_size)]
    children = [subprocess.Popen(child) for _ in range(processes - 1)]
    try:
        app = bare_app(dsn, pool_size, one_statement=os.environ.get(ONE_STATEMENT_ENV) == "1")
        web.run_app(app, host="127.0.0.1", port=port, print=None,  # type: ignore[arg-type]
                    access_log=None, reuse_port=True)
    finally:
        for proc in children:
            proc.terminate()
            proc.wait(10)


# ---------------------------------------------------------------------------
# The load


@dataclass
class Result:
    name: str
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    tool: str
    cpu_ms: float = 0.0
    busy: float = 0.0  # share of the machine's CPUs busy during the round (all processes)
    db_cpu_ms: float = 0.0

    def line(self) -> str:
        return (f"{self.name:8} {self.rate:8.0f} req/s   p50 {self.p50_ms:6.1f} ms   p99 {self.p99_ms:6.1f} ms"
                f"   CPU/req: server {self.cpu_ms:4.2f} ms, database {self.db_cpu_ms:4.2f} ms;"
                f" machine {self.busy:4.0%} busy"
                f"   ({self.requests} requests, {self.errors} errors,"
                f" {self.tool})")


WRK_SCRIPT = """
local codes = {%s}
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/track/" .. codes[math.random(#codes)])
end
"""


def run_wrk(name: str, base: str, codes: list[str], seconds: float) -> Result:
    """``wrk -t2 -c50`` for ``seconds``; non-2xx answers count as errors."""
    run = wrk(base, WRK_SCRIPT % ", ".join(f'"{c}"' for c in codes), seconds)
    return Result(name, (run.requests - run.errors) / run.seconds, run.p50_ms, run.p99_ms, run.requests,
                  run.errors, "wrk")


async def run_aiohttp(name: str, base: str, codes: list[str], seconds: float) -> Result:
    """50 aiohttp clients for ``seconds`` (when wrk is not installed)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.perf_counter()
            async with http.get(f"{base}/api/v1/track/{random.choice(codes)}") as resp:
                await resp.read()
                errors += resp.status != 200
            latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]  # noqa: E731
    return Result(name, (len(latencies) - errors) / elapsed, q(0.5), q(0.99), len(latencies), errors, "aiohttp")


async def load(name: str, base: str, codes: list[str], seconds: float) -> Result:
    if shutil.which("wrk"):
        return await asyncio.to_thread(run_wrk, name, base, codes, seconds)
    return await run_aiohttp(name, base, codes, seconds)


# ---------------------------------------------------------------------------
# The run


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (the serving processes of ``--processes``)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return cpu_seconds(pid) + sum(tree_cpu(int(c)) for c in children)


def machine_times() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot (Linux /proc/stat; zeros elsewhere)."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def _postal_cmd(port: int, processes: int) -> list[str]:
    return [sys.executable, "-m", "postal.cli", "serve", "--no-workers", "--host", "127.0.0.1", "--port", str(port),
            "--processes", str(processes)]


@dataclass
class Rounds:
    results: dict[str, list[Result]] = field(default_factory=dict)

    def add(self, result: Result) -> None:
        print("  round:", result.line(), flush=True)
        self.results.setdefault(result.name, []).append(result)

    def best(self, name: str) -> Result:
        return max(self.results[name], key=lambda r: r.rate)

    def spread(self, name: str) -> str:
        rates = sorted(r.rate for r in self.results[name])
        return f"{rates[0]:.0f}–{rates[-1]:.0f} req/s"


async def bench(args: argparse.Namespace) -> int:
    async with bench_database(server_dsn()) as dsn:  # SHIPMENTS in_transit shipments (bench.scans)
        con = await asyncpg.connect(dsn)
        try:
            await con.execute(EVENTS_SQL)
            await con.execute("ANALYZE")
            codes = [r[0] for r in await con.fetch("SELECT tracking_code FROM shipments")]
        finally:
            await con.close()
        ports = {"bare": free_port(), "postal": free_port(), "bare×2": free_port(), "postal×2": free_port()}

        def bare_cmd(name: str, processes: int) -> list[str]:  # two processes share one's connections
            return [sys.executable, "-m", "bench.tracking", "--bare-server", str(ports[name]), dsn, str(processes),
                    str(POOL_SIZE // processes)]

        with tempfile.TemporaryDirectory() as data_dir, contextlib.ExitStack() as stack:
            env = postal_env(dsn, data_dir, args.log_level) | dict(kv.split("=", 1) for kv in args.postal_env)
            # Two processes share the connections of one (a server's 100 would not hold 2 × 2 × 20 more).
            half = {"POSTAL_POOL_MAX_SIZE": str(POOL_SIZE // 2), "POSTAL_POOL_MIN_SIZE": str(POOL_SIZE // 2)}
            bare_env = dict(os.environ) | {ONE_STATEMENT_ENV: "1" if args.bare_one_statement else "0"}
            procs = {"bare": stack.enter_context(process(bare_cmd("bare", 1), bare_env)),
                     "postal": stack.enter_context(process(_postal_cmd(ports["postal"], 1), env))}
            if not args.no_processes:
                procs["bare×2"] = stack.enter_context(process(bare_cmd("bare×2", 2), bare_env))
                procs["postal×2"] = stack.enter_context(process(_postal_cmd(ports["postal×2"], 2), env | half))
            for name, proc in procs.items():
                await wait_ready(f"http://127.0.0.1:{ports[name]}/healthz", proc)
            rounds = Rounds()
            for name in procs:  # warm-up: pools filled, statements prepared, code paths hot
                await load(name, f"http://127.0.0.1:{ports[name]}", codes, 1)
            for _ in range(args.rounds):
                for name, proc in procs.items():
                    before, machine, db_before = tree_cpu(proc.pid), machine_times(), database_cpu()
                    result = await load(name, f"http://127.0.0.1:{ports[name]}", codes, args.seconds)
                    result.cpu_ms = (tree_cpu(proc.pid) - before) * 1000 / max(1, result.requests)
                    result.db_cpu_ms = (database_cpu() - db_before) * 1000 / max(1, result.requests)
                    result.busy = busy_share(machine, machine_times())
                    rounds.add(result)
    return report(rounds, args)


def report(rounds: Rounds, args: argparse.Namespace) -> int:
    print(f"\npublic tracking, {CONCURRENCY} connections, best of {args.rounds} rounds of {args.seconds:g} s;"
          f" load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    for name in rounds.results:
        print(rounds.best(name).line(), f"  spread {rounds.spread(name)}")
    bare, postal = rounds.best("bare"), rounds.best("postal")
    # Rounds alternate, so each postal round is paired with the bare round just before it: the median of
    # those paired ratios is the figure least moved by a load that comes and goes on a shared machine.
    per_round = [p.rate / b.rate for p, b in zip(rounds.results["postal"], rounds.results["bare"], strict=True)]
    ratio = statistics.median(per_round)
    cpu = statistics.median(r.cpu_ms for r in rounds.results["bare"]) / max(
        1e-9, statistics.median(r.cpu_ms for r in rounds.results["postal"]))
    ok = ratio >= TARGET_RATIO and postal.p99_ms <= TARGET_P99_MS and postal.errors == 0
    print(f"ratio postal/bare: {ratio:.2f} (median of paired rounds {', '.join(f'{r:.2f}' for r in per_round)};"
          f" best/best {postal.rate / bare.rate:.2f}; target ≥ {TARGET_RATIO:.2f}); server CPU per request"
          f" bare/postal {cpu:.2f}; postal p99 {postal.p99_ms:.1f} ms (target ≤ {TARGET_P99_MS:.0f} ms):"
          f" {'OK' if ok else 'MISSED'}")
    if "postal×2" in rounds.results:
        def scaling(name: str) -> float:
            return statistics.median(two.rate / one.rate for two, one in
                                     zip(rounds.results[f"{name}×2"], rounds.results[name], strict=True))

        print(f"scaling 2 processes / 1: postal {scaling('postal'):.2f} (median of paired rounds; target ≥"
              f" {TARGET_SCALING:.1f}), the bare server {scaling('bare'):.2f} the same way; {os.cpu_count()} CPUs"
              " shared with the load generator and PostgreSQL")
    return 1 if args.check and not ok else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tracking", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2, help="seconds per round (default 2)")
    parser.add_argument("--rounds", type=int, default=8, help="rounds per server (default 8)")
    parser.add_argument("--smoke", action="store_true", help="a tiny, quick run: checks the machinery only")
    parser.add_argument("--no-processes", action="store_true", help="skip the 2-process server")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--bare-one-statement", action="store_true",
                        help="the bare server reads the shipment and its events in one statement, as postal does")
    parser.add_argument("--log-level", default="INFO", help="POSTAL_LOG_LEVEL of postal serve (default INFO)")
    parser.add_argument("--postal-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for postal serve, e.g. POSTAL_ACCESS_LOG_SAMPLE=1 (repeatable)")
    parser.add_argument("--bare-server", nargs=4, metavar=("PORT", "DSN", "PROCESSES", "POOL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_server:
        port, dsn, processes, pool = args.bare_server
        run_bare_server(int(port), dsn, int(processes), int(pool))
        return 0
    if args.smoke:
        args.seconds, args.rounds = 1, 1
    return asyncio.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
