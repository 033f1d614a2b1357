"""The demo data (crm/demo.py): recorded through the services' APIs by the embedded POST /demo
and by `crm demo`, once only, and never offered outside the embedded mode."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

import pytest
import uvicorn
from fastapi.testclient import TestClient

from crm.app import create_app
from crm.cli import main
from crm.demo_data import STORY_DEAL, STORY_EXTENDED_CLOSE_DAYS, plans
from crm.demo_data import quarter as quarter_of
from tests.support.embedded import embedded_settings, settle
from tests.support.identities import as_user
from tests.support.infrastructure import free_port

ADMIN = as_user("someone", "admin")
DEALS = 60


def board_count(client: TestClient) -> int:
    return sum(column["count"] for column in client.get("/pipeline/board", headers=ADMIN).json()["columns"])


def test_the_demo_records_the_story_deal_and_the_generated_ones_once(client):
    assert client.get("/demo").json() == {"loaded": False, "story_deal_id": None}
    report = client.post("/demo", params={"deals": DEALS}).json()
    assert report["loaded"] is True and report["deals"] == DEALS
    expected = Counter(plan.end for plan in plans(DEALS, 14))
    assert report["outcomes"] == dict(sorted(expected.items()))
    settle(client.app)

    story = client.get(f"/pipeline/deals/{report['story_deal_id']}", headers=ADMIN).json()
    assert story["name"] == STORY_DEAL and story["owner_id"] == "li.ming"
    assert [entry["stage"] for entry in story["stage_history"]] == [
        "prospecting",
        "needs_analysis",
        "proposal",
        "negotiation",
    ]
    registration = client.get(f"/registration/deals/{report['story_deal_id']}", headers=ADMIN).json()
    assert registration["registration_status"] == "approved"
    # the article's calls, emails, meetings, note and task, the past ones back-dated
    assert Counter(activity["kind"] for activity in story["activities"]) == {
        "call": 3,
        "meeting": 2,
        "email": 1,
        "note": 1,
        "task": 1,
    }
    registered_on = date.fromisoformat(story["stage_history"][0]["entered_at"][:10])
    # pushed from two months out to three, as the article's 李明 does
    assert story["expected_close_date"] == (registered_on + timedelta(days=STORY_EXTENDED_CLOSE_DAYS)).isoformat()

    # every registered deal but those waiting for review is on the board (the pool's without an owner)
    on_board = DEALS - expected["pending"] + 1
    assert board_count(client) == on_board
    queue = client.get("/registration/deals", headers=ADMIN, params={"status": "pending"}).json()
    assert queue["total"] == expected["pending"]
    assert len(client.get("/registration/pool", headers=ADMIN).json()["items"]) == expected["pool"]
    won = client.get("/pipeline/deals", headers=ADMIN, params={"stage": "closed_won", "limit": 500}).json()
    assert len(won["items"]) == expected["won"]

    again = client.post("/demo", params={"deals": DEALS}).json()
    assert again == {
        "loaded": False,
        "story_deal_id": report["story_deal_id"],
        "deals": 0,
        "outcomes": {},
        "targets": 0,
    }
    settle(client.app)
    assert board_count(client) == on_board
    assert client.get("/demo").json() == {"loaded": True, "story_deal_id": report["story_deal_id"]}


def test_the_demo_sets_targets_the_forecast_compares_with(client):
    report = client.post("/demo", params={"deals": 30}).json()
    # ten reps, this quarter and the next; and the one team the test settings name (CRM_TEAMS: east)
    assert report["targets"] == 2 * 10 + 2
    settle(client.app)
    quarter = quarter_of(date.today())
    forecast = client.get("/forecast/pipeline", headers=ADMIN, params={"period": quarter, "group_by": "owner"})
    targets = {group["key"]: group.get("target") for group in forecast.json()["groups"]}
    assert targets and all(target and target["currency"] == "CNY" for target in targets.values()), targets
    # and a visit plan for every rep: two visits on a Monday of this year
    monday = date.fromisocalendar(date.today().year, 10, 1).isoformat()
    day = client.get("/forecast/activity", headers=ADMIN, params={"period": "day", "on": monday, "owner": "li.ming"})
    assert day.json()["total"]["planned_visits"] == 2, day.text


def test_the_demo_route_is_absent_outside_the_embedded_mode(tmp_path):
    settings = embedded_settings(tmp_path)
    with TestClient(create_app(settings, ["pipeline"])) as one_service:
        assert one_service.get("/demo").status_code == 404
        assert one_service.post("/demo").status_code == 404
    with TestClient(create_app(embedded_settings(tmp_path / "k", kafka_bootstrap_servers="127.0.0.1:1"))) as bus:
        assert bus.post("/demo").status_code == 404


@pytest.fixture
def served(tmp_path):
    port = free_port()
    app = create_app(embedded_settings(tmp_path))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.05)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


def test_crm_demo_records_the_demo_in_a_running_server_once(served, capsys):
    app, url = served
    assert main(["demo", "--url", url, "--deals", "20", "--seed", "3"]) == 0
    assert "story deal" in capsys.readouterr().out
    assert main(["demo", "--url", url, "--deals", "20", "--seed", "3"]) == 0
    assert "already loaded" in capsys.readouterr().out
    settle(app)
    # the server is already running: a client without `with`, so its lifespan is not started twice
    assert board_count(TestClient(app)) == 20 - sum(p.end == "pending" for p in plans(20, 3)) + 1
