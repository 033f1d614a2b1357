"""Forecast periods as the SPEC writes them: `2026`, `2026-Q4`, `2026-11`."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4])|-(?P<month>0[1-9]|1[0-2]))?$")


@dataclass(frozen=True)
class Period:
    name: str
    first: date
    last: date


def parse_period(text: str) -> Period:
    match = _PATTERN.match(text)
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
