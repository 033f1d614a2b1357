"""The alert job's step: find the open deals, let the application decide what is due."""
from __future__ import annotations

from uuid import UUID

from sqlalchemy import Engine, select

from services.pipeline.application import PipelineApplication
from services.pipeline.projections import deals


def alert_open_deals(app: PipelineApplication, engine: Engine) -> dict[str, int]:
    """The read model proposes candidates; each alert is decided on the aggregate, once."""
    with engine.connect() as connection:
        ids = connection.execute(
            select(deals.c.deal_id).where(deals.c.stage.is_not(None), deals.c.outcome.is_(None))
        ).scalars().all()
    return app.raise_alerts([UUID(deal_id) for deal_id in ids])
