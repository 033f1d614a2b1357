"""The transactional outbox relay: committed domain events out to the service's topic.

The event store is the outbox. The relay reads the notification log after its recorded
position, translates each domain event into its public CloudEvent (internal events with
no public counterpart are passed over), publishes the batch, and only then records the
new position. An event type may be routed to a topic of its own (`routes`: the
checkpoints go to `crm.checkpoints`, every service's alike). A crash between publishing and recording republishes that batch: delivery
is at-least-once, and consumers dedupe by event id / (subject, sequence).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from eventsourcing.persistence import Notification
from sqlalchemy import Engine

from shared.contracts import CONTENT_TYPE, CloudEvent
from shared.eventstore.application import ServiceApplication
from shared.eventstore.readahead import ReadAhead
from shared.messaging.bus import Publisher, Record
from shared.observability import OUTBOX_BACKLOG, PUBLISHED
from shared.readmodels.positions import advance_position, read_position
from shared.readmodels.positions import metadata as positions_metadata

Translate = Callable[[Any], CloudEvent | None]


class OutboxRelay:
    def __init__(
        self,
        app: ServiceApplication,
        engine: Engine,
        topic: str,
        translate: Translate,
        publisher: Publisher,
        batch_size: int = 500,
        routes: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.topic = topic
        self.translate = translate
        self.publisher = publisher
        self.batch_size = batch_size
        self.routes = dict(routes or {})  # CloudEvent type → topic, instead of `topic`
        self.position_name = f"outbox:{topic}"
        self._ahead = ReadAhead(f"outbox {topic}", self._prepare)
        with engine.begin() as connection:
            positions_metadata.create_all(connection)

    async def publish_once(self) -> int:
        """Publish the next batch; answer how many notifications it held.

        The position row stays locked (PostgreSQL) from reading it until the new one is
        committed, so replicas of a service take turns instead of publishing the same
        batch twice. While a full batch is being sent (mostly waiting for the broker's
        acks), the next one is read and translated ahead (shared.eventstore.readahead).
        """
        connection = await asyncio.to_thread(self.engine.connect)
        try:
            transaction = await asyncio.to_thread(connection.begin)
            position = await asyncio.to_thread(read_position, connection, self.position_name, lock=True)
            notifications, records = await self._ahead.take(position)
            if not notifications:
                await asyncio.to_thread(transaction.commit)
                return 0
            last = notifications[-1].id
            if len(notifications) == self.batch_size:  # more are likely waiting: read them meanwhile
                self._ahead.start(last)
            await self.publisher.publish(records)
            await asyncio.to_thread(advance_position, connection, self.position_name, read=position, to=last)
            await asyncio.to_thread(transaction.commit)
        finally:
            await asyncio.to_thread(connection.close)  # rolls back whatever was not committed
        PUBLISHED.labels(self.app.name, self.topic).inc(len(records))
        return len(notifications)

    def _prepare(self, after: int) -> tuple[list[Notification], list[Record]]:
        """The notifications after `after`, and the records of those with a public event."""
        notifications = self.app.read_notifications(after, self.batch_size)
        records = []
        for notification in notifications:
            public = self.translate(self.app.to_domain_event(notification))
            if public is not None:
                topic = self.routes.get(public.type, self.topic)
                records.append(Record(topic, public.subject, public.to_bytes(), _headers(public)))
        return notifications, records

    def position(self) -> int:
        with self.engine.begin() as connection:
            return read_position(connection, self.position_name)

    def backlog(self) -> int:
        return (self.app.recorder.max_notification_id() or 0) - self.position()

    def measure(self) -> None:
        OUTBOX_BACKLOG.labels(self.app.name).set(self.backlog())


def _headers(event: CloudEvent) -> tuple[tuple[str, bytes], ...]:
    """The CloudEvents content type, and the trace context where the event carries one
    (Kafka's usual place for it, so tracing tools see it without parsing the body)."""
    headers: tuple[tuple[str, bytes], ...] = (("content-type", CONTENT_TYPE.encode()),)
    if event.traceparent:
        headers += (("traceparent", event.traceparent.encode()),)
    return headers
