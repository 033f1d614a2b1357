"""Every forecast figure against an independent brute-force recomputation from the raw
events of a generated history (a few hundred deals), on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.forecast.bootstrap import bootstrap
from services.forecast.domain import parse_period
from services.forecast.queries import reports
from services.forecast.queries.changes import explain
from services.forecast.queries.pipeline import forecast
from services.forecast.rules import ForecastRules
from shared.contracts import Money
from shared.contracts import events as public
from shared.eventstore.application import meta
from shared.settings import Settings
from tests.support.history import History, brute_forecast, brute_visits, generate, spread, states_at
from tests.support.infrastructure import drop_schemas

DEALS = 300
PERIODS = ("2026", "2026-Q2", "2026-Q3", "2026-Q4", "2026-07", "2027-Q1")
INSTANTS = (None, datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 8, 15, 12, tzinfo=UTC))


@pytest.fixture(scope="module")
def history():
    return generate(DEALS)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def service(request, history, tmp_path_factory):
    """The history ingested once per backend, as the forecast consumer would take it."""
    if request.param == "sqlite":
        settings = Settings(data_dir=tmp_path_factory.mktemp("forecast-history"))
        prefix = None
    else:
        url = request.getfixturevalue("database_url")
        prefix = f"t{uuid.uuid4().hex[:10]}_"
        settings = Settings(database_url=url, schema_prefix=prefix)
    service = bootstrap(settings, rules=ForecastRules(learned_min_sample=5))
    for event in history.events:
        service.handle(event)
    service.projectors[0].catch_up()
    yield service
    service.close()
    if prefix:
        drop_schemas(settings.database_url.get_secret_value(), prefix)


def money(amounts: dict[str, Decimal]) -> list[dict[str, str]]:
    return [{"amount": f"{v.quantize(Decimal('0.01')):.2f}", "currency": c} for c, v in sorted(amounts.items())]


def test_the_generated_history_is_rich_enough_to_prove_something(history):
    states = states_at(history)
    statuses = [s["status"] for s in states.values()]
    assert len(states) == DEALS
    assert {"open", "won", "lost"} <= set(statuses)
    assert {s["currency"] for s in states.values()} == {"CNY", "USD"}
    kinds = {type(e.data).__name__ for e in history.events}
    assert kinds == {"DealStageChanged", "DealUpdated", "DealClosed"}
    assert any(e.data.regression for e in history.events if hasattr(e.data, "regression"))


@pytest.mark.parametrize("as_of", INSTANTS, ids=["now", "april", "august"])
@pytest.mark.parametrize("period", PERIODS)
def test_the_forecast_equals_the_brute_force_one_for_every_period_instant_and_grouping(service, history, period, as_of):
    parsed = parse_period(period)
    states = states_at(history, as_of)
    with service.storage.engine.connect() as connection:
        for group_by, key in ((None, None), ("owner", "owner"), ("source", "source"), ("stage", "stage")):
            answer = forecast(connection, parsed, service.app.rules, group_by=group_by, as_of=as_of)
            expected = brute_forecast(states, parsed.first, parsed.last, key)
            if group_by is None:
                overall = expected.get("all", {"count": 0, "total": {}, "weighted": {}})
                assert (answer["count"], answer["total"], answer["weighted"]) == (
                    overall["count"],
                    money(overall["total"]),
                    money(overall["weighted"]),
                )
            else:
                got = {g["key"]: (g["count"], g["total"], g["weighted"]) for g in answer["groups"]}
                assert got == {k: (v["count"], money(v["total"]), money(v["weighted"])) for k, v in expected.items()}
        by_category = brute_forecast(states, parsed.first, parsed.last, "category")
        answer = forecast(connection, parsed, service.app.rules, as_of=as_of)
        for category, figures in answer["categories"].items():
            expected = by_category.get(category, {"count": 0, "total": {}, "weighted": {}})
            assert (figures["count"], figures["weighted"]) == (expected["count"], money(expected["weighted"]))


def test_win_rate_and_source_performance_equal_the_brute_force_ones(service, history):
    period = parse_period("2026")
    states = states_at(history)
    closed = [
        s for s in states.values() if s["status"] in ("won", "lost") and period.first <= s["closed_on"] <= period.last
    ]
    with service.storage.engine.connect() as connection:
        by_owner = reports.win_rate(connection, period, "owner")
        by_source = reports.source_performance(connection, None)
    expected: dict[str, dict[str, int]] = defaultdict(lambda: {"won": 0, "lost": 0})
    for state in closed:
        expected[state["owner"]][state["status"]] += 1
    assert {g["key"]: (g["won"], g["lost"]) for g in by_owner["groups"]} == {
        k: (v["won"], v["lost"]) for k, v in expected.items()
    }
    sources: dict[str, dict[str, object]] = defaultdict(lambda: {"deals": 0, "won": 0, "value": defaultdict(Decimal)})
    for state in states.values():
        sources[state["source"]]["deals"] += 1
        if state["status"] == "won":
            sources[state["source"]]["won"] += 1
            sources[state["source"]]["value"][state["currency"]] += state["amount"]
    assert {s["source"]: (s["deals"], s["won"], s["won_value"]) for s in by_source["sources"]} == {
        k: (v["deals"], v["won"], money(v["value"])) for k, v in sources.items()
    }


def test_stage_conversion_and_time_in_stage_equal_the_brute_force_ones(service, history):
    visits = brute_visits(history)
    with service.storage.engine.connect() as connection:
        conversion = {s["stage"]: (s["reached"], s["went_on"]) for s in reports.stage_conversion(connection)["stages"]}
        timing = {s["stage"]: s for s in reports.time_in_stage(connection)["stages"]}
    reached, went_on, durations = defaultdict(set), defaultdict(set), defaultdict(list)
    for visit in visits:
        reached[visit["stage"]].add(visit["deal_id"])
        if visit["exit"] in ("forward", "won"):
            went_on[visit["stage"]].add(visit["deal_id"])
        if visit["left_at"] is not None:
            durations[visit["stage"]].append((visit["left_at"] - visit["entered_at"]).total_seconds() / 86400)
    assert conversion == {stage: (len(reached[stage]), len(went_on[stage])) for stage in reached}
    assert {stage: {k: v for k, v in t.items() if k != "stage"} for stage, t in timing.items()} == {
        stage: spread(values) for stage, values in durations.items()
    }


def test_learned_probabilities_are_the_win_rate_of_closed_deals_that_reached_each_stage(service, history):
    states, visits = states_at(history), brute_visits(history)
    expected = {}
    for stage in {v["stage"] for v in visits}:
        closed = {v["deal_id"] for v in visits if v["stage"] == stage and states[v["deal_id"]]["status"] != "open"}
        won = {d for d in closed if states[d]["status"] == "won"}
        expected[stage] = (len(closed), len(won))
    with service.storage.engine.connect() as connection:
        answer = forecast(connection, parse_period("2026-Q4"), service.app.rules, probabilities="learned")
    assert answer["probabilities"] == "learned"
    assert {s: (f["closed"], f["won"]) for s, f in answer["learned_probabilities"].items()} == {
        s: v for s, v in expected.items() if v[0]
    }


def test_the_change_explanation_adds_up_to_the_difference_exactly(service, history):
    period = parse_period("2026-Q4")
    before, after = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    with service.storage.engine.connect() as connection:
        answer = explain(connection, period, before, after)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for pieces in answer["pieces"].values():
        for piece in pieces:
            totals[piece["currency"]] += Decimal(piece["amount"])
    difference = {d["currency"]: Decimal(d["amount"]) for d in answer["difference"]}
    assert {c: v for c, v in totals.items() if v} == {c: v for c, v in difference.items() if v}
    brute_before = brute_forecast(states_at(history, before), period.first, period.last)["all"]["weighted"]
    brute_after = brute_forecast(states_at(history, after), period.first, period.last)["all"]["weighted"]
    assert answer["weighted_before"] == money(brute_before)
    assert answer["weighted_after"] == money(brute_after)
    assert sum(1 for p in answer["pieces"].values() if p) >= 4  # the history moves in many ways


def test_a_target_shows_attainment_gap_and_coverage(service, history):
    service.app.set_target("owner", "rep-1", "2026-Q3", Decimal("5000000"), "CNY", meta("mgr", "c"))
    service.projectors[0].catch_up()
    period = parse_period("2026-Q3")
    with service.storage.engine.connect() as connection:
        answer = forecast(connection, period, service.app.rules, group_by="owner")
    rep = next(g for g in answer["groups"] if g["key"] == "rep-1")
    mine = [s for s in states_at(history).values() if s["owner"] == "rep-1" and s["currency"] == "CNY"]
    won = sum(
        (s["amount"] for s in mine if s["status"] == "won" and period.first <= s["closed_on"] <= period.last),
        Decimal(0),
    )
    open_weighted = sum(
        (
            s["amount"] * s["probability"] / 100
            for s in mine
            if s["status"] == "open" and period.first <= s["closes"] <= period.last
        ),
        Decimal(0),
    )
    target = Decimal(5_000_000)
    assert 0 < won < target and open_weighted > 0
    assert rep["target"] == {"amount": "5000000.00", "currency": "CNY"}
    assert rep["attainment"] == float(round(won / target, 4))
    assert rep["gap"] == {"amount": f"{target - won:.2f}", "currency": "CNY"}
    assert rep["coverage"] == float(round(open_weighted / (target - won), 4))


def test_a_backtest_where_the_answer_is_known_by_construction(settings):
    """Two deals in Q3: at the quarter's start A (100,000 at 50%) and B (200,000 at 25%)
    make a weighted forecast of 100,000; a week later A is won. Later both are won, so the
    quarter's actual is 300,000 and the errors are -200,000 then -150,000 (rep-a's alone -50,000)."""
    history = History()
    t0 = datetime(2026, 6, 20, tzinfo=UTC)
    a, b = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    for deal, owner, amount, probability in ((a, "rep-a", "100000", 50), (b, "rep-b", "200000", 25)):
        history.add(
            public.DealStageChanged(
                deal_id=deal,
                pipeline_id="default",
                to_stage="x",
                probability=probability,
                value=Money(amount=Decimal(amount)),
                expected_close_date=date(2026, 8, 31),
                owner_id=owner,
                forecast_category="best_case",
            ),
            deal,
            2,
            t0,
        )
    history.add(
        public.DealClosed(
            deal_id=a,
            outcome="won",
            value=Money(amount=Decimal("100000")),
            closed_on=date(2026, 7, 3),
            owner_id="rep-a",
        ),
        a,
        3,
        datetime(2026, 7, 3, tzinfo=UTC),
    )
    history.add(
        public.DealClosed(
            deal_id=b,
            outcome="won",
            value=Money(amount=Decimal("200000")),
            closed_on=date(2026, 9, 10),
            owner_id="rep-b",
        ),
        b,
        3,
        datetime(2026, 9, 10, tzinfo=UTC),
    )
    service = bootstrap(settings)
    try:
        for event in history.events:
            service.handle(event)
        service.projectors[0].catch_up()
        dates = [datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 7, 8, tzinfo=UTC)]
        with service.storage.engine.connect() as connection:
            answer = reports.accuracy(connection, parse_period("2026-Q3"), service.app.rules, datetime.now(UTC), dates)
    finally:
        service.close()
    assert answer["actual_won"] == [{"amount": "300000.00", "currency": "CNY"}]
    first, second = answer["points"]
    assert first["forecast"] == [{"amount": "100000.00", "currency": "CNY"}]
    assert first["error"] == [{"amount": "-200000.00", "currency": "CNY"}]
    assert second["forecast"] == [{"amount": "150000.00", "currency": "CNY"}]
    assert second["error"] == [{"amount": "-150000.00", "currency": "CNY"}]
    by_owner = {o["owner_id"]: o["error"] for o in second["owners"]}
    assert by_owner == {
        "rep-a": [{"amount": "0.00", "currency": "CNY"}],
        "rep-b": [{"amount": "-150000.00", "currency": "CNY"}],
    }
