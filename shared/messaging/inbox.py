"""The consumer side, common to Kafka and the in-process bus.

Every message comes through `Inbox.receive_batch` (what one Kafka poll, or one publish on
the in-process bus, brings): a malformed one is parked on the dead-letter topic with its
reason, an unknown type is skipped, the known ones are handed to the service, which applies
them effectively once (it records the upstream positions in the same transaction as its
own events). Transient failures (the database is away) propagate, so the messages are not
acknowledged and come again; anything else is a poison message and is parked, and the
consumer carries on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Literal

from eventsourcing.persistence import IntegrityError

from shared.contracts import DEADLETTER, MalformedEvent, ReceivedEvent, UnknownEvent, parse_event
from shared.errors import ConcurrentUpdate
from shared.eventstore.retries import STORE_UNAVAILABLE
from shared.messaging.bus import Publisher, Record
from shared.observability import CONSUMED, DEADLETTERED, correlation_id

log = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConcurrentUpdate,  # lost the race for an aggregate three times: try the message again
    IntegrityError,
    *STORE_UNAVAILABLE,
)

Outcome = Literal["applied", "skipped", "deadlettered"]


class Inbox:
    def __init__(
        self,
        consumer: str,
        handle: Callable[[ReceivedEvent], None],
        deadletter: Publisher,
        retry_delay: float = 0.5,
        deadletter_topic: str = DEADLETTER,
        handle_batch: Callable[[list[ReceivedEvent]], None] | None = None,
    ) -> None:
        self.consumer = consumer
        self.handle_batch = handle_batch
        self.deadletter_topic = deadletter_topic
        self.handle = handle
        self.deadletter = deadletter
        self.retry_delay = retry_delay

    async def receive(self, record: Record) -> Outcome:
        outcome = await self._receive(record)
        CONSUMED.labels(self.consumer, outcome).inc()
        return outcome

    async def _receive(self, record: Record) -> Outcome:
        event = await self._parse(record)
        if isinstance(event, str):
            return event
        return await self._apply(record, event)

    async def receive_batch(self, records: Sequence[Record]) -> None:
        """A batch from one poll: malformed messages parked, unknown types skipped, the rest
        applied in one transaction; if that fails for any reason but the store being away,
        one at a time, so that a poison message is parked alone and the others applied."""
        parsed: list[tuple[Record, ReceivedEvent]] = []
        for record in records:
            event = await self._parse(record)
            if isinstance(event, str):
                CONSUMED.labels(self.consumer, event).inc()
            else:
                parsed.append((record, event))
        if len(parsed) > 1 and self.handle_batch is not None:
            try:
                await asyncio.to_thread(self.handle_batch, [event for _, event in parsed])
            except STORE_UNAVAILABLE:
                await asyncio.sleep(self.retry_delay)  # the whole batch comes again
                raise
            except Exception as error:
                log.info(
                    "a batch of %d failed (%s); applying it one message at a time", len(parsed), type(error).__name__
                )
            else:
                CONSUMED.labels(self.consumer, "applied").inc(len(parsed))
                return
        for record, event in parsed:
            CONSUMED.labels(self.consumer, await self._apply(record, event)).inc()

    async def _parse(self, record: Record) -> ReceivedEvent | Outcome:
        try:
            event = parse_event(record.value)
        except MalformedEvent as error:
            await self.park(record, str(error))
            return "deadlettered"
        if isinstance(event, UnknownEvent):
            log.info("skipping unknown event type %s", event.envelope.type)
            return "skipped"
        return event

    async def _apply(self, record: Record, event: ReceivedEvent) -> Outcome:
        correlation_id.set(event.envelope.correlationid)
        try:
            await asyncio.to_thread(self.handle, event)
        except TRANSIENT_ERRORS:
            await asyncio.sleep(self.retry_delay)  # no hot loop while the store is away
            raise
        except Exception as error:  # a poison message must not stop the consumer
            log.exception("parking %s %s", event.envelope.type, event.envelope.id)
            await self.park(record, f"{type(error).__name__}: {error}")
            return "deadlettered"
        return "applied"

    async def park(self, record: Record, reason: str) -> None:
        headers = (
            *record.headers,
            ("deadletter-reason", reason.encode()),
            ("deadletter-consumer", self.consumer.encode()),
            ("deadletter-topic", record.topic.encode()),
        )
        await self.deadletter.publish([Record(self.deadletter_topic, record.key, record.value, headers)])
        DEADLETTERED.labels(self.consumer).inc()
        log.warning("parked a message on %s: %s", self.deadletter_topic, reason)
