"""What the pipeline does when registration's public events arrive: a registered deal is
tracked, and enters the pipeline once its registration is approved; a rejected one is
withdrawn; ownership follows assignments and recycling. Effectively once: a deal remembers
the upstream sequence it applied (domain/upstream.py), so a redelivered event changes
nothing. Anything else registration publishes is not the pipeline's business."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from services.pipeline.domain.deal import Deal
from services.pipeline.errors import UnknownDeal
from shared.contracts import ReceivedEvent
from shared.contracts import events as public
from shared.errors import Invalid
from shared.eventstore.application import meta_from

if TYPE_CHECKING:
    from services.pipeline.application import PipelineApplication

# What happens to a deal the pipeline already tracks.
FOLLOWED = (public.DealRegistrationApproved, public.DealRegistrationRejected, public.DealAssigned, public.DealRecycled)


def react(app: PipelineApplication, received: ReceivedEvent) -> tuple[Deal, ...]:
    """The deals the event created or changed, for the caller to save (`handle`, or
    `handle_batch` for a whole poll); other event types change nothing."""
    data = received.data
    upstream = (received.envelope.source, received.sequence)
    who = meta_from(received.envelope)
    at = received.envelope.time
    if isinstance(data, public.DealRegistered):
        return _track(app, data, upstream, who, at)
    if isinstance(data, FOLLOWED):
        return _follow(app, data, upstream, who, at)
    return ()


def _track(
    app: PipelineApplication, data: public.DealRegistered, upstream: tuple[str, int], who: dict[str, str], at: datetime
) -> tuple[Deal, ...]:
    deal = app.find(Deal, data.deal_id)
    if deal is None:
        deal = Deal(
            id=UUID(data.deal_id),
            name=data.name,
            account_name=data.account.name,
            owner_id=data.owner_id,
            amount=data.value.amount,
            currency=data.value.currency,
            expected_close_date=data.expected_close_date,
            source=data.source,
            upstream=upstream,
            meta=who,
            contacts=[contact.model_dump(exclude_none=True) for contact in data.contacts],
            requested_items=[item.model_dump(mode="json") for item in data.line_items] or None,
        )
    elif deal.has_seen(*upstream):
        return ()
    if data.registration_status == "approved":
        _enter(app, deal, at, upstream, who)
    return (deal,)


def _follow(
    app: PipelineApplication,
    data: public.DealRegistrationApproved | public.DealRegistrationRejected | public.DealAssigned | public.DealRecycled,
    upstream: tuple[str, int],
    who: dict[str, str],
    at: datetime,
) -> tuple[Deal, ...]:
    deal = app.find(Deal, data.deal_id)
    if deal is None:
        raise UnknownDeal(data.deal_id)
    if deal.has_seen(*upstream):
        return ()
    if isinstance(data, public.DealRegistrationApproved):
        _enter(app, deal, at, upstream, who)
    elif isinstance(data, public.DealRegistrationRejected):
        deal.withdraw(data.reason, upstream, who)
    elif isinstance(data, public.DealAssigned):
        deal.change_owner(data.owner_id, data.reason, upstream, who)
    else:
        deal.change_owner(None, f"recycled: {data.reason}", upstream, who)
    return (deal,)


def _enter(app: PipelineApplication, deal: Deal, at: datetime, upstream: tuple[str, int], who: dict[str, str]) -> None:
    """The deal enters the pipeline, and the line items registration asked for are priced
    (the same pricing and events as PUT …/line-items), so its value becomes their sum. An
    item the catalogue cannot price (no such product, a retired one, a list price in another
    currency) leaves them all unapplied and noted: the consumer never stops on it, and the
    deal keeps its registered value rather than a sum missing a product."""
    entering = not deal.in_pipeline
    deal.enter(app.stages_of(deal), at, upstream, who)
    if not entering or not deal.requested_items:
        return
    asked = [
        {
            "product_code": item["product_code"],
            "quantity": Decimal(item["quantity"]),
            "unit_price": item.get("unit_price"),
            "discount_percent": Decimal(item.get("discount_percent", "0")),
        }
        for item in deal.requested_items
    ]
    try:
        priced = app.priced(deal, asked)
    except Invalid as refused:
        deal.note_items_not_applied(f"{refused} ({refused.field})", who)
        return
    deal.set_line_items(priced, who)
