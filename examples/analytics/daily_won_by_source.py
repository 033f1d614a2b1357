"""An analytics consumer written only against the published schemas (docs/asyncapi.json):
daily won value per lead source, kept in a SQLite file.

    python examples/analytics/daily_won_by_source.py --bootstrap localhost:9092 --db won.sqlite

It reads `crm.pipeline` from the start with its own consumer group, remembers each deal's
source from its first `crm.deal.stage_changed.v1`, and adds the value of every
`crm.deal.closed.v1` won to (day, source, currency). Delivery is at-least-once, so it
dedupes on the event `id`, in the same SQLite transaction as the sums; it commits its Kafka
offset only after that transaction. Types it does not know are skipped.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from decimal import Decimal

from aiokafka import AIOKafkaConsumer

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS deal_source (deal_id TEXT PRIMARY KEY, source TEXT);
CREATE TABLE IF NOT EXISTS won (day TEXT, source TEXT, currency TEXT, amount TEXT, deals INTEGER,
                                PRIMARY KEY (day, source, currency));
"""


def apply(db: sqlite3.Connection, event: dict) -> None:
    """One event, once: the dedupe row and the sums commit together."""
    with db:
        if db.execute("SELECT 1 FROM seen WHERE event_id = ?", (event["id"],)).fetchone():
            return
        db.execute("INSERT INTO seen VALUES (?)", (event["id"],))
        data = event["data"]
        if event["type"] == "crm.deal.stage_changed.v1" and data.get("source"):
            db.execute("INSERT OR IGNORE INTO deal_source VALUES (?, ?)", (data["deal_id"], data["source"]))
        elif event["type"] == "crm.deal.closed.v1" and data["outcome"] == "won":
            row = db.execute("SELECT source FROM deal_source WHERE deal_id = ?", (data["deal_id"],)).fetchone()
            source = row[0] if row else "unknown"
            day = data.get("closed_on") or event["time"][:10]
            amount, currency = Decimal(data["value"]["amount"]), data["value"]["currency"]
            current = db.execute(
                "SELECT amount, deals FROM won WHERE day = ? AND source = ? AND currency = ?", (day, source, currency)
            ).fetchone()
            total, deals = (Decimal(current[0]) + amount, current[1] + 1) if current else (amount, 1)
            db.execute("INSERT OR REPLACE INTO won VALUES (?, ?, ?, ?, ?)", (day, source, currency, str(total), deals))


async def consume(bootstrap: str, topic: str, db_path: str, group: str, stop_after: int | None = None) -> int:
    db = sqlite3.connect(db_path)
    db.executescript(SCHEMA)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    handled = 0
    try:
        async for message in consumer:
            try:
                event = json.loads(message.value)
            except ValueError:
                event = None  # not ours to repair: skip it, as with unknown types
            if isinstance(event, dict) and {"id", "type", "data"} <= event.keys():
                apply(db, event)
            await consumer.commit()
            handled += 1
            if stop_after is not None and handled >= stop_after:
                break
    finally:
        await consumer.stop()
        db.close()
    return handled


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--topic", default="crm.pipeline")
    parser.add_argument("--db", default="won_by_source.sqlite")
    parser.add_argument("--group", default="analytics-won-by-source")
    args = parser.parse_args()
    asyncio.run(consume(args.bootstrap, args.topic, args.db, args.group))
