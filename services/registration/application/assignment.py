"""Registration's assignment commands (线索分配): define the rules, let them assign a lead
or a deal, and show what they would do to a batch. A part of `RegistrationApplication`.

Each automatic assignment saves the lead or deal, the holdings it touched and the rules'
round-robin cursor together: either the whole decision is recorded or none of it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.registration.domain.assignment import AssignmentRule, Candidate, Decision, decide
from services.registration.domain.assignmentrules import ASSIGNMENT_RULES_ID, AssignmentRules
from services.registration.domain.deal import Deal
from services.registration.domain.indexes import Holdings
from services.registration.domain.lead import Lead
from services.registration.rules import Rules
from shared.clock import Clock
from shared.errors import Conflict
from shared.eventstore.retries import retrying

A = TypeVar("A", bound=Aggregate)


class _Host(Protocol):
    """What the assignment commands use of `RegistrationApplication`, which they are mixed into."""

    rules: Rules
    clock: Clock

    def save(self, *objs: Any, **kwargs: Any) -> Any: ...
    def get(self, aggregate_class: type[A], aggregate_id: UUID) -> A: ...
    def find(self, kind: type[A], aggregate_id: Any) -> A | None: ...
    def change(
        self, kind: type[A], aggregate_id: UUID, change: Callable[[A], object], new: type[A] | None = None
    ) -> A: ...
    def _holdings(self, owner_id: str) -> Holdings: ...
    def let_go(self, deal: Deal, meta: dict[str, str], *, keys: bool) -> list[Aggregate]: ...
    def _protection_from_now(self) -> datetime: ...
    def assignment_rules(self) -> AssignmentRules: ...
    def deal_candidate(self, deal: Deal) -> Candidate: ...
    def _decide(self, candidate: Candidate, teams: Teams) -> tuple[AssignmentRules, Decision]: ...


Outcome = Literal["assigned", "unassigned", "unchanged", "refused"]
Teams = Mapping[str, Collection[str]]  # CRM_TEAMS: team → its members


@dataclass(frozen=True)
class Applied:
    """What the rules did to one lead or deal."""

    kind: Literal["lead", "deal"]
    id: UUID
    outcome: Outcome
    owner_id: str | None
    rule: str | None
    reasons: list[str] = field(default_factory=list)


def lead_candidate(lead: Lead) -> Candidate:
    budget = lead.budget or {}
    amount = budget.get("amount")
    return Candidate(
        region=lead.region,
        industry=lead.industry,
        source=lead.source,
        value=Decimal(amount) if amount is not None else None,
        currency=budget.get("currency"),
        owner_id=lead.captured_by,
    )


class AssignmentCommands:
    """Mixed into `RegistrationApplication`: `self` is one."""

    def assignment_rules(self: _Host) -> AssignmentRules:
        return self.find(AssignmentRules, ASSIGNMENT_RULES_ID) or AssignmentRules()

    def define_assignment_rules(self: _Host, rules: list[AssignmentRule], meta: dict[str, str]) -> AssignmentRules:
        return self.change(
            AssignmentRules,
            ASSIGNMENT_RULES_ID,
            lambda found: found.define(rules, self.clock.now(), meta),
            new=AssignmentRules,
        )

    def deal_candidate(self: _Host, deal: Deal) -> Candidate:
        """A deal's own terms, and the region and industry of the lead it came from, if any."""
        lead = self.find(Lead, deal.lead_id) if deal.lead_id is not None else None
        return Candidate(
            region=lead.region if lead else None,
            industry=lead.industry if lead else None,
            source=deal.source,
            customer_level=deal.customer_level,
            product_line=deal.product_line,
            value=deal.amount,
            currency=deal.currency,
            owner_id=deal.owner_id,
        )

    def decide_batch(self: _Host, candidates: list[Candidate], teams: Teams) -> list[Decision]:
        """What the rules would decide for each candidate in turn, each counting the ones
        before it (their holdings, the cursor's moves); nothing is recorded."""
        record = self.assignment_rules()
        rules, cursors = record.parsed, dict(record.cursors)
        counts: dict[str, int] = {}
        decisions = []
        for candidate in candidates:
            for rep in _reps(rules, teams):
                counts.setdefault(rep, len(self._holdings(rep).deal_ids))
            decision = decide(candidate, rules, teams, counts, self.rules.limit_for, cursors)
            if decision.owner_id is not None:
                counts[decision.owner_id] += 1
                if candidate.owner_id in counts:
                    counts[candidate.owner_id] -= 1
            if decision.cursor is not None:
                cursors[decision.cursor[0]] = decision.cursor[1]
            decisions.append(decision)
        return decisions

    def assign_lead_by_rules(
        self: _Host,
        lead_id: UUID,
        teams: Teams,
        meta: dict[str, str],
        may_own: Callable[[str], bool] = lambda _: True,
    ) -> Applied:
        def assign() -> Applied:
            lead = self.get(Lead, lead_id)
            record, decision = self._decide(lead_candidate(lead), teams)
            if decision.owner_id == lead.captured_by:
                return Applied("lead", lead_id, "unchanged", lead.captured_by, decision.rule, decision.reasons)
            if decision.owner_id is None:
                lead.leave_unassigned(decision.rule, decision.reasons, meta)
                self.save(lead)
                return Applied("lead", lead_id, "unassigned", None, decision.rule, decision.reasons)
            if not may_own(decision.owner_id):
                reasons = [*decision.reasons, f"{decision.owner_id} is out of reach"]
                return Applied("lead", lead_id, "refused", lead.captured_by, decision.rule, reasons)
            lead.assign(decision.owner_id, decision.rule or "", decision.reasons, meta)
            _move(record, decision, meta)
            self.save(lead, record)
            return Applied("lead", lead_id, "assigned", decision.owner_id, decision.rule, decision.reasons)

        return retrying(assign)

    def assign_deal_by_rules(
        self: _Host,
        deal_id: UUID,
        teams: Teams,
        meta: dict[str, str],
        may_own: Callable[[str], bool] = lambda _: True,
    ) -> Applied:
        """`may_own`: whether the caller may give a deal to this rep (a manager: their teams)."""

        def assign() -> Applied:
            deal = self.get(Deal, deal_id)
            record, decision = self._decide(self.deal_candidate(deal), teams)
            owner, rule, reasons = decision.owner_id, decision.rule, decision.reasons
            if owner is None:
                return Applied("deal", deal_id, "unassigned", deal.owner_id, rule, reasons)
            if owner == deal.owner_id:
                return Applied("deal", deal_id, "unchanged", owner, rule, reasons)
            if not may_own(owner):
                return Applied("deal", deal_id, "refused", deal.owner_id, rule, [*reasons, f"{owner} is out of reach"])
            touched = self.let_go(deal, meta, keys=False)
            taker = self._holdings(owner)
            try:
                taker.take(deal.id, self.rules.limit_for(owner))
                deal.assign(owner, self._protection_from_now(), self.clock.now(), meta, rule, reasons)
            except Conflict as refused:
                return Applied("deal", deal_id, "refused", deal.owner_id, rule, [*reasons, str(refused)])
            _move(record, decision, meta)
            self.save(deal, taker, record, *touched)
            return Applied("deal", deal_id, "assigned", owner, rule, reasons)

        return retrying(assign)

    def _decide(self: _Host, candidate: Candidate, teams: Teams) -> tuple[AssignmentRules, Decision]:
        record = self.assignment_rules()
        rules = record.parsed
        counts = {rep: len(self._holdings(rep).deal_ids) for rep in _reps(rules, teams)}
        return record, decide(candidate, rules, teams, counts, self.rules.limit_for, record.cursors)


def _move(record: AssignmentRules, decision: Decision, meta: dict[str, str]) -> None:
    if decision.cursor is not None:
        record.move_cursor(*decision.cursor, meta)


def _reps(rules: Sequence[AssignmentRule], teams: Teams) -> set[str]:
    reps: set[str] = set()
    for rule in rules:
        reps |= {rule.to.rep} if rule.to.rep is not None else set(teams.get(rule.to.team or "", ()))
    return reps
