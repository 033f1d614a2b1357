"""Registration's assignment-rule routes (线索分配): the rules and their versions, applying
them to a batch of leads and deals, and a dry run that records nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.registration.api.declare import RouteSet, route
from services.registration.application.assignment import Applied, lead_candidate
from services.registration.domain.assignment import AssignmentRule, Candidate
from services.registration.domain.assignmentrules import ASSIGNMENT_RULES_ID, AssignmentRules
from services.registration.domain.deal import Deal
from services.registration.domain.lead import Lead
from services.registration.requests import ApplyAssignment, DefineAssignmentRules, DryRun
from shared.web.http import Caller, CallerDep
from shared.web.responses import NOT_FOUND

# -- what the routes answer ----------------------------------------------------------------------


class AssignmentRulesView(BaseModel):
    version: int
    rules: list[AssignmentRule]
    defined_by: str | None
    defined_at: datetime | None


class AssignmentRulesHistory(BaseModel):
    versions: list[AssignmentRulesView]


class DecisionView(BaseModel):
    ref: str | None = Field(description="the candidate's own ref, or lead:<id> / deal:<id>")
    owner_now: str | None = Field(default=None, description="its owner now (a lead's or deal's)")
    owner_id: str | None
    rule: str | None
    reasons: list[str]


class DryRunResult(BaseModel):
    decisions: list[DecisionView]


class AppliedView(BaseModel):
    kind: Literal["lead", "deal"]
    id: str
    outcome: Literal["assigned", "unassigned", "unchanged", "refused"]
    owner_id: str | None
    rule: str | None
    reasons: list[str]


class ApplyResult(BaseModel):
    items: list[AppliedView]


def _view(record: AssignmentRules) -> dict[str, Any]:
    return {
        "version": record.rules_version,
        "rules": record.rules,
        "defined_by": record.defined_by,
        "defined_at": record.defined_at,
    }


def _applied(done: Applied) -> dict[str, Any]:
    return {**vars(done), "id": str(done.id)}


class AssignmentRoutes(RouteSet):
    @route.get("/assignment-rules", response_model=AssignmentRulesView)
    def assignment_rules(self, who: CallerDep) -> dict[str, Any]:
        self.access.require(who.identity, "assignment rules", "read")
        return _view(self.app.assignment_rules())

    @route.put("/assignment-rules", response_model=AssignmentRulesView)
    def define_assignment_rules(self, body: DefineAssignmentRules, who: CallerDep) -> dict[str, Any]:
        """A new version of the rules, replacing the whole list (the old ones stay in the history)."""
        self.access.require(who.identity, "assignment rules", "define")
        return _view(self.app.define_assignment_rules(body.rules, who.meta))

    @route.get("/assignment-rules/history", response_model=AssignmentRulesHistory)
    def assignment_rules_history(self, who: CallerDep) -> dict[str, Any]:
        """Every version of the rules, oldest first: who set it, when, and what it said."""
        self.access.require(who.identity, "assignment rules", "read")
        versions = []
        for event in self.app.events.get(ASSIGNMENT_RULES_ID) if self._defined() else ():
            if isinstance(event, AssignmentRules.Defined):
                versions.append(
                    {
                        "version": event.rules_version,
                        "rules": event.rules,
                        "defined_by": event.meta["actor"],
                        "defined_at": event.at,
                    }
                )
        return {"versions": versions}

    @route.post("/assignment-rules/dry-run", response_model=DryRunResult, responses=NOT_FOUND)
    def dry_run(self, body: DryRun, who: CallerDep) -> dict[str, Any]:
        """What the rules would decide for each candidate in turn (each counting the ones
        before it); nothing is recorded."""
        self.access.require(who.identity, "assignment rules", "dry run")
        candidates = [Candidate(**c.model_dump(exclude={"ref"})) for c in body.candidates]
        refs = [c.ref for c in body.candidates]
        for lead_id in body.lead_ids:
            candidates.append(lead_candidate(self.app.get(Lead, lead_id)))
            refs.append(f"lead:{lead_id}")
        for deal_id in body.deal_ids:
            candidates.append(self.app.deal_candidate(self.app.get(Deal, deal_id)))
            refs.append(f"deal:{deal_id}")
        decisions = self.app.decide_batch(candidates, self.access.teams)
        return {
            "decisions": [
                {"ref": ref, "owner_now": c.owner_id, "owner_id": d.owner_id, "rule": d.rule, "reasons": d.reasons}
                for ref, c, d in zip(refs, candidates, decisions, strict=True)
            ]
        }

    @route.post("/assignment-rules/apply", response_model=ApplyResult, responses=NOT_FOUND)
    def apply(self, body: ApplyAssignment, who: CallerDep) -> dict[str, Any]:
        """(Re)assign each named lead and deal by the rules, in order; each is recorded on its
        own. A manager: only leads and deals of their teams (and the pool), and only to the
        members of their teams."""
        self.access.require(who.identity, "assignment rules", "apply")
        for lead_id in body.lead_ids:  # every one in reach before any is changed
            self._reaches(who, self.app.get(Lead, lead_id).captured_by)
        for deal_id in body.deal_ids:
            deal = self.app.get(Deal, deal_id)
            self._reaches(who, deal.owner_id, deal.partner)
        teams, may_own = self.access.teams, self._may_own(who)
        items = [self.app.assign_lead_by_rules(lead_id, teams, who.meta, may_own) for lead_id in body.lead_ids]
        items += [self.app.assign_deal_by_rules(deal_id, teams, who.meta, may_own) for deal_id in body.deal_ids]
        return {"items": [_applied(done) for done in items]}

    def _reaches(self, who: Caller, owner_id: str | None, organisation: str | None = None) -> None:
        self.access.check(who.identity, "assignment rules", "apply", owner_id, organisation=organisation)

    def _may_own(self, who: Caller) -> Callable[[str], bool]:
        return lambda rep: self.access.allows(who.identity, "assignment rules", "apply", rep)

    def _defined(self) -> bool:
        return self.app.find(AssignmentRules, ASSIGNMENT_RULES_ID) is not None
