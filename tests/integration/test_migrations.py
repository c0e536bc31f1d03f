"""Migrations: applied once under an advisory lock, recorded with checksums, edits refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from postal.errors import MigrationError
from postal.store.database import Migration, migrate, read_migrations
from tests.conftest import with_database


@pytest.fixture
async def empty_db(server_dsn: str) -> AsyncIterator[str]:
    name = "postal_empty_" + asyncio.get_running_loop().time().hex().replace(".", "")[-10:]
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    yield with_database(server_dsn, name)
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


async def test_concurrent_migrations_apply_each_file_once(empty_db):
    cons = [await asyncpg.connect(empty_db) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in cons))
        applied = sorted(v for r in results for v in r)
        assert applied == [m.version for m in read_migrations()]
        assert await migrate(cons[0]) == []
    finally:
        for con in cons:
            await con.close()


async def test_an_edited_migration_is_refused(empty_db):
    con = await asyncpg.connect(empty_db)
    try:
        migrations = read_migrations()
        await migrate(con, migrations)
        edited = [*migrations[:-1], Migration(migrations[-1].version, migrations[-1].sql + "\n-- edited\n")]
        with pytest.raises(MigrationError, match="edited after it was applied"):
            await migrate(con, edited)
    finally:
        await con.close()


async def test_a_failing_migration_leaves_nothing_behind(empty_db):
    con = await asyncpg.connect(empty_db)
    try:
        broken = [Migration("001_broken", "CREATE TABLE half (id int); SELECT no_such_function();")]
        with pytest.raises(asyncpg.PostgresError):
            await migrate(con, broken)
        assert await con.fetchval("SELECT to_regclass('half')") is None
        assert await con.fetchval("SELECT count(*) FROM schema_migrations") == 0
    finally:
        await con.close()
