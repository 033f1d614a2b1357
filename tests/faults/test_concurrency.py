"""Many writers on one deal at the same moment, on PostgreSQL: every answer is a success
that is recorded or a 409 that recorded nothing; no update is lost or overwritten."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.flow import CLOSE_DATE, eventually, pipeline_stage
from tests.support.identities import AUDITOR, REP

WRITERS = 12


@pytest.fixture
def client(postgres_settings):
    with TestClient(create_app(postgres_settings)) as http:
        yield http


def test_concurrent_edits_of_one_deal_are_each_recorded_or_refused_never_lost(client):
    deal_id = client.post(
        "/registration/deals",
        headers=REP,
        json={
            "name": "contested",
            "account": {"name": "Contested Writers Ltd."},
            "value": {"amount": "1000.00", "currency": "CNY"},
            "expected_close_date": CLOSE_DATE.isoformat(),
        },
    ).json()["deal_id"]
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting", timeout=30)

    barrier = threading.Barrier(WRITERS)
    answers: dict[str, int] = {}

    def write(n: int) -> None:
        amount = f"{2000 + n}.00"
        barrier.wait()
        response = client.patch(
            f"/pipeline/deals/{deal_id}", headers=REP, json={"value": {"amount": amount, "currency": "CNY"}}
        )
        answers[amount] = response.status_code

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(answers.values()) <= {200, 409}, answers
    accepted = {amount for amount, code in answers.items() if code == 200}
    assert accepted, "at least one writer wins"
    events = client.get(f"/pipeline/deals/{deal_id}/history", headers=AUDITOR).json()["events"]
    value_changes = [e for e in events if "value" in e["details"].get("changes", {})]
    recorded = [Decimal(e["details"]["changes"]["value"]["after"]["amount"]) for e in value_changes]
    # Each accepted edit is one recorded change, and nothing refused was recorded.
    assert sorted(recorded) == sorted(Decimal(a) for a in accepted)
    final = client.get(f"/pipeline/deals/{deal_id}", headers=REP).json()["value"]
    assert Decimal(final["amount"]) == recorded[-1]  # the last recorded change is the state
