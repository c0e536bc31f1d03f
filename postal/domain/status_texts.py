"""What a person reads for the lifecycle: statuses, events and timeline notes, in Vietnamese (default)
and English, with the pickup direction's own wording (the "recipient" there is the agency)."""

from __future__ import annotations

from typing import Literal

from postal.domain.lifecycle import Direction, Event, Note, Status

Lang = Literal["vi", "en"]


STATUS_TEXT_VI: dict[Status, str] = {
    Status.created: "Đã tạo đơn, chờ bưu tá đến lấy",
    Status.picked_up: "Bưu tá đã nhận",
    Status.in_transit: "Đang vận chuyển",
    Status.out_for_delivery: "Bưu tá đang đi phát",
    Status.delivery_failed: "Phát không thành công",
    Status.delivered: "Đã giao thành công",
    Status.returned: "Đã chuyển hoàn",
    Status.cancelled: "Đã huỷ",
}

STATUS_TEXT_EN: dict[Status, str] = {
    Status.created: "Order created, waiting for the postman",
    Status.picked_up: "Picked up by the postman",
    Status.in_transit: "In transit",
    Status.out_for_delivery: "Out for delivery",
    Status.delivery_failed: "Delivery attempt failed",
    Status.delivered: "Delivered",
    Status.returned: "Returned",
    Status.cancelled: "Cancelled",
}

# In the pickup direction the "recipient" is the agency, so a few texts read differently.
_PICKUP_STATUS_TEXT: dict[Lang, dict[Status, str]] = {
    "vi": {
        Status.created: "Đã tạo yêu cầu, chờ bưu tá đến nhận hồ sơ",
        Status.picked_up: "Bưu tá đã nhận hồ sơ",
        Status.out_for_delivery: "Bưu tá đang chuyển hồ sơ đến cơ quan",
        Status.delivery_failed: "Chưa bàn giao được hồ sơ cho cơ quan",
        Status.delivered: "Đã bàn giao hồ sơ cho cơ quan",
    },
    "en": {
        Status.created: "Request created, waiting for the postman to collect the dossier",
        Status.picked_up: "Dossier collected by the postman",
        Status.out_for_delivery: "Dossier on its way to the agency",
        Status.delivery_failed: "Dossier could not be handed over to the agency",
        Status.delivered: "Dossier handed over to the agency",
    },
}

EVENT_TEXT_VI: dict[Event, str] = {
    Event.picked_up: "Bưu tá nhận bưu gửi",
    Event.arrived: "Đến bưu cục",
    Event.out_for_delivery: "Bưu tá đi phát",
    Event.delivery_failed: "Phát không thành công",
    Event.delivered: "Phát thành công",
    Event.returned: "Chuyển hoàn",
    Event.cancel: "Huỷ đơn",
}

EVENT_TEXT_EN: dict[Event, str] = {
    Event.picked_up: "Picked up",
    Event.arrived: "Arrived at post office",
    Event.out_for_delivery: "Out for delivery",
    Event.delivery_failed: "Delivery attempt failed",
    Event.delivered: "Delivered",
    Event.returned: "Returned",
    Event.cancel: "Cancelled",
}


NOTE_TEXT: dict[Lang, dict[Note, str]] = {
    "vi": {Note.rescheduled: "Hẹn lại ngày trả kết quả", Note.carrier_report: "Cập nhật từ bưu điện"},
    "en": {Note.rescheduled: "New result date set", Note.carrier_report: "Update from the postal operator"},
}


def timeline_text(name: str, lang: Lang = "vi") -> str:
    """Any stored timeline entry (scan event or note) as a person reads it; unknown names as they are."""
    if name in Event.__members__:
        return event_text(Event(name), lang)
    if name in Note.__members__:
        return NOTE_TEXT[lang][Note(name)]
    return name


def status_text(status: Status, direction: Direction = Direction.delivery, lang: Lang = "vi") -> str:
    """A status as a citizen reads it, in Vietnamese (default) or English."""
    if direction is Direction.pickup and status in _PICKUP_STATUS_TEXT[lang]:
        return _PICKUP_STATUS_TEXT[lang][status]
    return (STATUS_TEXT_VI if lang == "vi" else STATUS_TEXT_EN)[status]


def event_text(event: Event, lang: Lang = "vi") -> str:
    """An event as a citizen reads it, in Vietnamese (default) or English."""
    return (EVENT_TEXT_VI if lang == "vi" else EVENT_TEXT_EN)[event]
