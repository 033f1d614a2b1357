"""What a service's composition root hands to the runtime: its parts, not yet running."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter

from shared.contracts import ReceivedEvent
from shared.eventstore.application import ServiceApplication
from shared.eventstore.checkpoints import Checkpointer
from shared.eventstore.storage import Storage
from shared.messaging.outbox import Translate
from shared.readmodels.projection import Projection, Projector
from shared.settings import Settings
from shared.web.live import LiveFeed


@dataclass(frozen=True)
class Job:
    """Work the runtime repeats every `interval` seconds (sweepers, alerts)."""

    name: str
    interval: float
    run: Callable[[], object]


@dataclass
class Service:
    name: str
    app: ServiceApplication
    router: APIRouter
    storage: Storage
    publishes_to: str | None = None
    translate: Translate | None = None
    subscribes_to: tuple[str, ...] = ()
    handle: Callable[[ReceivedEvent], None] | None = None
    projectors: list[Projector] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    live: LiveFeed | None = None  # the stream of "the read models moved on" its api serves

    def close(self) -> None:
        self.app.close()
        self.storage.engine.dispose()


def assemble(
    name: str,
    settings: Settings,
    storage: Storage,
    app: ServiceApplication,
    projection: Projection,
    router: APIRouter,
    *,
    publishes_to: str,
    translate: Translate,
    subscribes_to: tuple[str, ...],
    jobs: list[Job],
    live: LiveFeed | None = None,
) -> Service:
    """What every composition root does the same way: make the projection's tables (anew
    when CRM_RECREATE_VIEWS), checkpoint the store beside the service's own jobs, and hand
    upstream events to the application's `handle` (`handle_batch` for a whole poll); a live
    feed watches the projection's position, and is nudged when it commits."""
    projector = Projector(app, storage.engine, projection, settings.batch_size)
    projector.create_tables(recreate=settings.recreate_views)
    if live is not None:
        live.watch([projector.position_name])
        projector.listeners.append(live.nudge)
    checkpoints = Job("checkpoints", settings.checkpoint_interval_seconds, Checkpointer(app, name).scheduled)
    return Service(
        name=name,
        app=app,
        router=router,
        storage=storage,
        publishes_to=publishes_to,
        translate=translate,
        subscribes_to=subscribes_to,
        handle=app.handle,
        projectors=[projector],
        jobs=[*jobs, checkpoints],
        live=live,
    )
