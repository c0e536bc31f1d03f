"""Demo data for citizen self-service (SPEC §12): the demo agency's bank account, an unpaid and a paid
COD shipment, and how to try the Zalo chatbot. Safe to run twice (nothing is added the second time)."""

from __future__ import annotations

import asyncpg

from postal.services.views import Clock
from postal.settings import Settings
from postal.store import payments as store

BANK = store.BankAccount("970415", "0011001932418", "TRUNG TAM PHUC VU HANH CHINH CONG TINH PHU THO")
AMOUNT = 50_000
REFERENCE = "DEMO-FT-0001"


async def load(con: asyncpg.Connection, settings: Settings, agency_code: str) -> list[str]:
    """Seed the account and the two shipments; return the lines ``postal demo`` prints."""
    async with con.transaction():
        await store.set_bank(con, agency_code, BANK)
        rows = await store.open_with_amount(con, agency_code, 2)
        if len(rows) < 2:
            return ["VietQR: không đủ bưu gửi đang mở để làm mẫu."]
        for row in rows:
            if row["cod_amount"] <= 0 and not row["paid"]:
                await store.set_cod_amount(con, row["id"], AMOUNT)
        paid, unpaid = rows
        if not paid["paid"] and await store.by_reference(con, REFERENCE) is None:
            amount = paid["cod_amount"] if paid["cod_amount"] > 0 else AMOUNT
            await store.insert(con, store.NewPayment(paid["id"], REFERENCE, amount, Clock(settings).now(), None))
    url = settings.public_url
    return [
        f"VietQR: {url}/t/{unpaid['tracking_code']}?phone4={unpaid['phone4']} (chưa thanh toán, có mã QR) · "
        f"{url}/t/{paid['tracking_code']} (đã thanh toán).",
        f"Zalo OA: `postal zalo-sim \"{unpaid['tracking_code']} {unpaid['phone4']}\" --url {url}` "
        "(cần POSTAL_ZALO_APP_ID, POSTAL_ZALO_OA_SECRET, POSTAL_ZALO_OA_API_URL: xem README, mục Zalo).",
    ]
