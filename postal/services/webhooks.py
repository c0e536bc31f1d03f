"""Webhook use cases: subscriptions (integrations and admins, per agency), the fan-out of outbox
messages into deliveries, the delivery log and the manual redeliver (SPEC §5, §7).

Who sees what: an integration manages its agency's subscriptions only (another agency's is 404);
an admin sees all and may subscribe for one agency (``agency``) or, without it, for every agency.
The secret is answered once, by the create call.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from postal.domain import webhooks as rules
from postal.domain.access import Principal, Role
from postal.errors import Conflict, FieldError, InvalidInput, NotFound
from postal.store import webhooks as store

log = logging.getLogger(__name__)
MAX_SUBSCRIPTIONS_PER_AGENCY = 20
RESOLVE_TIMEOUT_SECONDS = 5.0
Claimed = store.Claimed
Resolve = Callable[[str, int], Awaitable[list[str]]]
"""Host and port to the IP addresses they resolve to (injected in tests)."""


async def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host`` (every family)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class SubscriptionIn(BaseModel):
    """``POST /webhooks``: where to send and which events; ``agency`` only for admins."""

    model_config = ConfigDict(extra="ignore")

    url: str = Field(max_length=rules.MAX_URL_LENGTH)
    events: list[str] = Field(min_length=1, max_length=50)
    agency: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,32}$")


class DeliveriesQuery(BaseModel):
    """``GET /webhooks/{id}/deliveries``: newest first, ``cursor`` from the previous page."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=20, pattern=r"^[0-9]+$")


def _scope(principal: Principal) -> str | None:
    principal.require(Role.integration, Role.admin)
    return principal.agency_code if principal.role is Role.integration else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _subscription(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": row["id"], "url": row["url"], "events": list(row["events"]), "agency_code": row["agency_code"],
            "active": row["disabled_at"] is None, "disabled_at": _iso(row["disabled_at"]),
            "disabled_reason": row["disabled_reason"], "created_at": row["created_at"].isoformat()}


async def check_target(url: str, *, allow_loopback: bool, resolve: Resolve) -> None:
    """Refuse a URL that is not http(s) or whose host resolves to an address we never call."""
    host, port = rules.check_url(url)
    try:
        literal = rules.is_ip_literal(host)
        addresses = [host] if literal else await asyncio.wait_for(resolve(host, port), RESOLVE_TIMEOUT_SECONDS)
    except (OSError, TimeoutError, UnicodeError):
        addresses = []
    if not addresses:
        raise InvalidInput("Không phân giải được tên máy chủ của webhook.",
                           errors=[FieldError("url", f"Tên {host[:100]!r} không có địa chỉ IP.")])
    for address in addresses:
        reason = rules.refusal(address, allow_loopback=allow_loopback)
        if reason:
            raise InvalidInput("Địa chỉ webhook trỏ vào mạng nội bộ; chỉ nhận địa chỉ công khai.",
                               errors=[FieldError("url", f"{host[:100]} trỏ tới {reason}.")])


async def _agency_for(con: asyncpg.Connection, principal: Principal, body: SubscriptionIn) -> str | None:
    if principal.role is Role.integration:
        if body.agency not in (None, principal.agency_code):
            raise InvalidInput("Chỉ quản trị viên được chọn cơ quan.",
                               errors=[FieldError("agency", "Bỏ trường này hoặc dùng mã cơ quan của bạn.")])
        return principal.agency_code
    if body.agency is not None and not await store.agency_exists(con, body.agency):
        raise InvalidInput("Cơ quan không tồn tại.", errors=[FieldError("agency", "Không có cơ quan này.")])
    return body.agency


async def create_subscription(pool: asyncpg.Pool, principal: Principal, body: SubscriptionIn, *,
                              allow_loopback: bool, resolve: Resolve) -> dict[str, Any]:
    """Subscribe a URL; the answer carries the signing secret, the only time it is shown."""
    _scope(principal)
    events = rules.clean_events(body.events)
    await check_target(body.url, allow_loopback=allow_loopback, resolve=resolve)
    secret = rules.new_secret()
    async with pool.acquire() as con, con.transaction():
        agency = await _agency_for(con, principal, body)
        await store.lock_agency_subscriptions(con, agency)
        if await store.count_active(con, agency) >= MAX_SUBSCRIPTIONS_PER_AGENCY:
            raise Conflict(f"Mỗi cơ quan có tối đa {MAX_SUBSCRIPTIONS_PER_AGENCY} đăng ký webhook; hãy xoá bớt.")
        row = await store.insert_subscription(con, agency, body.url, events, secret, principal.user_id)
    return _subscription(row) | {"secret": secret}


async def list_subscriptions(pool: asyncpg.Pool, principal: Principal) -> dict[str, Any]:
    """The subscriptions the principal may see (never their secrets)."""
    scope = _scope(principal)
    async with pool.acquire() as con:
        rows = await store.list_subscriptions(con, scope)
    return {"items": [_subscription(r) for r in rows], "next_cursor": None}


async def delete_subscription(pool: asyncpg.Pool, principal: Principal, sub_id: int) -> None:
    """Stop a subscription; what it still had to send is cancelled, its log kept."""
    scope = _scope(principal)
    async with pool.acquire() as con, con.transaction():
        await store.delete_subscription(con, sub_id, scope)


