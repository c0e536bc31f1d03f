"""The HTTP series as Prometheus reads them: counts per status, cumulative ``le`` buckets, sum and count."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from postal.edge.middleware import HttpMetrics


def test_counts_buckets_and_sums_read_as_prometheus_series():
    registry = CollectorRegistry()
    metrics = HttpMetrics(registry)
    for seconds in (0.001, 0.002, 0.004, 0.3, 9.0):  # 0.002 is on a bound: le is "less or equal"
        metrics.observe("GET", "/api/v1/track/{code}", 200, seconds)
    metrics.observe("GET", "/api/v1/track/{code}", 404, 0.003)
    text = generate_latest(registry).decode()
    route = 'method="GET",route="/api/v1/track/{code}"'
    assert f'postal_http_requests_total{{{route},status="200"}} 5.0' in text
    assert f'postal_http_requests_total{{{route},status="404"}} 1.0' in text
    for le, count in (("0.002", 2), ("0.005", 4), ("0.25", 4), ("0.5", 5), ("5.0", 5), ("+Inf", 6)):
        assert f'postal_http_request_seconds_bucket{{le="{le}",{route}}} {count:.1f}' in text
    assert f"postal_http_request_seconds_count{{{route}}} 6.0" in text
    assert f"postal_http_request_seconds_sum{{{route}}} 9.31" in text
