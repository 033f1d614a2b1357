"""The bodies pipeline's routes accept: each field checked at the edge (422 naming it);
a field nobody knows is refused, not ignored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.pipeline.domain.stages import Stage
from services.pipeline.domain.terms import ALWAYS_SET, Priority
from shared.errors import Invalid
from shared.web.inputs import Instant, MoneyIn


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class ChangeStage(Command):
    to_stage: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=1000)


class CloseDeal(Command):
    outcome: Literal["won", "lost"]
    reason: str | None = Field(default=None, max_length=1000)
    competitor: str | None = Field(default=None, max_length=300)


class Reopen(Command):
    to_stage: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=1000)


class ContactRole(Command):
    id: str | None = Field(default=None, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    role: Literal["decision_maker", "influencer", "user", "champion", "economic_buyer", "other"]


class EditDeal(Command):
    """Only the fields present change; `probability: null` removes an override."""

    # One field per editable term (domain/terms.py EDITABLE: a unit test holds them equal).

    name: str | None = Field(default=None, min_length=1, max_length=300)
    value: MoneyIn | None = None
    expected_close_date: date | None = None
    probability: int | None = Field(default=None, ge=0, le=100)
    priority: Priority | None = None
    competitors: list[str] | None = Field(default=None, max_length=20)
    contacts: list[ContactRole] | None = Field(default=None, max_length=50)

    def changes(self) -> dict[str, Any]:
        """The edits as the deal takes them: only the fields given, money and contacts as
        plain data; null empties a list; a term every deal has may change, never be cleared
        (422 naming it)."""
        changes = self.model_dump(mode="python", exclude_unset=True)
        if "value" in changes:
            changes["value"] = self.value.model_dump(mode="json") if self.value else None
        if "contacts" in changes:
            changes["contacts"] = [c.model_dump(mode="json") for c in self.contacts or []]
        if "competitors" in changes:  # null clears the list, as for contacts: a deal's lists are never null
            changes["competitors"] = list(self.competitors or [])
        for field in ALWAYS_SET:
            if field in changes and changes[field] is None:
                raise Invalid(field, "may not be null")
        return changes


class LogActivity(Command):
    kind: Literal["call", "meeting", "visit", "email", "note", "task"] = Field(
        description="a visit is a meeting at the customer's (拜访): published as a meeting with `visit: true`"
    )
    subject: str = Field(min_length=1, max_length=500)
    occurred_at: Instant | None = None
    due_at: Instant | None = None
    duration_minutes: int | None = Field(default=None, ge=0, le=24 * 60)


class DefinePipeline(Command):
    stages: list[Stage] = Field(min_length=2, max_length=50)


# -- the catalogue and line items ----------------------------------------------------------------

ProductCode = Annotated[
    str, Field(pattern=r"^[A-Z0-9][A-Z0-9._-]{0,39}$", examples=["ERP-STD"], description="upper case, digits, . _ -")
]


class AddProduct(Command):
    code: ProductCode
    name_zh: str = Field(min_length=1, max_length=200, description="the name in Chinese (中文名称)")
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    product_line: str = Field(min_length=1, max_length=100)
    unit: str = Field(min_length=1, max_length=20, examples=["套", "license", "hour"])
    list_price: MoneyIn


class EditProduct(Command):
    """Only the fields present change; `name_en: null` removes the English name."""

    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    product_line: str | None = Field(default=None, min_length=1, max_length=100)
    unit: str | None = Field(default=None, min_length=1, max_length=20)
    list_price: MoneyIn | None = None

    def changes(self) -> dict[str, Any]:
        changes = self.model_dump(mode="json", exclude_unset=True)
        if self.list_price is not None:  # whole, currency too (exclude_unset would drop a default)
            changes["list_price"] = self.list_price.model_dump(mode="json")
        for field in ("name_zh", "product_line", "unit", "list_price"):
            if field in changes and changes[field] is None:
                raise Invalid(field, "may not be null")
        return changes


MAX_QUANTITY = 1_000_000


class LineItemIn(Command):
    product_code: ProductCode
    quantity: Decimal = Field(gt=0, le=MAX_QUANTITY, max_digits=10, decimal_places=3)
    unit_price: MoneyIn | None = Field(default=None, description="the product's list price when absent")
    discount_percent: Decimal = Field(default=Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)


class SetLineItems(Command):
    """The deal's items, all of them: what is not listed is removed (an empty list removes
    every item; the value then stays what it last was, and may be edited again)."""

    items: list[LineItemIn] = Field(max_length=200)
