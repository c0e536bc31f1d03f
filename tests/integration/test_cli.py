"""The ``postal`` command as a user runs it: real subprocesses against a real database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import asyncpg
import pytest

from postal.services.accounts import token_hash
from postal.settings import Settings


def postal(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert settings.database_url is not None
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTAL_DATA_DIR": str(settings.data_dir),
           "POSTAL_SECRET_KEY": settings.secret_key}
    return subprocess.run([sys.executable, "-m", "postal.cli", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)


def test_help_explains_every_command(settings):
    out = postal(settings, "--help")
    assert out.returncode == 0
    for name in ("serve", "worker", "migrate", "post-office", "agency", "user", "token", "demo"):
        assert name in out.stdout
    for sub in (("serve",), ("agency", "add"), ("user", "add"), ("token", "create"), ("post-office", "add")):
        assert postal(settings, *sub, "--help").returncode == 0


async def test_setup_commands_and_tokens(settings, dsn):
    assert postal(settings, "migrate").returncode == 0
    steps = [
        ("post-office", "add", "VP-01", "--name", "Bưu cục Vĩnh Phúc", "--province-code", "25"),
        ("agency", "add", "H62", "--name", "Bộ phận một cửa Phú Thọ", "--province-code", "025",
         "--ward-code", "8707", "--post-office", "VP-01", "--address", "Số 2 Hai Bà Trưng"),
    ]
    for step in steps:
        result = postal(settings, *step)
        assert result.returncode == 0, result.stderr
    added = postal(settings, "user", "add", "canbo", "--role", "staff", "--agency", "H62", "--password-stdin",
                   stdin="mat-khau-du-dai\n")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("pst_") and " " not in token
    second = postal(settings, "token", "create", "canbo").stdout.strip().splitlines()[-1]
    assert second.startswith("pst_") and second != token
    con = await asyncpg.connect(dsn)
    try:
        stored = await con.fetch("SELECT token_hash FROM api_tokens")
        assert {r["token_hash"] for r in stored} == {token_hash(token), token_hash(second)}
        assert await con.fetchval("SELECT ward_code FROM agencies WHERE code = 'H62'") == "08707"
        assert (await con.fetchval("SELECT password_hash FROM users")).startswith("$argon2")
    finally:
        await con.close()


def test_clear_errors_and_nonzero_exit(settings):
    postal(settings, "post-office", "add", "VP-01", "--name", "Bưu cục", "--province-code", "25")
    again = postal(settings, "post-office", "add", "VP-01", "--name", "Bưu cục", "--province-code", "25")
    assert again.returncode != 0 and "đã tồn tại" in again.stderr
    unknown = postal(settings, "agency", "add", "X", "--name", "X", "--province-code", "25", "--ward-code", "1",
                     "--post-office", "VP-01")
    assert unknown.returncode != 0 and "ward_code" in unknown.stderr
    courier = postal(settings, "user", "add", "bt", "--role", "courier")
    assert courier.returncode != 0 and "--post-office" in courier.stderr
    assert "Traceback" not in again.stderr + unknown.stderr + courier.stderr


async def test_demo_is_safe_to_run_twice(settings, dsn):
    first = postal(settings, "demo")
    assert first.returncode == 0, first.stderr
    assert "/login" in first.stdout
    assert postal(settings, "demo").returncode == 0
    con = await asyncpg.connect(dsn)
    try:
        statuses = {r["status"] for r in await con.fetch("SELECT DISTINCT status FROM shipments")}
        assert statuses == {"created", "picked_up", "in_transit", "out_for_delivery", "delivery_failed",
                            "delivered", "returned", "cancelled"}
        assert await con.fetchval("SELECT count(*) FROM shipments") >= 24
        assert await con.fetchval("SELECT count(*) FROM users") == 4
    finally:
        await con.close()


def test_invalid_settings_are_named_without_a_traceback(settings):
    result = subprocess.run([sys.executable, "-m", "postal.cli", "migrate"],
                            env={**os.environ, "POSTAL_S10_PREFIX": "R1", "DATABASE_URL": settings.database_url},
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "s10_prefix" in result.stderr and "Traceback" not in result.stderr


async def _overdue_shipment(db: asyncpg.Connection, code: str) -> None:
    """One open shipment whose due date passed yesterday: the worker's overdue watcher must notice it."""
    await db.execute(
        "INSERT INTO shipments (tracking_code, direction, status, agency_code, post_office_code, dossier_code,"
        " citizen_name, citizen_phone, address_line, ward_code, province_code, due_date)"
        " VALUES ($1, 'delivery', 'picked_up', 'AG-1', 'PO-1', 'D', 'Tên', '0912345678', 'Số 1', '08707', '25',"
        " current_date - 1)", code)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_worker_does_the_work_then_stops_cleanly(world, db, settings, stop):
    """The overdue watcher, the outbox dispatcher and the sender all run in ``postal worker``."""
    code = "RA12345678VN" if stop == signal.SIGTERM else "RA87654321VN"
    await _overdue_shipment(db, code)
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTAL_SECRET_KEY": settings.secret_key,
           "POSTAL_DATA_DIR": str(settings.data_dir), "POSTAL_NOTIFY_CHANNELS": "log"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "postal.cli", "worker", env=env,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        sent = None
        for _ in range(200):  # up to a minute on a busy machine
            sent = await db.fetchrow("SELECT n.kind, n.channel, n.text_masked FROM notifications n"
                                     " JOIN shipments s ON s.id = n.shipment_id"
                                     " WHERE s.tracking_code = $1 AND n.status = 'sent'", code)
            if sent is not None or proc.returncode is not None:
                break
            await asyncio.sleep(0.3)
        assert sent is not None and (sent["kind"], sent["channel"]) == ("late", "log")
        assert "0912345678" not in (sent["text_masked"] or "")
        assert await db.fetchval("SELECT count(*) FROM outbox WHERE topic = 'notification.late'"
                                 " AND processed_at IS NOT NULL") == 1
        proc.send_signal(stop)
        started = time.monotonic()
        returncode = await asyncio.wait_for(proc.wait(), timeout=10)
        assert time.monotonic() - started < 10
    finally:
        if proc.returncode is None:
            proc.kill()
        _, err = await proc.communicate()
    stderr = err.decode()
    assert returncode == 0, stderr
    assert "Traceback" not in stderr and "worker stopped" in stderr
