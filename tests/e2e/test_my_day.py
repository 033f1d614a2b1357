"""My day through the HTTP API, embedded: a rep's open tasks (overdue, today, upcoming) and
meetings across their deals, bucketed by the company's day (Asia/Shanghai); a manager sees a
rep of their team or the whole team; a rep sees no one else's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from shared.clock import FixedClock
from tests.e2e.test_pipeline_api import deal_in_pipeline
from tests.support.flow import eventually
from tests.support.identities import ADMIN, MANAGER, REP, REP2, WEST_MANAGER, as_user

# 00:30 on 4 December in Shanghai, still 3 December in UTC: "today" is the 4th.
NOW = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def client(sqlite_settings, monkeypatch, clock):
    monkeypatch.setenv("CRM_PIPELINE_RULES", json.dumps({"alert_interval_seconds": 3600}))
    with TestClient(create_app(sqlite_settings, clock=clock)) as http:
        yield http


def log(client, deal_id: str, kind: str, subject: str, at: datetime, headers=REP) -> str:
    field = "due_at" if kind == "task" else "occurred_at"
    body = {"kind": kind, "subject": subject, field: at.isoformat()}
    response = client.post(f"/pipeline/deals/{deal_id}/activities", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["activity_id"])


def subjects(day: dict, bucket: str) -> list[str]:
    return [item["subject"] for item in day[bucket]]


def test_a_reps_tasks_fall_into_overdue_today_and_upcoming_by_the_shanghai_day(client):
    deal_id = deal_in_pipeline(client)
    log(client, deal_id, "task", "yesterday in Shanghai", datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    log(client, deal_id, "task", "today, though the 3rd in UTC", datetime(2026, 12, 3, 16, 10, tzinfo=UTC))
    log(client, deal_id, "task", "today, late evening", datetime(2026, 12, 4, 15, 59, tzinfo=UTC))
    log(client, deal_id, "task", "tomorrow in Shanghai", datetime(2026, 12, 4, 16, 0, tzinfo=UTC))
    shanghai = timezone(timedelta(hours=8))
    log(client, deal_id, "task", "today, given in Shanghai time", datetime(2026, 12, 4, 23, 0, tzinfo=shanghai))
    log(client, deal_id, "task", "beyond the week", NOW + timedelta(days=9))
    log(client, deal_id, "visit", "拜访 the plant", NOW + timedelta(hours=10))
    log(client, deal_id, "meeting", "last week's meeting", NOW - timedelta(days=6))
    log(client, deal_id, "call", "calls are not on the agenda", NOW)

    day = eventually(lambda: (d := client.get("/pipeline/my-day", headers=REP).json())["meetings"] and d)
    assert (day["date"], day["timezone"], day["owners"]) == ("2026-12-04", "Asia/Shanghai", ["rep-1"])
    assert subjects(day, "overdue") == ["yesterday in Shanghai"]
    assert subjects(day, "today") == [
        "today, though the 3rd in UTC",
        "today, given in Shanghai time",
        "today, late evening",
    ]
    assert subjects(day, "upcoming") == ["tomorrow in Shanghai"]
    assert [(m["kind"], m["subject"]) for m in day["meetings"]] == [("visit", "拜访 the plant")]
    assert day["today"][0]["deal_id"] == deal_id and day["today"][0]["owner_id"] == "rep-1"
    assert day["counts"] == {"overdue": 1, "today": 3, "upcoming": 1, "meetings": 1}
    first = client.get("/pipeline/my-day", headers=REP, params={"limit": 1}).json()
    assert subjects(first, "today") == ["today, though the 3rd in UTC"] and first["counts"]["today"] == 3


def test_a_task_completed_from_my_day_leaves_it(client):
    deal_id = deal_in_pipeline(client)
    task = log(client, deal_id, "task", "send the quotation", NOW + timedelta(hours=2))
    eventually(lambda: subjects(client.get("/pipeline/my-day", headers=REP).json(), "today"))
    done = client.post(f"/pipeline/deals/{deal_id}/activities/{task}/done", headers=REP)
    assert done.status_code == 200 and done.json()["done"] is True
    eventually(lambda: not subjects(client.get("/pipeline/my-day", headers=REP).json(), "today"))


def test_a_closed_deals_open_tasks_leave_my_day(client):
    deal_id = deal_in_pipeline(client)
    log(client, deal_id, "task", "follow up", NOW + timedelta(hours=2))
    eventually(lambda: subjects(client.get("/pipeline/my-day", headers=REP).json(), "today"))
    closed = client.post(f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "lost", "reason": "price"})
    assert closed.status_code == 200
    eventually(lambda: not subjects(client.get("/pipeline/my-day", headers=REP).json(), "today"))


def test_a_manager_sees_one_rep_of_the_team_or_the_whole_team(client):
    deal_id = deal_in_pipeline(client)
    log(client, deal_id, "task", "rep-1's task", NOW + timedelta(hours=2))
    eventually(lambda: subjects(client.get("/pipeline/my-day?owner=rep-1", headers=MANAGER).json(), "today"))
    team = client.get("/pipeline/my-day?team=east", headers=MANAGER).json()
    assert "rep-1" in team["owners"] and subjects(team, "today") == ["rep-1's task"]
    assert subjects(client.get("/pipeline/my-day", headers=MANAGER).json(), "today") == []  # the manager's own
    assert subjects(client.get("/pipeline/my-day?team=east", headers=ADMIN).json(), "today") == ["rep-1's task"]


@pytest.mark.parametrize(
    ("headers", "query", "status"),
    [
        (REP2, "owner=rep-1", 403),
        (REP, "team=east", 403),
        (WEST_MANAGER, "owner=rep-1", 403),
        (WEST_MANAGER, "team=east", 403),
        (MANAGER, "team=nowhere", 404),
        (as_user("partner-a-1", "partner", partner="org-a"), "", 403),
    ],
)
def test_nobody_sees_a_day_out_of_their_reach(client, headers, query, status):
    assert client.get(f"/pipeline/my-day?{query}", headers=headers).status_code == status


def test_asking_for_an_owner_and_a_team_at_once_is_refused_naming_the_field(client):
    refused = client.get("/pipeline/my-day?owner=rep-1&team=east", headers=MANAGER)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "team"]


def test_my_day_rebuilt_from_the_event_store_is_the_day_it_was(sqlite_settings, monkeypatch, clock):
    monkeypatch.setenv("CRM_PIPELINE_RULES", json.dumps({"alert_interval_seconds": 3600}))
    with TestClient(create_app(sqlite_settings, clock=clock)) as client:
        deal_id = deal_in_pipeline(client)
        done = log(client, deal_id, "task", "done already", NOW + timedelta(hours=1))
        client.post(f"/pipeline/deals/{deal_id}/activities/{done}/done", headers=REP)
        log(client, deal_id, "task", "still open", NOW + timedelta(hours=2))
        log(client, deal_id, "visit", "拜访", NOW + timedelta(days=1))
        day = eventually(lambda: (d := client.get("/pipeline/my-day", headers=REP).json())["meetings"] and d)
    rebuilt_settings = sqlite_settings.model_copy(update={"recreate_views": True})
    with TestClient(create_app(rebuilt_settings, clock=clock)) as client:
        rebuilt = eventually(lambda: (d := client.get("/pipeline/my-day", headers=REP).json())["meetings"] and d)
    assert rebuilt == day and subjects(rebuilt, "today") == ["still open"]
