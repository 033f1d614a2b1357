"""The forecast's rows of the access table (`shared.web.access`): the rule each of its
routes follows. `crm/access.py` joins them with the other services' into the one table."""

from __future__ import annotations

from shared.web.access import EVERYONE, Rule

RULES: tuple[Rule, ...] = (
    Rule("configuration", "read", ("GET /forecast/rules",), **EVERYONE),
    Rule(
        "forecast",
        "read",
        ("GET /forecast/pipeline",),
        rep="own",
        manager="teams",
        auditor="all",
        admin="all",
        note="figures and targets of the owners in reach",
    ),
    Rule(
        "report",
        "read",
        ("GET /forecast/reports/{name}", "GET /forecast/changes"),
        manager="teams",
        auditor="all",
        admin="all",
        note="computed over the deals in reach",
    ),
    Rule(
        "target",
        "set",
        ("PUT /forecast/targets/{owner_id}/{period}",),
        manager="teams",
        admin="all",
        note="an unknown owner is 422",
    ),
    Rule(
        "visit plan",
        "set",
        ("PUT /forecast/visit-plans/{owner_id}/{period}",),
        manager="teams",
        admin="all",
        note="visits per working day; an unknown owner is 422",
    ),
    Rule(
        "activity report",
        "read",
        ("GET /forecast/activity",),
        rep="own",
        manager="teams",
        auditor="all",
        admin="all",
        note="a rep's own; a manager's teams (one rep or a whole team)",
    ),
    Rule(
        "team target",
        "set",
        ("PUT /forecast/team-targets/{team}/{period}",),
        manager="teams",
        admin="all",
        note="an unknown team is 422",
    ),
    Rule(
        "what-if",
        "run",
        ("POST /forecast/what-if/probabilities",),
        manager="teams",
        auditor="all",
        admin="all",
        note="replays the recorded history under other rules (recycling, stage probabilities) over the deals in reach; records nothing",
    ),
)
