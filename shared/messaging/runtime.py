"""Runs the background side of services: outbox relays, projectors, jobs and consumers.

Two wirings of the same parts. With Kafka configured, relays publish with aiokafka and
consumers subscribe through FastStream (`shared.messaging.kafka`). Without Kafka, an
in-process bus carries the same bytes between the services of this one process. Either
way a service's consumer is the same inbox, handed each delivery as one batch
(`Inbox.receive_batch`, applied through the application's `handle_batch`). Every part
runs in a `Worker`; `readiness` says what the runtime awaits, or what is broken.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from faststream.kafka import KafkaBroker

from shared.contracts import CHECKPOINTS, DEADLETTER, TOPICS
from shared.contracts.events import CheckpointRecorded
from shared.messaging import kafka
from shared.messaging.bus import InProcessBus, KafkaPublisher, Publisher
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import OutboxRelay
from shared.messaging.readiness import Problems
from shared.messaging.worker import MAX_PAUSE_SECONDS, Worker, counted, in_thread
from shared.service import Service
from shared.settings import Settings, kafka_security

log = logging.getLogger(__name__)

ABANDON_JOIN_SECONDS = 2.0  # at shutdown, the longest to wait for consumers still joining their groups
SLOW_START_SECONDS = 30.0  # a start-up step taking longer is logged (and again each time as long)


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
                    in_thread(projector.run_once),
                    projector.batch_size,
                    self.settings.poll_interval,
                    self.on_store_unavailable,
                    self.settings.batch_linger,
                )
                service.app.on_recorded(worker.nudge)
                self._run(worker)
            for job in service.jobs:
                self._run(Worker(f"{service.name} {job.name}", in_thread(counted(job.run)), 1, job.interval))
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
                "start-up: %s failed (%s); retrying in %.1fs",
                phase,
                self._start_error,
                pause,
                exc_info=error if first else None,  # the traceback once, then one line a try
            )
            first = False
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)

    # -- the two wirings ----------------------------------------------------------------------

    async def _connect(self) -> Publisher:
        servers = self.settings.kafka_bootstrap_servers
        if not servers:
            self.bus = InProcessBus(self.settings.data_dir / "deadletter.jsonl")
            for service in self._consumers():
                inbox = self._inbox(service, self.bus, DEADLETTER)
                for topic in service.subscribes_to:
                    self.bus.subscribe(topic, inbox.receive_batch)
            return self.bus
        security = kafka_security(self.settings)
        await kafka.ensure_topics(servers, [self._topic(t) for t in TOPICS], self.settings.kafka_partitions, security)
        self._publisher = KafkaPublisher(
            servers,
            client_id="crm-" + "-".join(s.name for s in self.services),
            idempotent=self.settings.kafka_idempotent_producer,
            security=security,
        )
        await self._publisher.start()
        if self._consumers():
            self._broker = self._kafka_consumers()
            self._consumer_lag = {s.name: None for s in self._consumers()}
        return self._publisher

    def _consumers(self) -> list[Service]:
        return [s for s in self.services if s.handle is not None]

    def _inbox(self, service: Service, deadletter: Publisher, deadletter_topic: str) -> Inbox:
        """A service's consumer, the same on either wiring."""
        assert service.handle is not None
        return Inbox(
            service.name,
            service.handle,
            deadletter,
            deadletter_topic=deadletter_topic,
            handle_batch=service.app.handle_batch,
        )

    def _kafka_consumers(self) -> KafkaBroker:
        assert self._publisher is not None
        return kafka.consumers(
            self.settings,
            [
                kafka.Subscription(
                    group=self.settings.kafka_group_prefix + service.name,
                    topics=tuple(self._topic(t) for t in service.subscribes_to),
                    inbox=self._inbox(service, self._publisher, self._topic(DEADLETTER)),
                )
                for service in self._consumers()
            ],
        )

    def _topic(self, name: str) -> str:
        return self.settings.kafka_topic_prefix + name

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
            broken, self._broker = self._broker, self._kafka_consumers()
            try:
                await broken.stop()  # whatever it had started, before another try
            except Exception:
                log.debug("stopping consumers that failed to start", exc_info=True)
            raise

    # -- measuring and reporting --------------------------------------------------------------

    async def _measure_all(self) -> int:
        await asyncio.to_thread(self._measure)
        return 0

    def _measure(self) -> int:
        """Backlog and lag gauges, every few seconds rather than on the hot path."""
        for relay in self.relays.values():
            relay.measure()
        for service in self.services:
            for projector in service.projectors:
                projector.measure()
        return 0

    async def _measure_consumer_lag(self) -> int:
        if self._broker is not None:
            self._consumer_lag.update(await kafka.consumer_lag(self._broker, self.settings.kafka_group_prefix))
        return 0

    def readiness(self) -> tuple[str, dict[str, str]]:
        """(status, problems): see `shared.messaging.readiness`."""
        problems = Problems()
        problems.check_start_up(self._starter, self._phase, self._start_error, self._started)
        problems.check_workers(self._tasks, self._workers, self.settings.ready_stuck_failures)
        problems.check_stores(self.services, self.settings.ready_max_lag)
        if self._started:
            problems.check_broker(
                publishing=None if self._publisher is None else self._publisher.connected(),
                consuming=None if self._broker is None else self._broker.running,
                consumer_lag=self._consumer_lag,
                max_lag=self.settings.ready_max_lag,
            )
        return problems.verdict()

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


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("start-up failed: %s: %s", type(error).__name__, error, exc_info=error)
