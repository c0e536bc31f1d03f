"""Signing in to the pages (SPEC §11): argon2 off the event loop, throttled, no user-name oracle.

- **Off the loop.** Passwords are verified in a small thread pool (argon2-cffi releases the GIL).
  Its queue is bounded: past ``password_workers + password_queue`` verifications in flight a
  sign-in is refused at once with 429 and ``Retry-After: 1`` instead of queueing without end.
- **Throttled.** Failures are counted per user name and per client address in fixed windows in
  PostgreSQL (every process agrees). After ``login_user_limit`` failures for the name, or
  ``login_address_limit`` for the address, in ``login_window_seconds``, sign-ins answer 429 with
  ``Retry-After`` — the right password too — until the window ends. Each attempt is charged before
  its password is checked, so concurrent guesses cannot overshoot the limit; a success clears the
  name's count and takes back its own charge on the address. Both keys are keyed hashes.
- **Same work for everyone.** Unknown, disabled and password-less users are verified against a
  dummy hash with the same parameters, and counted like known ones.
- **Pages are for people.** Integration accounts use API tokens; the pages refuse them (403)
  after a correct password.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import asyncpg

from postal.domain.access import Role
from postal.errors import Forbidden, RateLimited, Unauthenticated
from postal.services import accounts
from postal.services.tracking import client_bucket
from postal.settings import Settings
from postal.store import login_throttle as store

PURGE_PROBABILITY = 1 / 50


class PasswordVerifier:
    """argon2 verification in a bounded thread pool; :meth:`close` when the app stops."""

    def __init__(self, workers: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self._limit = workers + queue
        self._in_flight = 0

    async def matches(self, row: asyncpg.Record | None, password: str) -> bool:
        """Whether ``password`` is the user's (see :func:`accounts.password_matches`); 429 when saturated."""
        if self._in_flight >= self._limit:
            raise RateLimited("Máy chủ đang bận xử lý đăng nhập; hãy thử lại sau giây lát.", retry_after=1)
        self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, accounts.password_matches, row, password)
        finally:
            self._in_flight -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class Attempt:
    """One sign-in: the typed name and password, and the client address it came from."""

    username: str
    password: str
    client: str


def _key(settings: Settings, kind: str, value: str) -> bytes:
    return hmac.new(settings.key, f"postal-login-{kind}:{value}".encode(), hashlib.sha256).digest()[:16]


async def sign_in(pool: asyncpg.Pool, verifier: PasswordVerifier, settings: Settings,
                  attempt: Attempt) -> accounts.WebSession:
    """Check the password and open a session; Unauthenticated, Forbidden (integration) or RateLimited."""
    user_key = _key(settings, "user", attempt.username)
    address_key = _key(settings, "address", client_bucket(attempt.client))
    window = settings.login_window_seconds
    async with pool.acquire() as con:
        if random.random() < PURGE_PROBABILITY:
            await store.purge(con, window)
        counted = await store.charge(con, user_key, address_key, window)
        if counted.user > settings.login_user_limit or counted.address > settings.login_address_limit:
            await store.refund(con, user_key, address_key, window)  # refused attempts do not extend a lock
            raise RateLimited(f"Đăng nhập sai quá nhiều lần; hãy thử lại sau {counted.retry_after} giây.",
                              retry_after=counted.retry_after)
        row = await accounts.login_row(con, attempt.username)
    # No pool connection is held while argon2 runs; the attempt stays charged meanwhile.
    try:
        matched = await verifier.matches(row, attempt.password)
    except RateLimited:
        async with pool.acquire() as con:
            await store.refund(con, user_key, address_key, window)
        raise
    if not matched or row is None:
        raise Unauthenticated(accounts.WRONG_CREDENTIALS)  # the charge stands as the failure
    async with pool.acquire() as con:
        await store.clear_user(con, user_key, window)
        await store.refund(con, None, address_key, window)
        if Role(row["role"]) is Role.integration:
            raise Forbidden("Tài khoản tích hợp chỉ dùng API bằng mã truy cập (token), không đăng nhập trang web.")
        return await accounts.open_session(con, row)
