"""The ``postal`` command: serve, worker, migrate, and the administration subcommands."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from postal import cli_privacy
from postal import cli_selfservice as selfservice
from postal.errors import MigrationError, PostalError
from postal.settings import Settings, load_settings

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
    from postal.services.carriers import bind_post_office, carrier_name

    carrier = carrier_name(args.carrier)

    async def work(con: Any) -> int:
        async with con.transaction():
            await add_post_office(con, args.code, args.name, args.province_code)
            if carrier is not None:
                await bind_post_office(con, args.code, carrier)
        print(f"post office {args.code} added" + (f" (carrier {carrier})" if carrier else ""))
        return 0

    return await _with_connection(settings, work)


async def cmd_post_office_set_carrier(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.carriers import bind_post_office, carrier_name

    carrier = carrier_name(args.carrier)

    async def work(con: Any) -> int:
        await bind_post_office(con, args.code, carrier)
        print(f"post office {args.code}: carrier {carrier or 'none'}")
        return 0

    return await _with_connection(settings, work)


async def cmd_carrier_sim(args: argparse.Namespace, settings: Settings) -> int:
    from postal.carriers.sim import Simulator, serve_sim

    sim = Simulator(callback_url=args.callback_url, callback_secret=args.callback_secret,
                    token_ttl=args.token_ttl)
    await serve_sim(args.host, args.port, sim)
    return 0


async def cmd_agency_add(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.accounts import NewAgency, add_agency

    cmd = NewAgency(args.code, args.name, args.province_code, args.ward_code, args.post_office,
                    args.address or "", args.free_form_dossier_codes, args.dossier_agency_id)

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
        print(f"user {args.username} ({args.role}) added; API token (shown once; its first 12 characters"
              f" name it in `postal token revoke`):")
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


async def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.accounts import revoke_token, revoke_user_tokens

    async def work(con: Any) -> int:
        if args.user:
            count = await revoke_user_tokens(con, args.user)
            print(f"đã thu hồi {count} mã truy cập của {args.user} / revoked {count} token(s)")
        else:
            await revoke_token(con, args.token)
            print("đã thu hồi mã truy cập / token revoked")
        print(f"(các tiến trình đang chạy ngừng nhận mã trong tối đa {settings.token_cache_seconds:g} giây"
              " / running processes stop accepting it within POSTAL_TOKEN_CACHE_SECONDS)")
        return 0

    if bool(args.user) == bool(args.token):
        print("postal: cần TOKEN_PREFIX hoặc --user USERNAME (một trong hai) / give TOKEN_PREFIX or --user",
              file=sys.stderr)
        return 2
    return await _with_connection(settings, work)


async def cmd_user_disable(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.accounts import disable_user

    async def work(con: Any) -> int:
        await disable_user(con, args.username)
        print(f"đã khoá người dùng {args.username}: không đăng nhập, phiên và mã truy cập hết hiệu lực"
              f" / user {args.username} disabled")
        return 0

    return await _with_connection(settings, work)


async def cmd_db_stop(args: argparse.Namespace, settings: Settings) -> int:
    from postal.store.database import stop_embedded_server

    if settings.database_url:
        print("postal: DATABASE_URL đã đặt — máy chủ PostgreSQL đó không do postal quản lý, hãy dừng nó theo cách"
              " của nó / DATABASE_URL is set: postal does not manage that server", file=sys.stderr)
        return 2
    pgdata = settings.data_dir / "pg"
    pid = await asyncio.to_thread(stop_embedded_server, pgdata)
    if pid is None:
        print(f"không có PostgreSQL nhúng nào đang chạy trong {pgdata} / no embedded PostgreSQL running there")
    else:
        print(f"đã dừng PostgreSQL nhúng (pid {pid}) trong {pgdata} / embedded PostgreSQL stopped")
    return 0


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

    host = args.host if args.host is not None else settings.host
    port = args.port if args.port is not None else settings.port
    await serve(settings, host, port, workers=not args.no_workers, processes=args.processes)
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
        "POSTAL_PUBLIC_URL (unset: http://POSTAL_HOST:POSTAL_PORT, or serve's --host/--port), POSTAL_S10_PREFIX, "
        "POSTAL_TIMEZONE (see README.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve the web pages and the API (applies pending migrations first)")
    serve.add_argument("--host", help="địa chỉ lắng nghe / address to listen on (default POSTAL_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int,
                       help="cổng / port to listen on (default POSTAL_PORT or 8080); without POSTAL_PUBLIC_URL "
                       "the QR codes point here")
    serve.add_argument("--no-workers", action="store_true", help="do not run background workers in-process")
    serve.add_argument("--processes", type=int, default=1, choices=range(1, 65), metavar="N",
                       help="số tiến trình / serving processes sharing the port (SO_REUSEPORT, default 1)")
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("worker", help="run the background workers (outbox dispatch)").set_defaults(run=cmd_worker)
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(run=cmd_migrate)
    _add_admin_parsers(sub)
    selfservice.add_parsers(sub)
    cli_privacy.add_parsers(sub)
    notes = sub.add_parser("notifications", help="show the last messages sent to citizens (phones masked)")
    notes.add_argument("--limit", type=int, default=20, choices=range(1, 1001), metavar="N",
                       help="how many (1-1000, default 20)")
    notes.set_defaults(run=cmd_notifications)
    sim = sub.add_parser("carrier-sim", help="run a local simulator of the VNPost API (tests, demo)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8090)
    sim.add_argument("--callback-url", help="where to push status reports, e.g. "
                     "http://127.0.0.1:8080/api/v1/carriers/vnpost/events")
    sim.add_argument("--callback-secret", help="sent as X-Callback-Secret (POSTAL_VNPOST_CALLBACK_SECRET)")
    sim.add_argument("--token-ttl", type=float, default=3600.0, help="token lifetime in seconds (default 3600)")
    sim.set_defaults(run=cmd_carrier_sim)
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
    add.add_argument("--carrier", default="none", help="vnpost: push its shipments to VNPost's system "
                     "(default none: couriers scan with this service)")
    add.set_defaults(run=cmd_post_office_add)
    setc = po.add_parser("set-carrier", help="bind a post office to a carrier (vnpost) or unbind it (none)")
    setc.add_argument("code")
    setc.add_argument("carrier", help="vnpost | none")
    setc.set_defaults(run=cmd_post_office_set_carrier)

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
    add.add_argument("--dossier-agency-id", help="agency part of its dossier codes, e.g. 000.00.15.H62 "
                     "(default: the agency code)")
    add.set_defaults(run=cmd_agency_add)
    selfservice.add_agency_parsers(ag)

    us = sub.add_parser("user", help="manage users").add_subparsers(dest="action", required=True)
    add = us.add_parser("add", help="add a user; prints its first API token on the last line")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["admin", "staff", "courier", "integration"])
    add.add_argument("--agency", help="agency code (staff, integration)")
    add.add_argument("--post-office", help="post office code (courier)")
    add.add_argument("--password-stdin", action="store_true", help="read a password for the web pages from stdin")
    add.set_defaults(run=cmd_user_add)
    dis = us.add_parser("disable", help="khoá người dùng / disable a user (no sign-in, sessions ended, tokens "
                        "refused)", description="Khoá người dùng ngay trong cơ sở dữ liệu: không đăng nhập được, "
                        "phiên web bị đóng, mã truy cập bị từ chối. Disable a user at once; a running process may "
                        "trust a token it has just checked for up to POSTAL_TOKEN_CACHE_SECONDS.")
    dis.add_argument("username")
    dis.set_defaults(run=cmd_user_disable)

    tk = sub.add_parser("token", help="manage API tokens").add_subparsers(dest="action", required=True)
    add = tk.add_parser("create", help="create an API token; prints it on the last line, once")
    add.add_argument("username")
    add.set_defaults(run=cmd_token_create)
    rv = tk.add_parser("revoke", help="thu hồi mã truy cập / revoke a token by its first 12 characters "
                       "(pst_ + 8), the whole token, or every token of --user",
                       description="Thu hồi mã truy cập (API token) ngay trong cơ sở dữ liệu. Revoke API tokens: "
                       "effective at once in the database; a running process may trust a token it has just "
                       "checked for up to POSTAL_TOKEN_CACHE_SECONDS.")
    rv.add_argument("token", nargs="?", metavar="TOKEN_PREFIX", help="12 ký tự đầu (pst_…) hoặc cả mã / "
                    "the first 12 characters or the whole token")
    rv.add_argument("--user", metavar="USERNAME", help="thu hồi mọi mã của người dùng / revoke all of a user's")
    rv.set_defaults(run=cmd_token_revoke)

    db = sub.add_parser("db", help="quản lý PostgreSQL nhúng / manage the embedded PostgreSQL").add_subparsers(
        dest="action", required=True)
    stop = db.add_parser("stop", help="dừng PostgreSQL nhúng của POSTAL_DATA_DIR / stop the embedded PostgreSQL",
                         description="Dừng PostgreSQL nhúng chạy trong POSTAL_DATA_DIR/pg (không dùng khi đã đặt "
                         "DATABASE_URL). Stops the embedded PostgreSQL of POSTAL_DATA_DIR; the next postal command "
                         "starts it again.")
    stop.set_defaults(run=cmd_db_stop)


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
