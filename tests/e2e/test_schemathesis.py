"""Schemathesis over the generated OpenAPI document, against a real ``postal serve`` with a staff token:
no 5xx, and every response conforms to the documented schema, status codes and content types."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from postal.settings import Settings
from tests.conftest import World, build_world
from tests.integration.payloads import CREATE, create_body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"postal serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("postal serve did not become healthy")


async def load_world(dsn: str) -> World:
    con = await asyncpg.connect(dsn)
    try:
        return await build_world(con)
    finally:
        await con.close()


@pytest.fixture
def served(settings: Settings, dsn: str, tmp_path: Path) -> Iterator[tuple[str, World]]:
    """A real ``postal serve`` subprocess on a free port, with the test world loaded; yields (url, tokens)."""
    world = asyncio.run(load_world(dsn))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "POSTAL_DATA_DIR": str(tmp_path),
           "POSTAL_SECRET_KEY": settings.secret_key, "POSTAL_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "POSTAL_TRACK_RATE_LIMIT": "100000"}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "postal.cli", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proc)
        yield url, world
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def create_shipment(url: str, token: str) -> str:
    request = urllib.request.Request(
        f"{url}/api/v1/shipments", data=json.dumps(create_body()).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return str(json.load(resp)["tracking_code"])


def create_manifest(url: str, token: str) -> str:
    """A manifest of one new shipment (the printing operations' examples use the first shipment)."""
    body = {"tracking_codes": [create_shipment(url, token)], "post_office_code": CREATE["post_office_code"]}
    request = urllib.request.Request(
        f"{url}/api/v1/manifests", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return str(json.load(resp)["id"])


def run_schemathesis(url: str, token: str, cwd: Path, *selection: str) -> None:
    """Run the schemathesis CLI with ``token``; fail with its report on any finding."""
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    result = subprocess.run(
        [cli, "run", f"{url}/api/v1/openapi.json", "-H", f"Authorization: Bearer {token}",
         "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,"
                     "content_type_conformance",
         "--phases", "examples,coverage,fuzzing,stateful", "--seed", "2026",
         "--max-examples", os.environ.get("POSTAL_FUZZ_EXAMPLES", "40"),  # more for a longer sweep
         # One worker: two threads compiling hypothesis code at once can hit CPython 3.11's
         # "AST constructor recursion depth mismatch" SystemError inside schemathesis itself.
         "--generation-deterministic", "--workers", "1", "--request-timeout", "20", "--no-color", *selection],
        capture_output=True, text=True, timeout=900, check=False, cwd=cwd,
    )
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts and counts.group(1) == counts.group(2) and int(counts.group(1)) > 100, report


def test_no_server_errors_and_schema_conformance(served, tmp_path):
    """Every operation with a staff token (the scans, couriers only, have their own run below)."""
    url, world = served
    code = create_shipment(url, world.tokens["staff1"])
    manifest_id = create_manifest(url, world.tokens["staff1"])
    # Real ids for the path parameters, so operations reach their logic instead of answering 404.
    (tmp_path / "schemathesis.toml").write_text(
        f'[parameters]\n"path.code" = "{code}"\n"path.manifest_id" = "{manifest_id}"\n'
    )
    run_schemathesis(url, world.tokens["staff1"], tmp_path, "--exclude-path-regex", "^/api/v1/scans")


def test_scans_with_a_courier_token(served, tmp_path):
    """The scan operations fuzzed as the courier of the shipments' post office."""
    url, world = served
    create_shipment(url, world.tokens["staff1"])  # something to scan, should a generated code hit it
    (tmp_path / "schemathesis.toml").write_text(f'[parameters]\n"path.client_event_id" = "{uuid.uuid4()}"\n')
    run_schemathesis(url, world.tokens["courier1"], tmp_path, "--include-path-regex", "^/api/v1/scans")


def test_calendar_with_an_admin_token(served, tmp_path):
    """The calendar edits, fuzzed as an admin (staff may only read them)."""
    url, world = served
    (tmp_path / "schemathesis.toml").write_text('[parameters]\n"path.day" = "2027-12-31"\n')
    run_schemathesis(url, world.tokens["admin"], tmp_path, "--include-path-regex", "^/api/v1/holidays")


def test_webhooks_with_an_integration_token(served, tmp_path):
    """The webhook operations, fuzzed as an integration (staff are refused them); a real subscription
    (a public IP literal, so no DNS is needed) gives the path ids something to find."""
    url, world = served
    request = urllib.request.Request(
        f"{url}/api/v1/webhooks", data=json.dumps({"url": "http://93.184.216.34/hook", "events": ["*"]}).encode(),
        method="POST", headers={"Authorization": f"Bearer {world.tokens['integ1']}",
                                "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        sub_id = json.load(resp)["id"]
    (tmp_path / "schemathesis.toml").write_text(f'[parameters]\n"path.id" = "{sub_id}"\n')
    run_schemathesis(url, world.tokens["integ1"], tmp_path, "--include-path-regex", "^/api/v1/webhooks")
