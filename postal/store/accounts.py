"""Post offices, agencies, users, API tokens and web sessions."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from postal.domain.access import Principal, Role
from postal.errors import Conflict, FieldError, InvalidInput, NotFound


async def insert_post_office(con: asyncpg.Connection, code: str, name: str, province_code: str) -> None:
    """Create a post office; an existing code is a Conflict."""
    try:
        await con.execute(
            "INSERT INTO post_offices (code, name, province_code) VALUES ($1, $2, $3)", code, name, province_code
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"Bưu cục {code} đã tồn tại.") from None


async def insert_agency(con: asyncpg.Connection, agency: dict[str, object]) -> None:
    """Create an agency (keys: the columns of ``agencies``); unknown post office → InvalidInput."""
    try:
        await con.execute(
            "INSERT INTO agencies (code, name, province_code, ward_code, address_line, post_office_code,"
            " free_form_dossier_codes, dossier_agency_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            *(agency[k] for k in ("code", "name", "province_code", "ward_code", "address_line",
                                  "post_office_code", "free_form_dossier_codes", "dossier_agency_id")),
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"Cơ quan {agency['code']} đã tồn tại.") from None
    except asyncpg.ForeignKeyViolationError:
        raise _unknown_post_office(str(agency["post_office_code"])) from None


def _unknown_post_office(code: str) -> InvalidInput:
    message = f"Không có bưu cục mã {code}."
    return InvalidInput(message, errors=[FieldError("post_office_code", message)])


async def insert_user(
    con: asyncpg.Connection,
    username: str,
    role: Role,
    agency_code: str | None,
    post_office_code: str | None,
    password_hash: str | None,
) -> int:
    """Create a user and return its id; a taken username is a Conflict."""
    try:
        return int(
            await con.fetchval(
                "INSERT INTO users (username, role, agency_code, post_office_code, password_hash)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                username, role.value, agency_code, post_office_code, password_hash,
            )
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"Tên đăng nhập {username} đã tồn tại.") from None
    except asyncpg.ForeignKeyViolationError:
        raise InvalidInput("Cơ quan hoặc bưu cục không tồn tại.") from None


async def find_user(con: asyncpg.Connection, username: str) -> asyncpg.Record | None:
    """The user row (disabled ones too), or None."""
    return await con.fetchrow("SELECT * FROM users WHERE username = $1", username)


async def user_by_username(con: asyncpg.Connection, username: str) -> asyncpg.Record:
    """The user row, or NotFound."""
    row = await find_user(con, username)
    if row is None:
        raise NotFound(f"Không có người dùng {username}.")
    return row


async def insert_token(con: asyncpg.Connection, user_id: int, token_hash: bytes, prefix: str | None = None) -> None:
    await con.execute("INSERT INTO api_tokens (user_id, token_hash, token_prefix) VALUES ($1, $2, $3)",
                      user_id, token_hash, prefix)


async def revoke_tokens_by_prefix(con: asyncpg.Connection, prefix: str | None, token_hash: bytes) -> int:
    """Revoke the live token whose prefix (or, for a whole token, hash) matches; more than one is a Conflict."""
    async with con.transaction():
        ids = await con.fetch(
            "SELECT id FROM api_tokens WHERE revoked_at IS NULL AND (token_prefix = $1 OR token_hash = $2)"
            " FOR UPDATE", prefix, token_hash,
        )
        if len(ids) > 1:
            raise Conflict(f"Tiền tố {prefix} khớp {len(ids)} mã truy cập; hãy dùng tiền tố dài hơn hoặc --user.")
        await con.execute("UPDATE api_tokens SET revoked_at = now() WHERE id = ANY($1::bigint[])",
                          [r["id"] for r in ids])
        return len(ids)


async def revoke_user_tokens(con: asyncpg.Connection, user_id: int) -> int:
    """Revoke every live token of a user; returns how many."""
    status = await con.execute("UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
                               user_id)
    return int(status.split()[-1])


async def disable_user(con: asyncpg.Connection, user_id: int) -> None:
    """Mark the user disabled and end its web sessions (its tokens stop matching at once)."""
    async with con.transaction():
        await con.execute("UPDATE users SET disabled = true WHERE id = $1", user_id)
        await con.execute("DELETE FROM web_sessions WHERE user_id = $1", user_id)


def principal_from(row: asyncpg.Record) -> Principal:
    """A Principal from a row with the users columns."""
    return Principal(
        user_id=row["id"],
        username=row["username"],
        role=Role(row["role"]),
        agency_code=row["agency_code"],
        post_office_code=row["post_office_code"],
    )


async def principal_by_token(con: asyncpg.Connection, token_hash: bytes) -> Principal | None:
    """The active user holding this token, or None."""
    row = await con.fetchrow(
        "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled",
        token_hash,
    )
    return principal_from(row) if row else None


async def insert_session(
    con: asyncpg.Connection, id_hash: bytes, user_id: int, csrf_token: str, expires_at: datetime
) -> None:
    await con.execute(
        "INSERT INTO web_sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)",
        id_hash, user_id, csrf_token, expires_at,
    )


async def session_principal(con: asyncpg.Connection, id_hash: bytes) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a live session, or None."""
    row = await con.fetchrow(
        "SELECT u.*, s.csrf_token FROM web_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id_hash = $1 AND s.expires_at > now() AND NOT u.disabled",
        id_hash,
    )
    return (principal_from(row), row["csrf_token"]) if row else None


async def delete_session(con: asyncpg.Connection, id_hash: bytes) -> None:
    await con.execute("DELETE FROM web_sessions WHERE id_hash = $1", id_hash)


async def get_agency(con: asyncpg.Connection, code: str) -> asyncpg.Record:
    """The agency row, or NotFound."""
    row = await con.fetchrow("SELECT * FROM agencies WHERE code = $1", code)
    if row is None:
        raise NotFound(f"Không có cơ quan mã {code}.")
    return row


async def post_office_exists(con: asyncpg.Connection, code: str) -> bool:
    return bool(await con.fetchval("SELECT 1 FROM post_offices WHERE code = $1", code))


async def post_office_names(con: asyncpg.Connection) -> dict[str, str]:
    """code → name of every post office (a small table)."""
    return {r["code"]: r["name"] for r in await con.fetch("SELECT code, name FROM post_offices")}
