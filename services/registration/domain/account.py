"""An account: a customer, opened when a deal or a lead names one nobody registered yet."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

from services.registration.domain.topics import first_stored_in


@first_stored_in("services.registration.domain")
class Account(Aggregate):
    """A customer. Its contacts live inside it: a contact is not a customer of its own."""

    @event("Opened")
    def __init__(self, name: str, contacts: list[dict[str, Any]], meta: dict[str, str]) -> None:
        self.name = name
        self.contacts = contacts
