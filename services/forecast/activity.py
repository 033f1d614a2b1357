"""The facts the activity reports count (每日销售报告, 周进度控制), one row each, kept by the
forecast's projector beside its history: calls, meetings and visits logged, new deals,
stage moves forward and deals won. The report reads them (services/forecast/queries/activity.py).

Whose a fact is: an activity is whoever logged it (the event's actor); a new deal, a move
forward and a win are the deal's owner's at that instant. A row keeps the instant, not the
day: which day and week it falls in is the company's calendar's to say at query time
(`CRM_TIMEZONE`), so changing the zone needs no rebuild. The table sits in the history's
metadata: adding it changed the projection's shape, and the projector rebuilds both from
the forecast's event store on the first start (shared/readmodels)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, DateTime, Index, Numeric, String, Table, select

from services.forecast.domain import Deal
from services.forecast.projections import ForecastHistory, forecast_versions, metadata
from shared.clock import as_stored

ACTIVITY_KINDS = ("call", "meeting", "visit")
METRICS = (*ACTIVITY_KINDS, "new_deal", "moved_forward", "won")

forecast_activity = Table(
    "forecast_activity",
    metadata,
    Column("fact_id", String(80), primary_key=True),  # the deal and the version of its event
    Column("owner_id", String(200), nullable=False),
    Column("metric", String(20), nullable=False),  # one of METRICS
    Column("at", DateTime(timezone=True), nullable=False),
    Column("amount", Numeric(18, 2)),  # a win's value
    Column("currency", String(3)),
    Index("forecast_activity_owner_at", "owner_id", "at"),
)


class HistoryAndActivity(ForecastHistory):
    """The forecast's history, and the activity facts beside it, in one transaction."""

    def apply(self, connection: Connection, event: Any) -> None:
        super().apply(connection, event)
        fact = _fact(connection, event)
        if fact is not None:  # in UTC: SQLite keeps no offset, and reads every instant back as UTC
            at = as_stored(event.at)
            fact_id = f"{event.originator_id}:{event.originator_version}"
            connection.execute(forecast_activity.insert().values(fact_id=fact_id, at=at, **fact))


def _fact(connection: Connection, event: Any) -> dict[str, Any] | None:
    """What the event counts for the activity reports, and whose it is (None: nothing)."""
    if isinstance(event, Deal.ActivityRecorded):
        return {"owner_id": event.by, "metric": event.kind} if event.kind in ACTIVITY_KINDS else None
    if isinstance(event, (Deal.Tracked, Deal.Moved)):
        owner = event.terms["owner_id"]
        if not owner or getattr(event, "regression", False) or _reopened(connection, event):
            return None
        return {"owner_id": owner, "metric": "new_deal" if isinstance(event, Deal.Tracked) else "moved_forward"}
    if isinstance(event, Deal.Closed) and event.outcome == "won":
        current = forecast_versions.c.deal_id == str(event.originator_id), forecast_versions.c.valid_to.is_(None)
        owner = connection.execute(select(forecast_versions.c.owner_id).where(*current)).scalar()
        if owner:
            return {"owner_id": owner, "metric": "won", "amount": event.amount, "currency": event.currency}
    return None


def _reopened(connection: Connection, event: Any) -> bool:
    """A move out of won or lost (a reopen) is no progress: the version it ended was closed."""
    if not isinstance(event, Deal.Moved):
        return False
    before = (
        select(forecast_versions.c.status)
        .where(forecast_versions.c.deal_id == str(event.originator_id))
        .where(forecast_versions.c.version < event.originator_version)
        .order_by(forecast_versions.c.version.desc())
        .limit(1)
    )
    return connection.execute(before).scalar() in ("won", "lost")
