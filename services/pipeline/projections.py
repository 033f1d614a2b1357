"""Pipeline's read models: one row per deal for the list view and the board's cards, and
the board's running totals per column, kept beside them so that a board over a hundred
thousand deals sums a few hundred rows, not every deal; and the product catalogue's list."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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
    bindparam,
    update,
)

from services.pipeline.domain.deal import Deal
from services.pipeline.domain.products import Product
from shared.readmodels.positions import dialect_insert

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
    # The board's cards: the first few of a column by close date, straight from the index.
    Index("pipeline_deals_column", "pipeline_id", "stage", "expected_close_date", "deal_id"),
)

# What each (pipeline, stage, owner, currency, probability) adds up to. Amounts in cents:
# exact integer sums on every store, so a rebuilt table equals the live one to the cent.
board_totals = Table(
    "pipeline_board_totals",
    metadata,
    Column("pipeline_id", String(100), primary_key=True),
    Column("stage", String(100), primary_key=True),
    Column("owner_key", String(200), primary_key=True),  # "" while in the pool
    Column("currency", String(3), primary_key=True),
    Column("probability", Integer, primary_key=True),
    Column("deals", BigInteger, nullable=False),
    Column("cents", BigInteger, nullable=False),
)


# The catalogue, for its list (a product's own page reads the aggregate).
products = Table(
    "pipeline_products",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("product_id", String(36), nullable=False, unique=True),  # what the events name
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200)),
    Column("product_line", String(100), nullable=False, index=True),
    Column("unit", String(20), nullable=False),
    Column("list_price", Numeric(18, 2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)


class DealList:
    """Applied a batch at a time: the rows of the batch's deals are read once, every event
    folded into them in memory, and the result written back in three statements at most
    (insert, update, delete), whatever the number of events."""

    name = "pipeline.deals"
    metadata = metadata

    def apply(self, connection: Connection, event: Any) -> None:
        self.apply_batch(connection, [event])

    def apply_batch(self, connection: Connection, events: Sequence[Any]) -> None:
        for event in events:
            if isinstance(event, _PRODUCT_EVENTS):
                _apply_product(connection, event)
        events = [event for event in events if not isinstance(event, _PRODUCT_EVENTS)]
        if not events:
            return
        ids = {str(event.originator_id) for event in events}
        query = deals.select().where(deals.c.deal_id.in_(ids))
        rows: dict[str, dict[str, Any]] = {row["deal_id"]: dict(row) for row in connection.execute(query).mappings()}
        stored = set(rows)
        before = {deal_id: _column_key(row) for deal_id, row in rows.items()}
        for event in events:
            deal_id = str(event.originator_id)
            row = _fold(rows.get(deal_id), event)
            if row is None:
                rows.pop(deal_id, None)
            else:
                rows[deal_id] = row
        gone = stored - set(rows)
        if gone:
            connection.execute(deals.delete().where(deals.c.deal_id.in_(gone)))
        changed = [row for deal_id, row in rows.items() if deal_id in stored]
        if changed:
            columns = [c.name for c in deals.columns if c.name != "deal_id"]
            statement = (
                update(deals)
                .where(deals.c.deal_id == bindparam("key"))
                .values({name: bindparam(name) for name in columns})
            )
            connection.execute(statement, [{**row, "key": row["deal_id"]} for row in changed])
        new = [row for deal_id, row in rows.items() if deal_id not in stored]
        if new:
            connection.execute(deals.insert(), new)
        _add_to_totals(connection, before, rows)


_PRODUCT_EVENTS = (Product.Added, Product.Changed, Product.Retired)


def _apply_product(connection: Connection, event: Any) -> None:
    """One statement per event: products change seldom, and one at a time."""
    stamp = {"updated_at": event.timestamp, "version": event.originator_version}
    if isinstance(event, Product.Added):
        fields = ("code", "name_zh", "name_en", "product_line", "unit", "list_price", "currency")
        row = {f: getattr(event, f) for f in fields} | {"product_id": str(event.originator_id), "active": True}
        connection.execute(products.insert().values(**row, **stamp))
        return
    values: dict[str, Any] = {"active": False} if isinstance(event, Product.Retired) else {}
    for field, change in getattr(event, "changes", {}).items():
        if field == "list_price":
            values.update(list_price=Decimal(change["after"]["amount"]), currency=change["after"]["currency"])
        else:
            values[field] = change["after"]
    connection.execute(
        update(products).where(products.c.product_id == str(event.originator_id)).values(**values, **stamp)
    )


def _column_key(row: dict[str, Any]) -> tuple[tuple[Any, ...], int] | None:
    """Where a deal counts on the board, and its amount in cents (None: on no board)."""
    if row["pipeline_id"] is None or row["stage"] is None:
        return None
    key = (row["pipeline_id"], row["stage"], row["owner_id"] or "", row["currency"], row["probability"])
    return key, int(Decimal(row["amount"]) * 100)


def _add_to_totals(
    connection: Connection,
    before: dict[str, tuple[tuple[Any, ...], int] | None],
    after: dict[str, dict[str, Any]],
) -> None:
    """Move each changed deal's contribution from its old column total to its new one."""
    deltas: dict[tuple[Any, ...], list[int]] = {}
    for deal_id in before.keys() | after.keys():
        old, new = before.get(deal_id), _column_key(after[deal_id]) if deal_id in after else None
        if old == new:
            continue
        for contribution, sign in ((old, -1), (new, 1)):
            if contribution is not None:
                delta = deltas.setdefault(contribution[0], [0, 0])
                delta[0] += sign
                delta[1] += sign * contribution[1]
    changes = [
        dict(
            zip(("pipeline_id", "stage", "owner_key", "currency", "probability"), key, strict=True),
            deals=count,
            cents=cents,
        )
        for key, (count, cents) in deltas.items()
        if count or cents
    ]
    if not changes:
        return
    insert = dialect_insert(connection)(board_totals)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=[c.name for c in board_totals.primary_key.columns],
            set_={
                "deals": board_totals.c.deals + insert.excluded.deals,
                "cents": board_totals.c.cents + insert.excluded.cents,
            },
        ),
        changes,
    )
    connection.execute(board_totals.delete().where(board_totals.c.deals == 0))


