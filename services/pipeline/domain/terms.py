"""A deal's terms, the fields people edit: name, value, expected close date, probability
(an override of the stage's), priority, competitors and contacts. An edit records only what
changes, as {field: {before, after}}; a close date moved later counts as a slip."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from eventsourcing.domain import Aggregate

from services.pipeline.domain.parts import DealPart
from services.pipeline.errors import DealIsClosed
from shared.contracts import money
from shared.errors import Invalid

if TYPE_CHECKING:
    from services.pipeline.domain.deal import Deal

Priority = Literal["low", "normal", "high"]

# The editable fields and where the aggregate keeps each: the one list of them. The
# application refuses any other; the request body (requests.EditDeal) has a field for each.
_ATTRIBUTE = {
    "name": "name",
    "value": "amount",  # money: {"amount": "12500.00", "currency": "CNY"}
    "expected_close_date": "expected_close_date",
    "probability": "probability_override",
    "priority": "priority",
    "competitors": "competitors",
    "contacts": "contacts",
}
EDITABLE = frozenset(_ATTRIBUTE)
ALWAYS_SET = ("name", "value", "expected_close_date", "priority")  # an edit changes them, never clears them


class Terms(DealPart):
    """The deal's part that edits its terms (its state is set by `Deal`)."""

    def update(self, changes: dict[str, Any], meta: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Apply the edits that change something; answer them as {field: {before, after}}."""
        if self.outcome is not None:
            raise DealIsClosed(self.id, self.outcome)
        if "value" in changes and self.line_items:
            raise Invalid("value", "the deal's value is the sum of its line items: edit them instead")
        diff = {
            field: {"before": self._current(field), "after": after}
            for field, after in changes.items()
            if self._current(field) != after
        }
        if diff:
            slipped = "expected_close_date" in diff and diff["expected_close_date"]["after"] > self.expected_close_date
            override = diff["probability"]["after"] if "probability" in diff else self.probability_override
            after = self.stage_probability if override is None else override
            self.trigger_event(
                self.Updated,
                changes=diff,
                slipped=slipped,
                probability_before=self.probability,
                probability_after=after,
                meta=meta,
            )
        return diff

    def _value_follows(self, amount: Decimal, meta: dict[str, str]) -> None:
        """The value becomes `amount` (its line items' sum), recorded as a value edit is."""
        before, after = money(self.amount, self.currency), money(amount, self.currency)
        if before != after:
            self.trigger_event(
                self.Updated,
                changes={"value": {"before": before, "after": after}},
                slipped=False,
                probability_before=self.probability,
                probability_after=self.probability,
                meta=meta,
            )

    class Updated(Aggregate.Event):
        TOPIC = "services.pipeline.domain:Deal.Updated"

        changes: dict[str, dict[str, Any]]
        slipped: bool
        probability_before: int
        probability_after: int
        meta: dict[str, str]

        def apply(self, deal: Deal) -> None:
            for field, change in self.changes.items():
                if field == "value":
                    deal.amount, deal.currency = Decimal(change["after"]["amount"]), change["after"]["currency"]
                else:
                    setattr(deal, _ATTRIBUTE[field], change["after"])
            if self.slipped:
                deal.slip_count += 1

    def _current(self, field: str) -> Any:
        if field == "value":
            return money(self.amount, self.currency)
        return getattr(self, _ATTRIBUTE[field])
