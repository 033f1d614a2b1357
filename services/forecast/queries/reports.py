"""Management reports: win rate, stage conversion, time in stage, sales cycle, lead-source
performance, and forecast accuracy by backtesting (the forecast as it stood at each date,
from the temporal projection, beside what was actually won)."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from services.forecast.domain import Period
from services.forecast.projections import forecast_stage_visits as visits
from services.forecast.projections import forecast_versions as fv
from services.forecast.queries.lines import current_lines
from services.forecast.queries.pipeline import forecast, money
from services.forecast.rules import ForecastRules
from shared.clock import in_utc

REPORTS = ("win-rate", "stage-conversion", "time-in-stage", "sales-cycle", "source-performance", "accuracy")

# Every report takes `owners`: the figures are computed over those owners' deals only (what
# the caller may reach, `shared.web.access`); None: every deal.
Owners = frozenset[str] | None


def _owned(owners: Owners) -> list[Any]:
    """Where-clauses keeping the forecast rows of the owners' deals."""
    return [] if owners is None else [fv.c.owner_id.in_(sorted(owners))]


def _visited(owners: Owners) -> list[Any]:
    """Where-clauses keeping the stage visits of the deals the owners hold now."""
    if owners is None:
        return []
    held = select(fv.c.deal_id).where(fv.c.valid_to.is_(None), fv.c.owner_id.in_(sorted(owners)))
    return [visits.c.deal_id.in_(held)]


def win_rate(connection: Connection, period: Period, group_by: str, owners: Owners = None) -> dict[str, Any]:
    """Won / (won + lost) among the deals closed in the period; by product line, a deal
    counts in each line its items sell ("None": a deal without items)."""
    groups: dict[str, dict[str, int]] = defaultdict(lambda: {"won": 0, "lost": 0})
    closed = _closed(connection, period, owners)
    sold = current_lines(connection, [row.deal_id for row in closed]) if group_by == "product_line" else {}
    for row in closed:
        keys: list[Any]
        if group_by == "product_line":  # a deal counts in each line it sells
            keys = sold.get(row.deal_id) or [None]
        else:
            keys = [{"owner": row.owner_id, "source": row.source, "period": row.closed_on.strftime("%Y-%m")}[group_by]]
        for key in keys:
            groups[str(key)][row.status] += 1
    return {
        "period": period.name,
        "group_by": group_by,
        "groups": [
            {"key": key, **counts, "win_rate": _rate(counts["won"], counts["won"] + counts["lost"])}
            for key, counts in sorted(groups.items())
        ],
    }


def stage_conversion(connection: Connection, owners: Owners = None) -> dict[str, Any]:
    """How many deals reached each stage, and how many of them went on (forward or won)."""
    rows = connection.execute(
        select(visits.c.stage, visits.c.deal_id, visits.c.exit, visits.c.entered_at).where(*_visited(owners))
    ).all()
    reached: dict[str, set[str]] = defaultdict(set)
    advanced: dict[str, set[str]] = defaultdict(set)
    first_seen: dict[str, datetime] = {}
    for row in rows:
        reached[row.stage].add(row.deal_id)
        if row.exit in ("forward", "won"):
            advanced[row.stage].add(row.deal_id)
        first_seen[row.stage] = min(first_seen.get(row.stage, in_utc(row.entered_at)), in_utc(row.entered_at))
    order = sorted(reached, key=lambda stage: (-len(reached[stage]), first_seen[stage]))
    return {
        "stages": [
            {
                "stage": stage,
                "reached": len(reached[stage]),
                "went_on": len(advanced[stage]),
                "conversion": _rate(len(advanced[stage]), len(reached[stage])),
            }
            for stage in order
        ]
    }


def time_in_stage(connection: Connection, owners: Owners = None) -> dict[str, Any]:
    """Days spent per completed stay in each stage: mean, median, p90."""
    durations: dict[str, list[float]] = defaultdict(list)
    for row in connection.execute(select(visits).where(visits.c.left_at.is_not(None), *_visited(owners))).mappings():
        durations[row["stage"]].append((in_utc(row["left_at"]) - in_utc(row["entered_at"])).total_seconds() / 86400)
    return {
        "unit": "days",
        "stages": [{"stage": stage, **_spread(values)} for stage, values in sorted(durations.items())],
    }


def sales_cycle(connection: Connection, period: Period, owners: Owners = None) -> dict[str, Any]:
    """Days from entering the pipeline to closing, for the deals closed in the period."""
    entered = dict(
        connection.execute(select(visits.c.deal_id, func.min(visits.c.entered_at)).group_by(visits.c.deal_id)).all()
    )
    by_outcome: dict[str, list[float]] = defaultdict(list)
    for row in _closed(connection, period, owners):
        days = (in_utc(row.valid_from) - in_utc(entered[row.deal_id])).total_seconds() / 86400
        by_outcome[row.status].append(days)
        by_outcome["all"].append(days)
    return {"period": period.name, "unit": "days", **{k: _spread(v) for k, v in sorted(by_outcome.items())}}


