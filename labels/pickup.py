"""``render_pickup_slip``: the receipt (phiếu gửi hồ sơ) a courier signs when collecting a dossier."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from labels.docs import Codes, build, code_line, esc, grid, long_date, markup, signatures
from labels.docs import p as para
from labels.model import DOCUMENT_KINDS, PickupSlip
from labels.text import fee_text, format_date, format_datetime, format_vnd, nfc

DOC_COLUMNS = ("STT", "Tên giấy tờ", "Bản chính", "Bản sao", "Số lượng")
DOC_WIDTHS = (12 * mm, 96 * mm, 22 * mm, 22 * mm, 22 * mm)
MARK = "X"


def render_pickup_slip(p: PickupSlip) -> bytes:
    """A4 pickup receipt: codes, citizen, agency, procedure, document list, signatures."""
    _validate(p)
    s = p.slip
    story: list[Flowable] = [
        para("PHIẾU GỬI HỒ SƠ", "title"),
        para("Tiếp nhận hồ sơ thủ tục hành chính qua dịch vụ bưu chính công ích", "subtitle"),
        Codes(s.qr_payload, s.tracking_code.strip().upper()),
        Spacer(1, 5 * mm),
        grid(_info_rows(p), (42 * mm, 132 * mm), header=False),
        Spacer(1, 5 * mm),
        para("DANH MỤC GIẤY TỜ", "strong"),
        Spacer(1, 2 * mm),
        grid(_document_rows(p), DOC_WIDTHS),
        Spacer(1, 2 * mm),
        markup(_totals(p)),
        Spacer(1, 4 * mm),
        para(long_date(s.printed_at.date(), "…………"), "right"),
        Spacer(1, 2 * mm),
        signatures("NGƯỜI GỬI", "NHÂN VIÊN BƯU CHÍNH", left_name=s.sender.name),
    ]
    return build(story, title=f"Phiếu gửi hồ sơ {s.tracking_code}", footer=f"Mã bưu gửi {s.tracking_code}")


def _validate(ps: PickupSlip) -> None:
    for d in ps.documents:
        if d.kind not in DOCUMENT_KINDS:
            raise ValueError(f"document kind must be one of {DOCUMENT_KINDS}, got {d.kind!r}")
        if d.count < 1:
            raise ValueError(f"document count must be positive, got {d.count}")


def _info_rows(ps: PickupSlip) -> list[list[object]]:
    s = ps.slip
    sender = "<br/>".join([f"<b>{esc(s.sender.name)}</b>", *(esc(line) for line in s.sender.lines)])
    rows = [
        ("Người gửi", markup(sender, "cell")),
        ("Cơ quan tiếp nhận", para(s.agency_name, "cell")),
        ("Thủ tục", para(s.procedure_name, "cell")),
        ("Mã hồ sơ", code_line(s.dossier_code, 10)),
        ("Ngày hẹn trả", para(format_date(s.appointment_date) or "—", "cell")),
        ("Thu hộ (COD)", para(format_vnd(s.cod_amount), "cell", bold=True)),
        ("Cước", para(fee_text(s.fee_payer, s.fee_exemption).removeprefix("Cước: "), "cell")),
        ("Bưu cục", para(s.post_office_name, "cell")),
        ("Thời gian nhận", para(format_datetime(s.printed_at), "cell")),
    ]
    if nfc(s.note):
        rows.append(("Ghi chú", para(s.note, "cell")))
    return [[para(label, "cell", bold=True), value] for label, value in rows]


def _document_rows(ps: PickupSlip) -> list[list[object]]:
    rows: list[list[object]] = [[para(c, "head") for c in DOC_COLUMNS]]
    for i, d in enumerate(ps.documents, start=1):
        original, copy = (MARK, "") if d.kind == "original" else ("", MARK)
        rows.append(
            [
                para(str(i), "center"),
                para(d.name, "cell"),
                para(original, "center"),
                para(copy, "center"),
                para(str(d.count), "center"),
            ]
        )
    return rows


def _totals(ps: PickupSlip) -> str:
    originals = sum(d.count for d in ps.documents if d.kind == "original")
    copies = sum(d.count for d in ps.documents if d.kind == "copy")
    return (
        f"<b>Tổng cộng: {len(ps.documents)} loại giấy tờ, {originals + copies} bản</b> "
        f"({originals} bản chính, {copies} bản sao)"
    )
