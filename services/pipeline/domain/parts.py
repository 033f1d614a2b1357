"""What every part of a deal (`progress`, `terms`, `activities`, `alerts`, `upstream`) may
read and write: the deal's state and the members of the aggregate, declared once so that
each part type-checks on its own. Declarations only: `Deal` sets the state in its
`__init__`, and the aggregate members come from eventsourcing's `Aggregate`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from eventsourcing.domain import CanMutateAggregate

    from services.pipeline.domain.stages import Stage
    from services.pipeline.domain.upstream import Upstream


class DealPart:
    """The base of each part of `Deal`. Annotations only, no values: at run time it adds
    nothing to the class (eventsourcing reads only `Deal`'s own annotations)."""

    name: str
    account_name: str
    owner_id: str | None
    amount: Decimal
    currency: str
    expected_close_date: date
    source: str | None
    pipeline_id: str | None
    stage: str | None
    stage_probability: int
    probability_override: int | None
    forecast_category: str | None
    outcome: str | None
    close_reason: str | None
    competitor: str | None
    priority: str
    competitors: list[str]
    contacts: list[dict[str, Any]]
    slip_count: int
    activities: dict[str, dict[str, Any]]
    alerts: list[str]
    history: list[dict[str, Any]]
    seen: dict[str, int]
    line_items: list[dict[str, Any]]
    requested_items: list[dict[str, Any]]
    line_items_note: str | None

    if TYPE_CHECKING:
        # Defined elsewhere in `Deal`'s classes; declared here only for the type checker, as
        # definitions at run time would shadow the real ones (the parts precede `Aggregate`).

        @property
        def id(self) -> UUID: ...  # from `Aggregate`

        def trigger_event(self, event_class: type[CanMutateAggregate[UUID]], **kwargs: Any) -> None: ...  # `Aggregate`

        @property
        def probability(self) -> int: ...  # from `Deal`

        @property
        def in_pipeline(self) -> bool: ...  # from `Deal`

        @property
        def is_open(self) -> bool: ...  # from `Deal`

        def _see(self, upstream: Upstream) -> None: ...  # from `upstream.RemembersUpstream`

        def _value_follows(self, amount: Decimal, meta: dict[str, str]) -> None: ...  # from `terms.Terms`

        def create_required_tasks(self, stage: Stage, at: datetime, meta: dict[str, str]) -> None: ...  # `activities`

        def open_required_tasks(self, stage_keys: Collection[str]) -> list[dict[str, Any]]: ...  # `activities`
