"""Health, metrics, OpenAPI, request ids and structured logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable
from urllib.parse import parse_qs, urlsplit, urlunsplit

from aiohttp.test_utils import TestClient, TestServer

from postal.app import create_app
from postal.logs import JsonFormatter
from tests.integration.payloads import create_body


class CuttableProxy:
    """A TCP proxy in front of the test's PostgreSQL that the test can cut, as a failed database host would."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.server: asyncio.Server | None = None
        self.links: list[asyncio.StreamWriter] = []

    def _upstream(self) -> Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
        parts = urlsplit(self.dsn)
        if parts.hostname:
            return asyncio.open_connection(parts.hostname, parts.port or 5432)
        socket_dir = parse_qs(parts.query)["host"][0]  # the embedded server listens on a Unix socket
        return asyncio.open_unix_connection(f"{socket_dir}/.s.PGSQL.{parts.port or 5432}")

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await self._upstream()
        self.links += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def start(self) -> str:
        """Listen on a free local port; returns the DSN that goes through the proxy."""
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        parts = urlsplit(self.dsn)
        user = parts.netloc.rpartition("@")[0]
        return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{port}", query=""))

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        assert self.server is not None
        self.server.close()
        for writer in self.links:
            writer.transport.abort()
        await self.server.wait_closed()


async def test_healthz_ok_then_503_when_the_database_goes_away(client, settings, dsn):
    assert (await client.get("/healthz")).status == 200
    proxy = CuttableProxy(dsn)
    through_proxy = settings.model_copy(update={"database_url": await proxy.start()})
    async with TestClient(TestServer(await create_app(through_proxy))) as app_client:
        resp = await app_client.get("/healthz")
        assert resp.status == 200 and await resp.json() == {"status": "ok", "database": "ok"}
        await proxy.cut()  # the real pool now holds dead connections and every reconnect is refused
        started = time.monotonic()
        for _ in range(2):  # a dead idle connection and a refused new one both read as unavailable
            resp = await app_client.get("/healthz")
            assert resp.status == 503
            assert await resp.json() == {"status": "unavailable", "database": "unreachable"}
        assert time.monotonic() - started < 5  # refused is answered at once, not after the 2 s budget


async def test_metrics_count_requests_by_route(client, world):
    await client.get("/api/v1/shipments", headers=world.auth("staff1"))
    text = await (await client.get("/metrics")).text()
    assert 'postal_http_requests_total{method="GET",route="/api/v1/shipments",status="200"} 1.0' in text
    assert "postal_http_request_seconds_bucket" in text
    assert "postal_db_pool_connections" in text


async def test_openapi_is_3_1_and_lists_the_api(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    for path in ("/api/v1/shipments", "/api/v1/shipments/{code}", "/api/v1/shipments/{code}/cancel"):
        assert path in doc["paths"]
    create = doc["paths"]["/api/v1/shipments"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("CreateShipment")
    assert "CreateShipment" in doc["components"]["schemas"]


async def test_request_id_is_echoed_or_made(client):
    assert (await client.get("/healthz", headers={"X-Request-ID": "abc-123"})).headers["X-Request-ID"] == "abc-123"
    made = (await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})).headers["X-Request-ID"]
    assert made != "bad id with spaces" and len(made) == 32


async def test_unknown_paths_and_methods_are_problems(client):
    resp = await client.get("/api/v1/nothing-here")
    assert resp.status == 404 and resp.content_type == "application/problem+json"
    resp = await client.delete("/api/v1/shipments")
    assert resp.status == 405 and resp.content_type == "application/problem+json"


async def test_logs_are_json_lines_without_personal_data(aiohttp_client, settings, world, caplog):
    client = await aiohttp_client(await create_app(settings.model_copy(update={"access_log_sample": 1.0})))
    caplog.set_level(logging.INFO)
    await client.post("/api/v1/shipments", json=create_body(), headers=world.auth("staff1"))
    await client.get("/api/v1/shipments", params={"q": "Nguyễn Thị"}, headers=world.auth("staff1"))
    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert any(json.loads(line).get("route") == "/api/v1/shipments" for line in lines)
    text = "\n".join(lines)
    for secret in ("Nguyễn", "Nhung", "0912345678", "001199012345", "Hùng Vương"):
        assert secret not in text


async def test_a_nul_in_a_login_name_is_a_failed_login_not_a_crash(client, world):
    resp = await client.post("/login", data={"username": "staff1\x00", "password": "correct-horse-battery"},
                             allow_redirects=False)
    assert resp.status < 500
