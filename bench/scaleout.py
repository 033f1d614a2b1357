"""Scale out (`CRM_BENCH_ONLY=scaleout`): the pipeline service as one and as two processes
(`crm serve pipeline`, PostgreSQL, the bench's tansu broker) sharing the partitions of one
consumer group, consuming CRM_BENCH_SCALEOUT_EVENTS registration events (10,000) from a
topic of CRM_BENCH_SCALEOUT_PARTITIONS partitions (6).

Each run starts its replicas on a fresh store, topic and group, waits until the group has
given every replica its partitions, then produces every event at full speed; the rate is
events per second from the first send until the pipeline's read model shows every deal
(the replicas consume, decide, record, project and relay, as in production). Beside it,
the raw recorder write of the very events the run recorded, in the same batches
(bench/flow.py's consumer baseline), and the CPU each process used (bench/cputime.py):
what bounds the rate on a machine of os.cpu_count() cores."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from typing import Any

import psycopg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.group import MemberAssignment

from bench.common import REPEATS, URL, Row, Spread, rate, registered, serve, wait_until
from bench.cputime import Snapshot, backends_serving, cores_used
from bench.flow import BATCH, raw_write, stored_events
from services.pipeline.bootstrap import bootstrap as pipeline_service
from shared.contracts import CONTENT_TYPE, REGISTRATION
from shared.messaging.kafka import ensure_topics
from shared.settings import Settings
from tests.support.processes import ServiceProcess

EVENTS = int(os.environ.get("CRM_BENCH_SCALEOUT_EVENTS", "10000"))
PARTITIONS = int(os.environ.get("CRM_BENCH_SCALEOUT_PARTITIONS", "6"))
REPLICAS = (1, 2)


def measure(prefix: str, bootstrap_servers: str, broker_pid: int, rows: list[Row]) -> None:
    rates: dict[int, list[float]] = {n: [] for n in REPLICAS}
    raws: list[float] = []
    cores: dict[int, list[dict[str, float]]] = {n: [] for n in REPLICAS}
    for run in range(REPEATS):
        for replicas in REPLICAS:  # alternated, so that the machine's swings fall on both
            place = f"{prefix}{replicas}r{run}_"
            events, used = consume(place, bootstrap_servers, broker_pid, replicas)
            rates[replicas].append(events)
            cores[replicas].append(used)
            if replicas == 1:  # the baseline: the very events one replica recorded
                service = pipeline_service(Settings(database_url=URL, schema_prefix=place, poll_interval=60))
                recorded = stored_events(service)
                service.close()
                raws.append(raw_write(recorded, EVENTS, f"{place}w"))
    raw = Spread(tuple(raws))
    for replicas in REPLICAS:
        ours = Spread(tuple(rates[replicas]))
        rows.append(
            [
                f"pipeline consuming {EVENTS:,} registration events from Kafka, {replicas} replica(s), "
                f"{PARTITIONS} partitions (until the read model shows all)",
                ours.text(),
                f"raw recorder write of its events, batches of {BATCH}: {raw.text()}",
                f"{ours.median / raw.median:.0%}",
                "",
                None,
            ]
        )
        rows.append(["  cores busy, median of runs", cpu_text(cores[replicas]), f"of {os.cpu_count()}", "", "", None])
        # The cost of an event whatever share of the machine the replicas got: on a shared
        # machine the rate follows that share, this does not.
        per_cpu = Spread(tuple(r / replica_cores(c) for r, c in zip(rates[replicas], cores[replicas], strict=True)))
        rows.append(["  events per replica CPU-second", per_cpu.text(""), "", "", "", None])
    one, two = (Spread(tuple(rates[n])).median for n in REPLICAS)
    rows.append(["  2 replicas / 1 (medians)", f"{two / one:.2f}×", "", "", "", None])


def replica_cores(used: dict[str, float]) -> float:
    return sum(cores for name, cores in used.items() if name.startswith("replica")) or float("nan")


def cpu_text(runs: list[dict[str, float]]) -> str:
    """Each part's cores busy, the median over the runs."""
    return ", ".join(f"{name} {statistics.median(run[name] for run in runs):.2f}" for name in runs[0])


