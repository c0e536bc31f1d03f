"""The orders API over HTTP against a real PostgreSQL: create, read, list, cancel, roles, isolation."""

from __future__ import annotations

import asyncio
import io
import json
import unicodedata
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from postal.domain.codes import normalize_s10
from postal.domain.signing import verify_code_sig
from tests.conftest import World
from tests.integration.payloads import create_body

API = "/api/v1"


async def create(client: TestClient, world: World, who: str = "staff1", /, **changes: Any) -> Any:
    resp = await client.post(f"{API}/shipments", json=create_body(**changes), headers=world.auth(who))
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def count_rows(db: asyncpg.Connection, table: str = "shipments") -> int:
    return await db.fetchval(f"SELECT count(*) FROM {table}")


async def test_create_answers_the_spec_shape(client, world, settings):
    shipment = await create(client, world)
    for key in ("id", "tracking_code", "direction", "status", "agency_code", "post_office_code", "dossier",
                "citizen", "due_date", "overdue", "failed_attempts", "qr_payload", "label_url", "created_at",
                "events"):
        assert key in shipment
    code = shipment["tracking_code"]
    assert normalize_s10(code) == code and code.startswith("RA") and code.endswith("VN")
    assert shipment["status"] == "created" and shipment["events"] == []
    assert shipment["agency_code"] == "AG-1" and shipment["post_office_code"] == "PO-1"
    assert shipment["due_date"] == "2026-12-03"  # delivery: the appointment date
    assert shipment["citizen"]["address"] == {
        "line": "Số 12 ngõ 3 đường Hùng Vương", "ward_code": "08707", "ward_name": "Phường Vĩnh Yên",
        "province_code": "25", "province_name": "Phú Thọ",
    }
    prefix, sig = shipment["qr_payload"].rsplit(".", 1)
    assert prefix == f"http://postal.test/q/{code}" and verify_code_sig(code, sig, settings.key)


async def test_qr_payload_carries_no_personal_data(client, world):
    shipment = await create(client, world)
    for secret in ("Nguyễn", "Nhung", "0912345678", "001199012345", "Hùng Vương", "000.00.15.H62"):
        assert secret not in shipment["qr_payload"]


async def test_codes_are_canonical_and_text_nfc(client, world):
    nfd_name = unicodedata.normalize("NFD", "Nguyễn Thị Hồng Nhung")
    shipment = await create(client, world, **{
        "citizen.name": nfd_name, "citizen.phone": "+84 912 345 678",
        "citizen.address.ward_code": "8707", "citizen.address.province_code": "025",
    })
    assert shipment["citizen"]["name"] == "Nguyễn Thị Hồng Nhung"
    assert shipment["citizen"]["phone"] == "0912345678"
    assert shipment["citizen"]["address"]["ward_code"] == "08707"
    assert shipment["citizen"]["address"]["province_code"] == "25"


async def test_pickup_due_date_counts_working_days(client, world, db):
    shipment = await create(client, world, direction="pickup", **{"dossier.appointment_date": None})
    assert shipment["direction"] == "pickup"
    assert shipment["due_date"] > shipment["created_at"][:10]


async def test_past_appointment_is_overdue_from_the_start(client, world):
    shipment = await create(client, world, **{"dossier.appointment_date": "2026-01-05"})
    assert shipment["overdue"] is True


async def test_get_and_case_insensitive_code(client, world):
    code = (await create(client, world))["tracking_code"]
    spaced = f"{code[:2].lower()} {code[2:7]} {code[7:]}"
    resp = await client.get(f"{API}/shipments/{spaced}", headers=world.auth("integ1"))
    assert resp.status == 200
    assert (await resp.json())["tracking_code"] == code


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"citizen.phone": "12345"}, "citizen.phone"),
        ({"citizen.id_number": "123"}, "citizen.id_number"),
        ({"citizen.name": "   "}, "citizen.name"),
        ({"citizen.name": "Nguyễn\u0000Văn"}, "citizen.name"),
        ({"citizen.address.ward_code": "99999"}, "citizen.address.ward_code"),
        ({"citizen.address.province_code": "01"}, "citizen.address.ward_code"),
        ({"dossier.code": "HS-1"}, "dossier.code"),
        ({"dossier.appointment_date": "2026-02-30"}, "dossier.appointment_date"),
        ({"dossier.appointment_date": None}, "dossier.appointment_date"),
        ({"direction": "sideways"}, "direction"),
        ({"cod_amount": -1}, "cod_amount"),
        ({"cod_amount": "100"}, "cod_amount"),
        ({"post_office_code": "NOPE"}, "post_office_code"),
        ({"post_office_code": "PO-1\u0000"}, "post_office_code"),
        ({"citizen": None}, "citizen"),
    ],
)
async def test_bad_fields_are_422_with_the_field_named_and_nothing_written(client, world, db, changes, field):
    resp = await client.post(f"{API}/shipments", json=create_body(**changes), headers=world.auth("staff1"))
    assert resp.status == 422, await resp.text()
    assert resp.content_type == "application/problem+json"
    problem = await resp.json()
    assert {"type", "title", "status", "detail", "errors"} <= problem.keys()
    assert field in [e["field"] for e in problem["errors"]]
    assert await count_rows(db) == 0


