"""The working-day calendar kept in the ``holidays`` table: seeding and reading."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg

from postal.domain.calendar import WorkCalendar, official_holidays, official_working_weekends


async def seed_holidays(con: asyncpg.Connection, years: list[int]) -> None:
    """Insert the official holidays and make-up Saturdays of ``years``; rows already there are kept."""
    rows = [(day, name, "holiday") for year in years for day, name in official_holidays(year)]
    rows += [(day, "Ngày làm bù", "working_day") for year in years for day in official_working_weekends(year)]
    await con.executemany(
        "INSERT INTO holidays (day, name, kind) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING", rows
    )


async def load_calendar(con: asyncpg.Connection, start: date, days: int = 400) -> WorkCalendar:
    """The calendar for ``days`` from ``start``: holidays and official make-up working days."""
    rows = await con.fetch(
        "SELECT day, kind FROM holidays WHERE day BETWEEN $1 AND $2", start, start + timedelta(days=days)
    )
    return WorkCalendar(
        holiday_dates={r["day"] for r in rows if r["kind"] == "holiday"},
        extra_working_days={r["day"] for r in rows if r["kind"] == "working_day"},
    )
