"""The deal as the pipeline keeps it: the aggregate, its state, and what registration
decides for it (ownership, a rejection). Its other concerns each have a module of their
own, joined here: its progress through the stages, its terms, line items, activities, their
attached files, and alerts.

A deal arrives from registration's events and remembers what it applied (see `upstream`).
Business instants (`at`) come from the application's clock, which tests control.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.pipeline.domain.activities import Activities
from services.pipeline.domain.alerts import Alerts
from services.pipeline.domain.attachments import Attachments
from services.pipeline.domain.lineitems import LineItems
from services.pipeline.domain.progress import Progress
from services.pipeline.domain.terms import Terms
from services.pipeline.domain.upstream import RemembersUpstream, Upstream
from services.pipeline.errors import DealIsClosed


class Deal(RemembersUpstream, Progress, Terms, LineItems, Activities, Attachments, Alerts, Aggregate):
    TOPIC = "services.pipeline.domain:Deal"  # stored topics stay put when the code moves

    class Created(Aggregate.Created):
        TOPIC = "services.pipeline.domain:Deal.Created"  # never recorded (see `Tracked`)

    if TYPE_CHECKING:
        # `@event` makes these event classes from the methods below when the class is made,
        # so the type checker cannot see them; their fields are the methods' parameters.
        Tracked: ClassVar[type[Any]]
        OwnerChanged: ClassVar[type[Any]]
        Withdrawn: ClassVar[type[Any]]

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
        requested_items: list[dict[str, Any]] | None = None,  # added later: the items an import asked for
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
        self.line_items: list[dict[str, Any]] = []
        # Priced against the catalogue when the deal enters the pipeline (`reactions`);
        # a note says why they were not applied, if they were not.
        self.requested_items: list[dict[str, Any]] = list(requested_items or [])
        self.line_items_note: str | None = None
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
