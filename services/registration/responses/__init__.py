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


Tier = Literal["A", "B", "C"]


class DealAccount(BaseModel):
    id: UUID
    name: str
    tier: Tier | None = Field(default=None, description="the account's tier (RFM of its won deals); None: none won")


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


class RowAssignment(TypedDict):
    """What the assignment rules did to a created row (an import with `assign=rules`)."""

    outcome: Literal["assigned", "unassigned", "unchanged", "refused"]
    owner_id: str | None
    rule: str | None
    reasons: list[str]


class ImportedRow(TypedDict):
    """One row of the file (`row` counts from the header, row 1) and what became of it."""

    row: int
    status: Literal["created", "already_imported", "refused"]
    id: NotRequired[str]
    registration_status: NotRequired[RegistrationStatus]
    errors: NotRequired[list[RowProblem]]
    conflict: NotRequired[dict[str, str]]
    # The row's line items passed the syntax check; the catalogue is the pipeline's, which
    # prices them when it starts tracking the deal (GET /pipeline/deals/{id}: line_items_note).
    line_items: NotRequired[Literal["accepted for pricing"]]
    assignment: NotRequired[RowAssignment]


class ImportReport(BaseModel):
    kind: Literal["leads", "deals"]
    rows: int
    created: int
    already_imported: int
    refused: int
    report: list[ImportedRow]


class LeadContact(TypedDict):
    name: NotRequired[str]
    phone: NotRequired[str]
    email: NotRequired[str]


class LeadView(BaseModel):
    """A lead: open, or ended (converted into a deal, or disqualified and why); its latest
    conversion score and the model version that gave it (the history holds every score)."""

    lead_id: UUID
    company: str
    contact: LeadContact
    source: str | None
    region: str | None
    industry: str | None
    budget: MoneyOut | None
    owner_id: str
    status: Literal["open", "converted", "disqualified"]
    captured_at: Instant | None
    disqualified_reason: str | None
    deal_id: UUID | None
    score: float | None = Field(description="the probability to convert, 0 to 1; None until scored")
    model_version: str | None


class LeadPage(BaseModel):
    items: list[LeadView]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; None on the last")


class LeadHistory(BaseModel):
    lead_id: UUID
    as_of: Instant | None
    events: list[HistoryEvent]


class TrainedModel(BaseModel):
    version: str = Field(description="a hash of the training set and the parameters")
    sequence: int
    algorithm: str
    inputs: list[str]
    n: int
    converted: int
    disqualified: int
    roc_auc: float = Field(description="on the held-out stratified split")
    held_out: int
    training_ms: int
    trained_at: Instant


class ScoreModelStatus(BaseModel):
    status: Literal["trained", "untrained", "insufficient data"]
    converted: int = Field(description="converted leads (the positives)")
    disqualified: int = Field(description="disqualified leads (the negatives)")
    needed: int = Field(description="ended leads needed to train")
    needed_per_class: int
    inputs: list[str] = Field(description="the lead fields the model reads")
    model: TrainedModel | None


class TrainingRun(ScoreModelStatus):
    open_leads: int = 0
    scored: int = Field(default=0, description="open leads whose score changed")


class Rfm(BaseModel):
    recency_days: int | None
    frequency: int
    monetary: str = Field(description="the won value in `currency`, a decimal string")
    currency: str
    score: int = Field(description="recency, frequency and value points (1 to 3 each) added")


class WonDeal(BaseModel):
    deal_id: UUID
    value: MoneyOut
    closed_on: date


class AccountView(BaseModel):
    account_id: UUID
    name: str
    tier: Tier | None = Field(description="as last recorded (crm.account.tier_changed.v1); None: nothing won")
    tier_since: date | None
    rfm: Rfm | None = Field(description="the RFM as of today")
    won_deals: list[WonDeal]


def money(amount: Decimal, currency: str) -> dict[str, str]:
    """Money as the answers carry it (`MoneyOut`) and as `shared.contracts.Money` writes it:
    the amount a decimal string with two places."""
    return {"amount": f"{amount:.2f}", "currency": currency}
