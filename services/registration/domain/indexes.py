"""The indexes that make registration's rules race-free: customer keys (撞单) and each
rep's holdings (保有量). Each is an aggregate with a derived id, saved in the same
transaction as the deal it guards, so the event store's version check settles every race.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.registration.domain.topics import first_stored_in
from services.registration.errors import HoldingLimitReached


@first_stored_in("services.registration.indexes")
class CustomerKey(Aggregate):
    """An index entry: one per normalised customer key (name, phone, e-mail, domain),
    naming the active deal that holds it and the account it belongs to.

    Its id derives from the key, so two concurrent registrations of one customer both try
    to write the same version of the same aggregate and the event store lets exactly one in.
    """

    @event("Claimed")
    def __init__(self, id: UUID, key: str, deal_id: UUID, account_id: UUID, meta: dict[str, str]) -> None:  # noqa: A002
        self.key = key
        self.deal_id: UUID | None = deal_id
        self.account_id = account_id

    @event("Reclaimed")
    def claim(self, deal_id: UUID, account_id: UUID, meta: dict[str, str]) -> None:
        self.deal_id = deal_id
        self.account_id = account_id

    def release(self, deal_id: UUID, meta: dict[str, str]) -> None:
        if self.deal_id == deal_id:
            self._released(deal_id, meta)

    @event("Released")
    def _released(self, deal_id: UUID, meta: dict[str, str]) -> None:
        self.deal_id = None


@first_stored_in("services.registration.indexes")
class Holdings(Aggregate):
    """The open deals one rep owns (保有量). Taking a deal past the limit is refused, and
    because holdings and the deal are saved together, two claims racing for the last slot
    cannot both succeed."""

    @staticmethod
    def create_id(owner_id: str) -> UUID:
        return holdings_id(owner_id)

    @event("Opened")
    def __init__(self, owner_id: str) -> None:
        self.owner_id = owner_id
        self.deal_ids: list[str] = []

    def take(self, deal_id: UUID, limit: int) -> None:
        if str(deal_id) in self.deal_ids:
            return
        if len(self.deal_ids) >= limit:
            raise HoldingLimitReached(self.owner_id, limit)
        self._took(str(deal_id))

    @event("Took")
    def _took(self, deal_id: str) -> None:
        self.deal_ids.append(deal_id)

    def give_up(self, deal_id: UUID) -> None:
        if str(deal_id) in self.deal_ids:
            self._gave_up(str(deal_id))

    @event("GaveUp")
    def _gave_up(self, deal_id: str) -> None:
        self.deal_ids.remove(deal_id)


def holdings_id(owner_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:holdings:{owner_id}")
