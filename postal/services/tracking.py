"""Public tracking by code (SPEC §5 ``GET /track/{code}``, §8 citizen pages).

The status and ``status_text`` are the shipment's own; a late event (``applied: false``) is
marked ``late`` in the timeline, says "recorded late, did not change the status" instead of a
status, and a late duplicate of an event already applied is not shown at all.

What a citizen sees without proof: the status, the timeline (event, its text, local
time, post office name) and the due date. With proof — the QR signature ``s`` or the
last 4 digits of the phone on file — also the masked name and the ward/province names.
Never a phone, ID number, street line, courier, actor id, proof or geo point.

Enumeration throttling (design and figures: the perf notes): only *misses* count — a
well-formed code that does not exist, a wrong ``phone4`` or a forged ``s`` (the last two weigh
:data:`WRONG_PROOF_WEIGHT`). A hit on a valid code reveals nothing to a guesser and writes
nothing, so a shared (carrier-grade NAT) address full of honest citizens is never throttled for
looking up real codes; a malformed code (wrong check digit: most typos) reveals nothing either
(anyone can compute the check digit) and is not counted. Misses are counted per client address
in a fixed window in an UNLOGGED table shared by all processes; a hit reads the client's count in
the same query as the shipment (no extra round trip), a miss learns it from the upsert that counts
it. Once a client has ``settings.track_rate_limit`` misses in ``track_rate_window_seconds``,
*every* lookup from it answers 429 with ``Retry-After`` until the window ends — hits too, or a
200 among 429s would tell a guesser which code is real. A process that saw the block remembers it
in memory and answers 429 without the database. The name, phone digits and ward are read only
when a proof is offered. Fixed windows may let up to twice the limit through around a window
boundary; that is accepted.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import random
import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from postal.domain import codes
from postal.domain.address import province_name, ward_name
from postal.domain.deadlines import is_overdue
from postal.domain.lifecycle import TRANSITIONS, Direction, Event, Status
from postal.domain.masking import mask_name
from postal.domain.network import parse_ip
from postal.domain.signing import verify_code_sig
from postal.domain.status_texts import Lang, event_text, status_text, timeline_text
from postal.errors import InvalidInput, NotFound, RateLimited
from postal.services.views import Clock
from postal.settings import Settings
from postal.store import tracking as store
from postal.store import tracking_rate as rate_store
from postal.store.tracking import PublicEvent

WRONG_PROOF_WEIGHT = 5
"""A wrong ``phone4`` or forged ``s`` counts as this many misses (10,000 possible digits: guessing them is worse)."""

PURGE_PROBABILITY = 1 / 50
"""How often a miss also deletes ended windows (opportunistic clean-up, no extra worker)."""

_PHONE4_RE = re.compile(r"^[0-9]{4}$")


# ---------------------------------------------------------------------------
# Who is asking


def client_bucket(address: str) -> str:
    """What is counted: an IPv4 address, or the /64 of an IPv6 one (a home or phone gets a whole /64)."""
    ip = parse_ip(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return address


@functools.lru_cache(maxsize=8192)
def _client_hash(address: str, key: bytes) -> bytes:
    """A keyed hash of the client bucket, so the counters table holds no addresses."""
    return hmac.new(key, b"postal-rate:" + client_bucket(address).encode(), hashlib.sha256).digest()[:16]


# ---------------------------------------------------------------------------
# Throttling


Blocks = dict[bytes, float]
"""Per application (``postal.edge.keys.track_blocks_key``): client hash → monotonic time its block ends.
Only ever shortcuts a 429 that the shared counter would give anyway."""


def _too_many(retry_after: int) -> RateLimited:
    return RateLimited(f"Tra cứu quá nhiều lần; hãy thử lại sau {retry_after} giây.", retry_after=retry_after)


def _block(blocks: Blocks, client: bytes, retry_after: int) -> RateLimited:
    """Remember in this process that ``client`` is blocked for ``retry_after`` seconds; the error to raise."""
    now = time.monotonic()
    if len(blocks) > 10_000:  # a flood of blocked addresses: drop the ended ones (the database still knows)
        for key in [k for k, until in blocks.items() if until <= now]:
            del blocks[key]
    blocks[client] = now + retry_after
    return _too_many(retry_after)


def check_blocked(blocks: Blocks, client: bytes) -> None:
    """Raise :class:`RateLimited` when this process already knows ``client`` is over its miss limit."""
    until = blocks.get(client)
    if until is not None:
        left = until - time.monotonic()
        if left > 0:
            raise _too_many(max(1, int(left + 0.999)))


async def count_miss(con: asyncpg.Connection, blocks: Blocks, settings: Settings, client: bytes,
                     weight: int = 1) -> None:
    """Count ``weight`` misses for ``client``; raise :class:`RateLimited` once over the limit."""
    window = settings.track_rate_window_seconds
    count = await rate_store.add_hits(con, client, weight, window)
    if random.random() < PURGE_PROBABILITY:
        await rate_store.purge_old_windows(con, window)
    if count.hits > settings.track_rate_limit:
        raise _block(blocks, client, count.retry_after)


# ---------------------------------------------------------------------------
# Lookup


@dataclass(frozen=True)
class TrackRequest:
    """One lookup: the code as typed, optional proofs, the language of texts, the client address."""

    code: str
    client: str
    sig: str | None = None
    phone4: str | None = None
    lang: Lang = "vi"


def normalize_phone4(text: str | None) -> str | None:
    """The 4 digits (spaces, dots and dashes ignored), None when empty; ValueError when not 4 digits."""
    if text is None:
        return None
    digits = re.sub(r"[\s.\-]", "", text)
    if not digits:
        return None
    if not _PHONE4_RE.match(digits):
        raise ValueError("phone4 must be exactly 4 digits")
    return digits


def canonical_code(text: str) -> str | None:
    """The tracking code in canonical form, or None when it is not a valid S10 code."""
    try:
        return codes.normalize_s10(text)
    except InvalidInput:
        return None


def _code_or_404(text: str) -> str:
    """A malformed code reads exactly like an unknown one: 404, same message."""
    code = canonical_code(text)
    if code is None:
        raise _not_found()
    return code


def _not_found() -> NotFound:
    return NotFound("Không tìm thấy bưu gửi với mã này. Hãy kiểm tra lại mã in trên phiếu (ví dụ RA123456785VN).")


def _proof(req: TrackRequest, row: asyncpg.Record, key: bytes) -> tuple[bool, bool]:
    """(proven, a proof was offered and was wrong)."""
    offered = False
    if req.sig:
        offered = True
        if verify_code_sig(row["tracking_code"], req.sig, key):
            return True, False
    if req.phone4:
        offered = True
        on_file = row["phone_last4"] or ""
        if len(on_file) == 4 and hmac.compare_digest(on_file.encode(), req.phone4.encode()):
            return True, False
    return False, offered


async def track(pool: asyncpg.Pool, clock: Clock, req: TrackRequest, blocks: Blocks) -> dict[str, Any]:
    """The public view of a shipment (with ``recipient`` when proven); misses counted against the client.

    Raises :class:`RateLimited` (429) or :class:`NotFound` (404, also for a malformed code).
    """
    settings = clock.settings
    client = _client_hash(req.client, settings.key)
    check_blocked(blocks, client)
    code = _code_or_404(req.code)
    window = settings.track_rate_window_seconds
    async with pool.acquire() as con:
        row = await store.public_shipment_for(con, code, client, window, proof=bool(req.sig or req.phone4))
        if row is None:
            await count_miss(con, blocks, settings, client)  # 429 once over the limit, else the 404 below
            raise _not_found()
        if (row["misses"] or 0) >= settings.track_rate_limit:
            raise _block(blocks, client, await rate_store.retry_after(con, window))
        proven, wrong = _proof(req, row, settings.key)
        if wrong:
            await count_miss(con, blocks, settings, client, WRONG_PROOF_WEIGHT)
    view = public_view(row, store.timeline(row), clock, req.lang)
    if proven:
        view["recipient"] = recipient_view(row)
    return view


async def check_signed_link(pool: asyncpg.Pool, settings: Settings, code: str, sig: str, client: str,
                            blocks: Blocks) -> str:
    """The canonical code of a QR link whose signature holds; a forged one counts as a guess and is a 404."""
    client_hash = _client_hash(client, settings.key)
    check_blocked(blocks, client_hash)
    canonical = canonical_code(code)
    if canonical is None:
        raise _not_found()
    if not verify_code_sig(canonical, sig, settings.key):
        async with pool.acquire() as con:
            await count_miss(con, blocks, settings, client_hash, WRONG_PROOF_WEIGHT)
        raise _not_found()
    return canonical


# ---------------------------------------------------------------------------
# Views


def _event_status(event: str, to_status: str | None) -> Status | None:
    """The status an event leads to (``returned`` may come from anywhere), for its citizen text."""
    if event in Event.__members__:
        return TRANSITIONS[Event(event)][1]
    if to_status is not None and to_status in Status.__members__:
        return Status(to_status)
    return None


def _local(clock: Clock, moment: datetime) -> str:
    """Local ISO time to the second: a citizen needs no microseconds (and they only add digit noise)."""
    return clock.local(moment, "seconds")


LATE_TEXT: dict[Lang, str] = {
    "vi": "Ghi nhận muộn, không thay đổi trạng thái",
    "en": "Recorded late, did not change the status",
}
"""What a late event (``applied: false``) says instead of a status: it never reads as the current state."""


_PICKUP_EVENT_TEXT: dict[Lang, dict[Event, str]] = {
    "vi": {
        Event.picked_up: "Bưu tá nhận hồ sơ",
        Event.out_for_delivery: "Bưu tá chuyển hồ sơ đến cơ quan",
        Event.delivery_failed: "Chưa bàn giao được hồ sơ cho cơ quan",
        Event.delivered: "Bàn giao hồ sơ cho cơ quan",
    },
    "en": {
        Event.picked_up: "Dossier collected",
        Event.out_for_delivery: "Dossier taken to the agency",
        Event.delivery_failed: "Dossier not handed over to the agency",
        Event.delivered: "Dossier handed over to the agency",
    },
}
"""In the pickup direction the citizen is the sender: events read as what happens to their dossier."""


def _event_text(event: str, direction: Direction, lang: Lang) -> str:
    if event not in Event.__members__:
        return timeline_text(event, lang)  # a note (``rescheduled``) or a carrier's name we do not know
    if direction is Direction.pickup and Event(event) in _PICKUP_EVENT_TEXT[lang]:
        return _PICKUP_EVENT_TEXT[lang][Event(event)]
    return event_text(Event(event), lang)


@functools.lru_cache(maxsize=1024)
def _event_texts(event: str, to_status: str | None, late: bool, direction: Direction, lang: Lang) -> tuple[str, str]:
    """(status_text, event_text) of a timeline entry: fixed texts, computed once per combination."""
    status = _event_status(event, to_status)
    if late:
        text = LATE_TEXT[lang]
    else:
        text = status_text(status, direction, lang) if status else event
    return text, _event_text(event, direction, lang)


def public_event(e: PublicEvent, direction: Direction, clock: Clock, lang: Lang) -> dict[str, Any]:
    """One timeline entry: what happened, when (local time), where — nothing about who.

    A late event keeps its ``event_text`` (what the courier reported) but its ``status_text`` is
    :data:`LATE_TEXT`: only applied events name a status.
    """
    late = not e.applied
    text, told = _event_texts(e.event, e.to_status, late, direction, lang)
    return {
        "event": e.event,
        "status_text": text,
        "event_text": told,
        "occurred_at": _local(clock, e.occurred_at),
        "post_office": e.post_office_name,
        "post_office_name": e.post_office_name,
        "applied": e.applied,
        "late": late,
    }


def citizen_timeline(events: list[PublicEvent]) -> list[PublicEvent]:
    """The events a citizen is shown: a late scan of an event already applied (a duplicate sent
    again by an offline device) is left out; other late scans stay, marked late. Staff see all."""
    applied = {e.event for e in events if e.applied}
    return [e for e in events if e.applied or e.event not in applied]


def _completed_on(row: asyncpg.Record, clock: Clock) -> date | None:
    done: datetime | None = row["completed_at"]
    return done.astimezone(clock.settings.tz).date() if done else None


def public_view(row: asyncpg.Record, events: list[PublicEvent], clock: Clock, lang: Lang) -> dict[str, Any]:
    """What anyone with the code may see (SPEC §5): no personal data at all."""
    direction, status = Direction(row["direction"]), Status(row["status"])
    return {
        "tracking_code": row["tracking_code"],
        "direction": direction.value,
        "status": status.value,
        "status_text": status_text(status, direction, lang),
        "due_date": row["due_date"].isoformat(),
        "overdue": is_overdue(status.value, row["due_date"], clock.today(), _completed_on(row, clock)),
        "created_at": _local(clock, row["created_at"]),
        "events": [public_event(e, direction, clock, lang) for e in citizen_timeline(events)],
    }


def recipient_view(row: asyncpg.Record) -> dict[str, str]:
    """The masked name and the ward/province names, shown only with a proof."""
    return {
        "name": mask_name(row["citizen_name"]),
        "ward": ward_name(row["ward_code"]),
        "province": province_name(row["province_code"]),
    }
