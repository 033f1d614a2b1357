"""A deal's progress through its stage set: it enters when registration approves it, moves
forward (past the exit criteria and the required tasks of every stage it leaves) or back,
closes won or lost, and moves again only after somebody reopens it. Entering a stage
creates the stage's required tasks (domain/activities.py). `history` keeps every stage
visit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate

from services.pipeline.domain.parts import DealPart
from services.pipeline.domain.stages import Criterion, Stage, StageSet
from services.pipeline.domain.upstream import Upstream
from services.pipeline.errors import (
    ClosingStageNeedsClose,
    DealIsClosed,
    DealIsOpen,
    DealNotInPipeline,
    ExitCriteriaNotMet,
    StageRetired,
)

if TYPE_CHECKING:
    from services.pipeline.domain.deal import Deal


class Progress(DealPart):
    """The deal's part that moves it through the stages (its state is set by `Deal`)."""

    def missing_for(self, criteria: Iterable[Criterion]) -> list[str]:
        have = {
            "value": self.amount > 0,
            "expected_close_date": self.expected_close_date is not None,
            "contacts": bool(self.contacts),
            "decision_maker": any(c.get("role") == "decision_maker" for c in self.contacts),
            "competitors": bool(self.competitors),
        }
        return sorted(c for c in criteria if not have[c])

    def enter(self, stages: StageSet, at: datetime, upstream: Upstream, meta: dict[str, str]) -> None:
        """Registration approved: the deal starts in the first stage of its pipeline."""
        if self.in_pipeline:
            return
        self._move(stages.pipeline_id, stages.first, "registration approved", "enter", at, upstream, meta)

    def change_stage(
        self, stages: StageSet, to_key: str, reason: str | None, at: datetime, meta: dict[str, str]
    ) -> None:
        if self.stage is None:  # not in the pipeline (`in_pipeline`, said so the checker knows the stage)
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
            # The tasks the deal got on entering (not what the stage set says now), of the
            # stage it leaves and of any it skips that it had entered before.
            open_tasks = self.open_required_tasks({s.key for s in stages.stages[here:there]})
            missing = self.missing_for(passed)
            if missing or open_tasks:
                raise ExitCriteriaNotMet(
                    self.stage, missing, [f"{t['required_task']} ({t['subject']})" for t in open_tasks]
                )
        self._move(stages.pipeline_id, target, reason, "forward" if there > here else "back", at, None, meta)

    def close(
        self,
        stages: StageSet,
        outcome: str,
        reason: str | None,
        competitor: str | None,
        at: datetime,
        meta: dict[str, str],
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

    def reopen(
        self, stages: StageSet, to_key: str | None, reason: str | None, at: datetime, meta: dict[str, str]
    ) -> None:
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
        self.create_required_tasks(stage, at, meta)

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
            {
                "stage": key,
                "entered_at": at,
                "left_at": None,
                "reason": reason,
                "direction": direction,
                "by": meta["actor"],
            }
        )
        self.stage = key
        self.forecast_category = category
