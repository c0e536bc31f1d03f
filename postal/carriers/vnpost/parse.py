"""Pure parsers of VNPost answers and status reports (SPEC §9): (HTTP status, JSON) in, our values out.

Transient answers (5xx, 429) raise :class:`CarrierUnavailable`, refusals :class:`CarrierRejected`
(or :class:`DuplicateOrder` when the ``saleOrderCode`` is already known), so the proxy only has to
decide whether to retry. A 401 is handled by the proxy (token refresh) before it reaches these.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from postal.carriers.errors import CarrierAuthFailed, CarrierRejected, CarrierUnavailable, DuplicateOrder

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_NOTE = 300
_DUPLICATE_CODES = {"DUPLICATE", "DUPLICATE_SALE_ORDER_CODE", "EXISTED"}


@dataclass(frozen=True)
class CreatedOrder:
    """The operator's order: its id (``originalID``), status and fee."""

    original_id: str
    status: int | None
    total_fee: int | None


@dataclass(frozen=True)
class Report:
    """One status report about one order."""

    order_id: str
    status: int
    occurred_at: datetime
    sale_order_code: str | None = None
    note: str = ""
    feed_id: int | None = None  # position in the polling feed


def _check_transport(status: int, body: Any) -> dict[str, Any]:
    if status >= 500 or status == 429:
        raise CarrierUnavailable(f"VNPost answered HTTP {status}")
    if not isinstance(body, dict):
        raise CarrierRejected(f"VNPost answered HTTP {status} without a JSON object")
    return body


def _refusal(status: int, body: dict[str, Any]) -> CarrierRejected:
    code = str(body.get("errorCode") or "").upper()
    message = clean_note(str(body.get("message") or ""))
    cls = DuplicateOrder if code in _DUPLICATE_CODES or status == 409 else CarrierRejected
    return cls(f"VNPost refused (HTTP {status}, {code or 'no code'}): {message}")


def parse_token(status: int, body: Any) -> tuple[str, float | None]:
    """``GetAccessToken`` → (token, lifetime in seconds or None when not said)."""
    data = _check_transport(status, body)
    token = data.get("token")
    if status >= 400 or not data.get("success") or not isinstance(token, str) or not token:
        raise CarrierAuthFailed(f"VNPost refused the credentials (HTTP {status})")
    expires = data.get("expiresIn")
    return token, float(expires) if isinstance(expires, int | float) and expires > 0 else None


def parse_create_order(status: int, body: Any) -> CreatedOrder:
    """``CreateOrder`` → the order; a duplicate ``saleOrderCode`` raises :class:`DuplicateOrder`."""
    data = _check_transport(status, body)
    original = data.get("originalID")
    if status >= 400 or data.get("success") is False or not original:
        raise _refusal(status, data)
    return CreatedOrder(str(original), _int_or_none(data.get("status")), _int_or_none(data.get("totalFee")))


def parse_find_order(status: int, body: Any) -> CreatedOrder | None:
    """``GetOrder`` → the order, or None when the operator has none with that code."""
    if status == 404:
        return None
    data = _check_transport(status, body)
    if status >= 400:
        raise _refusal(status, data)
    original = data.get("originalID")
    return CreatedOrder(str(original), _int_or_none(data.get("status")), None) if original else None


def parse_cancel(status: int, body: Any) -> bool:
    """``orderCancel`` → True when cancelled (or already cancelled); False when the operator has no such order."""
    if status == 404:
        return False
    data = _check_transport(status, body)
    if status >= 400 or data.get("success") is False:
        raise _refusal(status, data)
    return True


def parse_tracking(status: int, body: Any) -> list[Report | None]:
    """``GetTrackingEvents`` → the reports in feed order (None for an item that cannot be read)."""
    data = _check_transport(status, body)
    if status >= 400 or not isinstance(data.get("items"), list):
        raise _refusal(status, data)
    return [parse_report(item) for item in data["items"]]


def parse_report(item: Any) -> Report | None:
    """One report, pushed or polled: ``{originalID, saleOrderCode, status, time, note, id}``; None if unreadable."""
    if not isinstance(item, dict):
        return None
    order_id = item.get("originalID") or item.get("OriginalId") or item.get("originalId")
    status = _int_or_none(item.get("status"))
    occurred = parse_time(item.get("time"))
    if not isinstance(order_id, str | int) or status is None or occurred is None:
        return None
    order = str(order_id).strip()
    if not order or len(order) > 64:
        return None
    sale = item.get("saleOrderCode")
    return Report(order, status, occurred, str(sale).strip()[:40] if isinstance(sale, str) else None,
                  clean_note(item.get("note")), _int_or_none(item.get("id")))


def parse_reports(body: Any) -> list[Report | None]:
    """A callback body: one report, a list of them, or ``{"events": [...]}``."""
    if isinstance(body, dict) and isinstance(body.get("events"), list):
        body = body["events"]
    items = body if isinstance(body, list) else [body]
    return [parse_report(item) for item in items]


_VN_FORMAT = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\Z")


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 or ``dd/MM/yyyy HH:mm[:ss]``; a time without offset is Vietnam time (the operator's)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    text = value.strip()
    if m := _VN_FORMAT.match(text):
        day, month, year, hour, minute, second = (int(g or 0) for g in m.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=VN_TZ)
        except ValueError:
            return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=VN_TZ)


def clean_note(value: Any) -> str:
    """The operator's free text made safe to keep and show: NFC, no control or format characters, short."""
    if not isinstance(value, str):
        return ""
    text = unicodedata.normalize("NFC", value)
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    return " ".join(text.split())[:MAX_NOTE]


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
