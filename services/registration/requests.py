"""What registration's routes accept: the request bodies, closed and checked at the edge.

`DealTermsFields` lists a deal's terms beyond its name and value once, for the request
bodies here and for the import's rows; `terms()` turns them into the domain's `DealTerms`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from services.registration.domain.assignment import AssignmentRule
from services.registration.domain.terms import DealTerms, DealType
from shared.web.inputs import Currency, MoneyIn


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class DealTermsFields(BaseModel):
    """A deal's terms beyond its name and value (the API takes the value as money, an
    import row as two columns)."""

    expected_close_date: date
    deal_type: DealType | None = None
    source: str | None = Field(default=None, max_length=100)
    customer_level: str | None = Field(default=None, max_length=30)
    product_line: str | None = Field(default=None, max_length=100)

    def terms(self, name: str, amount: Decimal, currency: str) -> DealTerms:
        return DealTerms(
            name=name,
            amount=amount,
            currency=currency,
            expected_close_date=self.expected_close_date,
            deal_type=self.deal_type,
            source=self.source,
            customer_level=self.customer_level,
            product_line=self.product_line,
        )


class ContactIn(Command):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    email: EmailStr | None = None


class CaptureLead(Command):
    company: str = Field(min_length=1, max_length=300)
    contact: ContactIn
    source: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=100)
    budget: MoneyIn | None = None
    assign: Literal["rules"] | None = Field(
        default=None,
        description="rules: the assignment rules give the lead an owner (a web form's, an integration's lead)",
    )


class Valued(Command):
    value: MoneyIn


class DealTermsIn(DealTermsFields, Valued):
    """A deal's value and terms, as the commands that register one take them (the bases in
    this order put `value` first in the schema, where it has always been)."""


class ConvertLead(DealTermsIn):
    name: str | None = Field(default=None, max_length=300, description="defaults to the company")


class AccountIn(Command):
    name: str = Field(min_length=1, max_length=300)


class RegisterDeal(DealTermsIn):
    name: str = Field(min_length=1, max_length=300)
    account: AccountIn
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class Reject(Command):
    reason: Literal["duplicate", "conflict", "below_threshold", "other"]
    conflicting_deal_id: UUID | None = None
    note: str | None = Field(default=None, max_length=1000)


class Assign(Command):
    owner_id: str = Field(min_length=1, max_length=200)


class Recycle(Command):
    reason: str = Field(min_length=1, max_length=1000, description="why the deal goes back to the pool")


class RegisterPartner(Command):
    partner_id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="what its users act under (X-User-Partner, the crm_partner claim)",
    )
    name: str = Field(min_length=1, max_length=300)
    channel_managers: list[str] = Field(
        min_length=1, max_length=50, description="the managers who review its registrations"
    )


class Disqualify(Command):
    reason: str = Field(min_length=1, max_length=1000, description="why the lead will not become a deal")


# -- assignment rules (线索分配) -----------------------------------------------------------------


class DefineAssignmentRules(Command):
    """The rules in the order they are asked: the first a candidate meets decides."""

    rules: list[AssignmentRule] = Field(max_length=200)

    @field_validator("rules")
    @classmethod
    def _named_once(cls, rules: list[AssignmentRule]) -> list[AssignmentRule]:
        names = [rule.name for rule in rules]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"each rule needs its own name; more than one is named {', '.join(twice)}")
        return rules


class ApplyAssignment(Command):
    """The leads and deals the rules should (re)assign now, e.g. a trade fair's batch."""

    deal_ids: list[UUID] = Field(default_factory=list, max_length=500)
    lead_ids: list[UUID] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _some(self) -> ApplyAssignment:
        if not self.deal_ids and not self.lead_ids:
            raise ValueError("name at least one of deal_ids and lead_ids")
        return self


class CandidateIn(Command):
    """A lead or deal as the rules look at it; `ref` is echoed back to tell the answers apart."""

    ref: str | None = Field(default=None, max_length=200)
    region: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=100)
    customer_level: str | None = Field(default=None, max_length=30)
    product_line: str | None = Field(default=None, max_length=100)
    value: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    currency: Currency | None = Field(
        default=None, description="the value's (a value in another currency than a rule's bounds meets none)"
    )
    owner_id: str | None = Field(default=None, max_length=200, description="its owner now, if any")


class DryRun(Command):
    """Candidates as given, and leads and deals named by id (read as applying them would:
    a deal's region and industry are its lead's); answered in that order."""

    candidates: list[CandidateIn] = Field(default_factory=list, max_length=500)
    lead_ids: list[UUID] = Field(default_factory=list, max_length=500)
    deal_ids: list[UUID] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _some(self) -> DryRun:
        if not (self.candidates or self.lead_ids or self.deal_ids):
            raise ValueError("name at least one of candidates, lead_ids and deal_ids")
        if len(self.candidates) + len(self.lead_ids) + len(self.deal_ids) > 500:
            raise ValueError("a dry run takes at most 500 candidates, leads and deals together")
        return self
