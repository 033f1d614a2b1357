"""The CRM's one access table: every service's rules (`services/<name>/access.py`) joined,
as the README shows it (`shared.web.access.render_markdown`; a test keeps the two identical)
and as the access tests (`tests/e2e/test_access_table.py`) are generated from it."""

from __future__ import annotations

from services.forecast.access import RULES as FORECAST
from services.notifications.access import RULES as NOTIFICATIONS
from services.pipeline.access import RULES as PIPELINE
from services.registration.access import RULES as REGISTRATION
from shared.web.access import Rule, joined

# The table's rows, in the order readers know them from the README: a new rule takes its place here.
ORDER: tuple[tuple[str, str], ...] = (
    ("configuration", "read"),
    ("changes", "subscribe"),
    ("stage set", "define"),
    ("product", "read"),
    ("product", "manage"),
    ("lead", "capture"),
    ("lead", "convert"),
    ("lead", "disqualify"),
    ("lead", "read"),
    ("lead", "list"),
    ("lead score model", "read"),
    ("lead score model", "train"),
    ("deal", "register"),
    ("import", "upload"),
    ("deal", "read"),
    ("deal", "read history"),
    ("deal", "list"),
    ("deal", "work"),
    ("attachment", "add"),
    ("attachment", "read"),
    ("day", "read"),
    ("registration", "list"),
    ("deal", "review"),
    ("deal", "recycle"),
    ("deal", "assign"),
    ("pool", "read"),
    ("pool", "claim"),
    ("account", "read"),
    ("account", "list"),
    ("contact", "list"),
    ("search", "read"),
    ("assignment rules", "read"),
    ("assignment rules", "define"),
    ("assignment rules", "dry run"),
    ("assignment rules", "apply"),
    ("forecast", "read"),
    ("report", "read"),
    ("target", "set"),
    ("team target", "set"),
    ("what-if", "run"),
    ("visit plan", "set"),
    ("activity report", "read"),
    ("partner", "register"),
    ("partner", "list"),
    ("partner report", "read"),
    ("notification", "read"),
    ("notification", "mark read"),
    ("notification preferences", "manage"),
)

TABLE: tuple[Rule, ...] = joined((REGISTRATION, PIPELINE, FORECAST, NOTIFICATIONS), ORDER)
