"""Forecast's domain model: each deal as the forecast needs it, kept as its own history;
targets (quota); the snapshots it publishes; and the periods it sums over.

The forecast records the facts it learns from the pipeline in its own event store, each
with the instant it happened upstream (`at`), so it can show the forecast as it stood at
any past instant (backtesting, as-of) without asking another service. `seen` makes each
upstream event count once.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

Upstream = tuple[str, int]


class Terms(TypedDict):
    """What the forecast sums, as the pipeline last described the deal."""

    owner_id: str | None
    source: str | None
    stage: str
    probability: int
    forecast_category: str | None
    amount: Decimal
    currency: str
    expected_close_date: date


class Deal(Aggregate):
    if TYPE_CHECKING:
        # `@event` makes these event classes from the methods below when the class is made,
        # so the type checker cannot see them; their fields are the methods' parameters.
        Tracked: ClassVar[type[Any]]
        Moved: ClassVar[type[Any]]
        Changed: ClassVar[type[Any]]
        Closed: ClassVar[type[Any]]
        LinesChanged: ClassVar[type[Any]]
        ActivityRecorded: ClassVar[type[Any]]

    @event("Tracked")
    def __init__(self, id: UUID, terms: Terms, at: datetime, upstream: Upstream) -> None:  # noqa: A002
        self.status = "open"
        self.closed_on: date | None = None
        self.source: str | None = None
        self.seen: dict[str, int] = {}
        self.lines: dict[str, str] = {}  # the deal's value per product line, from its line items
        self._take(terms, upstream)

    def has_seen(self, source: str, sequence: int) -> bool:
        return self.seen.get(source, 0) >= sequence

    @event("Moved")
    def move(self, terms: Terms, from_stage: str | None, regression: bool, at: datetime, upstream: Upstream) -> None:
        """A stage change (a reopened deal is open again)."""
        self.status = "open"
        self.closed_on = None
        self._take(terms, upstream)

    @event("Changed")
    def change(self, changes: dict[str, Any], at: datetime, upstream: Upstream) -> None:
        """Some terms changed without a stage move (owner, value, close date, probability)."""
        for name, value in changes.items():
            setattr(self, name, value)
        self._see(upstream)

    @event("Closed")
    def close(
        self, outcome: str, closed_on: date, amount: Decimal, currency: str, at: datetime, upstream: Upstream
    ) -> None:
        self.status = outcome
        self.closed_on = closed_on
        self.amount = amount
        self.currency = currency
        for name, value in closed_terms(outcome).items():
            setattr(self, name, value)
        self._see(upstream)

    @event("LinesChanged")
    def change_lines(self, lines: dict[str, str], at: datetime, upstream: Upstream) -> None:
        """The deal's line items changed: its value per product line ({line: amount}; {}: no
        items any more, the deal counts in no product line)."""
        self.lines = dict(lines)
        self._see(upstream)

    @event("ActivityRecorded")
    def record_activity(self, activity_id: str, kind: str, by: str, at: datetime, upstream: Upstream) -> None:
        """A call, meeting or visit logged on the deal, by whom, when it happened: what the
        activity reports count (services/forecast/activity.py). Nothing of the forecast moves."""
        self._see(upstream)

    def _take(self, terms: Terms, upstream: Upstream) -> None:
        source = terms["source"] or self.source  # a move that omits the source keeps it
        for name, value in terms.items():
            setattr(self, name, value)
        self.source = source
        self._see(upstream)

    def _see(self, upstream: Upstream) -> None:
        source, sequence = upstream
        self.seen[source] = max(self.seen.get(source, 0), sequence)


def closed_terms(outcome: str) -> dict[str, Any]:
    """How a closed deal counts: won in full in the closed category, lost not at all."""
    won = outcome == "won"
    return {"probability": 100 if won else 0, "forecast_category": "closed" if won else "omitted"}


class Target(Aggregate):
    """A quota: what an owner (or a team) should win in a period."""

    if TYPE_CHECKING:  # the `@event` classes (see `Deal`)
        Set: ClassVar[type[Any]]
        Reset: ClassVar[type[Any]]

    @staticmethod
    def create_id(kind: str, subject_id: str, period: str) -> UUID:
        return target_id(kind, subject_id, period)

    @event("Set")
    def __init__(
        self, kind: str, subject_id: str, period: str, amount: Decimal, currency: str, meta: dict[str, str]
    ) -> None:
        self.kind = kind
        self.subject_id = subject_id
        self.period = period
        self.amount = amount
        self.currency = currency

    @event("Reset")
    def reset(self, amount: Decimal, currency: str, meta: dict[str, str]) -> None:
        self.amount = amount
        self.currency = currency


def target_id(kind: str, subject_id: str, period: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:target:{kind}:{subject_id}:{period}")


class Snapshot(Aggregate):
    """The forecast of a period as it stood at an instant, kept for analytics consumers."""

    if TYPE_CHECKING:  # the `@event` classes (see `Deal`)
        Taken: ClassVar[type[Any]]

    @staticmethod
    def create_id(period: str, as_of: datetime) -> UUID:
        return uuid5(NAMESPACE_URL, f"crm:forecast-snapshot:{period}:{as_of.isoformat()}")

    @event("Taken")
    def __init__(self, period: str, as_of: datetime, figures: dict[str, Any], meta: dict[str, str]) -> None:
        self.period = period
        self.as_of = as_of
        self.figures = figures


# -- periods, as the SPEC writes them: `2026`, `2026-Q4`, `2026-11` ----------------------------

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    name: str
    first: date
    last: date


def parse_period(text: str) -> Period:
    match = _PERIOD.match(text)
    if match is None:
        raise ValueError("period is written 2026, 2026-Q4 or 2026-11")
    year = int(match["year"])
    if match["quarter"]:
        first_month = 3 * (int(match["quarter"]) - 1) + 1
        last_month = first_month + 2
    elif match["month"]:
        first_month = last_month = int(match["month"])
    else:
        first_month, last_month = 1, 12
    last_day = calendar.monthrange(year, last_month)[1]
    return Period(text, date(year, first_month, 1), date(year, last_month, last_day))
