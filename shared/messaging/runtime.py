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
from aiokafka.errors import IllegalStateError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.contracts import CHECKPOINTS, DEADLETTER, TOPICS
from shared.contracts.events import CheckpointRecorded
from shared.eventstore.retries import STORE_UNAVAILABLE
from shared.messaging.bus import InProcessBus, KafkaPublisher, Publisher, Record
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import OutboxRelay
from shared.observability import CONSUMER_LAG
from shared.service import Service
from shared.settings import Settings, kafka_security

log = logging.getLogger(__name__)

MAX_PAUSE_SECONDS = 5.0  # the longest a failing worker waits before trying again
ABANDON_JOIN_SECONDS = 2.0  # at shutdown, the longest to wait for consumers still joining their groups
SLOW_START_SECONDS = 30.0  # a start-up step taking longer is logged (and again each time as long)


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
        self.failures = 0  # consecutive failed steps; 0 after any step that succeeds
        self.last_error: str | None = None

    def stuck(self, after: int) -> str | None:
        """What readiness reports once `after` steps in a row have failed."""
        return f"stuck: {self.last_error}" if self.failures >= after else None

    def _failed(self, error: Exception) -> None:
        self.failures += 1
        self.last_error = type(error).__name__

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
                self.failures = 0
            except STORE_UNAVAILABLE as error:
                # Expected during an outage: one line, no traceback, and the HTTP side
                # learns it at once. The pause stays short so recovery is quick.
                log.warning("%s: store unavailable (%s); retrying in %.1fs", self.name, type(error).__name__, pause)
                self.on_store_unavailable()
                self._failed(error)
                done = 0
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            except Exception as error:
                log.exception("%s failed; retrying in %.1fs", self.name, pause)
                self._failed(error)
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
    """`start` returns at once, so the process serves HTTP (and /healthz) from its first
    second: connecting to Kafka and joining the consumer groups — seconds, or tens of seconds
    after a replica died holding partitions — go on in the background, and `readiness`
    says what is awaited. A step that fails is logged and retried, and readiness names it."""

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
        self._starter: asyncio.Task[None] | None = None
        self._phase = "starting"  # what the start-up is doing now, for readiness
        self._start_error: str | None = None  # the last failure of that step, retried
        self._started = False
        self._consumer_lag: dict[str, int | None] = {}  # per consuming service; None: not known yet

    async def start(self) -> None:
        """Begin starting, in the background. Without Kafka nothing can keep the start-up
        waiting (an in-process bus, local stores), so it is done before this returns."""
        self._starter = asyncio.create_task(self._start(), name="start-up")
        if not self.settings.kafka_bootstrap_servers:
            await self._starter
        else:
            self._starter.add_done_callback(_log_failure)

    async def _start(self) -> None:
        # The read models and the jobs need no broker: they run (and catch up) at once.
        for service in self.services:
            for projector in service.projectors:
                worker = Worker(
                    f"{service.name} projector {projector.projection.name}",
                    _in_thread(projector.run_once),
                    projector.batch_size,
                    self.settings.poll_interval,
                    self.on_store_unavailable,
                    self.settings.batch_linger,
                )
                service.app.on_recorded(worker.nudge)
                self._run(worker)
            for job in service.jobs:
                self._run(Worker(f"{service.name} {job.name}", _in_thread(_counted(job.run)), 1, job.interval))
        self._run(Worker("metrics", self._measure_all, 1, 5.0))
        if self.settings.kafka_bootstrap_servers:
            publisher = await self._retrying("connecting to Kafka", self._connect_or_clean_up)
        else:
            publisher = await self._connect()
        for service in self.services:
            if service.publishes_to and service.translate:
                relay = OutboxRelay(
                    service.app,
                    service.storage.engine,
                    self._topic(service.publishes_to),
                    service.translate,
                    publisher,
                    self.settings.batch_size,
                    routes={CheckpointRecorded.TYPE: self._topic(CHECKPOINTS)},
                )
                self.relays[service.name] = relay
                worker = Worker(
                    f"{service.name} outbox",
                    relay.publish_once,
                    relay.batch_size,
                    self.settings.poll_interval,
                    self.on_store_unavailable,
                    self.settings.batch_linger,
                )
                service.app.on_recorded(worker.nudge)
                self._run(worker)
        if self._broker is not None:
            await self._retrying("joining the consumer groups", self._start_consumers)
            self._consumer_lag = {name: None for name in self._consumer_lag}
            self._run(Worker("consumer lag", self._measure_consumer_lag, 1, 1.0))
        self._phase = "started"
        self._started = True
        log.info("runtime started: %s", ", ".join(s.name for s in self.services))

    def _run(self, worker: Worker) -> None:
        self._workers.append(worker)
        self._tasks.append(asyncio.create_task(worker.run(self._stopping), name=worker.name))

    async def _retrying(self, phase: str, step: Callable[[], Awaitable[Any]]) -> Any:
        """Run a start-up step until it succeeds, logging each failure (and a step that
        takes long), with a growing pause between tries."""
        self._phase = phase
        pause = self.settings.poll_interval
        first = True
        while True:
            attempt = asyncio.ensure_future(step())
            waited = 0.0
            try:
                while not attempt.done():
                    await asyncio.wait({attempt}, timeout=SLOW_START_SECONDS)
                    if not attempt.done():
                        waited += SLOW_START_SECONDS
                        log.warning("start-up: still %s after %.0fs", phase, waited)
            except asyncio.CancelledError:
                attempt.cancel()
                await asyncio.gather(attempt, return_exceptions=True)
                raise
            error = attempt.exception()
            if error is None:
                self._start_error = None
                return attempt.result()
            self._start_error = f"{type(error).__name__}: {error}"[:300]
            log.error(
                "start-up: %s failed (%s); retrying in %.1fs", phase, self._start_error, pause,
                exc_info=error if first else None,  # the traceback once, then one line a try
            )
            first = False
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)

    async def _connect_or_clean_up(self) -> Publisher:
        try:
            return await self._connect()
        except Exception:
            publisher, self._publisher = self._publisher, None
            if publisher is not None:
                try:
                    await publisher.stop()  # before another try makes a new one
                except Exception:
                    log.debug("stopping a publisher that failed to start", exc_info=True)
            raise

    async def _start_consumers(self) -> None:
        assert self._broker is not None
        try:
            await self._broker.start()
        except Exception:
            broken, self._broker = self._broker, self._rebuild_consumers()
            try:
                await broken.stop()  # whatever it had started, before another try
            except Exception:
                log.debug("stopping consumers that failed to start", exc_info=True)
            raise

    async def _measure_all(self) -> int:
        await asyncio.to_thread(self._measure)
        return 0

    async def _measure_consumer_lag(self) -> int:
        """Per assigned partition: the log end the consumer last saw, minus its position;
        per service, the sum, or None while a partition's is not known yet (no fetch answered)."""
        if self._broker is None:
            return 0
        for subscriber in self._broker.subscribers:
            service = (getattr(subscriber, "group_id", None) or "").removeprefix(self.settings.kafka_group_prefix)
            consumer = getattr(subscriber, "consumer", None)
            if consumer is None:
                self._consumer_lag[service] = None
                continue
            total: int | None = 0
            for partition in consumer.assignment():
                try:
                    end = consumer.highwater(partition)
                    position = None if end is None else await asyncio.wait_for(consumer.position(partition), 1.0)
                except (AssertionError, IllegalStateError, TimeoutError):
                    end = position = None  # taken away by a rebalance meanwhile, or no position yet
                if end is None or position is None:
                    total = None
                    continue
                lag = max(end - position, 0)
                CONSUMER_LAG.labels(service, partition.topic, str(partition.partition)).set(lag)
                if total is not None:
                    total += lag
            self._consumer_lag[service] = total
        return 0

    def _measure(self) -> int:
        """Backlog and lag gauges, every few seconds rather than on the hot path."""
        for relay in self.relays.values():
            relay.measure()
        for service in self.services:
            for projector in service.projectors:
                projector.measure()
        return 0

    def readiness(self) -> tuple[str, dict[str, str]]:
        """'ready'; 'catching up' while starting, joining the consumer groups, or behind by
        more than CRM_READY_MAX_LAG; 'not ready' when something is broken: a store or the
        broker away, a worker stopped or failing CRM_READY_STUCK_FAILURES times in a row, a
        start-up step failing. The problems name each, with the reason."""
        waiting: dict[str, str] = {}
        broken: dict[str, str] = {}
        starter = self._starter
        error = starter.exception() if starter is not None and starter.done() and not starter.cancelled() else None
        if error is not None:  # a failure no retry covers: this process will not become ready
            broken["start-up"] = f"{self._phase} failed: {type(error).__name__}: {error}"[:300]
        elif not self._started:
            if self._start_error is not None:
                broken["start-up"] = f"{self._phase} failed, retrying: {self._start_error}"
            else:
                waiting["start-up"] = self._phase
        broken.update({task.get_name(): "stopped" for task in self._tasks if task.done()})
        for worker in self._workers:
            if reason := worker.stuck(self.settings.ready_stuck_failures):
                broken[worker.name] = reason
        limit = self.settings.ready_max_lag
        for service in self.services:
            try:
                with service.storage.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
                head = service.app.recorder.max_notification_id() or 0
                for projector in service.projectors:
                    lag = head - projector.position()
                    if lag > limit:
                        waiting[f"{service.name} projection {projector.projection.name}"] = f"lagging: {lag} events"
            except Exception as error:  # any failure means: not ready
                broken[f"{service.name} store"] = type(error).__name__
        if self._started:
            if self._publisher is not None and not self._publisher.connected():
                broken["kafka"] = "not connected"
            if self._broker is not None and not self._broker.running:
                broken["consumers"] = "not running"
            for name, lag in self._consumer_lag.items():
                if lag is None:
                    waiting[f"{name} consumer"] = "lag not known yet"
                elif lag > limit:
                    waiting[f"{name} consumer"] = f"lagging: {lag} messages"
        status = "not ready" if broken else "catching up" if waiting else "ready"
        return status, {**waiting, **broken}

    def health(self) -> dict[str, str]:
        """What readiness needs, by part: empty when ready."""
        return self.readiness()[1]

    async def stop(self) -> None:
        if self._starter is not None:
            self._starter.cancel()  # still connecting or joining: give that up
            await asyncio.gather(self._starter, return_exceptions=True)
        if self._broker is not None and self._started:
            await self._broker.stop()  # stop taking messages first
        elif self._broker is not None:
            # Still joining: nothing was handed to this process, nothing is in flight. A
            # pending join answers only when the group settles, so leave it unanswered.
            try:
                await asyncio.wait_for(self._broker.stop(), timeout=ABANDON_JOIN_SECONDS)
            except TimeoutError:
                log.info("shutdown: consumers still joining their groups were abandoned")
            except Exception:
                log.warning("shutdown: stopping consumers still joining their groups failed", exc_info=True)
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
            self._consumer_lag = {s.name: None for s in consumers}
        return self._publisher

    def _rebuild_consumers(self) -> KafkaBroker:
        assert self.settings.kafka_bootstrap_servers and self._publisher is not None
        consumers = [s for s in self.services if s.handle is not None]
        return self._kafka_consumers(self.settings.kafka_bootstrap_servers, consumers, self._publisher)

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


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("start-up failed: %s: %s", type(error).__name__, error, exc_info=error)


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
