"""Masking personal data for public pages and logs.

- :func:`mask_name`: every word but the last reduced to its initial
  (``Nguyễn Thị Hồng Nhung`` → ``N. T. H. Nhung``), the form the public tracking
  page shows with a valid signature or phone digits (SPEC §5).
- :func:`mask_phone`: the first 3 and last 3 digits stay (``0912345678`` →
  ``091****678``): enough for a citizen to recognise their number, too little to call it.
- :func:`mask_id_number`: only the last 4 digits stay (``001199012345`` →
  ``********2345``), the digits a courier asks for at handover.

All output is Unicode NFC whatever form the input came in.
"""

from __future__ import annotations

import unicodedata

_PHONE_KEEP_HEAD = 3
_PHONE_KEEP_TAIL = 3
_ID_KEEP_TAIL = 4


def _initial(word: str) -> str:
    """The first letter of ``word`` with any combining marks NFC could not fold into it."""
    end = 1
    while end < len(word) and unicodedata.combining(word[end]):
        end += 1
    return word[:end].upper() + "."


def mask_name(name: str) -> str:
    """Every word but the last reduced to its initial; whitespace collapsed; NFC."""
    words = unicodedata.normalize("NFC", name).split()
    if not words:
        return ""
    return " ".join([*(_initial(w) for w in words[:-1]), words[-1]])


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 3 digits, a ``*`` for each digit between.

    Non-digits are dropped first; a number too short to keep anything is all stars.
    """
    digits = "".join(c for c in phone if c.isascii() and c.isdigit())
    hidden = len(digits) - _PHONE_KEEP_HEAD - _PHONE_KEEP_TAIL
    if hidden < 1:
        return "*" * len(digits)
    return digits[:_PHONE_KEEP_HEAD] + "*" * hidden + digits[-_PHONE_KEEP_TAIL:]


def mask_id_number(id_number: str) -> str:
    """Keep the last 4 characters, a ``*`` for each one before (all stars when 4 or fewer)."""
    compact = "".join(unicodedata.normalize("NFC", id_number).split())
    if len(compact) <= _ID_KEEP_TAIL:
        return "*" * len(compact)
    return "*" * (len(compact) - _ID_KEEP_TAIL) + compact[-_ID_KEEP_TAIL:]
