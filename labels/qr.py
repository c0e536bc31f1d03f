"""QR encoding behind one small interface.

``qr_matrix`` returns the module matrix (no quiet zone); drawing is elsewhere. zxing-cpp's
C++ writer is used when importable, pure-Python ``qrcode`` otherwise.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType


def _load_zxing() -> ModuleType | None:
    try:
        return importlib.import_module("zxingcpp")
    except ImportError:  # the pure-Python fallback takes over
        return None


# Tests set this to None to exercise the fallback encoder.
zxingcpp: ModuleType | None = _load_zxing()

ECC_LEVELS = ("L", "M", "Q", "H")
_DARK_RUN = re.compile(rb"\x01+")
# zxing-cpp images are 8-bit luminance: 0 = dark module, 255 = light.
_ZXING_TO_BITS = bytes.maketrans(b"\x00\xff", b"\x01\x00")


@dataclass(frozen=True)
class QRMatrix:
    """A square module matrix: ``bits[row * size + col]`` is 1 for a dark module."""

    size: int
    bits: bytes

    def row(self, r: int) -> bytes:
        """Row ``r`` (0 = top) as bytes of 0/1."""
        return self.bits[r * self.size : (r + 1) * self.size]

    def rows(self) -> list[list[bool]]:
        """The matrix as a list of rows of booleans (True = dark)."""
        return [[b == 1 for b in self.row(r)] for r in range(self.size)]


def backend_name() -> str:
    """Which encoder ``qr_matrix`` will use: "zxing-cpp" or "qrcode"."""
    return "zxing-cpp" if zxingcpp is not None else "qrcode"


def qr_matrix(data: str, ecc: str = "M") -> QRMatrix:
    """Encode ``data`` as a QR code with error correction ``ecc`` (L/M/Q/H)."""
    if ecc not in ECC_LEVELS:
        raise ValueError(f"unknown QR error correction level: {ecc!r}")
    if zxingcpp is not None:
        return _zxing_matrix(data, ecc)
    return _qrcode_matrix(data, ecc)


def _zxing_matrix(data: str, ecc: str) -> QRMatrix:
    assert zxingcpp is not None
    barcode = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level=ecc)
    image = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    assert image.shape is not None and image.shape[0] == image.shape[1]
    return QRMatrix(image.shape[0], image.tobytes().translate(_ZXING_TO_BITS))


def _qrcode_matrix(data: str, ecc: str) -> QRMatrix:
    import qrcode
    import qrcode.constants as k

    levels = {"L": k.ERROR_CORRECT_L, "M": k.ERROR_CORRECT_M, "Q": k.ERROR_CORRECT_Q, "H": k.ERROR_CORRECT_H}
    code = qrcode.QRCode(error_correction=levels[ecc], border=0, box_size=1)
    code.add_data(data)
    code.make(fit=True)
    modules = code.get_matrix()
    return QRMatrix(len(modules), bytes(1 if m else 0 for row in modules for m in row))


def dark_runs(matrix: QRMatrix) -> Iterator[tuple[int, int, int]]:
    """Horizontal runs of dark modules as ``(col, row, width)``, row 0 at the top.

    One rectangle per run instead of per module cuts the drawing operators ~3x.
    """
    n, bits = matrix.size, matrix.bits
    for r in range(n):
        base = r * n
        for m in _DARK_RUN.finditer(bits, base, base + n):
            yield m.start() - base, r, m.end() - m.start()
