"""How a test sees that background work has happened in a service process it cannot look
inside: the process's own metrics, and what its consumer group has committed on the broker.
A test that asserts something did NOT happen waits for one of these first, so that a
stalled consumer or job cannot pass it."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from prometheus_client.parser import text_string_to_metric_families


def metric(http: Any, name: str, **labels: str) -> float | None:
    """The value of one sample on the process's /metrics (None while it has none): a
    counter by its sample name (`…_total`), a gauge by its name, and exactly its labels."""
    for family in text_string_to_metric_families(http.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def consumed_to_the_end(bootstrap: str, group: str, topic: str) -> bool:
    """The consumer group has committed, on every partition of `topic`, the log's end: every
    message now on the topic has been handled, since a consumer commits only after the
    transaction that handled the message, and nothing will come again."""
    return asyncio.run(_behind(bootstrap, group, topic)) == 0


def behind(bootstrap: str, group: str, topic: str, timeout: float = 8.0) -> int | None:
    """The group's lag on `topic` as the broker sees it; None when not known within `timeout`
    (a paused broker answers nothing, so the question is given up rather than left hanging)."""

    async def asked() -> int | None:
        try:
            return await asyncio.wait_for(_behind(bootstrap, group, topic, timeout), timeout)
        except (TimeoutError, OSError, KafkaError):
            return None

    return asyncio.run(asked())


async def _behind(bootstrap: str, group: str, topic: str, timeout: float = 10.0) -> int | None:
    """Messages on `topic` past the group's committed offsets; None while not known (no
    partitions yet, or no fetch answered). The log's end is the high watermark a fetch
    reports: some brokers (tansu) answer the end-offsets request one short on some partitions."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)  # no group: it only reads
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await reader.start()
    try:
        await admin.start()
        try:
            partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
            if not partitions:
                return None
            reader.assign(partitions)
            for partition in partitions:
                reader.seek(partition, 0)
            deadline = asyncio.get_running_loop().time() + timeout
            while any(reader.highwater(p) is None for p in partitions):
                if asyncio.get_running_loop().time() > deadline:
                    return None
                await reader.getmany(timeout_ms=100, max_records=1)
            ends = {p: reader.highwater(p) or 0 for p in partitions}
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)  # after the ends
        finally:
            await admin.close()
    finally:
        await reader.stop()
    done = {p: max(committed[p].offset, 0) if p in committed else 0 for p in partitions}  # -1: nothing committed
    return sum(max(end - done[p], 0) for p, end in ends.items())
