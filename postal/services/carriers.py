"""Carrier use cases (SPEC §9): binding post offices, pushing orders and cancellations, taking status
reports in (pushed or polled) and applying them through the same lifecycle as courier scans.

Decisions written down here:

- **Binding**: ``postal post-office add CODE … --carrier vnpost`` or ``postal post-office set-carrier CODE
  vnpost|none``. Shipments created at a bound office afterwards are pushed (a trigger in migration 013
  queues ``carrier.order`` in the creating transaction; a cancellation queues ``carrier.cancel``).
  Binding also makes a disabled courier account ``vnpost.<office>`` that stands for the operator in
  timelines (it can never sign in or hold a token).
- **Idempotent push**: the ``carrier_orders`` row (unique per carrier and tracking code) exists before
  the push; an order with an ``originalID`` is never pushed again, and a "duplicate saleOrderCode"
  answer (our earlier push went through but its answer was lost) is resolved by looking the order up.
- **What the operator gets**: names, phones, addresses, province codes, COD, the tracking code,
  procedure and dossier code; never the ID number (the builder has no field for it).
- **Reports**: kept once per (carrier, order, status, time); applied oldest first, one process at a
  time, as a scan by the operator's account with a deterministic ``client_event_id`` (a re-applied
  report is a replay). A handover reported by the operator is trusted (no proof). Reports that the
  lifecycle refuses, codes that are only notes, and unknown codes are kept as ``carrier_report``
  timeline notes with ``applied: false`` and logged; a report never crashes the worker.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from postal.carriers import CARRIERS
from postal.carriers.errors import DuplicateOrder
from postal.carriers.vnpost import statuses
from postal.carriers.vnpost.build import OrderData, Party
from postal.carriers.vnpost.parse import Report
from postal.carriers.vnpost.proxy import VNPostProxy
from postal.domain.access import Principal, Role
from postal.domain.address import address_lines, province_name, ward_name
from postal.domain.lifecycle import Event, Note
from postal.errors import FieldError, InvalidInput, PostalError
from postal.services.recording import ScanIn, record_scan
from postal.services.views import Clock
from postal.store import carriers as store
from postal.store import shipments as shipments_store

log = logging.getLogger(__name__)
CARRIER = "vnpost"
_REPORT_NS = uuid.UUID("5b1f0c2e-3d0a-4f5e-9c51-7a1d2e3f4b60")
APPLY_BATCH = 200
APPLY_LOCK_TRIES = 100  # × 50 ms


# ---------------------------------------------------------------------------
# Binding


def carrier_name(value: str | None) -> str | None:
    """``vnpost`` → ``vnpost``; ``none``/empty → None; anything else is refused."""
    name = (value or "none").strip().lower()
    if name == "none":
        return None
    if name not in CARRIERS:
        message = f"Hãng vận chuyển phải là một trong: {', '.join(CARRIERS)}, none."
        raise InvalidInput(message, errors=[FieldError("carrier", message)])
    return name


async def bind_post_office(con: asyncpg.Connection, code: str, carrier: str | None) -> None:
    """Bind (or unbind, with None) a post office to a carrier; new shipments there are pushed."""
    async with con.transaction():
        await store.set_post_office_carrier(con, code, carrier)
        if carrier is not None:
            await store.ensure_carrier_user(con, carrier, code)


async def carrier_info(con: asyncpg.Connection, shipment_id: int) -> dict[str, Any] | None:
    """The ``carrier`` block of a shipment for staff: name, the operator's order id and status."""
    row = await store.order_of_shipment(con, shipment_id)
    if row is None:
        return None
    meaning = statuses.lookup(row["status_code"]) if row["status_code"] is not None else None
    return {"name": row["carrier"], "order_id": row["order_id"], "status": row["status_code"],
            "status_text": meaning.text if meaning else None,
            "pushed": row["pushed_at"] is not None, "cancel": row["cancel_state"]}


# ---------------------------------------------------------------------------
# Pushing orders and cancellations (outbox handlers call these)


def _agency_party(row: asyncpg.Record) -> Party:
    address = ", ".join(address_lines(row["agency_address"] or "", ward_name(row["agency_ward"]),
                                      province_name(row["agency_province"])))
    return Party(row["agency_name"], "", address, row["agency_province"])


def _citizen_party(row: asyncpg.Record) -> Party:
    address = ", ".join(address_lines(row["address_line"] or "", ward_name(row["ward_code"]),
                                      province_name(row["province_code"])))
    return Party(row["citizen_name"], row["citizen_phone"], address, row["province_code"])


