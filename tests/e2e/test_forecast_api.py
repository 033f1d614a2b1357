"""The forecast through the HTTP API, embedded: as-of, targets, reports, changes, snapshots."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.flow import CLOSE_PERIOD, capture_and_convert, eventually, pipeline_stage
from tests.support.identities import MANAGER, REP


@pytest.fixture
def client(sqlite_settings, monkeypatch):
    rules = {"teams": {"east": ["rep-1"]}, "base_currency": "CNY", "rates": {"USD": "7.10"}}
    monkeypatch.setenv("CRM_FORECAST_RULES", json.dumps(rules))
    with TestClient(create_app(sqlite_settings)) as http:
        yield http


def in_forecast(client, **params):
    return client.get("/forecast/pipeline", headers=MANAGER, params={"period": CLOSE_PERIOD, **params}).json()


def test_targets_attainment_and_teams_over_http(client):
    _, deal_id = capture_and_convert(client)
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    assert (
        client.put(
            f"/forecast/targets/rep-1/{CLOSE_PERIOD}", headers=REP, json={"amount": {"amount": "500000"}}
        ).status_code
        == 403
    )
    set_ = client.put(
        f"/forecast/targets/rep-1/{CLOSE_PERIOD}",
        headers=MANAGER,
        json={"amount": {"amount": "500000", "currency": "CNY"}},
    )
    assert set_.status_code == 200
    assert (
        client.put(
            f"/forecast/team-targets/east/{CLOSE_PERIOD}", headers=MANAGER, json={"amount": {"amount": "900000"}}
        ).status_code
        == 200
    )
    assert (
        client.put(
            f"/forecast/team-targets/west/{CLOSE_PERIOD}", headers=MANAGER, json={"amount": {"amount": "1"}}
        ).status_code
        == 422
    )
    assert (
        client.put("/forecast/targets/rep-1/2026-Q9", headers=MANAGER, json={"amount": {"amount": "1"}}).status_code
        == 422
    )

    def owner_group():  # the target and the deal are projected apart: wait for both
        groups = in_forecast(client, group_by="owner")["groups"]
        return groups[0] if groups and "target" in groups[0] and groups[0]["count"] == 1 else None

    rep = eventually(owner_group)
    assert (rep["key"], rep["attainment"], rep["gap"]["amount"]) == ("rep-1", 0.0, "500000.00")
    assert rep["coverage"] == 0.02  # 10,000 weighted / 500,000 to go

    def team_group():  # the team's target is projected a moment after the owner's
        groups = in_forecast(client, group_by="team")["groups"]
        return groups[0] if groups and "target" in groups[0] else None

    team = eventually(team_group)
    assert (team["key"], team["target"]["amount"]) == ("east", "900000.00")
    assert in_forecast(client)["total_in_base"] == {"amount": "100000.00", "currency": "CNY"}


def test_the_forecast_as_it_stood_before_a_move(client):
    _, deal_id = capture_and_convert(client)
    eventually(lambda: in_forecast(client)["count"] == 1)
    before_move = datetime.now(UTC)
    client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "negotiation"})
    eventually(lambda: in_forecast(client)["weighted"][0]["amount"] == "80000.00")
    then = in_forecast(client, as_of=before_move.isoformat())
    assert then["weighted"] == [{"amount": "10000.00", "currency": "CNY"}]
    assert then["as_of"] is not None
    explained = client.get(
        "/forecast/changes",
        headers=MANAGER,
        params={"period": CLOSE_PERIOD, "from": before_move.isoformat(), "to": datetime.now(UTC).isoformat()},
    ).json()
    assert explained["pieces"]["stage_moves"] == [{"amount": "70000.00", "currency": "CNY"}]


def test_every_report_answers_and_a_period_is_checked(client):
    _, deal_id = capture_and_convert(client)
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    client.post(f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "won"})
    year = str(datetime.now(UTC).year)

    def won_report():
        answer = client.get("/forecast/reports/win-rate", headers=MANAGER, params={"period": year}).json()
        return answer if answer["groups"] else None

    assert eventually(won_report)["groups"][0]["win_rate"] == 1.0
    for name in ("stage-conversion", "time-in-stage", "source-performance"):
        assert client.get(f"/forecast/reports/{name}", headers=MANAGER).status_code == 200
    for name in ("sales-cycle", "accuracy"):
        assert client.get(f"/forecast/reports/{name}", headers=MANAGER, params={"period": year}).status_code == 200
    missing = client.get("/forecast/reports/accuracy", headers=MANAGER)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["query", "period"]
    assert client.get("/forecast/reports/horoscope", headers=MANAGER).status_code == 422
    assert client.get("/forecast/pipeline", headers=MANAGER, params={"period": "Q4"}).status_code == 422


def test_learned_probabilities_say_which_were_used(client):
    answer = in_forecast(client, probabilities="learned")
    assert answer["probabilities"] == "learned"


def test_a_snapshot_of_the_forecast_is_recorded_for_analytics(client):
    from services.forecast.publishing import to_public

    app = client.app.state.services["forecast"].app

    def published():  # the snapshot job runs at start-up, then every interval
        return [p for n in app.read_notifications(0, 100) if (p := to_public(app.to_domain_event(n)))]

    now = datetime.now(UTC)
    periods = {str(now.year), f"{now.year}-Q{(now.month - 1) // 3 + 1}", f"{now.year}-{now.month:02d}"}
    # One snapshot per period, recorded one after another: wait for all three, not the first.
    snapshots = eventually(lambda: len(found := published()) >= 3 and found)
    assert {p.data["period"] for p in snapshots} == periods
    assert {p.type for p in published()} == {"crm.forecast.snapshot_taken.v1"}


def test_each_group_is_split_by_forecast_category_only_when_asked(client):
    capture_and_convert(client)
    eventually(lambda: in_forecast(client)["count"] == 1)
    split = in_forecast(client, group_by="owner", by_category="true")
    [rep] = split["groups"]
    # the one deal (prospecting) is in pipeline: the split holds it there and nowhere else
    assert rep["categories"] == {"pipeline": {key: rep[key] for key in rep if key not in ("key", "categories")}}
    assert "categories" not in in_forecast(client, group_by="owner")["groups"][0]
