"""Health, metrics, OpenAPI, request ids and structured logs."""

from __future__ import annotations

import json
import logging

from aiohttp.test_utils import TestClient, TestServer

from postal.app import create_app
from postal.logs import JsonFormatter
from tests.integration.payloads import create_body


async def test_healthz_ok_and_503_without_database(client, settings):
    assert (await client.get("/healthz")).status == 200
    broken = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:1/none"})
    app = await create_app(broken)
    app.cleanup_ctx.clear()  # no pool can be opened: the app must still answer 503

    from postal.keys import pool_key

    class DeadPool:
        def acquire(self):
            raise OSError("connection refused")

    app[pool_key] = DeadPool()  # type: ignore[assignment]
    async with TestClient(TestServer(app)) as dead:
        resp = await dead.get("/healthz")
        assert resp.status == 503


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
