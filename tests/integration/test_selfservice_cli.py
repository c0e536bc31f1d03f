"""`postal agency set-bank`, and `postal demo`'s bank account, paid and unpaid COD shipments (SPEC §12)."""

from __future__ import annotations

from tests.integration.test_cli import postal


async def test_set_bank_validates_and_stores(settings, world) -> None:
    ok = postal(settings, "agency", "set-bank", "AG-1", "--bin", "970415", "--account", "0011 0019 32418",
                "--name", "Trung tâm Phục vụ hành chính công")
    assert ok.returncode == 0, ok.stderr
    row = await world.db.fetchrow("SELECT bank_bin, bank_account, bank_name FROM agencies WHERE code = 'AG-1'")
    assert tuple(row) == ("970415", "0011001932418", "TRUNG TAM PHUC VU HANH CHINH CONG")
    for args, word in ((["--bin", "97041"], "BIN"), (["--account", "12345"], "tài khoản"), (["--name", "!!"], "Tên")):
        full = {"--bin": "970415", "--account": "0011001932418", "--name": "TT HCC"}
        full[args[0]] = args[1]
        bad = postal(settings, "agency", "set-bank", "AG-1", *[x for kv in full.items() for x in kv])
        assert bad.returncode == 2 and word in bad.stderr, bad.stderr
    unknown = postal(settings, "agency", "set-bank", "NOPE", "--bin", "970415", "--account", "123456", "--name", "A")
    assert unknown.returncode == 2


async def test_demo_seeds_a_bank_account_and_a_paid_and_an_unpaid_cod_shipment(settings, db) -> None:
    first = postal(settings, "demo")
    assert first.returncode == 0, first.stderr
    assert "VietQR" in first.stdout and "zalo-sim" in first.stdout
    again = postal(settings, "demo")
    assert again.returncode == 0, again.stderr
    assert await db.fetchval("SELECT bank_bin FROM agencies WHERE code = 'PVHCC-PT'") == "970415"
    assert await db.fetchval("SELECT count(*) FROM payments") == 1
    unpaid = await db.fetchval(
        "SELECT count(*) FROM shipments s WHERE cod_amount > 0 AND status NOT IN ('delivered', 'returned',"
        " 'cancelled') AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.shipment_id = s.id)")
    assert unpaid >= 1
