"""Prometheus metrics: RED metrics per route template, build and fault info, process collectors.

The HTTP metrics come from a pure ASGI middleware. Starlette's ``BaseHTTPMiddleware`` would wrap every
response in a stream and a task group, which costs more than the metrics themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from time import perf_counter

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.metrics_core import Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sample_app.faults import FaultInjector
from sample_app.settings import FailMode

__all__ = [
    "DURATION_BUCKETS",
    "METRICS_CONTENT_TYPE",
    "UNMATCHED_ROUTE",
    "AppCollector",
    "HttpMetrics",
    "MetricsMiddleware",
    "add_default_collectors",
    "render",
]

# The usual SLO latency thresholds must be bucket boundaries, or a latency SLI has to interpolate.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)
# Requests that matched no route share one label value, so scanners cannot explode cardinality.
UNMATCHED_ROUTE = "<unmatched>"
# The classic text format every Prometheus 2.x understands; newer clients default to version=1.0.0.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Anything else (a client can send any token as a method) is folded into one value for the same reason.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def add_default_collectors(registry: CollectorRegistry) -> None:
    """The process, platform and GC collectors the global default registry has.

    Each app gets its own registry, so tests and the benchmark can build many apps in one process.
    """
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


class HttpMetrics:
    """The three HTTP metrics, with children cached per label set to skip ``labels()`` per request."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "code"],
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from receiving an HTTP request to sending the last byte of its response.",
            ["method", "route"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.in_progress = Gauge(
            "http_requests_in_progress",
            "HTTP requests being handled right now.",
            registry=registry,
        )
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._histograms: dict[tuple[str, str], Histogram] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        counter = self._counters.get((method, route, status))
        if counter is None:
            counter = self._counters[(method, route, status)] = self.requests.labels(
                method, route, str(status)
            )
        histogram = self._histograms.get((method, route))
        if histogram is None:
            histogram = self._histograms[(method, route)] = self.duration.labels(method, route)
        counter.inc()
        histogram.observe(seconds)


class MetricsMiddleware:
    """Counts and times every HTTP request except scrapes of ``/metrics``.

    Scrapes are left out so ``http_requests_total`` counts only traffic the service was asked to
    serve; Prometheus already records scrape health in its own ``up`` series.
    """

    def __init__(
        self, app: ASGIApp, metrics: HttpMetrics, excluded_paths: Iterable[str] = ("/metrics",)
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.excluded_paths = frozenset(excluded_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.excluded_paths:
            await self.app(scope, receive, send)
            return

        # If the app raises before answering, the server error middleware outside us sends a 500.
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        in_progress = self.metrics.in_progress
        in_progress.inc()
        start = perf_counter()
        try:
            await self.app(scope, receive, send_with_status)
        finally:
            elapsed = perf_counter() - start
            in_progress.dec()
            method = scope["method"]
            self.metrics.observe(
                method if method in _KNOWN_METHODS else "other", route_template(scope), status, elapsed
            )


def route_template(scope: Scope) -> str:
    """The matched route's template (``/api/items/{item_id}``), never the raw path.

    The router stores the matched route in the scope it shares with us, so it is readable once the
    app has handled the request.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED_ROUTE


class AppCollector:
    """Build and fault info, read from the injector at scrape time so requests pay nothing for it."""

    def __init__(self, version: str, injector: FaultInjector) -> None:
        self._version = version
        self._injector = injector

    def collect(self) -> Iterable[Metric]:
        build = GaugeMetricFamily(
            "sample_app_build_info",
            "Always 1; the version label says which build is running.",
            labels=["version"],
        )
        build.add_metric([self._version], 1)
        yield build

        state = self._injector.state()
        # An expired fault reads as `none`, like a cleared one: the healer's diagnosis takes any mode
        # above 0 as the cause of an incident, and a fault that stopped by itself no longer is one.
        in_force = FailMode.NONE if state.expired else state.config.mode
        mode = GaugeMetricFamily(
            "sample_app_fail_mode",
            "1 for the configured failure mode (none once its FAIL_FOR ran out), 0 for the others.",
            labels=["mode"],
        )
        for candidate in FailMode:
            mode.add_metric([candidate.value], 1 if candidate is in_force else 0)
        yield mode

        active = GaugeMetricFamily(
            "sample_app_fail_active",
            "1 while the configured fault is past its FAIL_AFTER delay, within its FAIL_FOR, and hitting "
            "requests.",
            value=1 if state.active and state.config.mode is not FailMode.NONE else 0,
        )
        yield active

        injected = CounterMetricFamily(
            "sample_app_faults_injected",
            "Requests hit by an injected fault, by mode.",
            labels=["mode"],
        )
        for candidate, count in state.injected.items():
            if candidate is not FailMode.NONE:
                injected.add_metric([candidate.value], count)
        yield injected

        yield GaugeMetricFamily(
            "sample_app_fail_leaked_bytes",
            "Bytes held by the memory fault; bounded by FAIL_MEMORY_CAP.",
            value=state.leaked_bytes,
        )
