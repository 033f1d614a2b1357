"""Registration's errors: each domain refusal a 409 naming what conflicts; and the
upstream event that names a deal never registered here, which the consumer parks."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.errors import Conflict


class RegistrationError(Exception):
    """Base of registration's domain errors."""


class Refused(Conflict, RegistrationError):
    """A registration rule refuses the command (409)."""


class LeadAlreadyConverted(Refused):
    def __init__(self, lead_id: UUID, deal_id: UUID) -> None:
        super().__init__(f"lead {lead_id} was already converted into deal {deal_id}", deal_id=str(deal_id))


class LeadDisqualified(Refused):
    def __init__(self, lead_id: UUID, reason: str) -> None:
        super().__init__(f"lead {lead_id} was disqualified ({reason})", lead_status="disqualified")


class DuplicateRegistration(Refused):
    def __init__(self, customer: str, conflicting_deal_id: UUID, matched_on: str) -> None:
        super().__init__(
            f"customer {customer!r} is already registered by deal {conflicting_deal_id} (matched on {matched_on})",
            conflicting_deal_id=str(conflicting_deal_id),
            matched_on=matched_on,
        )
        self.conflicting_deal_id = conflicting_deal_id
        self.matched_on = matched_on


class RegistrationNotPending(Refused):
    def __init__(self, deal_id: UUID, status: str) -> None:
        super().__init__(f"deal {deal_id} registration is {status}, not pending", registration_status=status)


class RegistrationNotApproved(Refused):
    def __init__(self, deal_id: UUID, status: str) -> None:
        super().__init__(f"deal {deal_id} registration is {status}, not approved", registration_status=status)


class DealClosed(Refused):
    def __init__(self, deal_id: UUID, outcome: str) -> None:
        super().__init__(f"deal {deal_id} is closed ({outcome})", outcome=outcome)


class AlreadyOwner(Refused):
    def __init__(self, deal_id: UUID, owner_id: str) -> None:
        super().__init__(f"{owner_id} already owns deal {deal_id}", owner_id=owner_id)


class NotInPool(Refused):
    def __init__(self, deal_id: UUID) -> None:
        super().__init__(f"deal {deal_id} is not in the pool")


class NotOwned(Refused):
    def __init__(self, deal_id: UUID) -> None:
        super().__init__(f"deal {deal_id} is already in the pool")


class ReclaimCooldown(Refused):
    def __init__(self, deal_id: UUID, until: datetime) -> None:
        super().__init__(
            f"the previous owner may reclaim deal {deal_id} from {until.isoformat()}", cooldown_until=until.isoformat()
        )


class HoldingLimitReached(Refused):
    def __init__(self, owner_id: str, limit: int) -> None:
        super().__init__(f"{owner_id} already holds {limit} open deals, the limit", owner_id=owner_id, limit=str(limit))


class AlreadyRegistered(Refused):
    def __init__(self, deal_id: UUID) -> None:
        super().__init__(f"deal {deal_id} is already registered", deal_id=str(deal_id))


class UnknownDeal(LookupError):
    """An upstream event names a deal this service never registered (a poison message)."""


class PartnerConflict(Refused):
    """What a channel partner hears when its customer is taken (撞单): that the customer is
    registered already, and on what it matched; never by whom, nor which deal holds it."""

    def __init__(self, customer: str, matched_on: str) -> None:
        super().__init__(f"customer {customer!r} is already registered", matched_on=matched_on)
        self.matched_on = matched_on


class PartnerAlreadyRegistered(Refused):
    def __init__(self, partner_id: str) -> None:
        super().__init__(f"partner {partner_id} is already registered", partner_id=partner_id)
