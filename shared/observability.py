"""Metrics (Prometheus), structured logs (JSON, with the correlation id) and the context
that carries the correlation id through HTTP requests and consumed messages.

Metric names follow Prometheus conventions; every one is labelled by service, so the
embedded process (three services in one) reports them apart.
"""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any
from uuid import uuid4

from prometheus_client import Counter, Gauge, Histogram
from pythonjsonlogger.json import JsonFormatter
from starlette.types import ASGIApp, Receive, Scope, Send

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
PROJECTION_PARKED = Counter(
    "crm_projection_parked_total", "events a projection could not apply and set aside", ["service", "projection"]
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
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
                rename_fields={"levelname": "level"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class CommandMetrics:
    """ASGI middleware: the correlation id in context, and each command counted and timed
    by service, route and outcome. `services` maps a path prefix to its service name.
    (Plain ASGI rather than Starlette's BaseHTTPMiddleware: a fraction of its cost.)"""

    def __init__(self, app: ASGIApp, services: dict[str, str]) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = dict(scope.get("headers") or []).get(b"x-correlation-id", b"").decode("latin-1")
        token = correlation_id.set(given or str(uuid4()))
        started = time.perf_counter()
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            correlation_id.reset(token)
            service = self.services.get(scope["path"].strip("/").split("/")[0])
            if service is not None and scope["method"] != "GET":
                route = f"{scope['method']} {getattr(scope.get('route'), 'path', scope['path'])}"
                COMMAND_SECONDS.labels(service, route).observe(time.perf_counter() - started)
                COMMANDS.labels(service, route, str(status)).inc()
