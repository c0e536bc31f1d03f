"""The access audit (SPEC §13): a record per surface that shows personal data, none for public tracking,
one INSERT per request, ``GET /audit`` by role, the CSV export, and the append-only trigger."""

from __future__ import annotations

import csv
import io

import asyncpg
import pytest

from postal.cli import main
from tests.integration.privacy_support import accesses, last_id, sign_in
from tests.integration.scan_helpers import create_shipment


async def test_api_surfaces_write_one_record_each(client, world, db):
    code = await create_shipment(client, world)
    other = await create_shipment(client, world)
    assert await accesses(db) == []  # creating is not reading
    staff = world.auth("staff1")
    assert (await client.get(f"/api/v1/shipments/{code}", headers=staff)).status == 200
    assert (await client.get(f"/api/v1/shipments/{code}", headers=world.auth("integ1"))).status == 200
    assert (await client.get(f"/api/v1/shipments/{code}/label.pdf", headers=staff)).status == 200
    resp = await client.post("/api/v1/labels", json={"tracking_codes": [code, other], "format": "a4"}, headers=staff)
    assert resp.status == 200
    resp = await client.post("/api/v1/manifests", json={"tracking_codes": [code], "post_office_code": "PO-1"},
                             headers=staff)
    assert resp.status == 201, await resp.text()
    manifest = (await resp.json())["id"]
    assert (await client.get(f"/api/v1/manifests/{manifest}", headers=staff)).status == 200  # codes only: no record
    assert (await client.get(f"/api/v1/manifests/{manifest}.pdf", headers=staff)).status == 200
    assert await accesses(db) == [
        ("staff1", "shipment.detail", code), ("integ1", "shipment.detail", code), ("staff1", "label", code),
        ("staff1", "labels.batch", code), ("staff1", "labels.batch", other), ("staff1", "manifest", code),
    ]


async def test_a_list_writes_its_rows_in_one_statement(client, world, db):
    codes = [await create_shipment(client, world) for _ in range(3)]
    resp = await client.get("/api/v1/shipments?limit=2", headers=world.auth("staff1"))
    assert resp.status == 200
    assert await accesses(db) == [("staff1", "shipment.list", codes[2]), ("staff1", "shipment.list", codes[1])]
    # one statement: one now() for all rows (two statements in autocommit would get two)
    assert await db.fetchval("SELECT count(DISTINCT at) FROM access_log") == 1
    resp = await client.get("/api/v1/shipments?q=RA000000000VN", headers=world.auth("staff1"))
    assert (await resp.json())["items"] == [] and len(await accesses(db)) == 2  # nothing shown, nothing written


async def test_pickup_slip_and_apology(client, world, db):
    code = await create_shipment(client, world, direction="pickup")
    assert (await client.get(f"/api/v1/shipments/{code}/pickup-slip.pdf", headers=world.auth("staff1"))).status == 200
    assert await accesses(db) == [("staff1", "pickup_slip", code)]


async def test_public_tracking_writes_nothing(client, world, db):
    code = await create_shipment(client, world)
    assert (await client.get(f"/api/v1/track/{code}?phone4=5678")).status == 200
    assert (await client.get(f"/t/{code}?phone4=5678")).status == 200
    assert await accesses(db) == []


async def test_staff_pages(client, world, db):
    code = await create_shipment(client, world)
    await sign_in(client, "staff1", "/staff")
    assert await accesses(db) == [("staff1", "page.staff.list", code)]
    mark = await last_id(db)
    assert (await client.get(f"/staff/shipments/{code}")).status == 200
    assert await accesses(db, mark) == [("staff1", "page.staff.detail", code)]


async def test_courier_pages(client, world, db):
    code = await create_shipment(client, world)
    await sign_in(client, "courier1", "/courier")
    assert await accesses(db) == [("courier1", "page.courier.list", code)]
    mark = await last_id(db)
    assert (await client.get(f"/courier/items/{code}")).status == 200
    assert await accesses(db, mark) == [("courier1", "page.courier.item", code)]


