"""A lead: a company somebody met, until it is converted into a registered deal or
disqualified; meanwhile the conversion model scores it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.registration.domain.topics import first_stored_in
from services.registration.errors import LeadAlreadyConverted, LeadDisqualified


@first_stored_in("services.registration.domain")
class Lead(Aggregate):
    if TYPE_CHECKING:
        # `@event` makes these event classes from the methods below when the class is made,
        # so the type checker cannot see them; their fields are the methods' parameters.
        Captured: ClassVar[type[Any]]
        Converted: ClassVar[type[Any]]
        Disqualified: ClassVar[type[Any]]
        Scored: ClassVar[type[Any]]
        Assigned: ClassVar[type[Any]]
        LeftUnassigned: ClassVar[type[Any]]

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
        self.disqualified_reason: str | None = None
        self.score: float | None = None
        self.model_version: str | None = None

    @property
    def status(self) -> str:
        if self.deal_id is not None:
            return "converted"
        return "open" if self.disqualified_reason is None else "disqualified"

    def check_convertible(self) -> None:
        """An open lead may end (converted or disqualified); an ended one may not, again."""
        if self.deal_id is not None:
            raise LeadAlreadyConverted(self.id, self.deal_id)
        if self.disqualified_reason is not None:
            raise LeadDisqualified(self.id, self.disqualified_reason)

    def disqualify(self, reason: str, meta: dict[str, str]) -> None:
        self.check_convertible()
        self._disqualified(reason, meta)

    @event("Disqualified")
    def _disqualified(self, reason: str, meta: dict[str, str]) -> None:
        self.disqualified_reason = reason

    def record_score(self, score: float, model_version: str, model_sequence: int, meta: dict[str, str]) -> bool:
        """Record an open lead's score; the same score by the same model again records nothing."""
        if self.status != "open" or (self.score, self.model_version) == (score, model_version):
            return False
        self._scored(score, model_version, model_sequence, meta)
        return True

    @event("Scored")
    def _scored(self, score: float, model_version: str, model_sequence: int, meta: dict[str, str]) -> None:
        self.score = score
        self.model_version = model_version

    def convert(self, deal_id: UUID, account_id: UUID, contact_id: UUID, meta: dict[str, str]) -> None:
        self.check_convertible()
        self._converted(deal_id, account_id, contact_id, meta)

    @event("Converted")
    def _converted(self, deal_id: UUID, account_id: UUID, contact_id: UUID, meta: dict[str, str]) -> None:
        self.deal_id = deal_id
        self.account_id = account_id
        self.contact_id = contact_id

    # -- assignment by the rules (线索分配) -----------------------------------------------------

    def assign(self, owner_id: str, rule: str, reasons: list[str], meta: dict[str, str]) -> None:
        self.check_convertible()
        self._assigned(owner_id, self.captured_by, rule, reasons, meta)

    @event("Assigned")
    def _assigned(
        self, owner_id: str, previous_owner_id: str, rule: str, reasons: list[str], meta: dict[str, str]
    ) -> None:
        # `captured_by` is the lead's owner: whoever captured it until the rules give it to
        # someone; what reads it (reach, conversion) follows the new owner.
        self.captured_by = owner_id

    def leave_unassigned(self, rule: str | None, reasons: list[str], meta: dict[str, str]) -> None:
        """The rules found nobody: the lead stays its capturer's, and this says why."""
        self._left_unassigned(rule, reasons, meta)

    @event("LeftUnassigned")
    def _left_unassigned(self, rule: str | None, reasons: list[str], meta: dict[str, str]) -> None:
        pass
