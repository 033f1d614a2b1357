"""The work the runtime repeats: the alert job asks the read model which open deals may be
due an alert, and the application decides on each of those deals which alerts are due."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Engine

from services.pipeline import queries
from services.pipeline.agenda import tasks_past_due
from services.pipeline.application import PipelineApplication


def alert_open_deals(app: PipelineApplication, engine: Engine) -> dict[str, int]:
    """The read model proposes candidates (a close date near, a task past due), never every
    open deal: at a million open deals a pass reading each one would never end. Each alert
    is decided on the aggregate, once."""
    now = app.clock.now()
    with engine.connect() as connection:
        ids = {
            *queries.closing_soon(connection, now.date(), app.rules.close_date_alert_days),
            *tasks_past_due(connection, now),
        }
    return app.raise_alerts([UUID(deal_id) for deal_id in sorted(ids)])
