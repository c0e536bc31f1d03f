"""`postal demo` (issue 8, item 18): run as a user runs it, twice, then every shipment's history checked."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg

from postal.domain.lifecycle import TERMINAL, Status
from tests.integration.test_cli import postal

ALL = {s.value for s in Status}


async def _counts(con: asyncpg.Connection) -> dict[str, int]:
    rows = await con.fetch("SELECT status, count(*) AS n FROM shipments GROUP BY status")
    counts = {r["status"]: r["n"] for r in rows}
    counts["events"] = await con.fetchval("SELECT count(*) FROM shipment_events")
    counts["outbox"] = await con.fetchval("SELECT count(*) FROM outbox")
    return counts


def _check_history(shipment: asyncpg.Record, events: list[asyncpg.Record], now: datetime) -> None:
    code = shipment["tracking_code"]
    assert shipment["created_at"] <= now, code
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times) and len(set(times)) == len(times), code  # strictly in order
    if events:
        assert times[0] > shipment["created_at"], code
        assert times[-1] <= now, code
        assert all(e["applied"] for e in events), code
        assert events[-1]["to_status"] == shipment["status"], code
        assert [e["from_status"] for e in events[1:]] == [e["to_status"] for e in events[:-1]], code
        assert events[0]["from_status"] == "created", code
    else:
        assert shipment["status"] == "created", code


async def test_demo_walks_every_status_through_the_services_in_order(settings, dsn):
    first = postal(settings, "demo")
    assert first.returncode == 0, first.stderr
    con = await asyncpg.connect(dsn)
    await con.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    try:
        after_first = await _counts(con)
        second = postal(settings, "demo")
        assert second.returncode == 0, second.stderr
        assert await _counts(con) == after_first  # safe to run twice: nothing added
        now = datetime.now(UTC)
        shipments = await con.fetch("SELECT * FROM shipments ORDER BY id")
        assert {s["status"] for s in shipments} == ALL
        for s in shipments:
            events = await con.fetch("SELECT * FROM shipment_events WHERE shipment_id = $1 ORDER BY id", s["id"])
            _check_history(s, events, now)
        today = await con.fetchval("SELECT (now() AT TIME ZONE $1)::date", settings.timezone)
        overdue = [s for s in shipments if s["status"] not in TERMINAL and s["due_date"] < today]
        assert len({s["status"] for s in overdue}) >= 3
        # through the scan service: each applied event wrote its outbox row; handovers carry their proof
        changed = await con.fetchval("SELECT count(*) FROM outbox WHERE topic = 'shipment.status_changed'")
        assert changed == after_first["events"]
        scans = await con.fetch("SELECT e.*, s.direction FROM shipment_events e JOIN shipments s"
                                " ON s.id = e.shipment_id WHERE e.event <> 'cancel'")
        assert scans and all(e["client_event_id"] and e["post_office_code"] == "BC-VINHYEN" for e in scans)
        for e in (e for e in scans if e["event"] == "delivered"):
            assert e["details"]["recipient_name"]
            if e["direction"] == "delivery":
                assert e["details"]["verified"] is True and e["details"]["relationship"] == "self"
        failed = [e for e in scans if e["event"] == "delivery_failed"]
        assert failed and all(e["details"]["reason_code"] == "absent" for e in failed)
    finally:
        await con.close()