async def test_audit_api_by_role(client, world, db):
    mine = await create_shipment(client, world)
    assert (await client.get(f"/api/v1/shipments/{mine}", headers=world.auth("staff1"))).status == 200
    theirs = await create_shipment(client, world)
    await world.db.execute("UPDATE shipments SET agency_code = 'AG-2', post_office_code = 'PO-2'"
                           " WHERE tracking_code = $1", theirs)
    assert (await client.get(f"/api/v1/shipments/{theirs}", headers=world.auth("staff2"))).status == 200
    admin = await (await client.get("/api/v1/audit", headers=world.auth("admin"))).json()
    assert [(i["username"], i["tracking_code"]) for i in admin["items"]] == [("staff2", theirs), ("staff1", mine)]
    staff = await (await client.get("/api/v1/audit", headers=world.auth("staff1"))).json()
    assert [(i["username"], i["tracking_code"]) for i in staff["items"]] == [("staff1", mine)]
    by_code = await (await client.get(f"/api/v1/audit?tracking_code={theirs}", headers=world.auth("admin"))).json()
    assert [i["action"] for i in by_code["items"]] == ["shipment.detail"]
    by_user = await (await client.get("/api/v1/audit?user=staff1&from=2020-01-01&to=2099-12-31",
                                      headers=world.auth("admin"))).json()
    assert [i["tracking_code"] for i in by_user["items"]] == [mine]
    for probe in (f"tracking_code={theirs}", "user=staff2"):  # staff cannot reach another agency's records
        page = await (await client.get(f"/api/v1/audit?{probe}", headers=world.auth("staff1"))).json()
        assert page["items"] == [], probe
    for who in ("courier1", "integ1"):
        assert (await client.get("/api/v1/audit", headers=world.auth(who))).status == 403
    assert (await client.get("/api/v1/audit")).status == 401


async def test_audit_api_paginates_and_checks_input(client, world, db):
    code = await create_shipment(client, world)
    for _ in range(3):
        await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))
    seen: list[int] = []
    url: str | None = "/api/v1/audit?limit=2"
    while url:
        page = await (await client.get(url, headers=world.auth("admin"))).json()
        seen += [i["id"] for i in page["items"]]
        url = f"/api/v1/audit?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else None
    assert len(seen) == 3 and seen == sorted(seen, reverse=True)
    for bad, field in (("from=2026-02-30", "from"), ("from=2026-05-02&to=2026-05-01", "to"),
                       ("tracking_code=nope", "tracking_code"), ("user=A%20B", "user"), ("limit=0", "limit")):
        resp = await client.get(f"/api/v1/audit?{bad}", headers=world.auth("admin"))
        assert resp.status == 422, bad
        assert field in [e["field"] for e in (await resp.json())["errors"]], bad
    assert (await client.get("/api/v1/audit?cursor=xyz", headers=world.auth("admin"))).status == 400


async def test_audit_rows_refuse_update_and_delete(client, world, db):
    code = await create_shipment(client, world)
    await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("UPDATE access_log SET action = 'label'")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("DELETE FROM access_log")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await db.execute("TRUNCATE access_log")
    # the purge function deletes only what is older than its cut-off
    assert await db.fetchval("SELECT purge_access_log(now() - interval '1 day', 100)") == 0
    async with db.transaction():
        await db.execute("SELECT set_config('postal.access_log_purge_before', (now() - interval '1 day')::text, true)")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await db.execute("DELETE FROM access_log")  # a recent row, even with the setting
    assert await db.fetchval("SELECT count(*) FROM access_log") == 1


async def test_cli_export_and_audit_retention(client, world, db, settings, monkeypatch, tmp_path, capsys):
    code = await create_shipment(client, world)
    await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))
    await client.get(f"/api/v1/shipments/{code}", headers=world.auth("admin"))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    out = tmp_path / "audit.csv"
    assert await _run(["audit", "export", "--from", "2020-01-01", "--to", "2099-12-31", "--output", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [(r["username"], r["action"], r["tracking_code"]) for r in rows] == [
        ("staff1", "shipment.detail", code), ("admin", "shipment.detail", code)]
    assert await _run(["audit", "export", "--from", "2020-01-01", "--to", "2020-01-02"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("id,at,username")
    assert await _run(["audit", "export", "--from", "2020-13-01", "--to", "2020-01-02"]) == 2
    # records older than their own retention go, through the purge function only
    await db.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_append_only")
    await db.execute("UPDATE access_log SET at = now() - interval '800 days'"
                     " WHERE id = (SELECT min(id) FROM access_log)")
    await db.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_append_only")
    assert await _run(["purge"]) == 0
    assert "deleted 1 access record(s) older than 730 day(s)" in capsys.readouterr().out
    assert await accesses(db) == [("admin", "shipment.detail", code)]


async def _run(argv: list[str]) -> int:
    import asyncio

    return await asyncio.to_thread(main, argv)
