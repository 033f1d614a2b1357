"""What-if over HTTP, embedded: the recorded history replayed under other recycling rules
and other stage probabilities, by the roles the table lets, recording nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from shared.clock import FixedClock
from tests.support.flow import CLOSE_PERIOD
from tests.support.identities import ADMIN, AUDITOR, MANAGER, REP, WEST_MANAGER
from tests.support.whatif import NOW, T0, record_history


@pytest.fixture
def history(sqlite_settings):
    with TestClient(create_app(sqlite_settings, clock=FixedClock(T0))) as http:
        won, open_ = record_history(http)
        yield http, won, open_


def recycling(http, headers=MANAGER, **rules):
    body = {"from": T0.date().isoformat(), "to": NOW.date().isoformat(), "default": rules}
    return http.post("/registration/what-if/recycling", headers=headers, json=body)


def recorded(http) -> int:
    return sum(s.app.recorder.max_notification_id() or 0 for s in http.app.state.services.values())


def test_a_ten_day_rule_would_have_recycled_both_deals_and_one_was_won_later(history):
    http, won, open_ = history
    before = recorded(http)
    answer = recycling(http, stale_days=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    alternative = body["alternative"]
    assert alternative["rules"]["default"]["stale_days"] == 10
    assert alternative["rules"]["default"]["close_date_grace_days"] == 30  # kept from the rules in force
    by_deal = {d["deal_id"]: d for d in alternative["deals"]}
    assert set(by_deal) == {won, open_}
    assert datetime.fromisoformat(by_deal[won]["at"]) == T0 + timedelta(days=10)
    assert datetime.fromisoformat(by_deal[open_]["at"]) == NOW - timedelta(days=5)
    assert (by_deal[won]["later_won"], by_deal[won]["outcome"], by_deal[won]["won_by"]) == (True, "won", "rep-1")
    assert (by_deal[open_]["later_won"], by_deal[open_]["outcome"]) == (False, None)
    assert alternative["later_won"] == 1
    assert alternative["later_won_value"] == [{"amount": "100000.00", "currency": "CNY"}]
    assert body["replayed_events"] > 0
    assert recorded(http) == before, "a what-if recorded something"


def test_the_rules_in_force_recycle_only_the_deal_left_thirty_days_and_sixty_recycle_none(history):
    http, won, _ = history
    body = recycling(http, stale_days=60).json()
    assert [(d["deal_id"], d["later_won"]) for d in body["in_force"]["deals"]] == [(won, True)]
    assert datetime.fromisoformat(body["in_force"]["deals"][0]["at"]) == T0 + timedelta(days=30)
    assert body["alternative"]["deals"] == [] and body["alternative"]["later_won"] == 0


def test_the_reach_of_the_caller_limits_the_deals_and_a_rep_is_refused(history):
    http, _, _ = history
    assert recycling(http, headers=WEST_MANAGER, stale_days=10).json()["alternative"]["deals"] == []
    assert len(recycling(http, headers=AUDITOR, stale_days=10).json()["alternative"]["deals"]) == 2
    assert recycling(http, headers=REP, stale_days=10).status_code == 403
    refused = http.post(
        "/forecast/what-if/probabilities", headers=REP, json={"period": CLOSE_PERIOD, "probabilities": {"a": 1}}
    )
    assert refused.status_code == 403


def test_bad_rules_are_422_naming_the_field(history):
    http, _, _ = history
    assert "stale_days" in recycling(http, stale_days=0).text
    backwards = http.post(
        "/registration/what-if/recycling", headers=MANAGER, json={"from": "2026-05-01", "to": "2026-04-01"}
    )
    assert backwards.status_code == 422
    wrong = http.post(
        "/forecast/what-if/probabilities", headers=MANAGER, json={"period": CLOSE_PERIOD, "probabilities": {"x": 101}}
    )
    assert wrong.status_code == 422 and "probabilities" in wrong.text


def test_the_forecast_under_other_stage_probabilities_beside_the_one_shown(history):
    http, _, open_ = history
    stage = http.get(f"/pipeline/deals/{open_}", headers=ADMIN).json()
    answer = http.post(
        "/forecast/what-if/probabilities",
        headers=ADMIN,
        json={"period": CLOSE_PERIOD, "probabilities": {stage["stage"]: 100}, "dates": [datetime.now(UTC).isoformat()]},
    )
    assert answer.status_code == 200, answer.text
    (point,) = answer.json()["points"]
    shown = Decimal(point["in_force"]["forecast"][0]["amount"])
    other = Decimal(point["alternative"]["forecast"][0]["amount"])
    assert other - shown == Decimal("200000.00") * (100 - stage["probability"]) / 100
