"""Citizen notifications (SPEC §7): queueing, the send decision, the staff log, the OTP re-send.

How a message travels, and why it goes out at most once after a success:

1. A status change that concerns the citizen writes a ``notification.<kind>`` outbox row in the
   event's transaction (a trigger on ``shipment_events``; the one-time code by the scan service).
2. The outbox dispatcher (``FOR UPDATE SKIP LOCKED``) calls :func:`enqueue`, which inserts one
   ``notifications`` row keyed by (shipment, kind, ref) — ``ON CONFLICT DO NOTHING``, so a retried
   or duplicated outbox row never makes a second message. The clear one-time code moves from the
   outbox payload into that row and is erased there when the message is final.
3. A sender (``postal.workers.notify``) claims one due row under its row lock, calls the channels in
   ``POSTAL_NOTIFY_CHANNELS`` order and commits the outcome with the lock held. A crash before the
   provider answers leaves the row pending (sent later: nothing is lost). **The one window:** a crash
   after the provider accepted the message and before our commit sends it again on the next try; the
   provider gets the same ``tracking_id``/``id`` (``postal-n<row id>``) both times so a gateway that
   de-duplicates by id can drop it.

What is never shown: the code (staff see kind, channel, time and outcome), the phone (masked in logs
and the operator's list), and no message carries a name, address or ID number.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg

from postal.domain import notices
from postal.domain.access import Principal, Role, scope_of
from postal.domain.codes import normalize_s10
from postal.domain.deadlines import OPEN_STATUSES
from postal.domain.handover import hash_otp, new_otp
from postal.domain.masking import mask_phone
from postal.errors import Conflict, InvalidInput, NotFound, RateLimited
from postal.services.views import Clock
from postal.store import notifications as store
from postal.store import scans as scans_store
from postal.store import shipments as shipments_store

log = logging.getLogger("postal.notify")
OTP_TTL = timedelta(hours=24)
RESEND_INTERVAL = timedelta(seconds=60)
MAX_TRIES_PER_CHANNEL = 8
MAX_BACKOFF_SECONDS = 3600.0
TOPICS = tuple(f"notification.{kind}" for kind in notices.KINDS)


# ---------------------------------------------------------------------------
# 2. The outbox handler's work


async def enqueue(con: asyncpg.Connection, payload: dict[str, Any]) -> bool:
    """Turn a ``notification.<kind>`` outbox payload into a queued message (at most once per ref)."""
    kind = str(payload.get("kind") or "otp")
    if kind not in notices.KINDS:
        return False
    shipment_id = payload.get("shipment_id")
    if shipment_id is None and payload.get("tracking_code"):
        shipment_id = await store.shipment_id_of(con, str(payload["tracking_code"]))
    if shipment_id is None:
        return False
    secret = payload.get("otp") if kind == "otp" else None
    if kind == "otp" and not secret:
        return False  # the code was already moved out of this row
    ref = str(payload.get("ref") or f"{kind}:{payload.get('event_id') or payload.get('expires_at')}")
    data = {k: payload[k] for k in ("reason_code", "expires_at", "due_date", "new_date") if payload.get(k)}
    added = await store.add(con, store.NewNotification(int(shipment_id), kind, ref, data, secret))
    if secret:
        await store.forget_outbox_code(con, int(shipment_id), str(secret))
    return added


# ---------------------------------------------------------------------------
# 3. The send decision (pure, on the claimed row)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _expires_text(value: Any, clock: Clock) -> str | None:
    """``HH:MM dd/mm/yyyy`` in local time from a stored ISO timestamp."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment.astimezone(clock.settings.tz).strftime("%H:%M %d/%m/%Y")


def skip_reason(row: asyncpg.Record, clock: Clock) -> str | None:
    """Why a claimed message must not go out any more (None: send it)."""
    if not row["citizen_phone"]:
        return "không còn số điện thoại (đã xoá theo thời hạn lưu trữ)"
    if row["kind"] == "otp":
        current = row["otp_hash"] and row["secret"] and hash_otp(row["secret"], clock.settings.key) == row["otp_hash"]
        if not current or row["otp_expires_at"] is None or row["otp_expires_at"] <= clock.now():
            return "mã đã được thay bằng mã mới, đã dùng hoặc đã hết hạn"
    if row["kind"] == "late" and row["shipment_status"] not in OPEN_STATUSES:
        return "bưu gửi đã kết thúc"
    return None


