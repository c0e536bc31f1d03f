"""The overdue watcher: one `late` outbox row per shipment and due date, on two loops and on two `postal worker`s."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg

from postal.services.overdue import notify_all_overdue, notify_overdue_once
from postal.services.views import Clock
from postal.store.database import create_pool
from tests.integration.scan_helpers import create_shipment

API = "/api/v1/shipments"


@dataclass(frozen=True)
class DayClock(Clock):
    """The service's clock with "today" fixed, to let a due date pass."""

    day: date = date(2026, 1, 1)

    def today(self) -> date:
        return self.day


async def late_rows(db: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await db.fetch("SELECT payload FROM outbox WHERE topic = 'notification.late' ORDER BY id")
    return [json.loads(r["payload"]) for r in rows]


async def seed(db: asyncpg.Connection, today: date, overdue: int) -> None:
    """``overdue`` open shipments past due, plus one due today, one cancelled and one delivered past due."""
    args = []
    for i in range(overdue + 3):
        status = "cancelled" if i == overdue + 1 else "delivered" if i == overdue + 2 else "picked_up"
        due = today if i == overdue else today - timedelta(days=1 + i % 5)
        args.append((f"RA{90000000 + i:08d}VN", status, due, f"D-{i}"))
    await db.executemany(
        "INSERT INTO shipments (tracking_code, direction, status, agency_code, post_office_code, dossier_code,"
        " citizen_name, citizen_phone, address_line, ward_code, province_code, due_date)"
         " VALUES ($1, 'delivery', $2, 'AG-1', 'PO-1', $4, 'Tên', '0912345678', 'Số 1', '08707', '25', $3)", args)


async def test_two_loops_emit_once_per_shipment_and_due_date(world, db, dsn, settings):
    today = Clock(settings).today()
    await seed(db, today, 40)
    clock = Clock(settings)
    pools = [await create_pool(dsn, settings) for _ in range(2)]
    try:
        async def loop(pool: asyncpg.Pool) -> int:
            total = 0
            while (n := await notify_overdue_once(pool, clock, batch=3)) > 0:
                total += n
            return total

        counts = await asyncio.gather(*(loop(p) for p in pools), *(loop(p) for p in pools))
        assert sum(counts) == 40
        assert await notify_all_overdue(pools[0], clock) == 0  # nothing left, nothing twice
    finally:
        for pool in pools:
            await pool.close()
    rows = await late_rows(db)
    assert len(rows) == 40 and len({r["tracking_code"] for r in rows}) == 40
    assert {r["cause"] for r in rows} == {"overdue"}
    assert all(date.fromisoformat(r["due_date"]) < today for r in rows)
    assert not any("Tên" in json.dumps(r, ensure_ascii=False) or "0912345678" in json.dumps(r) for r in rows)


async def test_reschedule_then_overdue_again_emits_a_second(client, world, db, dsn, settings):
    today = Clock(settings).today()
    code = await create_shipment(client, world, **{"dossier.appointment_date": (today - timedelta(days=2)).isoformat()})
    pool = await create_pool(dsn, settings)
    try:
        assert await notify_all_overdue(pool, Clock(settings)) == 1
        new_date = today + timedelta(days=3)
        resp = await client.post(f"{API}/{code}/reschedule", json={"new_date": new_date.isoformat(),
                                                                   "reason": "Chờ ký duyệt."},
                                 headers=world.auth("staff1"))
        assert resp.status == 200
        assert await notify_all_overdue(pool, DayClock(settings, new_date)) == 0  # due today: not late yet
        later = DayClock(settings, new_date + timedelta(days=1))
        assert await notify_all_overdue(pool, later) == 1
        assert await notify_all_overdue(pool, later) == 0
    finally:
        await pool.close()
    rows = await late_rows(db)
    assert [(r["cause"], r["due_date"]) for r in rows] == [
        ("overdue", (today - timedelta(days=2)).isoformat()), ("rescheduled", new_date.isoformat()),
        ("overdue", new_date.isoformat())]
    assert {r["original_due_date"] for r in rows} == {(today - timedelta(days=2)).isoformat()}


async def test_two_worker_processes_emit_once(world, db, settings):
    await seed(db, Clock(settings).today(), 25)
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTAL_SECRET_KEY": settings.secret_key,
           "POSTAL_DATA_DIR": str(settings.data_dir)}
    procs = [await asyncio.create_subprocess_exec(sys.executable, "-m", "postal.cli", "worker", env=env,
                                                  stderr=asyncio.subprocess.PIPE) for _ in range(2)]
    try:
        for _ in range(200):  # up to a minute
            if await db.fetchval("SELECT count(*) FROM overdue_notices") >= 25:
                break
            await asyncio.sleep(0.3)
        await asyncio.sleep(1.0)  # let a slower second process finish its round too
        assert all(p.returncode is None for p in procs)
    finally:
        for p in procs:
            p.terminate()
        stderrs = [(await p.communicate())[1].decode() for p in procs]
    assert all("Traceback" not in err for err in stderrs), stderrs
    rows = await late_rows(db)
    assert len(rows) == 25 and len({r["tracking_code"] for r in rows}) == 25
