"""``postal serve --processes 2``: two PIDs really serve one port, both answer, and SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.e2e.test_schemathesis import create_shipment, free_port, load_world, wait_until_healthy

PID_RE = re.compile(r'postal_serve_process\{index="(\d)",pid="(\d+)"\} 1\.0')


def _fresh_get(url: str) -> bytes:
    """One request on a new connection (SO_REUSEPORT spreads connections, not requests)."""
    request = urllib.request.Request(url, headers={"Connection": "close"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
        return bytes(resp.read())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_two_processes_serve_one_port(settings, dsn, tmp_path):
    world = asyncio.run(load_world(dsn))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTAL_")}
    env |= {"DATABASE_URL": dsn, "POSTAL_DATA_DIR": str(tmp_path), "POSTAL_SECRET_KEY": settings.secret_key}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "postal.cli", "serve", "--port", str(port), "--processes", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proc)
        code = create_shipment(url, world.tokens["staff1"])
        seen: dict[str, str] = {}
        deadline = time.monotonic() + 30
        while len(seen) < 2 and time.monotonic() < deadline:
            for index, pid in PID_RE.findall(_fresh_get(f"{url}/metrics").decode()):
                seen[pid] = index
                assert b'"tracking_code"' in _fresh_get(f"{url}/api/v1/track/{code}")  # this process answers too
        assert sorted(seen.values()) == ["0", "1"], seen
        assert proc.pid not in map(int, seen)  # children serve, the parent only supervises
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    for pid in map(int, seen):
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid), f"serving process {pid} outlived its parent"
