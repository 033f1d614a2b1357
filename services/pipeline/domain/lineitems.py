"""A deal's line items: which products it sells, how many, at what unit price and discount.
Once a deal has line items its value is their sum: each line's net amount is quantity ×
unit price × (1 − discount %), rounded half-up to the cent per line (as an invoice prints
it), and the deal's value the sum of the lines. Every edit of the items is one event; the
value change it causes is a second, the same `Updated` a value edit records, so whoever
follows the deal's value (the board, the forecast) needs to know nothing about items."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from services.pipeline.domain.parts import DealPart
from services.pipeline.errors import DealIsClosed, DealNotInPipeline

if TYPE_CHECKING:
    from services.pipeline.domain.deal import Deal

CENT = Decimal("0.01")
MAX_VALUE = Decimal("9999999999999999.99")  # what a value's 18 digits hold (the read models' Numeric(18, 2))


def line_net(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """A line's net amount, rounded half-up to the cent."""
    return (quantity * unit_price * (100 - discount_percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def items_value(items: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(item["net"]) for item in items), Decimal(0))


def product_lines(items: list[dict[str, Any]]) -> dict[str, Decimal]:
    """The net amount per product line, in the order the lines first appear."""
    lines: dict[str, Decimal] = {}
    for item in items:
        lines[item["product_line"]] = lines.get(item["product_line"], Decimal(0)) + Decimal(item["net"])
    return lines


class LineItems(DealPart):
    """The deal's part that keeps `line_items` (its state is set by `Deal`)."""

    def set_line_items(self, items: list[dict[str, Any]], meta: dict[str, str]) -> bool:
        """Replace the items (each a document as `LineItemsChanged` keeps it, `net` priced by
        `line_net`); the value follows their sum. False when nothing changed."""
        if not self.in_pipeline:
            raise DealNotInPipeline(self.id)
        if self.outcome is not None:
            raise DealIsClosed(self.id, self.outcome)
        if items == self.line_items:
            return False
        self.trigger_event(self.LineItemsChanged, items=items, meta=meta)
        if items:
            self._value_follows(items_value(items), meta)
        return True

    class LineItemsChanged(Aggregate.Event):
        """Each item: product_code, name_zh, name_en, product_line, unit (the product as it
        was when the item was set), quantity, unit_price, currency, discount_percent and
        net, the numbers as decimal strings."""

        TOPIC = "services.pipeline.domain:Deal.LineItemsChanged"

        items: list[dict[str, Any]]
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            deal.line_items = [dict(item) for item in self.items]

    def note_items_not_applied(self, reason: str, meta: dict[str, str]) -> None:
        """The items registration asked for could not all be priced: none is applied and the
        deal keeps the value it was registered with, so its value is never a partial sum
        that looks complete; the note says which item failed and why."""
        self.trigger_event(self.LineItemsNotApplied, items=self.requested_items, reason=reason, meta=meta)

    class LineItemsNotApplied(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.LineItemsNotApplied"

        items: list[dict[str, Any]]
        reason: str
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            deal.line_items_note = self.reason
