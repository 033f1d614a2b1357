"""Pipeline's read model: one row per deal, for the list view and the board."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Connection, Date, DateTime, Integer, MetaData, Numeric, String, Table, update

from services.pipeline.domain import Deal

metadata = MetaData()

deals = Table(
    "pipeline_deals",
    metadata,
    Column("deal_id", String(36), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("account_name", String(300), nullable=False),
    Column("search_text", String(700), nullable=False),  # lower-cased name and account, for `q`
    Column("owner_id", String(200), index=True),  # NULL while in the pool
    Column("source", String(100), index=True),
    Column("pipeline_id", String(100), index=True),
    Column("stage", String(100), index=True),
    Column("probability", Integer, nullable=False),
    Column("forecast_category", String(50)),
    Column("amount", Numeric(18, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("expected_close_date", Date, nullable=False, index=True),
    Column("priority", String(10), nullable=False),
    Column("slip_count", Integer, nullable=False),
    Column("outcome", String(10)),
    Column("stage_entered_at", DateTime(timezone=True)),
    Column("last_activity_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)


class DealList:
    name = "pipeline.deals"
    metadata = metadata

    def apply(self, connection: Connection, event: Any) -> None:
        deal_id = str(event.originator_id)
        common = {"updated_at": event.timestamp, "version": event.originator_version}
        if isinstance(event, Deal.Tracked):
            connection.execute(
                deals.insert().values(
                    deal_id=deal_id,
                    name=event.name,
                    account_name=event.account_name,
                    search_text=_search_text(event.name, event.account_name),
                    owner_id=event.owner_id,
                    source=event.source,
                    probability=0,
                    amount=event.amount,
                    currency=event.currency,
                    expected_close_date=event.expected_close_date,
                    priority="normal",
                    slip_count=0,
                    **common,
                )
            )
        elif isinstance(event, Deal.StageChanged):
            self._set(
                connection,
                deal_id,
                pipeline_id=event.pipeline_id,
                stage=event.to_stage,
                probability=event.probability,
                forecast_category=event.forecast_category,
                outcome=None,
                stage_entered_at=event.at,
                last_activity_at=event.at,
                **common,
            )
        elif isinstance(event, Deal.Closed):
            self._set(
                connection,
                deal_id,
                outcome=event.outcome,
                stage=event.stage,
                probability=event.probability,
                forecast_category=event.forecast_category,
                stage_entered_at=event.at,
                last_activity_at=event.at,
                **common,
            )
        elif isinstance(event, Deal.Updated):
            self._set(connection, deal_id, **_updated_columns(connection, deal_id, event), **common)
        elif isinstance(event, Deal.ActivityLogged):
            self._set(connection, deal_id, last_activity_at=event.at, **common)
        elif isinstance(event, Deal.OwnerChanged):
            self._set(connection, deal_id, owner_id=event.owner_id, **common)
        elif isinstance(event, Deal.Withdrawn):
            connection.execute(deals.delete().where(deals.c.deal_id == deal_id))
        else:
            self._set(connection, deal_id, **common)

    @staticmethod
    def _set(connection: Connection, deal_id: str, **values: Any) -> None:
        connection.execute(update(deals).where(deals.c.deal_id == deal_id).values(**values))


def _updated_columns(connection: Connection, deal_id: str, event: Any) -> dict[str, Any]:
    changes = event.changes
    values: dict[str, Any] = {"probability": event.probability_after}
    for field in ("expected_close_date", "priority"):
        if field in changes:
            values[field] = changes[field]["after"]
    if "value" in changes:
        values["amount"] = Decimal(changes["value"]["after"]["amount"])
        values["currency"] = changes["value"]["after"]["currency"]
    if event.slipped:
        values["slip_count"] = deals.c.slip_count + 1
    if "name" in changes:
        account = connection.execute(deals.select().where(deals.c.deal_id == deal_id)).mappings().one()["account_name"]
        values["name"] = changes["name"]["after"]
        values["search_text"] = _search_text(changes["name"]["after"], account)
    return values


def _search_text(name: str, account_name: str) -> str:
    return f"{name} {account_name}".casefold()[:700]
