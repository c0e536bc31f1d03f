"""A real ``postal serve`` subprocess, as an operator runs it: the public URL follows ``--port``, slow and
oversized requests are cut off without leaking a token into the log, and a flood of wrong passwords
does not stall the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
from argon2 import PasswordHasher

from postal.settings import Settings
from tests.e2e.labels_raster import decode, rasterize
from tests.e2e.test_schemathesis import create_shipment, free_port, load_world, wait_until_healthy


@contextlib.contextmanager
def serve(settings: Settings, dsn: str, tmp_path: Path, *args: str, **env: str) -> Iterator[tuple[str, Path]]:
    """``postal serve --port <free port> *args`` with ``env``; yields (base URL, its stderr file)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("POSTAL_")}
    full_env |= {"DATABASE_URL": dsn, "POSTAL_DATA_DIR": str(tmp_path), "POSTAL_SECRET_KEY": settings.secret_key,
                 **env}
    stderr_path = tmp_path / f"serve-{port}.log"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "postal.cli", "serve", "--port", str(port), *args],
                                env=full_env, stdout=subprocess.DEVNULL, stderr=stderr)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(url, proc)
            yield url, stderr_path
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def get_json(url: str, token: str) -> dict:
    import json

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return dict(json.load(resp))


def test_public_url_defaults_to_the_listen_address(settings, dsn, tmp_path):
    world = asyncio.run(load_world(dsn))
    token = world.tokens["staff1"]
    with serve(settings, dsn, tmp_path) as (url, _):
        code = create_shipment(url, token)
        shipment = get_json(f"{url}/api/v1/shipments/{code}", token)
        assert shipment["qr_payload"].startswith(f"{url}/q/{code}.")
        request = urllib.request.Request(url + shipment["label_url"].removeprefix(url),
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            (page,) = rasterize(resp.read(), 300)
        assert decode(page)["QRCode"] == [shipment["qr_payload"]]
        with urllib.request.urlopen(shipment["qr_payload"], timeout=10) as resp:  # the QR code opens
            assert resp.status == 200 and code in resp.read().decode()
    explicit = "https://buudien.example.vn"
    with serve(settings, dsn, tmp_path, POSTAL_PUBLIC_URL=explicit) as (url, _):
        code = create_shipment(url, token)
        assert get_json(f"{url}/api/v1/shipments/{code}", token)["qr_payload"].startswith(f"{explicit}/q/")


def raw_request(url: str, head: bytes, timeout: float = 10) -> bytes:
    """Send ``head`` on a fresh connection and read until the server closes it."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head)
        chunks = []
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def test_no_token_or_password_in_the_log(settings, dsn, tmp_path):
    world = asyncio.run(load_world(dsn))
    tokens = [f"pst_{secrets.token_urlsafe(n)}" for n in (7000, 15000)]  # 9 KB and 20 KB headers
    password = "Wrong-" + secrets.token_urlsafe(12)
    with serve(settings, dsn, tmp_path, POSTAL_LOG_LEVEL="DEBUG") as (url, log_path):
        for token in [*tokens, world.tokens["staff1"] + "x" * 9000]:
            head = (f"GET /api/v1/shipments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                    "Connection: close\r\n\r\n").encode()
            answer = raw_request(url, head)
            assert answer.split(b" ", 2)[1] == b"400", answer[:200]
        for token in (tokens[0][:200], world.tokens["staff1"]):  # ordinary sizes too: a bad and a good one
            request = urllib.request.Request(f"{url}/api/v1/shipments", headers={"Authorization": f"Bearer {token}"})
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=10).close()
        body = f"username=staff1&password={password}".encode()
        login = urllib.request.Request(f"{url}/login", data=body, method="POST")
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(login, timeout=30).close()
        time.sleep(0.5)
    log = log_path.read_text(errors="replace")
    assert "bad HTTP request refused" in log  # the oversized heads were seen and logged, by kind only
    secrets_sent = [*tokens, world.tokens["staff1"], password]
    for secret in secrets_sent:
        body_of = secret.removeprefix("pst_")
        for i in range(0, len(body_of) - 10, 10):
            assert body_of[i:i + 10] not in log, f"part of a secret at {i} is in the log"


def read_until_closed(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed ``sock`` (None if it was still open after ``seconds``)."""
    started = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - started < seconds:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - started
    return None


def test_slow_clients_are_cut_off(settings, dsn, tmp_path):
    env = {"POSTAL_HEADER_TIMEOUT_SECONDS": "2", "POSTAL_BODY_TIMEOUT_SECONDS": "2"}
    with serve(settings, dsn, tmp_path, **env) as (url, _):
        host, port = url.removeprefix("http://").split(":")
        half_open = [socket.create_connection((host, int(port))) for _ in range(20)]
        for sock in half_open:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # half a head, never finished
        closed = [read_until_closed(sock, 6) for sock in half_open]
        assert all(c is not None and c < 4.5 for c in closed), closed

        with socket.create_connection((host, int(port))) as sock:  # trickling a header byte by byte
            sock.sendall(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
            started = time.monotonic()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                while time.monotonic() - started < 6:
                    sock.sendall(b"a")
                    time.sleep(0.3)
            assert time.monotonic() - started < 4.5

        with socket.create_connection((host, int(port))) as sock:  # a body that never completes
            sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: 100\r\n\r\nusername=a")
            started = time.monotonic()
            sock.settimeout(6)
            answer = sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert time.monotonic() - started < 4.5
            assert read_until_closed(sock, 3) is not None
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as resp:  # still serving
            assert resp.status == 200
        for sock in half_open:
            sock.close()


async def healthz_median(session: aiohttp.ClientSession, url: str, samples: int = 25) -> float:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        async with session.get(f"{url}/healthz") as resp:
            assert resp.status == 200
        times.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    return statistics.median(times)


async def flood(url: str) -> tuple[float, float, dict[int, int]]:
    """Median /healthz idle and during 16 clients posting wrong passwords; answers of the flood by status."""
    statuses: dict[int, int] = {}
    stop = asyncio.Event()

    async def attacker(session: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            async with session.post(f"{url}/login", data={"username": "victim", "password": "nope"},
                                    allow_redirects=False) as resp:
                statuses[resp.status] = statuses.get(resp.status, 0) + 1

    async with aiohttp.ClientSession() as probe, aiohttp.ClientSession() as crowd:
        idle = await healthz_median(probe, url)
        attackers = [asyncio.create_task(attacker(crowd)) for _ in range(16)]
        await asyncio.sleep(1.0)
        busy = await healthz_median(probe, url)
        stop.set()
        await asyncio.gather(*attackers)
    return idle, busy, statuses


def test_login_flood_does_not_stall_healthz(settings, dsn, tmp_path):
    async def victim() -> None:
        con = await asyncpg.connect(dsn)
        try:
            await load_world_and_victim(con)
        finally:
            await con.close()

    asyncio.run(victim())
    env = {"POSTAL_LOGIN_USER_LIMIT": "1000000", "POSTAL_LOGIN_ADDRESS_LIMIT": "1000000"}
    with serve(settings, dsn, tmp_path, **env) as (url, _):
        idle, busy, statuses = asyncio.run(flood(url))
    print(f"/healthz median idle {idle * 1000:.1f} ms, during 16-client login flood {busy * 1000:.1f} ms; "
          f"flood answers {statuses}")
    assert statuses.get(401, 0) >= 16 and set(statuses) == {401}  # every one verified (the queue holds 16)
    assert busy < max(0.25, idle * 25), (idle, busy)  # before: 1.6 s against 2 ms


async def load_world_and_victim(con: asyncpg.Connection) -> None:
    """A staff user whose password has the production argon2 cost (the flood's target)."""
    from tests.conftest import build_world

    await build_world(con)
    await con.execute(
        "INSERT INTO users (username, role, agency_code, password_hash) VALUES ('victim', 'staff', 'AG-1', $1)",
        PasswordHasher().hash("the-right-password"),
    )
