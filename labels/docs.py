"""Shared building blocks for the A4 documents (manifest, pickup slip, apology letter)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from labels.codes import code128_ops, qr_ops
from labels.fonts import ensure_fonts
from labels.qr import qr_matrix
from labels.text import nfc, unit_width

MARGIN = 18 * mm
SIGN_NOTE = "(Ký, ghi rõ họ tên)"
PageHook = Callable[[Canvas, SimpleDocTemplate], None]


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles in the embedded Vietnamese font."""
    regular, bold = ensure_fonts()
    base = ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=14.5)
    return {
        "body": base,
        "small": ParagraphStyle("small", base, fontSize=8.5, leading=11),
        "cell": ParagraphStyle("cell", base, fontSize=9.5, leading=12),
        "note": ParagraphStyle("note", base, fontSize=8, leading=10, alignment=TA_RIGHT, spaceAfter=4),
        "code": ParagraphStyle("code", base, fontSize=9, leading=11.5),
        "head": ParagraphStyle("head", base, fontName=bold, fontSize=9.5, leading=12, alignment=TA_CENTER),
        "center": ParagraphStyle("center", base, alignment=TA_CENTER),
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT),
        "strong": ParagraphStyle("strong", base, fontName=bold, alignment=TA_CENTER, fontSize=10.5, leading=13.5),
        "title": ParagraphStyle(
            "title", base, fontName=bold, fontSize=15, leading=19, alignment=TA_CENTER, spaceBefore=8, spaceAfter=2
        ),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=9.5, leading=12, alignment=TA_CENTER, spaceAfter=8),
        "left": ParagraphStyle("left", base, alignment=TA_LEFT),
    }


def p(text: str, style: str = "body", bold: bool = False) -> Paragraph:
    """A paragraph of user text: NFC-normalised and XML-escaped (names may contain '&' or '<')."""
    body = escape(nfc(text))
    return Paragraph(f"<b>{body}</b>" if bold else body, styles()[style])


def markup(html: str, style: str = "body") -> Paragraph:
    """A paragraph of trusted markup; interpolate user text only through ``escape(nfc(...))``."""
    return Paragraph(html, styles()[style])


def esc(text: str) -> str:
    """Escape user text for use inside ``markup``."""
    return escape(nfc(text))


def long_date(d: date, place: str = "") -> str:
    """ "Phú Thọ, ngày 05 tháng 03 năm 2026" as in Vietnamese administrative documents."""
    prefix = f"{nfc(place)}, " if place.strip() else ""
    return f"{prefix}ngày {d.day:02d} tháng {d.month:02d} năm {d.year}"


def table(
    rows: Sequence[Sequence[object]], widths: Sequence[float], commands: Sequence[tuple] = (), **kwargs: object
) -> Table:
    """A platypus Table whose default font is ours (else empty cells pull in Helvetica)."""
    t = Table(list(rows), colWidths=list(widths), **kwargs)
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), ensure_fonts()[0]), *commands]))
    return t


def grid(rows: Sequence[Sequence[object]], widths: Sequence[float], header: bool = True) -> Table:
    """A bordered table; the header row repeats on every page and is shaded."""
    commands: list[tuple] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.88, 0.88)))
    return table(rows, widths, commands, repeatRows=1 if header else 0)


def signatures(left: str, right: str, left_name: str = "", right_name: str = "") -> Table:
    """Two signature blocks side by side: title, "(Ký, ghi rõ họ tên)", space, optional name."""
    cells = [
        [p(left, "strong"), p(right, "strong")],
        [p(SIGN_NOTE, "center"), p(SIGN_NOTE, "center")],
        ["", ""],
        [p(left_name, "strong") if left_name else "", p(right_name, "strong") if right_name else ""],
    ]
    return table(
        cells, [85 * mm, 85 * mm], [("VALIGN", (0, 0), (-1, -1), "TOP")], rowHeights=[None, None, 22 * mm, None]
    )


class OneLine(Flowable):
    """Text that never wraps (codes a clerk copies by hand): shrunk to the width it is given instead.

    ``parts`` are ``(text, bold)`` runs drawn one after another on a single baseline.
    """

    def __init__(self, parts: Sequence[tuple[str, bool]], size: float = 9.5, align: str = "left") -> None:
        super().__init__()
        # NFC but spaces kept as given: a run may end in the space before the next one
        self.parts = [(unicodedata.normalize("NFC", text), bold) for text, bold in parts if text]
        self.max_size, self.size, self.align = size, size, align

    def _unit(self) -> float:
        fonts = ensure_fonts()
        return sum(unit_width(text, fonts[bold]) for text, bold in self.parts)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """As wide as offered; the size drops until the whole line fits that width."""
        unit = self._unit()
        self.size = min(self.max_size, availWidth / unit) if unit else self.max_size
        self.width, self.height = availWidth, self.size * 1.3
        return self.width, self.height

    def draw(self) -> None:
        """One baseline, runs in order; aligned left, center or right."""
        fonts = ensure_fonts()
        spare = self.width - self._unit() * self.size
        x = {"center": spare / 2, "right": spare}.get(self.align, 0.0)
        text = self.canv.beginText(x, 0.3 * self.size)
        for run, bold in self.parts:
            text.setFont(fonts[bold], self.size)
            text.textOut(run)
        self.canv.drawText(text)


def code_line(code: str, size: float = 9.5, bold: bool = True) -> OneLine:
    """A dossier or tracking code on one line, shrunk to fit its cell."""
    return OneLine([(nfc(code), bold)], size)


class Codes(Flowable):
    """The slip's QR code (vector) next to its Code 128 barcode and tracking code."""

    def __init__(self, payload: str, tracking: str, width: float = 174 * mm, height: float = 30 * mm) -> None:
        super().__init__()
        self.payload, self.tracking = payload, tracking
        self.width, self.height = width, height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """Fixed size."""
        return self.width, self.height

    def draw(self) -> None:
        """QR on the left, barcode and large tracking code to its right."""
        canvas, h = self.canv, self.height
        canvas.addLiteral(qr_ops(qr_matrix(self.payload, "M"), 0, 0, h))
        left, width = h + 6 * mm, 95 * mm
        canvas.addLiteral(code128_ops(self.tracking, left, 10 * mm, width, h - 11 * mm, 0.42 * mm))
        canvas.setFont(ensure_fonts()[1], 16)
        canvas.drawCentredString(left + width / 2, 2.5 * mm, self.tracking)


def build(flowables: list[Flowable], title: str, footer: str = "", pagesize: tuple[float, float] = A4) -> bytes:
    """Lay out ``flowables`` on A4 pages with an optional footer "…  —  Trang N"; return PDF bytes."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=title,
        pageCompression=1,
        invariant=1,
        initialFontName=ensure_fonts()[0],
    )
    doc.build(flowables, onFirstPage=_footer(footer), onLaterPages=_footer(footer))
    return out.getvalue()


def _footer(text: str) -> PageHook:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(ensure_fonts()[0], 8)
        label = f"{nfc(text)}  —  Trang {doc.page}" if text else f"Trang {doc.page}"
        canvas.drawRightString(doc.pagesize[0] - MARGIN, 10 * mm, label)
        canvas.restoreState()

    return draw
