"""Benchmark: scan ingest over HTTP on a real ``postal serve`` against a bare aiohttp + asyncpg endpoint.

Run from the repo root: ``python -m bench.scans`` (``--check`` exits 1 when a target is missed).

The servers run as their own processes on 127.0.0.1 against the same PostgreSQL server and the same
freshly made database (``DATABASE_URL`` when set, else the embedded pgserver in
``.postal-data-bench``) holding a few thousand shipments in ``in_transit``. Each request records an
``arrived`` scan (allowed again from ``in_transit``, so the same shipments serve every round):

- **postal**: ``POST /api/v1/scans`` with a courier's bearer token — token check, body validation,
  the lifecycle rules under the row lock, event + status + outbox row, the JSON answer.
- **bare**: ``POST /scan`` doing only the same INSERT of the event and UPDATE of the shipment, in
  one transaction (one CTE statement: the cheapest form of that transaction), no auth, no rules.
- **bare+outbox**: the same plus the outbox row postal queues for webhooks and notices, in the same
  statement. Not a target: postal against it tells what postal's server and rules cost beyond that row.

The load is ``wrk -t2 -c50`` when ``wrk`` is on PATH (a Lua script posts each scan with a fresh
``client_event_id``), else 50 aiohttp clients, for ``--seconds`` per round. Short rounds alternate
between the servers and each postal round is paired with the bare round before it: the median of
those ratios is reported, because this machine's speed drifts by half within a minute (the same bare
server measured 0.23 to 0.36 ms of CPU per request in consecutive rounds). Printed: events/s, p50,
p99, server CPU per scan and the ratio. Targets (issue 16): postal ≥ 0.75 of the bare endpoint's
throughput, and postal's p99 < 60 ms.

``--statements`` measures the three SQL statements alone instead, from ``pgbench`` (on PATH, else the
one pgserver ships) with as many clients as the servers' pools: postal's one-statement scan with the
parameters the service gives it against the two bare statements, in alternating rounds. No server's
Python is involved, so the ratio is the database's share of the gap.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parents[1]
SHIPMENTS = 3000
CONCURRENCY = 50
SECONDS = 3.0
ROUNDS = 6
TARGET_RATIO = 0.75
TARGET_P99_MS = 60.0
POOL_SIZE = 20
SECRET = "bench-secret-key-" + "x" * 32

BARE_SQL = (
    "WITH ev AS ("
    " INSERT INTO shipment_events (shipment_id, event, occurred_at, actor_user_id, post_office_code,"
    "  from_status, to_status, applied, client_event_id, lat, lon, details)"
    " SELECT s.id, $2, $3, $4, s.post_office_code, s.status, 'in_transit', true, $5, NULL, NULL, '{}'::jsonb"
    " FROM shipments s WHERE s.tracking_code = $1 RETURNING id, shipment_id"
    "), upd AS ("
    " UPDATE shipments SET status = 'in_transit', updated_at = now() FROM ev WHERE shipments.id = ev.shipment_id"
    " RETURNING shipments.status"
    ") SELECT ev.id, upd.status FROM ev, upd"
)


BARE_OUTBOX_SQL = (  # the same, plus the outbox row postal queues in the same statement (its payload too)
    "WITH ev AS ("
    " INSERT INTO shipment_events (shipment_id, event, occurred_at, actor_user_id, post_office_code,"
    "  from_status, to_status, applied, client_event_id, lat, lon, details)"
    " SELECT s.id, $2, $3, $4, s.post_office_code, s.status, 'in_transit', true, $5, NULL, NULL, '{}'::jsonb"
    " FROM shipments s WHERE s.tracking_code = $1 RETURNING id, shipment_id, occurred_at"
    "), upd AS ("
    " UPDATE shipments SET status = 'in_transit', updated_at = now() FROM ev WHERE shipments.id = ev.shipment_id"
    " RETURNING shipments.status, shipments.tracking_code, shipments.direction, shipments.agency_code,"
    "  shipments.post_office_code"
    "), ob AS ("
    " INSERT INTO outbox (topic, shipment_id, payload)"
    " SELECT 'shipment.status_changed', ev.shipment_id, jsonb_build_object('status', upd.status, 'event', $2,"
    "  'occurred_at', ev.occurred_at, 'tracking_code', upd.tracking_code, 'direction', upd.direction,"
    "  'agency_code', upd.agency_code, 'post_office_code', upd.post_office_code, 'event_id', ev.id)"
    " FROM ev, upd"
    ") SELECT ev.id, upd.status FROM ev, upd"
)


# ---------------------------------------------------------------------------
# The database


def with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))


def server_dsn() -> str:
    """The PostgreSQL server to use: DATABASE_URL, or the embedded one kept for benchmarks."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from postal.store.database import embedded_server_uri

    return embedded_server_uri(ROOT / ".postal-data-bench" / "pg")


