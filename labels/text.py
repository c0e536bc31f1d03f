"""Text helpers: Vietnamese formatting and fitting text into a box by wrapping and shrinking."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth

MAX_CODE_LENGTH = 64  # the longest dossier code the service accepts (postal.domain.codes)
MIN_SIZE = 5.0  # smallest size for realistic input; below it we still shrink rather than cut
FLOOR_SIZE = 1.5  # beyond this the input is absurd and we refuse instead of printing dust
LEADING = 1.13


def nfc(text: str) -> str:
    """Normalise to NFC and collapse whitespace runs to single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def format_vnd(amount: int) -> str:
    """1250000 -> "1.250.000 ₫" (dot thousands separator, dong sign after a space)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,} ₫".replace(",", ".")


_PAYER = {"citizen": "công dân trả", "agency": "cơ quan trả"}
_EXEMPTION = {"none": "", "half": "giảm 50 %", "full": "miễn cước"}
_PAYER_SHORT = {"citizen": "CD trả", "agency": "CQ trả"}


def fee_text(payer: str, exemption: str) -> str:
    """``Cước: cơ quan trả, miễn cước`` (who pays the postage and any exemption), for slips."""
    parts = [_PAYER.get(payer, payer), _EXEMPTION.get(exemption, exemption)]
    return "Cước: " + ", ".join(p for p in parts if p)


def fee_short(payer: str, exemption: str) -> str:
    """``CQ trả · miễn`` for the manifest's narrow column."""
    short = {"half": "giảm 50 %", "full": "miễn"}.get(exemption, "")
    return " · ".join(p for p in (_PAYER_SHORT.get(payer, payer), short) if p)


def format_date(d: date | None) -> str:
    """dd/mm/yyyy, or an empty string for None."""
    return d.strftime("%d/%m/%Y") if d is not None else ""


def format_datetime(dt: datetime) -> str:
    """dd/mm/yyyy HH:MM."""
    return dt.strftime("%d/%m/%Y %H:%M")


@dataclass(frozen=True)
class Para:
    """A paragraph to fit: text, weight and size relative to the block's base size."""

    text: str
    bold: bool = False
    scale: float = 1.0


@dataclass(frozen=True)
class Line:
    """One laid-out line: its text, font, size and measured width (pt)."""

    text: str
    font: str
    size: float
    width: float


@lru_cache(maxsize=8192)
def unit_width(text: str, font: str) -> float:
    """Width of ``text`` at 1 pt; widths scale linearly with size."""
    return stringWidth(text, font, 1.0)


def _split_long_word(word: str, font: str, limit: float) -> list[str]:
    """Break a word wider than ``limit`` (unit widths) between characters."""
    pieces, current = [], ""
    for ch in word:
        if current and unit_width(current + ch, font) > limit:
            pieces.append(current)
            current = ""
        current += ch
    return [*pieces, current] if current else pieces


def wrap(text: str, font: str, size: float, width: float) -> list[Line]:
    """Greedy word wrap of ``text`` at ``size`` into lines no wider than ``width``."""
    limit = width / size
    space = unit_width(" ", font)
    lines: list[Line] = []
    words: list[str] = []
    used = 0.0
    for word in _words(text, font, limit):
        w = unit_width(word, font)
        if words and used + space + w > limit:
            lines.append(Line(" ".join(words), font, size, used * size))
            words, used = [], 0.0
        used = used + space + w if words else w
        words.append(word)
    if words:
        lines.append(Line(" ".join(words), font, size, used * size))
    return lines


def _words(text: str, font: str, limit: float) -> list[str]:
    out: list[str] = []
    for word in text.split():
        out.extend(_split_long_word(word, font, limit) if unit_width(word, font) > limit else [word])
    return out


def fit(paras: list[Para], fonts: tuple[str, str], box: tuple[float, float], size: float) -> list[Line]:
    """Lay out ``paras`` in a ``(width, height)`` box, shrinking from ``size`` until they fit.

    Shrinks by ~6 % steps; below MIN_SIZE it keeps going rather than cutting text, and only
    an absurd input that does not fit even at FLOOR_SIZE raises ValueError.
    """
    width, height = box
    for s in _sizes(size):
        # Relative sizes (captions, address lines) never drop below MIN_SIZE before the base does.
        lines = [ln for p in paras for ln in wrap(p.text, fonts[p.bold], max(s * p.scale, min(s, MIN_SIZE)), width)]
        if sum(ln.size * LEADING for ln in lines) <= height + 1e-6:
            return lines
    raise ValueError(f"text does not fit a {width:.0f}x{height:.0f} pt box even at {FLOOR_SIZE} pt")


def fit_line(text: str, font: str, box: tuple[float, float], size: float) -> Line:
    """``text`` on one line that never wraps: at ``size``, or shrunk until it fits ``(width, height)``.

    For codes a person copies by hand (dossier and tracking codes): a code broken over two lines
    gets copied wrong, so it shrinks instead.
    """
    width, height = box
    unit = unit_width(text, font)
    fitted = min(size, height / LEADING, width / unit if unit else size)
    return Line(text, font, fitted, unit * fitted)


@lru_cache(maxsize=64)
def _sizes(start: float) -> tuple[float, ...]:
    """Candidate sizes from ``start`` down to FLOOR_SIZE, always including MIN_SIZE."""
    sizes, s = [], start
    while s > MIN_SIZE:
        sizes.append(s)
        s *= 0.94
    s = min(start, MIN_SIZE)
    while s >= FLOOR_SIZE:
        sizes.append(s)
        s *= 0.9
    return tuple(sizes)
