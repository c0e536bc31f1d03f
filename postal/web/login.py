"""Pages: sign in and out (``/login``, ``/logout``), and the session lookup the other pages share.

The session cookie is the one the API accepts (:data:`postal.edge.session.SESSION_COOKIE`):
HttpOnly, SameSite=Lax, Secure when the public URL is https. The login form needs no CSRF token
(there is no session to abuse yet); every later cookie-authenticated write must echo the session's CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from postal.domain.access import Principal, Role
from postal.edge.headers import PRIVATE_HEADERS
from postal.edge.keys import pool_key, settings_key, verifier_key
from postal.edge.session import SESSION_COOKIE, check_csrf, client_address
from postal.errors import Forbidden, RateLimited, Unauthenticated
from postal.services import accounts, signin

HOME_BY_ROLE = {Role.courier: "/courier", Role.staff: "/staff", Role.admin: "/staff"}
_SAFE_NEXT = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]{0,500}$")


async def page_session(request: web.Request) -> tuple[Principal, str] | None:
    """The signed-in principal and its CSRF token, or None without a live session."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie:
        return None
    async with request.app[pool_key].acquire() as con:
        return await accounts.session(con, cookie)


def login_redirect(request: web.Request) -> web.HTTPFound:
    """Where to send a visitor who must sign in first (back here afterwards)."""
    return web.HTTPFound(f"/login?next={quote(request.path_qs, safe='')}")


async def page_principal(request: web.Request, roles: tuple[Role, ...], refusal: str) -> tuple[Principal, str]:
    """The signed-in principal of a page area and its CSRF token: visitors sign in first, other roles get
    the refusal page (what each action may do is decided by its service)."""
    found = await page_session(request)
    if found is None:
        raise login_redirect(request)
    if found[0].role not in roles:
        raise Forbidden(refusal)
    return found


async def staff_page(request: web.Request) -> tuple[Principal, str]:
    """The staff console's area: agency staff and admins."""
    return await page_principal(request, (Role.staff, Role.admin), "Trang này dành cho cán bộ một cửa.")


def safe_next(value: str | None) -> str | None:
    """A local path to go back to after signing in, or None (no open redirects)."""
    if not value or not _SAFE_NEXT.match(value):
        return None
    return value


def home_of(principal: Principal) -> str:
    """The page a signed-in user starts from."""
    return HOME_BY_ROLE.get(principal.role, "/")


def _form(request: web.Request, *, next_url: str | None, error: str | None = None, username: str = "",
          status: int = 200) -> web.Response:
    response = aiohttp_jinja2.render_template(
        "login.html", request, {"next_url": next_url or "", "error": error, "username": username}, status=status
    )
    response.headers.update(PRIVATE_HEADERS)
    return response


async def login_page(request: web.Request) -> web.Response:
    """The sign-in form; someone already signed in goes straight on."""
    next_url = safe_next(request.query.get("next"))
    found = await page_session(request)
    if found is not None:
        raise web.HTTPFound(next_url or home_of(found[0]))
    return _form(request, next_url=next_url)


async def login_submit(request: web.Request) -> web.Response:
    """Check the password, open a session, and go to the role's home page or ``next``."""
    form = await request.post()
    username = str(form.get("username", "")).strip().lower()[:64]
    password = str(form.get("password", ""))[:1024]
    next_url = safe_next(str(form.get("next", "")))
    settings = request.app[settings_key]
    client = client_address(request)
    try:
        session = await signin.sign_in(request.app[pool_key], request.app[verifier_key], settings,
                                       signin.Attempt(username, password, client))
    except RateLimited as exc:
        response = _form(request, next_url=next_url, error=exc.detail, username=username, status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except (Unauthenticated, Forbidden) as exc:
        return _form(request, next_url=next_url, error=exc.detail, username=username, status=exc.status)
    response = web.HTTPFound(next_url or home_of(session.principal))
    secure = request.app[settings_key].public_url.startswith("https://")
    response.set_cookie(SESSION_COOKIE, session.cookie, httponly=True, samesite="Lax", secure=secure, path="/",
                        max_age=int(accounts.SESSION_TTL.total_seconds()))
    raise response


async def logout(request: web.Request) -> web.Response:
    """Close the session (the form echoes the CSRF token) and go back to the sign-in form."""
    found = await page_session(request)
    if found is not None:
        await check_csrf(request, found[1])
        async with request.app[pool_key].acquire() as con:
            await accounts.logout(con, request.cookies.get(SESSION_COOKIE, ""))
    response = web.HTTPFound("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def _verifier_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    app[verifier_key] = signin.PasswordVerifier(settings.password_workers, settings.password_queue)
    yield
    app[verifier_key].close()


def setup(app: web.Application) -> None:
    """Register this module's routes and the password verifier's thread pool."""
    app.cleanup_ctx.append(_verifier_ctx)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
