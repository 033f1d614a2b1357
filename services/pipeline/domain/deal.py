"""Pipeline's domain model: each pipeline's stage set, and a deal's progress through it.

A deal arrives from registration's events; `seen` remembers, per upstream source, the last
upstream sequence applied, stored in the same events as the change it caused, so a
redelivered or republished upstream event changes nothing (effectively once). Business
instants (`at`) come from the application's clock, which tests control.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.pipeline.domain.stages import Stage, StageSet
from services.pipeline.errors import (
    ActivityNotFound,
    ClosingStageNeedsClose,
    DealIsClosed,
    DealIsOpen,
    DealNotInPipeline,
    ExitCriteriaNotMet,
    StageRetired,
)

Upstream = tuple[str, int] | None  # (source, sequence) of the upstream event, if any


class Pipeline(Aggregate):
    """A company's stage set for one pipeline; every redefinition is an event."""

    TOPIC = "services.pipeline.domain:Pipeline"  # stored topics stay put when the code moves

    class Created(Aggregate.Created):
        TOPIC = "services.pipeline.domain:Pipeline.Created"  # never recorded (see `Defined`)

    @staticmethod
    def create_id(pipeline_id: str) -> UUID:
        return pipeline_uuid(pipeline_id)

    @event("Defined", topic="services.pipeline.domain:Pipeline.Defined")
    def __init__(self, pipeline_id: str, stages: list[dict[str, Any]], meta: dict[str, str]) -> None:
        self.pipeline_id = pipeline_id
        self.stages = stages

    @event("Redefined", topic="services.pipeline.domain:Pipeline.Redefined")
    def redefine(self, stages: list[dict[str, Any]], meta: dict[str, str]) -> None:
        self.stages = stages

    @property
    def stage_set(self) -> StageSet:
        return StageSet(pipeline_id=self.pipeline_id, stages=tuple(Stage(**s) for s in self.stages))


