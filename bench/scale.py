"""Benchmark: the database at national scale — the same queries at 10,000 and at 1,000,000 shipments.

Run from the repo root: ``python -m bench.scale`` (``--small``: 10,000 then 100,000, a quick run).

A dedicated database on the PostgreSQL server of ``DATABASE_URL`` (else the embedded pgserver) is
migrated, loaded with COPY, measured, grown with COPY, measured again, and dropped at the end.
Shipments get 6 events each (1,000,000 shipments → 6,000,000 events), spread over a year, 60
agencies, 20 post offices, most delivered, some open past their due date.

What stays the same size while the table grows 100×: the *probe* agency (``AG-PROBE``, the slice one
clerk works in: 1,500 shipments created in the probe month plus 500 older ones), loaded in the first
step. So a query that reads only its slice (through an index) is flat; one that scans the table is
not, and ``EXPLAIN`` tells which (a Seq Scan on ``shipments`` or ``shipment_events`` is flagged).

Measured, each many times (p50 / p99 in ms, in one connection, from the client):
tracking by code (the two reads of ``GET /track``), the staff list first page (probe agency and all),
a filter (status), a search (text in the name or dossier code), the overdue list and the overdue
watcher's claim (rolled back), the outbox dispatcher's claim (rolled back; every event's change record
is in the outbox, as the service writes it), the SLA report for the probe agency-month (its three
queries), a scan (event insert + status update + outbox row, committed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench.scans import server_dsn, with_database

AGENCIES = 60
POST_OFFICES = 20
EVENTS_PER_SHIPMENT = 6
PROBE = "AG-PROBE"
PROBE_MONTH = (date(2026, 5, 1), date(2026, 5, 31))
PROBE_IN_MONTH = 1500
PROBE_OLDER = 500
TODAY = date(2026, 11, 20)
TZ = "Asia/Ho_Chi_Minh"
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Minh Đức", "Vũ Thị Hạnh",
         "Đặng Quốc Huy", "Bùi Thị Lan", "Đỗ Văn Long", "Hồ Thị Mai", "Ngô Thanh Nam", "Dương Thị Oanh"]
SHIPMENT_COLUMNS = ["id", "tracking_code", "direction", "status", "agency_code", "post_office_code", "dossier_code",
                    "citizen_name", "citizen_phone", "address_line", "ward_code", "province_code", "due_date",
                    "completed_at", "created_at", "updated_at"]
EVENT_COLUMNS = ["shipment_id", "event", "occurred_at", "recorded_at", "post_office_code", "applied", "from_status",
                 "to_status"]
OPEN_PATH = [("picked_up", "created", "picked_up"), ("arrived", "picked_up", "in_transit"),
             ("arrived", "in_transit", "in_transit"), ("arrived", "in_transit", "in_transit"),
             ("out_for_delivery", "in_transit", "out_for_delivery"),
             ("delivery_failed", "out_for_delivery", "delivery_failed")]
DELIVERED_PATH = [*OPEN_PATH[:5], ("delivered", "out_for_delivery", "delivered")]


# ---------------------------------------------------------------------------
# Data


def _status(rng: random.Random, created: datetime) -> str:
    """Old shipments are mostly finished; recent ones mostly open."""
    if (datetime(2026, 11, 20, tzinfo=UTC) - created).days < 10:
        return rng.choice(["created", "picked_up", "in_transit", "out_for_delivery", "delivered"])
    r = rng.random()
    if r < 0.85:
        return "delivered"
    if r < 0.90:
        return "cancelled"
    if r < 0.93:
        return "returned"
    return rng.choice(["in_transit", "delivery_failed", "out_for_delivery"])  # open past due: overdue


def shipments(first_id: int, count: int, agency: str | None, start: datetime, days: int,
              seed: int) -> Iterator[tuple[Any, ...]]:
    """``count`` shipment rows from id ``first_id``, created within ``days`` after ``start``."""
    from postal.domain.codes import make_s10

    rng = random.Random(seed)
    for i in range(first_id, first_id + count):
        created = start + timedelta(seconds=rng.randrange(days * 86400))
        status = _status(rng, created)
        due = (created + timedelta(days=5)).date()
        done = created + timedelta(days=rng.choice([2, 3, 4, 5, 6, 8])) if status == "delivered" else None
        yield (i, make_s10("RA", i), "pickup" if i % 3 == 0 else "delivery", status,
               agency or f"AG-{i % AGENCIES:03d}", f"BC-{i % POST_OFFICES:03d}", f"000.00.15.H62-{i:09d}",
               f"{NAMES[i % len(NAMES)]} {i}", f"09{i % 100_000_000:08d}", f"Số {i % 500} đường Lê Lợi", "08707",
               "25", due, done, created, done or created)


def events(rows: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """6 events per shipment, an hour apart (the last one at completion for delivered shipments)."""
    for row in rows:
        sid, status, office, created, done = row[0], row[3], row[5], row[14], row[13]
        path = DELIVERED_PATH if status == "delivered" else OPEN_PATH
        for n, (event, before, after) in enumerate(path):
            at = done if (event == "delivered" and done) else created + timedelta(hours=n + 1)
            yield sid, event, at, at, office, True, before, after


async def base_data(con: asyncpg.Connection) -> None:
    await con.execute("INSERT INTO post_offices (code, name, province_code)"
                      " SELECT 'BC-' || lpad(n::text, 3, '0'), 'Bưu cục số ' || n, '25' FROM generate_series(0, $1) n",
                      POST_OFFICES - 1)
    await con.execute("INSERT INTO agencies (code, name, province_code, ward_code, post_office_code)"
                      " SELECT 'AG-' || lpad(n::text, 3, '0'), 'Cơ quan số ' || n, '25', '08707', 'BC-000'"
                      " FROM generate_series(0, $1) n", AGENCIES - 1)
    await con.execute("INSERT INTO agencies (code, name, province_code, ward_code, post_office_code)"
                      " VALUES ($1, 'Cơ quan đo tải', '25', '08707', 'BC-000')", PROBE)
    await con.execute("INSERT INTO users (username, role, post_office_code)"
                      " VALUES ('scale-courier', 'courier', 'BC-000')")
    # What the dispatcher has to do at any time: deliveries due now and retries due later.
    await con.execute("INSERT INTO outbox (topic, payload, available_at) SELECT 'webhook.fanout', '{}',"
                      " now() + CASE WHEN n % 2 = 0 THEN interval '0' ELSE interval '1 hour' END"
                      " FROM generate_series(1, 200) n")


async def _secondary_indexes(con: asyncpg.Connection) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of the two big tables that back no constraint."""
    rows = await con.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN ('shipments', 'shipment_events')"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)")
    return [(r[0], r[1]) for r in rows]


