"""``postal agency set-bank`` and ``postal zalo-sim``: the citizen self-service commands (SPEC §12).

``zalo-sim`` lets a newcomer see the chatbot answer without a Zalo account: it starts a tiny fake
OA message API on ``--oa-port`` that prints every reply, then signs a ``user_send_text`` event
with ``POSTAL_ZALO_APP_ID``/``POSTAL_ZALO_OA_SECRET`` (exactly as Zalo does) and posts it to a
running ``postal serve`` — started with ``POSTAL_ZALO_OA_API_URL=http://127.0.0.1:<oa-port>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import time
from typing import Any

from postal.settings import Settings


async def cmd_set_bank(args: argparse.Namespace, settings: Settings) -> int:
    from postal.services.payments import set_bank
    from postal.services.setup import prepare_database
    from postal.store.database import connect, resolve_dsn

    con = await connect(resolve_dsn(settings))
    try:
        await prepare_database(con)
        bank = await set_bank(con, args.code, args.bin, args.account, args.name)
    finally:
        await con.close()
    print(f"agency {args.code}: bank {bank.bin} account {bank.account} ({bank.name})")
    return 0


def signed_event(settings: Settings, user_id: str, text: str) -> tuple[bytes, dict[str, str]]:
    """A ``user_send_text`` event body and its ``X-ZEvent-Signature``, as the OA would send them."""
    from postal.domain.zalo import expected_mac

    stamp = str(int(time.time() * 1000))
    body = json.dumps({
        "app_id": settings.zalo_app_id, "event_name": "user_send_text", "timestamp": stamp,
        "sender": {"id": user_id}, "recipient": {"id": "oa"},
        "message": {"msg_id": secrets.token_hex(16), "text": text},
    }, ensure_ascii=False).encode()
    mac = expected_mac(settings.zalo_app_id, body, stamp, settings.zalo_oa_secret)
    return body, {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}


async def cmd_zalo_sim(args: argparse.Namespace, settings: Settings) -> int:
    import aiohttp
    from aiohttp import web

    if not (settings.zalo_app_id and settings.zalo_oa_secret):
        print("postal: đặt POSTAL_ZALO_APP_ID và POSTAL_ZALO_OA_SECRET giống như server", flush=True)
        return 2
    got = asyncio.Event()

    async def oa_message(request: web.Request) -> web.Response:
        data: Any = await request.json()
        print(f"--- OA → {data['recipient']['user_id']}:\n{data['message']['text']}", flush=True)
        got.set()
        return web.json_response({"error": 0, "message": "Success", "data": {"message_id": secrets.token_hex(8)}})

    app = web.Application()
    app.router.add_post("/v3.0/oa/message/cs", oa_message)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.oa_port).start()
    try:
        body, headers = signed_event(settings, args.user, args.text)
        async with aiohttp.ClientSession() as session, session.post(
                f"{args.url.rstrip('/')}/api/v1/zalo/events", data=body, headers=headers) as resp:
            print(f"webhook → HTTP {resp.status} {await resp.text()}", flush=True)
        try:
            await asyncio.wait_for(got.wait(), args.wait)
        except TimeoutError:
            print("(không có trả lời: server có chạy với POSTAL_ZALO_OA_API_URL="
                  f"http://127.0.0.1:{args.oa_port} không?)", flush=True)
            return 1
        if args.serve_forever:
            await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0


def add_agency_parsers(ag: Any) -> None:
    """``postal agency set-bank``."""
    sb = ag.add_parser("set-bank", help="tài khoản nhận tiền VietQR / the agency's receiving bank account")
    sb.add_argument("code")
    sb.add_argument("--bin", required=True, help="mã BIN ngân hàng (6 chữ số, ví dụ 970415)")
    sb.add_argument("--account", required=True, help="số tài khoản (6-19 chữ số)")
    sb.add_argument("--name", required=True, help="tên chủ tài khoản (chuyển thành chữ hoa không dấu)")
    sb.set_defaults(run=cmd_set_bank)


def add_parsers(sub: Any) -> None:
    """``postal zalo-sim``."""
    zs = sub.add_parser("zalo-sim", help="gửi thử một tin Zalo OA đã ký tới server đang chạy và in câu trả lời")
    zs.add_argument("text", help="nội dung tin, ví dụ 'RA123456785VN' hoặc 'RA123456785VN 5678'")
    zs.add_argument("--url", default="http://127.0.0.1:8080", help="server postal (mặc định http://127.0.0.1:8080)")
    zs.add_argument("--user", default="zalo-sim-user", help="Zalo user id giả")
    zs.add_argument("--oa-port", type=int, default=8099, help="cổng của OA API giả (mặc định 8099)")
    zs.add_argument("--wait", type=float, default=10.0, help="chờ trả lời tối đa (giây)")
    zs.add_argument("--serve-forever", action="store_true", help="giữ OA API giả chạy để in các tin sau")
    zs.set_defaults(run=cmd_zalo_sim)
