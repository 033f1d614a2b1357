"""A deal's alerts, each raised once: its close date approaching, a task of it overdue.
The deal records the alerts it raised (`alerts`), so a replica that raises one a second
time, or the same sweep run again, changes nothing."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from eventsourcing.domain import Aggregate

from services.pipeline.domain.parts import DealPart

if TYPE_CHECKING:
    from services.pipeline.domain.deal import Deal


class Alerts(DealPart):
    """The deal's part that raises alerts (its state is set by `Deal`)."""

    def alert_close_date(self, days_left: int, meta: dict[str, str]) -> bool:
        key = f"close:{self.expected_close_date.isoformat()}"
        if key in self.alerts or not self.is_open:
            return False
        self.trigger_event(
            self.CloseDateApproaching,
            key=key,
            expected_close_date=self.expected_close_date,
            days_left=days_left,
            owner_id=self.owner_id,
            meta=meta,
        )
        return True

    class CloseDateApproaching(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.CloseDateApproaching"

        key: str
        expected_close_date: date
        days_left: int
        owner_id: str | None
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            deal.alerts.append(self.key)

    def alert_overdue(self, activity_id: str, meta: dict[str, str]) -> bool:
        task = self.activities[activity_id]
        key = f"task:{activity_id}:{task['due_at'].isoformat()}"
        if key in self.alerts or task["done"] or not self.is_open:
            return False
        self.trigger_event(
            self.TaskOverdue,
            key=key,
            activity_id=activity_id,
            subject=task["subject"],
            due_at=task["due_at"],
            owner_id=self.owner_id,
            meta=meta,
        )
        return True

    class TaskOverdue(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.TaskOverdue"

        key: str
        activity_id: str
        subject: str
        due_at: datetime
        owner_id: str | None
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            deal.alerts.append(self.key)
