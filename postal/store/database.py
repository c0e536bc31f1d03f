"""Where the database is, the connection pool, and the migrations.

``DATABASE_URL`` when set; otherwise an embedded PostgreSQL from ``pgserver``
kept running in ``POSTAL_DATA_DIR`` so that several processes (``postal serve``,
CLI commands, workers) share one server.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from postal.errors import MigrationError
from postal.settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "db" / "migrations"
MIGRATION_LOCK_ID = 0x706F7374616C  # "postal": one advisory lock for every process


def resolve_dsn(settings: Settings) -> str:
    """The PostgreSQL URL to use, starting the embedded server when there is no ``DATABASE_URL``."""
    if settings.database_url:
        return settings.database_url
    return embedded_server_uri(settings.data_dir / "pg")


EMBEDDED_START_SECONDS = 90.0


def embedded_server_uri(pgdata: Path, database: str = "postgres") -> str:
    """Start (or join) the embedded PostgreSQL in ``pgdata`` and return its URL; it outlives this process."""
    with warnings.catch_warnings():  # pgserver's platformdirs warns about XDG_RUNTIME_DIR on servers; harmless
        warnings.simplefilter("ignore")
        import pgserver  # imported late: starting a server is I/O, and production never needs it

    pgdata.mkdir(parents=True, exist_ok=True)
    resolved = pgdata.resolve()
    deadline = time.monotonic() + EMBEDDED_START_SECONDS
    while True:
        try:
            server = pgserver.get_server(resolved, cleanup_mode=None)
            break
        except (subprocess.SubprocessError, AssertionError, ValueError, OSError):
            # pgserver gives pg_ctl 10 s and reads postmaster.pid without waiting for a whole file: on a
            # loaded machine, or when several processes start it at once, one try can fail while the
            # server still comes up. Forget the half-made handle and look again.
            pgserver.PostgresServer._instances.pop(resolved, None)
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
    return str(server.get_uri(database))


def embedded_server_running(pgdata: Path) -> bool:
    """Whether an embedded PostgreSQL is running in ``pgdata`` (never starts one)."""
    return _postmaster(pgdata) is not None


def _postmaster(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.utils import PostmasterInfo

    pgdata = pgdata.resolve()
    for _ in range(50):  # a server that is starting writes postmaster.pid line by line
        try:
            info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.is_dir() else None
            break
        except (AssertionError, ValueError):
            time.sleep(0.1)
    else:
        return None
    return info if info is not None and info.is_running() else None


def stop_embedded_server(pgdata: Path) -> int | None:
    """Stop the embedded PostgreSQL running in ``pgdata`` (fast shutdown: sessions are disconnected).

    Returns the server's process id, or None when no server runs there. Never starts one.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver import pg_ctl  # type: ignore[attr-defined]  # made at import from the bundled binaries

    info = _postmaster(pgdata)
    if info is None:
        return None
    pgdata = pgdata.resolve()
    # pgserver runs the server as the "pgserver" system user when we are root; pg_ctl must match.
    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
    return int(info.pid) if info.pid is not None else 0


