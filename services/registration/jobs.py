"""Registration's scheduled work: the recycling sweep (自动回收), run on every replica."""
from __future__ import annotations

from uuid import UUID

from sqlalchemy import Engine, select

from services.registration.application import RegistrationApplication
from services.registration.projections import registration_deals as rd


def sweep_owned_deals(app: RegistrationApplication, engine: Engine) -> dict[str, int]:
    """One pass over every approved, open, owned deal. The read model only proposes
    candidates; each decision is taken on the aggregate, so a stale row cannot mislead it."""
    with engine.connect() as connection:
        ids = connection.execute(
            select(rd.c.deal_id).where(
                rd.c.owner_id.is_not(None), rd.c.registration_status == "approved", rd.c.outcome.is_(None)
            )
        ).scalars().all()
    return app.sweep([UUID(deal_id) for deal_id in ids])
