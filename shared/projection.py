"""Projectors: read models kept from a service's own notification log.

A projection names its tables and says how one domain event changes them. The projector
applies a batch of events and advances its position in the same database transaction, so
after a crash it resumes exactly where the last commit left it: nothing missed, nothing
applied twice. Dropping the tables and the position rebuilds the projection from scratch.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, MetaData

from shared.eventstore import ServiceApplication
from shared.observability import PROJECTION_LAG, PROJECTION_POSITION
from shared.positions import advance_position, read_position, read_shape, record_shape, reset_position
from shared.positions import metadata as positions_metadata

log = logging.getLogger(__name__)


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


class Projector:
    def __init__(
        self,
        app: ServiceApplication,
        engine: Engine,
        projection: Projection,
        batch_size: int = 500,
    ) -> None:
        self.app = app
        self.engine = engine
        self.projection = projection
        self.batch_size = batch_size
        self.position_name = f"projection:{projection.name}"

    def create_tables(self, *, recreate: bool = False) -> None:
        """Create the read model's tables. When the code's tables differ from the ones the
        store holds (a new table, column or index since the last start), drop them and
        rebuild from the event store rather than serve a read model of the wrong shape."""
        shape = shape_of(self.projection.metadata)
        with self.engine.begin() as connection:
            positions_metadata.create_all(connection)
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
        """Apply the next batch; answer how many events it held. `stop` ends at that
        notification; `until` at the last event recorded at or before that instant."""
        with self.engine.begin() as connection:
            position = read_position(connection, self.position_name, lock=True)
            notifications = self.app.read_notifications(position, self.batch_size)
            if stop is not None:
                notifications = [n for n in notifications if n.id <= stop]
            events = []
            for notification in notifications:
                event = self.app.to_domain_event(notification)
                if until is not None and event.timestamp > until:
                    break
                events.append(event)
            applied = len(events)
            apply_batch = getattr(self.projection, "apply_batch", None)
            if apply_batch is not None and events:
                apply_batch(connection, events)
            else:
                for event in events:
                    self.projection.apply(connection, event)
            if applied:
                last = notifications[applied - 1].id
                advance_position(connection, self.position_name, read=position, to=last)
            return applied

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
        while self.run_once() == self.batch_size:
            pass