def _json_text(value: object) -> str:
    """JSON for a ``json``/``jsonb`` parameter: orjson (a scan's details and outbox payload, on every scan),
    or the standard encoder for what orjson refuses (an integer beyond 64 bits from a carrier's report)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


async def _init_connection(con: asyncpg.Connection) -> None:
    # Decoded by the standard library: exact big integers and no error on numbers beyond a double.
    await con.set_type_codec("jsonb", encoder=_json_text, decoder=json.loads, schema="pg_catalog")
    await con.set_type_codec("json", encoder=_json_text, decoder=json.loads, schema="pg_catalog")


async def _reset_connection(con: asyncpg.Connection) -> None:
    """Undo an open transaction before a connection goes back to the pool.

    asyncpg's default reset also runs ``RESET ALL``, ``UNLISTEN *``, ``CLOSE ALL`` and an advisory
    unlock: a round trip on every release for session state this service never leaves behind
    (it sets no session settings, listens to nothing, holds no cursors or session-level locks on
    pooled connections); on the scan path that round trip was a fifth of the work.
    """
    if con.is_in_transaction():
        await con.execute("ROLLBACK")


PLANNER_SETTINGS = {"random_page_cost": "1.1"}
"""Random reads cost about what sequential ones do on SSDs (PostgreSQL's default 4 is for spinning disks).
With 4, the planner answers "an agency's newest 50" by walking the primary key backwards and filtering,
which reads the whole table for an agency with no recent shipment (30 ms at 100,000 rows, linear in the
table); with 1.1 it takes the agency's own ``(agency_code, id DESC)`` index (0.3 ms, flat). Issue 16."""


async def create_pool(dsn: str, settings: Settings) -> asyncpg.Pool:
    """A pool whose connections speak UTC and decode JSON."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min(settings.pool_min_size, settings.pool_max_size),
        max_size=settings.pool_max_size,
        init=_init_connection,
        reset=_reset_connection,
        server_settings={**PLANNER_SETTINGS, "timezone": "UTC", "application_name": "postal"},
    )
    assert pool is not None
    return pool


async def ping(pool: asyncpg.Pool) -> None:
    """One round trip through the pool (``SELECT 1``); raises when the database does not answer."""
    async with pool.acquire() as con:
        await con.fetchval("SELECT 1")


async def connect(dsn: str) -> asyncpg.Connection:
    """One connection configured like the pool's, for CLI commands."""
    con = await asyncpg.connect(dsn, server_settings={**PLANNER_SETTINGS, "timezone": "UTC",
                                                      "application_name": "postal-cli"})
    await _init_connection(con)
    return con


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file."""

    version: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def read_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in order of their number (``001_init.sql`` → version ``001_init``)."""
    files = sorted(directory.glob("[0-9][0-9][0-9]_*.sql"))
    if not files:
        raise MigrationError(f"no migrations found in {directory}")
    return [Migration(f.stem, f.read_text(encoding="utf-8")) for f in files]


async def migrate(con: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[str]:
    """Apply pending migrations under an advisory lock; refuse an edited, already-applied one."""
    migrations = migrations if migrations is not None else read_migrations()
    await con.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
    try:
        await con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {r["version"]: r["checksum"] for r in await con.fetch("SELECT * FROM schema_migrations")}
        return [m.version for m in migrations if await _apply_one(con, m, applied)]
    finally:
        await con.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)


async def _apply_one(con: asyncpg.Connection, migration: Migration, applied: dict[str, str]) -> bool:
    if migration.version in applied:
        if applied[migration.version] != migration.checksum:
            raise MigrationError(
                f"migration {migration.version} was edited after it was applied "
                f"(checksum {migration.checksum[:12]} ≠ recorded {applied[migration.version][:12]}); "
                "add a new numbered migration instead of editing an applied one"
            )
        return False
    async with con.transaction():
        await con.execute(migration.sql)
        await con.execute(
            "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
            migration.version,
            migration.checksum,
        )
    log.info("migration applied", extra={"version": migration.version})
    return True


# Errors that mean "the database cannot be reached" rather than "this request is wrong":
# the server refuses or drops connections, is shutting down or starting up, or is full.
_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08 and connections lost mid-query
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: backend terminated by an administrator
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
    ConnectionError,  # refused, reset, aborted: from the socket to the database
    TimeoutError,  # connecting, or waiting for a free pooled connection, took too long
)
_NETWORK_ERRNOS = frozenset({errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT,
                             errno.EADDRNOTAVAIL, errno.EHOSTDOWN})


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database is unreachable (the caller answers 503, not 500)."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        # asyncpg tells a closed pool or connection apart only by its message.
        return "clos" in str(exc)
    if isinstance(exc, socket.gaierror):
        return True
    # asyncio joins the failures of every address it tried ("Multiple exceptions: …") into an OSError
    # without errno; a bare network errno is the single-address form.
    return type(exc) is OSError and (exc.errno is None or exc.errno in _NETWORK_ERRNOS)
