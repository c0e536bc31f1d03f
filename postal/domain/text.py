"""Which characters a text field may hold (SPEC §11), pure.

Refused everywhere: C0 controls (U+0000–U+001F) and DEL, C1 controls (U+0080–U+009F),
bidirectional embeddings, overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069,
U+200E, U+200F, U+061C), zero-width characters (U+200B–U+200D, U+2060, U+FEFF), the line
and paragraph separators U+2028/U+2029, lone surrogates and non-characters. They either
corrupt what a clerk or courier reads (a U+202E turns ``0912`` into ``2190`` on screen),
hide text, or break printing. Multi-line fields (notes) also accept ``\\n`` (``\\r\\n`` and a
lone ``\\r`` count as ``\\n``): nothing else.
"""

from __future__ import annotations

import unicodedata

_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}
_ZERO_WIDTH = frozenset({0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF})
_SEPARATORS = frozenset({0x2028, 0x2029})

_KIND_TEXT = {
    "control": "ký tự điều khiển",
    "bidi": "ký tự đổi chiều văn bản",
    "zero_width": "ký tự vô hình (độ rộng 0)",
    "separator": "ký tự xuống dòng đặc biệt",
    "newline": "xuống dòng (trường này chỉ một dòng)",
    "invalid": "ký tự không hợp lệ",
}


def char_kind(ch: str) -> str | None:
    """Why ``ch`` is refused in any text field (``control``, ``bidi``…), or None when it is allowed."""
    cp = ord(ch)
    if cp < 0x20 or 0x7F <= cp <= 0x9F:
        return "control"
    if cp in _BIDI:
        return "bidi"
    if cp in _ZERO_WIDTH:
        return "zero_width"
    if cp in _SEPARATORS:
        return "separator"
    if 0xD800 <= cp <= 0xDFFF or (unicodedata.category(ch) == "Cn" and _is_noncharacter(cp)):
        return "invalid"
    return None


def _is_noncharacter(cp: int) -> bool:
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def unify_newlines(text: str) -> str:
    """``\\r\\n`` and a lone ``\\r`` as ``\\n`` (browsers send textarea lines as ``\\r\\n``)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def first_refused(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """The position and kind of the first refused character of ``text``, or None when all are allowed.

    ``multiline`` allows ``\\n`` (after :func:`unify_newlines`); a single-line field refuses it.
    """
    for i, ch in enumerate(unify_newlines(text) if multiline else text):
        if ch == "\n":
            if multiline:
                continue
            return i, "newline"
        kind = char_kind(ch)
        if kind is not None:
            return i, kind
    return None


def refusal_message(text: str, *, multiline: bool = False) -> str | None:
    """A Vietnamese sentence saying which character is refused (by code point, never the text), or None."""
    found = first_refused(text, multiline=multiline)
    if found is None:
        return None
    i, kind = found
    cp = ord((unify_newlines(text) if multiline else text)[i])
    return (f"Có {_KIND_TEXT[kind]} U+{cp:04X} ở vị trí {i + 1}: "
            "hãy xoá ký tự đó (thường lẫn vào khi sao chép) rồi gửi lại.")
