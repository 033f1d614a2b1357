"""What-if for recycling (自动回收): replay the recorded history of a period under other
recycling rules, beside the rules in force, and tell which deals would have gone back to
the pool, when, and which of them were later won anyway.

It reads registration's stored events in log order and keeps the deals' recorded state in
memory; it writes nothing. The recorded history is followed as it happened: a deal the
other rules would have recycled is reported at the first instant they would have, and the
history after that (which those rules would have changed) only tells how the deal ended.
A recorded automatic recycle the other rules would not yet have made is reported as spared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.recycling import due_recycle
from services.registration.rules import Recycling, RecyclingPolicy
from shared.clock import in_utc
from shared.contracts import money

if TYPE_CHECKING:
    from services.registration.application import RegistrationApplication

Progress = Callable[[int, int], None]  # events read so far, events in the store
_DEAL_TOPICS = "services.registration.domain:Deal."
_TIER_TOPIC = "services.registration.domain:Account.TierChanged"


@dataclass
class Recorded:
    """A deal as its recorded events left it: what the recycling rules read."""

    deal_id: str
    name: str
    account_id: str
    deal_type: str
    customer_level: str | None
    amount: Decimal
    currency: str
    expected_close_date: date
    status: str
    owner_id: str | None
    last_activity_at: datetime
    protected_until: datetime | None
    outcome: str | None = None
    closed_at: datetime | None = None
    won_by: str | None = None


@dataclass
class Scenario:
    """One set of recycling rules and what it would have done."""

    recycling: Recycling
    recycled: dict[str, dict[str, Any]] = field(default_factory=dict)  # deal id → when, why, whose
    spared: list[dict[str, Any]] = field(default_factory=list)
    # `policy_for` builds a model each call: once per deal type and level is enough
    policies: dict[tuple[str, str | None], RecyclingPolicy] = field(default_factory=dict)

    def due(self, deal: Recorded, tiers: Mapping[str, str]) -> tuple[str, datetime] | None:
        if deal.owner_id is None or deal.status != "approved" or deal.outcome is not None:
            return None
        key = (deal.deal_type, deal.customer_level or tiers.get(deal.account_id))
        policy = self.policies.get(key)
        if policy is None:
            policy = self.policies[key] = self.recycling.policy_for(*key)
        return due_recycle(
            policy,
            last_activity_at=deal.last_activity_at,
            protected_until=deal.protected_until,
            expected_close_date=deal.expected_close_date,
        )


class Replay:
    """Feed it the events in log order (`apply`), then `finish` at the period's end."""

    def __init__(self, scenarios: Mapping[str, Recycling], start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.scenarios = {name: Scenario(recycling) for name, recycling in scenarios.items()}
        self.deals: dict[str, Recorded] = {}
        self.tiers: dict[str, str] = {}

    def apply(self, event: Any) -> None:
        if isinstance(event, Account.TierChanged):
            self.tiers[str(event.originator_id)] = event.tier
            return
        at = instant(event)
        deal_id = str(event.originator_id)
        if isinstance(event, Deal.Registered):
            self.deals[deal_id] = Recorded(
                deal_id=deal_id,
                name=event.name,
                account_id=str(event.account_id),
                deal_type=event.deal_type,
                customer_level=event.customer_level,
                amount=Decimal(event.amount),
                currency=event.currency,
                expected_close_date=event.expected_close_date,
                status=event.registration_status,
                owner_id=event.owner_id,
                last_activity_at=at,
                protected_until=event.protected_until,
            )
            return
        deal = self.deals.get(deal_id)
        if deal is None:  # an event of a kind this replay does not follow
            return
        self._sweep(deal, min(at, self.end))
        if isinstance(event, Deal.RegistrationApproved):
            deal.status, deal.protected_until = "approved", event.protected_until
        elif isinstance(event, Deal.RegistrationRejected):
            deal.status = "rejected"
        elif isinstance(event, Deal.Assigned):
            deal.owner_id, deal.protected_until, deal.last_activity_at = event.owner_id, event.protected_until, at
        elif isinstance(event, Deal.Recycled):
            self._recorded_recycle(deal, event.reason, at)
            deal.owner_id = None
        elif isinstance(event, Deal.ActivityNoted):
            deal.last_activity_at = max(deal.last_activity_at, at)
            if event.expected_close_date is not None:
                deal.expected_close_date = event.expected_close_date
        elif isinstance(event, Deal.Closed):
            deal.outcome, deal.closed_at, deal.won_by = event.outcome, at, deal.owner_id

    def finish(self) -> None:
        for deal in self.deals.values():
            self._sweep(deal, self.end)

    def _sweep(self, deal: Recorded, until: datetime) -> None:
        """Each scenario's sweep up to `until`: the first recycle its rules would have made."""
        if until < self.start:
            return
        for scenario in self.scenarios.values():
            if deal.deal_id in scenario.recycled:
                continue
            due = scenario.due(deal, self.tiers)
            if due is not None and due[1] <= until:
                reason, at = due
                scenario.recycled[deal.deal_id] = {
                    "reason": reason,
                    "at": max(at, self.start),
                    "owner_id": deal.owner_id,
                }

    def _recorded_recycle(self, deal: Recorded, reason: str, at: datetime) -> None:
        """An automatic recycle that happened: spared by the scenarios that would not yet have made it."""
        if reason == "manual" or not self.start <= at <= self.end:
            return
        for scenario in self.scenarios.values():
            due = scenario.due(deal, self.tiers)
            if deal.deal_id not in scenario.recycled and (due is None or due[1] > at):
                scenario.spared.append(
                    {"deal_id": deal.deal_id, "name": deal.name, "owner_id": deal.owner_id, "reason": reason, "at": at}
                )

    def outcome(self, name: str, owners: frozenset[str] | None = None) -> dict[str, Any]:
        """A scenario's recycles in the period (the deals in `owners`' reach; None: all),
        each with how the deal ended."""
        scenario = self.scenarios[name]
        deals = []
        for deal_id, made in scenario.recycled.items():
            if owners is not None and made["owner_id"] not in owners:
                continue
            deal = self.deals[deal_id]
            later_won = deal.outcome == "won" and deal.closed_at is not None and deal.closed_at >= made["at"]
            deals.append(
                {
                    "deal_id": deal_id,
                    "name": deal.name,
                    **made,
                    "value": money(deal.amount, deal.currency),
                    "outcome": deal.outcome,
                    "later_won": later_won,
                    "won_at": deal.closed_at if later_won else None,
                    "won_by": deal.won_by if later_won else None,
                }
            )
        deals.sort(key=lambda d: (d["at"], d["deal_id"]))
        spared = [s for s in scenario.spared if owners is None or s["owner_id"] in owners]
        won: dict[str, Decimal] = {}
        for d in deals:
            if d["later_won"]:
                currency = d["value"]["currency"]
                won[currency] = won.get(currency, Decimal(0)) + Decimal(d["value"]["amount"])
        return {
            "rules": scenario.recycling.model_dump(mode="json"),
            "recycled": len(deals),
            "later_won": sum(1 for d in deals if d["later_won"]),
            "later_won_value": [money(v, c) for c, v in sorted(won.items())],
            "deals": deals,
            "spared": spared,
        }


def replay(events: Iterable[Any], scenarios: Mapping[str, Recycling], start: datetime, end: datetime) -> Replay:
    """The whole replay over `events` (in log order): each scenario's recycles in [start, end]."""
    run = Replay(scenarios, start, end)
    for event in events:
        run.apply(event)
    run.finish()
    return run


def recycling_whatif(
    app: RegistrationApplication,
    alternative: Recycling,
    first: date,
    last: date,
    owners: frozenset[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The days `first` to `last` (UTC, up to now) replayed under the rules in force and
    under `alternative`: each one's recycles, and the recorded ones it would have spared."""
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = min(datetime.combine(last, time.max, tzinfo=UTC), app.clock.now())
    counted = [0]

    def counting() -> Iterator[Any]:
        for event in stored_events(app, progress):
            counted[0] += 1
            yield event

    run = replay(counting(), {"in_force": app.rules.recycling, "alternative": alternative}, start, end)
    return {
        "from": first,
        "to": last,
        "replayed_events": counted[0],
        "in_force": run.outcome("in_force", owners),
        "alternative": run.outcome("alternative", owners),
    }


def stored_events(app: RegistrationApplication, progress: Progress | None = None, batch: int = 2000) -> Iterator[Any]:
    """Registration's deal and tier events from its store, in log order, decoded; the
    others (leads, keys, holdings …) are skipped before decoding."""
    total = app.recorder.max_notification_id() or 0
    position = 0
    while notifications := app.read_notifications(position, batch):
        for notification in notifications:
            if notification.topic.startswith(_DEAL_TOPICS) or notification.topic == _TIER_TOPIC:
                yield app.to_domain_event(notification)
        position = notifications[-1].id
        if progress is not None:
            progress(position, total)
    if progress is not None:
        progress(total, total)


def instant(event: Any) -> datetime:
    """When it happened: the business instant the event carries, else when it was recorded."""
    at = getattr(event, "at", None)
    return in_utc(at if isinstance(at, datetime) else event.timestamp)
