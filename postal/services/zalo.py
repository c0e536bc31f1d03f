"""The Zalo OA chatbot (SPEC §12): receive a signed event, decide the reply, follow shipments.

How an event is answered once and within Zalo's 2 s:

1. ``POST /api/v1/zalo/events`` checks the signature and the timestamp (``postal.domain.zalo``),
   then :func:`receive` runs one short transaction: the event id goes into ``zalo_events``
   (primary key: a second delivery of the same event, to any process, finds it and stops), the
   user's messages in the window are counted under a per-user advisory lock, the reply is decided
   from the database and queued in ``zalo_messages`` (unique per user and event). The webhook
   answers 200 as soon as that commits — no call to Zalo on the request path.
2. A sender (``postal.workers.zalo``) claims due messages with ``FOR UPDATE SKIP LOCKED``, posts
   them to the OA API and records the outcome under the row lock (see :func:`send_one`).

Status updates: a shipment someone follows gets a ``zalo.status`` outbox row with each status change
(a trigger, migration 014); :func:`fan_out` queues one message per follower, keyed by the event.

Privacy: the public view carries no personal data; the masked name only after the right 4 phone
digits. A wrong guess weighs :data:`WRONG_DIGITS_WEIGHT` messages in the rate limit, and an
unknown code answers the same whether or not digits came with it. No message text is stored
beyond the reply itself.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from postal.domain import zalo as rules
from postal.domain.lifecycle import Direction, Status
from postal.domain.masking import mask_name
from postal.domain.notices import tracking_link
from postal.domain.status_texts import status_text
from postal.services.tracking import citizen_timeline, public_view
from postal.services.views import Clock
from postal.store import payments as payments_store
from postal.store import tracking as tracking_store
from postal.store import zalo as store

log = logging.getLogger("postal.zalo")
WRONG_DIGITS_WEIGHT = 5
EVENT_HORIZON_S = 7 * 24 * 3600
"""How long received event ids are kept (Zalo retries an event for minutes, not days)."""
MAX_TRIES = 8
STATUS_TOPIC = "zalo.status"


@dataclass(frozen=True)
class Incoming:
    """A verified webhook event, reduced to what the bot uses."""

    event_id: str
    event_name: str
    user_id: str
    text: str


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def incoming(body: dict[str, Any], raw: bytes) -> Incoming | None:
    """The event's id, sender and text; None when it is not something to answer (no sender)."""
    sender = _object(body.get("sender"))
    message = _object(body.get("message"))
    user_id = str(sender.get("id") or "")[:64]
    if not user_id:
        return None
    event_id = str(message.get("msg_id") or body.get("event_id") or "")[:128]
    if not event_id:  # no id from Zalo: the body itself identifies a replay
        event_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    text = message.get("text")
    return Incoming(event_id, str(body.get("event_name") or ""), user_id, text if isinstance(text, str) else "")


# ---------------------------------------------------------------------------
# Receiving


async def receive(pool: asyncpg.Pool, clock: Clock, event: Incoming) -> str:
    """Record the event and queue its reply, once; returns the outcome (``duplicate``, ``limited``, …)."""
    settings = clock.settings
    async with pool.acquire() as con, con.transaction():
        await store.lock_user(con, event.user_id)
        if not await store.record_event(con, event.event_id, event.user_id):
            return "duplicate"
        if event.event_name != "user_send_text":
            await store.finish_event(con, event.event_id, "ignored", 0)
            return "ignored"
        window = settings.zalo_rate_window_seconds
        used = await store.weight_in_window(con, event.user_id, window, event.event_id)
        if used >= settings.zalo_rate_limit:
            return await _limited(con, event, window)
        outcome, weight, reply = await _answer(con, clock, event)
        await store.finish_event(con, event.event_id, outcome, weight)
        await store.queue_message(con, event.user_id, f"event:{event.event_id}", reply)
        if random.random() < 0.01:
            await store.purge_events(con, EVENT_HORIZON_S)
    return outcome


async def _limited(con: asyncpg.Connection, event: Incoming, window: int) -> str:
    """Over the limit: tell the user once per window, then stay silent."""
    if await store.told_limited(con, event.user_id, window):
        await store.finish_event(con, event.event_id, "limited_silent", 1)
        return "limited_silent"
    await store.finish_event(con, event.event_id, "limited", 1)
    await store.queue_message(con, event.user_id, f"event:{event.event_id}", rules.RATE_TEXT)
    return "limited"


