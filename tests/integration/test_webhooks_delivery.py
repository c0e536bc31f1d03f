"""Webhook deliveries end to end: shipment changes → outbox → fan-out → a real aiohttp receiver that
verifies every request with the reference verifier (PyPI ``standardwebhooks``)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from standardwebhooks import Webhook

from postal.app import create_app
from postal.settings import Settings
from tests.conftest import World
from tests.integration.payloads import create_body
from tests.integration.scan_helpers import create_shipment, delivery_proof, scan, scan_body, walk
from tests.integration.webhook_support import API, receiver, subscribe, workers

PERSONAL = ("Nguyễn", "Nhung", "0912345678", "912345678", "001199012345", "Hùng Vương", "Số 12", "Gọi trước")


@pytest.fixture
def lsettings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_loopback": True})


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, lsettings: Settings) -> TestClient:
    return await aiohttp_client(await create_app(lsettings))


async def deliveries(client: TestClient, world: World, sub_id: int, who: str = "integ1") -> list[dict[str, Any]]:
    resp = await client.get(f"{API}/{sub_id}/deliveries", headers=world.auth(who))
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["items"])


async def test_every_change_is_signed_verifiable_and_free_of_personal_data(client, world, dsn, lsettings):
    async with receiver() as rec:
        sub = await subscribe(client, world, rec.url)
        code = await create_shipment(client, world)
        dossier_code = await world.db.fetchval("SELECT dossier_code FROM shipments WHERE tracking_code = $1", code)
        await walk(client, world, code, ["picked_up", "arrived", "out_for_delivery"])
        resp = await scan(client, world, scan_body(code, "delivered", proof=delivery_proof()))
        assert resp.status == 201
        async with workers(dsn, lsettings):
            await rec.wait_for(5)
    verifier = Webhook(sub["secret"])
    payloads = [verifier.verify(r.body, r.headers) for r in rec.requests]
    assert sorted(p["type"] for p in payloads) == sorted(
        ["shipment.created", "shipment.picked_up", "shipment.arrived", "shipment.out_for_delivery",
         "shipment.delivered"])
    delivered = next(p for p in payloads if p["type"] == "shipment.delivered")
    assert delivered["data"] | {"occurred_at": None} == {
        "tracking_code": code, "dossier_code": dossier_code, "direction": "delivery",
        "agency_code": "AG-1", "post_office_code": "PO-1", "event": "delivered", "status": "delivered",
        "previous_status": "out_for_delivery", "occurred_at": None, "due_date": "2026-12-03"}
    assert datetime.fromisoformat(delivered["timestamp"]) == datetime.fromisoformat(delivered["data"]["occurred_at"])
    assert len({r.headers["webhook-id"] for r in rec.requests}) == 5
    for request in rec.requests:
        text = request.body.decode()
        assert not any(word in text for word in PERSONAL), text
        assert request.headers["Content-Type"] == "application/json"
    # a tampered body does not verify
    with pytest.raises(Exception, match="signature"):
        verifier.verify(rec.requests[0].body + b" ", rec.requests[0].headers)


async def test_only_subscribed_events_and_only_the_agencys_shipments(client, world, dsn, lsettings):
    async with receiver() as picked, receiver() as agency, receiver() as everything:
        await subscribe(client, world, picked.url, ["shipment.picked_up"])
        await subscribe(client, world, agency.url, ["*"])
        await subscribe(client, world, everything.url, who="admin")
        code = await create_shipment(client, world)
        await walk(client, world, code, ["picked_up"])
        resp = await client.post("/api/v1/shipments", headers=world.auth("staff2"), json=create_body(
            **{"post_office_code": "PO-2", "dossier.code": "HS-9"}))
        assert resp.status == 201
        async with workers(dsn, lsettings):
            await everything.wait_for(3)
            await asyncio.sleep(1)
    assert [json.loads(r.body)["type"] for r in picked.requests] == ["shipment.picked_up"]
    assert {json.loads(r.body)["data"]["tracking_code"] for r in agency.requests} == {code}
    assert len(agency.requests) == 2 and len(everything.requests) == 3


async def test_a_failure_is_retried_within_10_s_with_the_same_webhook_id(client, world, dsn, lsettings):
    async with receiver(script=[(500, {})]) as rec:
        sub = await subscribe(client, world, rec.url)
        await create_shipment(client, world)
        async with workers(dsn, lsettings):
            await rec.wait_for(2)
            await asyncio.sleep(1.5)
    assert len(rec.requests) == 2  # delivered once, after the retry; never again
    first, second = rec.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert 3.5 <= second.at - first.at <= 10
    for request in rec.requests:
        Webhook(sub["secret"]).verify(request.body, request.headers)
    [log] = await deliveries(client, world, sub["id"])
    assert (log["status"], log["attempts"], log["last_status_code"], log["next_attempt_at"]) == (
        "delivered", 2, 200, None)
    assert [(a["status_code"], a["outcome"]) for a in log["log"]] == [(500, "http_error"), (200, "delivered")]
    assert log["log"][0]["next_attempt_at"] is not None and log["webhook_id"] == first.headers["webhook-id"]


async def test_retry_after_is_honoured(client, world, dsn, lsettings):
    async with receiver(script=[(503, {"Retry-After": "8"})]) as rec:
        sub = await subscribe(client, world, rec.url)
        await create_shipment(client, world)
        async with workers(dsn, lsettings):
            await rec.wait_for(2, seconds=30)
    assert 7.9 <= rec.requests[1].at - rec.requests[0].at <= 12  # without Retry-After it would be 4–6 s
    [log] = await deliveries(client, world, sub["id"])
    attempt = log["log"][0]
    wait = datetime.fromisoformat(attempt["next_attempt_at"]) - datetime.fromisoformat(attempt["attempted_at"])
    assert abs(wait.total_seconds() - 8) < 0.01


async def test_410_disables_the_subscription(client, world, dsn, lsettings, db):
    async with receiver(script=[(410, {})]) as rec:
        sub = await subscribe(client, world, rec.url)
        await create_shipment(client, world)
        async with workers(dsn, lsettings):
            await rec.wait_for(1)
            await asyncio.sleep(0.5)
            await create_shipment(client, world, **{"dossier.code": "000.00.15.H62-260315-0013"})
            await asyncio.sleep(2)
    assert len(rec.requests) == 1
    [listed] = (await (await client.get(API, headers=world.auth("integ1"))).json())["items"]
    assert (listed["active"], listed["disabled_reason"]) == (False, "gone")
    [log] = await deliveries(client, world, sub["id"])
    assert (log["status"], log["last_outcome"], log["last_status_code"]) == ("failed", "gone", 410)
    resp = await client.post(f"{API}/{sub['id']}/deliveries/{log['id']}/redeliver", headers=world.auth("integ1"))
    assert resp.status == 409


async def test_redeliver_sends_the_same_message_again(client, world, dsn, lsettings):
    async with receiver() as rec:
        sub = await subscribe(client, world, rec.url)
        await create_shipment(client, world)
        async with workers(dsn, lsettings):
            await rec.wait_for(1)
            [log] = await deliveries(client, world, sub["id"])
            resp = await client.post(f"{API}/{sub['id']}/deliveries/{log['id']}/redeliver",
                                     headers=world.auth("integ1"))
            assert resp.status == 202 and (await resp.json())["status"] == "pending"
            await rec.wait_for(2)
            for _ in range(100):  # the receiver has it; give the sender a moment to record the answer
                [log] = await deliveries(client, world, sub["id"])
                if len(log["log"]) == 2:
                    break
                await asyncio.sleep(0.1)
        assert rec.requests[0].headers["webhook-id"] == rec.requests[1].headers["webhook-id"]
        Webhook(sub["secret"]).verify(rec.requests[1].body, rec.requests[1].headers)
        assert (log["status"], len(log["log"])) == ("delivered", 2)
        for wrong in (f"{log['id'] + 1}", "x"):
            resp = await client.post(f"{API}/{sub['id']}/deliveries/{wrong}/redeliver", headers=world.auth("integ1"))
            assert resp.status == 404
        assert (await client.post(f"{API}/{sub['id']}/deliveries/{log['id']}/redeliver",
                                  headers=world.auth("staff1"))).status == 403


async def test_two_worker_processes_deliver_200_events_each_exactly_once(client, world, dsn, lsettings, tmp_path):
    async with receiver() as rec:
        sub = await subscribe(client, world, rec.url)
        for _ in range(200):  # one by one: the helper backdates each through the test's one connection
            await create_shipment(client, world)
        env = {**os.environ, "DATABASE_URL": dsn, "POSTAL_DATA_DIR": str(tmp_path),
               "POSTAL_SECRET_KEY": lsettings.secret_key, "POSTAL_WEBHOOK_ALLOW_LOOPBACK": "true",
               "POSTAL_LOG_LEVEL": "WARNING"}
        procs = [await asyncio.create_subprocess_exec(sys.executable, "-m", "postal.cli", "worker", env=env)
                 for _ in range(2)]
        try:
            await rec.wait_for(200, seconds=90)
            await asyncio.sleep(2)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                await proc.wait()
    ids = [r.headers["webhook-id"] for r in rec.requests]
    assert len(ids) == 200 and len(set(ids)) == 200
    verifier = Webhook(sub["secret"])
    assert {verifier.verify(r.body, r.headers)["type"] for r in rec.requests} == {"shipment.created"}
    logs = []
    cursor = None
    while True:
        resp = await client.get(f"{API}/{sub['id']}/deliveries", params={"limit": "75", **(
            {"cursor": cursor} if cursor else {})}, headers=world.auth("integ1"))
        page = await resp.json()
        logs += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert len(logs) == 200 and {(d["status"], d["attempts"]) for d in logs} == {("delivered", 1)}


async def test_a_new_subscription_gets_no_backlog(client, world, dsn, lsettings):
    async with receiver() as rec:
        await create_shipment(client, world)
        await subscribe(client, world, rec.url)
        code = await create_shipment(client, world, **{"dossier.code": "000.00.15.H62-260315-0014"})
        async with workers(dsn, lsettings):
            await rec.wait_for(1)
            await asyncio.sleep(1)
    assert [json.loads(r.body)["data"]["tracking_code"] for r in rec.requests] == [code]


async def test_change_records_never_wait_in_the_dispatchers_queue(client, world, dsn, lsettings):
    """shipment.created and shipment.status_changed (direct and locked scan paths) are stored as processed
    (migration 023): the dispatcher claims only their webhook twins, so its poll does not grow with every scan."""
    async with receiver() as rec:
        await subscribe(client, world, rec.url)
        code = await create_shipment(client, world)
        await walk(client, world, code, ["picked_up", "arrived", "out_for_delivery"])
        assert (await scan(client, world, scan_body(code, "delivered", proof=delivery_proof()))).status == 201
        rows = await world.db.fetch("SELECT topic, processed_at IS NOT NULL AS done FROM outbox"
                                    " WHERE topic LIKE 'shipment.%' OR topic = 'webhook.fanout'")
        assert sorted((r["topic"], r["done"]) for r in rows) == sorted(
            [("shipment.created", True)] + [("shipment.status_changed", True)] * 4 + [("webhook.fanout", False)] * 5)
        async with workers(dsn, lsettings):
            await rec.wait_for(5)
    assert await world.db.fetchval("SELECT count(*) FROM outbox WHERE processed_at IS NULL") == 0
