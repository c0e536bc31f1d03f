"""Every text of the citizen pages, in Vietnamese (default) and English (``?lang=en``)."""

from __future__ import annotations

from typing import Any

from postal.domain.lifecycle import Direction, Status
from postal.domain.status_texts import Lang

UI: dict[Lang, dict[str, str]] = {
    "vi": {
        "brand": "Bưu chính công ích",
        "footer": "Dịch vụ thu gom hồ sơ và phát trả kết quả thủ tục hành chính qua bưu chính công ích",
        "home_title": "Tra cứu bưu gửi",
        "home_lead": "Nhập mã bưu gửi in trên phiếu (ví dụ RA123456785VN) hoặc quét mã QR trên phiếu bằng điện thoại.",
        "code_label": "Mã bưu gửi",
        "search": "Tra cứu",
        "page_title": "Bưu gửi {code}",
        "code": "Mã bưu gửi",
        "kind_delivery": "Phát trả kết quả hồ sơ",
        "kind_pickup": "Thu gom hồ sơ",
        "due_delivery": "Ngày hẹn trả kết quả",
        "due_pickup": "Hạn chuyển hồ sơ đến cơ quan",
        "overdue": "Đã quá ngày hẹn. Cơ quan sẽ thông báo ngày hẹn mới và gửi văn bản xin lỗi.",
        "timeline": "Hành trình",
        "created_event": "Đơn được đăng ký tại bộ phận một cửa",
        "late_scan": "Ghi nhận muộn, không thay đổi trạng thái",
        "recipient_delivery": "Người nhận",
        "recipient_pickup": "Người gửi",
        "area": "Địa bàn",
        "masked_note": "Tên đã được che một phần để bảo vệ thông tin cá nhân.",
        "reveal_title": "Xem tên người nhận",
        "reveal_title_pickup": "Xem tên người gửi",
        "reveal_lead": "Nhập 4 số cuối số điện thoại đã đăng ký để xem tên (đã che một phần) và phường/xã, tỉnh/thành.",
        "phone4_label": "4 số cuối số điện thoại",
        "reveal": "Xem",
        "phone4_format": "Vui lòng nhập đúng 4 chữ số.",
        "phone4_mismatch": "4 số vừa nhập không khớp với số điện thoại đã đăng ký.",
        "bring_title": "Khi nhận, cần chuẩn bị",
        "bring_pickup_title": "Khi bưu tá đến nhận hồ sơ, cần chuẩn bị",
        "help": "Cần hỗ trợ? Liên hệ bộ phận một cửa nơi nộp hồ sơ hoặc bưu cục gần nhất.",
        "other_lang": "English",
        "other_lang_code": "en",
        "not_found_title": "Không tìm thấy bưu gửi",
        "not_found_lead": "Không có bưu gửi nào với mã này. Hãy kiểm tra lại mã in trên phiếu: "
                          "2 chữ cái, 9 chữ số và VN (ví dụ RA123456785VN).",
        "busy_title": "Tra cứu quá nhiều lần",
        "busy_lead": "Bạn đã tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau {seconds} giây.",
        "try_again": "Tra cứu mã khác",
    },
    "en": {
        "brand": "Public postal service",
        "footer": "Collection of dossiers and delivery of administrative results through the public postal service",
        "home_title": "Track your item",
        "home_lead": "Enter the item code printed on the slip (e.g. RA123456785VN) or scan the slip's QR code "
                     "with your phone.",
        "code_label": "Item code",
        "search": "Track",
        "page_title": "Item {code}",
        "code": "Item code",
        "kind_delivery": "Delivery of your administrative result",
        "kind_pickup": "Collection of your dossier",
        "due_delivery": "Expected date of the result",
        "due_pickup": "Due at the agency by",
        "overdue": "The expected date has passed. The agency will tell you the new date and send an apology letter.",
        "timeline": "Journey",
        "created_event": "Order registered at the one-stop centre",
        "late_scan": "Recorded late, did not change the status",
        "recipient_delivery": "Recipient",
        "recipient_pickup": "Sender",
        "area": "Area",
        "masked_note": "The name is partly hidden to protect personal data.",
        "reveal_title": "Show the recipient",
        "reveal_title_pickup": "Show the sender",
        "reveal_lead": "Enter the last 4 digits of the registered phone number to see the name (partly hidden) "
                       "and the ward and province.",
        "phone4_label": "Last 4 digits of the phone number",
        "reveal": "Show",
        "phone4_format": "Please enter exactly 4 digits.",
        "phone4_mismatch": "These 4 digits do not match the registered phone number.",
        "bring_title": "To receive it, please have ready",
        "bring_pickup_title": "When the postman comes for your dossier, please have ready",
        "help": "Need help? Contact the one-stop centre where you filed the dossier, or the nearest post office.",
        "other_lang": "Tiếng Việt",
        "other_lang_code": "vi",
        "not_found_title": "Item not found",
        "not_found_lead": "There is no item with this code. Please check the code printed on the slip: "
                          "2 letters, 9 digits and VN (e.g. RA123456785VN).",
        "busy_title": "Too many lookups",
        "busy_lead": "You have looked up too many times in a short while. Please try again in {seconds} seconds.",
        "try_again": "Track another code",
    },
}

