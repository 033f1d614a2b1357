"""Registration's rows of the access table (`shared.web.access`): the rule each of its
routes follows. `crm/access.py` joins them with the other services' into the one table."""

from __future__ import annotations

from shared.web.access import EVERYONE, STAFF, Rule, Scope
from shared.web.live import NOTE

_CREATORS: dict[str, Scope] = {"rep": "own", "manager": "own", "admin": "own"}
_LEAD_READERS: dict[str, Scope] = {"rep": "own", "manager": "teams", "auditor": "all", "admin": "all"}
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
        "lead",
        "disqualify",
        ("POST /registration/leads/{lead_id}/disqualify",),
        rep="own",
        manager="teams",
        admin="all",
        note="a reason is required; the lead ends as converting would end it",
    ),
    Rule(
        "lead",
        "read",
        ("GET /registration/leads/{lead_id}", "GET /registration/leads/{lead_id}/history"),
        **_LEAD_READERS,
        note="with its latest conversion score and the model version; the history holds every score",
    ),
    Rule(
        "lead",
        "list",
        ("GET /registration/leads",),
        **_LEAD_READERS,
        note="a list: holding only the leads in reach; also as CSV / XLSX (`format`), the same rows",
    ),
    Rule(
        "lead score model",
        "read",
        ("GET /registration/lead-scores/model",),
        **STAFF,
        note="the model's inputs, quality (ROC AUC, sample) and version",
    ),
    Rule(
        "lead score model",
        "train",
        ("POST /registration/lead-scores/train",),
        admin="all",
        note="trains synchronously (the sample is capped) and scores every open lead",
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
        "account",
        "read",
        ("GET /registration/accounts/{account_id}",),
        **STAFF,
        note="its tier (A / B / C) and RFM: customers are nobody's own (not a partner's: it would name other parties' customers)",
    ),
    Rule(
        "account",
        "list",
        ("GET /registration/accounts",),
        **STAFF,
        note="every account (customers are nobody's own), each with only the deals in reach and their contacts; also as CSV / XLSX",
    ),
    Rule(
        "contact",
        "list",
        ("GET /registration/contacts",),
        rep="own+pool",
        manager="teams+pool",
        auditor="all",
        admin="all",
        note="a contact is in reach when the deal it came with is; also as CSV / XLSX",
    ),
    Rule(
        "search",
        "read",
        ("GET /registration/search",),
        **STAFF,
        note="deals, leads, accounts and contacts, each kind holding only what the caller may open",
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
        note="a manager: the partners they are a channel manager of; also as CSV / XLSX",
    ),
    Rule(
        "assignment rules",
        "read",
        ("GET /registration/assignment-rules", "GET /registration/assignment-rules/history"),
        **STAFF,
        note="the rules in force with their version; the history holds every version, who set it and when",
    ),
    Rule("assignment rules", "define", ("PUT /registration/assignment-rules",), admin="all"),
    Rule(
        "assignment rules",
        "dry run",
        ("POST /registration/assignment-rules/dry-run",),
        manager="all",
        admin="all",
        note="what the rules would decide for a batch; records nothing",
    ),
    Rule(
        "assignment rules",
        "apply",
        ("POST /registration/assignment-rules/apply",),
        manager="teams+pool",
        admin="all",
        note="each lead and deal must be in reach, and so must the rep the rules pick; also a lead captured with assign: rules",
    ),
)
