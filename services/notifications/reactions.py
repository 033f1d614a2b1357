"""What notifications does when a registration or pipeline event arrives: it keeps the
deal's name and owner (`Deal`), and raises the messages the event calls for
(`messages_for`, pure: who is told what), each once (`notification_id`).

Who is told (the actor is never told of what they did themselves):
- a registration awaiting review: the managers of the owner's teams (rules.team_managers);
- approved / rejected: the deal's owner;
- assigned (assignment, reassignment, claim): the new owner;
- recycle warning: the owner; recycled: the owner it was taken from;
- close date approaching: the owner;
- a task logged with a due date: the deal's owner (no public event says "due soon", so
  a task is announced with its due date when it is logged); overdue: the task's owner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from services.notifications.domain import Deal, Kind, Notification, notification_id
from shared.contracts import ReceivedEvent
from shared.contracts import events as public

if TYPE_CHECKING:  # the application calls in here: its type only, to avoid a cycle
    from services.notifications.application import NotificationsApplication


@dataclass(frozen=True)
class Message:
    recipient: str
    kind: Kind
    params: dict[str, str]


@dataclass(frozen=True)
class DealView:
    name: str
    owner_id: str | None


def messages_for(
    received: ReceivedEvent, deal: DealView | None, managers_reaching: Callable[[str], tuple[str, ...]]
) -> list[Message]:
    """The messages an event calls for, given the deal as known before it."""
    data, actor = received.data, received.envelope.actor
    name = data.name if isinstance(data, public.DealRegistered) else (deal.name if deal else "")
    owner = deal.owner_id if deal else None
    found: list[Message] = []

    def tell(recipient: str | None, kind: Kind, **params: str) -> None:
        if recipient and recipient != actor:
            found.append(Message(recipient, kind, {"deal_name": name, **params}))

    if isinstance(data, public.DealRegistered) and data.registration_status == "pending":
        for manager in managers_reaching(data.owner_id):
            tell(manager, "review_waiting", owner_id=data.owner_id, reasons=", ".join(data.review_reasons))
    elif isinstance(data, public.DealRegistrationApproved):
        tell(owner, "registration_approved", by=data.approved_by, until=data.protected_until.date().isoformat())
    elif isinstance(data, public.DealRegistrationRejected):
        tell(owner, "registration_rejected", by=data.rejected_by, reason=data.reason, note=data.note or "")
    elif isinstance(data, public.DealAssigned):
        tell(data.owner_id, "assigned", reason=data.reason, previous_owner_id=data.previous_owner_id or "")
    elif isinstance(data, public.DealRecycleWarned):
        tell(data.owner_id, "recycle_warning", reason=data.reason, at=data.recycle_at.date().isoformat())
    elif isinstance(data, public.DealRecycled):
        tell(data.previous_owner_id, "recycled", reason=data.reason)
    elif isinstance(data, public.DealCloseDateApproaching):
        tell(
            data.owner_id,
            "close_date_approaching",
            date=data.expected_close_date.isoformat(),
            days_left=str(data.days_left),
        )
    elif isinstance(data, public.DealActivityLogged) and data.kind == "task" and data.due_at is not None:
        tell(owner, "task_due", subject=data.subject, due_at=data.due_at.isoformat(timespec="minutes"))
    elif isinstance(data, public.DealTaskOverdue):
        tell(
            data.owner_id or owner,
            "task_overdue",
            subject=data.subject,
            due_at=data.due_at.isoformat(timespec="minutes"),
        )
    return found


def react(app: NotificationsApplication, received: ReceivedEvent) -> list[Deal | Notification]:
    """The deal and the messages the event created or changed, for the caller to save."""
    deal_id = getattr(received.data, "deal_id", None)
    if deal_id is None:
        return []
    deal = app.find(Deal, deal_id)
    view = DealView(deal.name, deal.owner_id) if deal is not None else None
    changed: list[Deal | Notification] = []
    if (tracked := _track(deal, deal_id, received)) is not None:
        changed.append(tracked)
    for message in messages_for(received, view, app.managers_reaching):
        key = notification_id(received.envelope.id, message.recipient, message.kind)
        if app.find(Notification, key) is None:  # delivered before: raised then
            changed.append(
                Notification(
                    id=key,
                    recipient=message.recipient,
                    kind=message.kind,
                    deal_id=deal_id,
                    params=message.params,
                    happened_at=received.envelope.time,
                    source_event_id=received.envelope.id,
                )
            )
    return changed


def _track(deal: Deal | None, deal_id: str, received: ReceivedEvent) -> Deal | None:
    """The deal with the owner the event gives it (None: nothing to change)."""
    data, upstream = received.data, (received.envelope.source, received.sequence)
    if deal is not None and deal.has_seen(*upstream):
        return None
    if isinstance(data, public.DealRegistered):
        owner: str | None = data.owner_id
    elif isinstance(data, public.DealAssigned):
        owner = data.owner_id
    elif isinstance(data, public.DealRecycled):
        owner = None
    elif isinstance(data, public.DealStageChanged):
        owner = data.owner_id
    else:
        return None
    name = data.name if isinstance(data, public.DealRegistered) else (deal.name if deal else "")
    if deal is None:
        return Deal(id=UUID(deal_id), name=name, owner_id=owner, upstream=upstream)
    if (deal.name, deal.owner_id) == (name, owner):
        return None
    deal.learn(name, owner, upstream)
    return deal