def pipeline_uuid(pipeline_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:pipeline:{pipeline_id}")


class Deal(Aggregate):
    TOPIC = "services.pipeline.domain:Deal"  # stored topics stay put when the code moves

    class Created(Aggregate.Created):
        TOPIC = "services.pipeline.domain:Deal.Created"  # never recorded (see `Tracked`)

    @event("Tracked", topic="services.pipeline.domain:Deal.Tracked")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - the deal keeps the id registration gave it
        name: str,
        account_name: str,
        owner_id: str | None,
        amount: Decimal,
        currency: str,
        expected_close_date: date,
        source: str | None,
        upstream: Upstream,
        meta: dict[str, str],
        contacts: list[dict[str, Any]] | None = None,  # absent from deals tracked before it was kept
    ) -> None:
        self.name = name
        self.account_name = account_name
        self.owner_id = owner_id
        self.amount = amount
        self.currency = currency
        self.expected_close_date = expected_close_date
        self.source = source
        self.pipeline_id: str | None = None
        self.stage: str | None = None
        self.stage_probability = 0
        self.probability_override: int | None = None
        self.forecast_category: str | None = None
        self.outcome: str | None = None
        self.close_reason: str | None = None
        self.competitor: str | None = None
        self.priority = "normal"
        self.competitors: list[str] = []
        self.contacts: list[dict[str, Any]] = list(contacts or [])
        self.slip_count = 0
        self.activities: dict[str, dict[str, Any]] = {}
        self.alerts: list[str] = []
        self.history: list[dict[str, Any]] = []
        self.seen: dict[str, int] = {}
        self._see(upstream)

    # -- what the rules read ------------------------------------------------------------------

    @property
    def probability(self) -> int:
        """The stage's probability, unless somebody overrode it for this deal."""
        return self.stage_probability if self.probability_override is None else self.probability_override

    @property
    def in_pipeline(self) -> bool:
        return self.stage is not None

    @property
    def is_open(self) -> bool:
        return self.in_pipeline and self.outcome is None

    def has_seen(self, source: str, sequence: int) -> bool:
        return self.seen.get(source, 0) >= sequence

    def missing_for(self, criteria: set[str]) -> list[str]:
        have = {
            "value": self.amount > 0,
            "expected_close_date": self.expected_close_date is not None,
            "contacts": bool(self.contacts),
            "decision_maker": any(c.get("role") == "decision_maker" for c in self.contacts),
            "competitors": bool(self.competitors),
        }
        return sorted(c for c in criteria if not have[c])

    # -- stages -----------------------------------------------------------------------------

    def enter(self, stages: StageSet, at: datetime, upstream: Upstream, meta: dict[str, str]) -> None:
        """Registration approved: the deal starts in the first stage of its pipeline."""
        if self.in_pipeline:
            return
        self._move(stages.pipeline_id, stages.first, "registration approved", "enter", at, upstream, meta)

    def change_stage(self, stages: StageSet, to_key: str, reason: str | None, at: datetime, meta: dict[str, str]) -> None:
        if not self.in_pipeline:
            raise DealNotInPipeline(self.id)
        if self.outcome is not None:
            raise DealIsClosed(self.id, self.outcome)
        target = stages.stage(to_key)
        if target.state != "open":
            raise ClosingStageNeedsClose(target.key)
        if target.retired:
            raise StageRetired(target.key)
        if target.key == self.stage:
            return
        here, there = stages.position(self.stage), stages.position(target.key)
        if there > here:
            passed = {c for s in stages.stages[here:there] for c in s.exit_criteria}
            if missing := self.missing_for(passed):
                raise ExitCriteriaNotMet(self.stage, missing)
        self._move(stages.pipeline_id, target, reason, "forward" if there > here else "back", at, None, meta)

    def close(
        self, stages: StageSet, outcome: str, reason: str | None, competitor: str | None, at: datetime, meta: dict[str, str]
    ) -> None:
        if not self.in_pipeline:
            raise DealNotInPipeline(self.id)
        if self.outcome is not None:
            raise DealIsClosed(self.id, self.outcome)
        stage = stages.closing(outcome)
        self.trigger_event(
            self.Closed,
            outcome=outcome,
            stage=stage.key,
            probability=stage.probability,
            forecast_category=stage.forecast_category,
            amount=self.amount,
            currency=self.currency,
            owner_id=self.owner_id,
            reason=reason,
            competitor=competitor,
            at=at,
            meta=meta,
        )

    def reopen(self, stages: StageSet, to_key: str | None, reason: str | None, at: datetime, meta: dict[str, str]) -> None:
        """A won or lost deal moves again only after somebody reopens it, on the record."""
        if self.outcome not in ("won", "lost"):
            raise DealIsOpen(self.id)
        last_open = next((h["stage"] for h in reversed(self.history) if stages.stage(h["stage"]).state == "open"), None)
        target = stages.stage(to_key) if to_key else stages.stage(last_open) if last_open else stages.first
        if target.state != "open" or target.retired:
            raise StageRetired(target.key) if target.retired else ClosingStageNeedsClose(target.key)
        self._move(stages.pipeline_id, target, reason or "reopened", "reopen", at, None, meta)

    def _move(
        self,
        pipeline_id: str,
        stage: Stage,
        reason: str | None,
        direction: str,
        at: datetime,
        upstream: Upstream,
        meta: dict[str, str],
    ) -> None:
        self.trigger_event(
            self.StageChanged,
            pipeline_id=pipeline_id,
            from_stage=self.stage,
            to_stage=stage.key,
            stage_probability=stage.probability,
            probability=stage.probability if self.probability_override is None else self.probability_override,
            forecast_category=stage.forecast_category,
            # The deal's terms at the moment of the move travel with it, so the public
            # event (and an auditor) can read them without replaying anything else.
            amount=self.amount,
            currency=self.currency,
            expected_close_date=self.expected_close_date,
            owner_id=self.owner_id,
            source=self.source,
            reason=reason,
            direction=direction,
            at=at,
            upstream=upstream,
            meta=meta,
        )

    class StageChanged(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.StageChanged"
        pipeline_id: str
        from_stage: str | None
        to_stage: str
        stage_probability: int
        probability: int
        forecast_category: str
        amount: Decimal
        currency: str
        expected_close_date: date
        owner_id: str | None
        source: str | None
        reason: str | None
        direction: str  # enter / forward / back (a regression) / reopen
        at: datetime
        upstream: Upstream
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            deal.pipeline_id = self.pipeline_id
            deal.stage_probability = self.stage_probability
            deal.outcome = None
            deal._enter_stage(self.to_stage, self.forecast_category, self.reason, self.direction, self.at, self.meta)
            deal._see(self.upstream)

    class Closed(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.Closed"
        outcome: str
        stage: str
        probability: int
        forecast_category: str
        amount: Decimal
        currency: str
        owner_id: str | None
        reason: str | None
        competitor: str | None
        at: datetime
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            deal.outcome = self.outcome
            deal.close_reason = self.reason
            deal.competitor = self.competitor
            deal.stage_probability = self.probability
            deal.probability_override = None
            deal._enter_stage(self.stage, self.forecast_category, self.reason, "close", self.at, self.meta)

    def _enter_stage(
        self, key: str, category: str, reason: str | None, direction: str, at: datetime, meta: dict[str, str]
    ) -> None:
        if self.history:
            self.history[-1]["left_at"] = at
        self.history.append(
            {"stage": key, "entered_at": at, "left_at": None, "reason": reason, "direction": direction, "by": meta["actor"]}
        )
        self.stage = key
        self.forecast_category = category

    # -- edits ------------------------------------------------------------------------------

    def update(self, changes: dict[str, Any], meta: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Apply the edits that change something; answer them as {field: {before, after}}."""
        if self.outcome is not None:
            raise DealIsClosed(self.id, self.outcome)
        diff = {
            field: {"before": self._current(field), "after": after}
            for field, after in changes.items()
            if self._current(field) != after
        }
        if diff:
            slipped = "expected_close_date" in diff and diff["expected_close_date"]["after"] > self.expected_close_date
            override = diff["probability"]["after"] if "probability" in diff else self.probability_override
            after = self.stage_probability if override is None else override
            self._updated(diff, slipped, self.probability, after, meta)
        return diff

    @event("Updated", topic="services.pipeline.domain:Deal.Updated")
    def _updated(
        self,
        changes: dict[str, dict[str, Any]],
        slipped: bool,
        probability_before: int,
        probability_after: int,
        meta: dict[str, str],
    ) -> None:
        for field, change in changes.items():
            if field == "value":
                self.amount, self.currency = Decimal(change["after"]["amount"]), change["after"]["currency"]
            else:
                setattr(self, _ATTRIBUTE[field], change["after"])
        if slipped:
            self.slip_count += 1

    def _current(self, field: str) -> Any:
        if field == "value":
            return {"amount": f"{self.amount:.2f}", "currency": self.currency}
        return getattr(self, _ATTRIBUTE[field])

    # -- activities -------------------------------------------------------------------------

    def log_activity(
        self,
        activity_id: str,
        kind: str,
        subject: str,
        occurred_at: datetime | None,
        due_at: datetime | None,
        at: datetime,
        meta: dict[str, str],
        duration_minutes: int | None = None,
    ) -> None:
        self.trigger_event(
            self.ActivityLogged,
            activity_id=activity_id,
            kind=kind,
            subject=subject,
            occurred_at=occurred_at,
            due_at=due_at,
            duration_minutes=duration_minutes,
            at=at,
            meta=meta,
        )

    class ActivityLogged(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.ActivityLogged"
        """Version 2 added `duration_minutes` (how long a call or meeting took). Events
        stored as version 1 are upcast on read; the stored history is never rewritten."""

        class_version = 2

        activity_id: str
        kind: str
        subject: str
        occurred_at: datetime | None
        due_at: datetime | None
        duration_minutes: int | None
        at: datetime
        meta: dict[str, str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["duration_minutes"] = None  # nobody measured it then

        def apply(self, deal: Deal) -> None:
            deal.activities[self.activity_id] = {
                "activity_id": self.activity_id,
                "kind": self.kind,
                "subject": self.subject,
                "occurred_at": self.occurred_at,
                "due_at": self.due_at,
                "duration_minutes": self.duration_minutes,
                "done": self.kind != "task",
                "done_at": None,
                "logged_at": self.at,
                "by": self.meta["actor"],
            }

    def complete_task(self, activity_id: str, at: datetime, meta: dict[str, str]) -> None:
        task = self.activities.get(activity_id)
        if task is None or task["kind"] != "task":
            raise ActivityNotFound(self.id, activity_id)
        if not task["done"]:
            self._task_completed(activity_id, at, meta)

    @event("TaskCompleted", topic="services.pipeline.domain:Deal.TaskCompleted")
    def _task_completed(self, activity_id: str, at: datetime, meta: dict[str, str]) -> None:
        self.activities[activity_id] |= {"done": True, "done_at": at}

    # -- alerts (once each) -----------------------------------------------------------------

    def alert_close_date(self, days_left: int, meta: dict[str, str]) -> bool:
        key = f"close:{self.expected_close_date.isoformat()}"
        if key in self.alerts or not self.is_open:
            return False
        self._close_date_approaching(key, self.expected_close_date, days_left, self.owner_id, meta)
        return True

    @event("CloseDateApproaching", topic="services.pipeline.domain:Deal.CloseDateApproaching")
    def _close_date_approaching(
        self, key: str, expected_close_date: date, days_left: int, owner_id: str | None, meta: dict[str, str]
    ) -> None:
        self.alerts.append(key)

    def alert_overdue(self, activity_id: str, meta: dict[str, str]) -> bool:
        task = self.activities[activity_id]
        key = f"task:{activity_id}:{task['due_at'].isoformat()}"
        if key in self.alerts or task["done"] or not self.is_open:
            return False
        self._task_overdue(key, activity_id, task["subject"], task["due_at"], self.owner_id, meta)
        return True

    @event("TaskOverdue", topic="services.pipeline.domain:Deal.TaskOverdue")
    def _task_overdue(
        self, key: str, activity_id: str, subject: str, due_at: datetime, owner_id: str | None, meta: dict[str, str]
    ) -> None:
        self.alerts.append(key)

    # -- what registration decides ------------------------------------------------------------

    def change_owner(self, owner_id: str | None, reason: str, upstream: Upstream, meta: dict[str, str]) -> None:
        """Registration decides ownership; the pipeline follows (None: in the pool)."""
        self._owner_changed(owner_id, self.owner_id, reason, upstream, meta)

    @event("OwnerChanged", topic="services.pipeline.domain:Deal.OwnerChanged")
    def _owner_changed(
        self, owner_id: str | None, previous_owner_id: str | None, reason: str, upstream: Upstream, meta: dict[str, str]
    ) -> None:
        self.owner_id = owner_id
        self._see(upstream)

    def withdraw(self, reason: str, upstream: Upstream, meta: dict[str, str]) -> None:
        """The registration was rejected: the deal never enters the pipeline."""
        if self.in_pipeline:
            raise DealIsClosed(self.id, "in the pipeline already")
        self._withdrawn(reason, upstream, meta)

    @event("Withdrawn", topic="services.pipeline.domain:Deal.Withdrawn")
    def _withdrawn(self, reason: str, upstream: Upstream, meta: dict[str, str]) -> None:
        self.outcome = "withdrawn"
        self._see(upstream)

    def _see(self, upstream: Upstream) -> None:
        if upstream is not None:
            source, sequence = upstream
            self.seen[source] = max(self.seen.get(source, 0), sequence)


# The editable fields and where the aggregate keeps each.
_ATTRIBUTE = {
    "name": "name",
    "value": "amount",  # money: {"amount": "12500.00", "currency": "CNY"}
    "expected_close_date": "expected_close_date",
    "probability": "probability_override",
    "priority": "priority",
    "competitors": "competitors",
    "contacts": "contacts",
}
EDITABLE = frozenset(_ATTRIBUTE)
