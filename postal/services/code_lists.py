"""Lists of tracking codes in one request (a label batch, a manifest): each distinct code once, at its
first place; the well-formed ones looked up; every refused code named in one problem, whose class is
the first of NotFound, InvalidInput, Conflict among the refusals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import asyncpg
from pydantic import Field

from postal.domain import codes
from postal.domain.messages import label
from postal.errors import Conflict, FieldError, InvalidInput, NotFound, PostalError

MAX_LISTED = 500
Code = Annotated[str, Field(max_length=64)]


def shown(text: str) -> str:
    """A refused input as it may appear in a message: printable characters only, cut short."""
    return "".join(ch for ch in text if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)[:40]


def unique_codes(texts: list[str]) -> list[tuple[int, str]]:
    """(first index, code) per distinct code: canonical S10 when well-formed, else a printable
    rendering of the input (no shipment has it, so it is reported as not found)."""
    seen: set[str] = set()
    out = []
    for i, text in enumerate(texts):
        try:
            code = codes.normalize_s10(text, f"tracking_codes.{i}")
        except InvalidInput:
            code = f"'{shown(text)}'"
        if code not in seen:
            seen.add(code)
            out.append((i, code))
    return out


def lookup_codes(wanted: list[tuple[int, str]]) -> list[str]:
    """The codes worth a database lookup (well-formed S10 codes only)."""
    return [code for _, code in wanted if codes.is_s10(code)]


@dataclass
class Refusals:
    """Why listed codes were refused, each with the domain error it calls for; raised as one problem."""

    what: str
    items: list[tuple[type[PostalError], FieldError]] = field(default_factory=list)

    def add(self, kind: type[PostalError], index: int | None, message: str, name: str = "") -> None:
        """Refuse the code at ``index`` (or the field ``name``) with ``kind``: NotFound, InvalidInput or Conflict."""
        self.items.append((kind, FieldError(name or f"tracking_codes.{index}", message)))

    def raise_if_any(self) -> None:
        """NotFound if any code is not found, else InvalidInput (bad field values), else Conflict (state);
        every refusal named."""
        if not self.items:
            return
        kinds = {kind for kind, _ in self.items}
        errors = [e for _, e in sorted(self.items, key=lambda item: _position(item[1]))]
        named = ", ".join(label(e.field).lower() for e in errors[:10]) + ("…" if len(errors) > 10 else "")
        detail = f"{self.what}: {len(errors)} lỗi ({named}); không có gì được ghi hay in. " + errors[0].message
        raised = next(k for k in _PRECEDENCE if k in kinds)
        raise raised(detail, errors=errors)


_PRECEDENCE: tuple[type[PostalError], ...] = (NotFound, InvalidInput, Conflict)


def _position(e: FieldError) -> int:
    tail = e.field.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def check_found(wanted: list[tuple[int, str]], found: dict[str, asyncpg.Record], refusals: Refusals) -> None:
    for i, code in wanted:
        if code not in found:
            refusals.add(NotFound, i, f"Không tìm thấy bưu gửi {code} (hoặc không thuộc cơ quan của bạn).")
