"""Registration's scheduled work: the recycling sweep (自动回收), run on every replica."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Engine

from services.registration.application import RegistrationApplication
from services.registration.queries import owned_open_deal_ids
from shared.eventstore.application import meta


def sweep_owned_deals(app: RegistrationApplication, engine: Engine) -> dict[str, int]:
    """One pass over every approved, open, owned deal. The read model only proposes
    candidates; each decision is taken on the aggregate, so a stale row cannot mislead it."""
    return sweep(app, owned_open_deal_ids(engine))


def sweep(app: RegistrationApplication, deal_ids: list[UUID]) -> dict[str, int]:
    """Warn or recycle whatever the recycling policies say is due now.

    Idempotent, and safe on several replicas at once: each decision is taken on the
    aggregate at its current version; a replica that loses the race reloads and finds
    the work done.
    """
    now = app.clock.now()
    system = meta("system", f"sweep-{now.isoformat()}")
    counts = {"warned": 0, "recycled": 0}
    for deal_id in deal_ids:
        outcome = app.sweep_deal(deal_id, now, system)
        if outcome:
            counts[outcome] += 1
    return counts
