"""A channel partner organisation (渠道伙伴): registered by an admin with the channel managers
who review its registrations, and the record of its registrations that collided with a
customer somebody already holds (撞单), which the partner report counts.

Its id derives from the organisation's own id (the `X-User-Partner` / `crm_partner` its users
act under), so a second registration of one organisation finds the first.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.registration.domain.topics import first_stored_in


def partner_aggregate_id(partner_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:registration:partner:{partner_id}")


@first_stored_in("services.registration.domain")
class Partner(Aggregate):
    if TYPE_CHECKING:  # made by `@event` when the class is made (see `Deal`)
        Registered: ClassVar[type[Any]]
        ConflictNoted: ClassVar[type[Any]]

    @staticmethod
    def create_id(partner_id: str) -> UUID:
        return partner_aggregate_id(partner_id)

    @event("Registered")
    def __init__(self, partner_id: str, name: str, channel_managers: list[str], meta: dict[str, str]) -> None:
        self.partner_id = partner_id
        self.name = name
        self.channel_managers = channel_managers
        self.conflicts = 0

    def note_conflict(self, matched_on: str, at: datetime, meta: dict[str, str]) -> None:
        """A registration of this partner's was refused: the customer was already registered.
        Which deal held it is not recorded here: this is the partner's record."""
        self._conflict_noted(self.partner_id, matched_on, at, meta)

    @event("ConflictNoted")
    def _conflict_noted(self, partner_id: str, matched_on: str, at: datetime, meta: dict[str, str]) -> None:
        self.conflicts += 1