async def load(con: asyncpg.Connection, chunks: Iterator[list[tuple[Any, ...]]], *, rebuild_indexes: bool) -> float:
    """COPY the shipments of each chunk and their events; for a big load the secondary indexes are dropped
    first and built after (one sorted build each instead of millions of inserts). Seconds taken."""
    started = time.perf_counter()
    phases: list[tuple[str, float]] = []
    indexes = await _secondary_indexes(con) if rebuild_indexes else []
    async with con.transaction():
        await con.execute("SET LOCAL session_replication_role = replica")  # no FK trigger per row
        await con.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for name, _ in indexes:
            await con.execute(f'DROP INDEX "{name}"')
        first_event = await con.fetchval("SELECT coalesce(max(id), 0) FROM shipment_events")
        for rows in chunks:
            await con.copy_records_to_table("shipments", records=rows, columns=SHIPMENT_COLUMNS)
            await con.copy_records_to_table("shipment_events", records=events(rows), columns=EVENT_COLUMNS)
        phases.append(("copy", time.perf_counter() - started))
        await con.execute(_RECORDS_SQL, first_event)
        phases.append(("outbox", time.perf_counter() - started))
        for _, definition in indexes:
            await con.execute(definition)
        phases.append(("indexes", time.perf_counter() - started))
    await con.execute("SELECT setval('shipments_id_seq', (SELECT max(id) FROM shipments))")
    await con.execute("VACUUM ANALYZE shipments, shipment_events, outbox")  # what autovacuum does after a load
    # Flush the load's dirty pages now: a checkpoint running under the measurements doubled some of them.
    await con.execute("CHECKPOINT")
    phases.append(("vacuum and checkpoint", time.perf_counter() - started))
    print("  " + ", ".join(f"{n} until {t:.1f} s" for n, t in phases), flush=True)
    return time.perf_counter() - started


