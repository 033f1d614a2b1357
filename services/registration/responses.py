"""What registration's routes answer (see shared/web/responses.py), and money as they write it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, NotRequired
from uuid import UUID

from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from shared.web.responses import HistoryEvent, Instant, MoneyOut, Span

RegistrationStatus = Literal["pending", "approved", "rejected"]


class CapturedLead(BaseModel):
    lead_id: UUID


class RegisteredDeal(BaseModel):
    deal_id: UUID
    registration_status: RegistrationStatus
    review_reasons: list[str] = Field(description="why it waits for a manager (empty when approved at once)")


class ConvertedLead(RegisteredDeal):
    account_id: UUID
    contact_id: UUID


class DealAccount(BaseModel):
    id: UUID
    name: str


class RegisteredContact(TypedDict):
    """A contact as registered; a field nobody gave is absent."""

    id: NotRequired[str]
    name: str
    phone: NotRequired[str]
    email: NotRequired[str]


class DealConflict(BaseModel):
    deal_id: str
    matched_on: str = Field(description="the customer key both deals hold")


class Ownership(TypedDict):
    owner_id: str | None
    reason: str
    by: str
    at: Instant
    note: NotRequired[str | None]


class RegistrationDeal(BaseModel):
    """A deal as registration keeps it: terms, review, owner, pool and protection."""

    deal_id: UUID
    name: str
    account: DealAccount
    contacts: list[RegisteredContact]
    deal_type: Literal["new_business", "existing_business"] | None
    customer_level: str | None
    product_line: str | None
    value: MoneyOut
    expected_close_date: date
    source: str | None
    registration_status: RegistrationStatus
    review_reasons: list[str]
    conflicts: list[DealConflict]
    owner_id: str | None = Field(description="None while the deal sits in the pool")
    in_pool: bool
    protected_until: Instant | None
    last_activity_at: Instant | None
    outcome: Literal["won", "lost"] | None
    recycle_warnings: list[str]
    ownership_history: list[Ownership]
    version: int


class RegistrationHistory(BaseModel):
    deal_id: UUID
    as_of: Instant | None
    events: list[HistoryEvent]
    owner_spans: list[Span]


class PoolCard(BaseModel):
    deal_id: UUID
    name: str
    account_name: str
    value: MoneyOut
    expected_close_date: date
    previous_owner_id: str | None
    recycled_at: Instant | None
    recycle_reason: str | None


class Pool(BaseModel):
    items: list[PoolCard]


class QueuedRegistration(BaseModel):
    """A registration in the manager's queue, with why the registration rules held it."""

    deal_id: UUID
    name: str
    account_name: str
    owner_id: str | None
    value: MoneyOut
    expected_close_date: date
    registration_status: RegistrationStatus
    registered_at: Instant | None
    review_reasons: list[str] = Field(
        description="why the rules held it: a conflict found, a value below the threshold, a close too far out"
    )
    conflicts: list[DealConflict] = Field(description="the deals a conflict names")


class RegistrationPage(BaseModel):
    items: list[QueuedRegistration]
    total: int = Field(description="how many registrations in reach have this status")
    limit: int
    offset: int


class ChannelPartner(BaseModel):
    partner_id: str
    name: str
    channel_managers: list[str]


class ChannelPartners(BaseModel):
    items: list[ChannelPartner]


class PartnerFigures(BaseModel):
    """One channel partner's registrations and what came of them."""

    partner_id: str
    name: str
    registrations: int
    pending: int
    approved: int
    rejected: int
    approval_rate: float | None = Field(description="approved of those decided (approved or rejected)")
    conflicts: int = Field(
        description="registrations refused because the customer was taken, and those that matched another deal"
    )
    won_deals: int
    won: list[MoneyOut] = Field(description="the value of its deals won, per currency")


class PartnerReport(BaseModel):
    items: list[PartnerFigures]


class RowProblem(BaseModel):
    field: str | None
    msg: str


class ImportedRow(TypedDict):
    """One row of the file (`row` counts from the header, row 1) and what became of it."""

    row: int
    status: Literal["created", "already_imported", "refused"]
    id: NotRequired[str]
    registration_status: NotRequired[RegistrationStatus]
    errors: NotRequired[list[RowProblem]]
    conflict: NotRequired[dict[str, str]]


class ImportReport(BaseModel):
    kind: Literal["leads", "deals"]
    rows: int
    created: int
    already_imported: int
    refused: int
    report: list[ImportedRow]


def money(amount: Decimal, currency: str) -> dict[str, str]:
    """Money as the answers carry it (`MoneyOut`) and as `shared.contracts.Money` writes it:
    the amount a decimal string with two places."""
    return {"amount": f"{amount:.2f}", "currency": currency}
