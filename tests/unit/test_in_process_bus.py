"""The in-process bus: each subscriber is handed one publish as one batch, as a Kafka
consumer is handed a poll, so the embedded consumers take the batch path production takes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.messaging.bus import InProcessBus, Record


def test_a_subscriber_is_handed_the_records_of_one_publish_on_its_topics_as_one_batch_in_order():
    bus = InProcessBus()
    batches: list[list[str | None]] = []

    async def consume(records: Sequence[Record]) -> None:
        batches.append([record.key for record in records])

    bus.subscribe("a", consume)
    bus.subscribe("b", consume)
    asyncio.run(
        bus.publish([Record("a", "1", b""), Record("c", "x", b""), Record("b", "2", b""), Record("a", "3", b"")])
    )
    assert batches == [["1", "2", "3"]]


def test_a_topic_nobody_subscribes_to_is_handed_to_nobody():
    bus = InProcessBus()
    handed: list[Sequence[Record]] = []

    async def consume(records: Sequence[Record]) -> None:
        handed.append(records)

    bus.subscribe("a", consume)
    asyncio.run(bus.publish([Record("b", "1", b"")]))
    assert handed == []
