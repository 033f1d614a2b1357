"""Customer tiers (客户分级) by RFM (RFM 打分): an account's won deals scored on recency (days
since the last win), frequency (how many wins) and monetary value (their sum), each 1 to 3
points against the fixed thresholds of the rules; the points added give tier A, B or C.

Fixed thresholds rather than quantiles: an account's tier then depends on its own deals
only, so a win elsewhere never moves it, and each change is an event of its own account.
Only the rules' currency counts toward the value (no exchange rates are kept here); a
win in another currency still counts toward recency and frequency. Pure: the application
passes the date that recency is measured at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from services.registration.rules import Tiers


@dataclass(frozen=True)
class Rfm:
    recency_days: int | None
    frequency: int
    monetary: Decimal
    currency: str
    score: int
    tier: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "recency_days": self.recency_days,
            "frequency": self.frequency,
            "monetary": f"{self.monetary:.2f}",
            "currency": self.currency,
            "score": self.score,
        }


def rfm(wins: list[dict[str, Any]], today: date, rules: Tiers) -> Rfm | None:
    """The account's RFM and tier from its won deals (`amount`, `currency`, `closed_on`);
    None for an account that has won nothing yet: it has no tier."""
    if not wins:
        return None
    last = max(win["closed_on"] for win in wins)
    recency = max((today - last).days, 0)
    monetary = sum((Decimal(win["amount"]) for win in wins if win["currency"] == rules.currency), Decimal(0))
    points = (
        _points(-recency, (-rules.recency_days[0], -rules.recency_days[1]))  # fewer days, more points
        + _points(len(wins), rules.frequency)
        + _points(monetary, rules.monetary)
    )
    tier = "A" if points >= rules.a_from else "B" if points >= rules.b_from else "C"
    return Rfm(recency, len(wins), monetary, rules.currency, points, tier)


def _points(value: Any, thresholds: tuple[Any, Any]) -> int:
    """3 at or above the first threshold, 2 at or above the second, else 1."""
    top, middle = thresholds
    return 3 if value >= top else 2 if value >= middle else 1
