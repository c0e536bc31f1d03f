"""Online payment by VietQR (SPEC §12): the agency's account, the QR payload, confirmed payments.

- An amount is due when the shipment's ``cod_amount`` is above zero, it is not cancelled or
  returned, no payment was confirmed and its agency has a receiving account.
- The QR is a dynamic VietQR (``postal.domain.vietqr``) with the tracking code as bill number (62/01),
  so the bank statement line names the shipment, and a short ASCII purpose (62/08).
- ``POST /api/v1/payments`` records a confirmation once per bank ``reference``: the same reference
  and body again answer the stored record (200); the same reference with another body is 409; a
  second reference for an already paid shipment is 409; an amount other than the amount due is 422.
  Concurrent confirmations are serialised by an advisory lock on the reference, then the shipment's
  row lock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import asyncpg

import labels
from labels.qr import qr_matrix
from postal.domain import vietqr
from postal.domain.access import Principal, Role, scope_of
from postal.domain.codes import invalid, normalize_s10
from postal.errors import Conflict, InvalidInput, NotFound
from postal.services.views import Clock
from postal.store import payments as store

PURPOSE = "PHI BUU GUI HO SO"
"""62/08 of the QR: what the citizen's bank app shows as the transfer's purpose."""
_CLOSED = ("cancelled", "returned")


@dataclass(frozen=True)
class PaymentIn:
    """A confirmed payment reported by the agency's payment integration."""

    tracking_code: str
    amount: int
    paid_at: datetime
    reference: str


def _not_found() -> NotFound:
    return NotFound("Không tìm thấy bưu gửi với mã này.")


def qr_payload(row: asyncpg.Record) -> str | None:
    """The VietQR payload of what ``row`` (from ``store.due_of``) still has to pay, or None."""
    if row["paid_reference"] or row["cod_amount"] <= 0 or row["status"] in _CLOSED or not row["bank_bin"]:
        return None
    return vietqr.payload(vietqr.Transfer(row["bank_bin"], row["bank_account"], int(row["cod_amount"]),
                                          row["tracking_code"], PURPOSE))


def payment_view(row: asyncpg.Record, *, proven: bool) -> dict[str, Any] | None:
    """What the citizen's page shows about paying: paid (anyone), or — with proof — the QR and the bank."""
    if row["paid_reference"]:
        return {"paid": True}
    payload = qr_payload(row)
    if payload is None or not proven:
        return None
    return {"paid": False, "payload": payload, "amount": int(row["cod_amount"]), "bank_bin": row["bank_bin"],
            "amount_text": f"{int(row['cod_amount']):,} đ".replace(",", "."), "svg": qr_svg(payload),
            "account": row["bank_account"], "name": row["bank_name"], "content": row["tracking_code"]}


def qr_svg(payload: str, module_px: int = 5) -> str:
    """An inline SVG of the QR code of ``payload`` (level M, 4-module quiet zone), one path."""
    matrix = qr_matrix(payload, "M")
    quiet, size = 4, matrix.size + 8
    runs = []
    for r in range(matrix.size):
        row, c = matrix.row(r), 0
        while c < matrix.size:
            if row[c]:
                start = c
                while c < matrix.size and row[c]:
                    c += 1
                runs.append(f"M{start + quiet} {r + quiet}h{c - start}v1h-{c - start}z")
            else:
                c += 1
    px = size * module_px
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{px}" height="{px}"'
            f' role="img" aria-label="VietQR" shape-rendering="crispEdges"><rect width="{size}" height="{size}"'
            f' fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>')


async def with_payment_qr(pool: asyncpg.Pool, slips: list[labels.Slip]) -> list[labels.Slip]:
    """The slips, each with the VietQR of what its citizen still has to pay (when anything)."""
    codes = [s.tracking_code for s in slips if s.cod_amount > 0]
    if not codes:
        return slips
    async with pool.acquire() as con:
        rows = await store.due_of_many(con, codes)
    payloads = {r["tracking_code"]: qr_payload(r) for r in rows}
    return [replace(s, payment_qr=payloads.get(s.tracking_code)) for s in slips]


async def is_paid(pool: asyncpg.Pool, code: str) -> bool:
    """True when a confirmed online payment exists for the shipment (the courier collects nothing)."""
    async with pool.acquire() as con:
        row = await store.due_of(con, code)
    return bool(row and row["paid_reference"])


