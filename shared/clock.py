"""Time as a port: production reads the system clock, tests move a clock of their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


def in_utc(moment: datetime) -> datetime:
    """An instant that names no zone is read as UTC (every instant stored here is UTC, and
    SQLite hands datetimes back without their zone); one that names a zone is kept as given."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def as_stored(moment: datetime) -> datetime:
    """An instant as the read models keep it and compare it: in UTC (SQLite keeps no offset
    and compares the text, so every instant written or compared there must be UTC)."""
    return in_utc(moment).astimezone(UTC)
