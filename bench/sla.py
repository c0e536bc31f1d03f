"""SLA report and overdue list on 1,000,000 shipments: ``python -m bench.sla [--shipments N] [--keep]``.

Loads N shipments (20 agencies, 12 months of 2026, 70 % delivered with their ``delivered`` event, some
returned, cancelled, rescheduled or still open) with COPY into a fresh database on ``DATABASE_URL``'s server,
then times, warm, the median of 5 runs of: the SLA report of one agency for one month, the same for every
agency (admin), the first page of one agency's overdue list (``GET /shipments?overdue=true``), and the
overdue watcher's round when there is nothing new. Prints ``EXPLAIN ANALYZE`` of each. Targets: report
< 500 ms, overdue list < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench.scans import server_dsn, with_database
from postal.domain.access import Scope
from postal.domain.codes import make_s10
from postal.services.setup import prepare_database
from postal.store import overdue, reports
from postal.store import shipments as shipments_store

AGENCIES = 20
CHUNK = 50_000
TZ = "Asia/Ho_Chi_Minh"
START = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(hours=7)
COLUMNS = ("tracking_code", "direction", "status", "agency_code", "post_office_code", "dossier_code",
           "citizen_name", "citizen_phone", "address_line", "ward_code", "province_code", "due_date",
           "original_due_date", "failed_attempts", "created_at", "completed_at")


def _shipment(i: int, rnd: random.Random) -> tuple[tuple[Any, ...], datetime | None]:
    """One shipment row and its handover time (None when not delivered)."""
    created = START + timedelta(seconds=rnd.randrange(365 * 86400))
    due = (created + timedelta(hours=7)).date() + timedelta(days=rnd.randint(2, 10))
    roll = rnd.random()
    status, handed, failed = "delivered", None, 0
    if roll < 0.70:
        handed = created + timedelta(hours=rnd.uniform(4, 24 * 12))
        failed = 1 if rnd.random() < 0.1 else 0
    elif roll < 0.75:
        status, failed = "returned", 3
    elif roll < 0.80:
        status = "cancelled"
    else:
        status = rnd.choice(["created", "picked_up", "in_transit", "out_for_delivery", "delivery_failed"])
    original = due - timedelta(days=3) if rnd.random() < 0.02 else None
    agency = f"AG-{i % AGENCIES:02d}"
    terminal = status in ("delivered", "returned", "cancelled")
    row = (make_s10("RA", i + 1), "delivery" if (i // AGENCIES) % 4 else "pickup", status, agency, "PO-1", f"D-{i}",
           "Nguyễn Văn An", "0912345678", "Số 1", "08707", "25", due, original, failed, created,
           (handed or created + timedelta(days=3)) if terminal else None)
    return row, handed


def _chunks(n: int, seed: int = 7) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[int, datetime]]]]:
    rnd = random.Random(seed)
    for start in range(0, n, CHUNK):
        rows, handed = [], []
        for i in range(start, min(n, start + CHUNK)):
            row, at = _shipment(i, rnd)
            rows.append(row)
            if at is not None:
                handed.append((i + 1, at))  # ids follow insertion order in a fresh table
        yield rows, handed


async def load(con: asyncpg.Connection, n: int) -> float:
    """Agencies, a post office and ``n`` shipments (with delivered events) by COPY; returns seconds."""
    started = time.perf_counter()
    await con.execute("INSERT INTO post_offices (code, name, province_code) VALUES ('PO-1', 'Bưu cục', '25')")
    await con.executemany(
        "INSERT INTO agencies (code, name, province_code, ward_code, post_office_code) VALUES ($1, $2, '25',"
        " '08707', 'PO-1')", [(f"AG-{a:02d}", f"Cơ quan {a}") for a in range(AGENCIES)])
    for rows, handed in _chunks(n):
        await con.copy_records_to_table("shipments", records=rows, columns=COLUMNS)
        await con.copy_records_to_table(
            "shipment_events", columns=("shipment_id", "event", "occurred_at", "from_status", "to_status"),
            records=[(sid, "delivered", at, "out_for_delivery", "delivered") for sid, at in handed])
    await con.execute("ANALYZE")
    return time.perf_counter() - started


async def timed(fn: Callable[[], Awaitable[Any]], runs: int = 5) -> tuple[float, Any]:
    """Median milliseconds of ``runs`` warm runs, and the last result."""
    result = await fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), result


async def explain(con: asyncpg.Connection, sql: str, *args: Any) -> str:
    rows = await con.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)
    return "\n".join(r[0] for r in rows)


async def measure(con: asyncpg.Connection) -> None:
    march = (date(2026, 3, 1), date(2026, 3, 31))
    today = date(2026, 12, 31)
    ms, rows = await timed(lambda: reports.sla_rows(con, *march, TZ, "AG-07"))
    print(f"SLA report, one agency, March: {ms:.1f} ms ({sum(r['total'] for r in rows)} shipments, target < 500)")
    ms_all, rows = await timed(lambda: reports.sla_rows(con, *march, TZ, None))
    print(f"SLA report, all agencies, March: {ms_all:.1f} ms ({sum(r['total'] for r in rows)} shipments)")
    f = shipments_store.ListFilter(overdue=True, today=today, timezone=TZ, limit=50)
    ms_od, page = await timed(lambda: shipments_store.list_shipments(con, Scope(agency_code="AG-07"), f))
    print(f"Overdue list, one agency, first page: {ms_od:.1f} ms ({len(page)} rows, target < 100)")
    async with con.transaction():
        claimed = len(await overdue.claim_new_overdue(con, today, 1_000_000))
    ms_w, _ = await timed(lambda: overdue.claim_new_overdue(con, today, 500))
    print(f"Overdue watcher: first round noticed {claimed}; a round with nothing new: {ms_w:.1f} ms")
    print("\nEXPLAIN ANALYZE, one agency-month report:\n" + await explain(con, reports._ROWS_SQL, *march, TZ, "AG-07"))
    sql, args = shipments_store.list_query(Scope(agency_code="AG-07"), f)
    print("\nEXPLAIN ANALYZE, overdue list:\n" + await explain(con, sql, *args))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    server = server_dsn()  # DATABASE_URL, else the embedded PostgreSQL kept for benchmarks
    name = f"postal_bench_sla_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        con = await asyncpg.connect(with_database(server, name))
        try:
            await prepare_database(con)
            print(f"loaded {args.shipments:,} shipments with COPY in {await load(con, args.shipments):.1f} s")
            await measure(con)
        finally:
            await con.close()
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
