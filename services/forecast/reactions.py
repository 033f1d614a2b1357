"""What the forecast does when a pipeline event arrives: it records the deal's new terms on
its own `Deal`, each upstream event once (`Deal.seen`), with the instant it happened."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from services.forecast.domain import Deal, Terms
from services.forecast.errors import DealNotInForecast
from shared.contracts import Money, ReceivedEvent
from shared.contracts import events as public

if TYPE_CHECKING:  # the application calls in here: its type only, to avoid a cycle
    from services.forecast.application import ForecastApplication


def react(app: ForecastApplication, received: ReceivedEvent) -> tuple[Deal, ...]:
    """The deals the event created or changed, for the caller to save (`handle`, or
    `handle_batch` for a whole poll); other event types change nothing."""
    data = received.data
    if isinstance(data, public.DealStageChanged):
        return _stage_changed(app, data, received)
    if isinstance(data, public.DealUpdated):
        return _updated(app, data, received)
    if isinstance(data, public.DealClosed):
        return _closed(app, data, received)
    if isinstance(data, public.DealLineItemsChanged):
        return _lines_changed(app, data, received)
    if isinstance(data, public.DealActivityLogged) and data.kind in ("call", "meeting"):
        return _activity_logged(app, data, received)
    return ()


def _stage_changed(
    app: ForecastApplication, data: public.DealStageChanged, received: ReceivedEvent
) -> tuple[Deal, ...]:
    upstream, at = (received.envelope.source, received.sequence), received.envelope.time
    terms = Terms(
        owner_id=data.owner_id,
        source=data.source,
        stage=data.to_stage,
        probability=data.probability,
        forecast_category=data.forecast_category,
        amount=data.value.amount,
        currency=data.value.currency,
        expected_close_date=data.expected_close_date,
    )
    deal = app.find(Deal, data.deal_id)
    if deal is None:
        deal = Deal(id=UUID(data.deal_id), terms=terms, at=at, upstream=upstream)
    elif deal.has_seen(*upstream):
        return ()
    else:
        deal.move(terms=terms, from_stage=data.from_stage, regression=data.regression, at=at, upstream=upstream)
    return (deal,)


def _updated(app: ForecastApplication, data: public.DealUpdated, received: ReceivedEvent) -> tuple[Deal, ...]:
    upstream, at = (received.envelope.source, received.sequence), received.envelope.time
    deal = app.find(Deal, data.deal_id)
    if deal is None or deal.has_seen(*upstream):
        return ()  # an update to a deal not yet in the forecast changes no figure
    changes = forecast_changes(data.changes)
    if not changes:
        return ()
    deal.change(changes=changes, at=at, upstream=upstream)
    return (deal,)


def _closed(app: ForecastApplication, data: public.DealClosed, received: ReceivedEvent) -> tuple[Deal, ...]:
    upstream, at = (received.envelope.source, received.sequence), received.envelope.time
    deal = app.find(Deal, data.deal_id)
    if deal is None:
        raise DealNotInForecast(data.deal_id)
    if deal.has_seen(*upstream):
        return ()
    deal.close(
        outcome=data.outcome,
        closed_on=data.closed_on or at.date(),
        amount=data.value.amount,
        currency=data.value.currency,
        at=at,
        upstream=upstream,
    )
    return (deal,)


def _lines_changed(
    app: ForecastApplication, data: public.DealLineItemsChanged, received: ReceivedEvent
) -> tuple[Deal, ...]:
    """The pipeline takes line items only on a deal in a pipeline, so the forecast has it."""
    upstream, at = (received.envelope.source, received.sequence), received.envelope.time
    deal = app.find(Deal, data.deal_id)
    if deal is None:
        raise DealNotInForecast(data.deal_id)
    if deal.has_seen(*upstream):
        return ()
    lines = {line: f"{value.amount:.2f}" for line, value in data.product_lines.items()}
    deal.change_lines(lines=lines, at=at, upstream=upstream)
    return (deal,)


def _activity_logged(
    app: ForecastApplication, data: public.DealActivityLogged, received: ReceivedEvent
) -> tuple[Deal, ...]:
    """Counted for whoever logged it (the event's actor), when it happened; an activity on a
    deal the forecast never had (not yet in a pipeline) counts nowhere."""
    upstream = (received.envelope.source, received.sequence)
    deal = app.find(Deal, data.deal_id)
    if deal is None or deal.has_seen(*upstream):
        return ()
    kind = "visit" if data.visit else data.kind
    at = data.occurred_at or received.envelope.time
    deal.record_activity(activity_id=data.activity_id, kind=kind, by=received.envelope.actor, at=at, upstream=upstream)
    return (deal,)


def forecast_changes(changes: dict[str, dict[str, object]]) -> dict[str, object]:
    """The terms the forecast keeps, from a `deal.updated` change set (`after` values)."""
    terms: dict[str, object] = {}
    if "owner_id" in changes:
        terms["owner_id"] = changes["owner_id"]["after"]
    if "probability" in changes and changes["probability"]["after"] is not None:
        terms["probability"] = int(str(changes["probability"]["after"]))
    if "expected_close_date" in changes:
        terms["expected_close_date"] = date.fromisoformat(str(changes["expected_close_date"]["after"]))
    if "value" in changes:
        value = Money.model_validate(changes["value"]["after"])
        terms["amount"], terms["currency"] = value.amount, value.currency
    return terms
