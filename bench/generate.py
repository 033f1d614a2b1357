"""A seeded, realistic sales history for the benchmarks: the same seed gives the same
deals, owners, sources, values, stage paths, activities, wins and losses on every run.

A story is what happened to one deal, in order: its registration, then stage moves
(mostly forward, sometimes back), activities between them, and for most deals an outcome.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

OWNERS = tuple(f"rep-{n}" for n in range(1, 21))
SOURCES = ("trade_fair", "website", "referral", "cold_call", "partner", "advertising", "tender")
OPEN_STAGES = (
    "prospecting",
    "qualification",
    "needs_analysis",
    "value_proposition",
    "id_decision_makers",
    "perception_analysis",
    "proposal",
    "negotiation",
)
ACTIVITIES = ("call", "meeting", "email", "note")


@dataclass
class Story:
    number: int
    owner: str
    source: str
    account: str
    amount: int
    currency: str
    closes: date
    moves: list[str] = field(default_factory=list)  # stages after prospecting, in order
    activities: list[str] = field(default_factory=list)
    outcome: str | None = None  # won / lost / None (still open)

    def registration(self) -> dict:
        return {
            "name": f"{self.account} rollout",
            "account": {"name": self.account},
            "value": {"amount": f"{self.amount}.00", "currency": self.currency},
            "expected_close_date": self.closes.isoformat(),
            "source": self.source,
        }


def stories(count: int, seed: int = 2026, today: date | None = None) -> list[Story]:
    rng = random.Random(seed)
    today = today or date.today()
    made = []
    for number in range(count):
        story = Story(
            number=number,
            owner=rng.choice(OWNERS),
            source=rng.choice(SOURCES),
            account=f"Bench Customer {seed}-{number:07d} Co., Ltd.",
            amount=rng.randrange(5_000, 2_000_000, 500),
            currency="USD" if rng.random() < 0.1 else "CNY",
            closes=today + timedelta(days=rng.randint(15, 330)),
        )
        stage = 0
        for _ in range(rng.randint(0, 7)):
            step = rng.choice((1, 1, 1, 2, -1))
            stage = min(max(stage + step, 0), len(OPEN_STAGES) - 1)
            if not story.moves or story.moves[-1] != OPEN_STAGES[stage]:
                story.moves.append(OPEN_STAGES[stage])
        story.moves = [s for s in story.moves if s != "prospecting"] or ["qualification"]
        story.activities = [rng.choice(ACTIVITIES) for _ in range(rng.randint(1, 8))]
        roll = rng.random()
        story.outcome = "won" if roll < 0.25 else "lost" if roll < 0.55 else None
        made.append(story)
    return made
