"""Webhook rules, pure (SPEC §7, Standard Webhooks): event names, secrets, signatures, payloads,
which target addresses are refused, and when a failed delivery is tried again.

- Event types are ``shipment.created`` and ``shipment.<event>`` for every lifecycle event;
  ``*`` subscribes to all of them.
- A secret is ``whsec_`` + base64 of 32 random bytes; the HMAC key is the decoded bytes.
- ``webhook-signature`` is ``v1,`` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
- The payload carries no personal data at all: codes, statuses, times and the agency only.
- Targets: http or https, no user:password part, and no address that is loopback, private,
  link-local, multicast, reserved, unspecified or otherwise not globally routable. Loopback alone
  may be allowed (``POSTAL_WEBHOOK_ALLOW_LOOPBACK=true``) for development and tests.
- Retries: the n-th failure waits ``min(5 s · 3^(n-1), 4 h)`` with ±20 % jitter (so the first retry
  comes within 6 s), or what ``Retry-After`` asks (1 s to 24 h). A delivery gives up only when it
  fails after :data:`RETRY_WINDOW` since its first attempt, so retries span at least 24 h.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import random
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from postal.domain.lifecycle import Event
from postal.errors import FieldError, InvalidInput

ALL_EVENTS = "*"
EVENT_TYPES: tuple[str, ...] = ("shipment.created", *(f"shipment.{e.value}" for e in Event))
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
MAX_URL_LENGTH = 2000
FIRST_DELAY_SECONDS = 5.0
BACKOFF_FACTOR = 3.0
MAX_DELAY_SECONDS = 4 * 3600.0
JITTER = 0.2
RETRY_WINDOW = timedelta(hours=24)
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def new_secret() -> str:
    """A fresh signing secret, ``whsec_<base64 of 32 random bytes>``."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value for one send of ``body``."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one send."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def clean_events(events: Iterable[str]) -> list[str]:
    """The subscribed event types, deduplicated in order; unknown names are refused naming each one."""
    known = {ALL_EVENTS, *EVENT_TYPES}
    out: list[str] = []
    errors = []
    for i, name in enumerate(events):
        if name not in known:
            errors.append(FieldError(f"events.{i}", f"Sự kiện không có: {name[:60]!r}. Dùng '*' hoặc "
                                                    f"{', '.join(EVENT_TYPES)}."))
        elif name not in out:
            out.append(name)
    if errors:
        raise InvalidInput("Danh sách sự kiện có tên không hợp lệ.", errors=errors)
    if not out:
        raise InvalidInput("Cần ít nhất một sự kiện.", errors=[FieldError("events", "Danh sách trống.")])
    return [ALL_EVENTS] if ALL_EVENTS in out else out


def event_type(payload: dict[str, Any]) -> str:
    """``shipment.<event>`` of an outbox payload (``shipment.created`` for a creation)."""
    return f"shipment.{payload.get('event') or 'created'}"


def matches(events: Iterable[str], type_: str) -> bool:
    """Whether a subscription to ``events`` receives ``type_``."""
    return any(e in (ALL_EVENTS, type_) for e in events)


def message_body(payload: dict[str, Any], shipment: dict[str, Any]) -> str:
    """The JSON body sent for one outbox payload: codes, statuses and times; never a name, phone,
    ID number or address."""
    type_ = event_type(payload)
    data = {
        "tracking_code": payload["tracking_code"],
        "dossier_code": shipment["dossier_code"],
        "direction": payload.get("direction"),
        "agency_code": payload.get("agency_code"),
        "post_office_code": payload.get("post_office_code"),
        "event": type_.removeprefix("shipment."),
        "status": payload.get("status"),
        "previous_status": payload.get("previous_status"),
        "occurred_at": payload.get("occurred_at"),
        "due_date": shipment["due_date"],
    }
    return json.dumps({"type": type_, "timestamp": payload.get("occurred_at"), "data": data},
                      ensure_ascii=False, separators=(",", ":"))


def check_url(url: str) -> tuple[str, int]:
    """The host and port of a target URL, or InvalidInput when it is not an acceptable http(s) URL."""
    def bad(message: str) -> InvalidInput:
        return InvalidInput("Địa chỉ webhook không hợp lệ.", errors=[FieldError("url", message)])

    if len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise bad("URL quá dài hoặc có ký tự trắng/điều khiển.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad("URL không đọc được.") from None
    if parts.scheme not in ("http", "https"):
        raise bad("Chỉ nhận http:// hoặc https://.")
    if not parts.hostname:
        raise bad("URL thiếu tên máy chủ.")
    if parts.username is not None or parts.password is not None:
        raise bad("Không đặt tên đăng nhập/mật khẩu trong URL; hãy xác minh bằng chữ ký webhook.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why a resolved address may not be a webhook target, or None when it may."""
    try:
        ip: Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "không phải địa chỉ IP"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "địa chỉ loopback"
    for flag, reason in ((ip.is_unspecified, "địa chỉ không xác định"), (ip.is_link_local, "địa chỉ link-local"),
                         (ip.is_multicast, "địa chỉ multicast"), (ip.is_private, "địa chỉ mạng riêng"),
                         (ip.is_reserved, "địa chỉ dành riêng")):
        if flag:
            return reason
    return None if ip.is_global else "địa chỉ không định tuyến công khai"


def is_ip_literal(host: str) -> bool:
    """Whether ``host`` is written as an IP address (then no resolver is asked)."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def backoff_seconds(failures: int, rand: Callable[[float, float], float] = random.uniform) -> float:
    """The wait after the ``failures``-th failure: exponential, capped, with jitter."""
    base = min(FIRST_DELAY_SECONDS * BACKOFF_FACTOR ** max(failures - 1, 0), MAX_DELAY_SECONDS)
    return base * rand(1 - JITTER, 1 + JITTER)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` (seconds or an HTTP date) as seconds from ``now``, clamped to 1 s … 24 h."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 1.0), MAX_RETRY_AFTER_SECONDS)


def gives_up(first_attempt_at: datetime, now: datetime) -> bool:
    """Whether a failure at ``now`` is the last one: the retry window since the first attempt is over."""
    return now - first_attempt_at >= RETRY_WINDOW
