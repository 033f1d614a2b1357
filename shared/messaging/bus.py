"""The message bus port and its two adapters: Kafka (aiokafka) and in-process.

Both carry the same bytes and headers, so a service cannot tell which one it runs on.
`publish` returns only when every record is durably accepted (Kafka: acks=all) or, on the
in-process bus, handled by every subscriber, and raises otherwise: the outbox relay then
keeps its position and tries again (at-least-once).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from shared.contracts import CHECKPOINTS, CONTENT_TYPE, DEADLETTER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    topic: str
    key: str | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = field(default=(("content-type", CONTENT_TYPE.encode()),))

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value.decode(errors="replace")
        return None


class Publisher(Protocol):
    async def publish(self, records: Sequence[Record]) -> None: ...


Handler = Callable[[Sequence[Record]], Awaitable[None]]  # takes a batch, in the order published


class InProcessBus:
    """The embedded default's bus: topics are lists of subscribers in this process.

    A subscriber is handed, as one batch, the records of one `publish` on its topics (an
    outbox relay's batch), as a Kafka consumer is handed a poll's: the consumers of the
    embedded process run the same batch path as those of a distributed one.

    Dead letters are appended to a JSON-lines file so that, as with Kafka, nothing a
    consumer refused is lost; so are the checkpoints (`checkpoints.jsonl` beside it, one
    CloudEvent a line, as exported from the topic): the copy `crm audit verify
    --checkpoints` holds the store to.
    """

    def __init__(self, deadletter_file: Path | None = None) -> None:
        self._subscribers: dict[str, list[Handler]] = defaultdict(list)
        self._deadletter_file = deadletter_file
        self._checkpoint_file = deadletter_file.parent / "checkpoints.jsonl" if deadletter_file else None
        self.deadletters: list[Record] = []

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._subscribers[topic].append(handler)

    async def publish(self, records: Sequence[Record]) -> None:
        batches: dict[Handler, list[Record]] = {}
        for record in records:
            if record.topic == DEADLETTER:
                self._park(record)
            elif record.topic == CHECKPOINTS and self._checkpoint_file is not None:
                self._checkpoint_file.parent.mkdir(parents=True, exist_ok=True)
                with self._checkpoint_file.open("ab") as out:
                    out.write(record.value + b"\n")
            for handler in self._subscribers.get(record.topic, ()):
                batches.setdefault(handler, []).append(record)
        for handler, batch in batches.items():
            await handler(batch)

    def _park(self, record: Record) -> None:
        self.deadletters.append(record)
        if self._deadletter_file is not None:
            self._deadletter_file.parent.mkdir(parents=True, exist_ok=True)
            line = {
                "key": record.key,
                "value": record.value.decode(errors="replace"),
                "headers": {k: v.decode(errors="replace") for k, v in record.headers},
            }
            with self._deadletter_file.open("a", encoding="utf-8") as out:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")


class KafkaPublisher:
    """Publishes records with aiokafka, acks=all.

    Order per key holds without the idempotent producer: aiokafka keeps at most one batch
    in flight per partition, so a retried batch cannot overtake the next. Idempotence only
    spares consumers a duplicate they already discard, and some Kafka-protocol brokers
    (tansu, used by the tests) do not implement it: hence a setting, off by default.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str,
        idempotent: bool = False,
        security: Mapping[str, object] | None = None,
    ) -> None:
        from aiokafka import AIOKafkaProducer

        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            acks="all",
            enable_idempotence=idempotent,
            linger_ms=5,
            **(security or {}),
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    def connected(self) -> bool:
        return not self._producer._closed and self._producer.client.cluster.brokers() != set()

    async def publish(self, records: Sequence[Record]) -> None:
        pending = [
            await self._producer.send(
                record.topic,
                value=record.value,
                key=record.key.encode() if record.key is not None else None,
                headers=list(record.headers),
            )
            for record in records
        ]
        if pending:
            await asyncio.gather(*pending)
