"""Assignment rules (线索分配): which rep a new lead or an ownerless deal goes to, decided
by the first rule whose conditions it meets, within the holding limit (保有量).

`decide` is a pure function of the candidate, the rules, the teams, the reps' holdings and
the round-robin cursors: the same inputs give the same decision, so a dry run shows exactly
what applying would do, and replaying the cursors' events after a restart resumes the cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.web.inputs import Currency

Strategy = Literal["round_robin", "least_loaded"]
TEXT_CONDITIONS = ("region", "industry", "source", "customer_level", "product_line")


class Conditions(BaseModel):
    """What a candidate must have for the rule to apply; a condition left out matches anything."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    region: str | None = Field(default=None, min_length=1, max_length=100)
    industry: str | None = Field(default=None, min_length=1, max_length=100)
    source: str | None = Field(default=None, min_length=1, max_length=100)
    customer_level: str | None = Field(default=None, min_length=1, max_length=30)
    product_line: str | None = Field(default=None, min_length=1, max_length=100)
    min_value: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    max_value: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    # The bounds' currency: a value in another one meets no bound (there is no exchange rate
    # here to compare them by), and the reason says so. Rules stored before it had CNY in mind.
    currency: Currency = "CNY"

    @model_validator(mode="after")
    def _ordered(self) -> Conditions:
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValueError("min_value must not exceed max_value")
        return self


class Target(BaseModel):
    """A team (its members share the rule's leads) or one rep."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    team: str | None = Field(default=None, min_length=1, max_length=100)
    rep: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one(self) -> Target:
        if (self.team is None) == (self.rep is None):
            raise ValueError("name exactly one of team and rep")
        return self


class AssignmentRule(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    name: str = Field(min_length=1, max_length=100)
    when: Conditions = Conditions()
    to: Target
    strategy: Strategy = "round_robin"


@dataclass(frozen=True)
class Candidate:
    """What the rules look at of a lead or a deal (None: it does not say)."""

    region: str | None = None
    industry: str | None = None
    source: str | None = None
    customer_level: str | None = None
    product_line: str | None = None
    value: Decimal | None = None
    currency: str | None = None  # the value's
    owner_id: str | None = None  # its owner now, if any: a re-assignment may keep nobody's cycle still


@dataclass(frozen=True)
class Decision:
    """Who gets it (None: nobody fits, and `reasons` says why), by which rule, and why every
    earlier rule did not decide; `cursor` is the deciding rule's next round-robin position."""

    owner_id: str | None
    rule: str | None
    reasons: list[str] = field(default_factory=list)
    cursor: tuple[str, int] | None = None


def mismatch(when: Conditions, candidate: Candidate) -> str | None:
    """Why the candidate does not meet the conditions, or None when it does."""
    for name in TEXT_CONDITIONS:
        wanted = getattr(when, name)
        if wanted is None:
            continue
        has = getattr(candidate, name)
        if has is None:
            return f"{name} is not given (wants {wanted})"
        if has.casefold() != wanted.casefold():
            return f"{name} is {has}, not {wanted}"
    if when.min_value is not None or when.max_value is not None:
        if candidate.value is None:
            return "value is not given"
        if candidate.currency is not None and candidate.currency != when.currency:
            return f"value is in {candidate.currency}, the bounds in {when.currency}"
        if when.min_value is not None and candidate.value < when.min_value:
            return f"value {candidate.value} is below {when.min_value}"
        if when.max_value is not None and candidate.value > when.max_value:
            return f"value {candidate.value} is above {when.max_value}"
    return None


def decide(
    candidate: Candidate,
    rules: Sequence[AssignmentRule],
    teams: Mapping[str, Collection[str]],
    holdings: Mapping[str, int],
    limit_for: Callable[[str], int],
    cursors: Mapping[str, int],
) -> Decision:
    """The first rule the candidate meets decides; a rep at the holding limit is skipped, and
    when the deciding rule leaves nobody, the candidate stays unassigned (a later rule is not
    asked: it was written for other candidates)."""
    reasons: list[str] = []
    for rule in rules:
        why = mismatch(rule.when, candidate)
        if why is not None:
            reasons.append(f"{rule.name}: {why}")
            continue
        members = _members(rule, teams)
        if not members:
            reasons.append(f"{rule.name}: team {rule.to.team} has no members")
            return Decision(None, rule.name, reasons)
        room = [rep for rep in members if holdings.get(rep, 0) < limit_for(rep)]
        full = [rep for rep in members if rep not in room]
        if full:
            reasons.append(f"{rule.name}: at the holding limit: {', '.join(full)}")
        if not room:
            reasons.append(f"{rule.name}: nobody fits, left unassigned")
            return Decision(None, rule.name, reasons)
        if rule.strategy == "least_loaded":
            chosen = min(room, key=lambda rep: (holdings.get(rep, 0), members.index(rep)))
            return Decision(chosen, rule.name, reasons)
        start = cursors.get(rule.name, 0) % len(members)
        order = members[start:] + members[:start]
        chosen = next(rep for rep in order if rep in room)
        return Decision(chosen, rule.name, reasons, (rule.name, (members.index(chosen) + 1) % len(members)))
    reasons.append("no rule matched, left unassigned")
    return Decision(None, None, reasons)


def _members(rule: AssignmentRule, teams: Mapping[str, Collection[str]]) -> list[str]:
    """A team's members in a fixed order (sorted), so the round-robin cycle does not depend
    on how the configuration lists them; a rep target is a team of one."""
    if rule.to.rep is not None:
        return [rule.to.rep]
    return sorted(set(teams.get(rule.to.team or "", ())))
