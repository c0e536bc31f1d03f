"""``postal purge [--days N]`` and ``postal audit export --from --to [--output FILE]`` (SPEC §13)."""

from __future__ import annotations

import argparse
import asyncio
import re
from datetime import date
from pathlib import Path
from typing import Any

from postal.errors import FieldError, InvalidInput
from postal.settings import Settings

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


async def _pool(settings: Settings) -> Any:
    from postal.services.setup import prepare_database
    from postal.store.database import connect, create_pool, resolve_dsn

    dsn = resolve_dsn(settings)
    con = await connect(dsn)
    try:
        await prepare_database(con)
    finally:
        await con.close()
    return await create_pool(dsn, settings)


async def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services import audit, retention
    from postal.services.views import Clock

    days = settings.retention_days if args.days is None else args.days
    clock = Clock(settings)
    pool = await _pool(settings)
    try:
        purged = await retention.purge_due(pool, clock.now(), days)
        expired = await audit.purge_expired(pool, clock, settings.audit_retention_days)
    finally:
        await pool.close()
    print(f"purged {purged} shipment(s) finished more than {days} day(s) ago; "
          f"deleted {expired} access record(s) older than {settings.audit_retention_days} day(s)")
    return 0


def _day(text: str, field: str) -> date:
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    message = "ngày phải có dạng YYYY-MM-DD và là ngày có thật"
    raise InvalidInput(f"--{field}: {message}", errors=[FieldError(field, message)])


async def cmd_audit_export(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services import audit
    from postal.services.views import Clock

    first, last = _day(args.first, "from"), _day(args.last, "to")
    if first > last:
        raise InvalidInput("--to phải từ --from trở đi / --to must not be before --from")
    pool = await _pool(settings)
    try:
        async with pool.acquire() as con:
            text = await audit.export_csv(con, first, last, Clock(settings))
    finally:
        await pool.close()
    if args.output:
        await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8-sig", newline="")
        print(f"wrote {text.count(chr(10)) - 1} access record(s) to {args.output}")
    else:
        print(text, end="")
    return 0


def add_parsers(sub: Any) -> None:
    """Register ``purge`` and ``audit export`` on the ``postal`` command."""
    purge = sub.add_parser("purge", help="xoá dữ liệu cá nhân quá hạn lưu / erase personal data of shipments "
                           "finished more than POSTAL_RETENTION_DAYS (or --days) ago")
    purge.add_argument("--days", type=int, choices=range(0, 36501), metavar="N",
                       help="days after the end of a shipment (default POSTAL_RETENTION_DAYS, 365); 0: all finished")
    purge.set_defaults(run=cmd_purge)
    au = sub.add_parser("audit", help="nhật ký truy cập dữ liệu cá nhân / the access log").add_subparsers(
        dest="action", required=True)
    export = au.add_parser("export", help="write the access records of a period as CSV (local dates, inclusive)")
    export.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
    export.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
    export.add_argument("--output", metavar="FILE", help="write to FILE (UTF-8 with BOM) instead of stdout")
    export.set_defaults(run=cmd_audit_export)