def notice_of(row: asyncpg.Record, clock: Clock) -> notices.Notice:
    """The message a claimed row stands for."""
    data = row["data"] or {}
    return notices.Notice(
        kind=row["kind"], tracking_code=row["tracking_code"], phone=row["citizen_phone"],
        link=notices.tracking_link(clock.settings.public_url, row["tracking_code"]), direction=row["direction"],
        otp=row["secret"], expires=_expires_text(data.get("expires_at"), clock),
        due_date=_date(data.get("due_date")), new_date=_date(data.get("new_date")),
        reason_code=data.get("reason_code"), ref=f"postal-n{row['id']}",
    )


def backoff(tries: int, retry_after: float | None) -> float:
    """Seconds before the next try: exponential from 10 s with jitter, never before ``Retry-After``."""
    delay = min(10.0 * 2 ** tries, MAX_BACKOFF_SECONDS) * (0.5 + random.random() / 2)
    return max(delay, retry_after or 0.0)


@dataclass(frozen=True)
class Result:
    """What one channel said about one message: ``sent``; ``refused`` (final for this channel, the next
    one is tried); ``retry`` (transient: the same channel later, not before ``retry_after`` seconds)."""

    outcome: str
    detail: str = ""
    retry_after: float | None = None
    token_expired: bool = False


Send = Callable[[str, notices.Notice], Awaitable[Result]]


async def send_one(pool: asyncpg.Pool, clock: Clock, send: Send) -> bool:
    """Send (or give up on) one due message under its row lock; False when nothing was due."""
    names = clock.settings.channel_names
    async with pool.acquire() as con, con.transaction():
        row = await store.claim_due(con)
        if row is None:
            return False
        reason = skip_reason(row, clock)
        if reason is not None:
            await store.add_attempt(con, row["id"], "-", "skipped", reason)
            await store.finish(con, row["id"], "skipped", None, None, reason)
        elif row["channel_index"] >= len(names):  # the channel list shrank since the last try
            await store.finish(con, row["id"], "failed", None, None, row["last_error"] or "no channel left")
        else:
            name = names[row["channel_index"]]
            notice = notice_of(row, clock)
            await _record(con, row, name, notice, await send(name, notice), len(names))
    return True


async def _record(con: asyncpg.Connection, row: asyncpg.Record, name: str, notice: notices.Notice,
                  result: Result, channel_count: int) -> None:
    """Commit what the channel said: sent, the next channel, or later on the same channel."""
    await store.add_attempt(con, row["id"], name, result.outcome, result.detail)
    if result.outcome == "sent":
        masked = notices.without_secret(notices.text(notice), notice)
        await store.finish(con, row["id"], "sent", name, masked, None)
        log.info("notification sent", extra={"notification_id": row["id"], "kind": row["kind"],
                                             "tracking_code": row["tracking_code"], "channel": name})
        return
    gave_up = result.outcome == "refused" or row["channel_tries"] + 1 >= MAX_TRIES_PER_CHANNEL
    log.warning("notification not sent", extra={"notification_id": row["id"], "kind": row["kind"],
                                                 "channel": name, "detail": result.detail, "gave_up": gave_up})
    if not gave_up:
        await store.retry_later(con, row["id"], backoff(row["channel_tries"], result.retry_after), result.detail)
    elif row["channel_index"] + 1 < channel_count:
        await store.next_channel(con, row["id"], result.detail)
    else:
        await store.finish(con, row["id"], "failed", None, None, result.detail)


# ---------------------------------------------------------------------------
# Staff: the log per shipment, and a new code


async def _shipment(con: asyncpg.Connection, principal: Principal, code: str, *, lock: bool = False) -> asyncpg.Record:
    try:
        code = normalize_s10(code)
    except InvalidInput:
        raise NotFound("Không tìm thấy bưu gửi.") from None
    return await shipments_store.get_by_code(con, code, scope_of(principal), for_update=lock)


