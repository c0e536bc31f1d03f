"""Signing in to the pages over HTTP (SPEC §11): throttling shared by every process, no user-name
oracle, integration and disabled accounts refused, /metrics guarded."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Literal

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher

from postal.app import create_app
from postal.services import accounts
from postal.settings import Settings

PASSWORD = "correct-horse-battery"


async def login(client: TestClient, username: str, password: str, **headers: str) -> ClientResponse:
    return await client.post("/login", data={"username": username, "password": password},
                             allow_redirects=False, headers=headers)


@pytest.fixture
def tight(settings: Settings) -> Settings:
    """Settings with small limits so a test reaches them quickly."""
    return settings.model_copy(update={"login_user_limit": 3, "login_address_limit": 5,
                                       "trusted_proxies": ["127.0.0.1/32"]})


async def test_user_throttled_after_n_failures_right_password_refused(aiohttp_client, tight, world):
    client = await aiohttp_client(await create_app(tight))
    for _ in range(3):
        assert (await login(client, "staff1", "wrong-password")).status == 401
    refused = await login(client, "staff1", PASSWORD)
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= tight.login_window_seconds
    assert "Đăng nhập sai quá nhiều lần" in await refused.text()
    assert "postal_session" not in refused.cookies
    # another user from another address is not affected
    other = await login(client, "courier1", PASSWORD, **{"X-Forwarded-For": "203.0.113.9"})
    assert other.status == 302


async def test_address_throttled_across_user_names_and_two_instances(aiohttp_client, tight, world, db):
    first = await aiohttp_client(await create_app(tight))
    second = await aiohttp_client(await create_app(tight))
    attacker = {"X-Forwarded-For": "198.51.100.7"}
    names = ["ghost1", "ghost2", "staff2", "ghost3", "courier2"]  # unknown names count like known ones
    for i, name in enumerate(names):
        assert (await login(first if i % 2 else second, name, "guess", **attacker)).status == 401
    for client in (first, second):
        resp = await login(client, "admin", PASSWORD, **attacker)
        assert resp.status == 429 and "Retry-After" in resp.headers
    # the same name from a different address still signs in: the count was per address
    assert (await login(second, "admin", PASSWORD, **{"X-Forwarded-For": "198.51.100.8"})).status == 302
    # counters hold keyed hashes, never the address or the name
    rows = await db.fetch("SELECT scope, key_hash FROM login_failures")
    assert rows and all(len(r["key_hash"]) == 16 for r in rows)
    assert b"198.51.100.7" not in b"".join(r["key_hash"] for r in rows)


async def test_concurrent_guesses_on_two_instances_cannot_overshoot_the_limit(aiohttp_client, tight, world):
    first = await aiohttp_client(await create_app(tight))
    second = await aiohttp_client(await create_app(tight))
    answers = await asyncio.gather(*(login(first if i % 2 else second, "staff1", f"guess-{i}",
                                           **{"X-Forwarded-For": f"203.0.113.{100 + i}"}) for i in range(12)))
    statuses = sorted(r.status for r in answers)
    assert statuses == [401] * tight.login_user_limit + [429] * (12 - tight.login_user_limit)


async def test_forwarded_for_ignored_from_untrusted_peer(aiohttp_client, settings, world):
    client = await aiohttp_client(await create_app(settings.model_copy(update={"login_address_limit": 2})))
    for spoof in ("192.0.2.1", "192.0.2.2"):
        assert (await login(client, "nobody", "x", **{"X-Forwarded-For": spoof})).status == 401
    # the peer (127.0.0.1) is what was counted: a third spoofed address does not escape
    assert (await login(client, "staff1", PASSWORD, **{"X-Forwarded-For": "192.0.2.3"})).status == 429


async def test_success_clears_the_user_count(aiohttp_client, tight, world):
    client = await aiohttp_client(await create_app(tight))
    for _ in range(2):
        await login(client, "staff1", "wrong", **{"X-Forwarded-For": "203.0.113.20"})
    assert (await login(client, "staff1", PASSWORD, **{"X-Forwarded-For": "203.0.113.20"})).status == 302
    for _ in range(2):
        await login(client, "staff1", "wrong", **{"X-Forwarded-For": "203.0.113.21"})
    assert (await login(client, "staff1", PASSWORD, **{"X-Forwarded-For": "203.0.113.22"})).status == 302


async def test_integration_accounts_cannot_use_the_pages(client, world):
    resp = await login(client, "integ1", PASSWORD)
    assert resp.status == 403 and resp.content_type == "text/html"
    html = await resp.text()
    # The sign-in form again, with the reason in Vietnamese: the person stays where they can act.
    assert '<p class="error" role="alert" id="login-error">Tài khoản tích hợp chỉ dùng API' in html
    assert '<form method="post" action="/login"' in html and 'value="integ1"' in html
    assert "postal_session" not in resp.cookies
    assert (await login(client, "integ1", "wrong")).status == 401  # wrong password reads as any other
    homes = {"staff1": "/staff", "admin": "/staff", "courier1": "/courier"}
    for name, home in homes.items():
        assert (await login(client, name, PASSWORD)).headers["Location"] == home


async def test_disabled_user_cannot_sign_in_and_sessions_end(client, world, db):
    resp = await login(client, "staff1", PASSWORD)
    assert resp.status == 302
    assert (await client.get("/staff", allow_redirects=False)).status == 200
    await accounts.disable_user(db, "staff1")
    assert (await client.get("/staff", allow_redirects=False)).status == 302  # back to /login
    resp = await login(client, "staff1", PASSWORD)
    assert resp.status == 401 and "Sai tên đăng nhập hoặc mật khẩu" in await resp.text()


class CountingHasher(PasswordHasher):
    """The real argon2 hasher, counting verifications and the hashes they were against."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(str(hash))
        return super().verify(hash, password)


