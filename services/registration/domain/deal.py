"""A deal as registration sees it (报备): registered, reviewed, owned, protected, recycled.

Command methods are verbs that check their invariants and then trigger a past-tense event;
event methods only change state, so replaying history never re-checks a rule. Business
instants (`at`) come from the application's clock, which tests control.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.registration.domain.topics import first_stored_in
from services.registration.errors import (
    AlreadyOwner,
    DealClosed,
    NotInPool,
    NotOwned,
    ReclaimCooldown,
    RegistrationNotApproved,
    RegistrationNotPending,
)

Upstream = tuple[str, int] | None  # (source, sequence) of the upstream event that caused it


@first_stored_in("services.registration.domain")
class Deal(Aggregate):
    """A deal as registration sees it: who registered it, whether it is approved, who owns
    it and until when it is protected, and when anybody last worked on it."""

    if TYPE_CHECKING:
        # `@event` makes these event classes from the methods below when the class is made,
        # so the type checker cannot see them; their fields are the methods' parameters.
        Registered: ClassVar[type[Any]]
        RegistrationApproved: ClassVar[type[Any]]
        RegistrationRejected: ClassVar[type[Any]]
        Assigned: ClassVar[type[Any]]
        Recycled: ClassVar[type[Any]]
        RecycleWarned: ClassVar[type[Any]]
        ActivityNoted: ClassVar[type[Any]]
        Closed: ClassVar[type[Any]]

    @event("Registered")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - imports derive it from the row, so a second run finds it
        name: str,
        account_id: UUID,
        account_name: str,
        contacts: list[dict[str, Any]],
        deal_type: str,
        customer_level: str | None,
        product_line: str | None,
        amount: Decimal,
        currency: str,
        expected_close_date: date,
        source: str | None,
        owner_id: str,
        lead_id: UUID | None,
        keys: list[str],
        conflicts: list[dict[str, str]],
        review_reasons: list[str],
        registration_status: str,
        protected_until: datetime | None,
        at: datetime,
        meta: dict[str, str],
        partner: str | None = None,  # added later: the registrations stored before have none
        line_items: list[dict[str, str]] | None = None,  # added later: asked for by an import, priced by the pipeline
    ) -> None:
        # An auto-approved registration is approved in its very first event: it was
        # never pending, not even for a moment, so no event may say it was.
        self.name = name
        self.account_id = account_id
        self.account_name = account_name
        self.contacts = contacts
        self.deal_type = deal_type
        self.customer_level = customer_level
        self.product_line = product_line
        self.amount = amount
        self.currency = currency
        self.expected_close_date = expected_close_date
        self.source = source
        self.line_items = list(line_items or [])
        self.partner = partner  # the channel partner organisation that registered it, for good
        self.owner_id: str | None = owner_id
        self.lead_id = lead_id
        self.keys = keys
        self.conflicts = conflicts
        self.review_reasons = review_reasons
        self.registration_status = registration_status
        self.protected_until = protected_until
        self.outcome: str | None = None
        self.last_activity_at = at
        self.previous_owner_id: str | None = None
        self.recycled_at: datetime | None = None
        self.warnings: list[str] = []
        self.seen: dict[str, int] = {}
        self.ownership: list[dict[str, Any]] = [
            {"owner_id": owner_id, "reason": "registration", "by": meta["actor"], "at": at}
        ]

    # -- state the rules read ---------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        """Holds its customer keys: registered (pending or approved), not rejected, not closed."""
        return self.registration_status in ("pending", "approved") and self.outcome is None

    @property
    def in_pool(self) -> bool:
        return self.is_active and self.owner_id is None

    def has_seen(self, source: str, sequence: int) -> bool:
        return self.seen.get(source, 0) >= sequence

    # -- review -----------------------------------------------------------------------------

    def approve(self, protected_until: datetime, meta: dict[str, str]) -> None:
        self._check_pending()
        self._approved(protected_until, meta)

    @event("RegistrationApproved")
    def _approved(self, protected_until: datetime, meta: dict[str, str]) -> None:
        self.registration_status = "approved"
        self.protected_until = protected_until

    def reject(self, reason: str, conflicting_deal_id: UUID | None, note: str | None, meta: dict[str, str]) -> None:
        self._check_pending()
        self._rejected(reason, conflicting_deal_id, note, self.owner_id, meta)

    @event("RegistrationRejected")
    def _rejected(
        self,
        reason: str,
        conflicting_deal_id: UUID | None,
        note: str | None,
        owner_id: str | None,
        meta: dict[str, str],
    ) -> None:
        self.registration_status = "rejected"

    def _check_pending(self) -> None:
        if self.registration_status != "pending":
            raise RegistrationNotPending(self.id, self.registration_status)

    # -- ownership --------------------------------------------------------------------------

    def assign(
        self,
        owner_id: str,
        protected_until: datetime,
        at: datetime,
        meta: dict[str, str],
        rule: str | None = None,
        reasons: list[str] | None = None,
    ) -> None:
        """`rule` and `reasons`: the assignment rule that chose the owner and why each earlier
        rule did not (an assignment by the rules; a person's has neither)."""
        self._check_approved_and_open()
        if owner_id == self.owner_id:
            raise AlreadyOwner(self.id, owner_id)
        reason = "assignment" if self.owner_id is None else "reassignment"
        self._assigned(owner_id, self.owner_id, reason, protected_until, at, meta, rule, reasons)

    def claim(
        self, owner_id: str, protected_until: datetime, cooldown: timedelta, at: datetime, meta: dict[str, str]
    ) -> None:
        self._check_approved_and_open()
        if not self.in_pool:
            raise NotInPool(self.id)
        if owner_id == self.previous_owner_id and self.recycled_at and at < self.recycled_at + cooldown:
            raise ReclaimCooldown(self.id, self.recycled_at + cooldown)
        self._assigned(owner_id, None, "claim", protected_until, at, meta)

    @event("Assigned")
    def _assigned(
        self,
        owner_id: str,
        previous_owner_id: str | None,
        reason: str,
        protected_until: datetime,
        at: datetime,
        meta: dict[str, str],
        rule: str | None = None,  # added later, with `reasons`: the events stored before have neither
        reasons: list[str] | None = None,
    ) -> None:
        self.owner_id = owner_id
        self.protected_until = protected_until
        self.last_activity_at = at  # a new owner starts with a fresh clock
        self.ownership.append({"owner_id": owner_id, "reason": reason, "by": meta["actor"], "at": at})

    def recycle(self, reason: str, note: str | None, at: datetime, meta: dict[str, str]) -> None:
        self._check_approved_and_open()
        if self.owner_id is None:
            raise NotOwned(self.id)
        self._recycled(reason, note, self.owner_id, self.last_activity_at, at, meta)

    @event("Recycled")
    def _recycled(
        self,
        reason: str,
        note: str | None,
        previous_owner_id: str,
        last_activity_at: datetime,
        at: datetime,
        meta: dict[str, str],
    ) -> None:
        self.previous_owner_id = previous_owner_id
        self.owner_id = None
        self.recycled_at = at
        self.warnings = []
        self.ownership.append(
            {"owner_id": None, "reason": f"recycled: {reason}", "by": meta["actor"], "at": at, "note": note}
        )

    def warn(self, reason: str, recycle_at: datetime, meta: dict[str, str]) -> bool:
        """Warn the owner of a coming automatic recycle, once per reason and date."""
        key = f"{reason}@{recycle_at.isoformat()}"
        if key in self.warnings or self.owner_id is None:
            return False
        self._warned(key, reason, recycle_at, self.owner_id, meta)
        return True

    @event("RecycleWarned")
    def _warned(self, key: str, reason: str, recycle_at: datetime, owner_id: str, meta: dict[str, str]) -> None:
        self.warnings.append(key)

    def _check_approved_and_open(self) -> None:
        if self.registration_status != "approved":
            raise RegistrationNotApproved(self.id, self.registration_status)
        if self.outcome is not None:
            raise DealClosed(self.id, self.outcome)

    # -- what the pipeline tells us ---------------------------------------------------------

    @event("ActivityNoted")
    def note_activity(
        self, at: datetime, expected_close_date: date | None, upstream: Upstream, meta: dict[str, str]
    ) -> None:
        self.last_activity_at = max(self.last_activity_at, at)
        if expected_close_date is not None:
            self.expected_close_date = expected_close_date
        self._see(upstream)

    @event("Closed")
    def close(
        self,
        outcome: str,
        upstream: Upstream,
        meta: dict[str, str],
        amount: Decimal | None = None,  # added later, with `currency`: what it closed at
        currency: str | None = None,
    ) -> None:
        self.outcome = outcome
        self._see(upstream)

    def _see(self, upstream: Upstream) -> None:
        if upstream is not None:
            source, sequence = upstream
            self.seen[source] = max(self.seen.get(source, 0), sequence)
