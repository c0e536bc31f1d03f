"""Issue 14 over HTTP: accent-/case-insensitive partial search (SPEC §5 ``q``), the manifest list and
voiding a manifest (a new row, the manifest untouched), the 100 × 150 mm label and telling file names."""

from __future__ import annotations

import io
import unicodedata
from typing import cast

import asyncpg
import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm

from postal.domain.access import Scope
from postal.domain.search import fold, terms
from postal.store import shipments as shipments_store
from postal.store.shipments import ListFilter
from tests.integration.scan_helpers import create_shipment, scan_body


async def _codes(client, world, q, who="staff1"):
    resp = await client.get("/api/v1/shipments", params={"q": q, "limit": "200"}, headers=world.auth(who))
    assert resp.status == 200, await resp.text()
    return {s["tracking_code"] for s in (await resp.json())["items"]}


async def test_search_is_accent_case_insensitive_and_partial(client, world, db):
    nhung = await create_shipment(client, world)  # Nguyễn Thị Hồng Nhung, đường Hùng Vương, 0912345678
    other = await create_shipment(client, world, **{"citizen.name": "Trần Văn Bình", "citizen.phone": "0987654321",
                                                    "citizen.address.line": "Thôn Đông"})
    dossier = (await (await client.get(f"/api/v1/shipments/{other}", headers=world.auth("staff1"))).json())["dossier"]
    assert await _codes(client, world, "duong") >= {nhung} and other not in await _codes(client, world, "duong")
    assert nhung in await _codes(client, world, "hung vuong")
    assert nhung in await _codes(client, world, "HÙNG VƯƠNG")
    assert nhung in await _codes(client, world, unicodedata.normalize("NFD", "Hùng Vương"))
    assert await _codes(client, world, "nhung nguyen") == {nhung}  # words in any order
    assert await _codes(client, world, "tran binh") == {other}
    assert await _codes(client, world, "dong") == {other}  # Đông: đ → d
    assert await _codes(client, world, other[-7:-2]) == {other}  # a partial code
    assert await _codes(client, world, other.lower()) == {other}
    assert await _codes(client, world, "987654") == {other}  # a partial phone
    assert await _codes(client, world, "+84987654321") == {other}
    assert await _codes(client, world, dossier["code"][-4:]) == {other}  # a partial dossier code
    assert await _codes(client, world, "100%") == set()  # wildcards are literal
    assert await _codes(client, world, "_") == set()
    assert await _codes(client, world, "nhung", who="integ1") == {nhung}  # same agency
    # another agency's staff sees nothing of ours
    assert await _codes(client, world, "nhung", who="staff2") == set()


class _CountingConnection:
    """A connection that counts the statements ``list_shipments`` sends."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self.con, self.statements = con, 0

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        self.statements += 1
        return await self.con.fetch(sql, *args)


async def test_search_window_then_whole_table(client, world, db, monkeypatch):
    """The newest RECENT_WINDOW visible rows first: a full page there is the answer; a window holding
    fewer rows than it may holds every visible row, so its matches are the answer; only a full window
    without a full page sends the whole-table query, which still finds the old row."""
    old = await create_shipment(client, world, **{"citizen.name": "Trần Văn Bình"})
    newer = [await create_shipment(client, world) for _ in range(3)]  # Nguyễn Thị Hồng Nhung
    agency = Scope(agency_code="AG-1")

    async def search(q: str, window: int, limit: int = 50) -> tuple[list[str], int]:
        monkeypatch.setattr(shipments_store, "RECENT_WINDOW", window)
        counting = _CountingConnection(db)
        rows = await shipments_store.list_shipments(
            cast(asyncpg.Connection, counting), agency, ListFilter(words=tuple(terms(q)), limit=limit))
        return [r["tracking_code"] for r in rows], counting.statements

    assert await search("binh", 100) == ([old], 1)  # 4 rows < 100: the window is everything
    assert await search("binh", 2) == ([old], 2)  # 2 newest hold no Bình: the whole table is searched
    assert await search("nhung", 3, limit=2) == ([*reversed(newer)], 1)  # a full page in the window
    assert await search("nobody", 4) == ([], 2)
    assert await search("nobody", 5) == ([], 1)


async def test_python_fold_agrees_with_sql_fold(db):
    letters = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    text = letters + letters.upper() + " Nguyễn ĐƯỜNG 0912 RA000004115VN"
    for form in ("NFC", "NFD"):
        value = unicodedata.normalize(form, text)
        assert await db.fetchval("SELECT postal_fold($1)", value) == fold(value), form
    latin = [*range(0x20, 0x250), *range(0x1E00, 0x1F00)]
    folded = await db.fetch("SELECT n, postal_fold(chr(n)) AS f FROM unnest($1::int[]) n", latin)
    assert {chr(r["n"]): r["f"] for r in folded} == {chr(n): fold(chr(n)) for n in latin}


def _fold_016() -> tuple[str, str]:
    """(from, to) of migration 016's ``translate`` table: precomposed Latin letters → base, marks deleted."""
    src, dst = ["Đ", "đ"], ["d", "d"]
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = unicodedata.normalize("NFD", chr(cp))
        if len(base) > 1 and base[0].isascii() and base[0].isalpha() and all(map(unicodedata.combining, base[1:])):
            src.append(chr(cp))
            dst.append(base[0].lower())
    marks = [chr(cp) for cp in range(0x300, 0x370) if unicodedata.combining(chr(cp))]
    return "".join(src) + "".join(marks), "".join(dst)


