"""Search folding (SPEC §5 ``q``): lower case, Vietnamese diacritics removed (``đ`` → ``d``), pure.

The same folding exists in SQL as ``postal_fold(text)`` (migration 016, a ``translate`` table of the
precomposed Latin letters plus the combining marks), which fills the generated column
``shipments.search_text``; :func:`fold` must agree with it letter for letter (a test checks every
Vietnamese letter on both sides), because a query folded here is matched against text folded there.
"""

from __future__ import annotations

import unicodedata

_MAX_TERMS = 8


def fold(value: str) -> str:
    """``Hùng Vương`` → ``hung vuong``: NFD, combining marks dropped, ``đ/Đ`` → ``d``, lower case."""
    value = unicodedata.normalize("NFD", value).replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in value if not unicodedata.combining(c)).lower()


def terms(q: str) -> list[str]:
    """The words of a query, folded, each matched as a substring (all must match); at most 8.

    ``LIKE`` wildcards are escaped so that ``%`` or ``_`` in a query match themselves.
    """
    words = fold(q).split()[:_MAX_TERMS]
    return [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words]


def fold_table() -> tuple[str, str]:
    """(from, to) of the SQL ``translate`` that mirrors :func:`fold` on precomposed text and marks.

    Letters U+00C0–U+024F and U+1E00–U+1EFF that decompose to an ASCII letter plus marks map to that
    lower-case letter; ``Đđ`` map to ``d``; combining marks U+0300–U+036F are deleted (no partner).
    """
    src, dst = ["Đ", "đ"], ["d", "d"]
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)
        marks_only = all(unicodedata.combining(c) for c in base[1:])
        if len(base) > 1 and base[0].isascii() and base[0].isalpha() and marks_only:
            src.append(ch)
            dst.append(base[0].lower())
    marks = [chr(cp) for cp in range(0x300, 0x370) if unicodedata.combining(chr(cp))]
    return "".join(src) + "".join(marks), "".join(dst)
