"""`CRM_BENCH_ONLY=whatif`: the what-if over a year of history (bench/generate.py's deals,
dated across the last 365 days), each figure the median of CRM_BENCH_WHATIF_RUNS runs (at
least 3) with min and max, beside a baseline measured in the same run:

- recycling: the replay of registration's stored events under other rules, beside a raw
  SELECT of the same events (the reading it cannot avoid);
- probabilities: each week's forecast of the year under other stage probabilities and
  under those in force, beside the accuracy backtest of the same weeks (the forecast as it
  stood each week, once).

The deals are recorded through the aggregates (registration) and the public events the
pipeline would publish (forecast), as `fill` does for the rebuild.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from bench.generate import stories
from services.forecast.bootstrap import bootstrap as forecast_service
from services.forecast.domain import parse_period
from services.forecast.queries import reports
from services.forecast.queries.whatif import default_dates, probabilities_whatif
from services.pipeline.domain.stages import DEFAULT
from services.registration.bootstrap import bootstrap as registration_service
from services.registration.domain.deal import Deal
from services.registration.queries.whatif import recycling_whatif
from services.registration.rules import Recycling, RecyclingPolicy
from shared.contracts import Money
from shared.contracts import events as public
from shared.eventstore.application import meta
from shared.settings import Settings
from tests.support.history import History

DEALS = int(os.environ.get("CRM_BENCH_WHATIF_DEALS", "10000"))
RUNS = max(3, int(os.environ.get("CRM_BENCH_WHATIF_RUNS", "3")))
STAGES = {stage.key: stage for stage in DEFAULT.stages}
WHO = meta("bench", "bench")


def measure(url: str, prefix: str, rows: list[list[Any]]) -> None:
    settings = Settings(database_url=url, schema_prefix=prefix, poll_interval=60)
    registration, forecast = registration_service(settings), forecast_service(settings)
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=365)
    try:
        started = time.perf_counter()
        events = record(registration, forecast, first, today)
        print(f"  recorded a year: {events:,} events in {time.perf_counter() - started:.0f}s", file=_err())

        alternative = Recycling(default=RecyclingPolicy(stale_days=10))
        ours = timed(lambda: recycling_whatif(registration.app, alternative, first.date(), today.date()))  # type: ignore[arg-type]
        replayed = recycling_whatif(registration.app, alternative, first.date(), today.date())  # type: ignore[arg-type]
        raw = timed(lambda: raw_read(url, f"{prefix}registration"))
        rows.append(
            [
                f"what-if recycling, a year: {DEALS:,} deals, {replayed['replayed_events']:,} events",
                spread(ours),
                f"raw SELECT of its events {spread(raw)}",
                f"{statistics.median(ours) / statistics.median(raw):.1f}×",
                "< 60 s",
                max(ours) < 60,
            ]
        )

        period = parse_period(str(today.year))
        given = {"proposal": 80, "negotiation": 95, "qualification": 5}
        with forecast.storage.engine.connect() as connection:
            dates = default_dates(period, today)
            ours = timed(lambda: probabilities_whatif(connection, period, forecast.app.rules, today, given))  # type: ignore[attr-defined]
            base = timed(lambda: reports.accuracy(connection, period, forecast.app.rules, today))  # type: ignore[attr-defined]
        rows.append(
            [
                f"what-if probabilities, {period.name}: {len(dates)} dates × 2 forecasts",
                spread(ours),
                f"accuracy backtest (its {len(dates) - 1} weeks × 1) {spread(base)}",
                f"{statistics.median(ours) / statistics.median(base):.1f}×",
                "< 60 s",
                max(ours) < 60,
            ]
        )
    finally:
        registration.close()
        forecast.close()


def record(registration: Any, forecast: Any, first: datetime, last: datetime) -> int:
    """Each story dated within [first, last]: registered, worked on (a stage move or an
    activity every 1–25 days), and won or lost where it ends so; events stored per deal."""
    rng = random.Random(16)
    history = History()
    count = 0
    for story in stories(DEALS, seed=16, today=last.date()):
        at = first + timedelta(days=rng.uniform(0, 330))
        closes = (at + timedelta(days=rng.randint(30, 240))).date()
        deal = Deal(
            id=uuid.UUID(int=story.number + 1),
            name=f"{story.account} rollout",
            account_id=uuid.uuid4(),
            account_name=story.account,
            contacts=[],
            deal_type="new_business",
            customer_level=None,
            product_line=None,
            amount=Decimal(story.amount),
            currency=story.currency,
            expected_close_date=closes,
            source=story.source,
            owner_id=story.owner,
            lead_id=None,
            keys=[],
            conflicts=[],
            review_reasons=[],
            registration_status="approved",
            protected_until=at + timedelta(days=90),
            at=at,
            meta={**WHO, "actor": story.owner},
        )
        deal_id = str(deal.id)
        flags = [True] * len(story.moves) + [False] * len(story.activities)  # the moves in order, activities between
        rng.shuffle(flags)
        moves = iter(story.moves)
        steps = ["prospecting", *(next(moves) if move else None for move in flags)]
        for sequence, stage in enumerate(steps, start=1):
            if at > last:
                break
            if stage is not None:
                history.add(_moved(story, deal_id, stage, closes), deal_id, sequence, at)
            deal.note_activity(at, None, None, WHO)
            at += timedelta(days=rng.uniform(1, 25))
        if story.outcome and at <= last:
            value = Money(amount=Decimal(story.amount), currency=story.currency)
            closed = public.DealClosed(
                deal_id=deal_id, outcome=story.outcome, value=value, closed_on=at.date(), owner_id=story.owner
            )
            history.add(closed, deal_id, len(steps) + 1, at)
            deal.trigger_event(
                Deal.Closed, outcome=story.outcome, upstream=None, meta=WHO, amount=None, currency=None, timestamp=at
            )
        registration.app.save(deal)
        count += deal.version
    batch = 500
    for start in range(0, len(history.events), batch):
        forecast.app.handle_batch(history.events[start : start + batch])
    forecast.projectors[0].catch_up()
    return count + len(history.events)


def _moved(story: Any, deal_id: str, stage: str, closes: date) -> public.DealStageChanged:
    return public.DealStageChanged(
        deal_id=deal_id,
        pipeline_id="default",
        to_stage=stage,
        probability=STAGES[stage].probability,
        value=Money(amount=Decimal(story.amount), currency=story.currency),
        expected_close_date=closes,
        owner_id=story.owner,
        forecast_category=STAGES[stage].forecast_category,
        source=story.source,
    )


def raw_read(url: str, schema: str) -> None:
    with psycopg.connect(url) as connection, connection.cursor(name="raw") as cursor:
        cursor.itersize = 2000
        cursor.execute(f'SELECT * FROM "{schema}".registration_events ORDER BY notification_id')
        for _ in cursor:
            pass


def timed(run: Callable[[], object]) -> list[float]:
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return seconds


def spread(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds):.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f})"


def _err() -> Any:
    return sys.stderr
