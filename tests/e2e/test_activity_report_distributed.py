"""The activity report across processes, on PostgreSQL and the broker: a visit logged in
the pipeline travels as a meeting with `visit: true` and reaches the forecast's report,
against the plan a manager set there."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from shared.calendar import Calendar
from tests.e2e.test_distributed import read_topic
from tests.support.flow import capture_and_convert, eventually, pipeline_stage
from tests.support.identities import MANAGER, REP
from tests.support.processes import running_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(database_url, kafka, tmp_path_factory):
    with running_cluster(database_url, kafka, tmp_path_factory.mktemp("activity")) as running:
        yield running


def test_a_visit_logged_in_the_pipeline_counts_in_the_forecasts_week_against_the_plan(cluster, kafka):
    http = cluster.http
    today = Calendar("Asia/Shanghai").day_of(datetime.now(UTC))
    plan = http.put(f"/forecast/visit-plans/rep-1/{today.year}", headers=MANAGER, json={"visits_per_day": 4})
    assert plan.status_code == 200, plan.text
    _, deal_id = capture_and_convert(http, company="Visits Distributed Ltd")
    eventually(lambda: pipeline_stage(http, deal_id) == "prospecting")
    for kind in ("visit", "call"):
        body = {"kind": kind, "subject": f"{kind} 拜访", "occurred_at": datetime.now(UTC).isoformat()}
        assert http.post(f"/pipeline/deals/{deal_id}/activities", headers=REP, json=body).status_code == 201

    def counted() -> dict | None:
        week = http.get("/forecast/activity", headers=REP, params={"period": "week"}).json()
        return week if week["total"]["visits"] == 1 and week["total"]["calls"] == 1 else None

    week = eventually(counted, timeout=30)
    [rep] = week["reps"]
    assert (rep["owner_id"], rep["new_deals"]) == ("rep-1", 1)
    weekdays = sum(1 for day in rep["days"] if datetime.fromisoformat(day["date"]).weekday() < 5)
    assert rep["planned_visits"] == 4 * weekdays

    records = asyncio.run(read_topic(kafka, cluster.topic_prefix + "crm.pipeline", until=10))
    logged = [
        json.loads(r.value)["data"]
        for r in records
        if r.key.decode() == deal_id and json.loads(r.value)["type"] == "crm.deal.activity_logged.v1"
    ]
    assert sorted((d["kind"], d["visit"]) for d in logged) == [("call", False), ("meeting", True)]
