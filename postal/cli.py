"""The ``postal`` command: serve, worker, migrate, and the administration subcommands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from postal.errors import PostalError
from postal.settings import Settings, load_settings
from postal.store.database import MigrationError

Command = Callable[[argparse.Namespace, Settings], Awaitable[int]]


async def _with_connection(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    from postal.services.setup import prepare_database
    from postal.store.database import connect, resolve_dsn

    con = await connect(resolve_dsn(settings))
    try:
        await prepare_database(con)
        return await work(con)
    finally:
        await con.close()


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.setup import prepare_database
    from postal.store.database import connect, resolve_dsn

    con = await connect(resolve_dsn(settings))
    try:
        applied = await prepare_database(con)
    finally:
        await con.close()
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'}")
    return 0


async def cmd_post_office_add(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.accounts import add_post_office

    async def work(con: Any) -> int:
        await add_post_office(con, args.code, args.name, args.province_code)
        print(f"post office {args.code} added")
        return 0

    return await _with_connection(settings, work)


async def cmd_agency_add(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.accounts import NewAgency, add_agency

    cmd = NewAgency(args.code, args.name, args.province_code, args.ward_code, args.post_office,
                    args.address or "", args.free_form_dossier_codes)

    async def work(con: Any) -> int:
        await add_agency(con, cmd)
        print(f"agency {args.code} added")
        return 0

    return await _with_connection(settings, work)


async def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    from postal.domain.access import Role
    from postal.services.accounts import add_user, create_token

    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None

    async def work(con: Any) -> int:
        async with con.transaction():
            await add_user(con, args.username, Role(args.role), agency_code=args.agency,
                           post_office_code=args.post_office, password=password)
            token = await create_token(con, args.username)
        print(f"user {args.username} ({args.role}) added; API token (shown once):")
        print(token)
        return 0

    return await _with_connection(settings, work)


async def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.accounts import create_token

    async def work(con: Any) -> int:
        token = await create_token(con, args.username)
        print(f"new API token for {args.username} (shown once):")
        print(token)
        return 0

    return await _with_connection(settings, work)


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.demo import load_demo

    async def work(con: Any) -> int:
        for line in await load_demo(con, settings):
            print(line)
        return 0

    return await _with_connection(settings, work)


async def cmd_notifications(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.notifications import recent_messages
    from postal.services.views import Clock

    async def work(con: Any) -> int:
        rows = await recent_messages(con, args.limit, Clock(settings))
        channels = settings.notify_channels
        print(f"{len(rows)} tin nhắn gần nhất (kênh: {channels}; số điện thoại che bớt, mã xác nhận ẩn):")
        for r in rows:
            print(f"{r['at']}  {r['tracking_code']}  {r['kind']:<15} {r['status']:<7} {r['channel'] or '-':<4}"
                  f"  {r['phone']}  {r['text']}")
        return 0

    return await _with_connection(settings, work)


async def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from postal.server import serve

    await serve(settings, args.host, args.port, workers=not args.no_workers)
    return 0


async def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from postal.server import run_workers_forever

    await run_workers_forever(settings)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postal",
        description="Thu gom hồ sơ và phát trả kết quả thủ tục hành chính qua bưu chính công ích.",
        epilog="Settings come from the environment: DATABASE_URL, POSTAL_DATA_DIR, POSTAL_SECRET_KEY, "
        "POSTAL_PUBLIC_URL, POSTAL_S10_PREFIX, POSTAL_TIMEZONE (see README.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve the web pages and the API (applies pending migrations first)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument("--no-workers", action="store_true", help="do not run background workers in-process")
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("worker", help="run the background workers (outbox dispatch)").set_defaults(run=cmd_worker)
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(run=cmd_migrate)
    _add_admin_parsers(sub)
    notes = sub.add_parser("notifications", help="show the last messages sent to citizens (phones masked)")
    notes.add_argument("--limit", type=int, default=20, choices=range(1, 1001), metavar="N",
                       help="how many (1-1000, default 20)")
    notes.set_defaults(run=cmd_notifications)
    sub.add_parser("demo", help="load demo data (safe to run twice) and print the logins").set_defaults(
        run=cmd_demo
    )
    return parser


def _add_admin_parsers(sub: Any) -> None:
    po = sub.add_parser("post-office", help="manage post offices").add_subparsers(dest="action", required=True)
    add = po.add_parser("add", help="add a post office (bưu cục)")
    add.add_argument("code")
    add.add_argument("--name", required=True)
    add.add_argument("--province-code", required=True, help="official province code, e.g. 25")
    add.set_defaults(run=cmd_post_office_add)

    ag = sub.add_parser("agency", help="manage agencies").add_subparsers(dest="action", required=True)
    add = ag.add_parser("add", help="add a one-stop agency (bộ phận một cửa)")
    add.add_argument("code")
    add.add_argument("--name", required=True)
    add.add_argument("--province-code", required=True)
    add.add_argument("--ward-code", required=True, help="official ward/commune code, e.g. 08707")
    add.add_argument("--post-office", required=True, help="code of the post office that serves it by default")
    add.add_argument("--address", help="street line of the agency")
    add.add_argument("--free-form-dossier-codes", action="store_true",
                     help="accept dossier codes outside the national format")
    add.set_defaults(run=cmd_agency_add)

    us = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    add = us.add_parser("add", help="add a user; prints its first API token on the last line")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["admin", "staff", "courier", "integration"])
    add.add_argument("--agency", help="agency code (staff, integration)")
    add.add_argument("--post-office", help="post office code (courier)")
    add.add_argument("--password-stdin", action="store_true", help="read a password for the web pages from stdin")
    add.set_defaults(run=cmd_user_add)

    tk = sub.add_parser("token", help="manage API tokens").add_subparsers(dest="action", required=True)
    add = tk.add_parser("create", help="create an API token; prints it on the last line, once")
    add.add_argument("username")
    add.set_defaults(run=cmd_token_create)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``postal`` console script."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        print(f"postal: invalid settings in the environment — {problems}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(args.run(args, settings))
    except MigrationError as exc:
        print(f"postal: {exc}", file=sys.stderr)
        return 1
    except PostalError as exc:
        details = "".join(f"\n  {e.field}: {e.message}" for e in exc.errors)
        print(f"postal: {exc.detail}{details}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
