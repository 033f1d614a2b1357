"""The example analytics consumer, against the broker, fed what the pipeline publishes."""

from __future__ import annotations

import asyncio
import importlib.util
import sqlite3
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts import CloudEvent, Money
from shared.contracts import events as public

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).parents[2] / "examples" / "analytics" / "daily_won_by_source.py"


def load_example():
    spec = importlib.util.spec_from_file_location("daily_won_by_source", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def events() -> list[CloudEvent]:
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    made = []
    for n, (source, amount, outcome) in enumerate(
        [
            ("trade_fair", "1000", "won"),
            ("trade_fair", "2500", "won"),
            ("website", "700", "won"),
            ("website", "900", "lost"),
        ]
    ):
        deal_id = str(uuid.uuid4())
        made.append(
            CloudEvent.of(
                public.DealStageChanged(
                    deal_id=deal_id,
                    pipeline_id="default",
                    to_stage="prospecting",
                    probability=10,
                    value=Money(amount=Decimal(amount)),
                    expected_close_date=date(2026, 12, 1),
                    owner_id="rep-1",
                    source=source,
                ),
                source="crm/pipeline",
                subject=deal_id,
                sequence=2,
                time=at,
                actor="rep-1",
                correlation_id=f"c{n}",
            )
        )
        made.append(
            CloudEvent.of(
                public.DealClosed(
                    deal_id=deal_id, outcome=outcome, value=Money(amount=Decimal(amount)), closed_on=date(2026, 11, 20)
                ),
                source="crm/pipeline",
                subject=deal_id,
                sequence=3,
                time=at,
                actor="rep-1",
                correlation_id=f"c{n}",
            )
        )
    return made


def test_the_example_sums_daily_won_value_per_source_once_each(kafka, tmp_path):
    example = load_example()
    topic = f"t{uuid.uuid4().hex[:8]}_crm.pipeline"
    published = events()

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka)
        await producer.start()
        try:
            for event in published + published[:3]:  # a republished batch: at-least-once
                await producer.send_and_wait(topic, event.to_bytes(), key=event.subject.encode())
            await producer.send_and_wait(topic, b"not even json", key=b"x")
        finally:
            await producer.stop()

    asyncio.run(produce())
    db_path = tmp_path / "won.sqlite"
    handled = asyncio.run(
        example.consume(kafka, topic, str(db_path), f"g-{uuid.uuid4()}", stop_after=len(published) + 4)
    )
    assert handled == len(published) + 4
    rows = (
        sqlite3.connect(db_path)
        .execute("SELECT day, source, currency, amount, deals FROM won ORDER BY source")
        .fetchall()
    )
    assert rows == [("2026-11-20", "trade_fair", "CNY", "3500.00", 2), ("2026-11-20", "website", "CNY", "700.00", 1)]
