"""Activity reports through the HTTP API, embedded: what a rep did in a day and a week
(calls, meetings, visits, new deals, moves forward, value won) against the visit plan a
manager sets, by the company's calendar (Asia/Shanghai); the manager's weekly progress view
of the team; nobody sees a report out of their reach."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from shared.calendar import Calendar
from tests.e2e.test_pipeline_api import deal_in_pipeline
from tests.support.embedded import settle
from tests.support.flow import eventually
from tests.support.identities import ADMIN, MANAGER, REP, REP2, WEST_MANAGER

SHANGHAI = Calendar("Asia/Shanghai")


@pytest.fixture
def client(sqlite_settings, monkeypatch, clock):
    monkeypatch.setenv("CRM_PIPELINE_RULES", json.dumps({"alert_interval_seconds": 3600}))
    with TestClient(create_app(sqlite_settings, clock=clock)) as http:
        yield http


def log(client, deal_id: str, kind: str, at: datetime, headers=REP) -> None:
    body = {"kind": kind, "subject": f"{kind} at {at.isoformat()}", "occurred_at": at.isoformat()}
    assert client.post(f"/pipeline/deals/{deal_id}/activities", headers=headers, json=body).status_code == 201


def report(client, headers=REP, **params) -> dict:
    response = client.get("/forecast/activity", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_reps_week_counts_what_they_did_against_the_plan_and_the_manager_sees_it_in_the_team(client, clock):
    today = SHANGHAI.day_of(clock.now())
    week = SHANGHAI.week(today)
    monday, wednesday = week.first, week.first + timedelta(days=2)
    for period in sorted({str(week.first.year), str(week.last.year)}):
        assert (
            client.put(f"/forecast/visit-plans/rep-1/{period}", headers=MANAGER, json={"visits_per_day": 2}).json()[
                "visits_per_day"
            ]
            == 2
        )
    month = f"{today.year}-{today.month:02d}"
    assert (
        client.put(f"/forecast/visit-plans/rep-1/{month}", headers=MANAGER, json={"visits_per_day": 3}).status_code
        == 200
    )

    deal_id = deal_in_pipeline(client)  # a new deal, entering the pipeline now
    for stage in ("needs_analysis", "proposal", "needs_analysis"):  # two forward, one back
        assert client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": stage}).status_code == 200
    log(client, deal_id, "call", SHANGHAI.start_of(monday))  # Monday 00:00 in Shanghai
    log(client, deal_id, "call", SHANGHAI.start_of(monday) - timedelta(seconds=1))  # the Sunday before
    log(client, deal_id, "visit", SHANGHAI.start_of(wednesday + timedelta(days=1)) - timedelta(seconds=1))
    log(client, deal_id, "visit", SHANGHAI.start_of(wednesday) + timedelta(hours=9))
    log(client, deal_id, "meeting", SHANGHAI.start_of(wednesday) + timedelta(hours=14))
    log(client, deal_id, "email", SHANGHAI.start_of(wednesday))  # not counted
    log(client, deal_id, "call", SHANGHAI.start_of(wednesday), headers=MANAGER)  # the manager's, not rep-1's
    won = client.post(f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "won", "reason": "fit"})
    assert won.status_code == 200

    week_of_rep = eventually(
        lambda: (r := report(client, period="week", on=today.isoformat()))["total"]["deals_won"] and r
    )
    assert (week_of_rep["first"], week_of_rep["last"]) == (week.first.isoformat(), week.last.isoformat())
    [rep] = week_of_rep["reps"]
    planned = sum(3 if d.month == today.month else 2 for d in (monday + timedelta(days=n) for n in range(5)))
    assert {k: rep[k] for k in ("calls", "meetings", "visits", "new_deals", "moved_forward", "deals_won")} == {
        "calls": 1,
        "meetings": 1,
        "visits": 2,
        "new_deals": 1,
        "moved_forward": 2,
        "deals_won": 1,
    }
    assert rep["won"] == [{"amount": "100000.00", "currency": "CNY"}]
    assert (rep["planned_visits"], rep["visits_of_plan"]) == (planned, round(200 / planned))
    by_day = {d["date"]: d for d in rep["days"]}
    assert by_day[monday.isoformat()]["calls"] == 1
    assert by_day[wednesday.isoformat()]["visits"] == 2 and by_day[wednesday.isoformat()]["meetings"] == 1
    assert [by_day[(monday + timedelta(days=n)).isoformat()]["planned_visits"] for n in (5, 6)] == [0, 0]

    monday_only = report(client, period="day", on=monday.isoformat())
    assert (monday_only["first"], monday_only["total"]["calls"]) == (monday.isoformat(), 1)

    team = report(client, MANAGER, period="week", team="east", on=today.isoformat())
    reps = {r["owner_id"]: r for r in team["reps"]}
    assert reps["rep-1"]["visits"] == 2 and reps["rep-2"]["visits"] == 0
    assert team["total"]["planned_visits"] == planned  # the only rep with a plan
    managers = report(client, MANAGER, period="week", on=today.isoformat())
    assert managers["reps"][0]["owner_id"] == "mgr-1" and managers["total"]["calls"] == 1


@pytest.mark.parametrize(
    ("headers", "params", "status"),
    [
        (REP2, {"owner": "rep-1"}, 403),
        (REP, {"team": "east"}, 403),
        (WEST_MANAGER, {"owner": "rep-1"}, 403),
        (WEST_MANAGER, {"team": "east"}, 403),
        (MANAGER, {"team": "nowhere"}, 404),
        (ADMIN, {"team": "east"}, 200),
        (MANAGER, {"period": "month"}, 422),
        (MANAGER, {"on": "yesterday"}, 422),
    ],
)
def test_nobody_sees_a_report_out_of_their_reach(client, headers, params, status):
    assert client.get("/forecast/activity", headers=headers, params=params).status_code == status


@pytest.mark.parametrize(
    ("headers", "path", "body", "status", "loc"),
    [
        (REP, "rep-1/2026", {"visits_per_day": 2}, 403, None),
        (WEST_MANAGER, "rep-1/2026", {"visits_per_day": 2}, 403, None),
        (MANAGER, "nobody-known/2026", {"visits_per_day": 2}, 422, ["path", "owner_id"]),
        (MANAGER, "rep-1/2026-13", {"visits_per_day": 2}, 422, ["path", "period"]),
        (MANAGER, "rep-1/2026", {"visits_per_day": -1}, 422, ["body", "visits_per_day"]),
        (MANAGER, "rep-1/2026", {"visits_per_day": 2, "extra": 1}, 422, ["body", "extra"]),
    ],
)
def test_a_visit_plan_is_set_only_in_reach_and_bad_input_names_the_field(client, headers, path, body, status, loc):
    response = client.put(f"/forecast/visit-plans/{path}", headers=headers, json=body)
    assert response.status_code == status
    if loc is not None:
        assert response.json()["detail"][0]["loc"] == loc


def test_the_report_rebuilt_from_the_event_store_counts_the_same(sqlite_settings, monkeypatch, clock):
    monkeypatch.setenv("CRM_PIPELINE_RULES", json.dumps({"alert_interval_seconds": 3600}))
    with TestClient(create_app(sqlite_settings, clock=clock)) as client:
        deal_id = deal_in_pipeline(client)
        log(client, deal_id, "visit", clock.now())
        client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "needs_analysis"})
        week = eventually(lambda: (r := report(client, period="week"))["total"]["moved_forward"] and r)
    rebuilt_settings = sqlite_settings.model_copy(update={"recreate_views": True})
    with TestClient(create_app(rebuilt_settings, clock=clock)) as client:
        rebuilt = eventually(lambda: (r := report(client, period="week"))["total"]["moved_forward"] and r)
    assert rebuilt == week and (rebuilt["total"]["visits"], rebuilt["total"]["new_deals"]) == (1, 1)


def test_a_reopened_deal_is_no_move_forward(client):
    deal_id = deal_in_pipeline(client)
    assert (
        client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "needs_analysis"}).status_code
        == 200
    )
    lost = client.post(f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "lost", "reason": "price"})
    assert lost.status_code == 200
    reopened = client.post(f"/pipeline/deals/{deal_id}/reopen", headers=MANAGER, json={})
    assert reopened.status_code == 200
    eventually(lambda: client.get(f"/pipeline/deals/{deal_id}", headers=REP).json()["outcome"] is None)
    forecast_versions = 4  # entered, moved, lost, reopened: the forecast has recorded all four
    eventually(lambda: _forecast_version(client, deal_id) >= forecast_versions)
    settle(client.app)  # and its projector has applied them: the report reads the projection
    week = report(client, period="week")
    assert (week["total"]["new_deals"], week["total"]["moved_forward"], week["total"]["deals_won"]) == (1, 1, 0)


def _forecast_version(client, deal_id: str) -> int:
    from uuid import UUID

    from services.forecast.domain import Deal

    deal = client.app.state.services["forecast"].app.find(Deal, UUID(deal_id))
    return deal.version if deal else 0
