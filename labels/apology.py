"""``render_apology_letter``: Mẫu 04 of Circular 03/2025/TT-VPCP, apology and new result date."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from labels.docs import OneLine, build, esc, long_date, markup, p, table
from labels.model import ApologyLetter
from labels.text import format_date

TITLE = "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"


def render_apology_letter(a: ApologyLetter) -> bytes:
    """A4 letter: national heading, addressee, dossier, original date, reason, new date, signature."""
    if a.new_date <= a.original_date:
        raise ValueError("the new appointment date must be after the original one")
    story: list[Flowable] = [
        p("Mẫu số 04 — Thông tư 03/2025/TT-VPCP", "note"),
        _national_heading(a),
        Spacer(1, 3 * mm),
        p(long_date(a.issued_at, a.place), "right"),
        p(TITLE, "title"),
        Spacer(1, 2 * mm),
        markup(f"Kính gửi: Ông/Bà <b>{esc(a.citizen_name)}</b>", "center"),
        Spacer(1, 5 * mm),
        *_body(a),
        Spacer(1, 6 * mm),
        _signature(a),
    ]
    return build(story, title=TITLE, footer=f"Mã hồ sơ {a.dossier_code}")


def _national_heading(a: ApologyLetter) -> Table:
    left = [p(a.agency_name.upper(), "strong"), p("———", "center"), p("Số: ……/PXL", "center")]
    right = [
        p("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "strong"),
        p("Độc lập - Tự do - Hạnh phúc", "strong"),
        p("———————", "center"),
    ]
    return table([[left, right]], [70 * mm, 104 * mm], [("VALIGN", (0, 0), (-1, -1), "TOP")])


def _body(a: ApologyLetter) -> list[Flowable]:
    agency = esc(a.agency_name)
    texts: list[str | Flowable] = [
        f"{agency} đã tiếp nhận hồ sơ của Ông/Bà đề nghị giải quyết thủ tục <b>{esc(a.procedure_name)}</b>.",
        OneLine([("Mã hồ sơ: ", False), (a.dossier_code, True), (".", False)], 10.5),
        f"Ngày hẹn trả kết quả: <b>{format_date(a.original_date)}</b>.",
        f"Tuy nhiên, đến nay {agency} chưa trả kết quả giải quyết hồ sơ cho Ông/Bà đúng hẹn.",
        f"Lý do: {esc(a.reason)}",
        f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {agency} xin lỗi Ông/Bà và trân trọng hẹn lại "
        f"ngày trả kết quả là ngày <b>{format_date(a.new_date)}</b>.",
        "Mong nhận được sự thông cảm của Ông/Bà. Xin trân trọng cảm ơn./.",
    ]
    out: list[Flowable] = []
    for t in texts:
        out += [markup(t) if isinstance(t, str) else t, Spacer(1, 2.5 * mm)]
    return out


def _signature(a: ApologyLetter) -> Table:
    block = [p("ĐẠI DIỆN CƠ QUAN", "strong"), p("(Ký, ghi rõ họ tên và đóng dấu)", "center")]
    return table([["", block]], [84 * mm, 90 * mm], [("VALIGN", (0, 0), (-1, -1), "TOP")])
