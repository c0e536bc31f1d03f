"""``postal token revoke``, ``postal user disable`` and ``postal db stop`` as a user runs them:
real subprocesses, then the effect checked through HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from postal.app import create_app
from postal.settings import Settings
from postal.store.database import embedded_server_running
from tests.integration.test_cli import postal

PASSWORD = "correct-horse-battery"


async def fresh_client(aiohttp_client: AiohttpClient, settings: Settings) -> TestClient:
    """An app without a token cache, as another process would be after POSTAL_TOKEN_CACHE_SECONDS."""
    return await aiohttp_client(await create_app(settings.model_copy(update={"token_cache_seconds": 0})))


async def api_status(client: TestClient, token: str) -> int:
    resp = await client.get("/api/v1/shipments", headers={"Authorization": f"Bearer {token}"})
    return resp.status


def test_help_in_both_languages(settings):
    for sub, words in ((("token", "revoke"), ("Thu hồi", "Revoke", "TOKEN_PREFIX", "--user")),
                       (("user", "disable"), ("Khoá", "Disable")),
                       (("db", "stop"), ("Dừng", "Stops"))):
        out = postal(settings, *sub, "--help")
        assert out.returncode == 0
        for word in words:
            assert word in out.stdout, (sub, word)


async def test_revoke_by_prefix_whole_token_and_user(aiohttp_client, settings, world):
    client = await fresh_client(aiohttp_client, settings)
    staff, integ = world.tokens["staff1"], world.tokens["integ1"]
    assert await api_status(client, staff) == 200

    out = postal(settings, "token", "revoke", staff[:12])
    assert out.returncode == 0, out.stderr
    assert await api_status(client, staff) == 401
    again = postal(settings, "token", "revoke", staff[:12])
    assert again.returncode != 0 and "Không có mã truy cập" in again.stderr

    made = postal(settings, "token", "create", "integ1")
    new_integ = made.stdout.strip().splitlines()[-1]
    assert postal(settings, "token", "revoke", integ).returncode == 0  # the whole token
    assert await api_status(client, integ) == 401 and await api_status(client, new_integ) == 200
    out = postal(settings, "token", "revoke", "--user", "integ1")
    assert out.returncode == 0 and "1" in out.stdout
    assert await api_status(client, new_integ) == 401

    for bad in (("token", "revoke"), ("token", "revoke", "pst_", "--user", "x"), ("token", "revoke", "pst_ab")):
        result = postal(settings, *bad)
        assert result.returncode != 0 and result.stderr and "Traceback" not in result.stderr
    unknown = postal(settings, "token", "revoke", "--user", "nobody")
    assert unknown.returncode != 0 and "Không có người dùng" in unknown.stderr


async def test_disable_user_stops_tokens_sessions_and_sign_in(aiohttp_client, settings, world):
    client = await fresh_client(aiohttp_client, settings)
    assert (await client.post("/login", data={"username": "courier1", "password": PASSWORD},
                              allow_redirects=False)).status == 302
    assert (await client.get("/courier", allow_redirects=False)).status == 200
    token = world.tokens["courier1"]
    assert await api_status(client, token) in (200, 403)  # authenticated (couriers may not list)

    out = postal(settings, "user", "disable", "courier1")
    assert out.returncode == 0, out.stderr
    assert await api_status(client, token) == 401
    assert (await client.get("/courier", allow_redirects=False)).status == 302
    resp = await client.post("/login", data={"username": "courier1", "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 401
    missing = postal(settings, "user", "disable", "nobody")
    assert missing.returncode != 0 and "Không có người dùng" in missing.stderr


def run_plain(data_dir: Path, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """``postal`` with only this data dir (no DATABASE_URL unless given)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"POSTAL_DATA_DIR": str(data_dir), "POSTAL_SECRET_KEY": "k" * 40}
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "postal.cli", *args], env=env, capture_output=True, text=True,
                          timeout=180, check=False)


def test_db_stop(settings):
    # Not under pytest's tmp_path: as root, pgserver runs PostgreSQL as the "pgserver" user, who
    # cannot enter /tmp/pytest-of-root (mode 0700).
    base = Path(tempfile.mkdtemp(prefix="postal-dbstop-"))
    base.chmod(0o755)
    data_dir = base / "data"
    nothing = run_plain(data_dir, "db", "stop")
    assert nothing.returncode == 0 and "không có PostgreSQL nhúng nào đang chạy" in nothing.stdout
    try:
        assert run_plain(data_dir, "migrate").returncode == 0  # starts the embedded server; it keeps running
        assert embedded_server_running(data_dir / "pg")
        stopped = run_plain(data_dir, "db", "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert "đã dừng PostgreSQL nhúng" in stopped.stdout
        assert not embedded_server_running(data_dir / "pg")
        assert "không có PostgreSQL nhúng" in run_plain(data_dir, "db", "stop").stdout
    finally:
        if embedded_server_running(data_dir / "pg"):
            run_plain(data_dir, "db", "stop")
        shutil.rmtree(base, ignore_errors=True)
    external = run_plain(data_dir, "db", "stop", database_url=settings.database_url)
    assert external.returncode == 2 and "DATABASE_URL" in external.stderr


def test_demo_links_follow_postal_port(settings):
    env_port = {"POSTAL_PORT": "8091"}
    out = subprocess.run([sys.executable, "-m", "postal.cli", "demo"], capture_output=True, text=True, timeout=300,
                         check=False, env={**os.environ, "DATABASE_URL": settings.database_url,
                                           "POSTAL_DATA_DIR": str(settings.data_dir),
                                           "POSTAL_SECRET_KEY": settings.secret_key, **env_port})
    assert out.returncode == 0, out.stderr
    assert "http://127.0.0.1:8091/login" in out.stdout and ":8080" not in out.stdout
