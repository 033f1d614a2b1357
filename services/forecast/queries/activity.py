"""Activity reports: per rep and for them all, by day or by week in the company's calendar,
what was done (calls, meetings and visits logged, new deals, stage moves forward, value won)
against the plan (planned visits per day, a target of kind `visits`).

A plan of N visits a day counts on working days, Monday to Friday; the plan of a day is the
one set for its month, else its quarter, else its year (the most specific wins). Public
holidays and the weekends worked in their place (调休) are not known here: they count as any
weekday or weekend does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from services.forecast.activity import METRICS, forecast_activity
from services.forecast.projections import forecast_targets
from shared.calendar import Calendar, Span
from shared.clock import in_utc
from shared.contracts import money

VISITS = "visits"  # the target kind of a visit plan (visits per working day)


def periods_of(day: date) -> tuple[str, str, str]:
    """The target periods a day falls in, the most specific first: month, quarter, year."""
    return (f"{day.year}-{day.month:02d}", f"{day.year}-Q{(day.month - 1) // 3 + 1}", str(day.year))


def planned_visits(plans: Mapping[str, int], day: date) -> int:
    """The visits planned for a day, from one owner's plans ({period: visits per day})."""
    if day.weekday() >= 5:
        return 0
    return next((plans[period] for period in periods_of(day) if period in plans), 0)


def bucket(facts: Iterable[Any], calendar: Calendar, span: Span) -> dict[str, dict[date, list[Any]]]:
    """The facts of each owner per company day of the span ({owner: {day: [fact]}}); a fact
    outside the span is left out."""
    days: dict[str, dict[date, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for fact in facts:
        at = in_utc(fact["at"])
        if span.start <= at < span.end:
            days[fact["owner_id"]][calendar.day_of(at)].append(fact)
    return days


def activity_report(
    connection: Connection, calendar: Calendar, owners: Iterable[str], span: Span, period: str
) -> dict[str, Any]:
    owners = sorted(set(owners))
    query = select(forecast_activity).where(
        forecast_activity.c.owner_id.in_(owners),
        forecast_activity.c.at >= span.start,
        forecast_activity.c.at < span.end,
    )
    facts = bucket(connection.execute(query).mappings(), calendar, span)
    plans = _plans(connection, owners, span)
    days = [span.first + timedelta(days=n) for n in range((span.last - span.first).days + 1)]
    reps = []
    for owner in owners:
        per_day = [(day, facts[owner][day], planned_visits(plans[owner], day)) for day in days]
        reps.append({"owner_id": owner, **_row(per_day)})
    every = [
        (day, [f for o in owners for f in facts[o][day]], sum(r["days"][i]["planned_visits"] for r in reps))
        for i, day in enumerate(days)
    ]
    return {
        "period": period,
        "first": span.first.isoformat(),
        "last": span.last.isoformat(),
        "timezone": calendar.name,
        "reps": reps,
        "total": _row(every),
    }


def _plans(connection: Connection, owners: list[str], span: Span) -> dict[str, dict[str, int]]:
    periods = {
        period
        for n in range((span.last - span.first).days + 1)
        for period in periods_of(span.first + timedelta(days=n))
    }
    query = select(forecast_targets).where(
        forecast_targets.c.kind == VISITS,
        forecast_targets.c.subject_id.in_(owners),
        forecast_targets.c.period.in_(sorted(periods)),
    )
    plans: dict[str, dict[str, int]] = defaultdict(dict)
    for row in connection.execute(query).mappings():
        plans[row["subject_id"]][row["period"]] = int(row["amount"])
    return plans


def _row(per_day: list[tuple[date, list[Any], int]]) -> dict[str, Any]:
    day_figures = [{"date": day.isoformat(), **figures(facts, planned)} for day, facts, planned in per_day]
    every = [fact for _, facts, _ in per_day for fact in facts]
    return {**figures(every, sum(planned for _, _, planned in per_day)), "days": day_figures}


def figures(facts: list[Any], planned: int) -> dict[str, Any]:
    counts = {metric: 0 for metric in METRICS}
    won: dict[str, Decimal] = defaultdict(Decimal)
    for fact in facts:
        counts[fact["metric"]] += 1
        if fact["metric"] == "won":
            won[fact["currency"]] += Decimal(fact["amount"])
    return {
        "calls": counts["call"],
        "meetings": counts["meeting"],
        "visits": counts["visit"],
        "planned_visits": planned,
        "visits_of_plan": round(100 * counts["visit"] / planned) if planned else None,
        "new_deals": counts["new_deal"],
        "moved_forward": counts["moved_forward"],
        "deals_won": counts["won"],
        "won": [money(amount, currency) for currency, amount in sorted(won.items())],
    }


def when(text: date | None, now: datetime, calendar: Calendar, period: str) -> Span:
    """The day or the week asked for (default: the company's today, or this week)."""
    day = text or calendar.day_of(now)
    return calendar.week(day) if period == "week" else calendar.day(day)
