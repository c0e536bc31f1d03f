"""Getting a database ready: migrations, then the seeded working-day calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from postal.services.calendar import seed_holidays
from postal.store.database import migrate


async def prepare_database(con: asyncpg.Connection) -> list[str]:
    """Apply pending migrations and seed holidays for this year and the next; returns what was applied."""
    applied = await migrate(con)
    year = datetime.now(UTC).year
    await seed_holidays(con, [year, year + 1])
    return applied
