"""The weighted forecast, summed by the database, now or as it stood at any instant.

A deal counts in the period of its expected close date while open, and in the period it
was won once won; lost deals count nowhere. By product line, a deal counts in each line its
line items sell (queries/lines.py). Sums stay per currency; with a rate table
(`base_currency` and `rates`) each figure also carries its total in the base currency.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, or_, select

from services.forecast.domain import Period
from services.forecast.projections import forecast_stage_visits as visits
from services.forecast.projections import forecast_targets as targets
from services.forecast.projections import forecast_totals as totals
from services.forecast.projections import forecast_versions as fv
from services.forecast.queries.lines import product_line_rows
from services.forecast.rules import ForecastRules
from shared.contracts import money as money_value

GROUPS = {
    "owner": fv.c.owner_id,
    "team": fv.c.owner_id,
    "stage": fv.c.stage,
    "source": fv.c.source,
    "forecast_category": fv.c.forecast_category,
}
CATEGORIES = ("pipeline", "best_case", "commit", "closed")


def in_force(as_of: datetime | None) -> ColumnElement[bool]:
    """The version of each deal that was in force at `as_of` (None: now)."""
    if as_of is None:
        return fv.c.valid_to.is_(None)
    return and_(fv.c.valid_from <= as_of, or_(fv.c.valid_to.is_(None), fv.c.valid_to > as_of))


def in_period(period: Period) -> ColumnElement[bool]:
    return or_(
        and_(fv.c.status == "open", fv.c.expected_close_date.between(period.first, period.last)),
        and_(fv.c.status == "won", fv.c.closed_on.between(period.first, period.last)),
    )


def ever_owned_a_deal(connection: Connection, owner_id: str) -> bool:
    """Whether the forecast has heard of a deal (in any version) that `owner_id` owned."""
    return connection.execute(select(fv.c.owner_id).where(fv.c.owner_id == owner_id).limit(1)).first() is not None


def learned_probabilities(connection: Connection, min_sample: int) -> dict[str, dict[str, Any]]:
    """Per stage, the share of closed deals that reached it and were won."""
    closed = (
        select(fv.c.deal_id, fv.c.status).where(fv.c.valid_to.is_(None), fv.c.status.in_(("won", "lost"))).subquery()
    )
    rows = connection.execute(
        select(
            visits.c.stage,
            func.count(func.distinct(closed.c.deal_id)).label("closed"),
            func.count(func.distinct(case((closed.c.status == "won", closed.c.deal_id)))).label("won"),
        )
        .join(closed, closed.c.deal_id == visits.c.deal_id)
        .group_by(visits.c.stage)
    ).all()
    return {
        row.stage: {
            "closed": row.closed,
            "won": row.won,
            "rate": round(100 * row.won / row.closed),
            "used": row.closed >= min_sample,
        }
        for row in rows
    }


def forecast(
    connection: Connection,
    period: Period,
    rules: ForecastRules,
    *,
    group_by: str | None = None,
    as_of: datetime | None = None,
    probabilities: str = "stage",
    owners: frozenset[str] | None = None,
    by_category: bool = False,
) -> dict[str, Any]:
    """`owners` limits the figures to those owners' deals (what a rep or manager may see);
    `by_category` splits each group's figures by forecast category too (a stacked chart's)."""
    learned = learned_probabilities(connection, rules.learned_min_sample) if probabilities == "learned" else {}
    probability = _probability(learned)
    where = [in_force(as_of), in_period(period), *([fv.c.owner_id.in_(sorted(owners))] if owners is not None else [])]
    if as_of is None and group_by != "product_line":
        rows = _now(connection, period, group_by, _probability(learned, totals), owners)
    else:
        group = GROUPS[group_by] if group_by in GROUPS else literal("all")
        rows = list(
            connection.execute(
                select(
                    group.label("grp"),
                    fv.c.forecast_category,
                    fv.c.currency,
                    fv.c.status,
                    func.count().label("n"),
                    func.sum(fv.c.amount).label("total"),
                    func.sum(fv.c.amount * probability).label("weighted_x100"),
                )
                .where(*where)
                .group_by(group, fv.c.forecast_category, fv.c.currency, fv.c.status)
            ).all()
        )
    # By product line a deal counts in each line it sells: its own rows, not summed overall.
    group_rows = product_line_rows(connection, where, probability, as_of) if group_by == "product_line" else rows

    overall = Figures(rules)
    categories = {name: Figures(rules) for name in CATEGORIES}
    groups: dict[Any, Figures] = defaultdict(lambda: Figures(rules))
    split: dict[Any, dict[str, Figures]] = defaultdict(dict)
    for row in rows:
        total, weighted = Decimal(row.total), Decimal(row.weighted_x100) / 100
        for bucket in (overall, categories.setdefault(row.forecast_category, Figures(rules))):
            bucket.add(row.n, row.currency, total, weighted, won=row.status == "won")
    for row in group_rows:
        key = rules.team_of(row.grp) if group_by == "team" else row.grp
        total, weighted = Decimal(row.total), Decimal(row.weighted_x100) / 100
        groups[key].add(row.n, row.currency, total, weighted, won=row.status == "won")
        if by_category:
            part = split[key].setdefault(row.forecast_category, Figures(rules))
            part.add(row.n, row.currency, total, weighted, won=row.status == "won")
    answer: dict[str, Any] = {
        "period": period.name,
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "as_of": as_of.isoformat() if as_of else None,
        "probabilities": probabilities,
        **overall.as_dict(),
        "categories": {name: bucket.as_dict() for name, bucket in categories.items()},
    }
    if learned:
        answer["learned_probabilities"] = learned
    if group_by:
        quotas = (
            _targets(connection, "team" if group_by == "team" else "owner", period)
            if group_by in ("owner", "team")
            else {}
        )
        if owners is not None:  # only the targets of what is wholly in reach: an owner, or a team of them
            quotas = {
                key: quota
                for key, quota in quotas.items()
                if (set(rules.teams.get(key, ())) <= owners if group_by == "team" else key in owners)
            }
        answer["group_by"] = group_by
        answer["groups"] = [
            {"key": key, **bucket.as_dict(), **_attainment(bucket, quotas.get(key), rules)}
            | ({"categories": {name: part.as_dict() for name, part in split[key].items()}} if by_category else {})
            for key, bucket in sorted(groups.items(), key=lambda kv: str(kv[0]))
        ]
        for key, quota in sorted(quotas.items()):  # a quota with nothing yet in the period
            if key not in groups:
                answer["groups"].append(
                    {"key": key, **Figures(rules).as_dict(), **_attainment(Figures(rules), quota, rules)}
                    | ({"categories": {}} if by_category else {})
                )
    return answer


def _now(
    connection: Connection,
    period: Period,
    group_by: str | None,
    probability: ColumnElement[Any],
    owners: frozenset[str] | None,
) -> list[Any]:
    """The forecast now from the running totals (projections.py): the same rows the versions
    in force would give, summed ahead of time; an empty key there means none."""
    group = (
        func.nullif(totals.c[GROUPS[group_by].name], "").label("grp")
        if group_by in GROUPS
        else literal("all").label("grp")
    )
    category = func.nullif(totals.c.forecast_category, "").label("forecast_category")
    where = [
        totals.c.month.between(f"{period.first:%Y-%m}", f"{period.last:%Y-%m}"),
        totals.c.n > 0,  # what every deal of a key left behind: nothing
        *([totals.c.owner_id.in_(sorted(owners))] if owners is not None else []),
    ]
    return list(
        connection.execute(
            select(
                group,
                category,
                totals.c.currency,
                totals.c.status,
                func.sum(totals.c.n).label("n"),
                func.sum(totals.c.total).label("total"),
                func.sum(totals.c.total * probability).label("weighted_x100"),
            )
            .where(*where)
            .group_by(group, category, totals.c.currency, totals.c.status)
        ).all()
    )


def _probability(learned: dict[str, dict[str, Any]], table: Any = fv) -> ColumnElement[Any]:
    """The deal's probability, or, for an open deal on a stage with enough closed history,
    the stage's learned win rate (of the versions, or of the running totals)."""
    used = {stage: figures["rate"] for stage, figures in learned.items() if figures["used"]}
    if not used:
        return table.c.probability  # type: ignore[no-any-return]
    return case(
        *((and_(table.c.status == "open", table.c.stage == stage), rate) for stage, rate in used.items()),
        else_=table.c.probability,
    )


