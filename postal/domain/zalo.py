"""The Zalo OA chatbot's pure rules: the webhook signature, what a citizen's text asks, the replies.

Signature (Zalo OA webhook): ``X-ZEvent-Signature: mac=<hex sha256(app_id + raw body + timestamp +
OA secret)>`` where ``timestamp`` is the body's own field (milliseconds since the epoch). The
comparison is constant-time. A timestamp further than the allowed skew from our clock is refused
too, so a captured request cannot be replayed later (the event-id guard covers replays inside it).

What a text asks (:func:`parse_text`), case, spaces, dots and dashes ignored:

- ``huỷ``/``hủy``/``huy`` + a tracking code → stop following that shipment;
- a tracking code followed by exactly 4 digits → the view with the masked name, and follow it;
- a tracking code → the public view;
- anything else → the help text.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from postal.domain.codes import is_s10

_CODE_RE = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")
_UNSUBSCRIBE_RE = re.compile(r"^\s*(HUỶ|HỦY|HUY)\b", re.IGNORECASE)


def expected_mac(app_id: str, raw_body: bytes, timestamp: str, oa_secret: str) -> str:
    """The hex SHA-256 Zalo puts after ``mac=``."""
    material = app_id.encode() + raw_body + timestamp.encode() + oa_secret.encode()
    return hashlib.sha256(material).hexdigest()


def signature_ok(header: str, app_id: str, raw_body: bytes, timestamp: str, oa_secret: str) -> bool:
    """True when ``header`` is ``mac=<the expected hex>`` (case-insensitive hex, constant-time)."""
    if not (app_id and oa_secret) or not header.startswith("mac="):
        return False
    given = header[4:].strip().lower().encode()
    return hmac.compare_digest(given, expected_mac(app_id, raw_body, timestamp, oa_secret).encode())


def timestamp_seconds(value: object) -> float | None:
    """The body's ``timestamp`` as seconds since the epoch (Zalo sends milliseconds), None when unreadable."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text.isascii() or not text.isdigit() or len(text) > 16:
        return None
    number = int(text)
    return number / 1000 if number > 10**11 else float(number)


def fresh(ts: float, now: float, max_skew: float) -> bool:
    """True when the event's time is within ``max_skew`` seconds of ours, either way."""
    return abs(now - ts) <= max_skew


@dataclass(frozen=True)
class Ask:
    """What a text asks: ``kind`` is ``track``, ``subscribe``, ``unsubscribe`` or ``help``."""

    kind: str
    code: str | None = None
    phone4: str | None = None


def _compact(text: str) -> str:
    """Upper case, NFC, without whitespace, dots and dashes (codes and digits are typed with those)."""
    return re.sub(r"[\s.\-_/]", "", unicodedata.normalize("NFC", text)).upper()


def parse_text(text: str) -> Ask:
    """The request in a citizen's message (see the module docstring)."""
    text = unicodedata.normalize("NFC", text or "")[:500]
    unsubscribe = bool(_UNSUBSCRIBE_RE.match(text))
    compact = _compact(text)
    found = next((m for m in _CODE_RE.finditer(compact) if is_s10(m.group())), None)
    if found is None:
        return Ask("help")
    code = found.group()
    if unsubscribe:
        return Ask("unsubscribe", code)
    rest = compact[found.end():]
    if len(rest) == 4 and rest.isascii() and rest.isdigit():
        return Ask("subscribe", code, rest)
    return Ask("track", code)


HELP_TEXT = (
    "Chào bạn! Để tra cứu hồ sơ gửi qua bưu điện, hãy gửi mã bưu gửi in trên phiếu, ví dụ: RA123456785VN.\n"
    "Gửi mã kèm 4 số cuối điện thoại (ví dụ: RA123456785VN 5678) để nhận tin mỗi khi trạng thái thay đổi.\n"
    "Gửi \"huỷ RA123456785VN\" để ngừng nhận tin."
)
RATE_TEXT = "Bạn gửi quá nhiều tin nhắn. Vui lòng thử lại sau ít phút."


def not_found_text(code: str) -> str:
    """The answer for a code we do not hold (the same whatever was asked with it)."""
    return f"Không tìm thấy bưu gửi {code}. Hãy kiểm tra lại mã in trên phiếu."


@dataclass(frozen=True)
class PublicStatus:
    """What anyone with the code may read: no personal data."""

    code: str
    status_text: str
    due_date: date
    last_text: str | None
    last_at: datetime | None
    last_place: str | None
    link: str
    paid: bool = False


def status_lines(view: PublicStatus) -> list[str]:
    """The public part of a reply, one fact a line."""
    lines = [f"Bưu gửi {view.code}: {view.status_text}.", f"Hẹn trả: {view.due_date:%d/%m/%Y}."]
    if view.last_text and view.last_at:
        place = f" tại {view.last_place}" if view.last_place else ""
        lines.append(f"Gần nhất: {view.last_text}{place}, {view.last_at:%H:%M %d/%m/%Y}.")
    if view.paid:
        lines.append("Đã thanh toán.")
    lines.append(f"Chi tiết: {view.link}")
    return lines


def track_text(view: PublicStatus) -> str:
    """The reply to a code alone."""
    return "\n".join(status_lines(view))


def subscribed_text(view: PublicStatus, masked_name: str) -> str:
    """The reply to a code with the right phone digits."""
    return "\n".join([*status_lines(view), f"Người nhận: {masked_name}.",
                      f"Bạn sẽ nhận tin khi trạng thái thay đổi. Gửi \"huỷ {view.code}\" để ngừng."])


def wrong_digits_text(view: PublicStatus) -> str:
    """The public view, and why nothing more is shown."""
    return "\n".join([*status_lines(view), "4 số cuối điện thoại không khớp nên chưa đăng ký nhận tin."])


def unsubscribed_text(code: str) -> str:
    """Said whether or not the user followed the code (nothing to learn from it)."""
    return f"Bạn sẽ không nhận tin về bưu gửi {code} nữa."


def update_text(code: str, status_text: str) -> str:
    """A status change sent to a follower (the sender appends the tracking link)."""
    return f"Bưu gửi {code}: {status_text}."
