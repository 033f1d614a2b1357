"""What every catalogue entry is made of: the frozen base models and the shapes several
events share (money, contacts, an account reference). `shared.contracts.events` re-exports
them, so `from shared.contracts.events import Money` keeps working."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_serializer


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Money(Contract):
    """An amount of money; the amount travels as a decimal string, never a float."""

    amount: Decimal = Field(max_digits=18, decimal_places=2)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")

    @field_serializer("amount")
    def _amount_as_string(self, amount: Decimal) -> str:
        return f"{amount:.2f}"


def money(amount: Decimal | float | int, currency: str) -> dict[str, str]:
    """Money as it travels, for a body or event built by hand: the same document the
    `Money` contract serialises to (two decimal places, the number never a float)."""
    return {"amount": f"{amount:.2f}", "currency": currency}


class Contact(Contract):
    name: str
    phone: str | None = None
    email: str | None = None


class AccountRef(Contract):
    id: str
    name: str


class DealContact(Contract):
    id: str
    name: str
    role: str | None = None
    phone: str | None = None
    email: str | None = None


class EventData(Contract):
    """Base of every catalogue entry; TYPE is the CloudEvents `type`."""

    TYPE: ClassVar[str]