async def test_every_bad_field_is_reported_at_once(client, world):
    body = create_body(**{"citizen.phone": "1", "citizen.id_number": "2", "dossier.code": "x"})
    problem = await (await client.post(f"{API}/shipments", json=body, headers=world.auth("staff1"))).json()
    assert {"citizen.phone", "citizen.id_number", "dossier.code"} <= {e["field"] for e in problem["errors"]}


async def test_errors_never_echo_personal_data(client, world):
    body = create_body(**{"citizen.phone": "0012345678", "citizen.id_number": "99887766554"})
    text = await (await client.post(f"{API}/shipments", json=body, headers=world.auth("staff1"))).text()
    assert "0012345678" not in text and "99887766554" not in text


@pytest.mark.parametrize(
    ("raw", "status"),
    [(b"{not json", 400), (b"", 400), (b"[]", 422), (b'"text"', 422), (b"\xff\xfe{}", 400), (b"null", 422)],
)
async def test_unreadable_bodies(client, world, db, raw, status):
    headers = {**world.auth("staff1"), "Content-Type": "application/json"}
    resp = await client.post(f"{API}/shipments", data=raw, headers=headers)
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/problem+json"
    assert await count_rows(db) == 0


async def test_oversized_body_is_413(client, world, db):
    body = io.BytesIO(json.dumps(create_body(note="x" * 2_000_000)).encode())
    headers = {**world.auth("staff1"), "Content-Type": "application/json"}
    resp = await client.post(f"{API}/shipments", data=body, headers=headers)
    assert resp.status == 413
    assert resp.content_type == "application/problem+json"
    assert await count_rows(db) == 0


async def test_free_form_agency_accepts_any_dossier_code(client, world):
    body = create_body(**{"dossier.code": "HS/2026/77", "post_office_code": "PO-2"})
    resp = await client.post(f"{API}/shipments", json=body, headers=world.auth("staff2"))
    assert resp.status == 201
    assert (await resp.json())["dossier"]["code"] == "HS/2026/77"


# --- Idempotency-Key ---------------------------------------------------------------------------------

