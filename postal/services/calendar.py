"""The working-day calendar (stored by :mod:`postal.store.holidays`): seeding, reading, admin edits."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from postal.domain.access import Principal, Role
from postal.domain.calendar import WorkCalendar, official_holidays, official_working_weekends
from postal.domain.codes import clean_text
from postal.errors import NotFound
from postal.store import holidays as store


async def seed_holidays(con: asyncpg.Connection, years: list[int]) -> None:
    """Insert the official holidays and make-up Saturdays of ``years``; rows already there are kept."""
    rows = [(day, name, "holiday") for year in years for day, name in official_holidays(year)]
    rows += [(day, "Ngày làm bù", "working_day") for year in years for day in official_working_weekends(year)]
    await store.insert_missing(con, rows)


async def load_calendar(con: asyncpg.Connection, start: date, days: int = 400) -> WorkCalendar:
    """The calendar for ``days`` from ``start``: holidays and official make-up working days."""
    rows = await store.between(con, start, start + timedelta(days=days))
    return WorkCalendar(
        holiday_dates={r["day"] for r in rows if r["kind"] == "holiday"},
        extra_working_days={r["day"] for r in rows if r["kind"] == "working_day"},
    )


class HolidayIn(BaseModel):
    """An admin's entry in the calendar: a day off, or an official make-up working day."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(max_length=200)
    kind: Literal["holiday", "working_day"] = "holiday"


class YearQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    year: int = Field(ge=2000, le=2100)


def _row(r: asyncpg.Record) -> dict[str, Any]:
    return {"day": r["day"].isoformat(), "name": r["name"], "kind": r["kind"], "source": r["source"]}


async def list_holidays(pool: asyncpg.Pool, principal: Principal, year: int) -> dict[str, Any]:
    """The calendar entries of a year."""
    principal.require(Role.admin, Role.staff)
    async with pool.acquire() as con:
        rows = await store.between(con, date(year, 1, 1), date(year, 12, 31))
    return {"year": year, "items": [_row(r) for r in rows]}


async def put_holiday(pool: asyncpg.Pool, principal: Principal, day: date, entry: HolidayIn) -> dict[str, Any]:
    """Add or correct one day (admins): announced day-off shifts, or a fix to the seeded lunar dates."""
    principal.require(Role.admin)
    name = clean_text(entry.name, "name")
    async with pool.acquire() as con:
        row = await store.upsert_by_admin(con, day, name, entry.kind)
    return _row(row)


async def delete_holiday(pool: asyncpg.Pool, principal: Principal, day: date) -> None:
    """Remove one day from the calendar (admins); a day that is not there is NotFound."""
    principal.require(Role.admin)
    async with pool.acquire() as con:
        if not await store.delete(con, day):
            raise NotFound(f"Ngày {day:%d/%m/%Y} không có trong lịch nghỉ.")
