"""Pipeline's reads: the list view (keyset pagination), the board, a deal's detail (its line
items too), the open deals the alert job looks at, and the product catalogue."""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, asc, desc, func, or_, select

from services.pipeline.domain.deal import Deal
from services.pipeline.domain.stages import StageSet
from services.pipeline.projections import board_totals, deals, products
from shared.contracts import money
from shared.errors import Invalid

SORTABLE = ("expected_close_date", "amount", "updated_at", "name", "probability", "stage_entered_at")


def list_deals(
    connection: Connection,
    *,
    owner: str | None,
    stage: str | None,
    source: str | None,
    close_from: date | None,
    close_to: date | None,
    q: str | None,
    sort: str,
    limit: int,
    cursor: str | None,
    owners: frozenset[str] | None = None,
) -> dict[str, Any]:
    """One page of deals; `next_cursor` fetches the next (stable under inserts, unlike offsets)."""
    column_name = sort.lstrip("-")
    if column_name not in SORTABLE:
        raise Invalid("sort", f"sort by one of {', '.join(SORTABLE)}, `-` first for descending", "query")
    column, descending = deals.c[column_name], sort.startswith("-")
    query = select(deals).where(deals.c.stage.is_not(None))
    if owners is not None:  # what this caller may see (their own, their teams')
        query = query.where(deals.c.owner_id.in_(sorted(owners)))
    filters: tuple[tuple[object, Callable[[], ColumnElement[bool]]], ...] = (
        (owner, lambda: deals.c.owner_id == owner),
        (stage, lambda: deals.c.stage == stage),
        (source, lambda: deals.c.source == source),
        (close_from, lambda: deals.c.expected_close_date >= close_from),
        (close_to, lambda: deals.c.expected_close_date <= close_to),
        (q, lambda: deals.c.search_text.contains((q or "").casefold(), autoescape=True)),
    )
    for value, condition in filters:
        if value is not None:
            query = query.where(condition())
    if cursor:
        last_value, last_id = _decode_cursor(cursor, column_name)
        after = column < last_value if descending else column > last_value
        query = query.where(or_(after, and_(column == last_value, deals.c.deal_id > last_id)))
    order = desc if descending else asc
    rows = connection.execute(query.order_by(order(column), deals.c.deal_id).limit(limit + 1)).mappings().all()
    page = rows[:limit]
    next_cursor = _encode_cursor(page[-1][column_name], page[-1]["deal_id"]) if len(rows) > limit else None
    return {"items": [card(row) for row in page], "next_cursor": next_cursor}


def board(
    connection: Connection, stages: StageSet, owners: frozenset[str] | None = None, cards: int = 20
) -> dict[str, Any]:
    """A column per stage: count, total and weighted value per currency, from the running
    totals the projection keeps, and its first `cards` cards by close date (a column's
    `next_cursor` pages on through the list view, `stage=` that column, sorted by close
    date). Retired stages appear only while deals still sit on them."""
    sums = select(
        board_totals.c.stage,
        board_totals.c.currency,
        board_totals.c.probability,
        func.sum(board_totals.c.deals),
        func.sum(board_totals.c.cents),
    ).where(board_totals.c.pipeline_id == stages.pipeline_id)
    if owners is not None:
        sums = sums.where(board_totals.c.owner_key.in_(sorted(owners)))
    figures: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"count": 0, "total": defaultdict(Decimal), "weighted": defaultdict(Decimal)}
    )
    rows = connection.execute(sums.group_by(board_totals.c.stage, board_totals.c.currency, board_totals.c.probability))
    for stage, currency, probability, count, cents in rows:
        amount = Decimal(int(cents)) / 100
        column = figures[stage]
        column["count"] += int(count)
        column["total"][currency] += amount
        column["weighted"][currency] += amount * probability / 100
    columns = []
    for stage in stages.stages:
        if stage.retired and stage.key not in figures:
            continue
        first: list[Any] = []
        if cards and stage.key in figures:
            query = select(deals).where(deals.c.pipeline_id == stages.pipeline_id, deals.c.stage == stage.key)
            if owners is not None:
                query = query.where(deals.c.owner_id.in_(sorted(owners)))
            order = (deals.c.expected_close_date, deals.c.deal_id)
            first = list(connection.execute(query.order_by(*order).limit(cards)).mappings())
        columns.append(_column(stage.key, stage.labels, stage.retired, figures.get(stage.key), first))
    return {"pipeline_id": stages.pipeline_id, "columns": columns}


def closing_soon(connection: Connection, today: date, days: int) -> list[str]:
    """The open deals whose close date is within `days` of today: the candidates for the
    close-date alert (the index on the close date answers it; the deal decides)."""
    query = select(deals.c.deal_id).where(
        deals.c.stage.is_not(None),
        deals.c.outcome.is_(None),
        deals.c.expected_close_date.between(today, today + timedelta(days=days)),
    )
    return list(connection.execute(query).scalars().all())


