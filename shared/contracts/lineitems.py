"""A deal's line items as events carry them: as a registration (an import row) asks for
them, before any catalogue has priced them, and as the pipeline priced them."""

from __future__ import annotations

from pydantic import Field

from shared.contracts.base import Contract, Money


class RequestedLineItem(Contract):
    """A line item as a registration (an import row) asks for it, before any catalogue has
    priced it: the pipeline prices it against its catalogue when it starts tracking the deal."""

    product_code: str
    quantity: str = Field(pattern=r"^\d+(\.\d+)?$")  # decimal strings, never floats
    unit_price: Money | None = Field(default=None, description="None: the product's list price")
    discount_percent: str = Field(default="0", pattern=r"^\d+(\.\d+)?$", description="0 to 100")


class DealLineItem(Contract):  # the product as it was when the line was set, and its price
    product_code: str
    name_zh: str
    name_en: str | None = None
    product_line: str
    unit: str
    quantity: str = Field(pattern=r"^\d+(\.\d+)?$")  # decimal strings, never floats
    unit_price: Money
    discount_percent: str = Field(pattern=r"^\d+(\.\d+)?$", description="0 to 100")
    net: Money = Field(description="quantity × unit price × (1 − discount %), rounded half-up to the cent")
