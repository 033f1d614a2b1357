"""The catalogue's lead and customer events: a lead captured, converted, given an owner by
the assignment rules or ended without a deal; what the conversion model said of a lead and
which model said it; and a customer's tier (A / B / C from the recency, frequency and value
of its won deals)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.base import Contact, Contract, EventData, Money


class LeadCaptured(EventData):
    TYPE: ClassVar[str] = "crm.lead.captured.v1"
    lead_id: str
    company: str
    contact: Contact
    source: str | None = None
    region: str | None = None
    captured_by: str
    industry: str | None = None
    budget: Money | None = None


class LeadConverted(EventData):
    TYPE: ClassVar[str] = "crm.lead.converted.v1"
    lead_id: str
    deal_id: str
    account_id: str
    contact_id: str
    converted_by: str


class LeadAssigned(EventData):
    """The assignment rules gave the lead an owner (线索分配)."""

    TYPE: ClassVar[str] = "crm.lead.assigned.v1"
    lead_id: str
    previous_owner_id: str | None = None
    owner_id: str
    rule: str
    reasons: list[str] = Field(description="why each earlier rule did not decide")
    assigned_by: str


class LeadDisqualified(EventData):
    """The lead ends without a deal: it will not be converted, and why."""

    TYPE: ClassVar[str] = "crm.lead.disqualified.v1"
    lead_id: str
    reason: str
    disqualified_by: str


class LeadScored(EventData):
    """The conversion model's probability that the lead converts; `model_version` names the
    `crm.lead.score_model_trained.v1` that explains it."""

    TYPE: ClassVar[str] = "crm.lead.scored.v1"
    lead_id: str
    score: float = Field(ge=0, le=1)
    model_version: str
    model_sequence: int = Field(ge=1)


class LeadScoreModelTrained(EventData):
    """A new conversion model: trained on the leads converted (1) and disqualified (0)."""

    TYPE: ClassVar[str] = "crm.lead.score_model_trained.v1"
    version: str = Field(description="a hash of the training set and the parameters")
    sequence: int = Field(ge=1, description="1 for the first model, one more for each new version")
    algorithm: str
    inputs: list[str] = Field(description="the lead fields the model reads")
    n: int = Field(ge=0, description="leads trained on")
    converted: int = Field(ge=0)
    disqualified: int = Field(ge=0)
    roc_auc: float = Field(ge=0, le=1, description="on the held-out stratified split")
    held_out: int = Field(ge=0)
    training_ms: int = Field(ge=0)
    trained_at: datetime


class Rfm(Contract):
    recency_days: int | None = Field(description="days since the last won deal")
    frequency: int = Field(ge=0, description="won deals")
    monetary: Money = Field(description="the won deals' value in the tier rules' currency")
    score: int = Field(ge=0, description="the recency, frequency and value scores (1–3 each) added")


class AccountTierChanged(EventData):
    TYPE: ClassVar[str] = "crm.account.tier_changed.v1"
    account_id: str
    account_name: str
    previous_tier: Literal["A", "B", "C"] | None = None
    tier: Literal["A", "B", "C"]
    rfm: Rfm
    as_of: date
