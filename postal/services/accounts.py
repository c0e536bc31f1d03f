"""Use cases for post offices, agencies, users, tokens and sign-in."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from postal.domain.access import Principal, Role
from postal.domain.address import canonical_province_code, resolve_unit
from postal.domain.codes import clean_text, invalid, is_dossier_agency_id
from postal.errors import NotFound, Unauthenticated
from postal.store import accounts as store

TOKEN_PREFIX = "pst_"  # noqa: S105 - a prefix, not a secret
SESSION_TTL = timedelta(hours=12)
_hasher = PasswordHasher()
_CODE_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
_USERNAME_RE = re.compile(r"[a-z0-9._-]{2,64}")


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Replace the argon2 parameters (tests use cheap ones; production keeps the library defaults)."""
    global _hasher
    _hasher = hasher


def token_hash(token: str) -> bytes:
    """Tokens are stored as their SHA-256: long random strings need no slow hash."""
    return hashlib.sha256(token.encode()).digest()


def _check_code(code: str, field: str) -> str:
    if not _CODE_RE.match(code):
        raise invalid(field, "Mã chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới (tối đa 32 ký tự).")
    return code


async def add_post_office(con: asyncpg.Connection, code: str, name: str, province_code: str) -> None:
    """Register a post office (bưu cục)."""
    await store.insert_post_office(
        con, _check_code(code, "code"), clean_text(name, "name"), canonical_province_code(province_code)
    )


@dataclass(frozen=True)
class NewAgency:
    """The fields of ``postal agency add``."""

    code: str
    name: str
    province_code: str
    ward_code: str
    post_office_code: str
    address_line: str = ""
    free_form_dossier_codes: bool = False
    dossier_agency_id: str | None = None  # the agency part of its dossier codes; None: the agency code


async def add_agency(con: asyncpg.Connection, cmd: NewAgency) -> None:
    """Register a one-stop agency with the post office that serves it by default."""
    unit = resolve_unit(cmd.province_code, cmd.ward_code)
    await store.insert_agency(con, {
        "code": _check_code(cmd.code, "code"),
        "name": clean_text(cmd.name, "name"),
        "province_code": unit.province_code,
        "ward_code": unit.ward_code,
        "address_line": clean_text(cmd.address_line, "address", required=False),
        "post_office_code": cmd.post_office_code,
        "free_form_dossier_codes": cmd.free_form_dossier_codes,
        "dossier_agency_id": _check_dossier_agency_id(cmd.dossier_agency_id),
    })


