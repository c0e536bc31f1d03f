"""The A6 slip as data: where every field goes, and a pure function that fits text into it.

All geometry below is in millimetres measured from the slip's top-left corner, because that
is how a label is designed on paper; ``layout_slip`` converts to PDF points with the origin
at the bottom-left, ready to draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from reportlab.lib.units import mm

from labels.fonts import ensure_fonts
from labels.model import DIRECTIONS, Slip
from labels.text import Line, Para, fee_text, fit, fit_line, format_date, format_datetime, format_vnd, nfc

SLIP_W_MM, SLIP_H_MM = 105.0, 148.0
PAD_X_MM, PAD_Y_MM = 1.0, 0.5  # inner padding of a text cell
TITLE, SUBTITLE = "BƯU GỬI HÀNH CHÍNH CÔNG", "Dịch vụ công qua bưu chính"
DIRECTION_TEXT = {"pickup": "GỬI HỒ SƠ", "delivery": "TRẢ KẾT QUẢ"}
# Blocks that depend only on geometry and direction: drawn once per PDF as a form XObject.
STATIC_PREFIXES = ("title", "direction", "qr_caption", "label:")


@dataclass(frozen=True)
class Box:
    """A rectangle in mm from the slip's top-left corner."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Cell:
    """A text cell: its box, starting font size, alignment and look."""

    box: Box
    size: float
    align: str = "left"  # left | center
    valign: str = "middle"  # top | middle
    bold: bool = False
    style: str = "plain"  # plain | label (grey fill) | banner (inverted) | party
    one_line: bool = False  # codes: shrink to one line, never wrap


# (label text, label box, value box, value size, value bold) for the key/value grid.
def _row(y: float, h: float, label: str, size: float, bold: bool = False) -> tuple[str, Cell, Cell]:
    return label, Cell(Box(5, y, 17, h), 6.2, bold=True, style="label"), Cell(Box(22, y, 78, h), size, bold=bold)


def _wide(y: float, h: float, label: str, size: float) -> tuple[str, Cell, Cell]:
    """A full-width bold one-line row (the dossier code: up to 64 characters, never wrapped)."""
    value = Cell(Box(22, y, 78, h), size, bold=True, one_line=True)
    return label, Cell(Box(5, y, 17, h), 6.2, bold=True, style="label"), value


def _pair(y: float, h: float, left: tuple[str, float, bool], right: tuple[str, float, bool]) -> tuple:
    l_label, l_size, l_bold = left
    r_label, r_size, r_bold = right
    return (
        (l_label, Cell(Box(5, y, 17, h), 6.2, bold=True, style="label"), Cell(Box(22, y, 37, h), l_size, bold=l_bold)),
        (r_label, Cell(Box(59, y, 17, h), 6.2, bold=True, style="label"), Cell(Box(76, y, 24, h), r_size, bold=r_bold)),
    )


@dataclass(frozen=True)
class SlipGeometry:
    """Every fixed position on the slip. Change the design here, not in the drawing code."""

    title: Cell = Cell(Box(5, 5, 50, 10), 8.5)
    direction: Cell = Cell(Box(57, 5, 43, 10), 14, align="center", bold=True, style="banner")
    barcode: Box = Box(5, 16.5, 95, 12)
    # The tracking code is centred on the slip; the printing time sits small in the room to its right.
    tracking: Cell = Cell(Box(24, 28.8, 57, 8), 16, align="center", bold=True, one_line=True)
    printed_at: Cell = Cell(Box(81, 28.8, 19, 8), 6)
    rule_y: float = 37.6
    sender: Cell = Cell(Box(5, 39, 64, 30), 9.5, valign="top", style="party")
    qr: Box = Box(72, 38.8, 26.5, 26.5)
    qr_caption: Cell = Cell(Box(69, 65.4, 31, 3.4), 6, align="center")
    receiver: Cell = Cell(Box(5, 70, 95, 27), 12, valign="top", style="party")
    # With a VietQR to pay, the receiver text narrows and the payment QR takes the block's right end.
    receiver_beside_qr: Cell = Cell(Box(5, 70, 67, 27), 12, valign="top", style="party")
    payment_qr: Box = Box(73, 70.5, 26.5, 26.5)
    grid_top: float = 97.5
    row_heights: tuple[float, ...] = (7, 9, 7, 7.5, 7.5, 7)


GEOMETRY = SlipGeometry()


def grid_cells(g: SlipGeometry = GEOMETRY) -> dict[str, tuple[str, Cell, Cell]]:
    """The key/value grid under the receiver block, keyed by field name."""
    ys = [g.grid_top + sum(g.row_heights[:i]) for i in range(len(g.row_heights))]
    h = g.row_heights
    cod, appointment = _pair(ys[2], h[2], ("Thu hộ (COD)", 10, True), ("Ngày hẹn trả", 9, True))
    return {
        "dossier_code": _wide(ys[0], h[0], "Mã hồ sơ", 10),
        "procedure_name": _row(ys[1], h[1], "Thủ tục", 8),
        "cod_amount": cod,
        "appointment_date": appointment,
        "agency_name": _row(ys[3], h[3], "Cơ quan", 7.5),
        "post_office_name": _row(ys[4], h[4], "Bưu cục", 7.5),
        "note": _row(ys[5], h[5], "Ghi chú", 7),
    }


