"""A lead: a company somebody met, until it is converted into a registered deal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.registration.domain.topics import first_stored_in
from services.registration.errors import LeadAlreadyConverted


@first_stored_in("services.registration.domain")
class Lead(Aggregate):
    if TYPE_CHECKING:
        # `@event` makes these event classes from the methods below when the class is made,
        # so the type checker cannot see them; their fields are the methods' parameters.
        Captured: ClassVar[type[Any]]
        Converted: ClassVar[type[Any]]

    @event("Captured")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - imports derive it from the row
        company: str,
        contact: dict[str, Any],
        source: str | None,
        region: str | None,
        industry: str | None,
        budget: dict[str, str] | None,
        meta: dict[str, str],
    ) -> None:
        self.company = company
        self.contact = contact
        self.source = source
        self.region = region
        self.industry = industry
        self.budget = budget
        self.captured_by = meta["actor"]
        self.deal_id: UUID | None = None

    def check_convertible(self) -> None:
        if self.deal_id is not None:
            raise LeadAlreadyConverted(self.id, self.deal_id)

    def convert(self, deal_id: UUID, account_id: UUID, contact_id: UUID, meta: dict[str, str]) -> None:
        self.check_convertible()
        self._converted(deal_id, account_id, contact_id, meta)

    @event("Converted")
    def _converted(self, deal_id: UUID, account_id: UUID, contact_id: UUID, meta: dict[str, str]) -> None:
        self.deal_id = deal_id
        self.account_id = account_id
        self.contact_id = contact_id
