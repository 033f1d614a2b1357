"""Customer tiers across processes, on PostgreSQL and the broker: a deal won in the
pipeline's process reaches registration's, which counts the win toward the account's tier."""

from __future__ import annotations

import uuid

import pytest

from tests.support.flow import CLOSE_DATE, eventually, pipeline_stage
from tests.support.identities import ADMIN, AUDITOR, REP
from tests.support.processes import running_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(database_url, kafka, tmp_path_factory):
    with running_cluster(database_url, kafka, tmp_path_factory.mktemp("tiers")) as running:
        yield running


def test_a_deal_won_in_the_pipeline_gives_its_account_a_tier_in_registration(cluster):
    http = cluster.http
    body = {
        "name": "Tier across processes",
        "account": {"name": f"Tier Co {uuid.uuid4().hex[:8]}"},
        "value": {"amount": "250000.00", "currency": "CNY"},
        "expected_close_date": CLOSE_DATE.isoformat(),
    }
    deal_id = http.post("/registration/deals", headers=REP, json=body).json()["deal_id"]
    eventually(lambda: pipeline_stage(http, deal_id) == "prospecting")
    assert http.post(f"/pipeline/deals/{deal_id}/close", headers=ADMIN, json={"outcome": "won"}).status_code == 200

    def tier() -> str | None:
        return http.get(f"/registration/deals/{deal_id}", headers=REP).json()["account"]["tier"]

    assert eventually(tier, timeout=60) == "B"  # won today (3 points), once (1), 250k (2): 6 points
    account_id = http.get(f"/registration/deals/{deal_id}", headers=REP).json()["account"]["id"]
    account = http.get(f"/registration/accounts/{account_id}", headers=AUDITOR).json()
    assert [w["deal_id"] for w in account["won_deals"]] == [deal_id]
    assert (account["rfm"]["frequency"], account["rfm"]["monetary"], account["rfm"]["score"]) == (1, "250000.00", 6)
