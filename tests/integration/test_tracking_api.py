"""GET /api/v1/track/{code}: the public view, proofs, 404s, and no personal data in any status or direction."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from postal.api.schemas import Problem
from postal.api.tracking import TrackOut
from postal.domain.lifecycle import Status
from postal.domain.signing import sign_code
from postal.domain.status_texts import status_text
from postal.settings import Settings
from tests.integration import tracking_support as ts


@pytest.fixture
async def roomy(aiohttp_client: AiohttpClient, settings: Settings) -> TestClient:
    """An app whose rate limit does not get in the way of tests that look up many times."""
    from postal.app import create_app

    return await aiohttp_client(await create_app(settings.model_copy(update={"track_rate_limit": 100_000})))


async def test_public_view_of_a_new_shipment(client, world):
    shipment = await ts.create(client, world)
    code = shipment["tracking_code"]
    resp = await client.get(f"/api/v1/track/{code}")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    data = await resp.json()
    assert data["tracking_code"] == code
    assert data["direction"] == "delivery"
    assert data["status"] == "created"
    assert data["status_text"] == status_text(Status.created)
    assert data["due_date"] == "2026-12-03"
    assert data["events"] == []
    assert "recipient" not in data
    assert "id" not in data


async def test_code_is_case_insensitive_with_spaces(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    spaced = f"{code[:2].lower()} {code[2:6]} {code[6:11]} {code[11:].lower()}"
    resp = await client.get(f"/api/v1/track/{spaced}")
    assert resp.status == 200
    assert (await resp.json())["tracking_code"] == code


async def test_timeline_in_local_time_with_post_office_names_and_nothing_about_who(client, world, db):
    code = (await ts.create(client, world))["tracking_code"]
    await ts.move(db, code, ts.PATHS["delivered"], late=True)
    data = await (await client.get(f"/api/v1/track/{code}")).json()
    assert data["status"] == "delivered"
    assert data["status_text"] == "Đã giao thành công"
    events = data["events"]
    # the late 'arrived' repeats an applied one: a duplicate the citizen is not shown twice
    assert [e["event"] for e in events] == ["picked_up", "arrived", "out_for_delivery", "delivered"]
    assert all(e["applied"] and not e["late"] for e in events)
    assert events[0]["occurred_at"] == "2026-12-01T08:00:00+07:00"
    assert events[0]["post_office"] == "Bưu cục Vĩnh Yên"
    assert events[-1]["status_text"] == "Đã giao thành công"
    for e in events:
        assert not {"id", "actor_user_id", "details", "location", "lat", "lon", "client_event_id"} & set(e)


@pytest.mark.parametrize("direction", ["delivery", "pickup"])
async def test_no_personal_data_in_any_status(roomy, world, db, direction):
    for status, path in ts.PATHS.items():
        code = (await ts.create(roomy, world, direction))["tracking_code"]
        await ts.move(db, code, path, late=status == "delivered")
        sig = sign_code(code, b"test-secret-key-not-for-production")
        for query, proven in (("", False), (f"?phone4={ts.PHONE4}", True), (f"?s={sig}", True),
                              ("?phone4=0000", False), ("?s=AAAAAAAA", False), ("?lang=en", False)):
            resp = await roomy.get(f"/api/v1/track/{code}{query}")
            text = await resp.text()
            assert resp.status == 200, text
            assert ts.leaks(text) == [], (status, direction, query)
            data = await resp.json()
            TrackOut.model_validate(data)
            assert data["status"] == status
            assert ("recipient" in data) is proven, (status, query)


async def test_phone4_reveals_the_masked_recipient(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    spaced = f" {ts.PHONE4[:2]} {ts.PHONE4[2:]}"
    data = await (await client.get(f"/api/v1/track/{code}", params={"phone4": spaced})).json()
    assert data["recipient"] == {"name": ts.MASKED, "ward": "Phường Vĩnh Yên", "province": "Phú Thọ"}


async def test_signature_reveals_the_masked_recipient_in_either_case(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    sig = sign_code(code, b"test-secret-key-not-for-production")
    for given in (sig, sig.lower()):
        data = await (await client.get(f"/api/v1/track/{code}", params={"s": given})).json()
        assert data["recipient"]["name"] == ts.MASKED


async def test_forged_truncated_and_altered_signatures_show_only_the_public_view(roomy, world):
    client = roomy
    code = (await ts.create(client, world))["tracking_code"]
    sig = sign_code(code, b"test-secret-key-not-for-production")
    other = (await ts.create(client, world))["tracking_code"]
    altered = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    for bad in (altered, sig[:7], sig + "A", sign_code(other, b"test-secret-key-not-for-production"),
                sign_code(code, b"another-key"), "ÄÄÄÄÄÄÄÄ", ""):
        resp = await client.get(f"/api/v1/track/{code}", params={"s": bad})
        assert resp.status == 200
        assert "recipient" not in await resp.json(), bad


async def test_wrong_phone4_shows_only_the_public_view(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    resp = await client.get(f"/api/v1/track/{code}", params={"phone4": "1111"})
    assert resp.status == 200
    assert "recipient" not in await resp.json()


@pytest.mark.parametrize("phone4", ["123", "12345", "abcd", "12a4"])
async def test_malformed_phone4_is_422(client, world, phone4):
    code = (await ts.create(client, world))["tracking_code"]
    resp = await client.get(f"/api/v1/track/{code}", params={"phone4": phone4})
    assert resp.status == 422
    assert resp.content_type == "application/problem+json"
    assert (await resp.json())["errors"][0]["field"] == "phone4"


@pytest.mark.parametrize("code", ["RA000000000VN", "RA123456789VN", "XX", "RA12345678", "not a code", "RA" + "9" * 300])
async def test_unknown_and_malformed_codes_read_the_same_404(client, world, code):
    resp = await client.get(f"/api/v1/track/{code}")
    assert resp.status == 404
    assert resp.content_type == "application/problem+json"
    data = await resp.json()
    Problem.model_validate(data)
    assert data["status"] == 404
    assert data["detail"] == (
        "Không tìm thấy bưu gửi với mã này. Hãy kiểm tra lại mã in trên phiếu (ví dụ RA123456785VN)."
    )


async def test_cancelled_shipment_is_still_trackable(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    assert (await client.post(f"/api/v1/shipments/{code}/cancel", headers=world.auth("staff1"))).status == 200
    data = await (await client.get(f"/api/v1/track/{code}")).json()
    assert data["status"] == "cancelled"
    assert data["status_text"] == "Đã huỷ"
    assert [e["event"] for e in data["events"]] == ["cancel"]
    assert data["events"][0]["post_office"] is None


async def test_english_texts(client, world):
    code = (await ts.create(client, world, "pickup"))["tracking_code"]
    data = await (await client.get(f"/api/v1/track/{code}", params={"lang": "en"})).json()
    assert data["status_text"] == "Request created, waiting for the postman to collect the dossier"


async def test_no_login_needed_and_a_token_changes_nothing(client, world):
    code = (await ts.create(client, world))["tracking_code"]
    plain = await (await client.get(f"/api/v1/track/{code}")).json()
    with_token = await (await client.get(f"/api/v1/track/{code}", headers=world.auth("staff1"))).json()
    assert plain == with_token


async def test_openapi_declares_the_public_operation(client):
    spec = await (await client.get("/api/v1/openapi.json")).json()
    op = spec["paths"]["/api/v1/track/{code}"]["get"]
    assert op["security"] == []
    assert {"200", "404", "422", "429"} <= set(op["responses"])
    assert {p["name"] for p in op["parameters"]} >= {"code", "s", "phone4", "lang"}


async def test_a_look_up_is_one_statement(client, world, db, monkeypatch):
    """The shipment, its timeline and the client's miss count come in one round trip; only a miss
    (here a wrong ``phone4``) adds the statement that counts it."""
    import asyncpg.connection

    code = (await ts.create(client, world))["tracking_code"]
    await ts.move(db, code, ts.PATHS["out_for_delivery"])
    statements: list[str] = []
    execute = asyncpg.connection.Connection._execute

    async def counted(self, query, *args, **kwargs):
        statements.append(query)
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "_execute", counted)
    monkeypatch.setattr("postal.services.tracking.PURGE_PROBABILITY", 0)  # no clean-up statement by chance
    for query, expected in (("", 1), (f"?phone4={ts.PHONE4}", 1), ("?phone4=0000", 2)):
        statements.clear()
        resp = await client.get(f"/api/v1/track/{code}{query}")
        assert resp.status == 200
        assert [e["event"] for e in (await resp.json())["events"]] == ["picked_up", "arrived", "out_for_delivery"]
        assert len(statements) == expected, (query, statements)
