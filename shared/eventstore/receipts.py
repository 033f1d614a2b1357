"""Receipts: the record, in a service's own event store, that a command sent with an
`Idempotency-Key` was applied.

A receipt is a one-event stream whose id is derived from (caller, key), saved in the same
transaction as the command's own events (`ServiceApplication.save` adds it to the first
save of the request). So the key is recorded exactly when the command is: a commit that
landed while its answer was lost (the store cut mid-commit, the connection dropped) still
left its receipt, and a second command with the same key loses the version race on it and
records nothing. The HTTP edge (`shared.web.idempotency`) sets the pending receipt for the
request and reads receipts back.

Receipts are internal: no projection, relay or consumer acts on them (none knows the event),
and they are sealed and chained like every other event, so `crm audit verify` covers them.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = UUID("0f5e2c4a-9d1b-4c7e-a3f6-8b2d7e1c5a90")


def receipt_id(user_id: str, key: str) -> UUID:
    """The receipt stream of a key: the same key of two callers are two streams."""
    return uuid5(_NAMESPACE, f"{user_id}\n{key}")


class Receipt(Aggregate):
    if TYPE_CHECKING:
        Issued: ClassVar[type[Any]]

    @event("Issued")
    def __init__(self, id: UUID, key: str, fingerprint: str, meta: dict[str, str]) -> None:  # noqa: A002
        self.key = key
        self.fingerprint = fingerprint


class AlreadyApplied(Exception):
    """Another request with the same key recorded its command first (HTTP 409, or the
    stored answer when there is one)."""

    def __init__(self, receipt: UUID) -> None:
        super().__init__(f"a command with this Idempotency-Key was already applied ({receipt})")
        self.receipt = receipt


@dataclass
class Pending:
    """The receipt a request's first save must carry: for which application (the service the
    route belongs to), under which id, with which fingerprint. `recorded` once it is saved."""

    app: object
    id: UUID
    key: str
    fingerprint: str
    meta: dict[str, str]
    recorded: bool = False

    def receipt(self) -> Receipt:
        return Receipt(id=self.id, key=self.key, fingerprint=self.fingerprint, meta=self.meta)


# Set for the length of one HTTP command by the idempotency middleware; the route's thread
# sees it (Starlette copies the context into its thread pool). Holding a mutable `Pending`,
# the middleware learns whether a save recorded the receipt.
pending_receipt: ContextVar[Pending | None] = ContextVar("pending_receipt", default=None)


def stored_fingerprint(app: Any, receipt: UUID) -> str | None:
    """The fingerprint a receipt was issued for, or None when there is no such receipt."""
    stored = app.recorder.select_events(receipt, limit=1)
    if not stored:
        return None
    return str(getattr(app.mapper.to_domain_event(stored[0]), "fingerprint", ""))
