"""Who gets a page and who gets JSON, and the headers every answer carries.

Pages (every path outside ``/api/``, ``/healthz`` and ``/metrics``) load scripts, styles and images
only from this origin: the templates have no inline ``<script>``, no ``on…=`` handlers and no
``style`` attributes, so the policy needs no ``'unsafe-inline'``. ``blob:`` images are the courier's
photos, scaled in the browser before upload. Answers of the API are JSON and get ``nosniff``.
"""

from __future__ import annotations

from aiohttp import web

REFERRER_POLICY = "same-origin"  # staff forms go back to the page they came from; nothing leaves the site
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": REFERRER_POLICY,
}
API_HEADERS = {"X-Content-Type-Options": "nosniff"}
# Answers about one signed-in person or one shipment: never stored by a browser or a proxy.
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": REFERRER_POLICY}

_MACHINE_PATHS = ("/healthz", "/metrics")


def is_api(request: web.Request) -> bool:
    """True for machine clients: the API, health and metrics, or a script asking for JSON only."""
    if request.path.startswith("/api/") or request.path in _MACHINE_PATHS:
        return True
    accept = request.headers.get("Accept", "")
    return "json" in accept and "text/html" not in accept


def secure(request: web.Request, response: web.StreamResponse) -> None:
    """Add the security headers of a page or of an API answer (a handler's own values win)."""
    if response.prepared:
        return
    for name, value in (API_HEADERS if is_api(request) else PAGE_HEADERS).items():
        response.headers.setdefault(name, value)
