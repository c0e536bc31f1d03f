"""Security headers on every page family and on the API; the favicon (SPEC §11)."""

from __future__ import annotations

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.integration.scan_helpers import create_shipment

PASSWORD = "correct-horse-battery"
CSP = ("default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


def _assert_page_headers(resp: ClientResponse, what: str) -> None:
    assert resp.headers.get("Content-Security-Policy") == CSP, what
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], what
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"], what
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", what
    assert resp.headers.get("X-Frame-Options") == "DENY", what
    assert resp.headers.getall("Referrer-Policy") == ["same-origin"], what


async def _signed_in(client: TestClient, username: str) -> TestClient:
    client.session.cookie_jar.clear()
    resp = await client.post("/login", data={"username": username, "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 302
    return client


async def test_every_page_family_sends_the_security_headers(client, world):
    code = await create_shipment(client, world)
    anonymous = {
        "/login": 200, "/": 200, f"/t/{code}": 200, "/t/RA999999995VN": 404, "/khong-co": 404, "/staff": 302,
    }
    for path, status in anonymous.items():
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == status, path
        _assert_page_headers(resp, path)
    staff = await _signed_in(client, "staff1")
    for path in ("/staff", "/staff/new", f"/staff/shipments/{code}", "/courier"):
        resp = await staff.get(path, allow_redirects=False)
        assert resp.status in (200, 403), path
        _assert_page_headers(resp, path)
        assert resp.headers["Cache-Control"] == "no-store", path
    courier = await _signed_in(client, "courier1")
    for path in ("/courier", f"/courier/items/{code}", "/staff"):
        resp = await courier.get(path, allow_redirects=False)
        assert resp.status in (200, 403), path
        _assert_page_headers(resp, path)


async def test_api_answers_are_nosniff_without_page_policy(client, world):
    for resp in (await client.get("/api/v1/shipments", headers=world.auth("staff1")),
                 await client.get("/api/v1/shipments"),
                 await client.get("/api/v1/track/RA999999995VN"),
                 await client.get("/healthz")):
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in resp.headers


async def test_favicon_is_served_and_linked(client):
    resp = await client.get("/favicon.ico")
    assert resp.status == 200 and resp.content_type == "image/x-icon"
    assert (await resp.read())[:4] == b"\x00\x00\x01\x00"  # the ICO magic
    svg = await client.get("/static/favicon.svg")
    assert svg.status == 200 and svg.content_type == "image/svg+xml"
    html = await (await client.get("/login")).text()
    assert '<link rel="icon" href="/static/favicon.svg"' in html
