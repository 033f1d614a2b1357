"""Notifications' rows of the access table (`shared.web.access`): everyone reads and marks
only their own inbox, and sets only their own preferences. `crm/access.py` joins them with
the other services' into the one table."""

from __future__ import annotations

from shared.web.access import EVERYONE, Rule, Scope
from shared.web.live import NOTE

OWN: dict[str, Scope] = {"rep": "own", "manager": "own", "auditor": "own", "admin": "own", "partner": "own"}

RULES: tuple[Rule, ...] = (
    Rule("changes", "subscribe", ("GET /notifications/live",), **EVERYONE, note=NOTE),
    Rule(
        "notification",
        "read",
        ("GET /notifications/inbox",),
        **OWN,
        note="a person's own inbox only, whatever their role",
    ),
    Rule(
        "notification",
        "mark read",
        ("POST /notifications/inbox/{notification_id}/read", "POST /notifications/inbox/read-all"),
        **OWN,
        note="another's message is 403; an unknown id 404",
    ),
    Rule(
        "notification preferences",
        "manage",
        ("GET /notifications/preferences", "PUT /notifications/preferences"),
        **OWN,
        note="per kind: in the app, by mail; the address mail goes to",
    ),
)
