"""Who may see and change what: rules of role × resource × action → scope, and the
policy (`Access`) that applies them.

Each service lists the rules its routes follow (`services/<name>/access.py`) and gives them
to its `Access`; every route names the rule it follows (`access.require(who, resource, action)`,
then `access.check(...)` on the subject's owner). `crm/access.py` joins the services' rules
into the one table the README shows (`render_markdown`) and the access tests are generated
from, so the three cannot drift apart.

Scopes — whose subjects a role reaches:

- `all`: anybody's;
- `own`: the caller's own (for a creating action: the caller becomes the owner);
- `teams`: the caller's own and those of the members of the teams they lead (`CRM_TEAMS`);
  for a team subject (a team target): the teams they lead;
- `…+pool`: and the subjects in the pool (owned by nobody);
- `organisation`: the subjects of the outside organisation the caller acts for (a partner's:
  `Identity.partner`), whoever of it owns them; for a creating action: its organisation's;
- no scope: the role may not do it at all.

A subject may belong to an outside organisation besides its owner: a `teams` scope then also
reaches it when the caller manages that organisation (`Organisations.managers`), as a
manager reaches the members of the teams they lead.

A role without a scope is refused (Forbidden: 403) before anything is looked up; then an
unknown subject is 404 (or 422 when it is named in the path of a command, as a target's
owner); then a subject out of reach is 403. Nothing is recorded on any refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, Literal, Protocol

from shared.errors import Forbidden, Invalid, NotFound
from shared.web.identity import ROLES, Identity, Role

Scope = Literal["all", "own", "own+pool", "teams", "teams+pool", "organisation"]


class Organisations(Protocol):
    """Who manages which outside organisation (a service that has them says)."""

    def managers(self, organisation: str) -> frozenset[str]: ...

    def managed_by(self, user_id: str) -> frozenset[str]: ...


class NoOrganisations:
    def managers(self, organisation: str) -> frozenset[str]:
        return frozenset()

    def managed_by(self, user_id: str) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True)
class Rule:
    resource: str
    action: str
    routes: tuple[str, ...]
    rep: Scope | None = None
    manager: Scope | None = None
    auditor: Scope | None = None
    admin: Scope | None = None
    partner: Scope | None = None
    note: str = ""
    four_eyes: ClassVar[bool] = False  # see FourEyesRule

    def scope(self, role: Role) -> Scope | None:
        return getattr(self, role)  # type: ignore[no-any-return]

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(role for role in ROLES if self.scope(role) is not None)

    @property
    def key(self) -> tuple[str, str]:
        return self.resource, self.action


EVERYONE: dict[str, Scope] = {"rep": "all", "manager": "all", "auditor": "all", "admin": "all", "partner": "all"}


# Everyone of the organisation running the CRM: not the users of outside organisations.
@dataclass(frozen=True)
class FourEyesRule(Rule):
    """Never on the caller's own subject, whatever the scope: a review is someone else's to
    make (the table's note says so)."""

    four_eyes: ClassVar[bool] = True


STAFF: dict[str, Scope] = {"rep": "all", "manager": "all", "auditor": "all", "admin": "all"}


def joined(rule_sets: Iterable[Sequence[Rule]], order: Sequence[tuple[str, str]]) -> tuple[Rule, ...]:
    """One table from several services' rules, in `order` (of resource, action): rules
    alike but for their routes (the same scopes and note) become one, routes joined in the
    order the sets come in."""
    rows: dict[tuple[object, ...], Rule] = {}
    for rule in (rule for rules in rule_sets for rule in rules):
        alike = (rule.resource, rule.action, *(rule.scope(role) for role in ROLES), rule.note, rule.four_eyes)
        before = rows.get(alike)
        rows[alike] = rule if before is None else replace(before, routes=before.routes + rule.routes)
    unplaced = [rule.key for rule in rows.values() if rule.key not in order]
    if unplaced:
        raise ValueError(f"rules without a place in the table's order: {unplaced}")
    return tuple(sorted(rows.values(), key=lambda rule: order.index(rule.key)))


_SHOWN: dict[Scope | None, str] = {
    None: "—",
    "all": "all",
    "own": "own",
    "own+pool": "own, pool",
    "teams": "their teams",
    "teams+pool": "their teams, pool",
    "organisation": "their organisation",
}


def rule_of(rules: Iterable[Rule], route: str) -> Rule:
    """The rule a route (`"POST /registration/leads"`) follows."""
    for rule in rules:
        if route in rule.routes:
            return rule
    raise KeyError(route)


def render_markdown(rules: Iterable[Rule]) -> str:
    """The table as the README shows it (a test holds the README to exactly this)."""
    lines = [
        "| resource | action | rep | manager | auditor | admin | partner | routes | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for rule in rules:
        cells = [_SHOWN[rule.scope(role)] for role in ROLES]
        routes = "<br>".join(f"`{route}`" for route in rule.routes)
        lines.append(f"| {rule.resource} | {rule.action} | {' | '.join(cells)} | {routes} | {rule.note} |")
    return "\n".join(lines) + "\n"


class Access:
    """The policy of one service: its rules (those its routes name), the teams, and who
    manages which outside organisation."""

    def __init__(
        self, teams: Mapping[str, Sequence[str]], rules: Iterable[Rule], organisations: Organisations | None = None
    ) -> None:
        self.teams = {team: frozenset(members) for team, members in teams.items()}
        self.rules = {rule.key: rule for rule in rules}
        self.organisations = organisations or NoOrganisations()

    def members_of(self, who: Identity) -> frozenset[str]:
        """The owners whose subjects this caller may reach: themself and their teams."""
        reached = {who.user_id}
        for team in who.teams:
            reached |= self.teams.get(team, frozenset())
        return frozenset(reached)

    def is_member(self, owner_id: str) -> bool:
        """Whether `owner_id` belongs to a configured team."""
        return any(owner_id in members for members in self.teams.values())

    # -- the rules ----------------------------------------------------------------------------

    def allows(
        self,
        who: Identity,
        resource: str,
        action: str,
        owner_id: str | None = None,
        *,
        team: str | None = None,
        organisation: str | None = None,
    ) -> bool:
        """Whether the rule lets this caller act on a subject owned by `owner_id` (None: the
        pool) and of the outside `organisation` (None: of none), or on the team `team`."""
        rule = self.rules[(resource, action)]
        scope = rule.scope(who.role)
        if scope is None:
            return False
        if rule.four_eyes and owner_id is not None and owner_id == who.user_id:
            return False
        if scope == "all":
            return True
        if scope == "organisation":
            return organisation is not None and organisation == who.partner
        if (
            organisation is not None
            and scope.startswith("teams")
            and who.user_id in self.organisations.managers(organisation)
        ):
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
        rule = self.rules[(resource, action)]
        if rule.scope(who.role) is None:
            raise Forbidden(f"a {who.role} may not {action} a {resource}; it takes: {', '.join(rule.roles)}")

    def check(
        self,
        who: Identity,
        resource: str,
        action: str,
        owner_id: str | None = None,
        *,
        team: str | None = None,
        organisation: str | None = None,
    ) -> None:
        """403 unless the caller may act on this subject (its role, then its reach)."""
        self.require(who, resource, action)
        if not self.allows(who, resource, action, owner_id, team=team, organisation=organisation):
            whose = f"team {team}" if team is not None else "someone outside their reach"
            raise Forbidden(f"{who.user_id} ({who.role}) may not {action} a {resource} of {whose}")

    def owner_or_team(
        self, who: Identity, resource: str, action: str, owner: str | None, team: str | None
    ) -> frozenset[str]:
        """The owners a query asks about: one `team` (each member; 404 for an unknown team) or
        one `owner` (the caller when neither is named), each checked against the rule."""
        self.require(who, resource, action)
        if owner is not None and team is not None:
            raise Invalid("team", "ask for one owner or one team, not both", "query")
        if team is not None:
            if team not in self.teams:
                raise NotFound("team", team)
            self.check(who, resource, action, team=team)
            return self.teams[team]
        owner = owner or who.user_id
        self.check(who, resource, action, owner)
        return frozenset({owner})

    def owners(self, who: Identity, resource: str, action: str) -> frozenset[str] | None:
        """For lists and figures: the owners to filter on (None: everyone). The role must
        have a scope (see `require`)."""
        scope = self.rules[(resource, action)].scope(who.role)
        if scope == "all":
            return None
        if scope is None or scope == "organisation":
            return frozenset()
        return frozenset({who.user_id}) if scope.startswith("own") else self.members_of(who)

    def organisations_in_reach(self, who: Identity, resource: str, action: str) -> frozenset[str] | None:
        """For lists and figures: the outside organisations whose subjects are in reach
        whoever owns them (None: every one)."""
        scope = self.rules[(resource, action)].scope(who.role)
        if scope == "all":
            return None
        if scope == "organisation":
            return frozenset({who.partner}) if who.partner else frozenset()
        if scope is not None and scope.startswith("teams"):
            return self.organisations.managed_by(who.user_id)
        return frozenset()
