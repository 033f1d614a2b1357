"""Who may see and change which deal.

A rep sees and changes the deals they own, and sees the pool; a manager, the deals of the
reps in their teams, and the pool; an auditor reads everything and changes nothing; an
admin does everything, including the configuration (stage sets, rules).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import HTTPException

from shared.identity import Identity


class Access:
    def __init__(self, teams: Mapping[str, Sequence[str]]) -> None:
        self.teams = {team: frozenset(members) for team, members in teams.items()}

    def members_of(self, who: Identity) -> frozenset[str]:
        """The owners whose deals this caller may reach: themself and their teams."""
        reached = {who.user_id}
        for team in who.teams:
            reached |= self.teams.get(team, frozenset())
        return frozenset(reached)

    def may_read(self, who: Identity, owner_id: str | None) -> bool:
        if who.role in ("auditor", "admin") or owner_id is None:
            return True
        return owner_id in (self.members_of(who) if who.role == "manager" else {who.user_id})

    def may_change(self, who: Identity, owner_id: str | None) -> bool:
        if who.role == "auditor":
            return False
        if who.role == "admin":
            return True
        if who.role == "manager":
            return owner_id is None or owner_id in self.members_of(who)
        return owner_id == who.user_id

    def check_read(self, who: Identity, owner_id: str | None) -> None:
        if not self.may_read(who, owner_id):
            raise HTTPException(403, detail=f"{who.user_id} may not see a deal owned by someone outside their reach")

    def check_change(self, who: Identity, owner_id: str | None) -> None:
        if not self.may_change(who, owner_id):
            raise HTTPException(403, detail=f"{who.user_id} ({who.role}) may not change this deal")

    def owners_visible(self, who: Identity) -> frozenset[str] | None:
        """For list views: the owners to filter on (None: everyone)."""
        if who.role in ("auditor", "admin"):
            return None
        return self.members_of(who) if who.role == "manager" else frozenset({who.user_id})
