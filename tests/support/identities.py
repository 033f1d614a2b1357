"""Who the tests act as: the identity headers the embedded mode trusts (X-User-Id,
X-User-Role, X-User-Teams, X-User-Partner), one name per caller. The reps rep-1, rep-2 … are
of team east, which the test managers lead (tests/conftest.py sets CRM_TEAMS). The partners
act for the channel partner organisations org-a and org-b, which a test registers (with
mgr-channel as their channel manager) before they act."""

from __future__ import annotations

from collections.abc import Iterable


def as_user(user_id: str, role: str = "rep", teams: Iterable[str] = (), partner: str | None = None) -> dict[str, str]:
    """The headers of one caller; X-User-Teams only for a caller in some team, X-User-Partner
    only for a partner."""
    headers = {"X-User-Id": user_id, "X-User-Role": role}
    if joined := ",".join(teams):
        headers["X-User-Teams"] = joined
    if partner is not None:
        headers["X-User-Partner"] = partner
    return headers


REP = as_user("rep-1")  # the owner of the deals the flow creates
REP2 = as_user("rep-2")  # a colleague in the same team, not the owner
MANAGER = as_user("mgr-1", "manager", ["east"])
# The access tests name managers by the team they lead, to set one beside the other.
EAST_MANAGER = as_user("mgr-east", "manager", ["east"])
WEST_MANAGER = as_user("mgr-west", "manager", ["west"])
ADMIN = as_user("admin-1", "admin")
AUDITOR = as_user("aud-1", "auditor")  # reads every deal, changes none
# Channel partners (渠道伙伴): two users of org-a, one of org-b, and the manager who reviews both.
PARTNER_A = as_user("partner-a-1", "partner", partner="org-a")
PARTNER_A2 = as_user("partner-a-2", "partner", partner="org-a")  # a colleague in the same organisation
PARTNER_B = as_user("partner-b-1", "partner", partner="org-b")
CHANNEL_MANAGER = as_user("mgr-channel", "manager", ["channel"])