async def test_migration_022_refolds_every_row_whose_search_text_changes(db):
    """Migration 022 re-folds only rows whose old search_text is not all ASCII: for every code point,
    either the old (016) and new folds agree or the old one left a non-ASCII character."""
    src, dst = _fold_016()
    rows = await db.fetch(
        "SELECT n, lower(translate(chr(n), $1, $2)) AS old, postal_fold(chr(n)) AS new"
        " FROM generate_series(1, 65533) n WHERE n NOT BETWEEN 55296 and 57343", src, dst)
    changed = [r for r in rows if r["old"] != r["new"]]
    assert changed and all(r["n"] >= 0x1E2 for r in changed)
    flagged = await db.fetch("SELECT s FROM unnest($1::text[]) s WHERE s ~ '[^\\x01-\\x7f]'",
                             [r["old"] for r in changed])
    assert len(flagged) == len(changed)


async def test_search_column_follows_the_row(db, client, world):
    code = await create_shipment(client, world)
    text = await db.fetchval("SELECT search_text FROM shipments WHERE tracking_code = $1", code)
    assert "nguyen thi hong nhung" in text and "0912345678" in text and code.lower() in text
    assert "so 12 ngo 3 duong hung vuong" in text
    resp = await client.get(f"/api/v1/shipments/{code}", headers=world.auth("staff1"))
    assert "search_text" not in await resp.json()


async def _manifest(client, world, codes, who="staff1"):
    return await client.post("/api/v1/manifests", json={"tracking_codes": codes, "post_office_code": "PO-1"},
                             headers=world.auth(who))


async def test_manifest_list_newest_first_and_void(client, world, db):
    a, b, c = [await create_shipment(client, world) for _ in range(3)]
    first = await (await _manifest(client, world, [a, b])).json()
    second = await (await _manifest(client, world, [c])).json()
    resp = await client.get("/api/v1/manifests", headers=world.auth("staff1"))
    assert resp.status == 200
    listed = await resp.json()
    assert [m["id"] for m in listed["items"]] == [second["id"], first["id"]]
    assert listed["items"][1]["count"] == 2 and listed["items"][1]["voided"] is False
    assert listed["items"][1]["pdf_url"] == f"/api/v1/manifests/{first['id']}.pdf"
    page = await (await client.get("/api/v1/manifests?limit=1", headers=world.auth("staff1"))).json()
    assert [m["id"] for m in page["items"]] == [second["id"]] and page["next_cursor"]
    rest = await (await client.get(f"/api/v1/manifests?limit=1&cursor={page['next_cursor']}",
                                   headers=world.auth("staff1"))).json()
    assert [m["id"] for m in rest["items"]] == [first["id"]] and rest["next_cursor"] is None
    assert (await client.get("/api/v1/manifests?cursor=zzz", headers=world.auth("staff1"))).status == 400
    assert (await (await client.get("/api/v1/manifests", headers=world.auth("staff2"))).json())["items"] == []

    # listed items cannot go on a second manifest ...
    assert (await _manifest(client, world, [a])).status == 409
    # ... until the first is voided (with a reason), by its agency only
    url = f"/api/v1/manifests/{first['id']}/void"
    assert (await client.post(url, json={"reason": "nhầm"}, headers=world.auth("staff2"))).status == 404
    assert (await client.post(url, json={"reason": "   "}, headers=world.auth("staff1"))).status == 422
    assert (await client.post(url, json={}, headers=world.auth("staff1"))).status == 422
    assert (await client.post(url, json={"reason": "nhầm"}, headers=world.auth("courier1"))).status == 403
    resp = await client.post(url, json={"reason": "Lập nhầm bưu cục"}, headers=world.auth("staff1"))
    assert resp.status == 200, await resp.text()
    voided = await resp.json()
    assert voided["voided"] is True and voided["void"]["reason"] == "Lập nhầm bưu cục"
    assert voided["items"] == [a, b]  # the manifest itself is unchanged
    assert (await client.post(url, json={"reason": "lần hai"}, headers=world.auth("staff1"))).status == 409
    again = await _manifest(client, world, [a, b])
    assert again.status == 201, await again.text()
    # immutability holds: the void is a row, manifests/items refuse UPDATE
    with pytest.raises(asyncpg.PostgresError):
        await db.execute("UPDATE manifests SET post_office_code = post_office_code WHERE id = $1", first["id"])
    with pytest.raises(asyncpg.PostgresError):
        await db.execute("DELETE FROM manifest_voids WHERE manifest_id = $1", first["id"])


