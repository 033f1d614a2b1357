"""Runs the background side of services: outbox relays, projectors and consumers.

Two wirings of the same parts. With Kafka configured, relays publish with aiokafka and
consumers subscribe through FastStream, committing offsets only after the message's
transaction (AckPolicy.NACK_ON_ERROR: a failure seeks back and the message comes again).
Without Kafka, an in-process bus carries the same bytes between the services of this one
process. Each worker sleeps until the application records something or the poll interval
passes, so nothing waits on a fast poll.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.bus import InProcessBus, KafkaPublisher, Publisher, Record
from shared.commands import STORE_UNAVAILABLE
from shared.contracts import DEADLETTER, TOPICS
from shared.inbox import Inbox
from shared.observability import CONSUMER_LAG
from shared.outbox import OutboxRelay
from shared.service import Service
from shared.settings import Settings, kafka_security

log = logging.getLogger(__name__)

MAX_PAUSE_SECONDS = 5.0  # the longest a failing worker waits before trying again


class Worker:
    """Repeats `step` (which answers how much it did) until stopped; a failing step is
    logged and retried with a growing pause, never allowed to end the loop."""

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        full: int,
        poll_interval: float,
        on_store_unavailable: Callable[[], None] = lambda: None,
        linger: float = 0.0,
    ) -> None:
        self.name = name
        self.on_store_unavailable = on_store_unavailable
        self.linger = linger
        self.step = step
        self.full = full
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def nudge(self) -> None:
        """Thread-safe: something was recorded, look now."""
        self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stopping: asyncio.Event) -> None:
        pause = self.poll_interval
        while not stopping.is_set():
            self._wake.clear()
            try:
                done = await self.step()
                pause = self.poll_interval
            except STORE_UNAVAILABLE as error:
                # Expected during an outage: one line, no traceback, and the HTTP side
                # learns it at once. The pause stays short so recovery is quick.
                log.warning("%s: store unavailable (%s); retrying in %.1fs", self.name, type(error).__name__, pause)
                self.on_store_unavailable()
                done = 0
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            except Exception:
                log.exception("%s failed; retrying in %.1fs", self.name, pause)
                done = 0
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            if done >= self.full:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=pause)
            except TimeoutError:
                continue
            if self.linger:
                await asyncio.sleep(self.linger)  # woken by a commit: let a few more join the batch


class Runtime:
    def __init__(
        self,
        services: Sequence[Service],
        settings: Settings,
        on_store_unavailable: Callable[[], None] = lambda: None,
    ) -> None:
        self.services = list(services)
        self.on_store_unavailable = on_store_unavailable
        self.settings = settings
        self.bus: InProcessBus | None = None
        self.relays: dict[str, OutboxRelay] = {}
        self._publisher: KafkaPublisher | None = None
        self._broker: KafkaBroker | None = None
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[Worker] = []

    async def start(self) -> None:
        publisher = await self._connect()
        for service in self.services:
            workers = []
            if service.publishes_to and service.translate:
                relay = OutboxRelay(
                    service.app,
                    service.storage.engine,
                    self._topic(service.publishes_to),
                    service.translate,
                    publisher,
                    self.settings.batch_size,
                )
                self.relays[service.name] = relay
                workers.append(
                    Worker(
                        f"{service.name} outbox",
                        relay.publish_once,
                        relay.batch_size,
                        self.settings.poll_interval,
                        self.on_store_unavailable,
                        self.settings.batch_linger,
                    )
                )
            for projector in service.projectors:
                workers.append(
                    Worker(
                        f"{service.name} projector {projector.projection.name}",
                        _in_thread(projector.run_once),
                        projector.batch_size,
                        self.settings.poll_interval,
                        self.on_store_unavailable,
                        self.settings.batch_linger,
                    )
                )
            for worker in workers:
                service.app.on_recorded(worker.nudge)
            for job in service.jobs:
                workers.append(Worker(f"{service.name} {job.name}", _in_thread(_counted(job.run)), 1, job.interval))
            for worker in workers:
                self._workers.append(worker)
                self._tasks.append(asyncio.create_task(worker.run(self._stopping), name=worker.name))
        measure = Worker("metrics", self._measure_all, 1, 5.0)
        self._workers.append(measure)
        self._tasks.append(asyncio.create_task(measure.run(self._stopping), name="metrics"))
        if self._broker is not None:
            await self._broker.start()

    async def _measure_all(self) -> int:
        await asyncio.to_thread(self._measure)
        await self._measure_consumer_lag()
        return 0

    async def _measure_consumer_lag(self) -> None:
        """Per assigned partition: the log end the consumer last saw, minus its position."""
        if self._broker is None:
            return
        for subscriber in self._broker.subscribers:
            consumer = getattr(subscriber, "consumer", None)
            if consumer is None:
                continue
            service = (getattr(subscriber, "group_id", None) or "").removeprefix(self.settings.kafka_group_prefix)
            for partition in consumer.assignment():
                end = consumer.highwater(partition)
                if end is not None:
                    lag = max(end - await consumer.position(partition), 0)
                    CONSUMER_LAG.labels(service, partition.topic, str(partition.partition)).set(lag)

    def _measure(self) -> int:
        """Backlog and lag gauges, every few seconds rather than on the hot path."""
        for relay in self.relays.values():
            relay.measure()
        for service in self.services:
            for projector in service.projectors:
                projector.measure()
        return 0

    def health(self) -> dict[str, str]:
        """What readiness needs: every worker alive, the stores and the broker answering."""
        problems = {task.get_name(): "stopped" for task in self._tasks if task.done()}
        for service in self.services:
            try:
                with service.storage.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
                service.app.recorder.max_notification_id()
            except Exception as error:  # any failure means: not ready
                problems[f"{service.name} store"] = type(error).__name__
        if self._publisher is not None and not self._publisher.connected():
            problems["kafka"] = "not connected"
        if self._broker is not None and not self._broker.running:
            problems["consumers"] = "not running"
        return problems

    async def stop(self) -> None:
        if self._broker is not None:
            await self._broker.stop()  # stop taking messages first
        self._stopping.set()
        for worker in self._workers:
            worker.nudge()  # a sleeping worker wakes, sees the stop, and returns
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._publisher is not None:
            await self._publisher.stop()

    async def _connect(self) -> Publisher:
        servers = self.settings.kafka_bootstrap_servers
        if not servers:
            self.bus = InProcessBus(self.settings.data_dir / "deadletter.jsonl")
            for service in self.services:
                if service.handle is not None:
                    inbox = Inbox(service.name, service.handle, self.bus)
                    for topic in service.subscribes_to:
                        self.bus.subscribe(topic, _ignore_outcome(inbox))
            return self.bus
        security = kafka_security(self.settings)
        await ensure_topics(servers, [self._topic(t) for t in TOPICS], self.settings.kafka_partitions, security)
        self._publisher = KafkaPublisher(
            servers,
            client_id="crm-" + "-".join(s.name for s in self.services),
            idempotent=self.settings.kafka_idempotent_producer,
            security=security,
        )
        await self._publisher.start()
        consumers = [s for s in self.services if s.handle is not None]
        if consumers:
            self._broker = self._kafka_consumers(servers, consumers, self._publisher)
        return self._publisher

    def _topic(self, name: str) -> str:
        return self.settings.kafka_topic_prefix + name

    def _kafka_consumers(self, servers: str, services: Sequence[Service], publisher: Publisher) -> KafkaBroker:
        # FastStream's per-message lines at DEBUG: our inbox logs what matters (parking).
        broker = KafkaBroker(
            servers,
            client_id="crm-consumers",
            logger=log,
            log_level=logging.DEBUG,
            security=faststream_security(self.settings),
        )
        for service in services:
            assert service.handle is not None
            inbox = Inbox(
                service.name,
                service.handle,
                publisher,
                deadletter_topic=self._topic(DEADLETTER),
                handle_batch=service.app.handle_batch,
            )
            broker.subscriber(
                *(self._topic(t) for t in service.subscribes_to),
                group_id=self.settings.kafka_group_prefix + service.name,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
                # What one poll brings is applied in one transaction; the offsets are
                # committed after it, or the whole batch comes again.
                batch=True,
                max_records=self.settings.batch_size,
                ack_policy=AckPolicy.NACK_ON_ERROR,
                # FastStream must not fail on a message before our inbox sees it: a
                # failure there is acked unprocessed or retried forever, never parked.
                parser=_lenient_parser,
                decoder=_raw_body,
                no_reply=True,
            )(_consumer(inbox))
        return broker


def _in_thread(step: Callable[[], int]) -> Callable[[], Awaitable[int]]:
    async def run() -> int:
        return await asyncio.to_thread(step)

    return run


def _counted(run: Callable[[], object]) -> Callable[[], int]:
    """A job never asks to run again at once: its interval is its pace."""

    def step() -> int:
        run()
        return 0

    return step


def _ignore_outcome(inbox: Inbox) -> Callable[[Record], Awaitable[None]]:
    async def deliver(record: Record) -> None:
        await inbox.receive(record)

    return deliver


async def ensure_topics(
    servers: str, topics: Sequence[str], partitions: int, security: dict[str, Any] | None = None
) -> None:
    """Create the SPEC's topics if they are missing (in Kubernetes, Strimzi owns them)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=servers, **(security or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another replica was quicker
    finally:
        await admin.close()


