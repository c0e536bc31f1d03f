"""Citizen pages (SPEC §8): home search form, ``/t/{code}`` tracking page, ``/q/{code}.{sig}`` QR landing.

Server-rendered, Vietnamese first (``?lang=en`` for English), usable with JavaScript off.
Every lookup goes through :func:`postal.services.tracking.track`, so the pages share the
API's privacy rules and its rate limit (misses only). Unknown or malformed codes and forged signatures
answer the same 404 page; too many lookups answer a 429 page with ``Retry-After``.

The phone-digits form is a plain GET form (works with JavaScript off). Digits that are
not exactly 4 give an inline message on the page (200, nothing more shown, no extra
count); 4 wrong digits say they do not match and count as a guess (5 lookups). The
typed digits are never echoed back into the page.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp_jinja2
from aiohttp import web

from postal.domain.access import Role
from postal.domain.lifecycle import Direction, Status
from postal.domain.status_texts import Lang
from postal.edge.headers import PRIVATE_HEADERS
from postal.edge.keys import clock_key, pool_key, settings_key, track_blocks_key
from postal.edge.session import SESSION_COOKIE, client_address
from postal.errors import NotFound, RateLimited
from postal.services import accounts, payments, tracking
from postal.web import citizen_texts as texts

log = logging.getLogger(__name__)



def _lang(request: web.Request) -> Lang:
    return "en" if request.query.get("lang") == "en" else "vi"


def _with_lang(path: str, lang: Lang, **params: str) -> str:
    """A link that keeps English when the page is English (Vietnamese needs no parameter)."""
    query = {**params, **({"lang": "en"} if lang == "en" else {})}
    return f"{path}?{urlencode(query)}" if query else path


def _base(request: web.Request, lang: Lang) -> dict[str, Any]:
    """What every citizen template needs: language, texts and the link to the other language."""
    other: Lang = "vi" if lang == "en" else "en"
    other_query = {k: v for k, v in request.query.items() if k not in ("lang", "phone4")}
    if other == "en":
        other_query["lang"] = "en"
    other_url = request.path + (f"?{urlencode(other_query)}" if other_query else "")
    return {"lang": lang, "t": texts.texts(lang), "other_lang_url": other_url, "home_url": _with_lang("/", lang)}


def _render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers.update(PRIVATE_HEADERS)
    return response


# ---------------------------------------------------------------------------
# Home and search


async def home(request: web.Request) -> web.Response:
    """The search form (``/`` and ``/t``); a submitted code goes to its tracking page."""
    lang = _lang(request)
    code = "".join(request.query.get("code", "").split()).upper()
    if code:
        raise web.HTTPFound(_with_lang(f"/t/{quote(code[:64], safe='')}", lang))
    return _render(request, "citizen_home.html", _base(request, lang))


def _not_found_page(request: web.Request, lang: Lang) -> web.Response:
    return _render(request, "not_found.html", _base(request, lang), status=404)


def _busy_page(request: web.Request, lang: Lang, retry_after: int) -> web.Response:
    context = {**_base(request, lang), "seconds": retry_after}
    response = _render(request, "track_busy.html", context, status=429)
    response.headers["Retry-After"] = str(retry_after)
    return response


# ---------------------------------------------------------------------------
# Tracking page


def _local(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _entry_text(e: dict[str, Any]) -> str:
    """An applied event reads as the status it led to (``arrived``: the place it reached); a late one
    as what the courier reported, never as a status."""
    if e["late"] or e["event"] in ("arrived", "rescheduled"):
        return str(e["event_text"])
    return str(e["status_text"])


def _timeline(view: dict[str, Any]) -> list[dict[str, Any]]:
    """Timeline entries for the page, newest first, the shipment's registration last; ``current`` marks
    the newest applied event (a late one never does)."""
    items = [
        {"text": _entry_text(e), "place": e["post_office"], "at": _local(e["occurred_at"]), "late": e["late"],
         "created": False, "current": False}
        for e in view["events"]
    ]
    items.reverse()
    created = {"text": None, "place": None, "at": _local(view["created_at"]), "late": False, "created": True,
               "current": False}
    entries = [*items, created]
    next(e for e in entries if not e["late"])["current"] = True
    return entries


def _page_context(request: web.Request, view: dict[str, Any], lang: Lang) -> dict[str, Any]:
    status, direction = Status(view["status"]), Direction(view["direction"])
    return {
        **_base(request, lang),
        "view": view,
        "recipient": view.get("recipient"),
        "look": texts.look(status),
        "sentence": texts.status_sentence(status, direction, lang),
        "due": date.fromisoformat(view["due_date"]),
        "timeline": _timeline(view),
        "bring": texts.what_to_bring(direction, lang),
        "show_bring": status not in (Status.delivered, Status.returned, Status.cancelled),
        "is_pickup": direction is Direction.pickup,
        "form_error": None,
        "form_action": request.path,
    }


async def _tracking_page(
    request: web.Request, lookup: tracking.TrackRequest, form_error: str | None = None
) -> web.Response:
    """Look up and render, or the 404 / 429 page."""
    try:
        view = await tracking.track(request.app[pool_key], request.app[clock_key], lookup,
                                    request.app[track_blocks_key])
    except RateLimited as exc:
        return _busy_page(request, lookup.lang, exc.retry_after)
    except NotFound:
        return _not_found_page(request, lookup.lang)
    context = _page_context(request, view, lookup.lang)
    if form_error is None and lookup.phone4 and "recipient" not in view:
        form_error = "phone4_mismatch"
    context["form_error"] = form_error
    context["payment"] = await payments.page_payment(request.app[pool_key], view["tracking_code"],
                                                     proven="recipient" in view)
    return _render(request, "track.html", context)


async def track_page(request: web.Request) -> web.Response:
    """``/t/{code}``: the public view; the right ``phone4`` adds the masked recipient."""
    lang = _lang(request)
    try:
        phone4 = tracking.normalize_phone4(request.query.get("phone4"))
        form_error = None
    except ValueError:
        phone4, form_error = None, "phone4_format"
    lookup = tracking.TrackRequest(code=request.match_info["code"], client=client_address(request), phone4=phone4,
                                   lang=lang)
    return await _tracking_page(request, lookup, form_error)


# ---------------------------------------------------------------------------
# QR landing


async def _is_courier(request: web.Request) -> bool:
    """True for a signed-in courier; a bad cookie or a database hiccup never breaks the public page."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie:
        return False
    try:
        async with request.app[pool_key].acquire() as con:
            found = await accounts.session(con, cookie)
    except Exception:
        log.warning("session lookup failed on the QR landing page", exc_info=True)
        return False
    return found is not None and found[0].role is Role.courier


async def qr_page(request: web.Request) -> web.Response:
    """``/q/{code}.{sig}``: a courier goes to the action page; anyone else sees the masked view."""
    lang = _lang(request)
    code, _, sig = request.match_info["payload"].rpartition(".")
    client = client_address(request)
    try:
        canonical = await tracking.check_signed_link(request.app[pool_key], request.app[settings_key], code, sig,
                                                     client, request.app[track_blocks_key])
    except RateLimited as exc:
        return _busy_page(request, lang, exc.retry_after)
    except NotFound:
        return _not_found_page(request, lang)
    if await _is_courier(request):
        raise web.HTTPFound(f"/courier/items/{canonical}")
    lookup = tracking.TrackRequest(code=canonical, client=client, sig=sig, lang=lang)
    return await _tracking_page(request, lookup)


def setup(app: web.Application) -> None:
    """Register this module's routes."""
    app.router.add_get("/", home, name="citizen_home")
    app.router.add_get("/t", home, name="citizen_search")
    app.router.add_get("/t/{code}", track_page, name="citizen_track")
    app.router.add_get("/q/{payload}", qr_page, name="citizen_qr")