def _attempt(r: asyncpg.Record) -> dict[str, Any]:
    return {"attempt": r["attempt"], "attempted_at": r["attempted_at"].isoformat(), "status_code": r["status_code"],
            "outcome": r["outcome"], "error": r["error"], "duration_ms": r["duration_ms"],
            "next_attempt_at": _iso(r["next_attempt_at"])}


def _delivery(r: asyncpg.Record, attempts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": r["id"], "webhook_id": r["message_id"], "type": r["event_type"], "status": r["status"],
            "attempts": r["attempts"], "created_at": r["created_at"].isoformat(),
            "last_attempt_at": _iso(r["last_attempt_at"]), "last_status_code": r["last_status_code"],
            "last_outcome": r["last_outcome"], "next_attempt_at": _iso(r["next_attempt_at"]),
            "delivered_at": _iso(r["delivered_at"]), "log": attempts}


async def list_deliveries(pool: asyncpg.Pool, principal: Principal, sub_id: int,
                          query: DeliveriesQuery) -> dict[str, Any]:
    """The delivery log of one subscription, newest first, each with its attempts."""
    scope = _scope(principal)
    async with pool.acquire() as con:
        await store.get_subscription(con, sub_id, scope)
        rows = await store.list_deliveries(con, sub_id, int(query.cursor) if query.cursor else None, query.limit)
        attempts: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
        for a in await store.attempts_of(con, list(attempts)):
            attempts[a["delivery_id"]].append(_attempt(a))
    next_cursor = str(rows[-1]["id"]) if len(rows) == query.limit else None
    return {"items": [_delivery(r, attempts[r["id"]]) for r in rows], "next_cursor": next_cursor}


async def redeliver(pool: asyncpg.Pool, principal: Principal, sub_id: int, delivery_id: int) -> dict[str, Any]:
    """Queue one delivery again now (same ``webhook-id``, fresh retry window)."""
    scope = _scope(principal)
    async with pool.acquire() as con, con.transaction():
        sub = await store.get_subscription(con, sub_id, scope)
        if sub["disabled_at"] is not None:
            raise Conflict("Đăng ký này đã bị tắt (đích trả 410); hãy tạo đăng ký mới.")
        await store.redeliver(con, sub_id, delivery_id)
        rows = [r for r in await store.list_deliveries(con, sub_id, delivery_id + 1, 1) if r["id"] == delivery_id]
        if not rows:
            raise NotFound(f"Không tìm thấy lần gửi {delivery_id}.")
        log = [_attempt(a) for a in await store.attempts_of(con, [delivery_id])]
    return _delivery(rows[0], log)


async def fan_out(con: asyncpg.Connection, payload: dict[str, Any]) -> int:
    """Turn one ``webhook.fanout`` outbox message into a delivery per matching subscription (idempotent)."""
    type_ = rules.event_type(payload)
    enqueued_at = datetime.fromisoformat(payload["enqueued_at"])
    subs = await store.matching_subscriptions(con, payload.get("agency_code"), type_, enqueued_at)
    if not subs:
        return 0
    shipment = await store.shipment_facts(con, payload["tracking_code"])
    if shipment is None:
        return 0
    message_id = f"msg_{payload['source_id']}"
    await store.add_deliveries(con, subs, message_id, type_, rules.message_body(payload, shipment))
    return len(subs)


@dataclass(frozen=True)
class SendResult:
    """What one HTTP attempt gave, as the sender saw it."""

    outcome: str  # delivered | gone | http_error | timeout | refused | connection_error
    status_code: int | None
    error: str | None
    retry_after: str | None
    attempted_at: datetime
    duration_ms: int


async def claim(pool: asyncpg.Pool, limit: int, lease_seconds: float) -> list[Claimed]:
    """Lease due deliveries to this worker (other workers skip them)."""
    async with pool.acquire() as con, con.transaction():
        return await store.claim_due(con, limit, lease_seconds)


def _next_state(item: Claimed, result: SendResult) -> store.Outcome:
    """Delivered, retried later (backoff or Retry-After), or failed for good (410, or the window is over)."""
    if result.outcome == "delivered":
        status, next_at = "delivered", None
    elif result.outcome == "gone" or rules.gives_up(item.first_attempt_at, result.attempted_at):
        status, next_at = "failed", None
    else:
        wait = rules.retry_after_seconds(result.retry_after, result.attempted_at)
        seconds = wait if wait is not None else rules.backoff_seconds(item.attempt)
        status, next_at = "pending", result.attempted_at + timedelta(seconds=seconds)
    return store.Outcome(status=status, outcome=result.outcome, status_code=result.status_code, error=result.error,
                         attempted_at=result.attempted_at, duration_ms=result.duration_ms, next_attempt_at=next_at)


async def finish(pool: asyncpg.Pool, item: Claimed, result: SendResult) -> None:
    """Record an attempt; a 410 answer disables the subscription."""
    out = _next_state(item, result)
    async with pool.acquire() as con, con.transaction():
        current = await store.record(con, item, out)
        if current and result.outcome == "gone":
            await store.disable_subscription(con, item.subscription_id, "gone")
    log.info("webhook attempt", extra={"delivery_id": item.id, "subscription_id": item.subscription_id,
                                       "attempt": item.attempt, "outcome": out.outcome,
                                       "status_code": out.status_code, "delivery_status": out.status})
