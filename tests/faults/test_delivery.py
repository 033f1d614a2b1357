"""Kafka delivers at least once, in order per partition only: a consumer sees a message
again after a crash or a rebalance, and events of different deals interleave in any way.
Whatever the interleaving and the repeats, the forecast ends the same, equal to a
brute-force reading of the events in their original order."""

from __future__ import annotations

import random
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.forecast.bootstrap import bootstrap
from services.forecast.domain import parse_period
from services.forecast.queries.pipeline import forecast
from shared.contracts import ReceivedEvent
from shared.settings import Settings
from tests.support.history import brute_forecast, generate, states_at

HISTORY = generate(40, seed=11)
PERIODS = ("2026", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1")


def shuffled_delivery(events: list[ReceivedEvent], rng: random.Random, repeat: float) -> list[ReceivedEvent]:
    """Per-deal order kept (one key, one partition), deals interleaved at random, and
    some events delivered again later (a redelivery after a crash or a rebalance)."""
    queues: dict[str, list[ReceivedEvent]] = defaultdict(list)
    for event in events:
        queues[event.envelope.subject].append(event)
    seen: dict[str, list[ReceivedEvent]] = defaultdict(list)
    delivered: list[ReceivedEvent] = []
    while queues:
        deal_id = rng.choice(sorted(queues))
        event = queues[deal_id].pop(0)
        if not queues[deal_id]:
            del queues[deal_id]
        delivered.append(event)
        seen[deal_id].append(event)
        if rng.random() < repeat:
            delivered.append(rng.choice(seen[deal_id]))  # an earlier one of this deal, again
    return delivered


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), repeat=st.sampled_from((0.0, 0.2, 0.5)))
def test_repeated_and_interleaved_delivery_leaves_the_forecast_of_the_ordered_history(seed, repeat):
    delivery = shuffled_delivery(HISTORY.events, random.Random(seed), repeat)
    assert {id(e) for e in delivery} == {id(e) for e in HISTORY.events}  # every event, at least once
    with tempfile.TemporaryDirectory() as folder:
        service = bootstrap(Settings(data_dir=Path(folder)))
        try:
            for event in delivery:
                service.handle(event)
            service.projectors[0].catch_up()
            states = states_at(HISTORY)
            with service.storage.engine.connect() as connection:
                for period in PERIODS:
                    parsed = parse_period(period)
                    answer = forecast(connection, parsed, service.app.rules, group_by="owner")
                    expected = brute_forecast(states, parsed.first, parsed.last, "owner")
                    got = {g["key"]: g["count"] for g in answer["groups"]}
                    assert got == {k: v["count"] for k, v in expected.items()}
                    totals = {g["key"]: g["weighted"] for g in answer["groups"]}
                    assert totals == {
                        k: [{"amount": f"{a:.2f}", "currency": c} for c, a in sorted(v["weighted"].items())]
                        for k, v in expected.items()
                    }
        finally:
            service.close()