def _log_view(r: asyncpg.Record, clock: Clock) -> dict[str, Any]:
    return {
        "kind": r["kind"], "status": r["status"], "channel": r["channel"], "attempts": r["attempts"],
        "created_at": clock.local(r["created_at"]),
        "finished_at": clock.local(r["finished_at"]) if r["finished_at"] else None,
        "tries": [{"channel": t["channel"], "outcome": t["outcome"], "detail": t["detail"],
                   "at": clock.local(_ts(t["at"]))} for t in r["tries"]],
    }


def _ts(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)


async def shipment_log(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """The messages sent (or tried) to a shipment's citizen: kind, channel, time, outcome — never the code."""
    principal.require(Role.staff, Role.admin)
    async with pool.acquire() as con:
        row = await _shipment(con, principal, code)
        items = await store.of_shipment(con, row["id"])
    return {"tracking_code": row["tracking_code"], "items": [_log_view(r, clock) for r in items]}


async def resend_otp(pool: asyncpg.Pool, principal: Principal, code: str, clock: Clock) -> dict[str, Any]:
    """A new one-time code for a delivery out for delivery; the old one stops working at once."""
    principal.require(Role.staff)
    async with pool.acquire() as con, con.transaction():
        row = await _shipment(con, principal, code, lock=True)
        if row["direction"] != "delivery" or row["status"] != "out_for_delivery":
            raise Conflict("Chỉ gửi lại mã xác nhận khi bưu gửi chiều phát trả đang được giao "
                           f"(trạng thái hiện tại: {row['status']}).")
        last = await store.last_otp_queued_at(con, row["id"])
        if last is not None and clock.now() - last < RESEND_INTERVAL:
            wait = int((RESEND_INTERVAL - (clock.now() - last)).total_seconds()) + 1
            raise RateLimited(f"Mã vừa được gửi; hãy đợi {wait} giây rồi gửi lại.", retry_after=wait)
        otp, expires = new_otp(), clock.now() + OTP_TTL
        await scans_store.set_otp(con, row["id"], hash_otp(otp, clock.settings.key), expires)
        await shipments_store.add_outbox(con, "notification.otp", row["id"], {
            "shipment_id": row["id"], "kind": "otp", "tracking_code": row["tracking_code"], "otp": otp,
            "expires_at": clock.local(expires), "ref": f"otp-resend:{secrets.token_hex(8)}",
            "by_user_id": principal.user_id,
        })
    return {"tracking_code": row["tracking_code"], "expires_at": clock.local(expires), "queued": True}


# ---------------------------------------------------------------------------
# The operator's list and the shared provider token


async def recent_messages(con: asyncpg.Connection, limit: int, clock: Clock) -> list[dict[str, Any]]:
    """The last messages sent or given up, phone masked, code blanked (``postal notifications``)."""
    return [{
        "at": clock.local(r["finished_at"]), "tracking_code": r["tracking_code"], "kind": r["kind"],
        "status": r["status"], "channel": r["channel"], "phone": mask_phone(r["citizen_phone"] or ""),
        "text": r["text_masked"] or r["last_error"] or "",
    } for r in await store.recent(con, limit)]


async def zns_token(pool: asyncpg.Pool, seed: str) -> str | None:
    """The ZNS access token: the stored (refreshed) one, else the configured one."""
    async with pool.acquire() as con:
        stored = await store.token(con, "zns")
    return stored.access_token if stored else (seed or None)


Fetch = Callable[[str], Awaitable[tuple[str, str | None] | None]]


async def refresh_zns_token(pool: asyncpg.Pool, expired: str, seed: store.StoredToken, fetch: Fetch) -> str | None:
    """A fresh access token, refreshed once for all processes (the row lock serialises them).

    When another process already replaced ``expired``, its token is used without a second refresh.
    """
    async with pool.acquire() as con, con.transaction():
        pair = await store.lock_token(con, "zns", seed)
        if pair.access_token != expired:
            return pair.access_token
        if not pair.refresh_token:
            return None
        got = await fetch(pair.refresh_token)
        if got is None:
            return None
        await store.save_token(con, "zns", store.StoredToken(got[0], got[1] or pair.refresh_token))
        return got[0]
