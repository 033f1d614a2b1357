"""What the account list, the contact list and the search box answer (beside `responses`,
which holds the rest of registration's answers and is full)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.registration.responses import RegistrationStatus
from shared.web.responses import Instant, MoneyOut

NEXT = "pass as `cursor` for the next page; None on the last"


class AccountDeal(BaseModel):
    deal_id: str
    name: str
    owner_id: str | None
    registration_status: RegistrationStatus
    outcome: str | None
    value: MoneyOut


class ContactRow(BaseModel):
    contact_id: str
    name: str | None
    phone: str | None
    email: str | None
    account_id: str
    account_name: str | None
    deal_id: str = Field(description="the deal the contact came with: its reach is the contact's")
    deal_name: str | None
    owner_id: str | None
    added_at: Instant


class AccountRow(BaseModel):
    account_id: str
    name: str
    tier: str | None
    opened_at: Instant
    deals: list[AccountDeal] = Field(description="only the deals in the caller's reach")
    contacts: list[ContactRow] = Field(description="only the contacts of those deals")


class AccountPage(BaseModel):
    items: list[AccountRow]
    next_cursor: str | None = Field(description=NEXT)


class ContactPage(BaseModel):
    items: list[ContactRow]
    next_cursor: str | None = Field(description=NEXT)


class Hit(BaseModel):
    kind: Literal["deal", "lead", "account", "contact"]
    id: str = Field(description="the deal's, lead's, account's or contact's id")
    title: str
    subtitle: str | None
    account_id: str | None = Field(description="a deal's, an account's or a contact's account")
    deal_id: str | None = Field(description="a deal's own; a contact's deal")
    owner_id: str | None


class SearchResults(BaseModel):
    q: str
    deals: list[Hit]
    leads: list[Hit]
    accounts: list[Hit]
    contacts: list[Hit]
