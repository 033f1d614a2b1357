"""A seeded, realistic history of the pipeline's public events, and a brute-force reading
of it: the forecast's figures recomputed from the raw events by folding them in plain
Python, independent of every projection and query the service uses."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.pipeline.domain.stages import DEFAULT
from shared.contracts import CloudEvent, Money, ReceivedEvent, parse_event
from shared.contracts import events as public

OPEN_STAGES = [s for s in DEFAULT.stages if s.state == "open"]
OWNERS = ("rep-1", "rep-2", "rep-3", "rep-4")
SOURCES = ("trade_fair", "website", "referral", "partner")
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


@dataclass
class History:
    events: list[ReceivedEvent] = field(default_factory=list)

    def add(self, data: public.EventData, deal_id: str, sequence: int, at: datetime) -> None:
        envelope = CloudEvent.of(
            data, source="crm/pipeline", subject=deal_id, sequence=sequence, time=at, actor="gen", correlation_id="gen"
        )
        self.events.append(parse_event(envelope.to_bytes()))


def generate(deals: int, seed: int = 7) -> History:
    """Deals across owners and sources: stage paths forward and back, slips, value and
    owner changes, probability overrides, wins, losses, and deals still open."""
    rng = random.Random(seed)
    history = History()
    for _ in range(deals):
        deal_id = str(UUID(int=rng.getrandbits(128)))
        at = START + timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 8))
        currency = "USD" if rng.random() < 0.1 else "CNY"
        amount = Decimal(rng.randrange(5_000, 500_000, 500))
        closes = (at + timedelta(days=rng.randint(20, 150))).date()
        owner, source = rng.choice(OWNERS), rng.choice(SOURCES)
        stage_index, sequence, override = 0, 2, None

        deal = {
            "deal_id": deal_id,
            "amount": amount,
            "currency": currency,
            "closes": closes,
            "owner": owner,
            "source": source,
            "override": override,
        }
        history.add(_moved(deal, 0, None), deal_id, sequence, at)
        for _ in range(rng.randint(0, 6)):
            at += timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 5))
            sequence += 1
            roll = rng.random()
            if roll < 0.55:
                step = rng.choice((1, 1, 2, -1))
                target = min(max(stage_index + step, 0), len(OPEN_STAGES) - 1)
                if target == stage_index:
                    continue
                deal |= {"amount": amount, "closes": closes, "owner": owner, "override": override}
                history.add(_moved(deal, target, stage_index), deal_id, sequence, at)
                stage_index = target
            elif roll < 0.7:
                before, closes = closes, closes + timedelta(days=rng.randint(10, 60))
                history.add(
                    public.DealUpdated(
                        deal_id=deal_id,
                        changes={"expected_close_date": {"before": before.isoformat(), "after": closes.isoformat()}},
                    ),
                    deal_id,
                    sequence,
                    at,
                )
            elif roll < 0.8:
                before_value, amount = (
                    Money(amount=amount, currency=currency),
                    Decimal(rng.randrange(5_000, 500_000, 500)),
                )
                history.add(
                    public.DealUpdated(
                        deal_id=deal_id,
                        changes={
                            "value": {
                                "before": before_value.model_dump(mode="json"),
                                "after": Money(amount=amount, currency=currency).model_dump(mode="json"),
                            }
                        },
                    ),
                    deal_id,
                    sequence,
                    at,
                )
            elif roll < 0.9:
                before_owner, owner = owner, rng.choice(OWNERS)
                history.add(
                    public.DealUpdated(deal_id=deal_id, changes={"owner_id": {"before": before_owner, "after": owner}}),
                    deal_id,
                    sequence,
                    at,
                )
            else:
                previous = override if override is not None else OPEN_STAGES[stage_index].probability
                override = rng.choice((15, 35, 55, 75))
                history.add(
                    public.DealUpdated(
                        deal_id=deal_id, changes={"probability": {"before": previous, "after": override}}
                    ),
                    deal_id,
                    sequence,
                    at,
                )
        ending = rng.random()
        if ending < 0.7:
            at += timedelta(days=rng.randint(1, 30))
            sequence += 1
            outcome = "won" if ending < 0.4 else "lost"
            history.add(
                public.DealClosed(
                    deal_id=deal_id,
                    outcome=outcome,
                    value=Money(amount=amount, currency=currency),
                    closed_on=at.date(),
                    owner_id=owner,
                ),
                deal_id,
                sequence,
                at,
            )
    history.events.sort(key=lambda e: e.envelope.time)
    return history


def _moved(deal: dict[str, Any], to: int, from_: int | None) -> public.DealStageChanged:
    stage = OPEN_STAGES[to]
    return public.DealStageChanged(
        deal_id=deal["deal_id"],
        pipeline_id="default",
        from_stage=OPEN_STAGES[from_].key if from_ is not None else None,
        to_stage=stage.key,
        probability=deal["override"] if deal["override"] is not None else stage.probability,
        value=Money(amount=deal["amount"], currency=deal["currency"]),
        expected_close_date=deal["closes"],
        owner_id=deal["owner"],
        forecast_category=stage.forecast_category,
        source=deal["source"] if from_ is None else None,  # later moves leave it out
        regression=from_ is not None and to < from_,
    )


# -- brute force -------------------------------------------------------------------------


def states_at(history: History, as_of: datetime | None = None) -> dict[str, dict[str, Any]]:
    """Each deal as it stood at `as_of`, by folding its events in order."""
    states: dict[str, dict[str, Any]] = {}
    for event in history.events:
        if as_of is not None and event.envelope.time > as_of:
            break
        data, state = event.data, states.setdefault(event.envelope.subject, {})
        if isinstance(data, public.DealStageChanged):
            state.update(
                owner=data.owner_id,
                stage=data.to_stage,
                probability=data.probability,
                category=data.forecast_category,
                amount=data.value.amount,
                currency=data.value.currency,
                closes=data.expected_close_date,
                status="open",
                closed_on=None,
            )
            state["source"] = data.source or state.get("source")
        elif isinstance(data, public.DealUpdated):
            changes = data.changes
            if "owner_id" in changes:
                state["owner"] = changes["owner_id"]["after"]
            if "expected_close_date" in changes:
                state["closes"] = date.fromisoformat(changes["expected_close_date"]["after"])
            if "value" in changes:
                state["amount"] = Decimal(changes["value"]["after"]["amount"])
            if "probability" in changes:
                state["probability"] = changes["probability"]["after"]
        elif isinstance(data, public.DealClosed):
            won = data.outcome == "won"
            state.update(
                status=data.outcome,
                closed_on=data.closed_on,
                probability=100 if won else 0,
                category="closed" if won else "omitted",
            )
    return states


def counts_in(state: dict[str, Any], first: date, last: date) -> bool:
    if state["status"] == "open":
        return first <= state["closes"] <= last
    return state["status"] == "won" and first <= state["closed_on"] <= last


def brute_forecast(
    states: dict[str, dict[str, Any]], first: date, last: date, key: str | None = None
) -> dict[Any, Any]:
    """{group: {"count", "total": {currency: amount}, "weighted": {currency: amount}}}."""
    groups: dict[Any, Any] = defaultdict(
        lambda: {"count": 0, "total": defaultdict(Decimal), "weighted": defaultdict(Decimal)}
    )
    for state in states.values():
        if counts_in(state, first, last):
            bucket = groups[state[key] if key else "all"]
            bucket["count"] += 1
            bucket["total"][state["currency"]] += state["amount"]
            bucket["weighted"][state["currency"]] += state["amount"] * state["probability"] / 100
    return groups


def brute_visits(history: History) -> list[dict[str, Any]]:
    """Every stay in a stage: entered, left, and how it ended."""
    open_visit: dict[str, dict[str, Any]] = {}
    visits: list[dict[str, Any]] = []
    for event in history.events:
        deal_id, at, data = event.envelope.subject, event.envelope.time, event.data
        if isinstance(data, public.DealStageChanged):
            if deal_id in open_visit:
                open_visit[deal_id].update(left_at=at, exit="back" if data.regression else "forward")
            open_visit[deal_id] = {
                "deal_id": deal_id,
                "stage": data.to_stage,
                "entered_at": at,
                "left_at": None,
                "exit": None,
            }
            visits.append(open_visit[deal_id])
        elif isinstance(data, public.DealClosed) and deal_id in open_visit:
            open_visit.pop(deal_id).update(left_at=at, exit=data.outcome)
    return visits


def spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    import math

    return {
        "count": len(ordered),
        "mean": round(statistics.fmean(ordered), 4),
        "median": round(statistics.median(ordered), 4),
        "p90": round(ordered[math.ceil(0.9 * len(ordered)) - 1], 4),
    }
