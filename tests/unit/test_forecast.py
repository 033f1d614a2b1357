"""Forecast periods and its effectively-once learning, in memory."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from services.forecast.application import ForecastApplication
from services.forecast.periods import parse_period
from shared.contracts import CloudEvent, Money, parse_event
from shared.contracts import events as public


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
        data, source="crm/pipeline", subject=deal_id, sequence=sequence,
        time=datetime.now(UTC), actor="rep-1", correlation_id="c",
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


def test_amounts_the_rate_table_cannot_convert_are_shown_beside_the_base_totals_not_dropped():
    from services.forecast.queries import Figures
    from services.forecast.rules import ForecastRules

    figures = Figures(ForecastRules(base_currency="CNY", rates={"USD": Decimal("7.2")}))
    figures.add(1, "CNY", Decimal("100"), Decimal("50"), won=False)
    figures.add(1, "USD", Decimal("10"), Decimal("5"), won=False)
    figures.add(1, "JPY", Decimal("1000"), Decimal("100"), won=False)
    answer = figures.as_dict()
    assert answer["total_in_base"] == {"amount": "172.00", "currency": "CNY"}
    assert answer["total_not_in_base"] == [{"amount": "1000.00", "currency": "JPY"}]
    assert answer["weighted_not_in_base"] == [{"amount": "100.00", "currency": "JPY"}]