def order_data(row: asyncpg.Record) -> OrderData:
    """The order for a shipment: the agency sends a result to the citizen, or the citizen a dossier to it."""
    agency, citizen = _agency_party(row), _citizen_party(row)
    sender, receiver = (agency, citizen) if row["direction"] == "delivery" else (citizen, agency)
    note = " — ".join(p for p in (row["procedure_name"], f"Hồ sơ {row['dossier_code']}", row["note"]) if p)
    return OrderData(row["tracking_code"], sender, receiver, note[:500], cod_amount=row["cod_amount"])


async def push_order(con: asyncpg.Connection, proxy: VNPostProxy, payload: dict[str, Any]) -> None:
    """Push one shipment as an order, at most once; raises (the outbox retries) when the operator is away."""
    order = await store.lock_order(con, payload["carrier"], payload["shipment_id"], payload["tracking_code"])
    if order["order_id"] is not None:
        return
    data = await store.push_data(con, payload["shipment_id"])
    if data["status"] == "cancelled":  # cancelled before it was pushed: make sure no order is left there
        found = await proxy.find_order(data["tracking_code"])
        if found is not None:
            await proxy.cancel_order(found.original_id)
        await store.set_cancel_state(con, order["id"], "done")
        return
    try:
        created = await proxy.create_order(order_data(data))
    except DuplicateOrder:
        found = await proxy.find_order(data["tracking_code"])
        if found is None:
            raise
        created = found
    await store.mark_pushed(con, order["id"], created.original_id, created.status, created.total_fee)
    log.info("carrier order pushed", extra={"carrier": order["carrier"], "tracking_code": data["tracking_code"]})


async def push_cancel(con: asyncpg.Connection, proxy: VNPostProxy, payload: dict[str, Any]) -> None:
    """Cancel the operator's order of a cancelled shipment (nothing to do when it was never pushed)."""
    order = await store.lock_order(con, payload["carrier"], payload["shipment_id"], payload["tracking_code"])
    if order["cancel_state"] == "done":
        return
    if order["order_id"] is None:
        # Not pushed yet: the order handler sees the cancellation and never creates it.
        await store.set_cancel_state(con, order["id"], "done")
        return
    await store.set_cancel_state(con, order["id"], "pending")
    await proxy.cancel_order(order["order_id"])
    await store.set_cancel_state(con, order["id"], "done")


# ---------------------------------------------------------------------------
# Reports in


@dataclass(frozen=True)
class Ingested:
    """What one batch of reports did."""

    received: int
    new: int
    unreadable: int


async def ingest(pool: asyncpg.Pool, reports: list[Report | None], source: str, clock: Clock) -> Ingested:
    """Keep new reports (duplicates dropped), then apply every pending one in time order."""
    new = 0
    async with pool.acquire() as con:
        for r in reports:
            if r is not None:
                new += await store.insert_report(con, store.NewReport(
                    CARRIER, r.order_id, r.status, r.occurred_at, r.sale_order_code, r.note, source))
    unreadable = sum(r is None for r in reports)
    if unreadable:
        log.warning("unreadable carrier reports", extra={"carrier": CARRIER, "count": unreadable, "source": source})
    await apply_pending(pool, clock)
    return Ingested(len(reports), new, unreadable)


async def apply_pending(pool: asyncpg.Pool, clock: Clock) -> int:
    """Apply unprocessed reports, oldest first; returns how many were processed (0 if another process is at it)."""
    # No transaction spans the loop: the scans lock shipment rows on other connections, and a
    # transaction here holding a key-share on the same rows (an inserted note) would deadlock them.
    async with pool.acquire() as con:
        if not await _apply_lock(con):
            return 0  # another process is applying; the workers' next round takes what is left
        try:
            rows = await store.pending_reports(con, APPLY_BATCH)
            for r in rows:
                try:
                    outcome, event_id = await _apply(pool, con, r, clock)
                except (PostalError, asyncpg.PostgresError, ValueError) as exc:  # one bad report stops nothing
                    log.warning("carrier report failed", extra={"carrier": r["carrier"], "report_id": r["id"],
                                                               "error": type(exc).__name__})
                    outcome, event_id = "failed", None
                await store.mark_report(con, r["id"], outcome, event_id)
        finally:
            await store.release_apply_lock(con)
    return len(rows)


async def _apply_lock(con: asyncpg.Connection) -> bool:
    """Wait a little for the apply lock (a concurrent callback usually holds it for milliseconds)."""
    for _ in range(APPLY_LOCK_TRIES):
        if await store.try_apply_lock(con):
            return True
        await asyncio.sleep(0.05)
    return False


