"""The event paths behind the commands: the outbox relay to Kafka, a projection applying the
log, the consumer applying another service's events, and a rebuild of a million events;
each beside the raw cost of the same necessary work, measured in the same run."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import StoredEvent

from bench.common import (
    COMMANDS,
    EVENTS,
    REBUILD_EVENTS,
    REPEATS,
    URL,
    Row,
    Spread,
    fill,
    rate,
    registered,
    repeat,
    versus,
)
from services.pipeline.bootstrap import bootstrap as pipeline_service
from shared.contracts import parse_event
from shared.messaging.bus import KafkaPublisher
from shared.messaging.kafka import ensure_topics
from shared.messaging.outbox import OutboxRelay
from shared.settings import Settings

BATCH = 500  # a consumer poll's batch and the relay's: the baselines write in the same sizes


def relay_and_projection(prefix: str, bootstrap_servers: str, rows: list[Row]) -> None:
    service = pipeline_service(Settings(database_url=URL, schema_prefix=prefix, poll_interval=60))
    fill(service, EVENTS, per_deal=200)
    total = service.app.recorder.max_notification_id() or 0
    payloads = [
        (p.subject.encode(), p.to_bytes())
        for n in service.app.read_notifications(0, total)
        if (p := service.translate(service.app.to_domain_event(n)))
    ]

    async def publish(run: int) -> tuple[float, float]:
        topic = f"{prefix}bench.pipeline.{run}"  # a topic per run: the relay starts from the first event
        await ensure_topics(bootstrap_servers, [topic, topic + ".raw"], 6)
        publisher = KafkaPublisher(bootstrap_servers, "bench")
        await publisher.start()
        relay = OutboxRelay(service.app, service.storage.engine, topic, service.translate, publisher, batch_size=BATCH)
        started = time.perf_counter()
        while await relay.publish_once():
            pass
        ours = rate(total, time.perf_counter() - started)
        await publisher.stop()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", linger_ms=5)
        await producer.start()
        started = time.perf_counter()
        for start in range(0, len(payloads), BATCH):
            futures = [await producer.send(topic + ".raw", value=v, key=k) for k, v in payloads[start : start + BATCH]]
            await asyncio.gather(*futures)
        raw = rate(len(payloads), time.perf_counter() - started)
        await producer.stop()
        return ours, raw

    pairs = [asyncio.run(publish(run)) for run in range(REPEATS)]
    ours, raw = Spread(tuple(p[0] for p in pairs)), Spread(tuple(p[1] for p in pairs))
    every = min(o / r for o, r in pairs)
    relayed = versus("outbox relay → Kafka (tansu)", ours, "raw aiokafka", raw, 0.8)
    relayed[4], relayed[5] = "≥ 80%, every run", every >= 0.8
    relayed[3] += f" (lowest run {every:.0%})"
    rows.append(relayed)

    projector = service.projectors[0]

    def project(_: int) -> float:
        projector.create_tables(recreate=True)
        started = time.perf_counter()
        projector.catch_up()
        return rate(total, time.perf_counter() - started)

    def read_log(_: int) -> float:
        started, position, read = time.perf_counter(), 0, 0
        while batch := service.app.read_notifications(position, BATCH):
            read += len(batch)
            position = batch[-1].id
        return rate(read, time.perf_counter() - started)

    rows.append(versus("projection apply (PostgreSQL)", repeat(project), "raw log read", repeat(read_log), 0.5))
    service.close()
    consumer(prefix, rows)


def consumer(prefix: str, rows: list[Row]) -> None:
    """Ours: parse a poll's batch and apply it in one transaction (each event decided on its
    deal, the deals' events recorded). The baseline is the raw cost of that effect: the very
    events it recorded, written to a fresh store of the same kind by eventsourcing's recorder
    in batches of the same size, with no reads and no decisions."""
    ours, raw = [], []
    for run in range(REPEATS):
        service = pipeline_service(Settings(database_url=URL, schema_prefix=f"{prefix}c{run}", poll_interval=60))
        documents = [registered(str(uuid.uuid4()), n).envelope.to_bytes() for n in range(COMMANDS)]
        started = time.perf_counter()
        for start in range(0, len(documents), BATCH):
            service.app.handle_batch([parse_event(d) for d in documents[start : start + BATCH]])
        ours.append(rate(len(documents), time.perf_counter() - started))
        recorded = stored_events(service)
        service.close()
        raw.append(raw_write(recorded, len(documents), f"{prefix}w{run}"))
    row = versus(
        f"consumer apply, batches of {BATCH} (registration → pipeline)",
        Spread(tuple(ours)),
        "raw recorder write of its events",
        Spread(tuple(raw)),
        0.5,
    )
    row[4], row[5] = "≥ 10,000/s and ≥ 50%", row[5] and Spread(tuple(ours)).median >= 10_000
    rows.append(row)


def stored_events(service: Any) -> list[StoredEvent]:
    last = service.app.recorder.max_notification_id() or 0
    return [
        StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)
        for n in service.app.read_notifications(0, last + 1)
    ]


def raw_write(recorded: list[StoredEvent], messages: int, prefix: str) -> float:
    """A consumer's baseline: the events it recorded for `messages` messages, written to a
    fresh pipeline store (schemas under `prefix`) by the recorder alone, as many a
    transaction as one poll's batch of BATCH messages recorded; messages per second."""
    target = pipeline_service(Settings(database_url=URL, schema_prefix=prefix, poll_interval=60))
    per_batch = max(1, len(recorded) * BATCH // messages)
    started = time.perf_counter()
    for start in range(0, len(recorded), per_batch):
        target.app.recorder.insert_events(recorded[start : start + per_batch])
    seconds = time.perf_counter() - started
    target.close()
    return rate(messages, seconds)


def rebuild(prefix: str, rows: list[Row]) -> None:
    service = pipeline_service(Settings(database_url=URL, schema_prefix=prefix, poll_interval=60))
    started = time.perf_counter()
    fill(service, REBUILD_EVENTS, per_deal=1000)
    stored = service.app.recorder.max_notification_id()
    print(f"  stored {stored:,} events in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    service.close()
    results = []
    for _ in range(REPEATS):  # each in a process of its own: its peak memory is the rebuild's alone
        child = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("rebuild.py")), URL, prefix],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    ours = Spread(tuple(rate(r["events"], r["ours_seconds"]) for r in results))
    raw = Spread(tuple(rate(r["raw_rows"], r["raw_seconds"]) for r in results))
    rows.append(versus(f"rebuild of {results[0]['events']:,} events", ours, "raw SELECT", raw, 0.5))
    last = results[-1]["rss"]
    memory = ", ".join(f"{k} {v:,.0f}" for k, v in last.items())
    flat = all(r["rss"]["100%"] - r["rss"]["10%"] < 0.25 * r["rss"]["10%"] for r in results)
    peak = Spread(tuple(r["rss"]["peak"] for r in results)).text(" MiB")
    rows.append(["  its resident memory (MiB), last run", memory, f"peak (VmHWM) {peak}", "", "flat", flat])
