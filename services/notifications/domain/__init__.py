"""Notifications' domain model: the deals as far as it needs them (name and owner, to know
whom to tell), each message raised for a person, and each person's preferences.

A message's id is derived from what caused it — the upstream event's id, the recipient and
the kind (`notification_id`) — so an event delivered twice finds its message already there
and raises nothing: that is the whole of the dedupe, inside the service's own store.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

Kind = Literal[
    "close_date_approaching",
    "recycle_warning",
    "recycled",
    "review_waiting",
    "registration_approved",
    "registration_rejected",
    "assigned",
    "task_due",
    "task_overdue",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
Channel = Literal["in_app", "email"]
Upstream = tuple[str, int]

_NAMESPACE = uuid5(NAMESPACE_URL, "crm/notifications")


def notification_id(source_event_id: str, recipient: str, kind: str) -> UUID:
    """The dedupe key: one message per upstream event, recipient and kind."""
    return uuid5(_NAMESPACE, f"{source_event_id}|{recipient}|{kind}")


def preferences_id(user_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"preferences|{user_id}")


class Deal(Aggregate):
    """A deal's name and owner as the upstream events last said; `seen` makes each
    upstream event count once (a redelivered old event never turns the owner back)."""

    if TYPE_CHECKING:  # `@event` makes these classes from the methods below
        Tracked: ClassVar[type[Any]]
        Learned: ClassVar[type[Any]]

    @event("Tracked")
    def __init__(self, id: UUID, name: str, owner_id: str | None, upstream: Upstream) -> None:  # noqa: A002
        self.name = name
        self.owner_id = owner_id
        self.seen: dict[str, int] = {upstream[0]: upstream[1]}

    def has_seen(self, source: str, sequence: int) -> bool:
        return self.seen.get(source, 0) >= sequence

    @event("Learned")
    def learn(self, name: str, owner_id: str | None, upstream: Upstream) -> None:
        """Its name (the registration's, which may come after a pipeline event) or owner changed."""
        self.name = name
        self.owner_id = owner_id
        self.seen[upstream[0]] = upstream[1]


class Notification(Aggregate):
    """One message for one person; `params` are what its text names (the deal's name, a
    date), rendered in the reader's language when shown or mailed."""

    if TYPE_CHECKING:
        Raised: ClassVar[type[Any]]
        Read: ClassVar[type[Any]]

    @event("Raised")
    def __init__(
        self,
        id: UUID,  # noqa: A002 - `notification_id(...)`
        recipient: str,
        kind: str,
        deal_id: str | None,
        params: dict[str, str],
        happened_at: datetime,
        source_event_id: str,
    ) -> None:
        self.recipient = recipient
        self.kind = kind
        self.deal_id = deal_id
        self.params = params
        self.happened_at = happened_at
        self.source_event_id = source_event_id
        self.read_at: datetime | None = None

    def read(self, at: datetime) -> None:
        if self.read_at is None:  # reading it again changes nothing
            self._read(at=at)

    @event("Read")
    def _read(self, at: datetime) -> None:
        self.read_at = at


class Preferences(Aggregate):
    """What a person wants told, and how: per kind, in the app and by mail, their address
    and the language of their mail."""

    if TYPE_CHECKING:
        Chosen: ClassVar[type[Any]]
        Changed: ClassVar[type[Any]]

    @event("Chosen")
    def __init__(
        self,
        id: UUID,
        user_id: str,
        email: str | None,
        language: str,
        kinds: dict[str, dict[str, bool]],  # noqa: A002
    ) -> None:
        self.user_id = user_id
        self.email = email
        self.language = language
        self.kinds = kinds

    @event("Changed")
    def change(self, email: str | None, language: str, kinds: dict[str, dict[str, bool]]) -> None:
        self.email = email
        self.language = language
        self.kinds = kinds


def default_kinds() -> dict[str, dict[str, bool]]:
    """Until a person chooses: every kind in the app and by mail (mail goes only once they
    give an address, so until then: the app only)."""
    return {kind: {"in_app": True, "email": True} for kind in KINDS}


def wants(kinds: dict[str, dict[str, bool]], kind: str, channel: Channel) -> bool:
    return kinds.get(kind, {}).get(channel, True)
