"""Who the tests act as: the identity headers the embedded mode trusts (X-User-Id,
X-User-Role, X-User-Teams), one name per caller. The reps rep-1, rep-2 … are of team east,
which the test managers lead (tests/conftest.py sets CRM_TEAMS)."""

from __future__ import annotations

from collections.abc import Iterable


def as_user(user_id: str, role: str = "rep", teams: Iterable[str] = ()) -> dict[str, str]:
    """The headers of one caller; X-User-Teams only for a caller in some team."""
    headers = {"X-User-Id": user_id, "X-User-Role": role}
    if joined := ",".join(teams):
        headers["X-User-Teams"] = joined
    return headers


REP = as_user("rep-1")  # the owner of the deals the flow creates
REP2 = as_user("rep-2")  # a colleague in the same team, not the owner
MANAGER = as_user("mgr-1", "manager", ["east"])
# The access tests name managers by the team they lead, to set one beside the other.
EAST_MANAGER = as_user("mgr-east", "manager", ["east"])
WEST_MANAGER = as_user("mgr-west", "manager", ["west"])
ADMIN = as_user("admin-1", "admin")
AUDITOR = as_user("aud-1", "auditor")  # reads every deal, changes none
