"""Staff list search on 1,000,000 shipments: ``python -m bench.search [--shipments N] [--keep]``.

Loads N shipments (20 agencies; names, streets and phones drawn from Vietnamese lists; dossier codes of
the one-stop form) with COPY into a fresh database on ``DATABASE_URL``'s server (migrations applied, so
``search_text`` is generated and, where the server has pg_trgm, the trigram index exists; it is dropped
for the load and rebuilt after, as a bulk import would), then times, warm, the median of 5 runs of the
first page of ``GET /shipments?q=…`` for one agency's staff and for an admin, and prints
``EXPLAIN ANALYZE`` of each query. Target: < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.scans import server_dsn, with_database
from bench.sla import explain, timed
from postal.domain.access import Scope
from postal.domain.codes import make_s10
from postal.services.setup import prepare_database
from postal.services.shipments import _search_terms
from postal.store import shipments as shipments_store

AGENCIES = 20
CHUNK = 50_000
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Thu", "Hồng", "Kim"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh",
         "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Nhung", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo",
         "Thắng", "Trang", "Trung", "Tuấn", "Uyên", "Vân", "Việt", "Yến"]
STREETS = ["Hùng Vương", "Lê Lợi", "Trần Phú", "Nguyễn Trãi", "Lý Thường Kiệt", "Quang Trung", "Hai Bà Trưng",
           "Điện Biên Phủ", "Phan Đình Phùng", "Nguyễn Du", "Tô Hiến Thành", "Kim Ngọc", "Mê Linh", "Chùa Hà"]
COLUMNS = ("tracking_code", "direction", "status", "agency_code", "post_office_code", "dossier_code",
           "citizen_name", "citizen_phone", "address_line", "ward_code", "province_code", "due_date", "created_at")
START = datetime(2026, 1, 1, tzinfo=UTC)


def _row(i: int, rnd: random.Random) -> tuple[Any, ...]:
    created = START + timedelta(seconds=i * 30)
    name = f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"
    line = f"Số {rnd.randint(1, 300)} ngõ {rnd.randint(1, 90)} đường {rnd.choice(STREETS)}"
    dossier = f"000.00.{i % 99:02d}.H62-{created:%y%m%d}-{i % 10000:04d}"
    status = rnd.choice(["created", "picked_up", "in_transit", "delivered", "delivered", "delivered"])
    return (make_s10("RA", i + 1), "delivery" if i % 4 else "pickup", status, f"AG-{i % AGENCIES:02d}", "PO-1",
            dossier, name, f"09{rnd.randrange(10**8):08d}", line, "08707", "25",
            (created + timedelta(days=5)).date(), created)


def _chunks(n: int, seed: int = 14) -> Iterator[list[tuple[Any, ...]]]:
    rnd = random.Random(seed)
    for start in range(0, n, CHUNK):
        yield [_row(i, rnd) for i in range(start, min(n, start + CHUNK))]


async def load(con: asyncpg.Connection, n: int) -> tuple[float, float]:
    """Fixtures and ``n`` shipments by COPY, then the trigram index rebuilt; (load s, index s)."""
    started = time.perf_counter()
    await con.execute("INSERT INTO post_offices (code, name, province_code) VALUES ('PO-1', 'Bưu cục', '25')")
    await con.executemany(
        "INSERT INTO agencies (code, name, province_code, ward_code, post_office_code) VALUES ($1, $2, '25',"
        " '08707', 'PO-1')", [(f"AG-{a:02d}", f"Cơ quan {a}") for a in range(AGENCIES)])
    index = await con.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = 'shipments_search_trgm'")
    if index:
        await con.execute("DROP INDEX shipments_search_trgm")
    for rows in _chunks(n):
        await con.copy_records_to_table("shipments", records=rows, columns=COLUMNS)
    loaded = time.perf_counter()
    if index:
        await con.execute("SET maintenance_work_mem = '512MB'")
        await con.execute(index)
    await con.execute("ANALYZE shipments")
    return loaded - started, time.perf_counter() - loaded


QUERIES = ["hung vuong", "Nguyễn Thị Nhung", "duong", "4115",
           make_s10("RA", 1508),  # a whole code (an AG-07 shipment): looked up by the unique index
           "RA000004115VN",  # a typo: the check digit is wrong, so it is searched as a word
           "0912", "H62-260301", "tô hiến thành 12", "không có ai tên này"]


async def measure(con: asyncpg.Connection) -> None:
    for who, scope in (("staff AG-07", Scope(agency_code="AG-07")), ("admin", Scope())):
        for q in QUERIES:
            f = shipments_store.ListFilter(limit=50, **_search_terms(q))
            ms, page = await timed(functools.partial(shipments_store.list_shipments, con, scope, f))
            print(f"{who:12} q={q!r:24} {ms:7.1f} ms  {min(len(page), 50):3} rows")
    for q in ("hung vuong", "4115", "không có ai tên này"):
        f = shipments_store.ListFilter(limit=50, **_search_terms(q))
        sql, args = shipments_store.list_query(Scope(agency_code="AG-07"), f)
        print(f"\nEXPLAIN ANALYZE, staff AG-07, q={q!r}:\n" + await explain(con, sql, *args))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    server = server_dsn()  # DATABASE_URL, else the embedded PostgreSQL kept for benchmarks
    name = f"postal_bench_search_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        con = await asyncpg.connect(with_database(server, name))
        try:
            await prepare_database(con)
            copy_s, index_s = await load(con, args.shipments)
            print(f"loaded {args.shipments:,} shipments with COPY in {copy_s:.1f} s; trigram index in {index_s:.1f} s")
            await measure(con)
        finally:
            await con.close()
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
