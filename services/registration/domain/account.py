"""An account: a customer, opened when a deal or a lead names one nobody registered yet.
It keeps its won deals (the pipeline reports them) and the tier they give it (`tiers`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.registration.domain.tiers import Rfm
from services.registration.domain.topics import first_stored_in


@first_stored_in("services.registration.domain")
class Account(Aggregate):
    """A customer. Its contacts live inside it: a contact is not a customer of its own."""

    if TYPE_CHECKING:  # made by `@event` from the methods below
        Opened: ClassVar[type[Any]]
        WonDealNoted: ClassVar[type[Any]]
        TierChanged: ClassVar[type[Any]]

    @event("Opened")
    def __init__(self, name: str, contacts: list[dict[str, Any]], meta: dict[str, str]) -> None:
        self.name = name
        self.contacts = contacts
        self.wins: list[dict[str, Any]] = []
        self.tier: str | None = None
        self.rfm: dict[str, Any] | None = None
        self.tier_since: date | None = None

    def note_won(self, deal_id: UUID, amount: Decimal, currency: str, closed_on: date, meta: dict[str, str]) -> bool:
        """Count a won deal once: a second report of the same deal changes nothing."""
        if any(win["deal_id"] == str(deal_id) for win in self.wins):
            return False
        self._won(str(deal_id), amount, currency, closed_on, meta)
        return True

    @event("WonDealNoted")
    def _won(self, deal_id: str, amount: Decimal, currency: str, closed_on: date, meta: dict[str, str]) -> None:
        self.wins.append({"deal_id": deal_id, "amount": amount, "currency": currency, "closed_on": closed_on})

    def retier(self, rfm: Rfm | None, today: date, meta: dict[str, str]) -> bool:
        """Record the tier the RFM gives, when it differs from the tier the account has."""
        if rfm is None or rfm.tier == self.tier:
            return False
        self._tier_changed(self.name, self.tier, rfm.tier, rfm.as_dict(), today, meta)
        return True

    @event("TierChanged")
    def _tier_changed(
        self,
        account_name: str,
        previous_tier: str | None,
        tier: str,
        rfm: dict[str, Any],
        as_of: date,
        meta: dict[str, str],
    ) -> None:
        self.tier = tier
        self.rfm = rfm
        self.tier_since = as_of