async def test_void_refused_once_the_courier_took_an_item(client, world):
    a = await create_shipment(client, world)
    m = await (await _manifest(client, world, [a])).json()
    resp = await client.post("/api/v1/scans", json=scan_body(a, "picked_up"), headers=world.auth("courier1"))
    assert resp.status == 201, await resp.text()
    resp = await client.post(f"/api/v1/manifests/{m['id']}/void", json={"reason": "nhầm"}, headers=world.auth("staff1"))
    assert resp.status == 409
    assert a in (await resp.json())["detail"]


async def test_thermal_label_and_print_history_format(client, world):
    code = await create_shipment(client, world)
    resp = await client.get(f"/api/v1/shipments/{code}/label.pdf?format=100x150", headers=world.auth("staff1"))
    assert resp.status == 200
    assert resp.headers["Content-Disposition"] == f'inline; filename="phieu-gui-{code}-100x150.pdf"'
    page = PdfReader(io.BytesIO(await resp.read())).pages[0]
    assert (round(float(page.mediabox.width) / mm), round(float(page.mediabox.height) / mm)) == (100, 150)
    assert code in page.extract_text()
    resp = await client.post("/api/v1/labels", json={"tracking_codes": [code], "format": "100x150"},
                             headers=world.auth("staff1"))
    assert resp.status == 200 and "-100x150-" in resp.headers["Content-Disposition"]
    assert (await client.get(f"/api/v1/shipments/{code}/label.pdf?format=letter",
                             headers=world.auth("staff1"))).status == 422
    history = await (await client.get(f"/api/v1/shipments/{code}/prints", headers=world.auth("staff1"))).json()
    assert [(p["document"], p["format"]) for p in history["items"]] == [("label", "100x150"), ("labels", "100x150")]


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_fee_payer_and_exemption_on_every_document(client, world):
    code = await create_shipment(client, world, direction="pickup", fee_payer="agency", fee_exemption="full")
    plain = await create_shipment(client, world, fee_exemption="half")
    auth = world.auth("staff1")
    slip = _pdf_text(await (await client.get(f"/api/v1/shipments/{code}/label.pdf", headers=auth)).read())
    assert "Cước: cơ quan trả, miễn cước" in slip
    assert "Cước: công dân trả, giảm 50 %" in _pdf_text(
        await (await client.get(f"/api/v1/shipments/{plain}/label.pdf?format=100x150", headers=auth)).read())
    pickup = _pdf_text(await (await client.get(f"/api/v1/shipments/{code}/pickup-slip.pdf", headers=auth)).read())
    assert "cơ quan trả, miễn cước" in pickup
    m = await (await _manifest(client, world, [code, plain])).json()
    sheet = " ".join(_pdf_text(await (await client.get(m["pdf_url"], headers=auth)).read()).split())
    assert "CQ trả · miễn" in sheet and "CD trả · giảm 50 %" in sheet


async def test_search_pages_through_the_recent_window_and_beyond(client, world):
    codes = [await create_shipment(client, world) for _ in range(5)]
    await create_shipment(client, world, **{"citizen.name": "Lê Văn Tám", "citizen.address.line": "Thôn 7"})
    seen, cursor = [], None
    while True:
        params = {"q": "hùng vương 12", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await (await client.get("/api/v1/shipments", params=params, headers=world.auth("staff1"))).json()
        seen += [s["tracking_code"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(codes))  # newest first, each once, the 2-letter word "12" included
    assert await _codes(client, world, "tam 7") == {await _last_code(client, world)}


async def _last_code(client, world):
    page = await (await client.get("/api/v1/shipments?limit=1", headers=world.auth("staff1"))).json()
    return page["items"][0]["tracking_code"]
