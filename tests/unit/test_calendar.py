"""The company's calendar: days and weeks begin at midnight in its time zone, weeks on Monday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.calendar import Calendar

SHANGHAI = Calendar("Asia/Shanghai")


def test_an_instant_after_16_00_utc_falls_on_the_next_day_in_shanghai():
    assert SHANGHAI.day_of(datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)) == date(2026, 12, 1)
    assert SHANGHAI.day_of(datetime(2026, 12, 1, 16, 0, tzinfo=UTC)) == date(2026, 12, 2)


def test_an_instant_without_a_zone_is_read_as_utc():
    assert SHANGHAI.day_of(datetime(2026, 12, 1, 16, 0)) == date(2026, 12, 2)


def test_a_day_spans_from_its_midnight_to_the_next_one_in_the_company_zone():
    span = SHANGHAI.day(date(2026, 12, 2))
    assert span.start == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert span.end - span.start == timedelta(hours=24)


def test_a_week_runs_from_monday_to_sunday_whatever_day_it_is_asked_for():
    span = SHANGHAI.week(date(2026, 12, 6))  # a Sunday
    assert (span.first, span.last) == (date(2026, 11, 30), date(2026, 12, 6))
    assert span.start == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    assert span.end == datetime(2026, 12, 6, 16, 0, tzinfo=UTC)


def test_a_day_across_a_daylight_saving_change_is_23_hours_long():
    berlin = Calendar("Europe/Berlin")
    span = berlin.day(date(2026, 3, 29))
    # Python subtracts wall clocks within one zone: the instants are compared in UTC.
    assert span.end.astimezone(UTC) - span.start.astimezone(UTC) == timedelta(hours=23)


def test_an_unknown_zone_is_refused_by_name():
    with pytest.raises(ValueError, match="Mars/Olympus"):
        Calendar("Mars/Olympus")