def detail(deal: Deal, now: datetime) -> dict[str, Any]:
    return {
        "deal_id": str(deal.id),
        "name": deal.name,
        "account_name": deal.account_name,
        "owner_id": deal.owner_id,
        "pipeline_id": deal.pipeline_id,
        "stage": deal.stage,
        "probability": deal.probability,
        "probability_overridden": deal.probability_override is not None,
        "forecast_category": deal.forecast_category,
        "value": money(deal.amount, deal.currency),
        "expected_close_date": deal.expected_close_date.isoformat(),
        "close_date_slips": deal.slip_count,
        "source": deal.source,
        "priority": deal.priority,
        "competitors": deal.competitors,
        "contacts": deal.contacts,
        "outcome": deal.outcome,
        "close_reason": deal.close_reason,
        "competitor": deal.competitor,
        "activities": sorted(deal.activities.values(), key=lambda a: a["logged_at"]),
        "line_items": [line_item(item) for item in deal.line_items],
        "line_items_note": deal.line_items_note,
        "version": deal.version,
        "stage_history": [
            {**entry, "seconds_in_stage": ((entry["left_at"] or now) - entry["entered_at"]).total_seconds()}
            for entry in deal.history
        ],
        "seconds_per_stage": _seconds_per_stage(deal, now),
    }


def line_item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: item[k] for k in ("product_code", "name_zh", "name_en", "product_line", "unit", "quantity")},
        "unit_price": money(Decimal(item["unit_price"]), item["currency"]),
        "discount_percent": item["discount_percent"],
        "net": money(Decimal(item["net"]), item["currency"]),
    }


# -- the catalogue ------------------------------------------------------------------------------


def list_products(connection: Connection, *, active: bool | None, product_line: str | None) -> dict[str, Any]:
    query = select(products).order_by(products.c.product_line, products.c.code)
    if active is not None:
        query = query.where(products.c.active == active)
    if product_line is not None:
        query = query.where(products.c.product_line == product_line)
    return {"items": [product_document(row) for row in connection.execute(query).mappings()]}


def product_document(product: Any) -> dict[str, Any]:
    """A product as the routes answer it, from its aggregate or its list row alike."""
    get = product.__getitem__ if isinstance(product, Mapping) else partial(getattr, product)
    return {
        **{k: get(k) for k in ("code", "name_zh", "name_en", "product_line", "unit", "active", "version")},
        "list_price": money(Decimal(get("list_price")), get("currency")),
    }


def card(row: Any) -> dict[str, Any]:
    return {
        "deal_id": row["deal_id"],
        "name": row["name"],
        "account_name": row["account_name"],
        "owner_id": row["owner_id"],
        "source": row["source"],
        "stage": row["stage"],
        "probability": row["probability"],
        "priority": row["priority"],
        "value": money(row["amount"], row["currency"]),
        "expected_close_date": row["expected_close_date"].isoformat(),
        "outcome": row["outcome"],
    }


def _column(
    stage: str, labels: dict[str, str], retired: bool, figures: dict[str, Any] | None, rows: list[Any]
) -> dict[str, Any]:
    figures = figures or {"count": 0, "total": {}, "weighted": {}}
    more = figures["count"] > len(rows)
    return {
        "stage": stage,
        "labels": labels,
        "retired": retired,
        "count": figures["count"],
        "total": [money(v, c) for c, v in sorted(figures["total"].items())],
        "weighted": [money(v, c) for c, v in sorted(figures["weighted"].items())],
        "cards": [card(row) for row in rows],
        "next_cursor": _encode_cursor(rows[-1]["expected_close_date"], rows[-1]["deal_id"]) if more and rows else None,
    }


def _seconds_per_stage(deal: Deal, now: datetime) -> dict[str, float]:
    """Total time in each stage, a stage visited twice (after a regression) counted once."""
    totals: dict[str, float] = defaultdict(float)
    for entry in deal.history:
        totals[entry["stage"]] += ((entry["left_at"] or now) - entry["entered_at"]).total_seconds()
    return dict(totals)


def _encode_cursor(value: Any, deal_id: str) -> str:
    text = json.dumps([value.isoformat() if hasattr(value, "isoformat") else str(value), deal_id])
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode_cursor(cursor: str, column: str) -> tuple[Any, str]:
    try:
        value, deal_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if column == "expected_close_date":
            value = date.fromisoformat(value)
        elif column in ("updated_at", "stage_entered_at"):
            value = datetime.fromisoformat(value)
        elif column == "amount":
            value = Decimal(value)
        elif column == "probability":
            value = int(value)
        return value, str(deal_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise Invalid("cursor", "not a cursor this list gave out (or sorted another way)", "query") from None
