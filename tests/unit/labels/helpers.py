"""Reading rendered PDFs back for assertions."""

from __future__ import annotations

import io
import unicodedata
from typing import Any

from pypdf import PdfReader


def reader(pdf: bytes) -> PdfReader:
    """Parse PDF bytes."""
    return PdfReader(io.BytesIO(pdf))


def page_texts(pdf: bytes) -> list[str]:
    """Extracted text of every page, NFC-normalised."""
    return [unicodedata.normalize("NFC", p.extract_text()) for p in reader(pdf).pages]


def all_text(pdf: bytes) -> str:
    """Extracted text of the whole document."""
    return "\n".join(page_texts(pdf))


def page_size(pdf: bytes, index: int = 0) -> tuple[float, float]:
    """(width, height) of a page in points."""
    box = reader(pdf).pages[index].mediabox
    return float(box.width), float(box.height)


def fonts(pdf: bytes) -> list[dict]:
    """Every font dictionary referenced by pages or their form XObjects."""
    out: dict[int, dict] = {}
    for page in reader(pdf).pages:
        _collect(page.get("/Resources"), out)
    return list(out.values())


def _collect(resources: Any, out: dict[int, dict[str, Any]]) -> None:
    if resources is None:
        return
    resources = resources.get_object()
    for ref in (resources.get("/Font") or {}).values():
        out[id(ref.get_object())] = ref.get_object()
    for ref in (resources.get("/XObject") or {}).values():
        xobj = ref.get_object()
        if xobj.get("/Subtype") == "/Form":
            _collect(xobj.get("/Resources"), out)