# Each event's change record, as the service stores it (processed when written: migration 023). Triggers
# are off during the load (replica role), so the state is written here as the trigger would.
_RECORDS_SQL = """
INSERT INTO outbox (topic, shipment_id, payload, created_at, available_at, processed_at)
SELECT 'shipment.status_changed', shipment_id, jsonb_build_object('event', event, 'status', to_status,
       'previous_status', from_status, 'event_id', id), recorded_at, recorded_at, recorded_at
FROM shipment_events WHERE id > $1
"""


def probe_rows(first_id: int) -> list[tuple[Any, ...]]:
    month_start = datetime(PROBE_MONTH[0].year, PROBE_MONTH[0].month, 1, tzinfo=UTC)
    rows = list(shipments(first_id, PROBE_IN_MONTH, PROBE, month_start, 30, seed=1))
    rows += shipments(first_id + PROBE_IN_MONTH, PROBE_OLDER, PROBE, month_start - timedelta(days=120), 100, seed=2)
    return rows


def bulk_rows(first_id: int, count: int, seed: int) -> list[tuple[Any, ...]]:
    return list(shipments(first_id, count, None, datetime(2025, 11, 20, tzinfo=UTC), 365, seed=seed))


def bulk_chunks(first_id: int, count: int, chunk: int = 100_000) -> Iterator[list[tuple[Any, ...]]]:
    """``count`` bulk rows in chunks (a million rows at once would hold a gigabyte of Python objects)."""
    for start in range(first_id, first_id + count, chunk):
        yield bulk_rows(start, min(chunk, first_id + count - start), seed=start)


# ---------------------------------------------------------------------------
# Queries


Query = Callable[[asyncpg.Connection], Awaitable[Any]]


def queries(codes: list[str], in_transit: list[str], courier: int) -> dict[str, tuple[Query, int, str | None]]:
    """name → (one execution, repetitions, SQL to EXPLAIN or None)."""
    from postal.domain.access import Scope
    from postal.domain.search import terms
    from postal.store import outbox, reports, tracking
    from postal.store import shipments as ship
    from postal.store.overdue import _CLAIM_SQL
    from postal.store.shipments import ListFilter
    from postal.workers import HANDLERS

    probe, everyone = Scope(agency_code=PROBE), Scope()

    async def track(con: asyncpg.Connection) -> None:
        row = await tracking.public_shipment_for(con, random.choice(codes), b"\x00" * 16, 60, proof=False)
        assert row is not None and row["events"] is not None  # the timeline comes with the shipment

    name_words, code_words = tuple(terms("Dung 10")), tuple(terms("H62-000000777"))

    def listing(scope: Scope, **kw: Any) -> Query:
        return lambda con: ship.list_shipments(con, scope, ListFilter(today=TODAY, **kw))

    async def sla(con: asyncpg.Connection) -> None:
        first, last = PROBE_MONTH
        await reports.sla_rows(con, first, last, TZ, PROBE)
        await reports.weekly(con, first, last, TZ, PROBE)
        await reports.late_list(con, first, last, TZ, PROBE, TODAY, 200)

    async def claim(con: asyncpg.Connection) -> None:
        tx = con.transaction()
        await tx.start()
        await con.fetch(_CLAIM_SQL, TODAY, 100)
        await tx.rollback()

    async def dispatch(con: asyncpg.Connection) -> None:
        tx = con.transaction()
        await tx.start()
        await outbox.claim_due(con, HANDLERS, 50)
        await tx.rollback()

    async def scan(con: asyncpg.Connection) -> None:
        from bench.scans import BARE_SQL

        async with con.transaction():
            row = await con.fetchrow(BARE_SQL, random.choice(in_transit), "arrived", datetime.now(UTC), courier,
                                     uuid.uuid4())
            await con.execute("INSERT INTO outbox (topic, shipment_id, payload) VALUES ('shipment.status_changed',"
                              " (SELECT shipment_id FROM shipment_events WHERE id = $1), '{}'::jsonb)", row["id"])

    def sql_of(scope: Scope, **kw: Any) -> str:
        sql, args = ship.list_query(scope, ListFilter(today=TODAY, **kw))
        literal = [f"'{a}'" if not isinstance(a, int) else str(a) for a in args]
        for n in range(len(literal), 0, -1):
            sql = sql.replace(f"${n}", literal[n - 1])
        return sql

    return {
        "tracking by code": (track, 300, None),
        "staff list, first page (agency)": (listing(probe), 100, sql_of(probe)),
        "staff list, first page (all)": (listing(everyone), 100, sql_of(everyone)),
        "staff list, filter status (agency)": (listing(probe, status="delivery_failed"), 100,
                                               sql_of(probe, status="delivery_failed")),
        "staff list, search (agency)": (listing(probe, words=name_words), 50, sql_of(probe, words=name_words)),
        "staff list, search (all)": (listing(everyone, words=code_words), 30, sql_of(everyone, words=code_words)),
        "overdue list (agency)": (listing(probe, overdue=True), 100, sql_of(probe, overdue=True)),
        "overdue watcher claim": (claim, 30, None),
        "outbox dispatcher claim": (dispatch, 30, None),
        "SLA report, agency-month": (sla, 20, None),
        "scan": (scan, 200, None),
    }


