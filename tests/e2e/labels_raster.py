"""Rasterise PDFs with poppler's pdftoppm and decode symbols with zxing-cpp."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image

from tests.e2e.tools import require_tool


def require_pdftoppm() -> str:
    """Path to pdftoppm (poppler-utils): skipped with the reason when missing, failed under POSTAL_REQUIRE_BROWSER=1."""
    return require_tool("pdftoppm", "apt-get install poppler-utils")


def rasterize(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Every page as an 8-bit greyscale image at ``dpi``."""
    tool = require_pdftoppm()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        subprocess.run([tool, "-r", str(dpi), "-gray", "-png", str(src), str(Path(tmp) / "page")], check=True)
        pages = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        return [_load(p) for p in pages]


def _load(path: Path) -> Image.Image:
    with Image.open(path) as img:
        return img.convert("L")


def decode(image: Image.Image) -> dict[str, list[str]]:
    """Decoded texts by symbology: {"QRCode": [...], "Code128": [...]}."""
    found: dict[str, list[str]] = {"QRCode": [], "Code128": []}
    formats = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128])
    for b in zxingcpp.read_barcodes(image, formats=formats):
        key = "QRCode" if b.format == zxingcpp.BarcodeFormat.QRCode else "Code128"
        found[key].append(b.text)
    return found


def crop_pt(image: Image.Image, dpi: int, page_height: float, x: float, y: float, w: float, h: float) -> Image.Image:
    """Crop a rectangle given in PDF points (origin bottom-left) out of a page image."""
    s = dpi / 72
    return image.crop(
        (round(x * s), round((page_height - y - h) * s), round((x + w) * s), round((page_height - y) * s))
    )
