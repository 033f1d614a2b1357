"""The pipeline's rows of the access table (`shared.web.access`): the rule each of its
routes follows. `crm/access.py` joins them with the other services' into the one table."""

from __future__ import annotations

from shared.web.access import EVERYONE, Rule, Scope
from shared.web.live import NOTE

_DEAL_READERS: dict[str, Scope] = {"rep": "own+pool", "manager": "teams+pool", "auditor": "all", "admin": "all"}

RULES: tuple[Rule, ...] = (
    Rule("configuration", "read", ("GET /pipeline/rules", "GET /pipeline/stages"), **EVERYONE),
    Rule("changes", "subscribe", ("GET /pipeline/live",), **EVERYONE, note=NOTE),
    Rule("stage set", "define", ("PUT /pipeline/pipelines/{pipeline_id}",), admin="all"),
    Rule("product", "read", ("GET /pipeline/products", "GET /pipeline/products/{code}"), **EVERYONE),
    Rule(
        "product",
        "manage",
        ("POST /pipeline/products", "PATCH /pipeline/products/{code}", "POST /pipeline/products/{code}/retire"),
        admin="all",
        note="retired, never deleted",
    ),
    Rule("deal", "read", ("GET /pipeline/deals/{deal_id}",), **_DEAL_READERS),
    Rule(
        "deal",
        "read history",
        ("GET /pipeline/deals/{deal_id}/history",),
        **_DEAL_READERS,
        note="the same reach as the deal itself",
    ),
    Rule(
        "attachment",
        "read",
        (
            "GET /pipeline/deals/{deal_id}/attachments",
            "GET /pipeline/deals/{deal_id}/activities/{activity_id}/attachments/{ref}",
            "GET /pipeline/deals/{deal_id}/activities/{activity_id}/attachments/{ref}/thumbnail",
        ),
        **_DEAL_READERS,
        note="the same reach as the deal itself",
    ),
    Rule(
        "deal",
        "list",
        ("GET /pipeline/deals", "GET /pipeline/board"),
        rep="own",
        manager="teams",
        auditor="all",
        admin="all",
        note="lists hold only the deals in reach",
    ),
    Rule(
        "deal",
        "work",
        (
            "POST /pipeline/deals/{deal_id}/stage",
            "PATCH /pipeline/deals/{deal_id}",
            "PUT /pipeline/deals/{deal_id}/line-items",
            "POST /pipeline/deals/{deal_id}/activities",
            "POST /pipeline/deals/{deal_id}/activities/{activity_id}/done",
            "POST /pipeline/deals/{deal_id}/close",
        ),
        rep="own",
        manager="teams+pool",
        admin="all",
    ),
    Rule(
        "day",
        "read",
        ("GET /pipeline/my-day",),
        rep="own",
        manager="teams",
        auditor="all",
        admin="all",
        note="a rep's own; a manager's teams (one rep or a whole team)",
    ),
    Rule(
        "attachment",
        "add",
        ("POST /pipeline/deals/{deal_id}/activities/{activity_id}/attachments",),
        rep="own",
        manager="teams+pool",
        admin="all",
        note="as working the deal; files are never deleted",
    ),
    Rule("deal", "review", ("POST /pipeline/deals/{deal_id}/reopen",), manager="teams+pool", admin="all"),
)
