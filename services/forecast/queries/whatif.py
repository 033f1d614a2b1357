"""What-if for stage probabilities: the forecast of a period that would have been shown each
week had the open deals on some stages been weighed by other probabilities, beside the one
that was shown and what was won (the accuracy backtest's logic, `reports.Backtest`).

It reads the temporal projection (each deal's versions, rebuilt from the stored events) as
it stood at each date; it writes nothing, so it runs beside the live forecast.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from services.forecast.domain import Period
from services.forecast.queries.pipeline import money
from services.forecast.queries.reports import Backtest, Owners, backtest_dates
from services.forecast.rules import ForecastRules

Progress = Callable[[int, int], None]  # dates done, dates in all


def default_dates(period: Period, now: datetime) -> list[datetime]:
    """The accuracy backtest's (the period's first day, then weekly, up to now), and now while
    the period is not over: what the forecast shows today under other probabilities too,
    the only point of a period not begun."""
    dates = backtest_dates(period, now)
    return dates + [now] if now < datetime.combine(period.last, time.max, tzinfo=UTC) and now not in dates else dates


def probabilities_whatif(
    connection: Connection,
    period: Period,
    rules: ForecastRules,
    now: datetime,
    probabilities: Mapping[str, int],
    dates: list[datetime] | None = None,
    owners: Owners = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Each date's (default: `default_dates`) forecast under the probabilities in force and under `probabilities`
    (stage → percent; the stages it leaves out keep theirs), what was won, each one's
    error, and each one's mean absolute error over the dates."""
    backtest = Backtest(connection, period, rules, owners)
    dates = dates or default_dates(period, now)
    points = []
    misses: dict[str, dict[str, list[Decimal]]] = {"in_force": defaultdict(list), "alternative": defaultdict(list)}
    for done, as_of in enumerate(dates, start=1):
        point: dict[str, Any] = {"as_of": as_of.isoformat()}
        for name, given in (("in_force", None), ("alternative", probabilities)):
            figures = backtest.point(as_of, given)
            point["won"] = figures["won"]
            point[name] = {"forecast": figures["forecast"], "error": figures["error"]}
            for error in figures["error"]:
                misses[name][error["currency"]].append(abs(Decimal(error["amount"])))
        points.append(point)
        if progress is not None:
            progress(done, len(dates))
    return {
        "period": period.name,
        "probabilities": dict(probabilities),
        "actual_won": money(backtest.overall_won),
        "points": points,
        "mean_absolute_error": {
            name: money({currency: sum(values, Decimal(0)) / len(values) for currency, values in by_currency.items()})
            for name, by_currency in misses.items()
        },
    }
