"""Forecast's read models, all rebuilt from its own event store.

`forecast_versions` is temporal: every change to a deal closes the row in force
(`valid_to`) and opens a new one (`valid_from`), at the instant the change happened
upstream. The current forecast reads the rows still open; the forecast as it stood at any
past instant T reads the rows with `valid_from <= T < valid_to` — one indexed query, never
a replay. `forecast_deal_lines`, temporal too, splits a deal's value by product line. `forecast_stage_visits` keeps each stay in a stage (for conversion and time in
stage), and `forecast_targets` the quotas.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
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
from shared.readmodels.positions import dialect_insert

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

# Running totals of the forecast now: per month a deal counts in (its expected close month
# while open, the month it was won once won) and per owner, source, stage, category, currency
# and probability, how many deals and how much value; kept as each version opens and closes,
# so the forecast of "now" sums a few thousand rows whatever the number of deals (the forecast
# as of a past instant still reads the versions). Periods are whole months: a month is enough.
forecast_totals = Table(
    "forecast_totals",
    metadata,
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("status", String(10), primary_key=True),  # open / won (a lost deal counts nowhere)
    Column("owner_id", String(200), primary_key=True),  # '' for none, as in the three below
    Column("source", String(100), primary_key=True),
    Column("stage", String(100), primary_key=True),
    Column("forecast_category", String(50), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("probability", Integer, primary_key=True),
    Column("n", Integer, nullable=False),
    Column("total", Numeric(24, 2), nullable=False),
)
TOTAL_KEYS = ("owner_id", "source", "stage", "forecast_category")


def _count(connection: Connection, version: Mapping[Any, Any], sign: int) -> None:
    """Add (+1) or take away (-1) one version of a deal from the running totals."""
    status = version["status"]
    day = version["expected_close_date"] if status == "open" else version.get("closed_on")
    if status not in ("open", "won") or day is None:
        return
    row = {
        "month": f"{day:%Y-%m}",
        "status": status,
        **{key: version.get(key) or "" for key in TOTAL_KEYS},
        "currency": version["currency"],
        "probability": version["probability"],
        "n": sign,
        "total": sign * Decimal(version["amount"]),
    }
    insert = dialect_insert(connection)(forecast_totals).values(row)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=[c.name for c in forecast_totals.primary_key.columns],
            set_={
                "n": forecast_totals.c.n + insert.excluded.n,
                "total": forecast_totals.c.total + insert.excluded.total,
            },
        )
    )


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
            opened = {"status": "open", **event.terms}
            connection.execute(
                forecast_versions.insert().values(
                    deal_id=deal_id, version=event.originator_version, valid_from=event.at, **opened
                )
            )
            _count(connection, opened, +1)
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
        _count(connection, current, -1)
        _count(connection, values, +1)
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