def _targets(connection: Connection, kind: str, period: Period) -> dict[str, tuple[Decimal, str]]:
    rows = (
        connection.execute(select(targets).where(targets.c.kind == kind, targets.c.period == period.name))
        .mappings()
        .all()
    )
    return {row["subject_id"]: (Decimal(row["amount"]), row["currency"]) for row in rows}


def _attainment(bucket: Figures, quota: tuple[Decimal, str] | None, rules: ForecastRules) -> dict[str, Any]:
    """Attainment = won / target; gap = target - won; coverage = open weighted / remaining."""
    if quota is None:
        return {}
    amount, currency = quota
    won = bucket.in_currency(bucket.won, currency)
    open_weighted = bucket.in_currency(bucket.open_weighted, currency)
    remaining = amount - won
    return {
        "target": money_value(amount, currency),
        "attainment": float(round(won / amount, 4)) if amount else None,
        "gap": money_value(max(remaining, Decimal(0)), currency),
        "coverage": float(round(open_weighted / remaining, 4)) if remaining > 0 else None,
    }


class Figures:
    """Count, total and weighted value per currency (and in the base currency if rated)."""

    def __init__(self, rules: ForecastRules) -> None:
        self.rules = rules
        self.count = 0
        self.total: dict[str, Decimal] = defaultdict(Decimal)
        self.weighted: dict[str, Decimal] = defaultdict(Decimal)
        self.won: dict[str, Decimal] = defaultdict(Decimal)
        self.open_weighted: dict[str, Decimal] = defaultdict(Decimal)

    def add(self, count: int, currency: str, total: Decimal, weighted: Decimal, *, won: bool) -> None:
        self.count += count
        self.total[currency] += total
        self.weighted[currency] += weighted
        (self.won if won else self.open_weighted)[currency] += total if won else weighted

    def in_currency(self, amounts: dict[str, Decimal], currency: str) -> Decimal:
        """The sum in `currency`: other currencies count only through the rate table."""
        rates, base = self.rules.rates, self.rules.base_currency
        total = Decimal(0)
        for code, amount in amounts.items():
            if code == currency:
                total += amount
            elif base and code in rates | {base: Decimal(1)} and currency in rates | {base: Decimal(1)}:
                in_base = amount * (Decimal(1) if code == base else rates[code])
                total += in_base / (Decimal(1) if currency == base else rates[currency])
        return total

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"count": self.count, "total": money(self.total), "weighted": money(self.weighted)}
        base = self.rules.base_currency
        if base and self.rules.rates:
            answer["total_in_base"] = money_value(self.in_currency(self.total, base), base)
            answer["weighted_in_base"] = money_value(self.in_currency(self.weighted, base), base)
            # What the rate table cannot convert is shown beside the base totals, never dropped.
            answer["total_not_in_base"] = money(self.unconverted(self.total))
            answer["weighted_not_in_base"] = money(self.unconverted(self.weighted))
        return answer

    def unconverted(self, amounts: dict[str, Decimal]) -> dict[str, Decimal]:
        known = set(self.rules.rates) | {self.rules.base_currency}
        return {code: amount for code, amount in amounts.items() if code not in known}


def money(by_currency: dict[str, Decimal]) -> list[dict[str, str]]:
    return [money_value(amount, currency) for currency, amount in sorted(by_currency.items())]
