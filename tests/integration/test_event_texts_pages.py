"""Pages name events and statuses in Vietnamese from domain/lifecycle.py, never by their raw names
(issue 8 item 9): the courier's item page and the staff detail page, read over HTTP as visible text."""

from __future__ import annotations

import re
from html import unescape

import asyncpg
from aiohttp.test_utils import TestClient

from postal.domain.lifecycle import Direction, Event, Status
from postal.domain.status_texts import event_text, status_text
from tests.integration.scan_helpers import create_shipment, walk

PASSWORD = "correct-horse-battery"
RAW = [e.value for e in Event] + [s.value for s in Status]
WALKED = ["picked_up", "arrived", "out_for_delivery", "delivery_failed"]


def visible_text(html: str) -> str:
    """What a person sees: no scripts, styles, tags or attribute values."""
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<[^>]*>", " ", html)
    return " ".join(unescape(html).split())


def assert_no_raw_names(text: str) -> None:
    found = [name for name in RAW if re.search(rf"(?<![\w/]){name}(?![\w/])", text)]
    assert not found, found


async def _page(client: TestClient, username: str, path: str) -> str:
    resp = await client.post("/login", data={"username": username, "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 302
    resp = await client.get(path)
    assert resp.status == 200, await resp.text()
    return visible_text(await resp.text())


async def _late_and_unknown_events(db: asyncpg.Connection, code: str) -> None:
    """A carrier-reported event the lifecycle does not know, kept in the timeline."""
    await db.execute(
        "INSERT INTO shipment_events (shipment_id, event, occurred_at, applied, details)"
        " SELECT id, 'vnpost_13', now(), false, '{}' FROM shipments WHERE tracking_code = $1", code)


async def test_courier_item_page_names_events_in_vietnamese(client, world, db):
    code = await create_shipment(client, world)
    await walk(client, world, code, WALKED)
    await _late_and_unknown_events(db, code)
    text = await _page(client, "courier1", f"/courier/items/{code}")
    for event in WALKED:
        assert event_text(Event(event)) in text, event
    assert status_text(Status.delivery_failed) in text
    assert "Cập nhật khác từ đơn vị vận chuyển" in text
    assert_no_raw_names(text)
    assert "vnpost_13" not in text


async def test_staff_detail_page_names_events_and_status_from_the_lifecycle(client, world, db):
    code = await create_shipment(client, world)
    await walk(client, world, code, WALKED)
    await _late_and_unknown_events(db, code)
    text = await _page(client, "staff1", f"/staff/shipments/{code}")
    for event in WALKED:
        assert event_text(Event(event)) in text, event
    assert status_text(Status.delivery_failed) in text
    assert "Cập nhật khác từ đơn vị vận chuyển" in text
    assert_no_raw_names(text)
    assert "vnpost_13" not in text


async def test_pickup_statuses_read_as_the_dossier_journey_on_staff_pages(client, world):
    code = await create_shipment(client, world, direction="pickup")
    await walk(client, world, code, ["picked_up"])
    expected = status_text(Status.picked_up, Direction.pickup)
    assert expected in await _page(client, "staff1", f"/staff/shipments/{code}")
    listing = await _page(client, "staff1", "/staff")
    assert expected in listing
    assert_no_raw_names(listing)
