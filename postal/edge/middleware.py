"""Request ids, structured access logs, metrics, and the one error middleware of the API and the pages.

Every error ends as a :class:`postal.errors.PostalError` and is rendered once, here: problem+json for
the API (and scripts that ask for JSON), a Vietnamese HTML page for everything else (the web layer
registers that renderer under :data:`error_page_key`). The status counted and logged is the one the
client got: a raised redirect is its 302/303, a client that went away mid-request is ``499``
(nginx's "client closed request"; nothing is sent), a database outage is 503 — never 500.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterator

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from postal.edge.headers import is_api, secure
from postal.edge.keys import error_page_key
from postal.edge.problems import from_error
from postal.errors import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PostalError,
    ServiceUnavailable,
)
from postal.store.database import is_unavailable

log = logging.getLogger("postal.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
request_id_key = web.RequestKey("request_id", str)
CLIENT_CLOSED = 499
RETRY_AFTER_SECONDS = 5  # a restarting PostgreSQL is usually back within seconds
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class HttpMetrics:
    """Prometheus series of the HTTP layer, in the app's own registry.

    Counted with plain integers and turned into metric families only when ``/metrics`` is read:
    prometheus_client's ``Counter`` and ``Histogram`` take a lock per increment (five per request),
    which was a twentieth of a public lookup's CPU. Requests and scrapes run on the one event loop
    thread of a process, so nothing else touches the counts while they change.
    """

    BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

    def __init__(self, registry: CollectorRegistry) -> None:
        self._requests: dict[tuple[str, str, str], int] = {}
        self._latency: dict[tuple[str, str], list[float]] = {}  # per bucket (not cumulated; +Inf last), then sum
        registry.register(self)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request."""
        key = (method, route, str(status))
        self._requests[key] = self._requests.get(key, 0) + 1
        counts = self._latency.get((method, route))
        if counts is None:
            counts = self._latency[(method, route)] = [0.0] * (len(self.BUCKETS) + 2)
        counts[bisect.bisect_left(self.BUCKETS, seconds)] += 1
        counts[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("postal_http_requests", "HTTP requests by route and status",
                                       labels=["method", "route", "status"])
        for labels, count in list(self._requests.items()):
            requests.add_metric(labels, count)
        yield requests
        latency = HistogramMetricFamily("postal_http_request_seconds", "HTTP request latency by route",
                                        labels=["method", "route"])
        bounds = [*(str(float(b)) for b in self.BUCKETS), "+Inf"]
        for (method, route), counts in list(self._latency.items()):
            cumulative = itertools.accumulate(counts[:-1])
            latency.add_metric([method, route], list(zip(bounds, cumulative, strict=True)), counts[-1])
        yield latency


SLOW_SECONDS = 1.0
"""A request slower than this is always logged, sampled or not."""


def access_logged(status: int, seconds: float, sample: float) -> tuple[bool, int | None]:
    """Whether to write this request's access line, and the sampling weight to write with it.

    Every answer other than a 2xx (redirects, 4xx, 5xx, 499) and every slow one is always logged;
    2xx answers are logged with probability ``sample`` (the line says ``sample: 1/sample`` so counts
    can be scaled back; exact counts are in ``/metrics``).
    """
    if sample >= 1 or not 200 <= status < 300 or seconds >= SLOW_SECONDS:
        return True, None
    if sample > 0 and random.random() < sample:
        return True, round(1 / sample)
    return False, None


def route_name(request: web.Request) -> str:
    """The route pattern, never the concrete path (which may carry a code or a query)."""
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


def _from_http(exc: web.HTTPException) -> PostalError:
    """aiohttp's own refusals (no route, wrong method, body too large…) as errors of our tree."""
    known: dict[int, PostalError] = {
        400: BadRequest("Yêu cầu không đọc được."),
        404: NotFound("Đường dẫn không tồn tại."),
        405: MethodNotAllowed("Phương thức HTTP này không dùng được ở đường dẫn này."),
        413: PayloadTooLarge("Dữ liệu gửi lên vượt quá giới hạn cho phép."),
    }
    if exc.status in known:
        return known[exc.status]
    error = PostalError(exc.reason)
    error.status, error.title, error.type_slug = exc.status, exc.reason, f"http-{exc.status}"
    return error


def client_gone(request: web.Request, exc: BaseException) -> bool:
    """True when ``exc`` is the client's connection closing under a running handler."""
    return isinstance(exc, ConnectionResetError) and (request.transport is None or request.transport.is_closing())


async def _answer(request: web.Request, exc: PostalError) -> web.Response:
    """problem+json for machines, the HTML error page for people."""
    render = request.app.get(error_page_key)
    if render is None or is_api(request):
        return from_error(exc)
    try:
        response = await render(request, exc)
    except Exception:  # the error page must never turn a 4xx into a 500
        log.exception("error page failed", extra={"request_id": request.get(request_id_key)})
        return from_error(exc)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _unavailable(request: web.Request, exc: Exception) -> ServiceUnavailable:
    log.warning("database unavailable", extra={"request_id": request.get(request_id_key),
                                               "error": type(exc).__name__})
    return ServiceUnavailable("Không kết nối được cơ sở dữ liệu; hãy thử lại sau ít giây.",
                              retry_after=RETRY_AFTER_SECONDS)


def make_middlewares(metrics: HttpMetrics, access_log_sample: float = 1.0
                     ) -> list[Callable[..., Awaitable[web.StreamResponse]]]:
    """The middleware chain: request id, headers, access log and metrics outermost, then errors."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get("X-Request-ID", "")
        # A correlation id, not a secret: 128 random bits as hex, without uuid4's urandom syscall per request.
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else f"{random.getrandbits(128):032x}"
        request[request_id_key] = request_id
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # what ``errors`` lets through: redirects and other non-errors
            status = exc.status
            exc.headers["X-Request-ID"] = request_id
            secure(request, exc)
            raise
        except asyncio.CancelledError:
            status = CLIENT_CLOSED  # the server cancels handlers only for clients that went away
            raise
        except ConnectionResetError:  # re-raised by ``errors`` only when the client is gone
            status = CLIENT_CLOSED
            return web.Response(status=CLIENT_CLOSED)  # never reaches anyone; aiohttp drops it quietly
        else:
            status = response.status
            response.headers["X-Request-ID"] = request_id
            secure(request, response)
            return response
        finally:
            elapsed = time.perf_counter() - started
            route = route_name(request)
            metrics.observe(request.method, route, status, elapsed)
            logged, weight = access_logged(status, elapsed, access_log_sample)
            if logged and log.isEnabledFor(logging.INFO):
                extra = {"request_id": request_id, "method": request.method, "route": route, "status": status,
                         "ms": round(elapsed * 1000, 2)}
                if weight is not None:
                    extra["sample"] = weight
                log.info("request", extra=extra)

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except PostalError as exc:
            return await _answer(request, exc)
        except asyncpg.CharacterNotInRepertoireError:
            # A NUL (or bytes PostgreSQL text cannot hold) that no check before the database caught:
            # the transaction was rolled back, so nothing was written. Still the client's input.
            return await _answer(request, BadRequest("Dữ liệu chứa ký tự không hợp lệ (NUL)."))
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = await _answer(request, _from_http(exc))
            for header in ("Allow", "Retry-After"):
                if header in exc.headers:
                    response.headers[header] = exc.headers[header]
            return response
        except Exception as exc:
            if client_gone(request, exc):
                raise
            if is_unavailable(exc):
                return await _answer(request, _unavailable(request, exc))
            log.exception("unhandled error", extra={"request_id": request.get(request_id_key)})
            return await _answer(request, PostalError("Đã có lỗi phía máy chủ; yêu cầu đã được ghi lại để xử lý."))

    return [observe, errors]
