"""Notification channels (SPEC §7): ``zns`` (Zalo ZNS), ``sms`` (a JSON gateway) and ``log``.

Each channel is pure ``build_*``/``parse_*`` functions (unit-tested without I/O) and a thin proxy
that only does the HTTP call with the injected ``aiohttp.ClientSession``. A send answers a
:class:`Result`: ``sent``; ``refused`` (final for this channel: the next one is tried); ``retry``
(transient: timeouts, 5xx, 429 — later, honouring ``Retry-After``). Zalo's ``-216`` (expired
token) is answered by refreshing the token once through :class:`TokenSource` and sending again.
"""

from __future__ import annotations

import email.utils
import json
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp

from postal.domain import notices
from postal.domain.notices import Notice
from postal.services.notifications import Result

log = logging.getLogger("postal.notify")
MAX_RETRY_AFTER = 3600.0
ZNS_TOKEN_EXPIRED = -216
ZNS_FINAL = {-108: "zns: số điện thoại không hợp lệ hoặc không dùng Zalo", -109: "zns: mẫu tin không hợp lệ"}


SENT = Result("sent")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), capped; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - (now or datetime.now(UTC))).total_seconds(), MAX_RETRY_AFTER))


def _http_failure(status: int, retry_after: str | None, channel: str) -> Result:
    """Transient for 408/429/5xx, final for other refusals (bad request, bad credentials)."""
    if status in (408, 425, 429) or status >= 500:
        return Result("retry", f"{channel}: HTTP {status}", parse_retry_after(retry_after))
    return Result("refused", f"{channel}: HTTP {status}")


# --- zns -------------------------------------------------------------------------------------------


def build_zns_request(api_url: str, token: str, template_id: str, n: Notice) -> tuple[str, dict[str, str],
                                                                                       dict[str, Any]]:
    """URL, headers and JSON body of ``POST /message/template``."""
    body = {"phone": notices.international_phone(n.phone), "template_id": template_id,
            "template_data": notices.template_data(n), "tracking_id": n.ref}
    return f"{api_url.rstrip('/')}/message/template", {"access_token": token}, body


def parse_zns_response(status: int, body: Any, retry_after: str | None = None) -> Result:
    """Zalo answers HTTP 200 with ``{"error": 0, …}`` on success and a negative ``error`` otherwise."""
    if status != 200:
        return _http_failure(status, retry_after, "zns")
    error = body.get("error") if isinstance(body, dict) else None
    if error == 0:
        return SENT
    if error == ZNS_TOKEN_EXPIRED:
        return Result("refused", "zns: access token hết hạn (-216)", token_expired=True)
    if error in ZNS_FINAL:
        return Result("refused", f"{ZNS_FINAL[error]} ({error})")
    if not isinstance(error, int):
        return Result("retry", "zns: câu trả lời không đọc được")
    return Result("refused", f"zns: lỗi {error}")


def build_zns_refresh(oauth_url: str, app_id: str, app_secret: str, refresh_token: str) -> tuple[
        str, dict[str, str], dict[str, str]]:
    """Zalo OA's token refresh: form ``refresh_token, app_id, grant_type`` with the app secret in a header."""
    return oauth_url, {"secret_key": app_secret}, {"refresh_token": refresh_token, "app_id": app_id,
                                                    "grant_type": "refresh_token"}


def parse_zns_refresh(status: int, body: Any) -> tuple[str, str | None] | None:
    """(access token, new refresh token) from the refresh answer; None when refused."""
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        return None
    refresh = body.get("refresh_token")
    return body["access_token"], refresh if isinstance(refresh, str) else None


class TokenSource(Protocol):
    """Where the ZNS access token lives (shared by every process) and how it is renewed."""

    async def current(self) -> str | None: ...

    async def refresh(self, expired: str, session: aiohttp.ClientSession) -> str | None: ...


# --- sms -------------------------------------------------------------------------------------------


def build_sms_request(api_url: str, token: str, n: Notice) -> tuple[str, dict[str, str], dict[str, Any]]:
    """URL, headers and JSON body for the SMS gateway: ``{to, text, id}``, the text ≤ 160 ASCII characters."""
    body = {"to": notices.international_phone(n.phone), "text": notices.sms_text(n), "id": n.ref}
    return api_url, {"Authorization": f"Bearer {token}"}, body


def parse_sms_response(status: int, retry_after: str | None = None) -> Result:
    """Any 2xx is accepted; 429/5xx are transient; other statuses are final for SMS."""
    if 200 <= status < 300:
        return SENT
    return _http_failure(status, retry_after, "sms")


# --- the proxies ---------------------------------------------------------------------------------


class Channel(Protocol):
    name: str

    async def send(self, n: Notice) -> Result: ...


async def post(session: aiohttp.ClientSession, url: str, headers: dict[str, str], *, payload: Any = None,
                form: Any = None) -> tuple[int, Any, str | None]:
    """One POST (the session's timeouts bound it; at most 64 KiB of answer read): status, JSON or None, Retry-After."""
    async with session.post(url, headers=headers, json=payload, data=form, allow_redirects=False) as resp:
        raw = await resp.content.read(65536)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return resp.status, body, resp.headers.get("Retry-After")


class ZnsChannel:
    """Zalo Notification Service: template messages to the citizen's phone number."""

    name = "zns"

    def __init__(self, session: aiohttp.ClientSession, api_url: str, templates: dict[str, str],
                 tokens: TokenSource) -> None:
        self.session, self.api_url, self.templates, self.tokens = session, api_url, templates, tokens

    async def send(self, n: Notice) -> Result:
        template_id = self.templates.get(n.kind)
        token = await self.tokens.current()
        if not template_id or not token:
            return Result("refused", f"zns: chưa cấu hình mẫu tin '{n.kind}' hoặc access token")
        result = await self._send(token, template_id, n)
        if result.token_expired:
            fresh = await self.tokens.refresh(token, self.session)
            if fresh is None:
                return Result("refused", "zns: access token hết hạn, làm mới không được")
            result = await self._send(fresh, template_id, n)
        return result

    async def _send(self, token: str, template_id: str, n: Notice) -> Result:
        url, headers, body = build_zns_request(self.api_url, token, template_id, n)
        status, answer, retry_after = await post(self.session, url, headers, payload=body)
        return parse_zns_response(status, answer, retry_after)


class SmsChannel:
    """A JSON SMS gateway with a bearer token."""

    name = "sms"

    def __init__(self, session: aiohttp.ClientSession, api_url: str | None, token: str) -> None:
        self.session, self.api_url, self.token = session, api_url, token

    async def send(self, n: Notice) -> Result:
        if not self.api_url:
            return Result("refused", "sms: chưa cấu hình POSTAL_SMS_API_URL")
        url, headers, body = build_sms_request(self.api_url, self.token, n)
        status, _, retry_after = await post(self.session, url, headers, payload=body)
        return parse_sms_response(status, retry_after)


class LogChannel:
    """Development: the message goes to the log (JSON line on stderr), the phone masked."""

    name = "log"

    async def send(self, n: Notice) -> Result:
        log.info("tin nhắn cho công dân", extra={
            "channel": "log", "kind": n.kind, "tracking_code": n.tracking_code,
            "phone": notices.masked_phone(n.phone), "text": notices.text(n),
        })
        return SENT


async def send_safely(channel: Channel, n: Notice) -> Result:
    """The channel's answer; network errors and timeouts become a transient ``retry``."""
    try:
        return await channel.send(n)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return Result("retry", f"{channel.name}: {type(exc).__name__}")
