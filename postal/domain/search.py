"""Search folding (SPEC §5 ``q``): lower case, Vietnamese diacritics removed (``đ`` → ``d``), pure.

The same folding exists in SQL as ``postal_fold(text)`` (migration 022: ``đ/Đ`` → ``d``, ``normalize``
to NFD, marks U+0300–U+036F dropped, ``lower``), which fills the generated column
``shipments.search_text``; :func:`fold` must agree with it letter for letter (a test checks every Latin
letter up to U+024F and U+1E00–U+1EFF, Vietnamese in NFC and NFD), because a query folded here is
matched against text folded there.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from postal.domain.address import provinces, wards_of

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


@lru_cache(maxsize=1)
def _ward_index() -> tuple[tuple[str, str, str, str, str], ...]:
    """(folded "ward province", ward code, ward name, province code, province name) of every ward."""
    rows = []
    for p_code, p_name in provinces():
        for w_code, w_name in wards_of(p_code):
            rows.append((fold(f"{w_name} {p_name}"), w_code, w_name, p_code, p_name))
    return tuple(rows)


def search_wards(q: str, limit: int = 20) -> list[dict[str, str]]:
    """Wards for the create form's type-ahead: every word of ``q`` starts a word of the ward's or its
    province's name (accent-insensitive), or ``q`` is digits that start the ward code (leading zeros
    optional); ward names whose own name matches first, then alphabetical."""
    text = q.strip()
    words = fold(text).split()[:_MAX_TERMS]
    if not words:
        return []
    hits = []
    for folded, w_code, w_name, p_code, p_name in _ward_index():
        if text.isdigit():
            matched = w_code.lstrip("0").startswith(text.lstrip("0") or "0")
        else:
            names = folded.split()
            matched = all(any(n.startswith(w) for n in names) for w in words)
        if matched:
            own = fold(w_name).split()
            rank = 0 if all(any(n.startswith(w) for n in own) for w in words) else 1
            hits.append((rank, w_name, {"code": w_code, "name": w_name, "province_code": p_code,
                                        "province_name": p_name}))
    hits.sort(key=lambda h: (h[0], h[1]))
    return [h[2] for h in hits[:limit]]
