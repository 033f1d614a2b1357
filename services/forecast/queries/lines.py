"""The forecast and the win rate by product line: a deal counts in each product line its
line items sell, with the items' value in that line (weighted at the deal's probability); a
deal without line items counts under no product line (key None)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from services.forecast.projections import forecast_deal_lines as lines
from services.forecast.projections import forecast_versions as fv


def lines_in_force(as_of: datetime | None) -> ColumnElement[bool]:
    """A deal's lines as they stood at `as_of` (None: now), joined beside its version."""
    if as_of is None:
        return and_(lines.c.deal_id == fv.c.deal_id, lines.c.valid_to.is_(None))
    return and_(
        lines.c.deal_id == fv.c.deal_id,
        lines.c.valid_from <= as_of,
        or_(lines.c.valid_to.is_(None), lines.c.valid_to > as_of),
    )


def product_line_rows(
    connection: Connection, where: list[ColumnElement[bool]], probability: ColumnElement[Any], as_of: datetime | None
) -> list[Any]:
    """The forecast's rows (grp, forecast_category, currency, status, n, total, weighted_x100)
    grouped by product line, over the deal versions `where` keeps."""
    amount = func.coalesce(lines.c.amount, fv.c.amount)
    return list(
        connection.execute(
            select(
                lines.c.product_line.label("grp"),
                fv.c.forecast_category,
                fv.c.currency,
                fv.c.status,
                func.count().label("n"),
                func.sum(amount).label("total"),
                func.sum(amount * probability).label("weighted_x100"),
            )
            .select_from(fv.outerjoin(lines, lines_in_force(as_of)))
            .where(*where)
            .group_by(lines.c.product_line, fv.c.forecast_category, fv.c.currency, fv.c.status)
        ).all()
    )


def current_lines(connection: Connection, deal_ids: list[str]) -> dict[str, list[str]]:
    """The product lines each deal's items sell now."""
    found: dict[str, list[str]] = defaultdict(list)
    query = select(lines.c.deal_id, lines.c.product_line).where(
        lines.c.valid_to.is_(None), lines.c.deal_id.in_(deal_ids)
    )
    for deal_id, product_line in connection.execute(query.order_by(lines.c.product_line)):
        found[deal_id].append(product_line)
    return found