_SENTENCES: dict[Lang, dict[Direction, dict[Status, str]]] = {
    "vi": {
        Direction.delivery: {
            Status.created: "Kết quả hồ sơ của bạn đã được đăng ký gửi qua bưu điện. "
                            "Bưu tá sẽ nhận tại cơ quan và phát đến địa chỉ của bạn.",
            Status.picked_up: "Bưu tá đã nhận kết quả từ cơ quan và sẽ chuyển đến bạn.",
            Status.in_transit: "Kết quả đang trên đường đến bưu cục phát.",
            Status.out_for_delivery: "Bưu tá đang mang kết quả đến cho bạn. "
                                     "Vui lòng để ý điện thoại và chuẩn bị giấy tờ tùy thân.",
            Status.delivery_failed: "Bưu tá chưa giao được. Bưu điện sẽ liên hệ để phát lại.",
            Status.delivered: "Kết quả đã được giao thành công.",
            Status.returned: "Bưu gửi đã được chuyển hoàn về cơ quan. Vui lòng liên hệ bộ phận một cửa.",
            Status.cancelled: "Đơn gửi này đã bị huỷ. Vui lòng liên hệ bộ phận một cửa nơi nộp hồ sơ nếu cần.",
        },
        Direction.pickup: {
            Status.created: "Yêu cầu thu gom đã được tạo. Bưu tá sẽ liên hệ và đến nhận hồ sơ tại địa chỉ của bạn.",
            Status.picked_up: "Bưu tá đã nhận hồ sơ của bạn và sẽ chuyển đến cơ quan giải quyết.",
            Status.in_transit: "Hồ sơ đang được vận chuyển đến cơ quan giải quyết.",
            Status.out_for_delivery: "Bưu tá đang chuyển hồ sơ đến cơ quan giải quyết.",
            Status.delivery_failed: "Chưa bàn giao được hồ sơ cho cơ quan; bưu điện sẽ bàn giao lại.",
            Status.delivered: "Hồ sơ đã được bàn giao cho cơ quan giải quyết.",
            Status.returned: "Hồ sơ đã được chuyển hoàn. Vui lòng liên hệ bộ phận một cửa.",
            Status.cancelled: "Yêu cầu thu gom này đã bị huỷ. Vui lòng liên hệ bộ phận một cửa nếu cần.",
        },
    },
    "en": {
        Direction.delivery: {
            Status.created: "Your result has been registered for postal delivery. "
                            "The postman will collect it at the agency and bring it to your address.",
            Status.picked_up: "The postman has collected your result from the agency and will bring it to you.",
            Status.in_transit: "Your result is on its way to the delivering post office.",
            Status.out_for_delivery: "The postman is bringing your result to you. "
                                     "Please keep your phone at hand and have your ID card ready.",
            Status.delivery_failed: "The postman could not deliver it yet. The post office will contact you "
                                    "to deliver again.",
            Status.delivered: "Your result has been delivered.",
            Status.returned: "The item was returned to the agency. Please contact the one-stop centre.",
            Status.cancelled: "This order was cancelled. Please contact the one-stop centre if needed.",
        },
        Direction.pickup: {
            Status.created: "Your collection request is registered. The postman will call you and come "
                            "to your address for the dossier.",
            Status.picked_up: "The postman has collected your dossier and will take it to the agency.",
            Status.in_transit: "Your dossier is on its way to the agency.",
            Status.out_for_delivery: "The postman is taking your dossier to the agency.",
            Status.delivery_failed: "The dossier could not be handed to the agency yet; the post office will "
                                    "try again.",
            Status.delivered: "Your dossier has been handed over to the agency.",
            Status.returned: "Your dossier was returned. Please contact the one-stop centre.",
            Status.cancelled: "This collection request was cancelled. Please contact the one-stop centre "
                              "if needed.",
        },
    },
}

