"""What a service's composition root hands to the runtime: its parts, not yet running."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter

from shared.contracts import ReceivedEvent
from shared.eventstore.application import ServiceApplication
from shared.eventstore.storage import Storage
from shared.messaging.outbox import Translate
from shared.readmodels.projection import Projector


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

    def close(self) -> None:
        self.app.close()
        self.storage.engine.dispose()
