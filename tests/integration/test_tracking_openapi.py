"""Schemathesis against the tracking operation: every answer matches the OpenAPI document (status, schema)."""

from __future__ import annotations

import asyncio

import pytest
import schemathesis
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from pytest_aiohttp import AiohttpServer
from schemathesis import Case

from postal.app import create_app
from postal.domain.codes import make_s10
from postal.settings import Settings
from tests.integration import tracking_support as ts


@pytest.fixture
async def server(aiohttp_server: AiohttpServer, settings: Settings) -> TestServer:
    return await aiohttp_server(await create_app(settings.model_copy(update={"track_rate_limit": 40})))


async def test_track_operation_conforms_to_its_schema(server, aiohttp_client, world, db):
    base = str(server.make_url("")).rstrip("/")
    client = await aiohttp_client(server)
    await ts.create(client, world)
    document = await (await client.get("/api/v1/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    operation = schema["/api/v1/track/{code}"]["GET"]

    @hsettings(max_examples=60, deadline=None, phases=[Phase.explicit, Phase.generate],
               suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case: Case) -> None:
        case.call_and_validate(base_url=base)

    await asyncio.to_thread(check)
    # Only misses of well-formed codes count: make enough of them that the 429 answer is checked too.
    def over_the_limit() -> None:
        statuses = set()
        for n in range(45):
            case = operation.Case(path_parameters={"code": make_s10("RA", 90_000_000 + n)})
            statuses.add(case.call_and_validate(base_url=base).status_code)
        assert statuses == {404, 429}

    await asyncio.to_thread(over_the_limit)
    assert await db.fetchval("SELECT sum(hits) FROM track_rate_hits") >= 40
