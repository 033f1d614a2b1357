"""Forecast periods, its effectively-once learning, and the topics its stored events carry, in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.utils import resolve_topic

from services.forecast.application import ForecastApplication
from services.forecast.domain import Deal, Snapshot, Target, parse_period
from services.forecast.errors import DealNotInForecast
from shared.contracts import CloudEvent, Money, parse_event
from shared.contracts import events as public
from shared.errors import NotFound


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
    ],
)
def test_a_period_covers_its_year_quarter_or_month(text, first, last):
    period = parse_period(text)
    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "26", "2026-q4", ""])
def test_a_badly_written_period_is_refused(text):
    with pytest.raises(ValueError):
        parse_period(text)


def stage_changed(deal_id: str, to_stage: str, probability: int, sequence: int):
    data = public.DealStageChanged(
        deal_id=deal_id,
        pipeline_id="default",
        to_stage=to_stage,
        probability=probability,
        value=Money(amount=Decimal("1000"), currency="CNY"),
        expected_close_date=date(2026, 12, 1),
        owner_id="rep-1",
        forecast_category="pipeline",
    )
    event = CloudEvent.of(
        data,
        source="crm/pipeline",
        subject=deal_id,
        sequence=sequence,
        time=datetime.now(UTC),
        actor="rep-1",
        correlation_id="c",
    )
    return parse_event(event.to_bytes())


def test_the_forecast_applies_each_pipeline_event_once_and_ignores_stale_ones():
    app = ForecastApplication()
    deal_id = str(uuid4())
    app.handle(stage_changed(deal_id, "prospecting", 10, 2))
    app.handle(stage_changed(deal_id, "proposal", 65, 3))
    app.handle(stage_changed(deal_id, "prospecting", 10, 2))  # republished by the relay
    deal = app.repository.get(deal_id)
    assert (deal.stage, deal.probability, deal.version) == ("proposal", 65, 2)


def test_a_deal_closed_before_the_forecast_tracked_it_is_refused_as_not_found():
    data = public.DealClosed(
        deal_id=str(uuid4()), outcome="won", value=Money(amount=Decimal("1000"), currency="CNY"), owner_id="rep-1"
    )
    event = CloudEvent.of(
        data,
        source="crm/pipeline",
        subject=data.deal_id,
        sequence=5,
        time=datetime.now(UTC),
        actor="rep-1",
        correlation_id="c",
    )
    with pytest.raises(DealNotInForecast, match="changed before it entered the forecast") as refused:
        ForecastApplication().handle(parse_event(event.to_bytes()))
    assert isinstance(refused.value, NotFound) and isinstance(refused.value, LookupError)


# The store names each event (and, in its first event, the aggregate) by these topics: a class
# that moves must still resolve from them (`eventsourcing.utils.register_topic`).
STORED_TOPICS = {
    "services.forecast.domain:Deal": Deal,
    "services.forecast.domain:Deal.Tracked": Deal.Tracked,
    "services.forecast.domain:Deal.Moved": Deal.Moved,
    "services.forecast.domain:Deal.Changed": Deal.Changed,
    "services.forecast.domain:Deal.Closed": Deal.Closed,
    "services.forecast.domain:Target": Target,
    "services.forecast.domain:Target.Set": Target.Set,
    "services.forecast.domain:Target.Reset": Target.Reset,
    "services.forecast.domain:Snapshot": Snapshot,
    "services.forecast.domain:Snapshot.Taken": Snapshot.Taken,
}


@pytest.mark.parametrize(("topic", "cls"), STORED_TOPICS.items(), ids=list(STORED_TOPICS))
def test_every_topic_in_the_store_still_resolves_to_its_class(topic, cls):
    assert resolve_topic(topic) is cls


def test_the_events_the_forecast_stores_carry_only_known_topics():
    app = ForecastApplication()
    deal_id = str(uuid4())
    app.handle(stage_changed(deal_id, "prospecting", 10, 2))
    app.handle(stage_changed(deal_id, "proposal", 65, 3))
    app.set_target("owner", "rep-1", "2026", Decimal("100"), "CNY", {"actor": "a", "correlation_id": "c"})
    app.set_target("owner", "rep-1", "2026", Decimal("200"), "CNY", {"actor": "a", "correlation_id": "c"})
    app.record_snapshot("2026", datetime.now(UTC), {"count": 0}, {"actor": "a", "correlation_id": "c"})
    stored = app.recorder.select_notifications(start=1, limit=100)
    assert {record.topic for record in stored} <= set(STORED_TOPICS)


def test_amounts_the_rate_table_cannot_convert_are_shown_beside_the_base_totals_not_dropped():
    from services.forecast.queries.pipeline import Figures
    from services.forecast.rules import ForecastRules

    figures = Figures(ForecastRules(base_currency="CNY", rates={"USD": Decimal("7.2")}))
    figures.add(1, "CNY", Decimal("100"), Decimal("50"), won=False)
    figures.add(1, "USD", Decimal("10"), Decimal("5"), won=False)
    figures.add(1, "JPY", Decimal("1000"), Decimal("100"), won=False)
    answer = figures.as_dict()
    assert answer["total_in_base"] == {"amount": "172.00", "currency": "CNY"}
    assert answer["total_not_in_base"] == [{"amount": "1000.00", "currency": "JPY"}]
    assert answer["weighted_not_in_base"] == [{"amount": "100.00", "currency": "JPY"}]
