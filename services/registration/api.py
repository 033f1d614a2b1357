"""Registration's HTTP routes: thin, each turns a request into one application call.

Domain refusals are `Conflict`s (409 naming what conflicts) and `Invalid`s (422 naming the
field); the shared error handlers answer them. Roles are checked before anything runs.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy import Engine, select

from services.registration.application import RegistrationApplication
from services.registration.domain.deal import Deal
from services.registration.domain.terms import DealTerms
from services.registration.imports import MAX_IMPORT_BYTES, import_file
from services.registration.projections import registration_deals
from services.registration.responses import (
    CapturedLead,
    ConvertedLead,
    ImportReport,
    Pool,
    RegisteredDeal,
    RegistrationDeal,
    RegistrationHistory,
)
from services.registration.rules import Rules
from shared.eventstore.history import owner_spans, stream_history
from shared.web.access import Access
from shared.web.http import Caller, CallerDep
from shared.web.inputs import MoneyIn
from shared.web.responses import NOT_FOUND


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


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


class DealTermsIn(Command):
    value: MoneyIn
    expected_close_date: date
    deal_type: Literal["new_business", "existing_business"] | None = None
    source: str | None = Field(default=None, max_length=100)
    customer_level: str | None = Field(default=None, max_length=30)
    product_line: str | None = Field(default=None, max_length=100)

    def terms(self, name: str) -> DealTerms:
        return DealTerms(
            name=name,
            amount=self.value.amount,
            currency=self.value.currency,
            expected_close_date=self.expected_close_date,
            deal_type=self.deal_type,
            source=self.source,
            customer_level=self.customer_level,
            product_line=self.product_line,
        )


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


def router(app: RegistrationApplication, engine: Engine, access: Access) -> APIRouter:
    routes = APIRouter(prefix="/registration", tags=["registration"])

    def managed(deal_id: UUID, who: Caller, action: str = "review") -> None:
        """A manager acts on the deals of their teams (and the pool); an admin on all."""
        access.require(who.identity, "deal", action)
        access.check(who.identity, "deal", action, app.get_deal(deal_id).owner_id)

    @routes.get("/rules", response_model=Rules)
    def rules(who: CallerDep) -> dict[str, Any]:
        return app.rules.model_dump(mode="json")

    @routes.post("/leads", status_code=201, response_model=CapturedLead)
    def capture_lead(body: CaptureLead, who: CallerDep) -> dict[str, str]:
        access.require(who.identity, "lead", "capture")
        lead_id = app.capture_lead(
            company=body.company,
            contact=body.contact.model_dump(mode="json"),
            source=body.source,
            region=body.region,
            industry=body.industry,
            budget=body.budget.model_dump(mode="json") if body.budget else None,
            meta=who.meta,
        )
        return {"lead_id": str(lead_id)}

    @routes.post("/leads/{lead_id}/convert", status_code=201, response_model=ConvertedLead, responses=NOT_FOUND)
    def convert_lead(lead_id: UUID, body: ConvertLead, who: CallerDep) -> dict[str, Any]:
        """Only the lead's owner, a manager whose teams reach them, or an admin converts it;
        the deal is the lead's owner's, whoever converts it."""
        access.require(who.identity, "lead", "convert")
        access.check(who.identity, "lead", "convert", app.get_lead(lead_id).captured_by)
        done = app.convert_lead(lead_id, body.terms(body.name or ""), who.meta)
        return {
            "deal_id": str(done.deal_id),
            "account_id": str(done.account_id),
            "contact_id": str(done.contact_id),
            "registration_status": done.registration_status,
            "review_reasons": list(done.review_reasons),
        }

    @routes.post("/deals", status_code=201, response_model=RegisteredDeal)
    def register_deal(body: RegisterDeal, who: CallerDep) -> dict[str, Any]:
        access.require(who.identity, "deal", "register")
        done = app.register_deal(
            body.terms(body.name),
            account_name=body.account.name,
            contacts=[c.model_dump(mode="json") for c in body.contacts],
            meta=who.meta,
        )
        return {
            "deal_id": str(done.deal_id),
            "registration_status": done.registration_status,
            "review_reasons": list(done.review_reasons),
        }

    @routes.get("/deals/{deal_id}", response_model=RegistrationDeal, responses=NOT_FOUND)
    def get_deal(deal_id: UUID, who: CallerDep) -> dict[str, Any]:
        access.require(who.identity, "deal", "read")
        deal = app.get_deal(deal_id)
        access.check(who.identity, "deal", "read", deal.owner_id)
        return deal_view(deal)

    @routes.get("/deals/{deal_id}/history", response_model=RegistrationHistory, responses=NOT_FOUND)
    def history(deal_id: UUID, who: CallerDep, as_of: datetime | None = None) -> dict[str, Any]:
        """Every registration event of the deal (who, when, why) and its owners' spans,
        as it stood at `as_of` if given. The same reach as the deal itself."""
        access.require(who.identity, "deal", "read history")
        access.check(who.identity, "deal", "read history", app.get_deal(deal_id).owner_id)
        as_of = as_of.replace(tzinfo=UTC) if as_of and as_of.tzinfo is None else as_of
        events, deal = stream_history(app, "registration", deal_id, as_of)
        return {"deal_id": str(deal_id), "as_of": as_of, "events": events,
                "owner_spans": owner_spans(deal, as_of or app.clock.now())}

    @routes.post("/deals/{deal_id}/approve", response_model=RegistrationDeal, responses=NOT_FOUND)
    def approve(deal_id: UUID, who: CallerDep) -> dict[str, Any]:
        managed(deal_id, who)
        return deal_view(app.approve(deal_id, who.meta))

    @routes.post("/deals/{deal_id}/reject", response_model=RegistrationDeal, responses=NOT_FOUND)
    def reject(deal_id: UUID, body: Reject, who: CallerDep) -> dict[str, Any]:
        managed(deal_id, who)
        return deal_view(app.reject(deal_id, body.reason, body.conflicting_deal_id, body.note, who.meta))

    @routes.post("/deals/{deal_id}/assign", response_model=RegistrationDeal, responses=NOT_FOUND)
    def assign(deal_id: UUID, body: Assign, who: CallerDep) -> dict[str, Any]:
        managed(deal_id, who, "assign")
        access.check(who.identity, "deal", "assign", body.owner_id)  # and only to someone in reach
        return deal_view(app.assign(deal_id, body.owner_id, who.meta))

    @routes.post("/deals/{deal_id}/claim", response_model=RegistrationDeal, responses=NOT_FOUND)
    def claim(deal_id: UUID, who: CallerDep) -> dict[str, Any]:
        access.require(who.identity, "pool", "claim")
        return deal_view(app.claim(deal_id, who.meta))

    @routes.post("/deals/{deal_id}/recycle", response_model=RegistrationDeal, responses=NOT_FOUND)
    def recycle(deal_id: UUID, body: Recycle, who: CallerDep) -> dict[str, Any]:
        managed(deal_id, who)
        return deal_view(app.recycle(deal_id, "manual", body.reason, who.meta))

    @routes.get("/pool", response_model=Pool)
    def pool(
        who: CallerDep,
        limit: int = Query(default=100, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=1_000_000),  # the fuzzer sent 2**63: a 422 now
    ) -> dict[str, Any]:
        query = (
            select(registration_deals)
            .where(registration_deals.c.in_pool.is_(True))
            .order_by(registration_deals.c.recycled_at, registration_deals.c.deal_id)
            .limit(limit)
            .offset(offset)
        )
        with engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return {"items": [_pool_card(row) for row in rows]}

    @routes.post("/imports/{kind}", response_model=ImportReport)
    async def import_rows(
        kind: Literal["leads", "deals"],
        who: CallerDep,
        file: UploadFile = File(description="CSV (UTF-8) or XLSX, first row the column names"),
    ) -> dict[str, Any]:
        access.require(who.identity, "import", "upload")
        content = await file.read(MAX_IMPORT_BYTES + 1)
        return await import_file(app, kind, file.filename or "", content, who.meta)

    return routes


def deal_view(deal: Deal) -> dict[str, Any]:
    return {
        "deal_id": str(deal.id),
        "name": deal.name,
        "account": {"id": str(deal.account_id), "name": deal.account_name},
        "contacts": deal.contacts,
        "deal_type": deal.deal_type,
        "customer_level": deal.customer_level,
        "product_line": deal.product_line,
        "value": {"amount": f"{deal.amount:.2f}", "currency": deal.currency},
        "expected_close_date": deal.expected_close_date.isoformat(),
        "source": deal.source,
        "registration_status": deal.registration_status,
        "review_reasons": deal.review_reasons,
        "conflicts": deal.conflicts,
        "owner_id": deal.owner_id,
        "in_pool": deal.in_pool,
        "protected_until": _iso(deal.protected_until),
        "last_activity_at": _iso(deal.last_activity_at),
        "outcome": deal.outcome,
        "recycle_warnings": deal.warnings,
        "ownership_history": [{**entry, "at": _iso(entry["at"])} for entry in deal.ownership],
        "version": deal.version,
    }


def _pool_card(row: Any) -> dict[str, Any]:
    return {
        "deal_id": row["deal_id"],
        "name": row["name"],
        "account_name": row["account_name"],
        "value": {"amount": f"{row['amount']:.2f}", "currency": row["currency"]},
        "expected_close_date": row["expected_close_date"].isoformat(),
        "previous_owner_id": row["previous_owner_id"],
        "recycled_at": _iso(row["recycled_at"]),
        "recycle_reason": row["recycle_reason"],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
