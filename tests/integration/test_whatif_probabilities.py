"""What-if for stage probabilities: a history whose answer is known by construction, the
forecast each week under the probabilities in force and under others, beside what was won."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.forecast.bootstrap import bootstrap
from services.forecast.domain import parse_period
from services.forecast.projections import forecast_versions
from services.forecast.queries.whatif import default_dates, probabilities_whatif
from shared.contracts import Money
from shared.contracts import events as public
from tests.support.history import History

A, B = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
DATES = [datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 7, 8, tzinfo=UTC)]


def q3_history() -> History:
    """In Q3, A (100,000 on stage x at 50%) is won on 3 July and B (200,000 on stage y at
    25%) on 10 September: 300,000 won."""
    history = History()
    t0 = datetime(2026, 6, 20, tzinfo=UTC)
    for deal, owner, amount, stage, probability in ((A, "rep-a", "100000", "x", 50), (B, "rep-b", "200000", "y", 25)):
        history.add(
            public.DealStageChanged(
                deal_id=deal,
                pipeline_id="default",
                to_stage=stage,
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
    for deal, owner, amount, closed_on in (
        (A, "rep-a", "100000", date(2026, 7, 3)),
        (B, "rep-b", "200000", date(2026, 9, 10)),
    ):
        history.add(
            public.DealClosed(
                deal_id=deal, outcome="won", value=Money(amount=Decimal(amount)), closed_on=closed_on, owner_id=owner
            ),
            deal,
            3,
            datetime.combine(closed_on, datetime.min.time(), tzinfo=UTC),
        )
    return history


@pytest.fixture
def service(settings):
    """The history in the forecast's store, SQLite and PostgreSQL alike."""
    service = bootstrap(settings)
    for event in q3_history().events:
        service.handle(event)
    service.projectors[0].catch_up()
    yield service
    service.close()


def cny(amount: str) -> list[dict[str, str]]:
    return [{"amount": amount, "currency": "CNY"}]


def whatif(service, probabilities, owners=None, progress=None):
    with service.storage.engine.connect() as connection:
        return probabilities_whatif(
            connection,
            parse_period("2026-Q3"),
            service.app.rules,
            datetime.now(UTC),
            probabilities,
            DATES,
            owners,
            progress,
        )


def test_each_weeks_forecast_is_shown_under_both_probabilities_beside_what_was_won(service):
    answer = whatif(service, {"x": 100, "y": 100})
    assert answer["actual_won"] == cny("300000.00")
    first, second = answer["points"]
    assert first["won"] == cny("300000.00")
    assert first["in_force"] == {"forecast": cny("100000.00"), "error": cny("-200000.00")}
    assert first["alternative"] == {"forecast": cny("300000.00"), "error": cny("0.00")}
    # A week later A is won: it counts in full under both; only B's weight differs.
    assert second["in_force"] == {"forecast": cny("150000.00"), "error": cny("-150000.00")}
    assert second["alternative"] == {"forecast": cny("300000.00"), "error": cny("0.00")}
    assert answer["mean_absolute_error"] == {"in_force": cny("175000.00"), "alternative": cny("0.00")}


def test_a_stage_the_alternative_leaves_out_keeps_its_recorded_probability(service):
    first, _ = whatif(service, {"y": 0})["points"]
    assert first["alternative"]["forecast"] == cny("50000.00")  # A at its 50%, B at 0%


def test_only_the_owners_in_reach_are_counted(service):
    answer = whatif(service, {"x": 100}, owners=frozenset({"rep-a"}))
    assert answer["actual_won"] == cny("100000.00")
    assert answer["points"][0]["alternative"]["forecast"] == cny("100000.00")


def test_the_what_if_tells_its_progress_and_changes_nothing(service):
    seen = []
    with service.storage.engine.connect() as connection:
        before = connection.execute(forecast_versions.select()).all()
    whatif(service, {"x": 90}, progress=lambda done, total: seen.append((done, total)))
    with service.storage.engine.connect() as connection:
        assert connection.execute(forecast_versions.select()).all() == before
    assert seen == [(1, 2), (2, 2)]


def test_by_default_the_weeks_of_the_period_and_now_while_it_is_not_over():
    q3 = parse_period("2026-Q3")
    in_it = datetime(2026, 7, 16, 10, tzinfo=UTC)
    assert default_dates(q3, in_it) == [datetime(2026, 7, d, tzinfo=UTC) for d in (1, 8, 15)] + [in_it]
    assert default_dates(q3, datetime(2026, 6, 1, tzinfo=UTC)) == [datetime(2026, 6, 1, tzinfo=UTC)]  # not begun
    assert len(default_dates(q3, datetime(2027, 1, 1, tzinfo=UTC))) == 14  # over: its weeks alone