def _report_event_id(r: asyncpg.Record) -> uuid.UUID:
    return uuid.uuid5(_REPORT_NS, f"{r['carrier']}|{r['order_id']}|{r['status_code']}|{r['occurred_at'].isoformat()}")


async def _apply(pool: asyncpg.Pool, con: asyncpg.Connection, r: asyncpg.Record,
                 clock: Clock) -> tuple[str, int | None]:
    order = await store.order_for_report(con, r["carrier"], r["order_id"], r["sale_order_code"])
    if order is None:
        log.warning("carrier report for an unknown order", extra={"carrier": r["carrier"], "report_id": r["id"]})
        return "no_order", None
    await store.note_status(con, order["id"], r["status_code"], r["occurred_at"])
    meaning = statuses.lookup(r["status_code"])
    if meaning is None:
        log.warning("unknown carrier status", extra={"carrier": r["carrier"], "status_code": r["status_code"]})
        return "unknown", await _note(con, order, r, None, "Mã trạng thái chưa biết")
    if meaning.event is None:
        return "note", await _note(con, order, r, meaning, None)
    return await _as_scan(pool, con, order, r, meaning, clock)


async def _as_scan(pool: asyncpg.Pool, con: asyncpg.Connection, order: asyncpg.Record, r: asyncpg.Record,
                   meaning: statuses.CarrierStatus, clock: Clock) -> tuple[str, int | None]:
    assert meaning.event is not None
    user_id = await store.ensure_carrier_user(con, r["carrier"], order["post_office_code"])
    principal = Principal(user_id, f"{r['carrier']}.{order['post_office_code'].lower()}", Role.courier,
                          post_office_code=order["post_office_code"])
    text = f"VNPost {r['status_code']}: {meaning.text}" + (f" — {r['note']}" if r["note"] else "")
    scan = ScanIn(code=order["tracking_code"], event=meaning.event, occurred_at=r["occurred_at"],
                  client_event_id=_report_event_id(r), note=text[:1000],
                  reason_code="other" if meaning.event is Event.delivery_failed else None)
    try:
        outcome = await record_scan(pool, principal, scan, clock, trusted_handover=True)
    except PostalError as exc:
        log.warning("carrier report refused by the lifecycle", extra={
            "carrier": r["carrier"], "status_code": r["status_code"], "error": type(exc).__name__})
        return "refused", await _note(con, order, r, meaning, exc.detail)
    event = outcome.body["event"]
    return ("applied" if event["applied"] else "late"), int(event["id"])


async def _note(con: asyncpg.Connection, order: asyncpg.Record, r: asyncpg.Record,
                meaning: statuses.CarrierStatus | None, refused: str | None) -> int:
    """Keep a report in the timeline without changing anything (``applied: false``)."""
    user_id = await store.ensure_carrier_user(con, r["carrier"], order["post_office_code"])
    details: dict[str, Any] = {"carrier": r["carrier"], "carrier_status": r["status_code"],
                               "carrier_status_text": meaning.text if meaning else None,
                               "carrier_order_id": r["order_id"]}
    if r["note"]:
        details["note"] = r["note"]
    if meaning is not None and meaning.attention:
        details["attention"] = True
    if refused:
        details["refused"] = refused
    event = await shipments_store.insert_event(con, shipments_store.NewEvent(
        shipment_id=order["sid"], event=Note.carrier_report.value, occurred_at=r["occurred_at"],
        actor_user_id=user_id, post_office_code=order["post_office_code"], from_status=order["shipment_status"],
        to_status=order["shipment_status"], applied=False, details=details,
    ))
    return int(event["id"])


async def poll_once(pool: asyncpg.Pool, proxy: VNPostProxy, clock: Clock, page_size: int = 100) -> int:
    """The polling fallback: fetch reports after the saved cursor, keep and apply them; returns how many."""
    async with pool.acquire() as con:
        last_id = await store.cursor(con, CARRIER)
    total = 0
    while True:
        items = await proxy.tracking_events(last_id, page_size)
        if not items:
            return total
        await ingest(pool, items, "poll", clock)
        total += len(items)
        newest = max([last_id, *(r.feed_id for r in items if r is not None and r.feed_id is not None)])
        if newest == last_id:  # a page we cannot move past (no readable ids): try again next round
            return total
        last_id = newest
        async with pool.acquire() as con:
            await store.save_cursor(con, CARRIER, last_id)
        if len(items) < page_size:
            return total
