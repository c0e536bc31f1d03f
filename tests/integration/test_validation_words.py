"""Bad input through the real path: every bad field at once, Vietnamese words, refused characters,
dossier codes bound to the agency, one open order per dossier and direction (SPEC §5, §11)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.conftest import World
from tests.integration.payloads import create_body

API = "/api/v1"
ENGLISH = re.compile(r"Input should|Field required|valid integer|Extra inputs|String should|SPEC §")


async def _post(client: TestClient, world: World, body: Any, who: str = "staff1",
                headers: dict[str, str] | None = None) -> tuple[ClientResponse, Any]:
    resp = await client.post(f"{API}/shipments", json=body, headers={**world.auth(who), **(headers or {})})
    return resp, await resp.json()


async def test_type_error_missing_field_and_bad_phone_in_one_422(client, world, db):
    body = create_body(cod_amount="100", **{"citizen.phone": "12"})
    del body["citizen"]["name"]
    resp, problem = await _post(client, world, body)
    assert resp.status == 422
    fields = [e["field"] for e in problem["errors"]]
    assert fields == ["citizen.name", "citizen.phone", "cod_amount"]  # form order
    assert "Họ tên người dân: Không được để trống." in problem["detail"]
    assert not ENGLISH.search(await resp.text())
    assert await db.fetchval("SELECT count(*) FROM shipments") == 0


@pytest.mark.parametrize(("changes", "field"), [
    ({"cod_amount": "x"}, "cod_amount"), ({"direction": 3}, "direction"), ({"direction": "sideways"}, "direction"),
    ({"dossier.appointment_date": "2026-02-30"}, "dossier.appointment_date"),
    ({"dossier.appointment_date": "2026-12-03T10:00"}, "dossier.appointment_date"),
    ({"dossier.documents": [{"name": "CCCD", "count": 0}]}, "dossier.documents.0.count"),
    ({"dossier.documents": "x"}, "dossier.documents"), ({"note": "x" * 3000}, "note"),
    ({"citizen.address": []}, "citizen.address"),
])
async def test_pydantic_errors_read_in_vietnamese(client, world, changes, field):
    resp, problem = await _post(client, world, create_body(**changes))
    assert resp.status == 422
    assert field in [e["field"] for e in problem["errors"]]
    assert not ENGLISH.search(await resp.text()), await resp.text()


TEXT_FIELDS = ["citizen.name", "citizen.address.line", "dossier.procedure_name", "dossier.procedure_code",
               "dossier.code", "note"]


@pytest.mark.parametrize("char", ["\u009b", "\u202e", "\u200b", "\ufeff", "\u2028", "\x1b", "\u2066"])
@pytest.mark.parametrize("field", TEXT_FIELDS)
async def test_refused_characters_are_422_naming_the_field(client, world, db, field, char):
    body = create_body()
    *parents, last = field.split(".")
    target: dict[str, Any] = body
    for key in parents:
        target = target[key]
    target[last] = target[last][:3] + char + target[last][3:]
    resp, problem = await _post(client, world, body)
    assert resp.status == 422, problem
    assert field in [e["field"] for e in problem["errors"]]
    assert await db.fetchval("SELECT count(*) FROM shipments") == 0


async def test_note_keeps_line_breaks_but_not_other_controls(client, world):
    resp, shipment = await _post(client, world, create_body(note="Gọi trước\r\nGiờ hành chính"))
    assert resp.status == 201 and shipment["note"] == "Gọi trước\nGiờ hành chính"
    resp, _ = await _post(client, world, create_body(**{"citizen.name": "Nguyễn\nNhung"}))
    assert resp.status == 422


async def test_return_reason_refuses_bidi_override(client, world, db):
    _, shipment = await _post(client, world, create_body())
    resp = await client.post(f"{API}/shipments/{shipment['tracking_code']}/return", json={"reason": "Sai\u202e hồ sơ"},
                             headers=world.auth("staff1"))
    assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "reason"
    assert await db.fetchval("SELECT status FROM shipments") == "created"


async def test_another_agencys_dossier_prefix_is_422(client, world, db):
    resp, problem = await _post(client, world, create_body(**{"dossier.code": "000.00.16.H99-260315-0001"}))
    assert resp.status == 422
    assert [e["field"] for e in problem["errors"]] == ["dossier.code"]
    assert "000.00.15.H62" in problem["errors"][0]["message"]
    assert await db.fetchval("SELECT count(*) FROM shipments") == 0


async def test_concurrent_creates_of_one_dossier_make_one_order(client, world, db):
    body = create_body()
    responses = await asyncio.gather(*(client.post(f"{API}/shipments", json=body, headers=world.auth("staff1"))
                                       for _ in range(10)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * 9
    code = next([await r.json() for r in responses if r.status == 201].__iter__())["tracking_code"]
    for r in responses:
        if r.status == 409:
            problem = await r.json()
            assert code in problem["detail"] and problem["errors"][0]["field"] == "dossier.code"
    assert await db.fetchval("SELECT count(*) FROM shipments") == 1


async def test_other_direction_is_allowed_and_closing_frees_the_code(client, world):
    body = create_body()
    first = (await _post(client, world, body))[1]
    pickup = create_body(direction="pickup", **{"dossier.code": body["dossier"]["code"]})
    assert (await _post(client, world, pickup))[0].status == 201
    assert (await _post(client, world, body))[0].status == 409
    cancel = await client.post(f"{API}/shipments/{first['tracking_code']}/cancel", headers=world.auth("staff1"))
    assert cancel.status == 200
    assert (await _post(client, world, body))[0].status == 201


async def test_same_idempotency_key_replays_instead_of_409(client, world):
    body, headers = create_body(), {"Idempotency-Key": "dossier-1"}
    first, again = await _post(client, world, body, headers=headers), await _post(client, world, body, headers=headers)
    assert first[0].status == again[0].status == 201
    assert again[0].headers["Idempotent-Replayed"] == "true"


async def test_openapi_has_no_internal_references(client):
    text = await (await client.get(f"{API}/openapi.json")).text()
    assert "SPEC" not in text
