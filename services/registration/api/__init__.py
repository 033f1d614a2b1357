"""Registration's HTTP routes: thin, each turns a request into one application call or query.

Domain refusals are `Conflict`s (409 naming what conflicts) and `Invalid`s (422 naming the
field); the shared error handlers answer them. Roles are checked before anything runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, File, Query, UploadFile
from sqlalchemy import Engine

from services.registration import queries
from services.registration.api.assignment import AssignmentRoutes
from services.registration.api.declare import RouteSet, route
from services.registration.api.finding import FindingRoutes
from services.registration.api.leads import LeadRoutes
from services.registration.api.whatif import WhatIfRoutes
from services.registration.application import RegistrationApplication
from services.registration.application.assignment import Applied
from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.tiers import rfm
from services.registration.history import deal_history
from services.registration.imports import MAX_IMPORT_BYTES, AssignByRules, import_file
from services.registration.jobs import LeadScorer
from services.registration.queries import partners
from services.registration.requests import (
    Assign,
    Recycle,
    RegisterDeal,
    RegisterPartner,
    Reject,
)
from services.registration.responses import (
    AccountView,
    ChannelPartner,
    ChannelPartners,
    ImportReport,
    PartnerReport,
    Pool,
    RegisteredDeal,
    RegistrationDeal,
    RegistrationHistory,
    RegistrationPage,
    RegistrationStatus,
)
from services.registration.rules import Rules
from shared.web.access import Access
from shared.web.export import FILES, FORMAT, Column, Format, export, field
from shared.web.http import Caller, CallerDep
from shared.web.live import RESPONSES as STREAM
from shared.web.live import EventStream, LastEventId, LiveFeed
from shared.web.responses import NOT_FOUND

PARTNER_REPORT_COLUMNS: list[Column] = [
    *(
        field(key)
        for key in ("partner_id", "name", "registrations", "pending", "approved", "rejected", "approval_rate")
    ),
    ("conflicts", lambda r: r["conflicts"]),
    ("won_deals", lambda r: r["won_deals"]),
    ("won", lambda r: [f"{m['amount']} {m['currency']}" for m in r["won"]]),
]


def router(
    app: RegistrationApplication, engine: Engine, access: Access, live: LiveFeed, scorer: LeadScorer | None = None
) -> APIRouter:
    api = APIRouter(prefix="/registration", tags=["registration"])
    parts = (app, engine, access, live, scorer or LeadScorer(app, engine))
    for routes in (
        Routes(*parts),
        LeadRoutes(*parts),
        AssignmentRoutes(*parts),
        WhatIfRoutes(*parts),
        FindingRoutes(*parts),
    ):
        routes.add_to(api)
    return api


class Routes(RouteSet):
    """One method per route: ask access, call the application or a query, answer."""

    @route.get("/rules", response_model=Rules)
    def rules(self, who: CallerDep) -> dict[str, Any]:
        return self.app.rules.model_dump(mode="json")

    # -- deals ------------------------------------------------------------------------------

    @route.post("/deals", status_code=201, response_model=RegisteredDeal)
    def register_deal(self, body: RegisterDeal, who: CallerDep) -> dict[str, Any]:
        """A channel partner registers for its organisation: the registration always waits
        for a channel manager, and a customer already registered is refused without saying
        by whom."""
        self.access.require(who.identity, "deal", "register")
        done = self.app.register_deal(
            body.terms(body.name, body.value.amount, body.value.currency),
            account_name=body.account.name,
            contacts=[c.model_dump(mode="json") for c in body.contacts],
            meta=who.meta,
            partner=who.partner,
        )
        return self._seen_by(
            who,
            {
                "deal_id": str(done.deal_id),
                "registration_status": done.registration_status,
                "review_reasons": list(done.review_reasons),
            },
        )

    @route.get("/deals", response_model=RegistrationPage)
    def list_registrations(
        self,
        who: CallerDep,
        status: RegistrationStatus = "pending",
        limit: int = Query(default=50, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=1_000_000),
    ) -> dict[str, Any]:
        """The approval queue (`status=pending`, the default): each registration with why it
        waits. A list: only the registrations in the caller's reach (a partner: its
        organisation's; a channel manager: also those of the partners they manage)."""
        self.access.require(who.identity, "registration", "list")
        owners = self.access.owners(who.identity, "registration", "list")
        pool = self.access.allows(who.identity, "registration", "list", None)
        partners = self.access.organisations_in_reach(who.identity, "registration", "list")
        total, ids = queries.registrations(self.engine, status, owners, pool, limit, offset, partners)
        items = [self._seen_by(who, queries.queued(self.app.get_deal(deal_id))) for deal_id in ids]
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    @route.get("/live", status_code=200, response_class=EventStream, responses=STREAM)
    async def changes(self, who: CallerDep, last_event_id: LastEventId = None) -> EventStream:
        """`changed` each time registration's read model (the approval queue, the pool) moves
        on: no data, only the cue to fetch again through the routes above."""
        self.access.require(who.identity, "changes", "subscribe")
        return EventStream(self.live.events(last_event_id))

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
        self.access.check(who.identity, "deal", "read", deal.owner_id, organisation=deal.partner)
        return self._seen_by(who, self._view(deal))

    @route.get("/deals/{deal_id}/history", response_model=RegistrationHistory, responses=NOT_FOUND)
    def history(self, deal_id: UUID, who: CallerDep, as_of: datetime | None = None) -> dict[str, Any]:
        """Every registration event of the deal (who, when, why) and its owners' spans,
        as it stood at `as_of` if given. The same reach as the deal itself."""
        self.access.require(who.identity, "deal", "read history")
        deal = self.app.get_deal(deal_id)
        self.access.check(who.identity, "deal", "read history", deal.owner_id, organisation=deal.partner)
        return deal_history(self.app, deal_id, as_of)

    # -- review and ownership -----------------------------------------------------------------

    @route.post("/deals/{deal_id}/approve", response_model=RegistrationDeal, responses=NOT_FOUND)
    def approve(self, deal_id: UUID, who: CallerDep) -> dict[str, Any]:
        """A channel partner's registration, once approved, is given a rep of ours by the
        assignment rules (the admin's, whoever approves; no rule matching: it stays with the
        partner's user); the partner still sees it, as its organisation's."""
        self._manages(deal_id, who)
        deal = self.app.approve(deal_id, who.meta)
        if deal.partner is not None:
            self.app.assign_deal_by_rules(deal_id, self.access.teams, who.meta)
            deal = self.app.get_deal(deal_id)
        return self._view(deal)

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
        self._manages(deal_id, who, "recycle")
        return self._view(self.app.recycle(deal_id, "manual", body.reason, who.meta))

    def _view(self, deal: Deal) -> dict[str, Any]:
        """The deal, with its account's tier."""
        account = self.app.find(Account, deal.account_id)
        return queries.deal_view(deal, account.tier if account is not None else None)

    def _manages(self, deal_id: UUID, who: Caller, action: str = "review") -> None:
        """A manager acts on the deals of their teams (and the pool) and of the partners they
        are a channel manager of; an admin on all."""
        self.access.require(who.identity, "deal", action)
        deal = self.app.get_deal(deal_id)
        self.access.check(who.identity, "deal", action, deal.owner_id, organisation=deal.partner)

    @staticmethod
    def _seen_by(who: Caller, answer: dict[str, Any]) -> dict[str, Any]:
        return partners.for_partner(answer, who.user_id) if who.partner is not None else answer

    # -- channel partners (渠道伙伴) ------------------------------------------------------------

    @route.post("/partners", status_code=201, response_model=ChannelPartner)
    def register_partner(self, body: RegisterPartner, who: CallerDep) -> dict[str, Any]:
        self.access.require(who.identity, "partner", "register")
        self.app.register_partner(body.partner_id, body.name, body.channel_managers, who.meta)
        return body.model_dump()

    @route.get("/partners", response_model=ChannelPartners)
    def list_partners(self, who: CallerDep) -> dict[str, Any]:
        self.access.require(who.identity, "partner", "list")
        return {"items": partners.partners(self.engine)}

    @route.get("/partners/report", response_model=PartnerReport, responses=FILES)
    def partner_report(self, who: CallerDep, format: Format = FORMAT) -> Any:  # noqa: A002 - the parameter's name
        """Per channel partner in reach: registrations, approvals and the approval rate,
        conflicts (撞单) and the value won."""
        self.access.require(who.identity, "partner report", "read")
        reach = self.access.organisations_in_reach(who.identity, "partner report", "read")
        items = partners.partner_report(self.engine, reach)
        if format != "json":
            return export(items, PARTNER_REPORT_COLUMNS, format, "partner-report")
        return {"items": items}

    # -- the pool and imports -------------------------------------------------------------------

    @route.get("/pool", response_model=Pool)
    def pool(
        self,
        who: CallerDep,
        limit: int = Query(default=100, ge=1, le=500),
        offset: int = Query(default=0, ge=0, le=1_000_000),  # the fuzzer sent 2**63: a 422 now
    ) -> dict[str, Any]:
        self.access.require(who.identity, "pool", "read")
        return queries.pool(self.engine, limit, offset)

    @route.post("/imports/{kind}", response_model=ImportReport)
    async def import_rows(
        self,
        kind: Literal["leads", "deals"],
        who: CallerDep,
        file: UploadFile = File(description="CSV (UTF-8) or XLSX, first row the column names"),
        assign: Literal["importer", "rules"] = Query(
            default="importer",
            description="who owns the created rows: the importer, or whom the assignment rules pick "
            "(a manager or an admin; each row's report says which rule decided and why)",
        ),
    ) -> dict[str, Any]:
        self.access.require(who.identity, "import", "upload")
        by_rules = None
        if assign == "rules":
            self.access.require(who.identity, "assignment rules", "apply")
            by_rules = self._assign_by_rules(who)
        content = await file.read(MAX_IMPORT_BYTES + 1)
        return await import_file(self.app, kind, file.filename or "", content, who.meta, by_rules)

    def _assign_by_rules(self, who: Caller) -> AssignByRules:
        """The rules pick the owner; a manager's import may only give rows to their teams."""
        teams = self.access.teams
        may_own = lambda rep: self.access.allows(who.identity, "assignment rules", "apply", rep)  # noqa: E731

        def assign(kind: Literal["lead", "deal"], row_id: UUID) -> Applied:
            if kind == "lead":
                return self.app.assign_lead_by_rules(row_id, teams, who.meta, may_own)
            return self.app.assign_deal_by_rules(row_id, teams, who.meta, may_own)

        return assign
