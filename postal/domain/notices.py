"""What a citizen's phone shows (SPEC §7): the texts of each notification kind, pure.

Every text is lock-screen safe: the tracking code, the tracking link, a date or a reason, and for
``otp`` the code itself — never a name, an address, a phone or an ID number. Vietnamese with full
diacritics (NFC) for Zalo and the log; :func:`sms_text` folds it to ASCII and keeps it within one
160-character SMS, cutting the least useful part first (never the code or the tracking code).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from postal.domain.masking import mask_phone

KINDS = ("otp", "picked_up", "delivered", "delivery_failed", "late")
SMS_MAX = 160

REASONS: dict[str, str] = {
    "absent": "người nhận vắng nhà",
    "wrong_address": "không tìm thấy địa chỉ",
    "refused": "người nhận từ chối nhận",
    "no_id": "chưa xuất trình được giấy tờ",
    "moved": "người nhận đã chuyển đi",
    "postponed": "người nhận hẹn ngày khác",
    "other": "lý do khác",
}
"""A failed attempt's ``reason_code`` → the short reason the citizen reads (no courier's note)."""


@dataclass(frozen=True)
class Notice:
    """One message to send: the facts the texts are made of (no personal data besides ``phone``)."""

    kind: str
    tracking_code: str
    phone: str  # 0xxxxxxxxx; goes to the provider only, never into a text or a log
    link: str
    direction: str = "delivery"
    otp: str | None = None
    expires: str | None = None  # local "HH:MM dd/mm/yyyy" of the code's expiry
    due_date: date | None = None
    new_date: date | None = None
    reason_code: str | None = None
    ref: str = ""  # a stable id for the provider (same across retries of this message)
    extra: dict[str, Any] = field(default_factory=dict)


def tracking_link(public_url: str, tracking_code: str) -> str:
    """The citizen's tracking page of a shipment."""
    return f"{public_url.rstrip('/')}/t/{tracking_code}"


def international_phone(phone: str) -> str:
    """``0912345678`` → ``84912345678`` (the form Zalo and SMS gateways take)."""
    digits = "".join(c for c in phone if c.isdigit())
    if digits.startswith("84"):
        return digits
    return "84" + digits.removeprefix("0")


def masked_phone(phone: str) -> str:
    """The phone as logs and staff may show it (``091****678``)."""
    return mask_phone(phone)


def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _parts(n: Notice) -> list[tuple[str, bool]]:
    """The message as (sentence, essential) pairs; non-essential ones may be cut from an SMS."""
    code, link = n.tracking_code, n.link
    if n.kind == "otp":
        return [(f"Mã nhận kết quả hồ sơ {code}: {n.otp}.", True),
                ("Chỉ đọc mã cho bưu tá khi nhận bưu gửi.", True),
                (f"Hiệu lực đến {n.expires}." if n.expires else "", False),
                (f"Theo dõi: {link}", True)]
    if n.kind == "picked_up":
        return [(f"Bưu điện đã nhận hồ sơ {code} để chuyển đến cơ quan giải quyết.", True),
                (f"Theo dõi: {link}", True)]
    if n.kind == "delivered":
        what = "Hồ sơ" if n.direction == "pickup" else "Kết quả hồ sơ"
        where = "đã được giao cho cơ quan giải quyết" if n.direction == "pickup" else "đã được giao"
        return [(f"{what} {code} {where}.", True), ("Cảm ơn bạn đã sử dụng dịch vụ.", False),
                (f"Chi tiết: {link}", False)]
    if n.kind == "delivery_failed":
        reason = REASONS.get(n.reason_code or "", REASONS["other"])
        return [(f"Bưu tá chưa giao được kết quả hồ sơ {code}: {reason}.", True),
                ("Để hẹn giao lại, hãy gọi bưu cục phát hoặc bộ phận một cửa.", True),
                (f"Theo dõi: {link}", True)]
    if n.kind == "late":
        if n.new_date:
            first = f"Kết quả hồ sơ {code} được hẹn lại ngày {_d(n.new_date)}. Xin lỗi vì sự chậm trễ."
        elif n.direction == "pickup":  # the citizen's dossier is late reaching the agency, not a result
            first = (f"Hồ sơ {code} chưa được chuyển đến cơ quan đúng hạn {_d(n.due_date)}."
                     " Bưu điện sẽ liên hệ bạn. Xin lỗi vì sự chậm trễ.")
        else:
            first = (f"Kết quả hồ sơ {code} chưa trả được đúng hẹn {_d(n.due_date)}."
                     " Cơ quan sẽ báo ngày hẹn mới. Xin lỗi vì sự chậm trễ.")
        return [(first, True), (f"Theo dõi: {link}", True)]
    raise ValueError(f"unknown notification kind {n.kind!r}")


def text(n: Notice) -> str:
    """The Vietnamese text (Zalo, log): every sentence, NFC."""
    return unicodedata.normalize("NFC", " ".join(p for p, _ in _parts(n) if p))


def fold(value: str) -> str:
    """Vietnamese without diacritics (``Mã hồ sơ`` → ``Ma ho so``), ASCII only."""
    value = unicodedata.normalize("NFD", value).replace("đ", "d").replace("Đ", "D")
    value = "".join(c for c in value if not unicodedata.combining(c))
    return re.sub(r"[^\x20-\x7e]", "", value)


def sms_text(n: Notice) -> str:
    """One SMS (≤ 160 ASCII characters): optional sentences dropped first, then a hard cut of the tail."""
    parts = [(fold(p), essential) for p, essential in _parts(n) if p]
    while len(" ".join(p for p, _ in parts)) > SMS_MAX and any(not e for _, e in parts):
        drop = max(i for i, (_, e) in enumerate(parts) if not e)
        parts.pop(drop)
    message = " ".join(p for p, _ in parts)
    return message if len(message) <= SMS_MAX else message[:SMS_MAX]


def template_data(n: Notice) -> dict[str, str]:
    """The parameters a Zalo ZNS template of this kind is filled with (names fixed, see README)."""
    data = {"tracking_code": n.tracking_code, "tracking_url": n.link}
    if n.kind == "otp":
        data |= {"otp": n.otp or "", "expires_at": n.expires or ""}
    elif n.kind == "delivery_failed":
        data["reason"] = REASONS.get(n.reason_code or "", REASONS["other"])
    elif n.kind == "late":
        data["date"] = _d(n.new_date or n.due_date)
        data["rescheduled"] = "1" if n.new_date else "0"
    return data


def without_secret(message: str, n: Notice) -> str:
    """The text with the one-time code blanked: what staff lists and the CLI may show."""
    return message.replace(n.otp, "••••••") if n.otp else message
