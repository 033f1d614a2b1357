"""The product catalogue (产品信息): each product a `Product` aggregate, named by its code.
A product is never deleted: a retired one takes no new line items but stays on the deals
that have it, so every deal keeps reading as it was sold."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.contracts import money

# The editable fields and where the aggregate keeps each; the request body
# (requests.EditProduct) has a field for each.
EDITABLE = ("name_zh", "name_en", "product_line", "unit", "list_price")


class Product(Aggregate):
    TOPIC = "services.pipeline.domain:Product"  # stored topics stay put when the code moves

    class Created(Aggregate.Created):
        TOPIC = "services.pipeline.domain:Product.Created"  # never recorded (see `Added`)

    if TYPE_CHECKING:  # the `@event` classes (see `Deal`)
        Added: ClassVar[type[Any]]
        Changed: ClassVar[type[Any]]
        Retired: ClassVar[type[Any]]

    @staticmethod
    def create_id(code: str) -> UUID:
        return product_uuid(code)

    @event("Added", topic="services.pipeline.domain:Product.Added")
    def __init__(
        self,
        code: str,
        name_zh: str,
        name_en: str | None,
        product_line: str,
        unit: str,
        list_price: Decimal,
        currency: str,
        meta: dict[str, str],
    ) -> None:
        self.code = code
        self.name_zh = name_zh
        self.name_en = name_en
        self.product_line = product_line
        self.unit = unit
        self.list_price = list_price
        self.currency = currency
        self.active = True

    def change(self, changes: dict[str, Any], meta: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Apply the edits that change something; answer them as {field: {before, after}}.
        A retired product may still be corrected (its name, say): deals show it."""
        diff = {
            field: {"before": self._current(field), "after": after}
            for field, after in changes.items()
            if self._current(field) != after
        }
        if diff:
            self._changed(self.code, diff, meta)
        return diff

    @event("Changed", topic="services.pipeline.domain:Product.Changed")
    def _changed(self, code: str, changes: dict[str, dict[str, Any]], meta: dict[str, str]) -> None:
        """`code` travels with the event so that its public form names the product."""
        for field, change in changes.items():
            if field == "list_price":
                self.list_price, self.currency = Decimal(change["after"]["amount"]), change["after"]["currency"]
            else:
                setattr(self, field, change["after"])

    def retire(self, meta: dict[str, str]) -> bool:
        """Retire the product (once: retiring a retired product records nothing)."""
        if not self.active:
            return False
        self._retired(self.code, meta)
        return True

    @event("Retired", topic="services.pipeline.domain:Product.Retired")
    def _retired(self, code: str, meta: dict[str, str]) -> None:
        self.active = False

    def _current(self, field: str) -> Any:
        if field == "list_price":
            return money(self.list_price, self.currency)
        return getattr(self, field)


def product_uuid(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:product:{code}")
