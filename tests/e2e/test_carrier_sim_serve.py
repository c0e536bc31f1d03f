"""SPEC §9 as an operator runs it: ``postal carrier-sim`` and ``postal serve`` as real processes, a post
office bound with the CLI, orders pushed by the in-process workers, status reports pushed back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.e2e.test_schemathesis import create_shipment, free_port, load_world
from tests.e2e.test_serve_operations import serve

SECRET = "e2e-callback-secret-0123456789"


def _cli_env(settings: Any, dsn: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTAL_")}
    return env | {"DATABASE_URL": dsn, "POSTAL_DATA_DIR": str(tmp_path), "POSTAL_SECRET_KEY": settings.secret_key}


@contextlib.contextmanager
def carrier_sim(tmp_path: Path, port: int, *args: str) -> Iterator[str]:
    """``postal carrier-sim --port PORT *args``; yields its base URL."""
    with (tmp_path / "sim.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "postal.cli", "carrier-sim", "--port", str(port), *args],
                                stdout=log, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            until(lambda: call(f"{url}/_sim/orders") == [], proc)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def call(url: str, body: Any = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=10) as resp:
            return json.load(resp)
    except OSError:
        return None


def until(check: Callable[[], bool], proc: subprocess.Popen[bytes] | None = None, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc is None or proc.poll() is None, "the process exited"
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_bound_post_office_moves_through_the_operators_statuses(settings, dsn, tmp_path: Path) -> None:
    world = asyncio.run(load_world(dsn))
    bound = subprocess.run([sys.executable, "-m", "postal.cli", "post-office", "set-carrier", "PO-1", "vnpost"],
                           env=_cli_env(settings, dsn, tmp_path), capture_output=True, text=True, timeout=60)
    assert bound.returncode == 0, bound.stderr
    sim_port = free_port()
    sim = f"http://127.0.0.1:{sim_port}"
    with serve(settings, dsn, tmp_path, POSTAL_VNPOST_API_URL=sim, POSTAL_VNPOST_USERNAME="demo",
               POSTAL_VNPOST_PASSWORD="demo", POSTAL_VNPOST_CUSTOMER_CODE="C1", POSTAL_VNPOST_CALLBACK_SECRET=SECRET,
               POSTAL_VNPOST_POLL_SECONDS="0.5") as (url, _), \
            carrier_sim(tmp_path, sim_port, "--callback-url", f"{url}/api/v1/carriers/vnpost/events",
                        "--callback-secret", SECRET):
        code = create_shipment(url, world.tokens["staff1"])
        until(lambda: any(o["saleOrderCode"] == code for o in call(f"{sim}/_sim/orders") or []))
        order = next(o for o in call(f"{sim}/_sim/orders") if o["saleOrderCode"] == code)
        assert "001199012345" not in json.dumps(order["body"])
        for status, ours in ((6, "picked_up"), (12, "out_for_delivery"), (14, "delivered")):
            answer = call(f"{sim}/_sim/orders/{order['originalID']}/status", {"status": status})
            assert answer["pushed"] is True
            shipment = call(f"{url}/api/v1/shipments/{code}", token=world.tokens["staff1"])
            assert shipment["status"] == ours
        assert shipment["carrier"]["order_id"] == order["originalID"] and shipment["carrier"]["status"] == 14
