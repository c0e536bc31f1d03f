"""Helpers shared by the scan tests: create shipments, build scan bodies, walk a shipment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.integration.payloads import create_body

BACKDATE = timedelta(days=1)
ID_LAST4 = "2345"  # the last 4 digits of payloads.CREATE's citizen id_number


def now_iso(offset_minutes: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=offset_minutes)).isoformat()


VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vietnam_time(days_ago: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Vietnam ``days_ago`` days before today: a past date that moves with the
    calendar (a fixed one falls out of what a scan may be dated as the days go by)."""
    day = datetime.now(VIETNAM).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), VIETNAM)


def scan_body(code: str, event: str, offset_minutes: float = 0, **extra: Any) -> dict[str, Any]:
    """A scan body; times default to now, and each body gets a fresh client_event_id."""
    return {"code": code, "event": event, "occurred_at": now_iso(offset_minutes),
            "client_event_id": str(uuid.uuid4()), **extra}


def delivery_proof(value: str = ID_LAST4, method: str = "id_last4", **extra: Any) -> dict[str, Any]:
    return {"recipient_name": "Nguyễn Thị Hồng Nhung", "relationship": "self",
            "verification": {"method": method, "value": value}, **extra}


async def backdate(world: Any, code: str, by: timedelta = BACKDATE) -> None:
    """Say the shipment was registered ``by`` ago (at the latest), so scans dated in the past are
    possible: a scan dated before the shipment's creation is refused (postal.domain.chronology)."""
    await world.db.execute(
        "UPDATE shipments SET created_at = LEAST(created_at, now() - $2::interval) WHERE tracking_code = $1",
        code, by,
    )


async def create_shipment(client: Any, world: Any, **changes: Any) -> str:
    """A shipment created by staff1 (post office PO-1 unless changed) a day ago; returns its tracking code."""
    resp = await client.post("/api/v1/shipments", json=create_body(**changes), headers=world.auth("staff1"))
    assert resp.status == 201, await resp.text()
    code = str((await resp.json())["tracking_code"])
    await backdate(world, code)
    return code


async def scan(client: Any, world: Any, body: dict[str, Any], who: str = "courier1") -> Any:
    return await client.post("/api/v1/scans", json=body, headers=world.auth(who))


async def walk(client: Any, world: Any, code: str, events: list[str], start: float = -60) -> None:
    """Record ``events`` in order, a minute apart, each expected to apply."""
    await backdate(world, code)
    for i, event in enumerate(events):
        extra: dict[str, Any] = {}
        if event == "delivery_failed":
            extra["reason_code"] = "absent"
        resp = await scan(client, world, scan_body(code, event, start + i, **extra))
        assert resp.status == 201, await resp.text()
