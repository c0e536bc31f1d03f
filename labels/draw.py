"""Drawing laid-out slips on a reportlab canvas. Geometry lives in ``slip_layout``.

Everything that is the same on every slip of one direction (frames, captions, the banner)
is drawn once per PDF into a form XObject and reused, which keeps both the per-slip CPU
cost and the file size down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.codes import code128_ops, qr_ops
from labels.model import Slip
from labels.qr import qr_matrix
from labels.slip_layout import PAD_X_MM, PAD_Y_MM, Rect, SlipLayout, TextBlock, layout_slip
from labels.text import LEADING, Line

QRPainter = Callable[[Canvas, str, Rect], None]
ASCENT = 0.93  # first baseline below the top of a text block, in ems (Noto Sans + stacked marks)
LABEL_GREY = 0.9
MAX_BAR = 0.42 * mm
FRAMED_FIELDS = frozenset(
    {
        "dossier_code",
        "appointment_date",
        "procedure_name",
        "cod_amount",
        "agency_name",
        "post_office_name",
        "note",
    }
)


def paint_qr_vector(canvas: Canvas, payload: str, rect: Rect) -> None:
    """Draw the QR code of ``payload`` as vector run rectangles (the production path)."""
    canvas.addLiteral(qr_ops(qr_matrix(payload, "M"), rect.x, rect.y, min(rect.w, rect.h)))


class SlipPainter:
    """Draws slips on one canvas, defining each direction's background form on first use."""

    def __init__(self, canvas: Canvas, qr: QRPainter = paint_qr_vector) -> None:
        self.canvas = canvas
        self.qr = qr
        self._forms: set[str] = set()

    def draw(self, slip: Slip) -> None:
        """Draw ``slip`` with its bottom-left corner at the current origin."""
        lay = layout_slip(slip)
        self.canvas.doForm(self._background(lay, slip.direction))
        bc = lay.barcode
        self.canvas.addLiteral(code128_ops(slip.tracking_code.strip().upper(), bc.x, bc.y, bc.w, bc.h, MAX_BAR))
        self.qr(self.canvas, slip.qr_payload, lay.qr)
        if slip.payment_qr and lay.payment_qr:
            self.qr(self.canvas, slip.payment_qr, lay.payment_qr)
        draw_text(self.canvas, (b for b in lay.blocks if not b.static))

    def _background(self, lay: SlipLayout, direction: str) -> str:
        name = f"slip-background-{direction}"
        if name not in self._forms:
            self.canvas.beginForm(name, 0, 0, lay.width, lay.height)
            draw_frames(self.canvas, lay)
            draw_text(self.canvas, (b for b in lay.blocks if b.static))
            self.canvas.endForm()
            self._forms.add(name)
        return name


def draw_frames(canvas: Canvas, lay: SlipLayout) -> None:
    """Cell backgrounds and borders, the receiver frame and the rule under the barcode."""
    canvas.setLineWidth(0.5)
    for b in lay.blocks:
        r = b.rect
        if b.style == "banner":
            canvas.rect(r.x, r.y, r.w, r.h, stroke=0, fill=1)
        elif b.style == "label":
            canvas.setFillGray(LABEL_GREY)
            canvas.rect(r.x, r.y, r.w, r.h, stroke=1, fill=1)
            canvas.setFillGray(0)
        elif b.field in FRAMED_FIELDS:
            canvas.rect(r.x, r.y, r.w, r.h, stroke=1, fill=0)
    receiver = next(b.rect for b in lay.blocks if b.field == "receiver")
    canvas.setLineWidth(1.4)
    canvas.rect(receiver.x, receiver.y, receiver.w, receiver.h, stroke=1, fill=0)
    canvas.setLineWidth(1.0)
    canvas.line(5 * mm, lay.rule_y, lay.width - 5 * mm, lay.rule_y)


def draw_text(canvas: Canvas, blocks: Iterable[TextBlock]) -> None:
    """Draw blocks in one text object; banner text is white, the rest black."""
    text = canvas.beginText()
    font: tuple[str, float] | None = None
    for b in blocks:
        text.setFillGray(1 if b.style == "banner" else 0)
        for line, x, y in placed_lines(b):
            if font != (line.font, line.size):
                font = (line.font, line.size)
                text.setFont(line.font, line.size)
            text.setTextOrigin(x, y)
            text.textOut(line.text)
    canvas.drawText(text)


def placed_lines(b: TextBlock) -> list[tuple[Line, float, float]]:
    """``(line, x, baseline y)`` for each line of a block, honouring alignment."""
    pad_x, pad_y = PAD_X_MM * mm, PAD_Y_MM * mm
    top = b.rect.y + b.rect.h - pad_y
    if b.valign == "middle":
        top -= (b.rect.h - 2 * pad_y - sum(ln.size * LEADING for ln in b.lines)) / 2
    out = []
    for ln in b.lines:
        x = b.rect.x + pad_x if b.align == "left" else b.rect.x + (b.rect.w - ln.width) / 2
        out.append((ln, x, top - ASCENT * ln.size))
        top -= ln.size * LEADING
    return out
