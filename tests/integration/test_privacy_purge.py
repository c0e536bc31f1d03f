"""The retention purge (SPEC §13): after ``postal purge --days 0`` no surface shows the erased fields,
while tracking and the SLA report still work; idempotent, safe on two concurrent workers, counted in
/metrics; the events' trigger lets only the purge blank their personal parts."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from PIL import Image
from pypdf import PdfReader

from postal.cli import main
from postal.domain.signing import sign_code
from postal.services import retention
from postal.services.views import Clock
from postal.workers import retention as worker
from tests.integration import tracking_support as ts
from tests.integration.privacy_support import sign_in

ERASED = (ts.NAME, ts.PHONE, ts.ID_NUMBER, ts.STREET, ts.NOTE, "21.3089", "105.6049", "Hùng Vương", "Nguyễn")
TABLES = ("shipments", "shipment_events", "scan_attachments", "notifications", "notification_attempts", "outbox",
          "webhook_deliveries", "idempotency_keys", "print_log", "access_log")


def traces(text: str) -> list[str]:
    return [s for s in ERASED if s in text]


async def _delivered(client, world, db) -> str:
    """A delivered shipment with every kind of personal copy: proof name, geo, an attachment, an idempotency key."""
    resp = await client.post("/api/v1/shipments", json=ts.body(), headers={**world.auth("staff1"),
                                                                           "Idempotency-Key": "k-1"})
    assert resp.status == 201
    code = (await resp.json())["tracking_code"]
    await ts.move(db, code, ts.PATHS["delivered"])
    event_id = await db.fetchval("SELECT e.id FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id"
                                 " WHERE s.tracking_code = $1 AND e.event = 'delivered'", code)
    await db.execute("INSERT INTO scan_attachments (event_id, kind, media_type, size_bytes, sha256, data)"
                     " VALUES ($1, 'signature', 'image/png', 4, '\\x00', '\\x89504e47')", event_id)
    return code


async def _cli(argv: list[str], settings, monkeypatch) -> int:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    return await asyncio.to_thread(main, argv)


def _sla_url() -> str:
    today = datetime.now(UTC).date()
    return f"/api/v1/reports/sla?from={today - timedelta(days=2)}&to={today + timedelta(days=2)}"


async def test_purge_leaves_no_trace_but_tracking_and_reports_work(client, world, db, settings, monkeypatch, capsys):
    code = await _delivered(client, world, db)
    open_one = (await ts.create(client, world))["tracking_code"]  # same citizen, still open: untouched
    staff = world.auth("staff1")
    await db.execute("INSERT INTO zalo_subscriptions (user_id, shipment_id) SELECT 'zalo-user-1', id FROM shipments"
                     " WHERE tracking_code = $1", code)
    sla_before = await (await client.get(_sla_url(), headers=staff)).json()
    track_before = await (await client.get(f"/api/v1/track/{code}")).json()

    assert await _cli(["purge", "--days", "0"], settings, monkeypatch) == 0
    assert "purged 1 shipment(s)" in capsys.readouterr().out
    assert await _cli(["purge", "--days", "0"], settings, monkeypatch) == 0  # idempotent
    assert "purged 0 shipment(s)" in capsys.readouterr().out

    # the database: no copy of an erased field anywhere, for the purged shipment
    sid = await db.fetchval("SELECT id FROM shipments WHERE tracking_code = $1", code)
    for table in TABLES:
        column = "id" if table == "shipments" else "shipment_id"
        if table == "scan_attachments":
            rows = await db.fetch("SELECT a.* FROM scan_attachments a JOIN shipment_events e ON e.id = a.event_id"
                                  " WHERE e.shipment_id = $1", sid)
            assert rows == []
            continue
        if table in ("notification_attempts", "webhook_deliveries"):
            rows = await db.fetch(f"SELECT t.* FROM {table} t")
        else:
            rows = await db.fetch(f"SELECT t.* FROM {table} t WHERE {column} = $1", sid)
        assert traces(json.dumps([dict(r) for r in rows], default=str, ensure_ascii=False)) == [], table
    row = await db.fetchrow("SELECT * FROM shipments WHERE id = $1", sid)
    assert row["citizen_name"] == ts.MASKED and row["citizen_phone"] == "" and row["citizen_id_number"] is None
    assert row["purged_at"] is not None and row["status"] == "delivered" and row["ward_code"] == "08707"
    assert await db.fetchval("SELECT citizen_name FROM shipments WHERE tracking_code = $1", open_one) == ts.NAME
    assert await db.fetchval("SELECT count(*) FROM zalo_subscriptions WHERE shipment_id = $1", sid) == 0

    # the API, as staff and admin
    for who in ("staff1", "admin"):
        resp = await client.get(f"/api/v1/shipments/{code}", headers=world.auth(who))
        data = await resp.json()
        assert traces(await resp.text()) == [] and data["citizen"]["name"] == ts.MASKED, who
        assert data["purged_at"] is not None and data["citizen"]["phone"] == ""
        assert data["citizen"]["address"]["line"] == "" and data["citizen"]["id_number"] is None
        assert [e["event"] for e in data["events"]] == ts.PATHS["delivered"]
    for q in (ts.NAME, ts.PHONE, "+84" + ts.PHONE[1:], ts.STREET):
        page = await (await client.get("/api/v1/shipments", params={"q": q}, headers=staff)).json()
        assert code not in [i["tracking_code"] for i in page["items"]], q
    page = await client.get("/api/v1/shipments", headers=staff)
    items = {i["tracking_code"]: i for i in (await page.json())["items"]}
    assert traces(json.dumps(items[code], ensure_ascii=False)) == []

    # printed documents
    for url in (f"/api/v1/shipments/{code}/label.pdf",):
        resp = await client.get(url, headers=staff)
        assert resp.status == 200
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(await resp.read())).pages)
        assert code in text and traces(text) == [], url
    resp = await client.post("/api/v1/labels", json={"tracking_codes": [code], "format": "a4"}, headers=staff)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(await resp.read())).pages)
    assert traces(text) == []

    # the data subject's export no longer finds it by phone; only the open one
    export = await (await client.get("/api/v1/citizens/export", params={"phone": ts.PHONE},
                                     headers=world.auth("admin"))).json()
    assert [s["tracking_code"] for s in export["shipments"]] == [open_one]

    # tracking and the SLA report still work
    track = await (await client.get(f"/api/v1/track/{code}")).json()
    assert track == track_before
    sig = sign_code(code, b"test-secret-key-not-for-production")
    proven = await (await client.get(f"/api/v1/track/{code}", params={"s": sig})).json()
    assert proven["recipient"]["name"] == ts.MASKED
    phone4 = await (await client.get(f"/api/v1/track/{code}", params={"phone4": ts.PHONE4})).json()
    assert "recipient" not in phone4  # the phone is gone: the proof fails safely, public view
    html = await (await client.get(f"/t/{code}")).text()
    assert code in html and traces(html) == []
    assert await (await client.get(_sla_url(), headers=staff)).json() == sla_before

    # metrics
    metrics = await (await client.get("/metrics")).text()
    assert "postal_shipments_purged 1.0" in metrics


async def test_pages_show_no_trace(client, world, db, settings, monkeypatch):
    code = await _delivered(client, world, db)
    assert await _cli(["purge", "--days", "0"], settings, monkeypatch) == 0
    await sign_in(client, "staff1", "/staff")
    for url in ("/staff", f"/staff/shipments/{code}"):
        html = await (await client.get(url)).text()
        assert code in html and traces(html) == [], url
    for q in (ts.PHONE, ts.NAME):  # the search box repeats what was typed; the purged shipment is not found
        html = await (await client.get("/staff", params={"q": q})).text()
        assert code not in html, q
    await client.post("/logout", allow_redirects=False)
    client.session.cookie_jar.clear()
    await sign_in(client, "courier1", "/courier")
    html = await (await client.get(f"/courier/items/{code}")).text()
    assert code in html and traces(html) == []


async def test_retention_days_are_honoured(client, world, db, dsn):
    code = await _delivered(client, world, db)
    now = datetime.now(UTC)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        assert await retention.purge_due(pool, now, 365) == 0
        await db.execute("UPDATE shipments SET completed_at = now() - interval '366 days'"
                         " WHERE tracking_code = $1", code)
        assert await retention.purge_due(pool, now, 365) == 1
    finally:
        await pool.close()


async def test_two_concurrent_workers_purge_each_shipment_once(client, world, db, dsn):
    codes = []
    for _ in range(25):
        codes.append((await ts.create(client, world))["tracking_code"])
        await db.execute("UPDATE shipments SET status = 'cancelled', completed_at = now() - interval '1 hour'"
                         " WHERE tracking_code = $1", codes[-1])
    pools = [await asyncpg.create_pool(dsn, min_size=1, max_size=2) for _ in range(2)]
    try:
        now = datetime.now(UTC)
        counts = await asyncio.gather(*(retention.purge_due(p, now, 0, batch=3) for p in pools))
    finally:
        for p in pools:
            await p.close()
    assert sum(counts) == 25
    assert await db.fetchval("SELECT count(*) FROM shipments WHERE purged_at IS NOT NULL") == 25


async def test_events_stay_append_only_outside_the_purge(client, world, db):
    code = (await ts.create(client, world))["tracking_code"]
    await ts.move(db, code, ["picked_up"])
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("UPDATE shipment_events SET details = '{}'")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("DELETE FROM shipment_events")
    async with db.transaction():
        await db.execute("SELECT set_config('postal.purge', 'on', true)")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await db.execute("UPDATE shipment_events SET event = 'delivered'")


async def test_worker_round_uses_the_settings(client, world, db, dsn, settings):
    code = await _delivered(client, world, db)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        assert await worker.run_once(pool, Clock(settings)) == (0, 0)  # 365 days by default
        assert await worker.run_once(pool, Clock(settings.model_copy(update={"retention_days": 0}))) == (1, 0)
    finally:
        await pool.close()
    assert await db.fetchval("SELECT purged_at IS NOT NULL FROM shipments WHERE tracking_code = $1", code)


async def test_late_writes_after_the_purge_carry_no_personal_data(client, world, db, dsn):
    """An offline device syncing after an early purge: its event is stored blanked, its photo refused."""
    from tests.integration.scan_helpers import delivery_proof, scan, scan_body, walk

    resp = await client.post("/api/v1/shipments", json=ts.body(), headers=world.auth("staff1"))
    code = (await resp.json())["tracking_code"]
    await walk(client, world, code, ["picked_up", "out_for_delivery"], start=-120)
    late = scan_body(code, "delivered", -119.5, proof=delivery_proof(value=ts.ID_NUMBER[-4:]),
                     location={"lat": 21.3089, "lon": 105.6049})
    await db.execute("UPDATE shipments SET status = 'returned', completed_at = now() WHERE tracking_code = $1", code)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        assert await retention.purge_due(pool, datetime.now(UTC), 0) == 1
    finally:
        await pool.close()
    resp = await scan(client, world, late)
    assert resp.status == 201 and (await resp.json())["event"]["applied"] is False, await resp.text()
    rows = await db.fetch("SELECT e.details::text AS d, e.lat FROM shipment_events e JOIN shipments s"
                          " ON s.id = e.shipment_id WHERE s.tracking_code = $1", code)
    assert all(traces(r["d"]) == [] and r["lat"] is None for r in rows)
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    resp = await client.post(f"/api/v1/scans/{late['client_event_id']}/attachment?kind=signature",
                             data=out.getvalue(), headers={**world.auth("courier1"), "Content-Type": "image/png"})
    assert resp.status == 409, await resp.text()
    assert await db.fetchval("SELECT count(*) FROM scan_attachments") == 0


async def test_the_scrub_trigger_names_the_domain_keys(db):
    from postal.domain.privacy import ERASED_DETAIL_KEYS

    source = await db.fetchval("SELECT prosrc FROM pg_proc WHERE proname = 'shipment_events_scrub_purged'")
    listed = source.split("ARRAY[", 1)[1].split("]", 1)[0]
    assert sorted(k.strip(" '") for k in listed.split(",")) == sorted(ERASED_DETAIL_KEYS)