async def measure(con: asyncpg.Connection, name: str, run: Query, times: int) -> tuple[float, float]:
    await run(con)  # prepared, cached
    took = []
    for _ in range(times):
        started = time.perf_counter()
        await run(con)
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[min(len(took) - 1, int(0.99 * len(took)))]


async def plan_flags(con: asyncpg.Connection, sql: str | None) -> str:
    """'index' or the big tables read whole (Seq Scan) by the plan of ``sql``."""
    if sql is None:
        return ""
    raw = await con.fetchval(f"EXPLAIN (FORMAT JSON) {sql}")
    plan = json.loads(raw) if isinstance(raw, str) else raw  # the pool's connections decode JSON already
    seq: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in ("shipments", "shipment_events"):
            seq.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return "SEQ SCAN " + ",".join(sorted(seq)) if seq else "index"


async def measure_all(con: asyncpg.Connection) -> dict[str, tuple[float, float, str]]:
    codes = [r[0] for r in await con.fetch("SELECT tracking_code FROM shipments TABLESAMPLE SYSTEM (1) LIMIT 2000")]
    if len(codes) < 100:
        codes = [r[0] for r in await con.fetch("SELECT tracking_code FROM shipments LIMIT 2000")]
    in_transit = [r[0] for r in await con.fetch("SELECT tracking_code FROM shipments WHERE status = 'in_transit'"
                                                " LIMIT 2000")]
    courier = await con.fetchval("SELECT id FROM users WHERE username = 'scale-courier'")
    results = {}
    for name, (run, times, sql) in queries(codes, in_transit, courier).items():
        p50, p99 = await measure(con, name, run, times)
        results[name] = (p50, p99, await plan_flags(con, sql))
    return results


# ---------------------------------------------------------------------------
# The run


async def bench(args: argparse.Namespace) -> int:
    from postal.services.setup import prepare_database
    from postal.store.database import connect

    total = 5_000 if args.tiny else 100_000 if args.small else 1_000_000
    admin_dsn = server_dsn()
    name = f"postal_scale_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        con = await connect(with_database(admin_dsn, name))
        try:
            await prepare_database(con)
            await base_data(con)
            probe = probe_rows(1)
            small = len(probe) + (500 if args.tiny else 8_000)
            seconds = await load(con, iter([probe + bulk_rows(len(probe) + 1, small - len(probe), seed=3)]),
                                 rebuild_indexes=False)
            print(f"loaded {small:,} shipments, {small * EVENTS_PER_SHIPMENT:,} events in {seconds:.1f} s", flush=True)
            at_small = await measure_all(con)
            seconds = await load(con, bulk_chunks(small + 1, total - small), rebuild_indexes=True)
            print(f"grew to {total:,} shipments, {total * EVENTS_PER_SHIPMENT:,} events in {seconds:.1f} s", flush=True)
            at_big = await measure_all(con)
        finally:
            await con.close()
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    return report(small, total, at_small, at_big)


Figures = dict[str, tuple[float, float, str]]


def report(small: int, total: int, a: Figures, b: Figures) -> int:
    print(f"\n{'query':38} {f'{small:,} p50/p99 ms':>20} {f'{total:,} p50/p99 ms':>22}  p50 ×   plan at {total:,}")
    for name in a:
        (p50a, p99a, _), (p50b, p99b, plan) = a[name], b[name]
        print(f"{name:38} {p50a:9.2f} /{p99a:8.2f} {p50b:11.2f} /{p99b:8.2f}  {p50b / p50a:5.2f}   {plan}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="grow to 100,000 shipments instead of 1,000,000")
    parser.add_argument("--tiny", action="store_true", help="2,500 then 5,000 shipments: checks the machinery only")
    parser.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN by hand); drop it yourself")
    return asyncio.run(bench(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
