"""A deal's pipeline history over HTTP gives the deal itself as it stood at `as_of`: the
fields an auditor's time slider shows (stage, value, owner), not only the events."""

from __future__ import annotations

from tests.support.flow import capture_and_convert, eventually, pipeline_stage
from tests.support.identities import AUDITOR, MANAGER, REP, REP2


def test_the_history_as_of_an_event_gives_the_deals_stage_value_and_owner_as_they_stood_then(client):
    _, deal_id = capture_and_convert(client, company="As Of Fields Ltd", amount="100000.00")
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    moved = client.post(
        f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "qualification", "reason": "budget known"}
    )
    assert moved.status_code == 200
    edited = client.patch(
        f"/pipeline/deals/{deal_id}", headers=REP, json={"value": {"amount": "250000.00", "currency": "CNY"}}
    )
    assert edited.status_code == 200
    client.post(f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal", "reason": "quote"})
    client.post(f"/registration/deals/{deal_id}/recycle", headers=MANAGER, json={"reason": "rep moved team"})
    client.post(f"/registration/deals/{deal_id}/claim", headers=REP2)
    eventually(lambda: client.get(f"/pipeline/deals/{deal_id}", headers=AUDITOR).json().get("owner_id") == "rep-2")

    now = client.get(f"/pipeline/deals/{deal_id}/history", headers=AUDITOR).json()
    # the instant of the move to qualification, as the history itself records it: no clock
    # of the test's own is compared with the server's
    qualified = next(e["time"] for e in now["events"] if e["details"].get("to_stage") == "qualification")
    then = client.get(f"/pipeline/deals/{deal_id}/history", headers=AUDITOR, params={"as_of": qualified}).json()

    assert (now["deal"]["stage"], now["deal"]["value"]["amount"], now["deal"]["owner_id"]) == (
        "proposal",
        "250000.00",
        "rep-2",
    )
    assert (then["deal"]["stage"], then["deal"]["value"]["amount"], then["deal"]["owner_id"]) == (
        "qualification",
        "100000.00",
        "rep-1",
    )
    assert [s["what"] for s in then["stage_spans"]] == ["prospecting", "qualification"]
    assert then["events"][-1]["time"] == qualified and len(then["events"]) < len(now["events"])
    # the deal as it stood then is dated then: the current stage's time runs to `as_of`, not to now
    assert then["deal"]["stage_history"][-1]["left_at"] is None
    assert then["deal"]["version"] == then["events"][-1]["version"]
