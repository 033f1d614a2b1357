"""The company's calendar: where its days and weeks begin (`CRM_TIMEZONE`, weeks from
Monday), so that "today" and "this week" mean what the people at the office mean, not UTC's
day, which in Shanghai begins at 08:00."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.clock import in_utc


@dataclass(frozen=True)
class Span:
    """A half-open span of instants, [start, end), and the calendar days it covers."""

    first: date
    last: date
    start: datetime
    end: datetime


class Calendar:
    def __init__(self, zone: str) -> None:
        try:
            self.zone = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not a time zone: {zone!r} (an IANA name such as Asia/Shanghai)") from None
        self.name = zone

    def day_of(self, instant: datetime) -> date:
        """The company's calendar day the instant falls on."""
        return in_utc(instant).astimezone(self.zone).date()

    def week_of(self, day: date) -> date:
        """The Monday of the week the day is in."""
        return day - timedelta(days=day.weekday())

    def start_of(self, day: date) -> datetime:
        """The instant the day begins (its midnight in the company's zone)."""
        return datetime.combine(day, time(), self.zone)

    def days(self, first: date, last: date) -> Span:
        """Its instants in UTC: the stores compare them as stored (SQLite keeps no offset)."""
        end = self.start_of(last + timedelta(days=1))
        return Span(first, last, self.start_of(first).astimezone(UTC), end.astimezone(UTC))

    def day(self, day: date) -> Span:
        return self.days(day, day)

    def week(self, day: date) -> Span:
        monday = self.week_of(day)
        return self.days(monday, monday + timedelta(days=6))
