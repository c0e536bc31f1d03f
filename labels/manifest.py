"""``render_manifest``: the handover manifest (bảng kê giao nhận) between agency and post office."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table

from labels.docs import build, esc, grid, markup, p, signatures, table
from labels.model import Manifest
from labels.text import format_datetime

COLUMNS = ("STT", "Mã bưu gửi", "Mã hồ sơ", "Người nhận", "Phường/xã")
WIDTHS = (11 * mm, 32 * mm, 52 * mm, 44 * mm, 35 * mm)


def render_manifest(m: Manifest) -> bytes:
    """A4 manifest: parties, date, numbered item table (header repeated per page), total, signatures."""
    story: list[Flowable] = [
        _heading(m),
        p("BẢNG KÊ GIAO NHẬN", "title"),
        markup(f"Số: <b>{esc(m.manifest_id)}</b> — Lập lúc: {format_datetime(m.created_at)}", "subtitle"),
        markup(f"<b>Cơ quan:</b> {esc(m.agency_name)}"),
        markup(f"<b>Bưu cục:</b> {esc(m.post_office_name)}"),
        Spacer(1, 4 * mm),
        grid(_rows(m), WIDTHS),
    ]
    closing: list[Flowable] = [Spacer(1, 3 * mm), markup(f"<b>Tổng số: {len(m.items)} bưu gửi</b>")]
    if m.created_by.strip():
        closing.append(markup(f"Người lập bảng kê: {esc(m.created_by)}"))
    closing += [Spacer(1, 6 * mm), signatures("BÊN GIAO", "BÊN NHẬN")]
    story.append(KeepTogether(closing))
    return build(story, title=f"Bảng kê giao nhận {m.manifest_id}", footer=f"Bảng kê {m.manifest_id}")


def _heading(m: Manifest) -> Table:
    left = p(m.agency_name.upper(), "strong")
    right = p(m.post_office_name.upper(), "strong")
    return table(
        [[left, right]],
        [87 * mm, 87 * mm],
        [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, 0), 0.5, "black")],
    )


def _rows(m: Manifest) -> list[list[object]]:
    rows: list[list[object]] = [[p(c, "head") for c in COLUMNS]]
    for i, item in enumerate(m.items, start=1):
        rows.append(
            [
                p(str(i), "center"),
                p(item.tracking_code, "code"),
                p(item.dossier_code, "code"),
                p(item.recipient, "cell"),
                p(item.ward, "cell"),
            ]
        )
    return rows