def consume(place: str, bootstrap_servers: str, broker_pid: int, replicas: int) -> tuple[float, dict[str, float]]:
    """One run: events per second from the first send until the read model shows every
    deal, and the cores each part kept busy meanwhile."""
    topic = place + REGISTRATION
    group = place + "pipeline"
    asyncio.run(ensure_topics(bootstrap_servers, [topic], PARTITIONS))
    documents = [(str(uuid.uuid4()), n) for n in range(EVENTS)]
    payloads = [(deal_id.encode(), registered(deal_id, n).envelope.to_bytes()) for deal_id, n in documents]
    processes: list[ServiceProcess] = []
    try:
        for _ in range(replicas):  # one after the other: the first makes the schema
            processes.append(
                serve(
                    place,
                    "pipeline",
                    CRM_KAFKA_BOOTSTRAP_SERVERS=bootstrap_servers,
                    CRM_KAFKA_TOPIC_PREFIX=place,
                    CRM_KAFKA_GROUP_PREFIX=place,
                    CRM_KAFKA_PARTITIONS=str(PARTITIONS),
                    CRM_BATCH_SIZE=str(BATCH),
                    CRM_POLL_INTERVAL="0.5",
                )
            )
        asyncio.run(settled(bootstrap_servers, group, replicas))
        pids = [p.process.pid for p in processes if p.process is not None]
        watched = {f"replica {k + 1}": pid for k, pid in enumerate(pids)}
        watched |= {"tansu": broker_pid, "bench": os.getpid()}
        before = Snapshot.take(watched)
        started = time.perf_counter()
        produced = asyncio.run(produce(bootstrap_servers, topic, payloads))
        with psycopg.connect(URL, autocommit=True) as connection:
            wait_until(
                lambda: shown(connection, f'"{place}pipeline".pipeline_deals') >= EVENTS,
                timeout=max(120.0, EVENTS / 50),
            )
        wall = time.perf_counter() - started
        after = Snapshot.take(watched)
        ours = backends_serving(URL, pids)
    finally:
        for process in processes:
            process.stop()
    print(
        f"  {replicas} replica(s): {EVENTS:,} events in {wall:.1f}s (produced in {produced:.1f}s)",
        file=sys.stderr,
    )
    return rate(EVENTS, wall), cores_used(before, after, ours, wall)


def shown(connection: Any, table: str) -> int:
    time.sleep(0.05)  # the probe's own load on PostgreSQL stays small
    count: int = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return count


async def produce(bootstrap_servers: str, topic: str, payloads: list[tuple[bytes, bytes]]) -> float:
    """Every event, keyed by its deal as registration's relay keys them; seconds taken."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", linger_ms=5)
    await producer.start()
    headers = [("content-type", CONTENT_TYPE.encode())]
    started = time.perf_counter()
    try:
        for start in range(0, len(payloads), BATCH):
            futures = [
                await producer.send(topic, value=value, key=key, headers=headers)
                for key, value in payloads[start : start + BATCH]
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def settled(bootstrap_servers: str, group: str, replicas: int, timeout: float = 60.0) -> None:
    """Until the group is stable with `replicas` members, each holding partitions where the
    broker says (tansu leaves the assignments out): a rebalance in the middle of a run
    would be timed as consumption."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            members = await group_members(admin, group)
            if len(members) == replicas and all(held != 0 for held in members):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"group {group}: members and their partitions {members}, not {replicas}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def group_members(admin: AIOKafkaAdminClient, group: str) -> list[int | None]:
    """The partitions each member of the stable group holds, None where the broker does
    not say ([] while the group rebalances)."""
    for response in await admin.describe_consumer_groups([group]):
        for error, group_id, state, _, _, members, *_ in response.groups:
            if group_id == group and not error and state == "Stable":
                return [partitions_held(member[-1]) for member in members]
    return []


def partitions_held(assignment: bytes) -> int | None:
    if not assignment:
        return None
    return sum(len(partitions) for _, partitions in MemberAssignment.decode(assignment).assignment)
