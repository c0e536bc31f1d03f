"""SQL of online payments (VietQR) and the agencies' receiving accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

_BY_REFERENCE = ("SELECT p.id, p.reference, p.amount, p.paid_at, p.recorded_at, s.tracking_code"
                 " FROM payments p JOIN shipments s ON s.id = p.shipment_id WHERE p.reference = $1")
_DUE = ("SELECT s.id, s.tracking_code, s.agency_code, s.status, s.cod_amount, a.bank_bin, a.bank_account,"
        " a.bank_name, p.reference AS paid_reference, p.amount AS paid_amount, p.paid_at"
        " FROM shipments s JOIN agencies a ON a.code = s.agency_code"
        " LEFT JOIN payments p ON p.shipment_id = s.id WHERE s.tracking_code = $1")
_DUE_LOCKED = _DUE + " FOR UPDATE OF s"


@dataclass(frozen=True)
class BankAccount:
    """An agency's receiving account."""

    bin: str
    account: str
    name: str


@dataclass(frozen=True)
class NewPayment:
    """A confirmed payment to record."""

    shipment_id: int
    reference: str
    amount: int
    paid_at: datetime
    recorded_by: int | None


async def set_bank(con: asyncpg.Connection, agency_code: str, bank: BankAccount) -> bool:
    """Set an agency's receiving account; False when the agency does not exist."""
    done = await con.execute("UPDATE agencies SET bank_bin = $2, bank_account = $3, bank_name = $4 WHERE code = $1",
                             agency_code, bank.bin, bank.account, bank.name)
    return done.endswith(" 1")


async def due_of(con: asyncpg.Connection, code: str, *, for_update: bool = False) -> asyncpg.Record | None:
    """What a shipment has to pay and to whom: id, agency, status, cod_amount, the bank, and its payment."""
    return await con.fetchrow(_DUE_LOCKED if for_update else _DUE, code)


async def due_of_many(con: asyncpg.Connection, codes: list[str]) -> list[asyncpg.Record]:
    """``due_of`` for many shipments at once (printing a batch)."""
    return await con.fetch(_DUE.replace("s.tracking_code = $1", "s.tracking_code = ANY($1::text[])"), codes)


async def by_reference(con: asyncpg.Connection, reference: str) -> asyncpg.Record | None:
    """The payment recorded under a bank reference, with its shipment's code."""
    return await con.fetchrow(_BY_REFERENCE, reference)


async def insert(con: asyncpg.Connection, new: NewPayment) -> None:
    """Record a payment (the caller holds the shipment's row lock and checked both unique keys)."""
    await con.execute("INSERT INTO payments (shipment_id, reference, amount, paid_at, recorded_by)"
                      " VALUES ($1, $2, $3, $4, $5)",
                      new.shipment_id, new.reference, new.amount, new.paid_at, new.recorded_by)


async def is_paid(con: asyncpg.Connection, shipment_id: int) -> bool:
    """True when a confirmed payment exists for the shipment."""
    return bool(await con.fetchval("SELECT EXISTS (SELECT 1 FROM payments WHERE shipment_id = $1)", shipment_id))


async def open_with_amount(con: asyncpg.Connection, agency_code: str, limit: int) -> list[asyncpg.Record]:
    """An agency's open shipments (oldest first) with their amount, payment and phone's last 4 digits."""
    return await con.fetch(
        "SELECT s.id, s.tracking_code, s.cod_amount, right(s.citizen_phone, 4) AS phone4,"
        " EXISTS (SELECT 1 FROM payments p WHERE p.shipment_id = s.id) AS paid"
        " FROM shipments s WHERE s.agency_code = $1 AND s.direction = 'delivery'"
        " AND s.status NOT IN ('delivered', 'returned', 'cancelled') ORDER BY s.id LIMIT $2", agency_code, limit)


async def set_cod_amount(con: asyncpg.Connection, shipment_id: int, amount: int) -> None:
    """Give a (demo) shipment an amount to collect."""
    await con.execute("UPDATE shipments SET cod_amount = $2 WHERE id = $1", shipment_id, amount)
