"""Metrics (Prometheus), structured logs (JSON, with the correlation id) and the context
that carries the correlation id through HTTP requests and consumed messages.

Metric names follow Prometheus conventions; every one is labelled by service, so the
embedded process (three services in one) reports them apart.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from uuid import uuid4

from prometheus_client import Counter, Gauge, Histogram
from pythonjsonlogger.json import JsonFormatter
from starlette.requests import Request
from starlette.responses import Response

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

COMMANDS = Counter("crm_commands_total", "HTTP commands by route and outcome", ["service", "route", "outcome"])
COMMAND_SECONDS = Histogram("crm_command_seconds", "HTTP command latency", ["service", "route"])
PUBLISHED = Counter("crm_events_published_total", "events the outbox relay published", ["service", "topic"])
OUTBOX_BACKLOG = Gauge("crm_outbox_backlog", "recorded events not yet published", ["service"])
PROJECTION_POSITION = Gauge("crm_projection_position", "last notification applied", ["service", "projection"])
PROJECTION_LAG = Gauge("crm_projection_lag", "recorded events not yet applied", ["service", "projection"])
CONSUMED = Counter("crm_messages_consumed_total", "messages consumed by outcome", ["service", "outcome"])
CONSUMER_LAG = Gauge(
    "crm_consumer_lag", "messages on the partition not yet consumed", ["service", "topic", "partition"]
)
DEADLETTERED = Counter("crm_messages_deadlettered_total", "messages parked on the dead-letter topic", ["service"])


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


def configure_logging(fmt: str, level: str = "INFO") -> None:
    """`json`: one JSON object a line (for log shippers); `text`: for people at a terminal."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationFilter())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s", rename_fields={"levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def http_metrics(services: dict[str, str]) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """Middleware: the correlation id in context, and each command counted and timed.
    `services` maps a path prefix to its service name."""

    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        token = correlation_id.set(request.headers.get("x-correlation-id") or str(uuid4()))
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            correlation_id.reset(token)
        prefix = request.url.path.strip("/").split("/")[0]
        service = services.get(prefix)
        if service is not None and request.method != "GET":
            route = getattr(request.scope.get("route"), "path", request.url.path)
            COMMAND_SECONDS.labels(service, f"{request.method} {route}").observe(time.perf_counter() - started)
            COMMANDS.labels(service, f"{request.method} {route}", str(response.status_code)).inc()
        return response

    return middleware
