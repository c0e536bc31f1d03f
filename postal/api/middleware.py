"""Request ids, structured access logs, metrics, and the one error-to-problem mapping."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from postal.api.problems import from_error, problem
from postal.errors import PostalError

log = logging.getLogger("postal.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
request_id_key = web.RequestKey("request_id", str)
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class HttpMetrics:
    """Prometheus series of the HTTP layer, in the app's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "postal_http_requests", "HTTP requests by route and status", ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "postal_http_request_seconds", "HTTP request latency by route", ["method", "route"],
            registry=registry, buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )


def route_name(request: web.Request) -> str:
    """The route pattern, never the concrete path (which may carry a code or a query)."""
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


def _status_of(exc: web.HTTPException) -> web.Response:
    titles = {404: "Không tìm thấy", 405: "Phương thức không được hỗ trợ", 413: "Dữ liệu quá lớn"}
    title = titles.get(exc.status, exc.reason)
    detail = {
        404: "Đường dẫn không tồn tại.",
        405: "Phương thức HTTP này không dùng được ở đường dẫn này.",
        413: "Dữ liệu gửi lên vượt quá giới hạn cho phép.",
    }.get(exc.status, exc.reason)
    response = problem(exc.status, title, detail, f"http-{exc.status}")
    for header in ("Allow", "Location", "Retry-After"):
        if header in exc.headers:
            response.headers[header] = exc.headers[header]
    return response


def make_middlewares(metrics: HttpMetrics) -> list[Callable[..., Awaitable[web.StreamResponse]]]:
    """The middleware chain: request id and access log outermost, then errors."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request[request_id_key] = request_id
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            elapsed = time.perf_counter() - started
            route = route_name(request)
            metrics.requests.labels(request.method, route, str(status)).inc()
            metrics.latency.labels(request.method, route).observe(elapsed)
            log.info("request", extra={"request_id": request_id, "method": request.method, "route": route,
                                       "status": status, "ms": round(elapsed * 1000, 2)})

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except PostalError as exc:
            return from_error(exc)
        except asyncpg.CharacterNotInRepertoireError:
            # A NUL (or bytes PostgreSQL text cannot hold) that no check before the database caught:
            # the transaction was rolled back, so nothing was written. Still the client's input.
            return problem(400, "Yêu cầu không đọc được", "Dữ liệu chứa ký tự không hợp lệ (NUL).", "bad-request")
        except web.HTTPRedirection:
            raise
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _status_of(exc)
        except Exception:
            log.exception("unhandled error", extra={"request_id": request.get(request_id_key)})
            return problem(500, "Lỗi hệ thống", "Đã có lỗi phía máy chủ; yêu cầu đã được ghi lại để xử lý.",
                           "internal")

    return [observe, errors]