async def _answer(con: asyncpg.Connection, clock: Clock, event: Incoming) -> tuple[str, int, str]:
    """(outcome, weight in the rate limit, reply text) for one text."""
    ask = rules.parse_text(event.text)
    if ask.kind == "help" or ask.code is None:
        return "help", 1, rules.HELP_TEXT
    if ask.kind == "unsubscribe":
        await store.unsubscribe(con, event.user_id, ask.code)
        return "unsubscribed", 1, rules.unsubscribed_text(ask.code)
    row = await tracking_store.public_shipment(con, ask.code)
    if row is None:
        return "not_found", WRONG_DIGITS_WEIGHT if ask.phone4 else 1, rules.not_found_text(ask.code)
    view = await public_status(con, clock, row)
    if ask.kind == "track":
        return "tracked", 1, rules.track_text(view)
    on_file = (row["phone_last4"] or "").encode()
    if ask.phone4 and len(on_file) == 4 and hmac.compare_digest(on_file, ask.phone4.encode()):
        await store.subscribe(con, event.user_id, row["id"])
        return "subscribed", 1, rules.subscribed_text(view, mask_name(row["citizen_name"]))
    return "wrong_digits", WRONG_DIGITS_WEIGHT, rules.wrong_digits_text(view)


def _last_event(view: dict[str, Any]) -> dict[str, Any] | None:
    applied = [e for e in view["events"] if not e["late"]]
    return applied[-1] if applied else None


async def public_status(con: asyncpg.Connection, clock: Clock, row: asyncpg.Record) -> rules.PublicStatus:
    """The public facts of a shipment for a chat reply (the same rules as the tracking page)."""
    events = citizen_timeline(tracking_store.timeline(row))
    view = public_view(row, events, clock, "vi")
    last = _last_event(view)
    last_text = None
    if last:
        last_text = last["event_text"] if last["event"] in ("arrived", "rescheduled") else last["status_text"]
    return rules.PublicStatus(
        code=row["tracking_code"], status_text=view["status_text"], due_date=row["due_date"],
        last_text=last_text, last_at=datetime.fromisoformat(last["occurred_at"]) if last else None,
        last_place=last["post_office"] if last else None,
        link=tracking_link(clock.settings.public_url, row["tracking_code"]),
        paid=await payments_store.is_paid(con, row["id"]),
    )


# ---------------------------------------------------------------------------
# Status updates to followers (the ``zalo.status`` outbox handler)


async def fan_out(con: asyncpg.Connection, payload: dict[str, Any]) -> int:
    """Queue one message per follower for a status change; returns how many were new."""
    shipment_id, code = payload.get("shipment_id"), payload.get("tracking_code")
    status, direction = str(payload.get("status")), str(payload.get("direction"))
    if not (shipment_id and code and status in Status.__members__ and direction in Direction.__members__):
        return 0
    text = rules.update_text(str(code), status_text(Status(status), Direction(direction), "vi"))
    ref = f"status:{payload.get('event_id') or payload.get('source_id')}"
    queued = 0
    for user_id in await store.followers(con, int(shipment_id)):
        queued += await store.queue_message(con, user_id, ref, text, link_code=str(code))
    return queued


# ---------------------------------------------------------------------------
# Sending


@dataclass(frozen=True)
class SendResult:
    """What the OA API said: ``sent``, ``failed`` (final) or ``retry`` (transient)."""

    outcome: str
    detail: str = ""
    retry_after: float | None = None


Send = Callable[[str, str], Awaitable[SendResult]]


def backoff(tries: int, retry_after: float | None) -> float:
    """Seconds before the next try: exponential from 5 s with jitter, never before ``Retry-After``."""
    return max(min(5.0 * 2 ** tries, 3600.0) * (0.5 + random.random() / 2), retry_after or 0.0)


async def send_one(pool: asyncpg.Pool, send: Send, public_url: str) -> bool:
    """Send one due message under its row lock (so no other process sends it); False when none was due.

    A crash after the OA accepted and before the commit would send it again; the row lock is held
    for one HTTP call (bounded by the client's timeout), never across messages.
    """
    async with pool.acquire() as con, con.transaction():
        row = await store.claim_due(con)
        if row is None:
            return False
        text = row["text"]
        if row["link_code"]:
            text += f"\nChi tiết: {tracking_link(public_url, row['link_code'])}"
        result = await send(row["user_id"], text)
        if result.outcome == "sent":
            await store.mark_sent(con, row["id"])
        elif result.outcome == "retry" and row["attempts"] + 1 < MAX_TRIES:
            await store.retry_later(con, row["id"], result.detail, backoff(row["attempts"], result.retry_after))
        else:
            await store.mark_failed(con, row["id"], result.detail)
        log.info("zalo message", extra={"message_id": row["id"], "outcome": result.outcome,
                                        "detail": result.detail[:80]})
    return True
