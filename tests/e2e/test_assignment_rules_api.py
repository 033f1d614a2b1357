"""Assignment rules (线索分配) through the HTTP API, embedded (SQLite, the in-process bus):
their versions, a dry run that records nothing, leads captured for the rules to assign, and
a bulk re-assignment whose events say which rule decided and why the others did not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.flow import capture_and_convert
from tests.support.identities import ADMIN, AUDITOR, MANAGER, REP

BIG = {"name": "big", "when": {"min_value": "1000000"}, "to": {"rep": "rep-9"}}
FAIR = {
    "name": "fair",
    "when": {"source": "trade_fair", "region": "east"},
    "to": {"team": "east"},
    "strategy": "least_loaded",
}
WEB = {"name": "web", "when": {"source": "website"}, "to": {"team": "east"}, "strategy": "round_robin"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from tests.support.embedded import embedded_settings

    with TestClient(create_app(embedded_settings(tmp_path_factory.mktemp("assignment")))) as http:
        defined = http.put("/registration/assignment-rules", headers=ADMIN, json={"rules": [BIG, FAIR, WEB]})
        assert defined.status_code == 200, defined.text
        yield http


def versions(client) -> list[int]:
    answer = client.get("/registration/assignment-rules/history", headers=AUDITOR)
    assert answer.status_code == 200, answer.text
    return [v["version"] for v in answer.json()["versions"]]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({**WEB, "name": "bad\x00name"}, "name"),
        ({**WEB, "strategy": "lottery"}, "strategy"),
        ({**WEB, "when": {"min_value": "-1"}}, "min_value"),
        ({**WEB, "to": {"team": "east", "rep": "rep-1"}}, "to"),
        ({**WEB, "when": {"colour": "red"}}, "colour"),
    ],
)
def test_bad_rules_are_422_naming_the_field_and_record_no_version(client, rule, field):
    before = versions(client)
    answer = client.put("/registration/assignment-rules", headers=ADMIN, json={"rules": [rule]})
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert versions(client) == before


def test_two_rules_of_one_name_are_422_and_record_no_version(client):
    before = versions(client)
    answer = client.put("/registration/assignment-rules", headers=ADMIN, json={"rules": [WEB, WEB]})
    assert answer.status_code == 422, answer.text
    assert "rules" in answer.text and "web" in answer.text
    assert versions(client) == before


def test_a_rep_or_an_auditor_may_not_define_the_rules_nor_a_partner_read_them(client):
    for who in (REP, AUDITOR, MANAGER):
        assert client.put("/registration/assignment-rules", headers=who, json={"rules": []}).status_code == 403
    assert (
        client.post("/registration/assignment-rules/dry-run", headers=REP, json={"candidates": [{}]}).status_code == 403
    )
    assert client.get("/registration/assignment-rules", headers=REP).json()["rules"][0]["name"] == "big"


def test_a_dry_run_shows_the_decisions_and_records_nothing(client):
    before_versions = versions(client)
    batch = {"candidates": [{"ref": "a", "source": "website"}, {"ref": "b", "source": "website"}, {"ref": "c"}]}
    first = client.post("/registration/assignment-rules/dry-run", headers=MANAGER, json=batch)
    assert first.status_code == 200, first.text
    decisions = first.json()["decisions"]
    assert [(d["ref"], d["owner_id"], d["rule"]) for d in decisions] == [
        ("a", "rep-1", "web"),
        ("b", "rep-2", "web"),
        ("c", None, None),
    ]
    assert decisions[0]["reasons"] == ["big: value is not given", "fair: region is not given (wants east)"]
    assert decisions[2]["reasons"][-1] == "no rule matched, left unassigned"
    again = client.post("/registration/assignment-rules/dry-run", headers=MANAGER, json=batch)
    assert again.json() == first.json()  # the round-robin cursor did not move
    assert versions(client) == before_versions


def test_leads_captured_for_the_rules_go_round_the_team_and_say_why(client):
    owners = []
    for n in range(2):
        body = {"company": f"Web form {n}", "contact": {"name": "Li"}, "source": "website", "assign": "rules"}
        made = client.post("/registration/leads", headers=ADMIN, json=body)
        assert made.status_code == 201, made.text
        lead_id = made.json()["lead_id"]
        owners.append(client.get(f"/registration/leads/{lead_id}", headers=ADMIN).json()["owner_id"])
    assert owners == ["rep-1", "rep-2"]  # where the dry run said the cycle starts
    events = client.get(f"/registration/leads/{lead_id}/history", headers=ADMIN).json()["events"]
    assigned = next(e for e in events if e["event"] == "Lead.Assigned")
    assert assigned["details"]["rule"] == "web"
    assert assigned["details"]["reasons"] == ["big: value is not given", "fair: region is not given (wants east)"]
    rep_try = {"company": "Mine", "contact": {"name": "Li"}, "assign": "rules"}
    assert client.post("/registration/leads", headers=REP, json=rep_try).status_code == 403


def test_apply_reassigns_a_deal_and_its_event_carries_the_rule_and_the_reasons(client):
    _, deal_id = capture_and_convert(client, "广交会客户", amount="5000.00")
    answer = client.post("/registration/assignment-rules/apply", headers=MANAGER, json={"deal_ids": [deal_id]})
    assert answer.status_code == 200, answer.text
    (item,) = answer.json()["items"]
    assert (item["outcome"], item["rule"]) == ("assigned", "fair")
    assert item["owner_id"] != "rep-1"  # rep-1 holds the deal: the least loaded are the others
    deal = client.get(f"/registration/deals/{deal_id}", headers=ADMIN).json()
    assert deal["owner_id"] == item["owner_id"]
    events = client.get(f"/registration/deals/{deal_id}/history", headers=ADMIN).json()["events"]
    assigned = [e for e in events if e["event"] == "Deal.Assigned"][-1]
    assert assigned["details"]["rule"] == "fair"
    assert assigned["details"]["reasons"] == ["big: value 5000.00 is below 1000000"]
    assert (
        client.post("/registration/assignment-rules/apply", headers=REP, json={"deal_ids": [deal_id]}).status_code
        == 403
    )


def test_the_history_lists_every_version_and_a_lead_no_rule_fits_stays_its_capturers(client):
    before = versions(client)
    only_full = [{"name": "nobody", "to": {"rep": "rep-full"}}]
    assert client.put("/registration/assignment-rules", headers=ADMIN, json={"rules": only_full}).status_code == 200
    history = client.get("/registration/assignment-rules/history", headers=AUDITOR).json()["versions"]
    assert [v["version"] for v in history] == [*before, before[-1] + 1]
    assert history[0]["rules"][0]["name"] == "big" and history[-1]["defined_by"] == "admin-1"
    assert client.get("/registration/assignment-rules", headers=REP).json()["version"] == before[-1] + 1

    empty = [{"name": "ghosts", "to": {"team": "atlantis"}}]
    assert client.put("/registration/assignment-rules", headers=ADMIN, json={"rules": empty}).status_code == 200
    body = {"company": "No fit", "contact": {"name": "Li"}, "source": "website", "assign": "rules"}
    lead_id = client.post("/registration/leads", headers=ADMIN, json=body).json()["lead_id"]
    answer = client.post("/registration/assignment-rules/apply", headers=ADMIN, json={"lead_ids": [lead_id]})
    (item,) = answer.json()["items"]
    assert (item["outcome"], item["rule"], item["reasons"]) == (
        "unassigned",
        "ghosts",
        ["ghosts: team atlantis has no members"],
    )
    assert client.get(f"/registration/leads/{lead_id}", headers=ADMIN).json()["owner_id"] == "admin-1"
    events = client.get(f"/registration/leads/{lead_id}/history", headers=ADMIN).json()["events"]
    assert [e["event"] for e in events] == ["Lead.Captured", "Lead.LeftUnassigned", "Lead.LeftUnassigned"]
