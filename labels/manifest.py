"""``render_manifest``: the handover manifest (bảng kê giao nhận) between agency and post office.

A4 landscape: seven columns, and a dossier code of up to 64 characters must stay on one line.
The person column is the citizen in both directions (sender of a pickup, receiver of a delivery),
so it is headed "Người dân" next to a direction column; a total row counts items and sums COD.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from labels.docs import OneLine, build, code_line, esc, grid, markup, p, signatures, table
from labels.model import DIRECTIONS, Manifest
from labels.text import fee_short, format_datetime, format_vnd

COLUMNS = ("STT", "Mã bưu gửi", "Mã hồ sơ", "Chiều / cước", "Người dân", "Phường/xã", "Thu hộ (COD)")
WIDTHS = (11 * mm, 33 * mm, 72 * mm, 21 * mm, 51 * mm, 43 * mm, 30 * mm)
DIRECTION_TEXT = {"pickup": "Thu gom", "delivery": "Phát trả"}
PAGE = landscape(A4)


def render_manifest(m: Manifest) -> bytes:
    """A4 landscape manifest: parties, date, numbered item table with a total row, signatures."""
    for item in m.items:
        if item.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {item.direction!r}; expected one of {DIRECTIONS}")
    story: list[Flowable] = [
        _heading(m),
        p("BẢNG KÊ GIAO NHẬN", "title"),
        markup(f"Số: <b>{esc(m.manifest_id)}</b> — Lập lúc: {format_datetime(m.created_at)}", "subtitle"),
        markup(f"<b>Cơ quan:</b> {esc(m.agency_name)}"),
        markup(f"<b>Bưu cục:</b> {esc(m.post_office_name)}"),
        Spacer(1, 4 * mm),
        _items_table(m),
    ]
    closing: list[Flowable] = [Spacer(1, 3 * mm), markup(f"<b>Tổng số: {len(m.items)} bưu gửi</b>")]
    if m.created_by.strip():
        closing.append(markup(f"Người lập bảng kê: {esc(m.created_by)}"))
    closing += [Spacer(1, 6 * mm), signatures("BÊN GIAO", "BÊN NHẬN")]
    story.append(KeepTogether(closing))
    return build(story, title=f"Bảng kê giao nhận {m.manifest_id}", footer=f"Bảng kê {m.manifest_id}",
                 pagesize=PAGE)


def _heading(m: Manifest) -> Table:
    left = p(m.agency_name.upper(), "strong")
    right = p(m.post_office_name.upper(), "strong")
    return table(
        [[left, right]],
        [125 * mm, 125 * mm],
        [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, 0), 0.5, "black")],
    )


def _items_table(m: Manifest) -> Table:
    t = grid(_rows(m), WIDTHS)
    last = len(m.items) + 1
    t.setStyle([
        ("LEFTPADDING", (1, 0), (2, -1), 3),  # codes get the room: they never wrap, they shrink
        ("RIGHTPADDING", (1, 0), (2, -1), 3),
        ("SPAN", (0, last), (5, last)),
        ("BACKGROUND", (0, last), (-1, last), colors.Color(0.94, 0.94, 0.94)),
    ])
    return t


def _rows(m: Manifest) -> list[list[object]]:
    rows: list[list[object]] = [[p(c, "head") for c in COLUMNS]]
    for i, item in enumerate(m.items, start=1):
        rows.append(
            [
                p(str(i), "center"),
                code_line(item.tracking_code, 9.5, bold=False),
                code_line(item.dossier_code, 9.5, bold=False),
                markup(f"{DIRECTION_TEXT[item.direction]}<br/>"
                       f"<font size=\"7.5\">{esc(fee_short(item.fee_payer, item.fee_exemption))}</font>", "cell"),
                p(item.citizen, "cell"),
                p(item.ward, "cell"),
                OneLine([(format_vnd(item.cod_amount), False)], 9.5, "right"),
            ]
        )
    total_cod = sum(item.cod_amount for item in m.items)
    rows.append([markup(f"<b>Cộng: {len(m.items)} bưu gửi</b>", "cell"), "", "", "", "", "",
                 OneLine([(format_vnd(total_cod), True)], 9.5, "right")])
    return rows
