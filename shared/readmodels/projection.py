"""Projectors: read models kept from a service's own notification log.

A projection names its tables and says how one domain event changes them. The projector
applies a batch of events and advances its position in the same database transaction, so
after a crash it resumes exactly where the last commit left it: nothing missed, nothing
applied twice. Dropping the tables and the position rebuilds the projection from scratch.

An event the projection cannot apply never stops it: a failed batch is applied again one
event at a time, and the event that fails on its last attempt is parked (`shared.readmodels.parking`:
recorded with its error, a metric, a log line) while the projector moves on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, MetaData, text

from shared.eventstore.application import ServiceApplication
from shared.eventstore.retries import STORE_UNAVAILABLE
from shared.observability import PROJECTION_LAG, PROJECTION_PARKED, PROJECTION_POSITION
from shared.readmodels.parking import metadata as parking_metadata
from shared.readmodels.parking import park, parked, unpark
from shared.readmodels.positions import (
    PositionMoved,
    advance_position,
    read_position,
    read_shape,
    record_shape,
    reset_position,
)
from shared.readmodels.positions import metadata as positions_metadata

log = logging.getLogger(__name__)

# Failures no single event causes: never parked, always raised to the runner.
_NOT_PARKED: tuple[type[Exception], ...] = (*STORE_UNAVAILABLE, PositionMoved)


def shape_of(metadata: MetaData) -> str:
    """A fingerprint of the tables, columns, types and indexes a projection declares."""
    parts = []
    for table in metadata.sorted_tables:
        parts.append(table.name)
        parts.extend(f"{c.name}:{c.type}:{c.primary_key}:{c.nullable}" for c in table.columns)
        parts.extend(sorted(f"{i.name}:{','.join(c.name for c in i.columns)}" for i in table.indexes))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


class Projection(Protocol):
    name: str
    metadata: MetaData

    def apply(self, connection: Connection, event: Any) -> None:
        """Change the read model for one domain event. A projection may also offer
        `apply_batch(connection, events)`, which the projector then prefers: fewer round
        trips for the same result."""


def _commit_without_waiting_for_disk(connection: Connection) -> None:
    """PostgreSQL: this transaction's commit returns before its WAL reaches the disk. A read
    model is derived data, and its position commits with its rows: should the server crash
    before the flush, both are lost together and the projector applies those events again
    from the event store (whose own commits stay synchronous). Nothing missed, nothing twice."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")