def _consumer(inbox: Inbox) -> Callable[[KafkaMessage], Awaitable[None]]:
    async def consume(message: KafkaMessage) -> None:
        await inbox.receive_batch([_record(raw) for raw in message.raw_message])

    return consume


def _record(raw: ConsumerRecord) -> Record:
    key = raw.key.decode(errors="replace") if raw.key else None
    return Record(raw.topic, key, raw.value or b"", tuple(raw.headers or ()))


async def _lenient_parser(
    records: tuple[ConsumerRecord, ...], original: Callable[[tuple[ConsumerRecord, ...]], Awaitable[Any]]
) -> Any:
    """Header values that are null or not UTF-8 become readable text; a `reply_to` header
    is dropped, so no message can make this consumer publish anywhere."""
    return await original(tuple(_readable(record) for record in records))


def _readable(record: ConsumerRecord) -> ConsumerRecord:
    headers = tuple(
        (name, (value or b"").decode("utf-8", errors="replace").encode())
        for name, value in record.headers or ()
        if name != "reply_to"
    )
    return dataclasses.replace(record, headers=headers)


async def _raw_body(message: Any) -> bytes:
    """The inbox parses the body itself, so that a bad body is parked with its reason."""
    return message.body


def faststream_security(settings: Settings) -> Any:
    """The same TLS / SASL choice, in FastStream's terms (None: plaintext)."""
    from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    options = kafka_security(settings)
    use_ssl = protocol.endswith("SSL")
    if protocol == "SSL":
        return BaseSecurity(ssl_context=options["ssl_context"], use_ssl=True)
    sasl = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}[
        settings.kafka_sasl_mechanism
    ]
    return sasl(
        username=options["sasl_plain_username"],
        password=options["sasl_plain_password"],
        ssl_context=options.get("ssl_context"),
        use_ssl=use_ssl,
    )