async def test_same_key_same_body_is_the_same_shipment(client, world, db):
    headers, body = {**world.auth("integ1"), "Idempotency-Key": "order-42"}, create_body()
    first = await client.post(f"{API}/shipments", json=body, headers=headers)
    again = await client.post(f"{API}/shipments", json=body, headers=headers)
    assert first.status == again.status == 201
    assert (await first.json())["tracking_code"] == (await again.json())["tracking_code"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await count_rows(db) == 1


async def test_same_key_other_body_is_422(client, world, db):
    headers = {**world.auth("integ1"), "Idempotency-Key": "order-43"}
    await client.post(f"{API}/shipments", json=create_body(), headers=headers)
    resp = await client.post(f"{API}/shipments", json=create_body(note="khác"), headers=headers)
    assert resp.status == 422
    assert "Idempotency-Key" in [e["field"] for e in (await resp.json())["errors"]]
    assert await count_rows(db) == 1


async def test_concurrent_duplicates_make_one_shipment(client, world, db):
    headers, body = {**world.auth("integ1"), "Idempotency-Key": "burst-1"}, create_body()
    responses = await asyncio.gather(
        *(client.post(f"{API}/shipments", json=body, headers=headers) for _ in range(12))
    )
    assert {r.status for r in responses} == {201}
    assert len({(await r.json())["tracking_code"] for r in responses}) == 1
    assert await count_rows(db) == 1


async def test_keys_are_per_user(client, world, db):
    for who in ("staff1", "integ1"):
        resp = await client.post(f"{API}/shipments", json=create_body(),
                                 headers={**world.auth(who), "Idempotency-Key": "same"})
        assert resp.status == 201
    assert await count_rows(db) == 2


# --- roles and isolation -----------------------------------------------------------------------------

async def test_no_or_bad_token_is_401(client, world):
    assert (await client.get(f"{API}/shipments")).status == 401
    resp = await client.get(f"{API}/shipments", headers={"Authorization": "Bearer pst_nope"})
    assert resp.status == 401
    assert resp.content_type == "application/problem+json"
    resp = await client.get(f"{API}/shipments", headers={"Authorization": "Basic abc"})
    assert resp.status == 401


async def test_couriers_and_admins_cannot_create(client, world, db):
    for who in ("courier1", "admin"):
        resp = await client.post(f"{API}/shipments", json=create_body(), headers=world.auth(who))
        assert resp.status == 403
    assert await count_rows(db) == 0


async def test_another_agencys_shipment_is_404(client, world):
    code = (await create(client, world))["tracking_code"]
    for who in ("staff2", "courier2"):
        assert (await client.get(f"{API}/shipments/{code}", headers=world.auth(who))).status == 404
    resp = await client.post(f"{API}/shipments/{code}/cancel", headers=world.auth("staff2"))
    assert resp.status == 404


async def test_the_assigned_courier_sees_contact_details_but_not_the_id_number(client, world):
    code = (await create(client, world))["tracking_code"]
    shipment = await (await client.get(f"{API}/shipments/{code}", headers=world.auth("courier1"))).json()
    assert shipment["citizen"]["phone"] == "0912345678"
    assert "001199012345" not in str(shipment)


async def test_admin_sees_every_agency(client, world):
    await create(client, world)
    page = await (await client.get(f"{API}/shipments", headers=world.auth("admin"))).json()
    assert len(page["items"]) == 1


async def test_courier_cannot_list(client, world):
    assert (await client.get(f"{API}/shipments", headers=world.auth("courier1"))).status == 403


# --- listing -----------------------------------------------------------------------------------------

async def test_list_filters_and_search(client, world):
    a = await create(client, world)
    b = await create(client, world, direction="pickup", **{
        "citizen.name": "Trần Văn Đức", "citizen.phone": "0987654321", "dossier.code": "000.00.15.H62-260316-0099",
    })
    headers = world.auth("staff1")

    async def codes(query: dict[str, str]) -> list[str]:
        resp = await client.get(f"{API}/shipments", params=query, headers=headers)
        assert resp.status == 200, await resp.text()
        return [s["tracking_code"] for s in (await resp.json())["items"]]

    assert await codes({}) == [b["tracking_code"], a["tracking_code"]]
    assert await codes({"direction": "pickup"}) == [b["tracking_code"]]
    assert await codes({"status": "created"}) == [b["tracking_code"], a["tracking_code"]]
    assert await codes({"status": "delivered"}) == []
    assert await codes({"q": a["tracking_code"].lower()}) == [a["tracking_code"]]
    spaced = f"{b['tracking_code'][:2]} {b['tracking_code'][2:6]} {b['tracking_code'][6:11]} {b['tracking_code'][11:]}"
    assert await codes({"q": spaced}) == [b["tracking_code"]]  # a whole code: looked up by its index
    assert await codes({"q": a["tracking_code"][6:11]}) == [a["tracking_code"]]  # part of one: a word
    assert await codes({"q": "0987 654 321"}) == [b["tracking_code"]]
    assert await codes({"q": "Văn Đức"}) == [b["tracking_code"]]
    assert await codes({"q": "260316"}) == [b["tracking_code"]]
    assert await codes({"q": "100%_"}) == []


async def test_overdue_filter(client, world):
    late = await create(client, world, **{"dossier.appointment_date": "2026-01-05"})
    on_time = await create(client, world, **{"dossier.appointment_date": "2099-01-05"})
    headers = world.auth("staff1")
    page = await (await client.get(f"{API}/shipments", params={"overdue": "true"}, headers=headers)).json()
    assert [s["tracking_code"] for s in page["items"]] == [late["tracking_code"]]
    assert page["items"][0]["overdue"] is True
    page = await (await client.get(f"{API}/shipments", params={"overdue": "false"}, headers=headers)).json()
    assert [s["tracking_code"] for s in page["items"]] == [on_time["tracking_code"]]


async def test_cursor_pagination_visits_every_shipment_once(client, world):
    made = [(await create(client, world))["tracking_code"] for _ in range(7)]
    seen, cursor = [], None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = await (await client.get(f"{API}/shipments", params=params, headers=world.auth("staff1"))).json()
        seen += [s["tracking_code"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


@pytest.mark.parametrize(("query", "status"), [
    ({"cursor": "garbage!"}, 400),  # an opaque token we did not issue: the request is malformed (BadRequest)
    ({"limit": "0"}, 422), ({"limit": "x"}, 422), ({"status": "lost"}, 422),  # bad values: InvalidInput
    ({"overdue": "maybe"}, 422), ({"direction": "up"}, 422),
])
async def test_bad_list_queries_are_4xx_naming_the_parameter(client, world, query, status):
    resp = await client.get(f"{API}/shipments", params=query, headers=world.auth("staff1"))
    assert resp.status == status
    assert resp.content_type == "application/problem+json"
    problem = await resp.json()
    assert problem["status"] == status and [e["field"] for e in problem["errors"]] == list(query)


async def test_other_agencies_are_not_listed(client, world):
    await create(client, world)
    page = await (await client.get(f"{API}/shipments", headers=world.auth("staff2"))).json()
    assert page == {"items": [], "next_cursor": None}


# --- cancel ------------------------------------------------------------------------------------------

async def test_cancel_from_created_then_409(client, world, db):
    code = (await create(client, world))["tracking_code"]
    resp = await client.post(f"{API}/shipments/{code}/cancel", headers=world.auth("staff1"))
    assert resp.status == 200
    shipment = await resp.json()
    assert shipment["status"] == "cancelled"
    assert [e["event"] for e in shipment["events"]] == ["cancel"]
    again = await client.post(f"{API}/shipments/{code}/cancel", headers=world.auth("staff1"))
    assert again.status == 409
    problem = await again.json()
    assert problem["current_status"] == "cancelled" and "cancelled" in problem["detail"]
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE topic = 'shipment.status_changed'") == 1


async def test_cancel_after_pickup_is_409(client, world, db):
    code = (await create(client, world))["tracking_code"]
    await db.execute("UPDATE shipments SET status = 'picked_up' WHERE tracking_code = $1", code)
    resp = await client.post(f"{API}/shipments/{code}/cancel", headers=world.auth("integ1"))
    assert resp.status == 409
    assert "picked_up" in (await resp.json())["detail"]


async def test_unknown_code_is_404(client, world):
    for path in ("/shipments/RA000000005VN", "/shipments/not-a-code"):
        resp = await client.get(API + path, headers=world.auth("staff1"))
        assert resp.status == 404
        assert resp.content_type == "application/problem+json"


async def test_creation_writes_an_outbox_row_without_personal_data(client, world, db):
    await create(client, world)
    payload = await db.fetchval("SELECT payload::text FROM outbox WHERE topic = 'shipment.created'")
    assert "Nguyễn" not in payload and "0912345678" not in payload and "RA" in payload


# --- return on staff order ---------------------------------------------------------------------------

async def test_staff_order_a_return_from_any_open_status(client, world, db):
    code = (await create(client, world))["tracking_code"]
    await db.execute("UPDATE shipments SET status = 'in_transit' WHERE tracking_code = $1", code)
    resp = await client.post(f"{API}/shipments/{code}/return", json={"reason": "Công dân đề nghị nhận tại cơ quan"},
                             headers=world.auth("staff1"))
    assert resp.status == 200, await resp.text()
    shipment = await resp.json()
    assert shipment["status"] == "returned"
    assert shipment["events"][-1]["event"] == "returned"
    assert shipment["events"][-1]["details"]["reason"] == "Công dân đề nghị nhận tại cơ quan"
    again = await client.post(f"{API}/shipments/{code}/return", json={"reason": "lần nữa"},
                              headers=world.auth("staff1"))
    assert again.status == 409 and (await again.json())["current_status"] == "returned"


async def test_return_needs_a_reason_and_the_right_role(client, world, db):
    code = (await create(client, world))["tracking_code"]
    blank = await client.post(f"{API}/shipments/{code}/return", json={"reason": "  "}, headers=world.auth("staff1"))
    assert blank.status == 422 and blank.content_type == "application/problem+json"
    courier = await client.post(f"{API}/shipments/{code}/return", json={"reason": "x"}, headers=world.auth("courier1"))
    assert courier.status == 403
    other = await client.post(f"{API}/shipments/{code}/return", json={"reason": "x"}, headers=world.auth("staff2"))
    assert other.status == 404
    assert await db.fetchval("SELECT status FROM shipments WHERE tracking_code = $1", code) == "created"