def _fold(row: dict[str, Any] | None, event: Any) -> dict[str, Any] | None:
    """The deal's row after `event` (None: the deal left the list)."""
    if isinstance(event, Deal.Tracked):
        row = {
            "deal_id": str(event.originator_id),
            "name": event.name,
            "account_name": event.account_name,
            "search_text": _search_text(event.name, event.account_name),
            "owner_id": event.owner_id,
            "source": event.source,
            "pipeline_id": None,
            "stage": None,
            "probability": 0,
            "forecast_category": None,
            "amount": event.amount,
            "currency": event.currency,
            "expected_close_date": event.expected_close_date,
            "priority": "normal",
            "slip_count": 0,
            "outcome": None,
            "stage_entered_at": None,
            "last_activity_at": None,
        }
    elif isinstance(event, Deal.Withdrawn) or row is None:
        return None  # withdrawn, or an event of a deal this list never held
    elif isinstance(event, Deal.StageChanged):
        row.update(
            pipeline_id=event.pipeline_id,
            stage=event.to_stage,
            probability=event.probability,
            forecast_category=event.forecast_category,
            outcome=None,
            stage_entered_at=event.at,
            last_activity_at=event.at,
        )
    elif isinstance(event, Deal.Closed):
        row.update(
            outcome=event.outcome,
            stage=event.stage,
            probability=event.probability,
            forecast_category=event.forecast_category,
            stage_entered_at=event.at,
            last_activity_at=event.at,
        )
    elif isinstance(event, Deal.Updated):
        _apply_changes(row, event)
    elif isinstance(event, Deal.ActivityLogged):
        row["last_activity_at"] = event.at
    elif isinstance(event, Deal.OwnerChanged):
        row["owner_id"] = event.owner_id
    row.update(updated_at=event.timestamp, version=event.originator_version)
    return row


def _apply_changes(row: dict[str, Any], event: Any) -> None:
    changes = event.changes
    row["probability"] = event.probability_after
    for field in ("expected_close_date", "priority"):
        if field in changes:
            row[field] = changes[field]["after"]
    if "value" in changes:
        row["amount"] = Decimal(changes["value"]["after"]["amount"])
        row["currency"] = changes["value"]["after"]["currency"]
    if event.slipped:
        row["slip_count"] += 1
    if "name" in changes:
        row["name"] = changes["name"]["after"]
        row["search_text"] = _search_text(row["name"], row["account_name"])


def _search_text(name: str, account_name: str) -> str:
    return f"{name} {account_name}".casefold()[:700]
