"""A deal's activities: calls, meetings, emails and notes, done when logged, and tasks,
done when somebody completes them.

A stage's required tasks (domain/stages.py) are tasks like any other, created when the deal
enters the stage and owned by the deal's owner. Each records the stage and the task key it
was created for, so what the stage set says later changes none of them: a deal keeps the
tasks it got, and leaving the stage forward needs those done. A deal gets each of a stage's
tasks once: coming back to the stage (back, then forward again, or reopened) creates only
the tasks it never had, and a task still open from an earlier visit must be done before the
deal leaves forward again."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid5

from eventsourcing.domain import Aggregate

from services.pipeline.domain.parts import DealPart
from services.pipeline.domain.stages import Stage
from services.pipeline.errors import ActivityNotFound

if TYPE_CHECKING:
    from services.pipeline.domain.deal import Deal


class Activities(DealPart):
    """The deal's part that keeps `activities` ({activity_id: activity}; state set by `Deal`)."""

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
            required_by_stage=None,
            required_task=None,
            owner_id=None,
            at=at,
            meta=meta,
        )

    def create_required_tasks(self, stage: Stage, at: datetime, meta: dict[str, str]) -> None:
        """The stage's tasks the deal never had, due counted from `at`, for its owner."""
        had = {(a["required_by_stage"], a["required_task"]) for a in self.activities.values()}
        for task in stage.required_tasks:
            if (stage.key, task.key) in had:
                continue
            self.trigger_event(
                self.ActivityLogged,
                # One task per deal, stage and key: its id says which.
                activity_id=str(uuid5(self.id, f"required:{stage.key}:{task.key}")),
                kind="task",
                subject=task.subject,
                occurred_at=None,
                due_at=at + timedelta(days=task.due_in_days),
                duration_minutes=None,
                required_by_stage=stage.key,
                required_task=task.key,
                owner_id=self.owner_id,
                at=at,
                meta=meta,
            )

    def open_required_tasks(self, stage_keys: Collection[str]) -> list[dict[str, Any]]:
        """The tasks the stages required of this deal that are not done yet."""
        return sorted(
            (a for a in self.activities.values() if a["required_by_stage"] in stage_keys and not a["done"]),
            key=lambda a: (a["due_at"], a["required_task"]),
        )

    class ActivityLogged(Aggregate.Event):
        """Version 2 added `duration_minutes` (how long a call or meeting took); version 3
        the stage and task key a stage's required task was created for, and its owner.
        Events stored as an older version are upcast on read; the stored history is never
        rewritten."""

        TOPIC = "services.pipeline.domain:Deal.ActivityLogged"
        class_version = 3

        activity_id: str
        kind: str
        subject: str
        occurred_at: datetime | None
        due_at: datetime | None
        duration_minutes: int | None
        required_by_stage: str | None
        required_task: str | None
        owner_id: str | None  # a required task's owner: the deal's when the task was created
        at: datetime
        meta: dict[str, str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["duration_minutes"] = None  # nobody measured it then

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            # No stage required a task then: every activity was logged by somebody.
            state |= {"required_by_stage": None, "required_task": None, "owner_id": None}

        def apply(self, deal: Deal) -> None:
            deal.activities[self.activity_id] = {
                "activity_id": self.activity_id,
                "kind": self.kind,
                "subject": self.subject,
                "occurred_at": self.occurred_at,
                "due_at": self.due_at,
                "duration_minutes": self.duration_minutes,
                "required_by_stage": self.required_by_stage,
                "required_task": self.required_task,
                "owner_id": self.owner_id,
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
            self.trigger_event(self.TaskCompleted, activity_id=activity_id, at=at, meta=meta)

    class TaskCompleted(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.TaskCompleted"

        activity_id: str
        at: datetime
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            deal.activities[self.activity_id] |= {"done": True, "done_at": self.at}
