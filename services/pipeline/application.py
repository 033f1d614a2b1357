"""Pipeline's service layer: the commands (from the HTTP API, from the alert job, and the
consumer's `handle`, whose reactions live in reactions.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from services.pipeline.domain.deal import Deal
from services.pipeline.domain.stages import DEFAULT, Pipeline, Stage, StageSet, pipeline_uuid
from services.pipeline.domain.terms import EDITABLE
from services.pipeline.reactions import react
from services.pipeline.rules import PipelineRules
from shared.clock import Clock, SystemClock
from shared.contracts import ReceivedEvent
from shared.errors import Invalid
from shared.eventstore.application import ServiceApplication, meta
from shared.eventstore.retries import retrying

Check = Callable[[Deal], None] | None  # may the caller change this deal? raises if not


class PipelineApplication(ServiceApplication):
    name = "pipeline"  # names its tables: pipeline_events

    def __init__(
        self, env: dict[str, str] | None = None, clock: Clock | None = None, rules: PipelineRules | None = None
    ) -> None:
        super().__init__(env)
        self.clock = clock or SystemClock()
        self.rules = rules or PipelineRules()

    # -- stage sets -------------------------------------------------------------------------

    def stage_set(self, pipeline_id: str) -> StageSet | None:
        pipeline = self.find(Pipeline, pipeline_uuid(pipeline_id))
        if pipeline is not None:
            return pipeline.stage_set
        return DEFAULT if pipeline_id == DEFAULT.pipeline_id else None

    def define_pipeline(self, pipeline_id: str, stages: list[Stage], meta: dict[str, str]) -> StageSet:
        def define() -> StageSet:
            pipeline = self.find(Pipeline, pipeline_uuid(pipeline_id))
            current = pipeline.stage_set if pipeline else (DEFAULT if pipeline_id == DEFAULT.pipeline_id else None)
            try:
                revised = (
                    current.revised(stages) if current else StageSet(pipeline_id=pipeline_id, stages=tuple(stages))
                )
            except ValueError as error:  # the set as a whole is unusable
                raise Invalid("stages", str(error)) from None
            documents = [stage.model_dump(mode="json") for stage in revised.stages]
            if pipeline is None:
                pipeline = Pipeline(pipeline_id=pipeline_id, stages=documents, meta=meta)
            else:
                pipeline.redefine(documents, meta)
            self.save(pipeline)
            return revised

        return retrying(define)

    def stages_of(self, deal: Deal) -> StageSet:
        return self.stage_set(deal.pipeline_id or DEFAULT.pipeline_id) or DEFAULT

    # -- upstream events ----------------------------------------------------------------------

    def react(self, received: ReceivedEvent) -> tuple[Deal, ...]:
        """What registration's event changes (services/pipeline/reactions.py); the base
        class's `handle` / `handle_batch` save it, retrying a lost race."""
        return react(self, received)

    # -- commands on a deal -----------------------------------------------------------------

    def change_stage(
        self, deal_id: UUID | str, to_stage: str, reason: str | None, meta: dict[str, str], *, check: Check = None
    ) -> Deal:
        return self._on_deal(
            deal_id,
            lambda deal: deal.change_stage(self.stages_of(deal), to_stage, reason, self.clock.now(), meta),
            check,
        )

    def update(
        self, deal_id: UUID | str, changes: dict[str, Any], meta: dict[str, str], *, check: Check = None
    ) -> Deal:
        unknown = set(changes) - EDITABLE
        if unknown:
            raise Invalid(sorted(unknown)[0], "not an editable field")
        close = changes.get("expected_close_date")
        if close is not None and close < self.clock.now().date():  # as registration refuses it
            raise Invalid("expected_close_date", "the expected close date has already passed")
        return self._on_deal(deal_id, lambda deal: deal.update(changes, meta), check)

    def log_activity(
        self,
        deal_id: UUID | str,
        kind: str,
        subject: str,
        occurred_at: datetime | None,
        due_at: datetime | None,
        meta: dict[str, str],
        duration_minutes: int | None = None,
        *,
        check: Check = None,
    ) -> tuple[Deal, str]:
        if kind == "task" and due_at is None:
            raise Invalid("due_at", "a task needs a due date")
        activity_id = str(uuid4())
        now = self.clock.now()
        deal = self._on_deal(
            deal_id,
            lambda deal: deal.log_activity(
                activity_id,
                kind,
                subject,
                occurred_at or (None if kind == "task" else now),
                due_at,
                now,
                meta,
                duration_minutes,
            ),
            check,
        )
        return deal, activity_id

    def complete_task(
        self, deal_id: UUID | str, activity_id: str, meta: dict[str, str], *, check: Check = None
    ) -> Deal:
        return self._on_deal(deal_id, lambda deal: deal.complete_task(activity_id, self.clock.now(), meta), check)

    def close_deal(
        self,
        deal_id: UUID | str,
        outcome: str,
        reason: str | None,
        competitor: str | None,
        meta: dict[str, str],
        *,
        check: Check = None,
    ) -> Deal:
        if outcome == "lost":
            if reason not in self.rules.lost_reasons:
                raise Invalid("reason", f"a lost deal's reason is one of: {', '.join(self.rules.lost_reasons)}")
            if reason == self.rules.competitor_reason and not competitor:
                raise Invalid("competitor", "a deal lost to a competitor names the competitor")
        return self._on_deal(
            deal_id,
            lambda deal: deal.close(self.stages_of(deal), outcome, reason, competitor, self.clock.now(), meta),
            check,
        )

    def reopen(self, deal_id: UUID | str, to_stage: str | None, reason: str | None, meta: dict[str, str]) -> Deal:
        return self._on_deal(
            deal_id, lambda deal: deal.reopen(self.stages_of(deal), to_stage, reason, self.clock.now(), meta)
        )

    def get_deal(self, deal_id: UUID | str) -> Deal:
        return self.get(Deal, deal_id)

    def _on_deal(self, deal_id: UUID | str, command: Any, check: Check = None) -> Deal:
        """Load, `check` (may this caller change it? raises before anything is recorded),
        change, save: one read of the deal, retried whole when another writer won."""

        def run() -> Deal:
            deal = self.get_deal(deal_id)
            if check is not None:
                check(deal)
            command(deal)
            self.save(deal)
            return deal

        return retrying(run)

    # -- alerts -----------------------------------------------------------------------------

    def raise_alerts(self, deal_ids: list[UUID]) -> dict[str, int]:
        """Close date approaching (N days before) and overdue tasks, each once.

        Safe on several replicas: each alert is recorded on the deal at its current
        version, so a replica that loses the race reloads and finds it already raised.
        """
        now = self.clock.now()
        system = meta("system", f"alerts-{now.isoformat()}")
        counts = {"close_date_approaching": 0, "task_overdue": 0}
        for deal_id in deal_ids:
            for kind, raised in retrying(partial(self._alert_one, deal_id, now, system)).items():
                counts[kind] += raised
        return counts

    def _alert_one(self, deal_id: UUID, now: datetime, system: dict[str, str]) -> dict[str, int]:
        deal = self.find(Deal, deal_id)
        raised = {"close_date_approaching": 0, "task_overdue": 0}
        if deal is None or not deal.is_open:
            return raised
        days_left = (deal.expected_close_date - now.date()).days
        if 0 <= days_left <= self.rules.close_date_alert_days and deal.alert_close_date(days_left, system):
            raised["close_date_approaching"] += 1
        for activity_id, task in deal.activities.items():
            if (
                task["kind"] == "task"
                and not task["done"]
                and task["due_at"] < now
                and deal.alert_overdue(activity_id, system)
            ):
                raised["task_overdue"] += 1
        if any(raised.values()):
            self.save(deal)
        return raised
