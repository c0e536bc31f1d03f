"""A small, hand-computable set of shipments for the SLA report tests (times in +07:00, the service's zone).

October 2026, agency AG-1, direction delivery (created → handed over, hours):
  A on time      05/10 08:00 → 09/10 08:00, due 10/10          96 h
  B late         05/10 08:00 → 12/10 10:00, due 10/10         170 h
  C due day      06/10 00:00 → 08/10 23:59, due 08/10       71.98 h (server recorded it the next morning)
  D returned     07/10, 2 failed attempts
  E cancelled    07/10
  F on time      10/10 10:00 → 14/10 10:00, due 15/10, 1 failed attempt, 96 h
  G rescheduled  11/10 09:00 → 18/10 09:00, first due 13/10, now 20/10: late against the first date, 168 h
  H open         12/10, out for delivery, due 15/10 (overdue now)
AG-1 pickup: K created 31/10 23:59:59 (last second of the period). Outside: I 30/09 23:59, J 01/11 00:00.
AG-2 delivery: L on time. Expected AG-1 delivery row: total 8, on time 3 (A C F), late 2 (B G), 60.00 %,
median 96.00 h, p95 169.60 h (168 + 0.8 × 2), failed attempts 3 of 8 attempts = 37.50 %.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import asyncpg

from postal.domain.codes import make_s10

ICT = timezone(timedelta(hours=7))
_serial = iter(range(1, 10_000))


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=ICT)


async def add(
    db: asyncpg.Connection, *, agency: str = "AG-1", direction: str = "delivery", status: str = "created",
    created: datetime, due: date, original_due: date | None = None, failed: int = 0,
    handed: datetime | None = None, completed: datetime | None = None,
) -> str:
    """Insert one shipment (and its applied ``delivered`` event when handed over); returns its code."""
    code = make_s10("RA", 50_000_000 + next(_serial))
    office = "PO-1" if agency == "AG-1" else "PO-2"
    terminal = status in ("delivered", "returned", "cancelled")
    shipment_id = await db.fetchval(
        "INSERT INTO shipments (tracking_code, direction, status, agency_code, post_office_code, dossier_code,"
        " citizen_name, citizen_phone, address_line, ward_code, province_code, due_date, original_due_date,"
        " failed_attempts, created_at, completed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, 'Nguyễn Văn An', '0912345678', 'Số 1', '08707', '25', $7, $8, $9, $10,"
        " $11) RETURNING id",
        code, direction, status, agency, office, f"D-{code}", due, original_due, failed, created,
        (completed or handed or created + timedelta(days=1)) if terminal else None,
    )
    if handed is not None:
        await db.execute(
            "INSERT INTO shipment_events (shipment_id, event, occurred_at, from_status, to_status)"
            " VALUES ($1, 'delivered', $2, 'out_for_delivery', 'delivered')", shipment_id, handed,
        )
    return code


async def build(db: asyncpg.Connection) -> dict[str, Any]:
    """The shipments of the module docstring; returns their codes by letter."""
    codes = {
        "A": await add(db, status="delivered", created=at(5, 8), due=date(2026, 10, 10), handed=at(9, 8)),
        "B": await add(db, status="delivered", created=at(5, 8), due=date(2026, 10, 10), handed=at(12, 10)),
        "C": await add(db, status="delivered", created=at(6), due=date(2026, 10, 8), handed=at(8, 23, 59),
                       completed=at(9, 8)),
        "D": await add(db, status="returned", created=at(7, 9), due=date(2026, 10, 12), failed=2),
        "E": await add(db, status="cancelled", created=at(7, 10), due=date(2026, 10, 12)),
        "F": await add(db, status="delivered", created=at(10, 10), due=date(2026, 10, 15), failed=1,
                       handed=at(14, 10)),
        "G": await add(db, status="delivered", created=at(11, 9), due=date(2026, 10, 20),
                       original_due=date(2026, 10, 13), handed=at(18, 9)),
        "H": await add(db, status="out_for_delivery", created=at(12, 9), due=date(2026, 10, 15)),
        "K": await add(db, direction="pickup", created=at(31, 23, 59, 59), due=date(2026, 11, 3)),
        "I": await add(db, status="delivered", created=at(30, 23, 59, month=9), due=date(2026, 10, 3),
                       handed=at(2, 9)),
        "J": await add(db, created=datetime(2026, 11, 1, tzinfo=ICT), due=date(2026, 11, 5)),
        "L": await add(db, agency="AG-2", status="delivered", created=at(20, 9), due=date(2026, 10, 25),
                       handed=at(21, 9)),
    }
    return codes
