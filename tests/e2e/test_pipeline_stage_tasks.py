"""A stage's required tasks through the HTTP API, embedded: an admin defines them, a deal
entering the stage gets them, and leaving forward is a 422 naming the open ones until done."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.e2e.test_pipeline_api import deal_in_pipeline
from tests.support.identities import ADMIN, REP

QUOTE = {"key": "send_quote", "subject": "发送报价单 Send the quotation", "due_in_days": 3}


@pytest.fixture
def client(sqlite_settings, monkeypatch, clock):
    monkeypatch.setenv("CRM_PIPELINE_RULES", json.dumps({"alert_interval_seconds": 0.05}))
    with TestClient(create_app(sqlite_settings, clock=clock)) as http:
        yield http


def stages_with(client, key: str, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The current stage set, with `tasks` required by stage `key`."""
    stages = [dict(s) for s in client.get("/pipeline/stages", headers=REP).json()["stages"]]
    for stage in stages:
        if stage["key"] == key:
            stage["required_tasks"] = tasks
    return stages


def test_a_proposal_task_holds_the_deal_until_done(client, clock):
    defined = client.put(
        "/pipeline/pipelines/default", headers=ADMIN, json={"stages": stages_with(client, "proposal", [QUOTE])}
    )
    assert defined.status_code == 200
    proposal = next(s for s in defined.json()["stages"] if s["key"] == "proposal")
    assert proposal["required_tasks"] == [QUOTE]
    deal_id = deal_in_pipeline(client)
    entered = client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal"})
    assert entered.status_code == 200
    [task] = [a for a in entered.json()["activities"] if a["required_by_stage"] == "proposal"]
    assert (task["kind"], task["required_task"], task["subject"], task["done"]) == (
        "task",
        "send_quote",
        QUOTE["subject"],
        False,
    )
    assert task["owner_id"] == entered.json()["owner_id"]

    refused = client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "negotiation"})
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "to_stage"]
    assert f"send_quote ({QUOTE['subject']})" in error["msg"]

    done = client.post(f"/pipeline/deals/{deal_id}/activities/{task['activity_id']}/done", headers=REP)
    assert done.status_code == 200 and done.json()["required_by_stage"] == "proposal"
    moved = client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "negotiation"})
    assert moved.status_code == 200 and moved.json()["stage"] == "negotiation"
    # Back to the proposal and on again: the quotation was sent, no second task.
    client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal"})
    again = client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "negotiation"})
    assert again.status_code == 200
    assert [a["required_task"] for a in again.json()["activities"] if a["required_by_stage"]] == ["send_quote"]


@pytest.mark.parametrize(
    ("task", "loc"),
    [
        (QUOTE | {"subject": ""}, ["required_tasks", 0, "subject"]),
        (QUOTE | {"subject": "   "}, ["required_tasks", 0, "subject"]),
        (QUOTE | {"subject": "send\u0000quote"}, ["required_tasks", 0, "subject"]),
        (QUOTE | {"due_in_days": -1}, ["required_tasks", 0, "due_in_days"]),
        (QUOTE | {"due_in_days": 10**9}, ["required_tasks", 0, "due_in_days"]),
        (QUOTE | {"key": "Send Quote"}, ["required_tasks", 0, "key"]),
        (QUOTE | {"assignee": "rep-2"}, ["required_tasks", 0, "assignee"]),
    ],
)
def test_the_stage_set_put_refuses_a_bad_required_task_naming_its_field(client, task, loc):
    stages = stages_with(client, "proposal", [task])
    at = next(i for i, s in enumerate(stages) if s["key"] == "proposal")
    refused = client.put("/pipeline/pipelines/default", headers=ADMIN, json={"stages": stages})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "stages", at, *loc]
    assert client.get("/pipeline/stages", headers=REP).json()["stages"][at]["required_tasks"] == []


def test_the_stage_set_put_refuses_two_tasks_with_one_key(client):
    stages = stages_with(client, "proposal", [QUOTE, QUOTE | {"subject": "again"}])
    at = next(i for i, s in enumerate(stages) if s["key"] == "proposal")
    refused = client.put("/pipeline/pipelines/default", headers=ADMIN, json={"stages": stages})
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "stages", at, "required_tasks"]
    assert "unique" in error["msg"]
