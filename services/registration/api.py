"""Registration's HTTP routes: thin, each turns a request into one application call or query.

Domain refusals are `Conflict`s (409 naming what conflicts) and `Invalid`s (422 naming the
field); the shared error handlers answer them. Roles are checked before anything runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, File, Query, UploadFile
from sqlalchemy import Engine

from services.registration import queries
from services.registration.application import RegistrationApplication
from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.scoremodel import SCORE_MODEL_ID, ScoreModel
from services.registration.domain.tiers import rfm
from services.registration.history import deal_history, lead_history
from services.registration.imports import MAX_IMPORT_BYTES, import_file
from services.registration.jobs import LeadScorer
from services.registration.requests import (
    Assign,
    CaptureLead,
    ConvertLead,
    Disqualify,
    Recycle,
    RegisterDeal,
    Reject,
)
from services.registration.responses import (
    AccountView,
    CapturedLead,
    ConvertedLead,
    ImportReport,
    LeadHistory,
    LeadPage,
    LeadView,
    Pool,
    RegisteredDeal,
    RegistrationDeal,
    RegistrationHistory,
    RegistrationPage,
    RegistrationStatus,
    ScoreModelStatus,
    TrainingRun,
)
from services.registration.rules import Rules
from shared.web.access import Access
from shared.web.http import Caller, CallerDep
from shared.web.responses import NOT_FOUND

F = TypeVar("F", bound=Callable[..., Any])


def router(app: RegistrationApplication, engine: Engine, access: Access, scorer: LeadScorer | None = None) -> APIRouter:
    routes = Routes(app, engine, access, scorer or LeadScorer(app, engine))
    api = APIRouter(prefix="/registration", tags=["registration"])
    for name, member in vars(Routes).items():  # in the order the routes are written
        declared = getattr(member, "declared_route", None)
        if isinstance(declared, Declared):
            api.add_api_route(declared.path, getattr(routes, name), methods=[declared.method], **declared.options)
    return api


@dataclass(frozen=True)
class Declared:
    method: str
    path: str
    options: dict[str, Any]


class Declare:
    """`@route.post(path, **options)` on a method of `Routes`: what `APIRouter`'s decorator
    would take, kept on the method until `router()` adds it, bound to the service's parts."""

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        return self._declare("GET", path, options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        return self._declare("POST", path, options)

    @staticmethod
    def _declare(method: str, path: str, options: dict[str, Any]) -> Callable[[F], F]:
        def declare(function: F) -> F:
            function.declared_route = Declared(method, path, options)  # type: ignore[attr-defined]
            return function

        return declare


route = Declare()


class Routes:
    """One method per route: ask access, call the application or a query, answer."""

    def __init__(self, app: RegistrationApplication, engine: Engine, access: Access, scorer: LeadScorer) -> None:
        self.app = app
        self.engine = engine
        self.access = access
        self.scorer = scorer

    @route.get("/rules", response_model=Rules)
    def rules(self, who: CallerDep) -> dict[str, Any]:
        return self.app.rules.model_dump(mode="json")

    # -- leads ------------------------------------------------------------------------------

    @route.post("/leads", status_code=201, response_model=CapturedLead)
    def capture_lead(self, body: CaptureLead, who: CallerDep) -> dict[str, str]:
        self.access.require(who.identity, "lead", "capture")
        lead_id = self.app.capture_lead(
            company=body.company,
            contact=body.contact.model_dump(mode="json"),
            source=body.source,
            region=body.region,
            industry=body.industry,
            budget=body.budget.model_dump(mode="json") if body.budget else None,
            meta=who.meta,
        )
        return {"lead_id": str(lead_id)}

    @route.post("/leads/{lead_id}/convert", status_code=201, response_model=ConvertedLead, responses=NOT_FOUND)
    def convert_lead(self, lead_id: UUID, body: ConvertLead, who: CallerDep) -> dict[str, Any]:
        """Only the lead's owner, a manager whose teams reach them, or an admin converts it;
        the deal is the lead's owner's, whoever converts it."""
        self.access.require(who.identity, "lead", "convert")
        self.access.check(who.identity, "lead", "convert", self.app.get_lead(lead_id).captured_by)
        terms = body.terms(body.name or "", body.value.amount, body.value.currency)
        done = self.app.convert_lead(lead_id, terms, who.meta)
        return {
            "deal_id": str(done.deal_id),
            "account_id": str(done.account_id),
            "contact_id": str(done.contact_id),
            "registration_status": done.registration_status,
            "review_reasons": list(done.review_reasons),
        }

    @route.post("/leads/{lead_id}/disqualify", response_model=LeadView, responses=NOT_FOUND)
    def disqualify_lead(self, lead_id: UUID, body: Disqualify, who: CallerDep) -> dict[str, Any]:
        """The lead ends without a deal, and why (crm.lead.disqualified.v1); a negative example
        for the conversion model from then on."""
        self.access.require(who.identity, "lead", "disqualify")  # before the look-up: no 404 for the role
        self.access.check(who.identity, "lead", "disqualify", self.app.get_lead(lead_id).captured_by)
        return queries.lead_view(self.app.disqualify_lead(lead_id, body.reason, who.meta))

    @route.get("/leads", response_model=LeadPage)
    def list_leads(
        self,
        who: CallerDep,
        status: Literal["open", "converted", "disqualified"] | None = None,
        source: str | None = Query(default=None, max_length=100),
        region: str | None = Query(default=None, max_length=100),
        industry: str | None = Query(default=None, max_length=100),
        owner: str | None = Query(default=None, max_length=200),
        sort: str = Query(default="-captured_at", max_length=40, description="captured_at, company or score"),
        limit: int = Query(default=50, ge=1, le=500),
        cursor: str | None = Query(default=None, max_length=1000),
    ) -> dict[str, Any]:
        """The leads in reach, filtered, sorted (`-` first: descending), a page at a time."""
        self.access.require(who.identity, "lead", "list")
        filters = {"status": status, "source": source, "region": region, "industry": industry, "owner_id": owner}
        owners = self.access.owners(who.identity, "lead", "list")
        return queries.leads(self.engine, filters, owners, sort, limit, cursor)

    @route.get("/leads/{lead_id}", response_model=LeadView, responses=NOT_FOUND)
    def get_lead(self, lead_id: UUID, who: CallerDep) -> dict[str, Any]:
        self.access.require(who.identity, "lead", "read")
        lead = self.app.get_lead(lead_id)
        self.access.check(who.identity, "lead", "read", lead.captured_by)
        return queries.lead_view(lead)

    @route.get("/leads/{lead_id}/history", response_model=LeadHistory, responses=NOT_FOUND)
    def lead_history(self, lead_id: UUID, who: CallerDep, as_of: datetime | None = None) -> dict[str, Any]:
        self.access.require(who.identity, "lead", "read")
        self.access.check(who.identity, "lead", "read", self.app.get_lead(lead_id).captured_by)
        return lead_history(self.app, lead_id, as_of)

    @route.get("/lead-scores/model", response_model=ScoreModelStatus)
    def score_model(self, who: CallerDep) -> dict[str, Any]:
        self.access.require(who.identity, "lead score model", "read")
        record = self.app.find(ScoreModel, SCORE_MODEL_ID)
        return queries.model_status(self.engine, record, self.app.rules.lead_scoring)

    @route.post("/lead-scores/train", response_model=TrainingRun)
    def train_score_model(self, who: CallerDep) -> dict[str, Any]:
        """Train now, on this request's thread (the sample is capped), and score every open lead."""
        self.access.require(who.identity, "lead score model", "train")
        return self.scorer.run(who.meta)

    # -- deals ------------------------------------------------------------------------------

    @route.post("/deals", status_code=201, response_model=RegisteredDeal)
    def register_deal(self, body: RegisterDeal, who: CallerDep) -> dict[str, Any]:
        self.access.require(who.identity, "deal", "register")
        done = self.app.register_deal(
            body.terms(body.name, body.value.amount, body.value.currency),
            account_name=body.account.name,
            contacts=[c.model_dump(mode="json") for c in body.contacts],
            meta=who.meta,
        )
        return {
            "deal_id": str(done.deal_id),
            "registration_status": done.registration_status,
            "review_reasons": list(done.review_reasons),
        }

    @route.get("/deals", response_model=RegistrationPage)
    def list_registrations(
        self,
        who: CallerDep,
        status: RegistrationStatus = "pending",
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=1_000_000),
    ) -> dict[str, Any]:
        """The approval queue (`status=pending`, the default): each registration with why it
        waits. A list: only the registrations in the caller's reach."""
        self.access.require(who.identity, "registration", "list")
        owners = self.access.owners(who.identity, "registration", "list")
        pool = self.access.allows(who.identity, "registration", "list", None)
        total, ids = queries.registrations(self.engine, status, owners, pool, limit, offset)
        items = [queries.queued(self.app.get_deal(deal_id)) for deal_id in ids]
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    @route.get("/accounts/{account_id}", response_model=AccountView, responses=NOT_FOUND)
    def get_account(self, account_id: UUID, who: CallerDep) -> dict[str, Any]:
        """A customer's tier (A / B / C) and the RFM of its won deals as of today."""
        self.access.require(who.identity, "account", "read")
        account = self.app.get(Account, account_id)
        return queries.account_view(account, rfm(account.wins, self.app.clock.now().date(), self.app.rules.tiers))

    @route.get("/deals/{deal_id}", response_model=RegistrationDeal, responses=NOT_FOUND)
    def get_deal(self, deal_id: UUID, who: CallerDep) -> dict[str, Any]:
        self.access.require(who.identity, "deal", "read")
        deal = self.app.get_deal(deal_id)
        self.access.check(who.identity, "deal", "read", deal.owner_id)
        return self._view(deal)

    @route.get("/deals/{deal_id}/history", response_model=RegistrationHistory, responses=NOT_FOUND)
    def history(self, deal_id: UUID, who: CallerDep, as_of: datetime | None = None) -> dict[str, Any]:
        """Every registration event of the deal (who, when, why) and its owners' spans,
        as it stood at `as_of` if given. The same reach as the deal itself."""
        self.access.require(who.identity, "deal", "read history")
        self.access.check(who.identity, "deal", "read history", self.app.get_deal(deal_id).owner_id)
        return deal_history(self.app, deal_id, as_of)

    # -- review and ownership -----------------------------------------------------------------

    @route.post("/deals/{deal_id}/approve", response_model=RegistrationDeal, responses=NOT_FOUND)
    def approve(self, deal_id: UUID, who: CallerDep) -> dict[str, Any]:
        self._manages(deal_id, who)
        return self._view(self.app.approve(deal_id, who.meta))

    @route.post("/deals/{deal_id}/reject", response_model=RegistrationDeal, responses=NOT_FOUND)
    def reject(self, deal_id: UUID, body: Reject, who: CallerDep) -> dict[str, Any]:
        self._manages(deal_id, who)
        return self._view(self.app.reject(deal_id, body.reason, body.conflicting_deal_id, body.note, who.meta))

    @route.post("/deals/{deal_id}/assign", response_model=RegistrationDeal, responses=NOT_FOUND)
    def assign(self, deal_id: UUID, body: Assign, who: CallerDep) -> dict[str, Any]:
        self._manages(deal_id, who, "assign")
        self.access.check(who.identity, "deal", "assign", body.owner_id)  # and only to someone in reach
        return self._view(self.app.assign(deal_id, body.owner_id, who.meta))

    @route.post("/deals/{deal_id}/claim", response_model=RegistrationDeal, responses=NOT_FOUND)
    def claim(self, deal_id: UUID, who: CallerDep) -> dict[str, Any]:
        self.access.require(who.identity, "pool", "claim")
        return self._view(self.app.claim(deal_id, who.meta))

    @route.post("/deals/{deal_id}/recycle", response_model=RegistrationDeal, responses=NOT_FOUND)
    def recycle(self, deal_id: UUID, body: Recycle, who: CallerDep) -> dict[str, Any]:
        self._manages(deal_id, who)
        return self._view(self.app.recycle(deal_id, "manual", body.reason, who.meta))

    def _view(self, deal: Deal) -> dict[str, Any]:
        """The deal, with its account's tier."""
        account = self.app.find(Account, deal.account_id)
        return queries.deal_view(deal, account.tier if account is not None else None)

    def _manages(self, deal_id: UUID, who: Caller, action: str = "review") -> None:
        """A manager acts on the deals of their teams (and the pool); an admin on all."""
        self.access.require(who.identity, "deal", action)
        self.access.check(who.identity, "deal", action, self.app.get_deal(deal_id).owner_id)

    # -- the pool and imports -------------------------------------------------------------------

    @route.get("/pool", response_model=Pool)
    def pool(
        self,
        who: CallerDep,
        limit: int = Query(default=100, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=1_000_000),  # the fuzzer sent 2**63: a 422 now
    ) -> dict[str, Any]:
        return queries.pool(self.engine, limit, offset)

    @route.post("/imports/{kind}", response_model=ImportReport)
    async def import_rows(
        self,
        kind: Literal["leads", "deals"],
        who: CallerDep,
        file: UploadFile = File(description="CSV (UTF-8) or XLSX, first row the column names"),
    ) -> dict[str, Any]:
        self.access.require(who.identity, "import", "upload")
        content = await file.read(MAX_IMPORT_BYTES + 1)
        return await import_file(self.app, kind, file.filename or "", content, who.meta)
