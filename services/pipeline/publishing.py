"""Pipeline's edge: its domain events translated into the public catalogue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.pipeline.domain.deal import Deal
from services.pipeline.domain.lineitems import items_value, product_lines
from services.pipeline.domain.products import Product
from shared.contracts import CloudEvent
from shared.contracts import events as public
from shared.eventstore.application import public_event
from shared.eventstore.checkpoints import checkpoint_data

SOURCE = "crm/pipeline"


def to_public(event: Any) -> CloudEvent | None:
    checkpoint = checkpoint_data(event)  # routed by the relay to `crm.checkpoints`
    return public_event(SOURCE, checkpoint if checkpoint is not None else _data(event), event)


def _data(event: Any) -> public.EventData | None:
    if isinstance(event, _PRODUCT_EVENTS):
        return _product_data(event)
    deal_id = str(event.originator_id)
    if isinstance(event, Deal.StageChanged):
        return public.DealStageChanged(
            deal_id=deal_id,
            pipeline_id=event.pipeline_id,
            from_stage=event.from_stage,
            to_stage=event.to_stage,
            probability=event.probability,
            value=public.Money(amount=event.amount, currency=event.currency),
            expected_close_date=event.expected_close_date,
            owner_id=event.owner_id,
            reason=event.reason,
            forecast_category=event.forecast_category,
            source=event.source,
            regression=event.direction == "back",
            reopened=event.direction == "reopen",
        )
    if isinstance(event, Deal.Updated):
        return public.DealUpdated(
            deal_id=deal_id, changes=_public_changes(event.changes, event.probability_before, event.probability_after)
        )
    if isinstance(event, Deal.OwnerChanged):
        return public.DealUpdated(
            deal_id=deal_id, changes={"owner_id": {"before": event.previous_owner_id, "after": event.owner_id}}
        )
    if isinstance(event, Deal.LineItemsChanged):
        return _line_items(deal_id, event.items)
    if isinstance(event, Deal.ActivityLogged):
        return public.DealActivityLogged(
            deal_id=deal_id,
            activity_id=event.activity_id,
            # A visit is a meeting at the customer's: the public kinds stay as first published.
            kind="meeting" if event.kind == "visit" else event.kind,
            visit=event.kind == "visit",
            subject=event.subject,
            occurred_at=event.occurred_at,
            due_at=event.due_at,
            duration_minutes=event.duration_minutes,
            required_by_stage=event.required_by_stage,
            required_task=event.required_task,
        )
    if isinstance(event, Deal.TaskCompleted):
        return public.DealTaskCompleted(deal_id=deal_id, activity_id=event.activity_id, completed_at=event.at)
    if isinstance(event, Deal.TaskOverdue):
        return public.DealTaskOverdue(
            deal_id=deal_id,
            activity_id=event.activity_id,
            owner_id=event.owner_id,
            subject=event.subject,
            due_at=event.due_at,
        )
    if isinstance(event, Deal.CloseDateApproaching):
        return public.DealCloseDateApproaching(
            deal_id=deal_id,
            owner_id=event.owner_id,
            expected_close_date=event.expected_close_date,
            days_left=event.days_left,
        )
    if isinstance(event, Deal.Closed):
        return public.DealClosed(
            deal_id=deal_id,
            outcome=event.outcome,
            reason=event.reason,
            competitor=event.competitor,
            value=public.Money(amount=event.amount, currency=event.currency),
            closed_on=event.at.date(),
            owner_id=event.owner_id,
        )
    return None


_PRODUCT_EVENTS = (Product.Added, Product.Changed, Product.Retired)


def _product_data(event: Any) -> public.EventData:
    if isinstance(event, Product.Added):
        return public.ProductAdded(
            product_code=event.code,
            name_zh=event.name_zh,
            name_en=event.name_en,
            product_line=event.product_line,
            unit=event.unit,
            list_price=public.Money(amount=event.list_price, currency=event.currency),
        )
    if isinstance(event, Product.Changed):
        return public.ProductChanged(product_code=event.code, changes=event.changes)
    return public.ProductRetired(product_code=event.code)


def _line_items(deal_id: str, items: list[dict[str, Any]]) -> public.DealLineItemsChanged:
    currency = items[0]["currency"] if items else None
    return public.DealLineItemsChanged(
        deal_id=deal_id,
        items=[
            public.DealLineItem(
                **{k: item[k] for k in ("product_code", "name_zh", "name_en", "product_line", "unit", "quantity")},
                unit_price=public.Money(amount=Decimal(item["unit_price"]), currency=item["currency"]),
                discount_percent=item["discount_percent"],
                net=public.Money(amount=Decimal(item["net"]), currency=item["currency"]),
            )
            for item in items
        ],
        product_lines={
            line: public.Money(amount=amount, currency=currency or "CNY")
            for line, amount in product_lines(items).items()
        },
        value=public.Money(amount=items_value(items), currency=currency) if currency else None,
    )


def _public_changes(changes: dict[str, dict[str, Any]], before: int, after: int) -> dict[str, dict[str, Any]]:
    """A probability override (or its removal) reports the probability in effect before
    and after, so consumers never need the stage set to know it."""
    public_changes: dict[str, dict[str, Any]] = {}
    for field, change in changes.items():
        if field == "probability":
            public_changes[field] = {"before": before, "after": after}
        else:
            public_changes[field] = {"before": _json(change["before"]), "after": _json(change["after"])}
    return public_changes


def _json(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