async def test_unknown_and_disabled_users_cost_one_argon2_verification(client, world, db):
    hasher = CountingHasher()
    accounts.use_password_hasher(hasher)
    try:
        await db.execute("UPDATE users SET disabled = true WHERE username = 'staff2'")
        for name in ("staff1", "nobody-here", "staff2", "x"):  # known, unknown, disabled, malformed
            assert (await login(client, name, "wrong-password")).status == 401
        assert len(hasher.verified) == 4
        known = await db.fetchval("SELECT password_hash FROM users WHERE username = 'staff1'")
        assert hasher.verified[0] == known
        dummy = accounts.dummy_hash()
        assert hasher.verified[1:] == [dummy, dummy, dummy]
        # same argon2 parameters as a real hash (the "$argon2id$v=19$m=…,t=…,p=…$" part)
        assert dummy.rsplit("$", 2)[0] == known.rsplit("$", 2)[0]
        # the disabled user's right password is refused after the same work
        assert (await login(client, "staff2", PASSWORD)).status == 401
    finally:
        accounts.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


async def test_unknown_user_takes_as_long_as_a_known_one(client, world, db):
    """With production argon2 parameters: median sign-in time, unknown name vs known name (wrong password)."""
    real = PasswordHasher()
    accounts.use_password_hasher(real)
    try:
        await db.execute("UPDATE users SET password_hash = $1 WHERE username = 'staff1'", real.hash(PASSWORD))

        async def timed(name: str) -> float:
            started = time.perf_counter()
            assert (await login(client, name, "wrong-password")).status == 401
            return time.perf_counter() - started

        await timed("warm-up-user")
        samples: dict[str, list[float]] = {"staff1": [], "no-such-user": []}
        for _ in range(7):  # interleaved, so load from elsewhere on the machine hits both alike
            for name, times in samples.items():
                times.append(await timed(name))
        known, unknown = (statistics.median(t) for t in samples.values())
        print(f"sign-in median: known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
        assert known > 0.01  # real argon2 work happened
        assert 0.4 < unknown / known < 2.5  # generous: a 2-core machine shared with others
    finally:
        accounts.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


async def test_saturated_verifier_sheds_sign_ins_with_retry_after(aiohttp_client, settings, world, db):
    """One argon2 thread and one waiting place: a burst of 12 sign-ins gets 429 + Retry-After: 1 beyond them."""
    await db.execute("UPDATE users SET password_hash = $1 WHERE username = 'staff1'", PasswordHasher().hash(PASSWORD))
    small = settings.model_copy(update={"password_workers": 1, "password_queue": 1, "login_user_limit": 100,
                                        "login_address_limit": 100})
    client = await aiohttp_client(await create_app(small))
    answers = await asyncio.gather(*(login(client, "staff1", "wrong-password") for _ in range(12)))
    statuses = sorted(r.status for r in answers)
    assert 401 in statuses and 429 in statuses, statuses
    assert set(statuses) == {401, 429}
    for resp in answers:
        if resp.status == 429:
            assert resp.headers["Retry-After"] == "1" and "đang bận" in await resp.text()
    assert (await login(client, "staff1", PASSWORD)).status == 302  # once drained, sign-in works


async def test_metrics_only_from_configured_networks_or_with_a_token(aiohttp_client, settings, world):
    open_client = await aiohttp_client(await create_app(settings))  # peer 127.0.0.1, default loopback
    assert (await open_client.get("/metrics")).status == 200
    closed = settings.model_copy(update={"metrics_networks": ["10.0.0.0/8"], "metrics_token": "m-token-123456"})
    client = await aiohttp_client(await create_app(closed))
    resp = await client.get("/metrics")
    assert resp.status == 403 and resp.content_type == "application/problem+json"
    assert "postal_http_requests" not in await resp.text()
    assert (await client.get("/metrics", headers=world.auth("staff1"))).status == 403
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status == 401
    resp = await client.get("/metrics", headers=world.auth("admin"))
    assert resp.status == 200 and "postal_http_requests" in await resp.text()
    assert (await client.get("/metrics", headers={"Authorization": "Bearer m-token-123456"})).status == 200
    # a forwarded address is only believed from a trusted proxy
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})).status == 403
    trusted = closed.model_copy(update={"trusted_proxies": ["127.0.0.1/32"]})
    client = await aiohttp_client(await create_app(trusted))
    assert (await client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})).status == 200
