"""The ASGI application: the routers of the chosen services, and their background runtime.

The same function builds the embedded default (all four services, one process) and a
distributed service (one of them), so both modes run exactly the same code: the same
routes, and the same runtime, whose consumers take a delivery as one batch whether it came
from Kafka or from the in-process bus.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from crm.console import console_app
from crm.console import install as install_console
from crm.demo_route import install as install_demo
from shared.clock import Clock
from shared.messaging.runtime import Runtime
from shared.observability import CommandMetrics
from shared.service import Service
from shared.settings import Settings
from shared.web.gate import StoreGate, postgres_probe
from shared.web.http import BodyLimit, FailFastWhileStoreIsAway, install_error_handlers
from shared.web.idempotency import Idempotency, Keyed, Replies
from shared.web.identity import Authenticator, BearerIdentity, HeaderIdentity
from shared.web.inputs import CheckedInput, install_validation_handler
from shared.web.openapi import install as install_openapi

SERVICES = ("registration", "pipeline", "forecast", "notifications")


def bootstrap_services(settings: Settings, names: Sequence[str], clock: Clock | None = None) -> list[Service]:
    from services.forecast.bootstrap import bootstrap as forecast
    from services.notifications.bootstrap import bootstrap as notifications
    from services.pipeline.bootstrap import bootstrap as pipeline
    from services.registration.bootstrap import bootstrap as registration

    builders = {
        "registration": lambda: registration(settings, clock=clock),
        "pipeline": lambda: pipeline(settings, clock=clock),
        "forecast": lambda: forecast(settings, clock=clock),
        "notifications": lambda: notifications(settings, clock=clock),
    }
    return [builders[name]() for name in names]


def authenticator(settings: Settings) -> Authenticator:
    """Bearer JWTs where an issuer is configured; the identity headers otherwise."""
    if not settings.auth_issuer:
        return HeaderIdentity()
    key = settings.auth_key_file.read_text() if settings.auth_key_file else None
    if key is None and settings.auth_key is not None:
        key = settings.auth_key.get_secret_value()
    return BearerIdentity(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        key=key,
        jwks_url=settings.auth_jwks_url,
        algorithms=tuple(a.strip() for a in settings.auth_algorithms.split(",") if a.strip()),
        leeway=settings.auth_leeway_seconds,
    )


def serving(settings: Settings, target: str) -> FastAPI:
    """What `crm serve <target>` runs: all four services, one, or only the console's files."""
    if target == "console":
        return console_app()
    return create_app(settings, SERVICES if target == "all" else (target,))


def create_app(
    settings: Settings, names: Sequence[str] = SERVICES, clock: Clock | None = None, close_services: bool = True
) -> FastAPI:
    """`close_services=False` keeps the stores open across lifespans, for harnesses that
    start and stop the application per request (the API fuzzer)."""
    services = bootstrap_services(settings, names, clock)
    url = settings.database_url.get_secret_value() if settings.database_url else None
    gate = StoreGate(postgres_probe(url) if url else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(services, settings, on_store_unavailable=gate.trip)
        await runtime.start()  # returns at once: Kafka and the consumer groups come in the background
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()
            if close_services:
                for service in services:
                    service.close()

    title = "CRM deal pipeline" if len(names) > 1 else f"CRM {names[0]}"
    # /docs is installed below (Swagger UI served from this process); no ReDoc (it would load from a CDN).
    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.services = {service.name: service for service in services}
    app.state.trace_propagation = settings.trace_propagation
    app.state.authenticator = authenticator(settings)
    app.state.store_gate = gate
    install_error_handlers(app)
    install_validation_handler(app)
    keyed = {service.name: Keyed(service.app, Replies(service.storage.engine)) for service in services}
    app.add_middleware(Idempotency, services=keyed, authenticator=app.state.authenticator)  # inside CheckedInput
    app.add_middleware(CheckedInput)
    app.add_middleware(FailFastWhileStoreIsAway, gate=gate, prefixes={f"/{service.name}" for service in services})
    app.add_middleware(CommandMetrics, services={service.name: service.name for service in services})
    # Multipart bodies: the larger of an import's and an attached file's limit (plus the
    # form's own bytes); each route holds its file to its own limit.
    upload_limit = max(settings.max_upload_bytes, settings.attachment_max_bytes + 65_536)
    app.add_middleware(BodyLimit, max_json=settings.max_request_bytes, max_upload=upload_limit)
    for service in services:
        app.include_router(service.router)
    install_openapi(app, [service.name for service in services], bearer=bool(settings.auth_issuer))

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness: the process answers. Nothing it depends on is checked here, so a
        database outage makes the pod unready, never restarts it."""
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Readiness: stores and broker reachable, every relay, projector and consumer running
        and caught up. 503 "catching up" while starting, joining the consumer groups or lagging;
        503 "not ready" when something is broken; `problems` gives each reason."""
        runtime = getattr(app.state, "runtime", None)
        status, problems = runtime.readiness() if runtime is not None else ("catching up", {"runtime": "starting"})
        return JSONResponse({"status": status, "problems": problems}, 200 if status == "ready" else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    if len(names) > 1 and not settings.kafka_bootstrap_servers:  # embedded: the console may load demo data
        install_demo(app)
    if len(names) > 1:  # the embedded process serves the console too; last, so every API route wins
        install_console(app, api_prefixes=SERVICES)
    return app
