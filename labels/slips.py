"""``render_slips``: A6 labels, one per page or four per A4 sheet with cut marks, or on 100 × 150 mm
thermal labels (the roll size office label printers take): the A6 slip scaled by 100/105 and centred."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.draw import QRPainter, SlipPainter, paint_qr_vector
from labels.fonts import ensure_fonts
from labels.model import Slip

LAYOUTS = ("a6", "a4", "100x150")
THERMAL = (100 * mm, 150 * mm)
CUT_MARK = 4 * mm


def render_slips(slips: Sequence[Slip], layout: str = "a6") -> bytes:
    """Render slips as PDF: "a6" = one per A6 page, "a4" = four per A4 page (2x2, cut marks),
    "100x150" = one per thermal label."""
    return render_slips_with(slips, layout, paint_qr_vector)


def render_slips_with(slips: Sequence[Slip], layout: str, qr: QRPainter) -> bytes:
    """``render_slips`` with a pluggable QR painter (the benchmark swaps in a bitmap one)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
    if not slips:
        raise ValueError("no slips to render")
    out = io.BytesIO()
    canvas = Canvas(
        out, pagesize={"a6": A6, "a4": A4}.get(layout, THERMAL), pageCompression=1, invariant=1,
        initialFontName=ensure_fonts()[0],
    )
    canvas.setTitle("Nhãn bưu gửi hồ sơ")
    painter = SlipPainter(canvas, qr)
    if layout == "a6":
        _a6_pages(canvas, slips, painter)
    elif layout == "100x150":
        _thermal_pages(canvas, slips, painter)
    else:
        _a4_pages(canvas, slips, painter)
    canvas.save()
    return out.getvalue()


def _a6_pages(canvas: Canvas, slips: Sequence[Slip], painter: SlipPainter) -> None:
    for slip in slips:
        painter.draw(slip)
        canvas.showPage()


def _thermal_pages(canvas: Canvas, slips: Sequence[Slip], painter: SlipPainter) -> None:
    """One slip per 100 × 150 mm label: the A6 drawing scaled to the narrower width, centred vertically
    (the codes shrink by under 5 %, still well above the 200 dpi decoding floor)."""
    scale = min(THERMAL[0] / A6[0], THERMAL[1] / A6[1])
    dy = (THERMAL[1] - A6[1] * scale) / 2
    for slip in slips:
        canvas.saveState()
        canvas.translate((THERMAL[0] - A6[0] * scale) / 2, dy)
        canvas.scale(scale, scale)
        painter.draw(slip)
        canvas.restoreState()
        canvas.showPage()


def _a4_pages(canvas: Canvas, slips: Sequence[Slip], painter: SlipPainter) -> None:
    for start in range(0, len(slips), 4):
        _cut_marks(canvas)
        for i, slip in enumerate(slips[start : start + 4]):
            x, y = a4_origin(i)
            canvas.saveState()
            canvas.translate(x, y)
            painter.draw(slip)
            canvas.restoreState()
        canvas.showPage()


def a4_origin(index: int) -> tuple[float, float]:
    """Bottom-left corner of slip ``index`` (0..3, reading order) on an A4 sheet."""
    col, row = index % 2, index // 2
    top_gap = (A4[1] - 2 * A6[1]) / 2
    return col * A6[0], A4[1] - top_gap - (row + 1) * A6[1]


def _cut_marks(canvas: Canvas) -> None:
    """Ticks at the sheet edges on the cut lines and a cross where they meet."""
    w, h = A4
    cx, cy = A6[0], h / 2
    canvas.setLineWidth(0.3)
    canvas.setStrokeGray(0.35)
    for x0, y0, x1, y1 in (
        (cx, 0, cx, CUT_MARK),
        (cx, h - CUT_MARK, cx, h),
        (0, cy, CUT_MARK, cy),
        (w - CUT_MARK, cy, w, cy),
        (cx - CUT_MARK, cy, cx + CUT_MARK, cy),
        (cx, cy - CUT_MARK, cx, cy + CUT_MARK),
    ):
        canvas.line(x0, y0, x1, y1)
    canvas.setStrokeGray(0)
