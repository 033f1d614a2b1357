"""A deal's activities: calls, meetings, emails and notes, done when logged, and tasks,
done when somebody completes them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from services.pipeline.domain.parts import DealPart
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
            at=at,
            meta=meta,
        )

    class ActivityLogged(Aggregate.Event):
        """Version 2 added `duration_minutes` (how long a call or meeting took). Events
        stored as version 1 are upcast on read; the stored history is never rewritten."""

        TOPIC = "services.pipeline.domain:Deal.ActivityLogged"
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
            self.trigger_event(self.TaskCompleted, activity_id=activity_id, at=at, meta=meta)

    class TaskCompleted(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.TaskCompleted"

        activity_id: str
        at: datetime
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            deal.activities[self.activity_id] |= {"done": True, "done_at": self.at}
