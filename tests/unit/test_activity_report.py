"""The activity report's bucketing: facts fall on the company's day (Asia/Shanghai), weeks
run Monday to Sunday, and a visit plan counts on working days, its month's before its
quarter's before its year's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.forecast.queries.activity import bucket, figures, periods_of, planned_visits
from shared.calendar import Calendar

SHANGHAI = Calendar("Asia/Shanghai")
WEEK = SHANGHAI.week(date(2026, 12, 2))  # Monday 30 November to Sunday 6 December


def fact(at: datetime, metric: str = "call", owner: str = "rep-1", **more):
    return {"owner_id": owner, "metric": metric, "at": at, **more}


def test_a_fact_at_16_00_utc_on_sunday_belongs_to_the_next_week_in_shanghai():
    sunday_late = datetime(2026, 11, 29, 15, 59, tzinfo=UTC)  # 23:59 on Sunday in Shanghai
    monday = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # 00:00 on Monday in Shanghai
    days = bucket([fact(sunday_late), fact(monday)], SHANGHAI, WEEK)
    assert {day: len(facts) for day, facts in days["rep-1"].items()} == {date(2026, 11, 30): 1}


def test_the_last_instant_of_the_week_is_in_it_and_the_next_is_not():
    last = WEEK.end - timedelta(microseconds=1)
    days = bucket([fact(last), fact(WEEK.end)], SHANGHAI, WEEK)
    assert {day: len(facts) for day, facts in days["rep-1"].items()} == {date(2026, 12, 6): 1}


def test_facts_are_bucketed_per_owner():
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    days = bucket([fact(at), fact(at, owner="rep-2"), fact(at, owner="rep-2")], SHANGHAI, WEEK)
    assert (len(days["rep-1"][date(2026, 12, 1)]), len(days["rep-2"][date(2026, 12, 1)])) == (1, 2)


def test_a_plan_counts_on_weekdays_only():
    plans = {"2026": 2}
    assert [planned_visits(plans, date(2026, 12, d)) for d in range(4, 8)] == [2, 0, 0, 2]  # Fri, Sat, Sun, Mon


def test_the_months_plan_wins_over_the_quarters_and_the_quarters_over_the_years():
    plans = {"2026": 1, "2026-Q4": 2, "2026-12": 3}
    assert planned_visits(plans, date(2026, 12, 1)) == 3
    assert planned_visits(plans, date(2026, 11, 30)) == 2
    assert planned_visits({"2026": 1}, date(2026, 11, 30)) == 1
    assert planned_visits({}, date(2026, 11, 30)) == 0
    assert periods_of(date(2026, 11, 30)) == ("2026-11", "2026-Q4", "2026")


def test_figures_count_each_kind_and_sum_the_value_won_per_currency():
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    facts = [
        fact(at, "visit"),
        fact(at, "visit"),
        fact(at, "call"),
        fact(at, "won", amount="100.50", currency="CNY"),
        fact(at, "won", amount="99.50", currency="CNY"),
        fact(at, "won", amount="10.00", currency="USD"),
    ]
    counted = figures(facts, planned=8)
    assert (counted["visits"], counted["calls"], counted["deals_won"], counted["visits_of_plan"]) == (2, 1, 3, 25)
    assert counted["won"] == [{"amount": "200.00", "currency": "CNY"}, {"amount": "10.00", "currency": "USD"}]
    assert figures([], planned=0)["visits_of_plan"] is None
