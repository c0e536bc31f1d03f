"""Test fixtures: a real PostgreSQL (DATABASE_URL, or the embedded pgserver), a fresh database per test
cloned from a migrated template, and the aiohttp app over it."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from pytest_aiohttp import AiohttpClient

from postal.app import create_app
from postal.domain.access import Role
from postal.services import accounts
from postal.services.setup import prepare_database
from postal.settings import Settings
from postal.store.database import embedded_server_running, embedded_server_uri, stop_embedded_server

ROOT = Path(__file__).resolve().parents[1]
# Cheap argon2 parameters: the tests create many users, production keeps the library's defaults.
accounts.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def with_database(dsn: str, name: str) -> str:
    """The same server URL with another database name."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """An administrative URL of the PostgreSQL the tests use.

    Without ``DATABASE_URL``, the embedded server in ``.postal-data-test``; when the suite started
    it (none was running), the suite stops it at the end, so ``./run test`` leaves nothing behind.
    """
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    pgdata = Path(os.environ.get("POSTAL_TEST_DATA_DIR", ROOT / ".postal-data-test")) / "pg"
    was_running = embedded_server_running(pgdata)
    yield embedded_server_uri(pgdata)
    if not was_running:
        stop_embedded_server(pgdata)


async def _admin(dsn: str, sql: str) -> None:
    con = await asyncpg.connect(dsn)
    try:
        await con.execute(sql)
    finally:
        await con.close()


async def _build_template(dsn: str) -> None:
    con = await asyncpg.connect(dsn)
    try:
        await prepare_database(con)
    finally:
        await con.close()


@pytest.fixture(scope="session")
def template_db(server_dsn: str) -> Iterator[str]:
    """A database with every migration applied, cloned for each test."""
    name = f"postal_tpl_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(server_dsn, f'CREATE DATABASE "{name}"'))
    asyncio.run(_build_template(with_database(server_dsn, name)))
    yield name
    asyncio.run(_admin(server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def dsn(server_dsn: str, template_db: str) -> AsyncIterator[str]:
    """A fresh database for this test."""
    name = f"postal_t_{uuid.uuid4().hex[:12]}"
    await _admin(server_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{template_db}" STRATEGY WAL_LOG')
    yield with_database(server_dsn, name)
    await _admin(server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(dsn: str, tmp_path: Path) -> Settings:
    return Settings(
        DATABASE_URL=dsn,  # type: ignore[call-arg]  # the field is read by its alias; mypy sees only database_url
        data_dir=tmp_path,
        secret_key="test-secret-key-not-for-production",
        public_url="http://postal.test",
        pool_min_size=1,
        pool_max_size=10,
    )


@pytest.fixture
async def db(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to this test's database, for setup and for checking what was written."""
    con = await asyncpg.connect(dsn)
    yield con
    await con.close()


@dataclass
class World:
    """Two agencies with their post offices and a token per role, to test isolation."""

    tokens: dict[str, str]
    db: asyncpg.Connection | None = None  # the test's own connection, for setup the API cannot do

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def build_world(con: asyncpg.Connection) -> World:
    await accounts.add_post_office(con, "PO-1", "Bưu cục Vĩnh Yên", "25")
    await accounts.add_post_office(con, "PO-2", "Bưu cục Việt Trì", "25")
    await accounts.add_agency(con, accounts.NewAgency("AG-1", "Trung tâm Phục vụ hành chính công Phú Thọ", "25",
                                                      "08707", "PO-1", "Số 2 Hai Bà Trưng",
                                                      dossier_agency_id="000.00.15.H62"))
    await accounts.add_agency(con, accounts.NewAgency("AG-2", "UBND Phường Việt Trì", "25", "08707", "PO-2",
                                                      free_form_dossier_codes=True))
    users = [
        ("staff1", Role.staff, "AG-1", None), ("integ1", Role.integration, "AG-1", None),
        ("courier1", Role.courier, None, "PO-1"), ("admin", Role.admin, None, None),
        ("staff2", Role.staff, "AG-2", None), ("courier2", Role.courier, None, "PO-2"),
    ]
    tokens = {}
    for username, role, agency, office in users:
        await accounts.add_user(con, username, role, agency_code=agency, post_office_code=office,
                                password="correct-horse-battery")
        tokens[username] = await accounts.create_token(con, username)
    return World(tokens, con)


@pytest.fixture
async def world(db: asyncpg.Connection) -> World:
    return await build_world(db)


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, settings: Settings) -> TestClient:
    return await aiohttp_client(await create_app(settings))
