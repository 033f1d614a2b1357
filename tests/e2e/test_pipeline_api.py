"""The pipeline through the HTTP API, embedded: stage sets, edits, activities, closing, views."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.flow import CLOSE_DATE, capture_and_convert, eventually, pipeline_stage
from tests.support.identities import ADMIN, MANAGER, REP


@pytest.fixture
def client(sqlite_settings, monkeypatch, clock):
    monkeypatch.setenv("CRM_PIPELINE_RULES", json.dumps({"alert_interval_seconds": 0.05, "close_date_alert_days": 7}))
    with TestClient(create_app(sqlite_settings, clock=clock)) as http:
        yield http


def deal_in_pipeline(
    client, company: str = "ACME 有限公司", amount: str = "100000.00", closes: date = CLOSE_DATE
) -> str:
    _, deal_id = capture_and_convert(client, company=company, amount=amount, closes=closes)
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    return deal_id


def test_the_seeds_story_from_prospecting_to_won_with_time_in_each_stage(client, clock):
    deal_id = deal_in_pipeline(client)
    for days, stage in ((2, "needs_analysis"), (5, "proposal"), (7, "negotiation")):
        clock.advance(days=days)
        assert client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": stage}).status_code == 200
    moved = client.patch(
        f"/pipeline/deals/{deal_id}",
        headers=REP,
        json={"expected_close_date": (CLOSE_DATE + timedelta(days=41)).isoformat()},
    )
    assert moved.json()["close_date_slips"] == 1
    clock.advance(days=3)
    won = client.post(f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "won", "reason": "best fit"})
    assert won.status_code == 200
    detail = client.get(f"/pipeline/deals/{deal_id}", headers=REP).json()
    assert [h["stage"] for h in detail["stage_history"]] == [
        "prospecting",
        "needs_analysis",
        "proposal",
        "negotiation",
        "closed_won",
    ]
    days = [h["seconds_in_stage"] / 86400 for h in detail["stage_history"][:-1]]
    assert [round(d, 3) for d in days[1:]] == [5, 7, 3]
    assert detail["outcome"] == "won" and detail["probability"] == 100


def test_an_admin_defines_a_stage_set_and_a_rep_may_not(client):
    stages = {
        "stages": [
            {
                "key": "lead_in",
                "labels": {"en": "Lead in", "zh": "线索"},
                "probability": 5,
                "forecast_category": "pipeline",
            },
            {
                "key": "quote",
                "labels": {"en": "Quote"},
                "probability": 60,
                "forecast_category": "best_case",
                "exit_criteria": ["decision_maker"],
            },
            {"key": "won", "labels": {"en": "Won"}, "probability": 100, "forecast_category": "closed", "state": "won"},
            {
                "key": "lost",
                "labels": {"en": "Lost"},
                "probability": 0,
                "forecast_category": "omitted",
                "state": "lost",
            },
        ]
    }
    assert client.put("/pipeline/pipelines/default", headers=REP, json=stages).status_code == 403
    defined = client.put("/pipeline/pipelines/default", headers=ADMIN, json=stages)
    assert defined.status_code == 200
    assert [s["key"] for s in defined.json()["stages"] if not s["retired"]] == ["lead_in", "quote", "won", "lost"]
    _, deal_id = capture_and_convert(client)
    eventually(lambda: pipeline_stage(client, deal_id) == "lead_in")
    client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "quote"})
    closed = client.post(f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "won"})
    assert closed.json()["stage"] == "won"  # the company's own won stage
    board = client.get("/pipeline/board", headers=REP).json()
    assert [c["stage"] for c in board["columns"]] == ["lead_in", "quote", "won", "lost"]


def test_exit_criteria_are_a_422_naming_what_is_missing(client):
    stages = [dict(s) for s in client.get("/pipeline/stages", headers=REP).json()["stages"]]
    for stage in stages:
        if stage["key"] == "proposal":
            stage["exit_criteria"] = ["competitors", "decision_maker"]
    assert client.put("/pipeline/pipelines/default", headers=ADMIN, json={"stages": stages}).status_code == 200
    deal_id = deal_in_pipeline(client)
    client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal"})
    refused = client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "negotiation"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "to_stage"]
    assert "competitors, decision_maker" in refused.json()["detail"][0]["msg"]


def test_activities_and_tasks_over_http(client, clock):
    deal_id = deal_in_pipeline(client)
    call = client.post(f"/pipeline/deals/{deal_id}/activities", headers=REP, json={"kind": "call", "subject": "intro"})
    assert call.status_code == 201
    no_due = client.post(
        f"/pipeline/deals/{deal_id}/activities", headers=REP, json={"kind": "task", "subject": "quote"}
    )
    assert no_due.status_code == 422 and no_due.json()["detail"][0]["loc"] == ["body", "due_at"]
    due = (clock.now() + timedelta(hours=1)).isoformat()
    task = client.post(
        f"/pipeline/deals/{deal_id}/activities", headers=REP, json={"kind": "task", "subject": "quote", "due_at": due}
    )
    task_id = task.json()["activity_id"]
    clock.advance(hours=2)

    def overdue_alerted():
        deal = client.app.state.services["pipeline"].app.get_deal(deal_id)
        return any(a.startswith(f"task:{task_id}") for a in deal.alerts)

    eventually(overdue_alerted)
    done = client.post(f"/pipeline/deals/{deal_id}/activities/{task_id}/done", headers=REP)
    assert done.json()["done"] is True


def test_lost_needs_a_listed_reason_and_a_competitor_when_lost_to_one(client):
    deal_id = deal_in_pipeline(client)
    bad = client.post(f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "lost", "reason": "fate"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "reason"]
    no_name = client.post(
        f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "lost", "reason": "competitor"}
    )
    assert no_name.json()["detail"][0]["loc"] == ["body", "competitor"]
    lost = client.post(
        f"/pipeline/deals/{deal_id}/close",
        headers=REP,
        json={"outcome": "lost", "reason": "competitor", "competitor": "Kingdee"},
    )
    assert lost.json()["competitor"] == "Kingdee"
    again = client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal"})
    assert again.status_code == 409
    assert client.post(f"/pipeline/deals/{deal_id}/reopen", headers=REP, json={}).status_code == 403
    assert client.post(f"/pipeline/deals/{deal_id}/reopen", headers=MANAGER, json={}).json()["stage"] == "prospecting"


def test_the_list_view_filters_searches_sorts_and_pages_with_a_cursor(client):
    ids = [deal_in_pipeline(client, company=f"Customer {n} 有限公司", amount=f"{1000 * (n + 1)}.00") for n in range(5)]
    client.post(f"/pipeline/deals/{ids[0]}/stage", headers=REP, json={"to_stage": "proposal"})

    def page(**params):
        return client.get("/pipeline/deals", headers=REP, params=params).json()

    eventually(lambda: page(stage="proposal")["items"])
    assert [i["deal_id"] for i in page(stage="proposal")["items"]] == [ids[0]]
    assert [i["deal_id"] for i in page(q="customer 3")["items"]] == [ids[3]]
    first = page(sort="-amount", limit=2)
    assert [i["value"]["amount"] for i in first["items"]] == ["5000.00", "4000.00"]
    second = page(sort="-amount", limit=2, cursor=first["next_cursor"])
    third = page(sort="-amount", limit=2, cursor=second["next_cursor"])
    assert [i["value"]["amount"] for i in second["items"] + third["items"]] == ["3000.00", "2000.00", "1000.00"]
    assert third["next_cursor"] is None
    assert client.get("/pipeline/deals", headers=REP, params={"sort": "colour"}).json()["detail"][0]["loc"] == [
        "query",
        "sort",
    ]
    assert client.get("/pipeline/deals", headers=REP, params={"cursor": "garbage"}).status_code == 422


def test_the_board_counts_and_weighs_each_column(client):
    a = deal_in_pipeline(client, company="Board A", amount="100000.00")
    b = deal_in_pipeline(client, company="Board B", amount="50000.00")
    client.post(f"/pipeline/deals/{a}/stage", headers=REP, json={"to_stage": "proposal"})
    client.patch(f"/pipeline/deals/{b}", headers=REP, json={"probability": 50})

    def columns():
        board = client.get("/pipeline/board", headers=REP).json()
        by_stage = {c["stage"]: c for c in board["columns"]}
        return (
            by_stage
            if by_stage["proposal"]["count"] == 1 and by_stage["prospecting"]["weighted"][0]["amount"] == "25000.00"
            else None
        )

    by_stage = eventually(columns)
    assert by_stage["proposal"]["weighted"] == [{"amount": "65000.00", "currency": "CNY"}]
    assert by_stage["prospecting"]["total"] == [{"amount": "50000.00", "currency": "CNY"}]


def test_a_board_column_shows_its_first_cards_and_pages_on_through_the_list_view(client):
    ids = [deal_in_pipeline(client, company=f"Column {n}", amount=f"{n + 1}000.00") for n in range(3)]

    def column():
        board = client.get("/pipeline/board", headers=REP, params={"cards": 2}).json()
        first = next(c for c in board["columns"] if c["stage"] == "prospecting")
        return first if first["count"] == 3 else None

    first = eventually(column)
    assert first["total"] == [{"amount": "6000.00", "currency": "CNY"}]  # every deal, not just the cards
    assert len(first["cards"]) == 2 and first["next_cursor"]
    rest = client.get(
        "/pipeline/deals", headers=REP, params={"stage": "prospecting", "cursor": first["next_cursor"]}
    ).json()["items"]
    assert sorted(c["deal_id"] for c in first["cards"] + rest) == sorted(ids)


def test_the_close_date_alert_is_raised_once_by_the_job(client, clock):
    deal_id = deal_in_pipeline(client)  # closes on CLOSE_DATE (see capture_and_convert)
    # A day later, so the job alerts it only once the clock has moved on: its alert shows
    # that a pass of the job after the move has looked at every open deal.
    marker_id = deal_in_pipeline(client, company="Alert Marker Ltd", closes=CLOSE_DATE + timedelta(days=1))
    service = client.app.state.services["pipeline"]
    clock.set(
        datetime(CLOSE_DATE.year, CLOSE_DATE.month, CLOSE_DATE.day, 12, tzinfo=UTC) - timedelta(days=7)
    )  # 7 days left
    eventually(lambda: service.app.get_deal(deal_id).alerts)
    assert service.app.get_deal(marker_id).alerts == []  # 8 days left
    clock.advance(days=1)

    def marker_alerted() -> bool:
        """a pass of the job after the clock moved has alerted the marker"""
        return bool(service.app.get_deal(marker_id).alerts)

    eventually(marker_alerted)
    assert service.app.get_deal(deal_id).alerts == [f"close:{CLOSE_DATE.isoformat()}"]
