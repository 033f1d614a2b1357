"""Registration's rows of the access table (`shared.web.access`): the rule each of its
routes follows. `crm/access.py` joins them with the other services' into the one table."""

from __future__ import annotations

from shared.web.access import EVERYONE, STAFF, Rule, Scope
from shared.web.live import NOTE

_CREATORS: dict[str, Scope] = {"rep": "own", "manager": "own", "admin": "own"}
_DEAL_READERS: dict[str, Scope] = {"rep": "own+pool", "manager": "teams+pool", "auditor": "all", "admin": "all"}
# A channel partner's user registers for its organisation and reads only its organisation's
# registrations; a manager reaches a partner's deals when they are its channel manager.
_ORGANISATION: dict[str, Scope] = {"partner": "organisation"}

RULES: tuple[Rule, ...] = (
    Rule("configuration", "read", ("GET /registration/rules",), **EVERYONE),
    Rule("changes", "subscribe", ("GET /registration/live",), **EVERYONE, note=NOTE),
    Rule("lead", "capture", ("POST /registration/leads",), **_CREATORS),
    Rule(
        "lead",
        "convert",
        ("POST /registration/leads/{lead_id}/convert",),
        rep="own",
        manager="teams",
        admin="all",
        note="the deal belongs to the lead's owner, whoever converts it",
    ),
    Rule(
        "deal",
        "register",
        ("POST /registration/deals",),
        **_CREATORS,
        **_ORGANISATION,
        note="a partner's registration waits for a channel manager; a taken customer is refused without saying by whom",
    ),
    Rule("import", "upload", ("POST /registration/imports/{kind}",), **_CREATORS),
    Rule(
        "deal",
        "read",
        ("GET /registration/deals/{deal_id}",),
        **_DEAL_READERS,
        **_ORGANISATION,
        note="a partner sees its registration's status, not who else holds or held the customer",
    ),
    Rule(
        "deal",
        "read history",
        ("GET /registration/deals/{deal_id}/history",),
        **_DEAL_READERS,
        note="the same reach as the deal itself",
    ),
    Rule(
        "registration",
        "list",
        ("GET /registration/deals",),
        rep="own",
        manager="teams+pool",
        auditor="all",
        admin="all",
        **_ORGANISATION,
        note="the approval queue: a list, holding only what is in reach",
    ),
    Rule(
        "deal",
        "review",
        (
            "POST /registration/deals/{deal_id}/approve",
            "POST /registration/deals/{deal_id}/reject",
            "POST /registration/deals/{deal_id}/recycle",
        ),
        manager="teams+pool",
        admin="all",
        note="a partner's deals: their channel managers",
    ),
    Rule(
        "deal",
        "assign",
        ("POST /registration/deals/{deal_id}/assign",),
        manager="teams+pool",
        admin="all",
        note="the new owner must be in reach too",
    ),
    Rule(
        "pool",
        "read",
        ("GET /registration/pool",),
        **STAFF,
        note="not a partner: the pool names other parties' customers",
    ),
    Rule(
        "pool",
        "claim",
        ("POST /registration/deals/{deal_id}/claim",),
        rep="all",
        manager="all",
        admin="all",
        note="the claimant becomes the owner",
    ),
    Rule("partner", "register", ("POST /registration/partners",), admin="all"),
    Rule("partner", "list", ("GET /registration/partners",), manager="all", auditor="all", admin="all"),
    Rule(
        "partner report",
        "read",
        ("GET /registration/partners/report",),
        manager="teams",
        auditor="all",
        admin="all",
        note="a manager: the partners they are a channel manager of",
    ),
)
