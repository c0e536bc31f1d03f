"""``postal post-office add … --carrier`` and ``postal post-office set-carrier`` as a user runs them."""

from __future__ import annotations

import asyncpg

from tests.integration.test_cli import postal


async def test_bind_and_unbind_a_post_office(settings, dsn) -> None:
    added = postal(settings, "post-office", "add", "VP-09", "--name", "Bưu cục Tam Dương", "--province-code", "25",
                   "--carrier", "vnpost")
    assert added.returncode == 0, added.stderr
    assert postal(settings, "post-office", "add", "VP-10", "--name", "Bưu cục Yên Lạc",
                  "--province-code", "25").returncode == 0
    con = await asyncpg.connect(dsn)
    try:
        rows = dict(await con.fetch("SELECT code, carrier FROM post_offices ORDER BY code"))
        assert rows == {"VP-09": "vnpost", "VP-10": None}
        actor = await con.fetchrow("SELECT role, post_office_code, disabled, password_hash FROM users"
                                   " WHERE username = 'vnpost.vp-09'")
        assert dict(actor) == {"role": "courier", "post_office_code": "VP-09", "disabled": True,
                               "password_hash": None}
        assert postal(settings, "post-office", "set-carrier", "VP-10", "vnpost").returncode == 0
        assert postal(settings, "post-office", "set-carrier", "VP-09", "none").returncode == 0
        rows = dict(await con.fetch("SELECT code, carrier FROM post_offices ORDER BY code"))
        assert rows == {"VP-09": None, "VP-10": "vnpost"}
    finally:
        await con.close()
    wrong = postal(settings, "post-office", "set-carrier", "VP-10", "dhl")
    assert wrong.returncode == 2 and "vnpost" in wrong.stderr and "Traceback" not in wrong.stderr
    missing = postal(settings, "post-office", "set-carrier", "NOPE", "vnpost")
    assert missing.returncode == 2 and "NOPE" in missing.stderr
    bad_add = postal(settings, "post-office", "add", "VP-11", "--name", "X", "--province-code", "25",
                     "--carrier", "ghn")
    assert bad_add.returncode == 2
    help_text = postal(settings, "carrier-sim", "--help")
    assert help_text.returncode == 0 and "--callback-url" in help_text.stdout
