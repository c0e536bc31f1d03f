"""Images from the courier's phone: recognising PNG/JPEG by content (checked by decoding it) and
reading the QR codes and Code 128 barcodes in a photo with zxing-cpp. Nothing here keeps the image."""

from __future__ import annotations

import io

from postal.domain import codes
from postal.errors import PayloadTooLarge

MAX_DECODE_BYTES = 8 * 1024 * 1024
MAX_DECODE_PIXELS = 40_000_000


def sniff_image(data: bytes) -> str:
    """``image/png`` or ``image/jpeg`` from the content itself, checked by decoding it; else 422."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        media_type, pil_format = "image/png", "PNG"
    elif data.startswith(b"\xff\xd8\xff"):
        media_type, pil_format = "image/jpeg", "JPEG"
    else:
        raise codes.invalid("file", "Chỉ nhận ảnh PNG hoặc JPEG (nhận theo nội dung tệp, không theo tên).")
    if _pil_format(data) != pil_format:
        raise codes.invalid("file", "Tệp ảnh bị hỏng hoặc không đúng định dạng PNG/JPEG.")
    return media_type


def _pil_format(data: bytes) -> str | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_DECODE_PIXELS:
                return None
            image.verify()
            return str(image.format)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None


def decode_codes(data: bytes) -> list[str]:
    """The texts of the QR codes and Code 128 barcodes in a photo (PNG/JPEG, at most 8 MB); the image is not kept."""
    if len(data) > MAX_DECODE_BYTES:
        raise PayloadTooLarge(f"Ảnh tối đa {MAX_DECODE_BYTES // (1024 * 1024)} MB.")
    sniff_image(data)
    import zxingcpp
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        picture = ImageOps.exif_transpose(image).convert("L")
    formats = zxingcpp.barcode_formats_from_str("QRCode,Code128")
    return [r.text for r in zxingcpp.read_barcodes(picture, formats=formats) if r.text]
