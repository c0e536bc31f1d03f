"""The ``postal`` command as a user runs it: real subprocesses against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import asyncpg

from postal.services.accounts import token_hash


def postal(settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
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


def test_worker_runs_until_stopped(settings):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTAL_SECRET_KEY": settings.secret_key,
           "POSTAL_DATA_DIR": str(settings.data_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "postal.cli", "worker"], env=env, stderr=subprocess.PIPE,
                            text=True)
    try:
        time.sleep(3)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    assert "Traceback" not in stderr
