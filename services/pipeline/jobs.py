"""The work the runtime repeats: the alert job finds the open deals, and the application
decides on each deal which alerts are due."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Engine

from services.pipeline import queries
from services.pipeline.application import PipelineApplication


def alert_open_deals(app: PipelineApplication, engine: Engine) -> dict[str, int]:
    """The read model proposes candidates; each alert is decided on the aggregate, once."""
    with engine.connect() as connection:
        ids = queries.open_deal_ids(connection)
    return app.raise_alerts([UUID(deal_id) for deal_id in ids])
