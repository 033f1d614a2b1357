"""Registration's lead routes: capture, convert, disqualify, the lead list, a lead and its
history, and the conversion model (its status, training it now)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import Query

from services.registration import queries
from services.registration.api.declare import RouteSet, route
from services.registration.domain.scoremodel import SCORE_MODEL_ID, ScoreModel
from services.registration.history import lead_history
from services.registration.queries import leads
from services.registration.requests import (
    CaptureLead,
    ConvertLead,
    Disqualify,
)
from services.registration.responses import (
    CapturedLead,
    ConvertedLead,
    LeadHistory,
    LeadPage,
    LeadView,
    ScoreModelStatus,
    TrainingRun,
)
from shared.web.export import EXPORT_CAP, FILES, FORMAT, Column, Format, export, field, money_columns
from shared.web.http import CallerDep
from shared.web.responses import NOT_FOUND

LEAD_COLUMNS: list[Column] = [
    ("lead_id", lambda r: r["lead_id"]),
    ("company", lambda r: r["company"]),
    ("contact_name", lambda r: r["contact"].get("name")),
    ("phone", lambda r: r["contact"].get("phone")),
    ("email", lambda r: r["contact"].get("email")),
    *(field(key) for key in ("source", "region", "industry", "owner_id", "status", "captured_at", "score")),
    *money_columns("budget", "budget"),
]


class LeadRoutes(RouteSet):
    # -- leads ------------------------------------------------------------------------------

    @route.post("/leads", status_code=201, response_model=CapturedLead)
    def capture_lead(self, body: CaptureLead, who: CallerDep) -> dict[str, str]:
        """With `assign: rules` (a manager, an admin, an integration acting as one), the
        assignment rules give the lead its owner at once; otherwise it is the capturer's."""
        self.access.require(who.identity, "lead", "capture")
        if body.assign == "rules":
            self.access.require(who.identity, "assignment rules", "apply")
        lead_id = self.app.capture_lead(
            company=body.company,
            contact=body.contact.model_dump(mode="json"),
            source=body.source,
            region=body.region,
            industry=body.industry,
            budget=body.budget.model_dump(mode="json") if body.budget else None,
            meta=who.meta,
        )
        if body.assign == "rules":
            may_own = lambda rep: self.access.allows(who.identity, "assignment rules", "apply", rep)  # noqa: E731
            self.app.assign_lead_by_rules(lead_id, self.access.teams, who.meta, may_own)
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

    @route.get("/leads", response_model=LeadPage, responses=FILES)
    def list_leads(
        self,
        who: CallerDep,
        status: Literal["open", "converted", "disqualified"] | None = None,
        source: str | None = Query(default=None, max_length=100),
        region: str | None = Query(default=None, max_length=100),
        industry: str | None = Query(default=None, max_length=100),
        owner: str | None = Query(default=None, max_length=200),
        q: str | None = Query(
            default=None, max_length=100, description="any part of the company or the contact's name"
        ),
        sort: str = Query(default="-captured_at", max_length=40, description="captured_at, company or score"),
        limit: int = Query(default=50, ge=1, le=500),
        cursor: str | None = Query(default=None, max_length=1000),
        format: Format = FORMAT,  # noqa: A002 - the query parameter's name
    ) -> Any:
        """The leads in reach, filtered, sorted (`-` first: descending), a page at a time;
        with `format` csv or xlsx, every one of them as a file."""
        self.access.require(who.identity, "lead", "list")
        filters = {"status": status, "source": source, "region": region, "industry": industry, "owner_id": owner}
        owners = self.access.owners(who.identity, "lead", "list")
        if format != "json":
            found = leads.leads(self.engine, filters, owners, sort, EXPORT_CAP + 1, None, q)["items"]
            return export(found[:EXPORT_CAP], LEAD_COLUMNS, format, "leads", truncated=len(found) > EXPORT_CAP)
        return leads.leads(self.engine, filters, owners, sort, limit, cursor, q)

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
        return leads.model_status(self.engine, record, self.app.rules.lead_scoring)

    @route.post("/lead-scores/train", response_model=TrainingRun)
    def train_score_model(self, who: CallerDep) -> dict[str, Any]:
        """Train now, on this request's thread (the sample is capped), and score every open lead."""
        self.access.require(who.identity, "lead score model", "train")
        return self.scorer.run(who.meta)
