"""Webhook subscriptions over HTTP: who may manage them, per-agency isolation, the secret shown once,
event names, and the SSRF guard at subscription time."""

from __future__ import annotations

import base64

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from postal.app import create_app
from postal.edge.keys import resolve_key
from postal.services.webhooks import Resolve
from postal.settings import Settings
from tests.integration.webhook_support import API, FakeDNS, subscribe

PUBLIC = "https://hooks.example.org/postal"
DNS = FakeDNS({"hooks.example.org": "93.184.216.34", "intranet.example.org": "127.0.0.1",
               "db.example.org": "10.1.2.3", "meta.example.org": "169.254.169.254",
               "v6.example.org": "::ffff:127.0.0.1", "mcast.example.org": "224.0.0.1",
               "zero.example.org": "0.0.0.0", "cgnat.example.org": "100.64.0.1"})


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, settings: Settings) -> TestClient:
    """A client whose subscriptions see the fake DNS above."""
    app = await create_app(settings)
    resolve: Resolve = DNS
    app[resolve_key] = resolve
    return await aiohttp_client(app)


async def test_create_answers_the_secret_once_and_lists_without_it(client, world, db):
    created = await subscribe(client, world, PUBLIC, ["shipment.delivered", "shipment.delivered"])
    secret = created["secret"]
    assert secret.startswith("whsec_") and 24 <= len(base64.b64decode(secret[6:])) <= 64
    assert created["events"] == ["shipment.delivered"] and created["agency_code"] == "AG-1"
    listed = await (await client.get(API, headers=world.auth("integ1"))).json()
    assert [s["id"] for s in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0] and secret not in str(listed)
    other = await subscribe(client, world, PUBLIC)
    assert other["secret"] != secret and other["events"] == ["*"]


async def test_staff_and_couriers_are_refused(client, world):
    for who in ("staff1", "courier1"):
        resp = await client.post(API, json={"url": PUBLIC, "events": ["*"]}, headers=world.auth(who))
        assert resp.status == 403
        assert (await client.get(API, headers=world.auth(who))).status == 403
    assert (await client.get(API)).status == 401


async def test_another_agencys_subscription_is_not_found(client, world, db):
    await db.execute("INSERT INTO users (username, role, agency_code) VALUES ('integ2', 'integration', 'AG-2')")
    from postal.services import accounts
    world.tokens["integ2"] = await accounts.create_token(db, "integ2")
    mine = await subscribe(client, world, PUBLIC)
    theirs = await subscribe(client, world, PUBLIC, who="integ2")
    assert [s["id"] for s in (await (await client.get(API, headers=world.auth("integ2"))).json())["items"]] \
        == [theirs["id"]]
    for path in (f"{API}/{mine['id']}", f"{API}/{mine['id']}/deliveries"):
        method = client.delete if not path.endswith("deliveries") else client.get
        assert (await method(path, headers=world.auth("integ2"))).status == 404
    resp = await client.post(f"{API}/{mine['id']}/deliveries/1/redeliver", headers=world.auth("integ2"))
    assert resp.status == 404
    # an integration may not subscribe for another agency
    resp = await client.post(API, json={"url": PUBLIC, "events": ["*"], "agency": "AG-1"},
                             headers=world.auth("integ2"))
    assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "agency"
    # the admin sees both and deletes one; then it is gone for everybody
    assert len((await (await client.get(API, headers=world.auth("admin"))).json())["items"]) == 2
    assert (await client.delete(f"{API}/{mine['id']}", headers=world.auth("admin"))).status == 204
    assert (await client.delete(f"{API}/{mine['id']}", headers=world.auth("integ1"))).status == 404
    assert (await client.delete(f"{API}/abc", headers=world.auth("integ1"))).status == 404


async def test_admin_subscribes_for_one_agency_or_all(client, world):
    one = await subscribe(client, world, PUBLIC, who="admin", agency="AG-2")
    every = await subscribe(client, world, PUBLIC, who="admin")
    assert (one["agency_code"], every["agency_code"]) == ("AG-2", None)
    resp = await client.post(API, json={"url": PUBLIC, "events": ["*"], "agency": "NOPE"},
                             headers=world.auth("admin"))
    assert resp.status == 422


@pytest.mark.parametrize("events", [["shipment.teleported"], ["delivered"], [], ["*", 7], "shipment.delivered"])
async def test_unknown_event_names_are_refused(client, world, db, events):
    resp = await client.post(API, json={"url": PUBLIC, "events": events}, headers=world.auth("integ1"))
    assert resp.status == 422
    assert (await resp.json())["errors"][0]["field"].startswith("events")
    assert await db.fetchval("SELECT count(*) FROM webhook_subscriptions") == 0


@pytest.mark.parametrize("url", [
    "http://localhost:8080/hook", "http://127.0.0.1/hook", "http://[::1]/hook", "http://intranet.example.org/x",
    "http://db.example.org/", "http://meta.example.org/latest/meta-data", "http://v6.example.org/",
    "http://mcast.example.org/", "http://zero.example.org/", "http://cgnat.example.org/", "http://2130706433/",
    "ftp://hooks.example.org/", "file:///etc/passwd", "gopher://hooks.example.org/", "hooks.example.org/x",
    "http://user:pw@hooks.example.org/", "http://unknown.invalid/", "http://hooks.example.org:99999/",
    "http://hooks.example.org/a b", "http://[fe80::1%25eth0]/",
])
async def test_ssrf_targets_are_refused_at_subscription(client, world, db, url):
    resp = await client.post(API, json={"url": url, "events": ["*"]}, headers=world.auth("integ1"))
    assert resp.status == 422, (url, await resp.text())
    problem = await resp.json()
    assert problem["errors"][0]["field"] == "url"
    if any(name in url for name in ("localhost", "127.0.0.1", "intranet", "v6.", "[::1]", "2130706433")):
        assert "loopback" in problem["errors"][0]["message"]
    assert await db.fetchval("SELECT count(*) FROM webhook_subscriptions") == 0


async def test_loopback_is_allowed_only_with_the_setting(aiohttp_client, settings, world):
    app = await create_app(settings.model_copy(update={"webhook_allow_loopback": True}))
    client = await aiohttp_client(app)
    await subscribe(client, world, "http://localhost:9/hook")
    await subscribe(client, world, "http://127.0.0.1:9/hook")
    resp = await client.post(API, json={"url": "http://10.0.0.8/", "events": ["*"]}, headers=world.auth("integ1"))
    assert resp.status == 422  # the setting opens loopback, not private networks


async def test_openapi_documents_the_webhook_operations(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    paths = doc["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/webhooks"])
    assert "delete" in paths["/api/v1/webhooks/{id}"]
    assert "get" in paths["/api/v1/webhooks/{id}/deliveries"]
    assert "post" in paths["/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"]
    created = paths["/api/v1/webhooks"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert "secret" in str(doc["components"]["schemas"][created["$ref"].rsplit("/", 1)[1]])
