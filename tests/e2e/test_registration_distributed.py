"""Registration's rules across processes, on PostgreSQL and the broker."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from tests.support.flow import CLOSE_DATE, eventually, pipeline_stage
from tests.support.identities import MANAGER, REP, REP2, as_user
from tests.support.processes import running_cluster

pytestmark = pytest.mark.slow

ALONE = CLOSE_DATE + timedelta(days=90)  # a month of its own: every other deal here closes on CLOSE_DATE


@pytest.fixture(scope="module")
def cluster(database_url, kafka, tmp_path_factory):
    rules = {"holding_limit": 5, "holding_limits": {"rep-limited": 1}}
    with running_cluster(
        database_url, kafka, tmp_path_factory.mktemp("registration"), {"CRM_REGISTRATION_RULES": json.dumps(rules)}
    ) as running:
        yield running


def register(http, account: str, headers=REP, amount: str = "100000.00", closes: str = CLOSE_DATE.isoformat()):
    return http.post(
        "/registration/deals",
        headers=headers,
        json={
            "name": f"{account} deal",
            "account": {"name": account},
            "value": {"amount": amount, "currency": "CNY"},
            "expected_close_date": closes,
        },
    )


def test_reps_racing_to_register_one_customer_exactly_one_wins(cluster):
    answers: list[int] = []
    conflicts: set[str] = set()
    barrier = threading.Barrier(8)

    def race(n: int) -> None:
        client = cluster.processes["registration"].client()
        barrier.wait()
        response = register(client, "同时报备科技有限公司", headers={"X-User-Id": f"racer-{n}"})
        answers.append(response.status_code)
        if response.status_code == 409:
            conflicts.add(response.json()["conflicting_deal_id"])

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201] + [409] * 7
    assert len(conflicts) == 1  # every loser names the one winner


def test_recycle_pool_claim_and_pipeline_and_forecast_follow_the_new_owner(cluster):
    http = cluster.http
    deal_id = register(http, "Recycled Pool Co", closes=ALONE.isoformat()).json()["deal_id"]  # alone in its month
    eventually(lambda: pipeline_stage(http, deal_id) == "prospecting")
    assert (
        http.post(f"/registration/deals/{deal_id}/recycle", headers=MANAGER, json={"reason": "left"}).status_code == 200
    )
    eventually(
        lambda: any(i["deal_id"] == deal_id for i in http.get("/registration/pool", headers=REP2).json()["items"])
    )
    assert http.post(f"/registration/deals/{deal_id}/claim", headers=REP2).status_code == 200
    eventually(lambda: http.get(f"/pipeline/deals/{deal_id}", headers=REP2).json().get("owner_id") == "rep-2")

    def forecast_owner():
        answer = http.get(
            "/forecast/pipeline", headers=MANAGER, params={"period": f"{ALONE:%Y-%m}", "group_by": "owner"}
        ).json()
        return {group["key"] for group in answer["groups"]} == {"rep-2"} or None

    eventually(forecast_owner)


def test_a_rep_at_the_holding_limit_gets_a_409(cluster):
    limited = as_user("rep-limited")
    assert register(cluster.http, "Limit One", headers=limited).status_code == 201
    refused = register(cluster.http, "Limit Two", headers=limited)
    assert refused.status_code == 409
    assert refused.json()["limit"] == "1"


def test_an_import_with_bad_rows_keeps_the_good_ones(cluster):
    csv = (
        "name,account_name,amount,expected_close_date\n"
        f"Good,Import Good Co,1000,{CLOSE_DATE}\n"
        f"Bad,Import Bad Co,minus,{CLOSE_DATE}\n"
        "Past,Import Past Co,1000,2020-01-01\n"
    ).encode()
    answer = cluster.http.post("/registration/imports/deals", headers=REP, files={"file": ("d.csv", csv)}).json()
    assert [entry["status"] for entry in answer["report"]] == ["created", "refused", "refused"]
    assert answer["report"][2]["errors"][0]["field"] == "expected_close_date"
    created = answer["report"][0]["id"]
    eventually(lambda: pipeline_stage(cluster.http, created) == "prospecting")


def test_a_partner_deal_won_in_the_pipeline_counts_in_the_partner_report(cluster):
    """Registration → pipeline → registration over the broker: the partner registers, its
    channel manager approves, the pipeline closes the deal won, and the partner report (in
    registration, which hears the close) holds the value won."""
    http = cluster.http
    admin, channel = as_user("admin-1", "admin"), as_user("mgr-channel", "manager", ["channel"])
    partner = as_user("partner-d-1", "partner", partner="org-dist")
    body = {"partner_id": "org-dist", "name": "分布式渠道", "channel_managers": ["mgr-channel"]}
    assert http.post("/registration/partners", headers=admin, json=body).status_code == 201
    registered = register(http, "渠道赢单科技有限公司", headers=partner, amount="88000.00")
    assert registered.status_code == 201 and registered.json()["registration_status"] == "pending"
    deal_id = registered.json()["deal_id"]
    assert register(http, "渠道赢单科技有限公司", headers=REP).json()["conflicting_deal_id"] == deal_id
    assert http.post(f"/registration/deals/{deal_id}/approve", headers=channel).status_code == 200
    eventually(lambda: pipeline_stage(http, deal_id) == "prospecting")
    assert http.post(f"/pipeline/deals/{deal_id}/close", headers=admin, json={"outcome": "won"}).status_code == 200

    def row():
        items = http.get("/registration/partners/report", headers=channel).json()["items"]
        found = [item for item in items if item["partner_id"] == "org-dist"]
        return found[0] if found and found[0]["won_deals"] else None

    figures = eventually(row, timeout=60)
    assert (figures["registrations"], figures["approved"], figures["approval_rate"]) == (1, 1, 1.0)
    assert figures["won"] == [{"amount": "88000.00", "currency": "CNY"}]
    seen = http.get(f"/registration/deals/{deal_id}", headers=partner).json()
    assert (seen["registration_status"], seen["outcome"]) == ("approved", "won")
