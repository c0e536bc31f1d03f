"""The access log off the hot path: 2xx lines sampled, every other answer always logged; lines written
by a thread with their fields and tracebacks intact."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from postal import logs
from postal.app import create_app


def _access(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "postal.http" and r.getMessage() == "request"]


async def test_with_sampling_off_errors_are_still_all_logged(aiohttp_client, settings, caplog):
    client = await aiohttp_client(await create_app(settings.model_copy(update={"access_log_sample": 0.0})))
    caplog.set_level(logging.INFO, logger="postal.http")
    for _ in range(20):
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/api/v1/track/RA000000001VN")).status == 404
    assert (await client.get("/staff", allow_redirects=False)).status == 302
    statuses = [r.status for r in _access(caplog)]  # type: ignore[attr-defined]
    assert sorted(statuses) == [302] + [404] * 20  # no 200 line, every 404 and the redirect


async def test_sampled_lines_carry_their_weight(aiohttp_client, settings, caplog):
    client = await aiohttp_client(await create_app(settings.model_copy(update={"access_log_sample": 0.5})))
    caplog.set_level(logging.INFO, logger="postal.http")
    for _ in range(200):
        assert (await client.get("/healthz")).status == 200
    lines = _access(caplog)
    assert 0 < len(lines) < 200  # sampled (200 fair coins all alike: 2**-199)
    assert {r.sample for r in lines} == {2}  # type: ignore[attr-defined]


async def test_full_sampling_logs_every_request(aiohttp_client, settings, caplog):
    client = await aiohttp_client(await create_app(settings.model_copy(update={"access_log_sample": 1.0})))
    caplog.set_level(logging.INFO, logger="postal.http")
    for _ in range(10):
        assert (await client.get("/healthz")).status == 200
    assert len(_access(caplog)) == 10


def test_buffered_lines_keep_fields_and_tracebacks(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("INFO", buffered=True)
        assert isinstance(root.handlers[0], logs.BufferedHandler)
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("postal.test").exception("failed %s", "here", extra={"request_id": "r1"})
        logging.getLogger("postal.test").info("token pst_secretvalue123")
        logs._stop_listener()  # what exit does: drain the queue
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["msg"] == "failed here" and first["request_id"] == "r1"
    assert "ValueError: boom" in first["exc"]
    assert "pst_secret" not in second["msg"]
