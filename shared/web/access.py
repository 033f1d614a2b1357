"""Who may see and change what: ONE table (`TABLE`), role × resource × action → scope.

Every route names the rule it follows (`access.require(who, "deal", "work")`, then
`access.check(...)` on the subject's owner); the access tests are generated from the table
and the README's role table is rendered from it (`render_markdown`), so the three cannot
drift apart. The table lives here, in `shared/`, because every service's routes use it and
`crm/` (the entry points) depends on the services, not the other way round; its resource
names are the CRM's own, which is acceptable for a module the three services share.

Scopes — whose subjects a role reaches:

- `all`: anybody's;
- `own`: the caller's own (for a creating action: the caller becomes the owner);
- `teams`: the caller's own and those of the members of the teams they lead (`CRM_TEAMS`);
  for a team subject (a team target): the teams they lead;
- `…+pool`: and the deals in the pool (owned by nobody);
- no scope: the role may not do it at all.

A role without a scope is refused (403) before anything is looked up; then an unknown
subject is 404 (or 422 when it is named in the path of a command, as a target's owner);
then a subject out of reach is 403. Nothing is recorded on any refusal.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException

from shared.web.identity import ROLES, Identity, Role

Scope = Literal["all", "own", "own+pool", "teams", "teams+pool"]


@dataclass(frozen=True)
class Rule:
    resource: str
    action: str
    routes: tuple[str, ...]
    rep: Scope | None = None
    manager: Scope | None = None
    auditor: Scope | None = None
    admin: Scope | None = None
    note: str = ""

    def scope(self, role: Role) -> Scope | None:
        return getattr(self, role)  # type: ignore[no-any-return]

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(role for role in ROLES if self.scope(role) is not None)


_EVERYONE: dict[str, Scope] = {"rep": "all", "manager": "all", "auditor": "all", "admin": "all"}
_CREATORS: dict[str, Scope] = {"rep": "own", "manager": "own", "admin": "own"}
_DEAL_READERS: dict[str, Scope] = {"rep": "own+pool", "manager": "teams+pool", "auditor": "all", "admin": "all"}
_FIGURES: dict[str, Scope] = {"rep": "own", "manager": "teams", "auditor": "all", "admin": "all"}

TABLE: tuple[Rule, ...] = (
    Rule("configuration", "read", ("GET /registration/rules", "GET /pipeline/rules", "GET /pipeline/stages",
                                   "GET /forecast/rules"), **_EVERYONE),
    Rule("stage set", "define", ("PUT /pipeline/pipelines/{pipeline_id}",), admin="all"),
    Rule("lead", "capture", ("POST /registration/leads",), **_CREATORS),
    Rule("lead", "convert", ("POST /registration/leads/{lead_id}/convert",), rep="own", manager="teams", admin="all",
         note="the deal belongs to the lead's owner, whoever converts it"),
    Rule("deal", "register", ("POST /registration/deals",), **_CREATORS),
    Rule("import", "upload", ("POST /registration/imports/{kind}",), **_CREATORS),
    Rule("deal", "read", ("GET /registration/deals/{deal_id}", "GET /pipeline/deals/{deal_id}"), **_DEAL_READERS),
    Rule("deal", "read history", ("GET /registration/deals/{deal_id}/history", "GET /pipeline/deals/{deal_id}/history"),
         **_DEAL_READERS, note="the same reach as the deal itself"),
    Rule("deal", "list", ("GET /pipeline/deals", "GET /pipeline/board"), **_FIGURES,
         note="lists hold only the deals in reach"),
    Rule("deal", "work", ("POST /pipeline/deals/{deal_id}/stage", "PATCH /pipeline/deals/{deal_id}",
                          "POST /pipeline/deals/{deal_id}/activities",
                          "POST /pipeline/deals/{deal_id}/activities/{activity_id}/done",
                          "POST /pipeline/deals/{deal_id}/close"), rep="own", manager="teams+pool", admin="all"),
    Rule("deal", "review", ("POST /registration/deals/{deal_id}/approve", "POST /registration/deals/{deal_id}/reject",
                            "POST /registration/deals/{deal_id}/recycle", "POST /pipeline/deals/{deal_id}/reopen"),
         manager="teams+pool", admin="all"),
    Rule("deal", "assign", ("POST /registration/deals/{deal_id}/assign",), manager="teams+pool", admin="all",
         note="the new owner must be in reach too"),
    Rule("pool", "read", ("GET /registration/pool",), **_EVERYONE),
    Rule("pool", "claim", ("POST /registration/deals/{deal_id}/claim",), rep="all", manager="all", admin="all",
         note="the claimant becomes the owner"),
    Rule("forecast", "read", ("GET /forecast/pipeline",), **_FIGURES, note="figures and targets of the owners in reach"),
    Rule("report", "read", ("GET /forecast/reports/{name}", "GET /forecast/changes"), manager="teams", auditor="all",
         admin="all", note="computed over the deals in reach"),
    Rule("target", "set", ("PUT /forecast/targets/{owner_id}/{period}",), manager="teams", admin="all",
         note="an unknown owner is 422"),
    Rule("team target", "set", ("PUT /forecast/team-targets/{team}/{period}",), manager="teams", admin="all",
         note="an unknown team is 422"),
)

RULES: dict[tuple[str, str], Rule] = {(rule.resource, rule.action): rule for rule in TABLE}

_SHOWN: dict[Scope | None, str] = {
    None: "—", "all": "all", "own": "own", "own+pool": "own, pool", "teams": "their teams",
    "teams+pool": "their teams, pool",
}


def rule_of(route: str) -> Rule:
    """The rule a route (`"POST /registration/leads"`) follows."""
    for rule in TABLE:
        if route in rule.routes:
            return rule
    raise KeyError(route)


def render_markdown() -> str:
    """The table as the README shows it (a test holds the README to exactly this)."""
    lines = ["| resource | action | rep | manager | auditor | admin | routes | notes |", "|---|---|---|---|---|---|---|---|"]
    for rule in TABLE:
        cells = [_SHOWN[rule.scope(role)] for role in ROLES]
        routes = "<br>".join(f"`{route}`" for route in rule.routes)
        lines.append(f"| {rule.resource} | {rule.action} | {' | '.join(cells)} | {routes} | {rule.note} |")
    return "\n".join(lines) + "\n"


class Access:
    def __init__(self, teams: Mapping[str, Sequence[str]]) -> None:
        self.teams = {team: frozenset(members) for team, members in teams.items()}

    def members_of(self, who: Identity) -> frozenset[str]:
        """The owners whose deals this caller may reach: themself and their teams."""
        reached = {who.user_id}
        for team in who.teams:
            reached |= self.teams.get(team, frozenset())
        return frozenset(reached)

    def is_member(self, owner_id: str) -> bool:
        """Whether `owner_id` belongs to a configured team."""
        return any(owner_id in members for members in self.teams.values())

    # -- the table ----------------------------------------------------------------------------

    def allows(
        self, who: Identity, resource: str, action: str, owner_id: str | None = None, *, team: str | None = None
    ) -> bool:
        """Whether the rule lets this caller act on a subject owned by `owner_id` (None: the
        pool), or on the team `team`."""
        scope = RULES[(resource, action)].scope(who.role)
        if scope is None:
            return False
        if scope == "all":
            return True
        if team is not None:
            return scope.startswith("teams") and team in who.teams
        if owner_id is None:
            return scope.endswith("+pool")
        if scope.startswith("own"):
            return owner_id == who.user_id
        return owner_id in self.members_of(who)

    def require(self, who: Identity, resource: str, action: str) -> None:
        """403 unless the caller's role may do this at all; checked before any look-up."""
        rule = RULES[(resource, action)]
        if rule.scope(who.role) is None:
            raise HTTPException(
                403, detail=f"a {who.role} may not {action} a {resource}; it takes: {', '.join(rule.roles)}"
            )

    def check(
        self, who: Identity, resource: str, action: str, owner_id: str | None = None, *, team: str | None = None
    ) -> None:
        """403 unless the caller may act on this subject (its role, then its reach)."""
        self.require(who, resource, action)
        if not self.allows(who, resource, action, owner_id, team=team):
            whose = f"team {team}" if team is not None else "someone outside their reach"
            raise HTTPException(403, detail=f"{who.user_id} ({who.role}) may not {action} a {resource} of {whose}")

    def owners(self, who: Identity, resource: str, action: str) -> frozenset[str] | None:
        """For lists and figures: the owners to filter on (None: everyone). The role must
        have a scope (see `require`)."""
        scope = RULES[(resource, action)].scope(who.role)
        if scope == "all":
            return None
        if scope is None:
            return frozenset()
        return frozenset({who.user_id}) if scope.startswith("own") else self.members_of(who)

    # -- deals (the rules most routes follow) -------------------------------------------------

    def may_read(self, who: Identity, owner_id: str | None) -> bool:
        return self.allows(who, "deal", "read", owner_id)

    def may_change(self, who: Identity, owner_id: str | None) -> bool:
        return self.allows(who, "deal", "work", owner_id)

    def check_read(self, who: Identity, owner_id: str | None) -> None:
        if not self.may_read(who, owner_id):
            raise HTTPException(403, detail=f"{who.user_id} may not see a deal owned by someone outside their reach")

    def check_change(self, who: Identity, owner_id: str | None) -> None:
        if not self.may_change(who, owner_id):
            raise HTTPException(403, detail=f"{who.user_id} ({who.role}) may not change this deal")

    def owners_visible(self, who: Identity) -> frozenset[str] | None:
        """For list views: the owners to filter on (None: everyone)."""
        return self.owners(who, "deal", "list")
