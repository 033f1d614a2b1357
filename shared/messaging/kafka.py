"""Kafka for the runtime: the topics made at start-up, the consumers (FastStream over
aiokafka, a poll's messages handed to the inbox as one batch), their lag, and the TLS /
SASL choice in FastStream's terms (aiokafka's are `shared.settings.kafka_security`).

Offsets are committed only after the batch's transaction (AckPolicy.NACK_ON_ERROR: a
failure seeks back and the batch comes again).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

from aiokafka import ConsumerRecord
from aiokafka.errors import IllegalStateError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.messaging.bus import Record
from shared.messaging.inbox import Inbox
from shared.observability import CONSUMER_LAG
from shared.settings import Settings, kafka_security

log = logging.getLogger(__name__)


async def ensure_topics(
    servers: str, topics: Sequence[str], partitions: int, security: Mapping[str, object] | None = None
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


@dataclasses.dataclass(frozen=True)
class Subscription:
    """One service's consumer: its group, its topics (prefixed), its inbox."""

    group: str
    topics: tuple[str, ...]
    inbox: Inbox


BATCH_TIMEOUT_MS = 20  # the longest a consumer waits for a poll's first record, and then sleeps


def consumers(settings: Settings, subscriptions: Sequence[Subscription]) -> KafkaBroker:
    """A broker (not started) whose subscribers feed each inbox a poll's batch at a time."""
    assert settings.kafka_bootstrap_servers
    # FastStream's per-message lines at DEBUG: our inbox logs what matters (parking).
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id="crm-consumers",
        logger=log,
        log_level=logging.DEBUG,
        security=faststream_security(settings),
    )
    for subscription in subscriptions:
        broker.subscriber(
            *subscription.topics,
            group_id=subscription.group,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
            # What one poll brings is applied in one transaction; the offsets are
            # committed after it, or the whole batch comes again.
            batch=True,
            max_records=settings.batch_size,
            # A poll that finds nothing makes FastStream sleep as long again before the next:
            # its default (200 ms) was up to 200 ms more for the first event after a quiet spell.
            batch_timeout_ms=BATCH_TIMEOUT_MS,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            # FastStream must not fail on a message before our inbox sees it: a
            # failure there is acked unprocessed or retried forever, never parked.
            parser=_lenient_parser,
            decoder=_raw_body,
            no_reply=True,
        )(_consumer(subscription.inbox))
    return broker


async def consumer_lag(broker: KafkaBroker, group_prefix: str) -> dict[str, int | None]:
    """Per consuming service (its group without `group_prefix`): the sum over its assigned
    partitions of the log end the consumer last saw minus its position, or None while a
    partition's is not known yet (no fetch answered). Each partition's lag is a gauge."""
    lags: dict[str, int | None] = {}
    for subscriber in broker.subscribers:
        service = (getattr(subscriber, "group_id", None) or "").removeprefix(group_prefix)
        consumer = getattr(subscriber, "consumer", None)
        if consumer is None:
            lags[service] = None
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
        lags[service] = total
    return lags


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
    # cast: credentials the settings lack reach FastStream as None, as they always did (the
    # broker then refuses the login); its signature wants str.
    return sasl(
        username=cast("str", options["sasl_plain_username"]),
        password=cast("str", options["sasl_plain_password"]),
        ssl_context=options.get("ssl_context"),
        use_ssl=use_ssl,
    )


# -- FastStream shims: the inbox sees every message as it came ----------------------------------


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
    body: bytes = message.body
    return body
