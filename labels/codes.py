"""Barcodes and QR codes drawn as vector rectangles, emitted as compact PDF operators.

Each symbol is drawn in its own coordinate system where one module is one unit, so the
rectangles are small integers ("3 5 2 1 re") and the whole symbol is a single fill: small
files, no hairline seams between modules, crisp at any resolution.
"""

from __future__ import annotations

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.rl_accel import fp_str

from labels.qr import QRMatrix, dark_runs

QR_QUIET_MODULES = 4
CODE128_QUIET_MODULES = 10


def code128_bars(value: str) -> tuple[list[tuple[int, int]], int]:
    """Encode ``value`` with reportlab's Code 128; return ``([(start, width)], total)`` in modules.

    The module count excludes the quiet zones, which the caller reserves around it.
    """
    symbol = Code128(value, quiet=0)
    symbol.validate()
    if not symbol.valid:
        raise ValueError(f"cannot encode {value!r} in Code 128")
    symbol.encode()
    bars, pos = [], 0
    for ch in symbol.decompose():
        width = ord(ch.lower()) - ord("a") + 1
        if ch.isupper():
            bars.append((pos, width))
        pos += width
    return bars, pos


def code128_ops(value: str, x: float, y: float, max_width: float, height: float, max_bar: float) -> str:
    """PDF operators drawing ``value`` centred in ``[x, x+max_width]`` with 10-module quiet zones."""
    bars, modules = code128_bars(value)
    bar = min(max_bar, max_width / (modules + 2 * CODE128_QUIET_MODULES))
    left = x + (max_width - modules * bar) / 2
    body = " ".join(f"{s} 0 {w} 1 re" for s, w in bars)
    return f"q 0 g {fp_str(bar)} 0 0 {fp_str(height)} {fp_str(left)} {fp_str(y)} cm {body} f Q"


def qr_ops(matrix: QRMatrix, x: float, y: float, size: float) -> str:
    """PDF operators drawing ``matrix`` in the square ``(x, y, size)`` incl. a 4-module quiet zone."""
    module = size / (matrix.size + 2 * QR_QUIET_MODULES)
    top = y + size - QR_QUIET_MODULES * module
    left = x + QR_QUIET_MODULES * module
    body = " ".join([f"{c} {r} {w} 1 re" for c, r, w in dark_runs(matrix)])
    # d = -module flips the axis so matrix rows count downwards from the top edge.
    return f"q 0 g {fp_str(module)} 0 0 {fp_str(-module)} {fp_str(left)} {fp_str(top)} cm {body} f Q"