def _check_dossier_agency_id(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().upper()
    if not is_dossier_agency_id(value):
        raise invalid("dossier_agency_id", "Mã cơ quan trong mã hồ sơ phải có dạng như 000.00.15.H62.")
    return value


async def add_user(
    con: asyncpg.Connection,
    username: str,
    role: Role,
    *,
    agency_code: str | None = None,
    post_office_code: str | None = None,
    password: str | None = None,
) -> int:
    """Create a user bound as its role requires: staff/integration to an agency, courier to a post office."""
    if role in (Role.staff, Role.integration) and not agency_code:
        raise invalid("agency", f"Vai trò {role.value} cần --agency.")
    if role is Role.courier and not post_office_code:
        raise invalid("post_office", "Bưu tá cần --post-office.")
    if password is not None and len(password) < 8:
        raise invalid("password", "Mật khẩu cần ít nhất 8 ký tự.")
    if not _USERNAME_RE.fullmatch(username):
        raise invalid("username", "Tên đăng nhập: 2–64 ký tự a-z, 0-9, dấu chấm, gạch ngang, gạch dưới.")
    hashed = _hasher.hash(password) if password else None
    return await store.insert_user(con, username, role, agency_code, post_office_code, hashed)


async def create_token(con: asyncpg.Connection, username: str) -> str:
    """A new API token for the user; returned once, stored only as its hash."""
    user = await store.user_by_username(con, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await store.insert_token(con, user["id"], token_hash(token), token[:SHOWN_PREFIX])
    return token


SHOWN_PREFIX = 12
"""``pst_`` + 8 characters: enough to name a token in ``postal token revoke``, far too little to use it."""


async def revoke_token(con: asyncpg.Connection, prefix_or_token: str) -> int:
    """Revoke the token named by its first :data:`SHOWN_PREFIX` characters, or given whole."""
    text = prefix_or_token.strip()
    if len(text) < SHOWN_PREFIX or not text.startswith(TOKEN_PREFIX):
        raise invalid("token", f"Cần {SHOWN_PREFIX} ký tự đầu của mã (bắt đầu bằng {TOKEN_PREFIX}) hoặc cả mã.")
    prefix = text if len(text) == SHOWN_PREFIX else None  # longer: the whole token, matched by its hash
    count = await store.revoke_tokens_by_prefix(con, prefix, token_hash(text))
    if count == 0:
        raise NotFound("Không có mã truy cập còn hiệu lực nào khớp.")
    return count


async def revoke_user_tokens(con: asyncpg.Connection, username: str) -> int:
    """Revoke every live token of ``username`` (NotFound for an unknown user)."""
    user = await store.user_by_username(con, username)
    return await store.revoke_user_tokens(con, user["id"])


async def disable_user(con: asyncpg.Connection, username: str) -> None:
    """Disable ``username``: no sign-in, no session, no token works from now on (token caches: seconds)."""
    user = await store.user_by_username(con, username)
    await store.disable_user(con, user["id"])


async def authenticate_token(con: asyncpg.Connection, token: str) -> Principal:
    """The principal of a bearer token, or Unauthenticated."""
    principal = await store.principal_by_token(con, token_hash(token)) if token else None
    if principal is None:
        raise Unauthenticated("Mã truy cập (token) không hợp lệ hoặc đã bị thu hồi.")
    return principal


class TokenCache:
    """Tokens seen in the last few seconds → their principal, so a busy device costs no lookup per request.

    Only known tokens are kept, for ``ttl`` seconds: a revoked token or a disabled user stops
    working on every process within that time. ``ttl = 0`` turns the cache off. ``clock`` returns
    monotonic seconds (``time.monotonic`` unless a test passes a clock it can advance).
    """

    def __init__(self, ttl: float, max_size: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._entries: dict[bytes, tuple[float, Principal]] = {}

    def get(self, key: bytes) -> Principal | None:
        """The principal of a token seen less than ``ttl`` seconds ago, else None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < self._clock():
            return None
        return entry[1]

    def put(self, key: bytes, principal: Principal) -> None:
        """Remember a token that just authenticated."""
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_size:
            self._entries.clear()  # simplest bound: a refill costs one lookup per token
        self._entries[key] = (self._clock() + self.ttl, principal)


async def authenticate_cached(pool: asyncpg.Pool, cache: TokenCache, token: str) -> Principal:
    """``authenticate_token`` behind the cache."""
    key = token_hash(token)
    principal = cache.get(key)
    if principal is None:
        async with pool.acquire() as con:
            principal = await authenticate_token(con, token)
        cache.put(key, principal)
    return principal


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: the cookie value and its CSRF token."""

    cookie: str
    csrf_token: str
    principal: Principal


async def login(con: asyncpg.Connection, username: str, password: str) -> WebSession:
    """Check a password on the calling thread and open a web session (tests and tools).

    Pages sign in through :func:`postal.services.signin.sign_in`: argon2 in a thread pool,
    throttling, integration accounts refused.
    """
    row = await login_row(con, username)
    if not password_matches(row, password):
        raise Unauthenticated(WRONG_CREDENTIALS)
    assert row is not None
    return await open_session(con, row)


WRONG_CREDENTIALS = "Sai tên đăng nhập hoặc mật khẩu."
_dummy_hashes: dict[int, str] = {}


async def login_row(con: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    """The user row a sign-in checks (disabled ones too: they must cost the same work), or None."""
    if not _USERNAME_RE.fullmatch(username):
        return None
    return await store.find_user(con, username)


def password_matches(row: asyncpg.Record | None, password: str) -> bool:
    """Verify ``password`` with argon2 — against a dummy hash when there is no usable user, so an unknown,
    disabled or password-less user costs the same work as a known one. Blocking: call it off the loop."""
    usable = row is not None and bool(row["password_hash"]) and not row["disabled"]
    stored = row["password_hash"] if usable and row is not None else dummy_hash()
    try:
        return bool(_hasher.verify(stored, password)) and usable
    except (VerificationError, InvalidHashError):
        return False


def dummy_hash() -> str:
    """A hash of a random password with the current argon2 parameters (made once per hasher)."""
    hasher = _hasher
    if id(hasher) not in _dummy_hashes:
        _dummy_hashes[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[id(hasher)]


async def open_session(con: asyncpg.Connection, row: asyncpg.Record) -> WebSession:
    """A new web session for the user of ``row``."""
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    await store.insert_session(con, token_hash(cookie), row["id"], csrf, datetime.now(UTC) + SESSION_TTL)
    return WebSession(cookie, csrf, store.principal_from(row))


async def session(con: asyncpg.Connection, cookie: str) -> tuple[Principal, str] | None:
    """The principal and CSRF token behind a session cookie, or None."""
    return await store.session_principal(con, token_hash(cookie)) if cookie else None


async def logout(con: asyncpg.Connection, cookie: str) -> None:
    await store.delete_session(con, token_hash(cookie))