_BRING: dict[Lang, dict[Direction, list[str]]] = {
    "vi": {
        Direction.delivery: [
            "Căn cước công dân (CCCD) hoặc giấy tờ tùy thân có ảnh của người nhận.",
            "Bưu tá sẽ hỏi 4 số cuối số CCCD hoặc mã xác nhận gửi qua tin nhắn.",
            "Nhờ người khác nhận thay: giấy ủy quyền và CCCD của người được ủy quyền.",
        ],
        Direction.pickup: [
            "Hồ sơ đầy đủ theo danh mục của thủ tục (bản chính, bản sao).",
            "Căn cước công dân (CCCD) để bưu tá đối chiếu; bạn và bưu tá cùng ký phiếu gửi hồ sơ.",
            "Nhờ người khác giao thay: giấy ủy quyền và CCCD của người được ủy quyền.",
        ],
    },
    "en": {
        Direction.delivery: [
            "The recipient's citizen ID card (CCCD) or another photo ID.",
            "The postman will ask for the last 4 digits of the ID number or a code sent by text message.",
            "Someone receiving it for you needs an authorisation letter (giấy ủy quyền) and their own ID card.",
        ],
        Direction.pickup: [
            "The complete dossier as listed for the procedure (originals and copies).",
            "Your citizen ID card (CCCD) for the postman to check; you and the postman both sign the pickup slip.",
            "Someone handing it over for you needs an authorisation letter (giấy ủy quyền) and their own ID card.",
        ],
    },
}

_LOOK: dict[Status, tuple[str, str]] = {
    Status.created: ("clock", "info"),
    Status.picked_up: ("box", "progress"),
    Status.in_transit: ("truck", "progress"),
    Status.out_for_delivery: ("truck", "progress"),
    Status.delivery_failed: ("alert", "warning"),
    Status.delivered: ("check", "success"),
    Status.returned: ("back", "neutral"),
    Status.cancelled: ("cross", "neutral"),
}
"""status -> (icon name in citizen_icons.html, colour tone)."""


def texts(lang: Lang) -> dict[str, str]:
    """The interface texts of one language."""
    return UI[lang]


def status_sentence(status: Status, direction: Direction, lang: Lang) -> str:
    """A whole sentence telling the citizen where things stand and what happens next."""
    return _SENTENCES[lang][direction][status]


def what_to_bring(direction: Direction, lang: Lang) -> list[str]:
    """What the citizen needs at the handover (ID card; authorisation letter for a proxy)."""
    return _BRING[lang][direction]


def look(status: Status) -> dict[str, Any]:
    """The icon and colour tone of a status."""
    icon, tone = _LOOK[status]
    return {"icon": icon, "tone": tone}