@dataclass(frozen=True)
class Rect:
    """A rectangle in PDF points, origin at the slip's bottom-left."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class TextBlock:
    """Fitted text for one cell: the cell rectangle, its look and the lines to draw."""

    field: str
    rect: Rect
    style: str
    align: str
    valign: str
    lines: tuple[Line, ...]
    source: str  # the full text that was fitted, to check nothing was dropped

    @property
    def static(self) -> bool:
        """True when the block looks the same on every slip of the same direction."""
        return self.field.startswith(STATIC_PREFIXES)


@dataclass(frozen=True)
class SlipLayout:
    """Everything needed to draw one slip; pure data, no canvas."""

    width: float
    height: float
    blocks: tuple[TextBlock, ...]
    qr: Rect
    barcode: Rect
    rule_y: float
    payment_qr: Rect | None = None


def to_rect(box: Box) -> Rect:
    """Convert a top-left mm box into a bottom-left pt rectangle."""
    return Rect(box.x * mm, (SLIP_H_MM - box.y - box.h) * mm, box.w * mm, box.h * mm)


def _block(field: str, cell: Cell, paras: list[Para]) -> TextBlock:
    return _fitted_block(field, cell, tuple(Para(p.text, p.bold or cell.bold, p.scale) for p in paras if p.text))


@lru_cache(maxsize=4096)
def _fitted_block(field: str, cell: Cell, paras: tuple[Para, ...]) -> TextBlock:
    """Fitting is pure, and batches repeat agencies, labels and post offices: memoise it."""
    rect = to_rect(cell.box)
    inner = (rect.w - 2 * PAD_X_MM * mm, rect.h - 2 * PAD_Y_MM * mm)
    fonts = ensure_fonts()
    if cell.one_line and paras:
        lines: tuple[Line, ...] = (fit_line(paras[0].text, fonts[paras[0].bold], inner, cell.size),)
    else:
        lines = tuple(fit(list(paras), fonts, inner, cell.size))
    source = " ".join(p.text for p in paras)
    return TextBlock(field, rect, cell.style, cell.align, cell.valign, lines, source)


def _party(label: str, name: str, lines: tuple[str, ...]) -> list[Para]:
    head = [Para(label, True, 0.66), Para(nfc(name), True, 1.0)]
    return head + [Para(nfc(line), False, 0.84) for line in lines]


def _values(slip: Slip) -> dict[str, str]:
    cod = format_vnd(slip.cod_amount) + (" · quét VietQR" if slip.payment_qr else "")
    return {
        "dossier_code": nfc(slip.dossier_code),
        "appointment_date": format_date(slip.appointment_date) or "—",
        "procedure_name": nfc(slip.procedure_name),
        "cod_amount": cod,
        "agency_name": nfc(slip.agency_name),
        "post_office_name": nfc(slip.post_office_name),
        "note": nfc(" · ".join(t for t in (fee_text(slip.fee_payer, slip.fee_exemption), slip.note.strip()) if t)),
    }


@lru_cache(maxsize=8)
def _static_blocks(direction: str, g: SlipGeometry) -> tuple[TextBlock, ...]:
    """Blocks that only depend on the direction: title, banner, captions, grid labels."""
    blocks = [
        _block("title", g.title, [Para(TITLE, True), Para(SUBTITLE, False, 0.75)]),
        _block("direction", g.direction, [Para(DIRECTION_TEXT[direction])]),
        _block("qr_caption", g.qr_caption, [Para("Quét mã để tra cứu")]),
    ]
    for field, (label, label_cell, _value_cell) in grid_cells(g).items():
        blocks.append(_block(f"label:{field}", label_cell, [Para(label)]))
    return tuple(blocks)


def layout_slip(slip: Slip, g: SlipGeometry = GEOMETRY) -> SlipLayout:
    """Fit every field of ``slip`` into the geometry; raises ValueError on a bad direction."""
    if slip.direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {slip.direction!r}; expected one of {DIRECTIONS}")
    blocks = [
        *_static_blocks(slip.direction, g),
        _block("tracking_code", g.tracking, [Para(slip.tracking_code.strip().upper())]),
        _block("printed_at", g.printed_at, [Para("Ngày in", True), Para(format_datetime(slip.printed_at))]),
        _block("sender", g.sender, _party("Người gửi", slip.sender.name, slip.sender.lines)),
        _block("receiver", g.receiver_beside_qr if slip.payment_qr else g.receiver,
               _party("Người nhận", slip.receiver.name, slip.receiver.lines)),
    ]
    values = _values(slip)
    for field, (_label, _label_cell, value_cell) in grid_cells(g).items():
        blocks.append(_block(field, value_cell, [Para(values[field])]))
    rule_y = (SLIP_H_MM - g.rule_y) * mm
    pay = to_rect(g.payment_qr) if slip.payment_qr else None
    return SlipLayout(SLIP_W_MM * mm, SLIP_H_MM * mm, tuple(blocks), to_rect(g.qr), to_rect(g.barcode), rule_y, pay)
