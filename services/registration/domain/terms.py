"""The terms a deal is registered with: the one list of them.

The HTTP requests and the import rows are filled from it (`requests.DealTermsFields`),
the registration rule turns it into the deal's first event (`registration.register`).
A new term is added here first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

DealType = Literal["new_business", "existing_business"]


@dataclass(frozen=True)
class DealTerms:
    name: str
    amount: Decimal
    currency: str
    expected_close_date: date
    deal_type: DealType | None = None  # None: existing_business for a known customer, else new_business
    source: str | None = None
    customer_level: str | None = None
    product_line: str | None = None
    # The line items an import row asks for, not priced here: registration knows no
    # catalogue; the pipeline prices them. Each: product_code, quantity, discount_percent
    # (decimal strings) and unit_price (a decimal string in the deal's currency, or absent
    # for the product's list price).
    line_items: tuple[dict[str, str], ...] = ()