def source_performance(connection: Connection, period: Period | None, owners: Owners = None) -> dict[str, Any]:
    """Per lead source: deals, won and lost, won value, win rate (which fair pays off)."""
    query = select(fv.c.source, fv.c.status, fv.c.currency, fv.c.amount, fv.c.closed_on).where(
        fv.c.valid_to.is_(None), *_owned(owners)
    )
    sources: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"deals": 0, "won": 0, "lost": 0, "won_value": defaultdict(Decimal)}
    )
    for row in connection.execute(query):
        if period and row.closed_on and not period.first <= row.closed_on <= period.last:
            continue
        figures = sources[row.source or "unknown"]
        figures["deals"] += 1
        if row.status in ("won", "lost"):
            figures[row.status] += 1
        if row.status == "won":
            figures["won_value"][row.currency] += Decimal(row.amount)
    return {
        "period": period.name if period else None,
        "sources": [
            {
                **{k: v for k, v in f.items() if k != "won_value"},
                "source": source,
                "won_value": money(f["won_value"]),
                "win_rate": _rate(f["won"], f["won"] + f["lost"]),
            }
            for source, f in sorted(sources.items())
        ],
    }


def accuracy(
    connection: Connection,
    period: Period,
    rules: ForecastRules,
    now: datetime,
    dates: list[datetime] | None = None,
    owners: Owners = None,
) -> dict[str, Any]:
    """Backtest: the weighted forecast of `period` as it stood at each date (the period's
    start, then weekly), beside what was actually won in it; the error per owner and overall."""
    backtest = Backtest(connection, period, rules, owners)
    points = [backtest.point(as_of) for as_of in dates or backtest_dates(period, now)]
    return {"period": period.name, "actual_won": money(backtest.overall_won), "points": points}


class Backtest:
    """What was won in a period (per owner and overall), and the forecast at any instant
    beside it: the accuracy report's, and the what-if's under other stage probabilities."""

    def __init__(self, connection: Connection, period: Period, rules: ForecastRules, owners: Owners = None) -> None:
        self.connection, self.period, self.rules, self.owners = connection, period, rules, owners
        self.actual_won: dict[Any, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.overall_won: dict[str, Decimal] = defaultdict(Decimal)
        for row in _closed(connection, period, owners):
            if row.status == "won":
                self.actual_won[row.owner_id][row.currency] += Decimal(row.amount)
                self.overall_won[row.currency] += Decimal(row.amount)

    def point(self, as_of: datetime, stage_probabilities: Mapping[str, int] | None = None) -> dict[str, Any]:
        then = forecast(
            self.connection,
            self.period,
            self.rules,
            group_by="owner",
            as_of=as_of,
            owners=self.owners,
            stage_probabilities=stage_probabilities,
        )
        by_owner = {g["key"]: _amounts(g["weighted"]) for g in then["groups"]}
        return {
            "as_of": as_of.isoformat(),
            **_error(_amounts(then["weighted"]), self.overall_won),
            "owners": [
                {"owner_id": owner, **_error(by_owner.get(owner, {}), self.actual_won.get(owner, {}))}
                for owner in sorted(set(by_owner) | set(self.actual_won), key=str)
            ],
        }


def backtest_dates(period: Period, now: datetime) -> list[datetime]:
    start = datetime.combine(period.first, time.min, tzinfo=UTC)
    end = min(datetime.combine(period.last, time.max, tzinfo=UTC), now)
    dates = []
    while start <= end:
        dates.append(start)
        start += timedelta(weeks=1)
    return dates


def _closed(connection: Connection, period: Period, owners: Owners = None) -> list[Any]:
    return list(
        connection.execute(
            select(fv).where(
                fv.c.valid_to.is_(None),
                fv.c.status.in_(("won", "lost")),
                fv.c.closed_on.between(period.first, period.last),
                *_owned(owners),
            )
        )
    )


def _amounts(money_list: list[dict[str, str]]) -> dict[str, Decimal]:
    return {m["currency"]: Decimal(m["amount"]) for m in money_list}


def _error(forecast_amounts: dict[str, Decimal], won: dict[str, Decimal]) -> dict[str, Any]:
    currencies = sorted(set(forecast_amounts) | set(won))
    return {
        "forecast": money({c: forecast_amounts.get(c, Decimal(0)) for c in currencies}),
        "won": money({c: won.get(c, Decimal(0)) for c in currencies}),
        "error": money({c: forecast_amounts.get(c, Decimal(0)) - won.get(c, Decimal(0)) for c in currencies}),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _spread(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "mean": round(statistics.fmean(ordered), 4),
        "median": round(statistics.median(ordered), 4),
        "p90": round(ordered[math.ceil(0.9 * len(ordered)) - 1], 4),
    }