@contextlib.asynccontextmanager
async def bench_database(admin_dsn: str) -> AsyncIterator[str]:
    """A fresh database, migrated and filled, dropped afterwards."""
    name = f"postal_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        dsn = with_database(admin_dsn, name)
        await _fill(dsn)
        yield dsn
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _fill(dsn: str) -> None:
    from postal.domain.access import Role
    from postal.domain.codes import make_s10
    from postal.services import accounts
    from postal.services.setup import prepare_database
    from postal.store.database import connect

    con = await connect(dsn)
    try:
        await prepare_database(con)
        await accounts.add_post_office(con, "BC-BENCH", "Bưu cục đo tải", "25")
        await accounts.add_agency(con, accounts.NewAgency("AG-BENCH", "Trung tâm đo tải", "25", "08707", "BC-BENCH"))
        await accounts.add_user(con, "bench-courier", Role.courier, post_office_code="BC-BENCH")
        await accounts.add_user(con, "bench-staff", Role.staff, agency_code="AG-BENCH")
        await con.execute(_SHIPMENTS_SQL, [make_s10("RA", n) for n in range(1, SHIPMENTS + 1)])
        await con.execute("VACUUM ANALYZE")
    finally:
        await con.close()


# Demo-like shipments, already picked up and travelling; tracking codes follow the real S10 rules.
_SHIPMENTS_SQL = """
INSERT INTO shipments (tracking_code, direction, status, agency_code, post_office_code, dossier_code,
    procedure_code, procedure_name, appointment_date, citizen_name, citizen_phone, citizen_id_number,
    address_line, ward_code, province_code, due_date, created_by)
SELECT code, CASE WHEN n % 3 = 0 THEN 'pickup' ELSE 'delivery' END, 'in_transit', 'AG-BENCH', 'BC-BENCH',
       '000.00.15.H62-260315-' || lpad(n::text, 5, '0'), '1.004227', 'Cấp đổi giấy phép lái xe',
       current_date + 3, 'Nguyễn Thị Hồng Nhung', '0912345678', '001199012345',
       'Số ' || n || ' đường Hùng Vương', '08707', '25', current_date + 3,
       (SELECT id FROM users WHERE username = 'bench-staff')
FROM unnest($1::text[]) WITH ORDINALITY AS t(code, n)
"""


async def _codes_and_token(dsn: str) -> tuple[list[str], str]:
    from postal.services import accounts
    from postal.store.database import connect

    con = await connect(dsn)
    try:
        codes = [r["tracking_code"] for r in await con.fetch("SELECT tracking_code FROM shipments ORDER BY id")]
        return codes, await accounts.create_token(con, "bench-courier")
    finally:
        await con.close()


# ---------------------------------------------------------------------------
# The two servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A child process, terminated (then killed) on the way out."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"server not ready: {url}")


def postal_command(port: int, loop: str, workers: bool = False) -> list[str]:
    """``postal serve`` as a user runs it; with ``--loop uvloop`` started on uvloop's event loop. Without
    ``workers`` the background jobs stay off (the measure is the request path); with them, as deployed."""
    serve = ["serve", *(() if workers else ("--no-workers",)), "--host", "127.0.0.1", "--port", str(port)]
    if loop == "uvloop":
        code = ("import asyncio, sys, uvloop; asyncio.set_event_loop_policy(uvloop.EventLoopPolicy());"
                " from postal.cli import main; sys.exit(main(sys.argv[1:]))")
        return [sys.executable, "-W", "ignore::DeprecationWarning", "-c", code, *serve]
    return [sys.executable, "-m", "postal.cli", *serve]


def postal_env(dsn: str, data_dir: str, log_level: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": dsn, "POSTAL_SECRET_KEY": SECRET, "POSTAL_DATA_DIR": data_dir,
            "POSTAL_POOL_MAX_SIZE": str(POOL_SIZE), "POSTAL_POOL_MIN_SIZE": str(POOL_SIZE),
            "POSTAL_LOG_LEVEL": log_level}