def taking_turns(connection: Connection, name: str) -> None:
    """PostgreSQL: wait for, and hold until this transaction ends, the lock of this name in
    this schema, so that replicas starting together create or reshape tables one at a time."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || :name))"), {"name": name})


class Projector:
    def __init__(
        self,
        app: ServiceApplication,
        engine: Engine,
        projection: Projection,
        batch_size: int = 500,
        attempts: int = 3,
    ) -> None:
        self.app = app
        self.engine = engine
        self.projection = projection
        self.batch_size = batch_size
        self.attempts = attempts  # tries of one event before it is parked
        self.position_name = f"projection:{projection.name}"
        self._failures: dict[int, int] = {}  # notification id -> failed attempts so far
        # Called (from the projector's thread) once a batch has committed: live feeds look at once.
        self.listeners: list[Callable[[], None]] = []

    def create_tables(self, *, recreate: bool = False) -> None:
        """Create the read model's tables. When the code's tables differ from the ones the
        store holds (a new table, column or index since the last start), drop them and
        rebuild from the event store rather than serve a read model of the wrong shape."""
        shape = shape_of(self.projection.metadata)
        with self.engine.begin() as connection:
            # Replicas starting together take turns: the first drops and recreates, the next
            # finds the new shape and keeps it (without the lock both rebuilt, and racing
            # CREATE TABLEs could fail a start).
            taking_turns(connection, f"crm:create-tables:{self.position_name}")
            positions_metadata.create_all(connection)
            parking_metadata.create_all(connection)
            stored = read_shape(connection, self.position_name)
            applied = read_position(connection, self.position_name)
            if not recreate and stored != shape and (stored is not None or applied):
                log.warning("projection %s changed shape: rebuilding it from the event store", self.projection.name)
                recreate = True
            if recreate:
                self.projection.metadata.drop_all(connection)
                reset_position(connection, self.position_name)
            self.projection.metadata.create_all(connection)
            record_shape(connection, self.position_name, shape)

    def run_once(self, stop: int | None = None, until: datetime | None = None) -> int:
        """Apply the next batch; answer how many events it held (parked ones included).
        `stop` ends at that notification; `until` at the last event recorded at or before
        that instant."""
        try:
            return self._apply(self.batch_size, stop, until)
        except _NOT_PARKED:
            raise
        except Exception:
            log.warning("projection %s: a batch failed; applying it one event at a time", self.projection.name)
            return self._one_at_a_time(stop, until)

    def _one_at_a_time(self, stop: int | None, until: datetime | None) -> int:
        done = 0
        while done < self.batch_size:
            try:
                applied = self._apply(1, stop, until)
            except _NOT_PARKED:
                raise
            except Exception as error:
                self._park_or_raise(error, stop)
                applied = 1
            if applied == 0:
                break
            done += applied
        return done

    def _park_or_raise(self, error: Exception, stop: int | None) -> None:
        """Count a failed attempt at the next event; re-raise until it has had its
        attempts (the worker retries with a growing pause), then park it and move on."""
        with self.engine.begin() as connection:
            position = read_position(connection, self.position_name, lock=True)
            notification = next(iter(self.app.read_notifications(position, 1)), None)
            if notification is None or (stop is not None and notification.id > stop):
                raise error
            attempts = self._failures.get(notification.id, 0) + 1
            self._failures[notification.id] = attempts
            if attempts < self.attempts:
                raise error
            park(connection, self.projection.name, notification, error, attempts)
            advance_position(connection, self.position_name, read=position, to=notification.id)
        self._failures.pop(notification.id, None)
        PROJECTION_PARKED.labels(self.app.name, self.projection.name).inc()
        log.error(
            "projection %s parked event %s (%s v%s) after %s attempts: %s",
            self.projection.name,
            notification.id,
            notification.topic,
            notification.originator_version,
            attempts,
            f"{type(error).__name__}: {error}"[:500],
        )

    def _apply(self, limit: int, stop: int | None, until: datetime | None) -> int:
        applied = self._apply_committed(limit, stop, until)
        if applied:
            for listener in self.listeners:
                listener()
        return applied

    def _apply_committed(self, limit: int, stop: int | None, until: datetime | None) -> int:
        with self.engine.begin() as connection:
            _commit_without_waiting_for_disk(connection)
            position = read_position(connection, self.position_name, lock=True)
            notifications = self.app.read_notifications(position, limit)
            if stop is not None:
                notifications = [n for n in notifications if n.id <= stop]
            events = []
            for notification in notifications:
                event = self.app.to_domain_event(notification)
                if until is not None and event.timestamp > until:
                    break
                events.append(event)
            applied = len(events)
            if events:
                self._apply_events(connection, events)
            if applied:
                last = notifications[applied - 1].id
                advance_position(connection, self.position_name, read=position, to=last)
            return applied

    def retry_parked(self, notification_ids: list[int] | None = None) -> tuple[list[int], list[int]]:
        """Apply parked events again (all of this projection's, or those named), each in a
        transaction of its own: applied ones leave the parked list, failing ones stay with
        their new error. Answers (applied, still parked). An event is applied as it is,
        after the events that followed it: for a projection whose rows depend on order,
        `crm replay <service> --restart --replace` is the thorough repair."""
        with self.engine.connect() as connection:
            rows = parked(connection, self.projection.name)
        wanted = [row for row in rows if notification_ids is None or row["notification_id"] in notification_ids]
        applied, failing = [], []
        for row in wanted:
            notification_id = row["notification_id"]
            notification = next(iter(self.app.recorder.select_notifications(start=notification_id, limit=1)), None)
            if notification is None or notification.id != notification_id:
                failing.append(notification_id)  # no longer in the store: `crm audit verify` says more
                continue
            try:
                with self.engine.begin() as connection:
                    self._apply_events(connection, [self.app.to_domain_event(notification)])
                    unpark(connection, self.projection.name, notification_id)
                applied.append(notification_id)
            except _NOT_PARKED:
                raise
            except Exception as error:
                with self.engine.begin() as connection:
                    unpark(connection, self.projection.name, notification_id)
                    park(connection, self.projection.name, notification, error, row["attempts"] + 1)
                failing.append(notification_id)
        return applied, failing

    def _apply_events(self, connection: Connection, events: list[Any]) -> None:
        apply_batch = getattr(self.projection, "apply_batch", None)
        if apply_batch is not None:
            apply_batch(connection, events)
        else:
            for event in events:
                self.projection.apply(connection, event)

    def position(self) -> int:
        with self.engine.begin() as connection:
            return read_position(connection, self.position_name)

    def measure(self) -> None:
        position = self.position()
        PROJECTION_POSITION.labels(self.app.name, self.projection.name).set(position)
        PROJECTION_LAG.labels(self.app.name, self.projection.name).set(
            (self.app.recorder.max_notification_id() or 0) - position
        )

    def catch_up(self) -> None:
        """Apply everything recorded so far (an event that keeps failing is parked)."""
        failures = 0
        while True:
            try:
                if self.run_once() < self.batch_size:
                    return
                failures = 0
            except _NOT_PARKED:
                raise
            except Exception:
                failures += 1
                if failures > self.attempts:  # parking itself fails: give up, loudly
                    raise
