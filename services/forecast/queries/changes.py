"""Why the forecast moved between two instants: each deal's contribution is put in exactly
one bucket (or, for a deal in the period at both instants, split between a value change and
a stage move), so the pieces add up to the difference to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from services.forecast.domain import Period
from services.forecast.projections import forecast_versions as fv
from services.forecast.queries.pipeline import in_force, money

PIECES = ("new", "pulled_in", "slipped_out", "value_changes", "stage_moves", "won", "lost")


def explain(
    connection: Connection,
    period: Period,
    before_at: datetime,
    after_at: datetime,
    owners: frozenset[str] | None = None,
) -> dict[str, Any]:
    """`owners` limits it to those owners' deals (what the caller may reach; None: all)."""
    before, after = _in_force(connection, before_at, owners), _in_force(connection, after_at, owners)
    pieces: dict[str, dict[str, Decimal]] = {name: defaultdict(Decimal) for name in PIECES}
    totals: dict[str, dict[str, Decimal]] = {"before": defaultdict(Decimal), "after": defaultdict(Decimal)}
    for deal_id in before.keys() | after.keys():
        b, a = before.get(deal_id), after.get(deal_id)
        b_in = b if b is not None and _counts(b, period) else None  # the row, if it counts in the period
        a_in = a if a is not None and _counts(a, period) else None
        if b_in is not None:
            totals["before"][b_in["currency"]] += _weighted(b_in)
        if a_in is not None:
            totals["after"][a_in["currency"]] += _weighted(a_in)
        if b_in is not None and a_in is not None:
            _both(pieces, b_in, a_in)
        elif a_in is not None:
            name = "new" if b is None else "won" if a_in["status"] == "won" else "pulled_in"
            pieces[name][a_in["currency"]] += _weighted(a_in)
        elif b_in is not None:
            name = "lost" if a is not None and a["status"] == "lost" else "slipped_out"
            pieces[name][b_in["currency"]] -= _weighted(b_in)
    currencies = set(totals["before"]) | set(totals["after"])
    return {
        "period": period.name,
        "from": before_at.isoformat(),
        "to": after_at.isoformat(),
        "weighted_before": money(totals["before"]),
        "weighted_after": money(totals["after"]),
        "difference": money({c: totals["after"][c] - totals["before"][c] for c in currencies}),
        "pieces": {name: money(amounts) for name, amounts in pieces.items()},
    }


def _both(pieces: dict[str, dict[str, Decimal]], b: dict[str, Any], a: dict[str, Any]) -> None:
    if b["status"] == "open" and a["status"] == "won":
        pieces["won"][b["currency"]] -= _weighted(b)
        pieces["won"][a["currency"]] += _weighted(a)
    elif b["currency"] != a["currency"]:
        pieces["value_changes"][b["currency"]] -= _weighted(b)
        pieces["value_changes"][a["currency"]] += _weighted(a)
    else:
        # a2*p2 - a1*p1 = (a2 - a1)*p1 + a2*(p2 - p1): value first, then the stage move
        pieces["value_changes"][a["currency"]] += (a["amount"] - b["amount"]) * b["probability"] / 100
        pieces["stage_moves"][a["currency"]] += a["amount"] * (a["probability"] - b["probability"]) / 100


def _in_force(connection: Connection, at: datetime, owners: frozenset[str] | None) -> dict[str, dict[str, Any]]:
    owned = [] if owners is None else [fv.c.owner_id.in_(sorted(owners))]
    rows = connection.execute(select(fv).where(in_force(at), *owned)).mappings()
    return {row["deal_id"]: {**row, "amount": Decimal(row["amount"])} for row in rows}


def _counts(row: dict[str, Any], period: Period) -> bool:
    if row["status"] == "open":
        close: date = row["expected_close_date"]
        return period.first <= close <= period.last
    closed_on: date = row["closed_on"]  # a closed deal's (won or lost)
    return row["status"] == "won" and period.first <= closed_on <= period.last


def _weighted(row: dict[str, Any]) -> Decimal:
    amount: Decimal = row["amount"]
    probability: int = row["probability"]
    return amount * probability / 100