async def bare_app(dsn: str, sql: str = BARE_SQL) -> object:
    """The baseline: aiohttp + asyncpg, parse JSON, one transaction with the INSERT and the UPDATE."""
    from aiohttp import web

    async def reset(con: asyncpg.Connection) -> None:  # the same release as postal's pool: no extra round trip
        if con.is_in_transaction():
            await con.execute("ROLLBACK")

    pool = await asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE, reset=reset,
                                     server_settings={"timezone": "UTC"})
    courier_id = await pool.fetchval("SELECT id FROM users WHERE username = 'bench-courier'")

    async def scan(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        occurred = datetime.fromisoformat(body["occurred_at"])
        async with pool.acquire() as con:
            row = await con.fetchrow(sql, body["code"], body["event"], occurred, courier_id,
                                     uuid.UUID(body["client_event_id"]))
        return web.json_response({"event": {"id": row["id"]}, "status": row["status"]}, status=201)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/scan", scan)
    app.router.add_get("/healthz", health)
    return app


def run_bare_server(port: int, dsn: str, loop: str, outbox: bool = False) -> None:
    """``python -m bench.scans --bare-server PORT DSN LOOP``: the baseline server in its own process."""
    from aiohttp import web

    if loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(bare_app(dsn, BARE_OUTBOX_SQL if outbox else BARE_SQL), host="127.0.0.1", port=port,  # type: ignore[arg-type]
                print=None, access_log=None)


# ---------------------------------------------------------------------------
# The load


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu() -> float:
    """CPU seconds of every PostgreSQL process on the machine (the server the benchmark uses, embedded or not)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, rest = stat.read_text().rpartition(")")
        except OSError:
            continue
        if head.endswith("(postgres"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    tool: str
    cpu_ms: float = 0.0
    db_cpu_ms: float = 0.0

    @property
    def rate(self) -> float:
        return (self.requests - self.errors) / self.seconds

    def line(self) -> str:
        return (f"{self.name:11} {self.rate:8.0f} events/s   p50 {self.p50_ms:6.1f} ms   "
                f"p99 {self.p99_ms:6.1f} ms   CPU per scan: server {self.cpu_ms:4.2f} ms, database"
                f" {self.db_cpu_ms:4.2f} ms   "
                f"({self.requests} requests, {self.errors} errors, {self.seconds:.1f} s, {self.tool})")


def quantiles(latencies_ms: list[float]) -> tuple[float, float]:
    """p50 and p99 of a list of latencies."""
    ordered = sorted(latencies_ms) or [0.0]
    return tuple(ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.50, 0.99))  # type: ignore[return-value]


WRK_SCANS = """
local codes = {%s}
local headers = {["Content-Type"] = "application/json"%s}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  math.randomseed(os.time() * 100 + tid)  -- distinct per thread: every client_event_id is new
end
request = function()
  local id = string.format("%%08x-%%04x-4%%03x-%%04x-%%04x%%08x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0x8000, 0xbfff), math.random(0, 0xffff), math.random(0, 0x7fffffff))
  local body = string.format('{"code":"%%s","event":"arrived","occurred_at":"%%s","client_event_id":"%%s"}',
    codes[math.random(#codes)], os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ"), id)
  return wrk.format("POST", nil, headers, body)
end
"""

WRK_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
"""
"""Ends every wrk script of the benchmarks: one RESULT line that :func:`wrk` reads."""


@dataclass(frozen=True)
class WrkRun:
    requests: int
    errors: int  # non-2xx answers and socket errors
    seconds: float
    p50_ms: float
    p99_ms: float


def wrk(url: str, lua: str, seconds: float) -> WrkRun:
    """``wrk -t2 -c50`` for ``seconds`` with ``lua`` (whose requests) followed by :data:`WRK_DONE`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + WRK_DONE)
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{CONCURRENCY}", f"-d{max(1, round(seconds))}s", "-s", script.name,
                              url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if match is None:
        raise RuntimeError(f"wrk said: {out}")
    requests, micros, errors, p50, p99 = map(int, match.groups())
    return WrkRun(requests, errors, micros / 1e6, p50 / 1000, p99 / 1000)


def run_wrk(name: str, url: str, lua: str, seconds: float) -> Result:
    """One round of scans from wrk."""
    run = wrk(url, lua, seconds)
    return Result(name, run.requests, run.errors, run.seconds, run.p50_ms, run.p99_ms, "wrk")


def scans_script(codes: list[str], headers: dict[str, str]) -> str:
    extra = "".join(f', ["{k}"] = "{v}"' for k, v in headers.items())
    return WRK_SCANS % (", ".join(f'"{c}"' for c in codes), extra)


async def drive(name: str, url: str, headers: dict[str, str], codes: list[str], total: int,
                max_seconds: float) -> Result:
    """``total`` scans from CONCURRENCY clients, stopping early after ``max_seconds``."""
    counter = iter(range(total))
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + max_seconds
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        for i in counter:
            if time.monotonic() > deadline:
                return
            body = {"code": codes[i % len(codes)], "event": "arrived",
                    "occurred_at": datetime.now(UTC).isoformat(), "client_event_id": str(uuid.uuid4())}
            started = time.perf_counter()
            async with http.post(url, json=body, headers=headers) as resp:
                await resp.read()
                ok = resp.status in (200, 201)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += 0 if ok else 1

    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return Result(name, len(latencies), errors, elapsed, *quantiles(latencies), "aiohttp")


async def load(name: str, url: str, headers: dict[str, str], codes: list[str], seconds: float) -> Result:
    """``seconds`` of scans from CONCURRENCY clients: wrk when installed, else aiohttp clients."""
    if shutil.which("wrk"):
        return await asyncio.to_thread(run_wrk, name, url, scans_script(codes, headers), seconds)
    return await drive(name, url, headers, codes, 10**9, seconds)


async def bench(args: argparse.Namespace) -> int:
    admin = server_dsn()
    async with bench_database(admin) as dsn:
        codes, token = await _codes_and_token(dsn)
        postal_port, bare_port, outbox_port = free_port(), free_port(), free_port()

        def bare_cmd(port: int, *outbox: str) -> list[str]:
            return [sys.executable, "-W", "ignore::DeprecationWarning", "-m", "bench.scans", "--bare-server",
                    str(port), dsn, args.loop, *outbox]

        postal_cmd = postal_command(postal_port, args.loop, args.workers)
        with tempfile.TemporaryDirectory() as data_dir, \
                process(postal_cmd, postal_env(dsn, data_dir, args.log_level)) as postal_proc, \
                process(bare_cmd(bare_port), dict(os.environ)) as bare_proc, \
                process(bare_cmd(outbox_port, "--outbox"), dict(os.environ)) as outbox_proc:
            await wait_ready(f"http://127.0.0.1:{postal_port}/healthz", postal_proc)
            await wait_ready(f"http://127.0.0.1:{bare_port}/healthz", bare_proc)
            await wait_ready(f"http://127.0.0.1:{outbox_port}/healthz", outbox_proc)
            targets = {
                "bare": (f"http://127.0.0.1:{bare_port}/scan", {}, bare_proc.pid),
                "postal": (f"http://127.0.0.1:{postal_port}/api/v1/scans", {"Authorization": f"Bearer {token}"},
                           postal_proc.pid),
                "bare+outbox": (f"http://127.0.0.1:{outbox_port}/scan", {}, outbox_proc.pid),
            }
            for name, (url, headers, _pid) in targets.items():  # warm-up: pools, statements, caches
                await load(name, url, headers, codes, 1)
            results: dict[str, list[Result]] = {name: [] for name in targets}
            for _ in range(args.rounds):
                for name, (url, headers, pid) in targets.items():
                    cpu_before, db_before = cpu_seconds(pid), database_cpu()
                    result = await load(name, url, headers, codes, args.seconds)
                    result.cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / max(1, result.requests)
                    result.db_cpu_ms = (database_cpu() - db_before) * 1000 / max(1, result.requests)
                    print("  round:", result.line(), flush=True)
                    results[name].append(result)
    return report(results, args)


# ---------------------------------------------------------------------------
# The statements alone (--statements): what the database allows, without any server


def pgbench_binary() -> str | None:
    """``pgbench`` on PATH, else the one shipped with the embedded PostgreSQL (pgserver)."""
    if found := shutil.which("pgbench"):
        return found
    import pgserver

    shipped = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
    return str(shipped) if shipped.exists() else None


_PICK = f"\\set n random(1, {SHIPMENTS})\n"
_CODE = "(SELECT tracking_code FROM shipments WHERE id = :n)"  # a random bench shipment per transaction
# Whole seconds, as the HTTP load sends occurred_at, for all three: with a finer time, a bare event written a
# moment after the start of a postal transaction would make its scan older than the newest (refused).
_SECOND = "date_trunc('second', now())"


def statement_scripts(courier_id: int) -> dict[str, str]:
    """name → pgbench script: postal's one-statement ``arrived`` scan with the parameters ``record_scan``
    gives it, and the two bare statements. Each ``$n`` becomes its value as a literal (pgbench numbers every
    ``:variable`` apart, so a value used twice would lose its type), except the code (a random bench
    shipment per transaction), the time (the whole second, as the HTTP load sends it) and a fresh
    ``client_event_id``."""
    from postal.domain.lifecycle import Event
    from postal.services.recording import direct_rule
    from postal.settings import Settings
    from postal.store.scans import _DIRECT_SQL

    rule = direct_rule(Event.arrived, Settings().max_attempts)
    assert rule is not None
    payload = json.dumps({"status": rule.to_status.value, "event": "arrived",
                          "occurred_at": datetime.now(UTC).isoformat()})
    sources = "'{" + ",".join(s.value for s in rule.from_statuses) + "}'"
    postal = {1: _CODE, 2: "'BC-BENCH'", 3: f"'{rule.to_status.value}'", 4: str(rule.attempts_added),
              5: "false", 6: _SECOND, 7: sources, 8: "'arrived'", 9: str(courier_id),
              10: "'BC-BENCH'", 11: "gen_random_uuid()", 12: "NULL",
              13: "NULL", 14: "'{}'", 15: "'" + payload.replace("'", "''") + "'"}
    bare = {1: _CODE, 2: "'arrived'", 3: _SECOND, 4: str(courier_id), 5: "gen_random_uuid()"}

    def script(sql: str, values: dict[int, str]) -> str:
        return _PICK + re.sub(r"\$(\d+)", lambda m: values[int(m.group(1))], sql) + ";\n"

    return {"bare": script(BARE_SQL, bare), "postal": script(_DIRECT_SQL, postal),
            "bare+outbox": script(BARE_OUTBOX_SQL, bare)}


def run_pgbench(binary: str, dsn: str, name: str, script: str, seconds: float) -> Result:
    """One round of one statement from POOL_SIZE pgbench clients (the servers' pool size)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
        f.write(script)
        f.flush()
        out = subprocess.run([binary, "-n", "-M", "prepared", "-c", str(POOL_SIZE), "-j", "2", "-T",
                              str(max(1, round(seconds))), "-f", f.name, dsn],
                             capture_output=True, text=True, check=False)
    done = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    tps = re.search(r"tps = ([\d.]+)", out.stdout)
    if out.returncode != 0 or not done or not latency or not tps:
        raise RuntimeError(f"pgbench failed for {name}: {out.stderr.strip()[-500:]}")
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    requests, ms = int(done.group(1)), float(latency.group(1))
    # pgbench's own rate (its clients' connection time left out): seconds = requests / tps.
    return Result(name, requests, int(failed.group(1)) if failed else 0, requests / max(float(tps.group(1)), 1e-9),
                  ms, ms, "pgbench")


async def statements(args: argparse.Namespace) -> int:
    """The three statements, alternating, from pgbench (a C client, so nearly all the CPU is the database's):
    how postal's scan compares with the bare ones when no server's Python is involved."""
    binary = pgbench_binary()
    if binary is None:
        print("pgbench not found (neither on PATH nor in pgserver): --statements skipped")
        return 0
    async with bench_database(server_dsn()) as dsn:
        con = await asyncpg.connect(dsn)
        try:
            scripts = statement_scripts(int(await con.fetchval(
                "SELECT id FROM users WHERE username = 'bench-courier'")))
            events = "SELECT count(*) FROM shipment_events"
            for name, script in scripts.items():  # warm-up; fails loudly on a broken script
                await asyncio.to_thread(run_pgbench, binary, dsn, name, script, 1)
            results: dict[str, list[Result]] = {name: [] for name in scripts}
            refused = dict.fromkeys(scripts, 0)
            for _ in range(args.rounds):
                for name, script in scripts.items():
                    before = await con.fetchval(events)
                    result = await asyncio.to_thread(run_pgbench, binary, dsn, name, script, args.seconds)
                    # A statement that wrote nothing is fast and would flatter its rate. Postal's writes
                    # nothing for a scan older than the shipment's newest event (the service then takes
                    # the locked path): two clients on one shipment across a second's boundary. Rare;
                    # more than 1 % means the statement is refusing the scans it should record.
                    silent = result.requests - (await con.fetchval(events) - before)
                    refused[name] += silent
                    print(f"  round: {name:11} {result.rate:8.0f} statements/s   latency {result.p50_ms:5.2f} ms"
                          f"   ({result.requests} done, {result.errors} failed, {silent} wrote no event)",
                          flush=True)
                    results[name].append(result)
        finally:
            await con.close()
    print(f"\nthe scan statements alone, {POOL_SIZE} pgbench clients, {args.rounds} rounds of {args.seconds:g} s")
    for other in ("bare", "bare+outbox"):
        paired = [p.rate / b.rate for p, b in zip(results["postal"], results[other], strict=True)]
        print(f"statement ratio postal/{other}: {statistics.median(paired):.2f} (median of paired rounds"
              f" {', '.join(f'{r:.2f}' for r in paired)}; information: the database work alone)")
    failed = any(r.errors for rs in results.values() for r in rs)
    return 1 if failed or any(refused[n] > 0.01 * sum(r.requests for r in results[n]) for n in results) else 0


def report(results: dict[str, list[Result]], args: argparse.Namespace) -> int:
    # Rounds alternate: each postal round is paired with the bare round just before it, and the median of
    # those ratios is the figure least moved by a machine whose speed comes and goes.
    per_round = [p.rate / b.rate for p, b in zip(results["postal"], results["bare"], strict=True)]
    ratio = statistics.median(per_round)
    p99 = statistics.median(r.p99_ms for r in results["postal"])
    errors = sum(r.errors for r in results["postal"])
    print(f"\nscan ingest, {CONCURRENCY} connections, {SHIPMENTS} shipments, {args.rounds} rounds of"
          f" {args.seconds:g} s; load average {os.getloadavg()[0]:.2f}")
    for name in results:
        print(max(results[name], key=lambda r: r.rate).line(), " (best round)")
    ok = ratio >= TARGET_RATIO and p99 < TARGET_P99_MS and errors == 0
    cpu = statistics.median(r.cpu_ms for r in results["bare"]) / max(
        1e-9, statistics.median(r.cpu_ms for r in results["postal"]))
    print(f"ratio postal/bare: {ratio:.2f} (median of paired rounds {', '.join(f'{r:.2f}' for r in per_round)};"
          f" target ≥ {TARGET_RATIO:.2f}); postal p99 {p99:.1f} ms (median of rounds; target < {TARGET_P99_MS:.0f} ms);"
          f" server CPU per scan bare/postal {cpu:.2f}:"
          f" {'OK' if ok else 'MISSED'}")
    # The bare endpoint writes no outbox row; bare+outbox writes the one postal writes (no rules, no auth):
    # postal against it is what the server costs beyond the durable event the rules require.
    outbox = [p.rate / o.rate for p, o in zip(results["postal"], results["bare+outbox"], strict=True)]
    print(f"ratio postal/(bare+outbox): {statistics.median(outbox):.2f} (median of paired rounds"
          f" {', '.join(f'{r:.2f}' for r in outbox)}; not a target: information)")
    return 1 if args.check and not ok else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scans", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"seconds per round (default {SECONDS:g})")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds per server (default {ROUNDS})")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--statements", action="store_true",
                        help="instead of the servers, the three SQL statements alone from pgbench")
    parser.add_argument("--workers", action="store_true",
                        help="run postal's background jobs in its process, as deployed (default: off)")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio",
                        help="event loop of both servers (default asyncio, as `postal serve` runs)")
    parser.add_argument("--log-level", default="INFO",
                        help="POSTAL_LOG_LEVEL of postal serve (default INFO: one access-log line per request)")
    parser.add_argument("--bare-server", nargs=3, metavar=("PORT", "DSN", "LOOP"), help=argparse.SUPPRESS)
    parser.add_argument("--outbox", action="store_true", help=argparse.SUPPRESS)  # the bare server's outbox row
    args = parser.parse_args(argv)
    if args.bare_server:
        run_bare_server(int(args.bare_server[0]), args.bare_server[1], args.bare_server[2], args.outbox)
        return 0
    with contextlib.suppress(ImportError):
        import uvloop  # the load generator's own overhead, kept small for both servers alike

        return uvloop.run(bench(args))
    return asyncio.run(statements(args) if args.statements else bench(args))


if __name__ == "__main__":
    sys.exit(main())
