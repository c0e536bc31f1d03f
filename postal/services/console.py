"""What the staff console needs besides the shipment and printing use cases: form defaults and choices."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from postal.domain.access import Principal
from postal.store import accounts as accounts_store


@dataclass(frozen=True)
class FormDefaults:
    """Where a new order starts: the agency's province and its default post office."""

    province_code: str
    post_office_code: str


async def form_defaults(pool: asyncpg.Pool, principal: Principal) -> FormDefaults:
    """The signed-in agency's province and post office (Phú Thọ and no office for an admin)."""
    if principal.agency_code is None:
        return FormDefaults("25", "")
    async with pool.acquire() as con:
        agency = await accounts_store.get_agency(con, principal.agency_code)
    return FormDefaults(agency["province_code"], agency["post_office_code"])


async def post_office_choices(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    """(code, name) of every post office, by code."""
    async with pool.acquire() as con:
        names = await accounts_store.post_office_names(con)
    return sorted(names.items())
