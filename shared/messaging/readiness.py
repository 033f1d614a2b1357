"""What /readyz reports: each part of the runtime says what it awaits or what is broken.

'ready'; 'catching up' while starting, joining the consumer groups, or behind by more than
CRM_READY_MAX_LAG; 'not ready' when something is broken: a store or the broker away, a
worker stopped or failing CRM_READY_STUCK_FAILURES times in a row, a start-up step failing.
The problems name each part, with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from shared.messaging.worker import Worker
from shared.service import Service


@dataclass
class Problems:
    waiting: dict[str, str] = field(default_factory=dict)  # awaited: "catching up"
    broken: dict[str, str] = field(default_factory=dict)  # wrong: "not ready"

    def verdict(self) -> tuple[str, dict[str, str]]:
        status = "not ready" if self.broken else "catching up" if self.waiting else "ready"
        return status, {**self.waiting, **self.broken}

    def check_start_up(self, starter: asyncio.Task[None] | None, phase: str, error: str | None, started: bool) -> None:
        """The start-up: its step now (`phase`), and that step's last failure (`error`),
        retried; a failure no retry covers ends the task and this process's chance."""
        ended = starter.exception() if starter is not None and starter.done() and not starter.cancelled() else None
        if ended is not None:
            self.broken["start-up"] = f"{phase} failed: {type(ended).__name__}: {ended}"[:300]
        elif not started:
            if error is not None:
                self.broken["start-up"] = f"{phase} failed, retrying: {error}"
            else:
                self.waiting["start-up"] = phase

    def check_workers(self, tasks: Iterable[asyncio.Task[None]], workers: Iterable[Worker], stuck_after: int) -> None:
        self.broken.update({task.get_name(): "stopped" for task in tasks if task.done()})
        for worker in workers:
            if reason := worker.stuck(stuck_after):
                self.broken[worker.name] = reason

    def check_stores(self, services: Sequence[Service], max_lag: int) -> None:
        """Each service's store answers, and each projection is at most `max_lag` behind it."""
        for service in services:
            try:
                with service.storage.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
                head = service.app.recorder.max_notification_id() or 0
                for projector in service.projectors:
                    lag = head - projector.position()
                    if lag > max_lag:
                        self.waiting[f"{service.name} projection {projector.projection.name}"] = (
                            f"lagging: {lag} events"
                        )
            except Exception as error:  # any failure means: not ready
                self.broken[f"{service.name} store"] = type(error).__name__

    def check_broker(
        self, publishing: bool | None, consuming: bool | None, consumer_lag: Mapping[str, int | None], max_lag: int
    ) -> None:
        """Kafka, once started: the producer connected and the consumers running (None:
        this process has none), each consumer at most `max_lag` messages behind."""
        if publishing is False:
            self.broken["kafka"] = "not connected"
        if consuming is False:
            self.broken["consumers"] = "not running"
        for name, lag in consumer_lag.items():
            if lag is None:
                self.waiting[f"{name} consumer"] = "lag not known yet"
            elif lag > max_lag:
                self.waiting[f"{name} consumer"] = f"lagging: {lag} messages"
