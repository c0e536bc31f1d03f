"""What operations see: redirects and disconnects counted with their real status, a database outage is 503."""

from __future__ import annotations

import asyncio
import logging
import socket

from aiohttp.test_utils import TestClient

from postal.edge.keys import pool_key
from tests.integration.page_checks import search

PASSWORD = "correct-horse-battery"


async def _metrics(client: TestClient) -> str:
    return await (await client.get("/metrics")).text()


async def test_redirects_are_counted_and_logged_as_redirects(client, world, caplog):
    caplog.set_level(logging.INFO, logger="postal.http")
    assert (await client.get("/staff", allow_redirects=False)).status == 302
    resp = await client.post("/login", data={"username": "staff1", "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 302
    html = await (await client.get("/staff")).text()
    csrf = search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    resp = await client.post("/staff/manifests", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 422  # nothing chosen: a page, not a redirect
    assert (await client.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)).status == 302
    text = await _metrics(client)
    assert 'postal_http_requests_total{method="POST",route="/login",status="302"} 1.0' in text
    assert 'postal_http_requests_total{method="POST",route="/logout",status="302"} 1.0' in text
    assert 'postal_http_requests_total{method="GET",route="/staff",status="302"} 1.0' in text
    assert 'status="500"' not in text
    logged = [r.status for r in caplog.records if r.name == "postal.http" and hasattr(r, "status")]
    assert 302 in logged and 500 not in logged
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_post_redirect_get_is_a_303(client, world):
    from tests.integration.test_staff_pages import FORM

    await client.post("/login", data={"username": "staff1", "password": PASSWORD})
    html = await (await client.get("/staff/new")).text()
    csrf = search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    resp = await client.post("/staff/new", data={**FORM, "csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    assert resp.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    text = await _metrics(client)
    assert 'route="/staff/new",status="303"} 1.0' in text and 'status="500"' not in text


async def test_a_client_that_disconnects_mid_body_is_499_without_a_traceback(client, world, caplog):
    caplog.set_level(logging.INFO)
    _reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(b"POST /login HTTP/1.1\r\nHost: postal.test\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: 5000\r\n\r\nusername=staff1&pass")
    await writer.drain()
    await asyncio.sleep(0.2)  # the handler is now waiting for the rest of the body
    writer.close()
    await writer.wait_closed()
    for _ in range(50):
        text = await _metrics(client)
        if 'route="/login",status="499"' in text:
            break
        await asyncio.sleep(0.05)
    assert 'postal_http_requests_total{method="POST",route="/login",status="499"} 1.0' in text
    assert 'status="500"' not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_database_outage_is_503_with_retry_after_never_500(client, world, db, dsn):
    await client.post("/login", data={"username": "staff1", "password": PASSWORD})
    assert (await client.get("/staff")).status == 200
    pool = client.app[pool_key]
    # The database goes away: every pooled connection is cut and new ones are refused.
    pool.set_connect_args(f"postgresql://postgres@127.0.0.1:{_dead_port()}/postgres")
    await db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE datname = current_database() AND application_name = 'postal'")
    await asyncio.sleep(0.2)
    try:
        for method, path in (("GET", "/api/v1/shipments"), ("POST", "/api/v1/scans/batch"),
                             ("GET", "/api/v1/track/RA999999995VN")):
            who = "courier1" if "scans" in path else "staff1"
            body = {"scans": [{"code": "RA999999995VN"}]} if method == "POST" else None
            resp = await client.request(method, path, json=body, headers=world.auth(who))
            assert resp.status == 503, (path, await resp.text())
            assert resp.content_type == "application/problem+json"
            assert resp.headers["Retry-After"] == "5"
            problem = await resp.json()
            assert problem["status"] == 503 and problem["type"] == "/problems/unavailable"
            assert problem["title"] == "Dịch vụ tạm thời gián đoạn"
        for path in ("/staff", "/t/RA999999995VN"):
            resp = await client.get(path, allow_redirects=False)
            assert resp.status == 503 and resp.content_type == "text/html", path
            assert resp.headers["Retry-After"] == "5"
            html = await resp.text()
            assert "Dịch vụ tạm thời gián đoạn" in html and "thử lại sau ít giây" in html
            assert f'id="error-back" href="{path}">Thử lại</a>' in html
        resp = await client.post("/login", data={"username": "staff1", "password": PASSWORD}, allow_redirects=False)
        assert resp.status == 503 and resp.content_type == "text/html"
        assert (await client.get("/healthz")).status == 503
        assert 'status="500"' not in await _metrics(client)
    finally:
        pool.set_connect_args(dsn)
    assert (await client.get("/healthz")).status == 200  # and back once the database is