async def page_payment(pool: asyncpg.Pool, code: str, *, proven: bool) -> dict[str, Any] | None:
    """What the tracking page shows about paying (see :func:`payment_view`); ``code`` is canonical."""
    async with pool.acquire() as con:
        row = await store.due_of(con, code)
    return payment_view(row, proven=proven) if row is not None else None


def _same(existing: asyncpg.Record, p: PaymentIn) -> bool:
    return (existing["tracking_code"] == p.tracking_code and existing["amount"] == p.amount
            and existing["paid_at"] == p.paid_at)


def record_view(r: asyncpg.Record, clock: Clock) -> dict[str, Any]:
    """A payment as the API answers it."""
    return {"id": r["id"], "tracking_code": r["tracking_code"], "amount": r["amount"], "reference": r["reference"],
            "paid_at": clock.local(r["paid_at"]), "recorded_at": clock.local(r["recorded_at"])}


def _check_due(row: asyncpg.Record, p: PaymentIn) -> None:
    if row["paid_reference"]:
        raise Conflict(f"Bưu gửi {p.tracking_code} đã được thanh toán (tham chiếu khác).")
    if row["status"] in _CLOSED:
        raise Conflict(f"Bưu gửi {p.tracking_code} đã kết thúc ({row['status']}), không nhận thanh toán.")
    if row["cod_amount"] <= 0:
        raise invalid("tracking_code", "Bưu gửi này không có khoản phải thu.")
    if p.amount != row["cod_amount"]:
        raise invalid("amount", f"Số tiền phải đúng bằng số phải thu: {row['cod_amount']} đồng.")


async def confirm(pool: asyncpg.Pool, principal: Principal, p: PaymentIn, clock: Clock) -> tuple[dict[str, Any], bool]:
    """Record a confirmed payment once per reference; (the record, created now?)."""
    principal.require(Role.integration, Role.admin)
    try:
        code = normalize_s10(p.tracking_code, "tracking_code")
    except InvalidInput:
        raise _not_found() from None
    p = PaymentIn(code, p.amount, p.paid_at, p.reference)
    lock_key = int.from_bytes(hashlib.sha256(b"payment:" + p.reference.encode()).digest()[:8], "big", signed=True)
    async with pool.acquire() as con, con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock($1)", lock_key)
        existing = await store.by_reference(con, p.reference)
        if existing is not None:
            if not _same(existing, p):
                raise Conflict("Mã tham chiếu này đã được ghi nhận cho một khoản thanh toán khác.")
            return record_view(existing, clock), False
        row = await store.due_of(con, code, for_update=True)
        scope = scope_of(principal)
        if row is None or (scope.agency_code and row["agency_code"] != scope.agency_code):
            raise _not_found()
        _check_due(row, p)
        await store.insert(con, store.NewPayment(row["id"], p.reference, p.amount, p.paid_at, principal.user_id))
        stored = await store.by_reference(con, p.reference)
        assert stored is not None
        return record_view(stored, clock), True


async def set_bank(con: asyncpg.Connection, agency_code: str, bin_code: str, account: str,
                   name: str) -> store.BankAccount:
    """Set an agency's receiving account (CLI); InvalidInput naming the option, NotFound for the agency."""
    bin_code, account = bin_code.strip(), account.strip().replace(" ", "")
    try:
        vietqr.check_account(bin_code, account)
    except vietqr.VietQRError as exc:
        raise invalid("--bin" if "BIN" in str(exc) else "--account", _vi(str(exc))) from None
    try:
        bank = store.BankAccount(bin_code, account, vietqr.bank_name(name))
    except vietqr.VietQRError:
        raise invalid("--name", "Tên chủ tài khoản phải có chữ (không dấu, viết hoa như ngân hàng in).") from None
    if not await store.set_bank(con, agency_code, bank):
        raise NotFound(f"Không có cơ quan mã {agency_code}.")
    return bank


def _vi(message: str) -> str:
    return {"BIN must be 6 digits": "BIN ngân hàng phải gồm đúng 6 chữ số.",
            "account number must be 6 to 19 digits": "Số tài khoản phải gồm 6 đến 19 chữ số."}.get(message, message)
