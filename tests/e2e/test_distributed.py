"""The distributed mode: three processes, PostgreSQL, and a Kafka-protocol broker.

A plain aiokafka consumer reads the topics as an analytics team would, to check what
actually travels: the envelope, the types, the keys and the order.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.contracts import CloudEvent, Money
from shared.contracts import events as public
from tests.support.flow import CLOSE_DATE, drive_first_flow, eventually, pipeline_stage
from tests.support.processes import running_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def distributed(database_url, kafka, tmp_path_factory):
    with running_cluster(database_url, kafka, tmp_path_factory.mktemp("distributed")) as cluster:
        yield cluster


async def read_topic(bootstrap: str, topic: str, until: int, timeout: float = 15.0) -> list:
    # No consumer group: an analytics reader assigning itself every partition starts at once.
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    if not partitions:
        await consumer.stop()
        return []
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    records: list = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < until and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=300)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


def test_one_deal_travels_through_three_processes_over_kafka(distributed, kafka):
    result = drive_first_flow(distributed.http)

    registration = [
        r
        for r in asyncio.run(read_topic(kafka, distributed.topic_prefix + "crm.registration", until=3))
        if r.key.decode() in (result.lead_id, result.deal_id)
    ]
    assert sorted((json.loads(r.value)["type"], r.key.decode()) for r in registration) == sorted(
        [
            ("crm.lead.captured.v1", result.lead_id),
            ("crm.lead.converted.v1", result.lead_id),
            ("crm.deal.registered.v1", result.deal_id),
        ]
    )
    for record in registration:
        document = json.loads(record.value)
        assert dict(record.headers)["content-type"] == b"application/cloudevents+json; charset=UTF-8"
        assert document["specversion"] == "1.0"
        assert document["source"] == "crm/registration"
        assert record.key.decode() == document["subject"]
    deal_registered = next(json.loads(r.value) for r in registration if b"deal.registered" in r.value)
    assert deal_registered["subject"] == result.deal_id
    assert deal_registered["actor"] == "rep-1"
    assert deal_registered["data"]["value"] == {"amount": "100000.00", "currency": "CNY"}

    pipeline = asyncio.run(read_topic(kafka, distributed.topic_prefix + "crm.pipeline", until=2))
    deal_events = [json.loads(r.value) for r in pipeline if r.key.decode() == result.deal_id]
    assert [(e["type"], e["data"]["to_stage"], e["sequence"]) for e in deal_events] == [
        ("crm.deal.stage_changed.v1", "prospecting", "2"),
        ("crm.deal.stage_changed.v1", "proposal", "3"),
    ]
    assert deal_events[1]["data"]["from_stage"] == "prospecting"
    assert deal_events[1]["data"]["probability"] == 65


def test_a_poison_message_is_parked_on_the_deadletter_topic_and_the_consumer_carries_on(distributed, kafka):
    from aiokafka import AIOKafkaProducer

    topic = distributed.topic_prefix + "crm.registration"
    deal_id = str(uuid.uuid4())
    good = CloudEvent.of(
        public.DealRegistered(
            deal_id=deal_id,
            name="after the poison",
            account=public.AccountRef(id="a-9", name="Poison-proof Ltd."),
            value=Money(amount=Decimal("500"), currency="CNY"),
            expected_close_date=CLOSE_DATE,
            owner_id="rep-9",
            registration_status="approved",
        ),
        source="crm/registration",
        subject=deal_id,
        sequence=1,
        time=datetime.now(UTC),
        actor="rep-9",
        correlation_id="poison-test",
    )

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka)
        await producer.start()
        try:
            # Same key, so same partition: the good event queues behind every poison.
            key = deal_id.encode()
            await producer.send_and_wait(topic, b"{this is not a cloudevent", key=key)
            await producer.send_and_wait(
                topic, b"{also not json", key=key, headers=[("content-type", b"application/json")]
            )
            await producer.send_and_wait(topic, b"{bad header}", key=key, headers=[("x-odd", b"\xff\xfe")])
            await producer.send_and_wait(topic, b"{wants a reply}", key=key, headers=[("reply_to", b"")])
            await producer.send_and_wait(topic, good.to_bytes(), key=key)
        finally:
            await producer.stop()

    asyncio.run(send())
    eventually(lambda: pipeline_stage(distributed.http, deal_id) == "prospecting", timeout=30)

    def parked_from_the_registration_topic():
        # Only what came from crm.registration: the pipeline's own stage_changed for this
        # injected deal is rightly parked too (by registration, which never registered it).
        records = asyncio.run(read_topic(kafka, distributed.topic_prefix + "crm.deadletter", until=1000, timeout=3))
        mine = [
            r
            for r in records
            if r.key.decode() == deal_id and dict(r.headers).get("deadletter-topic") == topic.encode()
        ]
        return mine if len(mine) >= 4 else None

    parked = eventually(parked_from_the_registration_topic, timeout=30)
    assert [r.value for r in parked] == [
        b"{this is not a cloudevent",
        b"{also not json",
        b"{bad header}",
        b"{wants a reply}",
    ]
    headers = {k: v.decode() for k, v in parked[0].headers}
    assert headers["deadletter-reason"].startswith("not JSON")
    assert headers["deadletter-consumer"] == "pipeline"
    assert headers["deadletter-topic"] == topic


def test_forecast_snapshots_reach_the_forecast_topic(distributed, kafka):
    records = asyncio.run(read_topic(kafka, distributed.topic_prefix + "crm.forecast", until=3))
    documents = [json.loads(r.value) for r in records]
    assert len(documents) >= 3
    assert {d["type"] for d in documents} == {"crm.forecast.snapshot_taken.v1"}
    assert all(d["source"] == "crm/forecast" and d["data"]["period"] for d in documents)


def test_each_consumer_reports_its_lag_per_partition(distributed):
    def lag_lines():
        text = distributed.processes["pipeline"].client().get("/metrics").text
        lines = [line for line in text.splitlines() if line.startswith("crm_consumer_lag{")]
        return lines or None

    lines = eventually(lag_lines, timeout=20)
    assert all('service="pipeline"' in line and "crm.registration" in line for line in lines)
    assert {float(line.split()[-1]) for line in lines} == {0.0}  # caught up
