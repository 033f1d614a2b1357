"""Forecast's read models, all rebuilt from its own event store.

`forecast_versions` is temporal: every change to a deal closes the row in force
(`valid_to`) and opens a new one (`valid_from`), at the instant the change happened
upstream. The current forecast reads the rows still open; the forecast as it stood at any
past instant T reads the rows with `valid_from <= T < valid_to` — one indexed query, never
a replay. `forecast_deal_lines`, temporal too, splits a deal's value by product line. `forecast_stage_visits` keeps each stay in a stage (for conversion and time in
stage), `forecast_targets` the quotas (and the visit plans: kind `visits`), and
`forecast_activity` the facts the activity reports count (services/forecast/queries/activity.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    select,
    update,
)

from services.forecast.domain import Deal, Target, closed_terms
from shared.clock import in_utc

metadata = MetaData()

forecast_versions = Table(
    "forecast_versions",
    metadata,
    Column("deal_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_to", DateTime(timezone=True)),  # NULL: in force now
    Column("owner_id", String(200)),
    Column("source", String(100)),
    Column("stage", String(100)),
    Column("probability", Integer, nullable=False),
    Column("forecast_category", String(50)),
    Column("amount", Numeric(18, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expected_close_date", Date, nullable=False),
    Column("status", String(10), nullable=False),  # open / won / lost
    Column("closed_on", Date),
    Index("forecast_versions_current", "valid_to", "status", "expected_close_date"),
    Index("forecast_versions_span", "valid_from", "valid_to"),
)

# A deal's value per product line (from its line items), temporal as the versions are: the
# rows of a deal in force at T are its lines at T; a deal without items has none.
forecast_deal_lines = Table(
    "forecast_deal_lines",
    metadata,
    Column("deal_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("product_line", String(100), primary_key=True),
    Column("amount", Numeric(18, 2), nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_to", DateTime(timezone=True)),  # NULL: in force now
    Index("forecast_deal_lines_span", "deal_id", "valid_from", "valid_to"),
)

forecast_stage_visits = Table(
    "forecast_stage_visits",
    metadata,
    Column("deal_id", String(36), primary_key=True),
    Column("visit", Integer, primary_key=True),
    Column("stage", String(100), nullable=False, index=True),
    Column("entered_at", DateTime(timezone=True), nullable=False),
    Column("left_at", DateTime(timezone=True)),
    Column("exit", String(10)),  # forward / back / won / lost; NULL while there
)

forecast_targets = Table(
    "forecast_targets",
    metadata,
    Column("target_id", String(36), primary_key=True),
    Column("kind", String(10), nullable=False),  # owner / team
    Column("subject_id", String(200), nullable=False),
    Column("period", String(10), nullable=False),
    Column("amount", Numeric(18, 2), nullable=False),
    Column("currency", String(3), nullable=False),
)

# One row per fact the activity reports count: a call, meeting or visit is whoever logged
# it (the event's actor); a new deal, a move forward, a win the deal's owner's at the time.
# Instants, not days: the company's calendar says which day at query time.
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
ACTIVITY_KINDS = ("call", "meeting", "visit")
METRICS = (*ACTIVITY_KINDS, "new_deal", "moved_forward", "won")

_TERMS = (
    "owner_id",
    "source",
    "stage",
    "probability",
    "forecast_category",
    "amount",
    "currency",
    "expected_close_date",
)


class ForecastHistory:
    name = "forecast.history"
    metadata = metadata

    def apply(self, connection: Connection, event: Any) -> None:
        deal_id = str(event.originator_id)
        if isinstance(event, Deal.Tracked):
            connection.execute(
                forecast_versions.insert().values(
                    deal_id=deal_id, version=event.originator_version, valid_from=event.at, status="open", **event.terms
                )
            )
            self._enter(connection, deal_id, event.originator_version, event.terms["stage"], event.at)
        elif isinstance(event, Deal.Moved):
            terms = {k: v for k, v in event.terms.items() if not (k == "source" and v is None)}
            at = self._supersede(connection, deal_id, event, status="open", closed_on=None, **terms)
            self._leave(connection, deal_id, at, "back" if event.regression else "forward")
            self._enter(connection, deal_id, event.originator_version, event.terms["stage"], at)
        elif isinstance(event, Deal.Changed):
            self._supersede(connection, deal_id, event, **event.changes)
        elif isinstance(event, Deal.Closed):
            at = self._supersede(
                connection,
                deal_id,
                event,
                status=event.outcome,
                closed_on=event.closed_on,
                amount=event.amount,
                currency=event.currency,
                **closed_terms(event.outcome),
            )
            self._leave(connection, deal_id, at, event.outcome)
        elif isinstance(event, Deal.LinesChanged):
            self._lines(connection, deal_id, event)
        elif isinstance(event, (Target.Set, Target.Reset)):
            self._target(connection, event)
        fact = _fact(connection, event)
        if fact is not None:  # in UTC: SQLite keeps no offset, and reads every instant back as UTC
            at = in_utc(event.at).astimezone(UTC)
            fact_id = f"{event.originator_id}:{event.originator_version}"
            connection.execute(forecast_activity.insert().values(fact_id=fact_id, at=at, **fact))

    @staticmethod
    def _supersede(connection: Connection, deal_id: str, event: Any, **changes: Any) -> datetime:
        """Close the version in force at the event's instant and open the next one."""
        current = (
            connection.execute(
                select(forecast_versions).where(
                    forecast_versions.c.deal_id == deal_id, forecast_versions.c.valid_to.is_(None)
                )
            )
            .mappings()
            .one()
        )
        at = max(in_utc(event.at), in_utc(current["valid_from"]))  # never before the version it ends
        connection.execute(
            update(forecast_versions)
            .where(forecast_versions.c.deal_id == deal_id, forecast_versions.c.version == current["version"])
            .values(valid_to=at)
        )
        values = {k: current[k] for k in (*_TERMS, "status", "closed_on")} | changes
        connection.execute(
            forecast_versions.insert().values(
                deal_id=deal_id, version=event.originator_version, valid_from=at, **values
            )
        )
        return at

    @staticmethod
    def _lines(connection: Connection, deal_id: str, event: Any) -> None:
        """End the lines in force, start the new ones, at the instant of the change."""
        lines = forecast_deal_lines
        current = lines.c.deal_id == deal_id, lines.c.valid_to.is_(None)
        started = connection.execute(select(lines.c.valid_from).where(*current)).scalars().all()
        at = max([in_utc(event.at), *(in_utc(moment) for moment in started)])  # never before what it ends
        connection.execute(update(lines).where(*current).values(valid_to=at))
        if event.lines:
            connection.execute(
                lines.insert(),
                [
                    {
                        "deal_id": deal_id,
                        "version": event.originator_version,
                        "product_line": line,
                        "amount": Decimal(amount),
                    }
                    | {"valid_from": at}
                    for line, amount in event.lines.items()
                ],
            )

    @staticmethod
    def _enter(connection: Connection, deal_id: str, visit: int, stage: str, at: datetime) -> None:
        connection.execute(
            forecast_stage_visits.insert().values(deal_id=deal_id, visit=visit, stage=stage, entered_at=at)
        )

    @staticmethod
    def _leave(connection: Connection, deal_id: str, at: datetime, how: str) -> None:
        connection.execute(
            update(forecast_stage_visits)
            .where(forecast_stage_visits.c.deal_id == deal_id, forecast_stage_visits.c.left_at.is_(None))
            .values(left_at=at, exit=how)
        )

    @staticmethod
    def _target(connection: Connection, event: Any) -> None:
        target_id = str(event.originator_id)
        if isinstance(event, Target.Set):
            connection.execute(
                forecast_targets.insert().values(
                    target_id=target_id,
                    kind=event.kind,
                    subject_id=event.subject_id,
                    period=event.period,
                    amount=event.amount,
                    currency=event.currency,
                )
            )
        else:
            connection.execute(
                update(forecast_targets)
                .where(forecast_targets.c.target_id == target_id)
                .values(amount=event.amount, currency=event.currency)
            )


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
