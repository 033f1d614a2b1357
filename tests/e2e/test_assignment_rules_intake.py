"""Where new leads and deals come in without an owner of ours, the assignment rules give them
one (seed 003 线索分配, seed 004 按条件分配): an import asked to (`assign=rules`) and a channel
partner's registration once a channel manager approves it. Embedded, over HTTP."""

from __future__ import annotations

import io
import uuid

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.flow import CLOSE_DATE, eventually
from tests.support.identities import ADMIN, CHANNEL_MANAGER, MANAGER, PARTNER_A, REP, WEST_MANAGER

RULES = [
    {"name": "east-region", "when": {"region": "华东"}, "to": {"rep": "rep-3"}},
    {"name": "partners", "when": {"source": "partner"}, "to": {"team": "east"}, "strategy": "least_loaded"},
    {"name": "big", "when": {"min_value": "1000000"}, "to": {"rep": "rep-9"}},
]
LEADS = "company,contact_name,region,source\n"
DEALS = "name,account_name,contact_name,phone,amount,currency,expected_close_date\n"


@pytest.fixture
def client(sqlite_settings):
    with TestClient(create_app(sqlite_settings)) as http:
        assert http.put("/registration/assignment-rules", headers=ADMIN, json={"rules": RULES}).status_code == 200
        body = {"partner_id": "org-a", "name": "A 渠道", "channel_managers": ["mgr-channel"]}
        assert http.post("/registration/partners", headers=ADMIN, json=body).status_code == 201
        yield http


def upload(client, kind: str, text: str, headers=MANAGER, assign: str | None = "rules"):
    params = {"assign": assign} if assign else {}
    return client.post(
        f"/registration/imports/{kind}",
        headers=headers,
        params=params,
        files={"file": (f"{kind}.csv", io.BytesIO(text.encode()))},
    )


def deal_row(company: str, amount: str) -> str:
    tag = uuid.uuid4().int % 100_000_000  # a phone of its own: a shared one sends the deal to review
    return f"{company} deal,{company},Li,138{tag:08d},{amount},CNY,{CLOSE_DATE}\n"


def test_an_import_by_the_rules_gives_each_new_lead_the_rep_a_rule_picks_and_says_which(client):
    answer = upload(client, "leads", LEADS + "华东商场,Li,华东,\n远方公司,Wang,西北,\n")
    assert answer.status_code == 200, answer.text
    first, second = answer.json()["report"]
    assert first["assignment"] == {"outcome": "assigned", "owner_id": "rep-3", "rule": "east-region", "reasons": []}
    assert second["assignment"]["outcome"] == "unassigned"  # no rule fits: the importer keeps it
    assert second["assignment"]["reasons"][-1] == "no rule matched, left unassigned"
    assert client.get(f"/registration/leads/{first['id']}", headers=ADMIN).json()["owner_id"] == "rep-3"
    assert client.get(f"/registration/leads/{second['id']}", headers=ADMIN).json()["owner_id"] == "mgr-1"
    events = client.get(f"/registration/leads/{first['id']}/history", headers=ADMIN).json()["events"]
    assert next(e for e in events if e["event"] == "Lead.Assigned")["details"]["rule"] == "east-region"


def test_an_import_by_the_rules_hands_a_big_deal_to_the_rep_its_rule_names(client):
    answer = upload(client, "deals", DEALS + deal_row("大客户集团", "2000000.00") + deal_row("小店", "5000.00"))
    assert answer.status_code == 200, answer.text
    big, small = answer.json()["report"]
    assert (big["status"], big["assignment"]["owner_id"], big["assignment"]["rule"]) == ("created", "rep-9", "big")
    assert small["assignment"]["outcome"] == "unassigned"
    assert client.get(f"/registration/deals/{big['id']}", headers=ADMIN).json()["owner_id"] == "rep-9"
    assert client.get(f"/registration/deals/{small['id']}", headers=ADMIN).json()["owner_id"] == "mgr-1"
    events = client.get(f"/registration/deals/{big['id']}/history", headers=ADMIN).json()["events"]
    assert [e["details"]["rule"] for e in events if e["event"] == "Deal.Assigned"] == ["big"]


def test_the_same_file_imported_again_by_the_rules_assigns_nothing_twice(client):
    text = LEADS + "华东百货,Li,华东,\n"
    assert upload(client, "leads", text).json()["report"][0]["assignment"]["owner_id"] == "rep-3"
    again = upload(client, "leads", text).json()["report"][0]
    assert again["status"] == "already_imported" and "assignment" not in again


def test_a_rep_may_import_for_themselves_but_not_by_the_rules(client):
    refused = upload(client, "leads", LEADS + "华东一号,Li,华东,\n", headers=REP)
    assert refused.status_code == 403
    own = upload(client, "leads", LEADS + "华东二号,Li,华东,\n", headers=REP, assign=None)
    assert own.status_code == 200 and "assignment" not in own.json()["report"][0]
    lead_id = own.json()["report"][0]["id"]
    assert client.get(f"/registration/leads/{lead_id}", headers=ADMIN).json()["owner_id"] == "rep-1"


def test_a_manager_s_import_never_gives_a_row_to_a_rep_outside_their_teams(client):
    answer = upload(client, "leads", LEADS + "华东三号,Li,华东,\n", headers=WEST_MANAGER)
    assert answer.status_code == 200, answer.text
    (row,) = answer.json()["report"]
    assert row["assignment"]["outcome"] == "refused"
    assert row["assignment"]["reasons"][-1] == "rep-3 is out of reach"
    assert client.get(f"/registration/leads/{row['id']}", headers=ADMIN).json()["owner_id"] == "mgr-west"


def test_an_unknown_assign_value_is_a_422_naming_it_and_imports_nothing(client):
    answer = upload(client, "leads", LEADS + "华东四号,Li,华东,\n", assign="lottery")
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", "assign"]
    leads = client.get("/registration/leads", headers=ADMIN).json()["items"]
    assert all(lead["company"] != "华东四号" for lead in leads)


def test_an_approved_partner_registration_goes_to_the_rep_the_rules_pick_and_the_partner_still_sees_it(client):
    body = {
        "name": "渠道商机",
        "account": {"name": "渠道客户有限公司"},
        "value": {"amount": "80000.00", "currency": "CNY"},
        "expected_close_date": CLOSE_DATE.isoformat(),
        "source": "partner",
    }
    done = client.post("/registration/deals", headers=PARTNER_A, json=body)
    assert done.status_code == 201, done.text
    deal_id = done.json()["deal_id"]
    assert done.json()["registration_status"] == "pending"
    approved = client.post(f"/registration/deals/{deal_id}/approve", headers=CHANNEL_MANAGER)
    assert approved.status_code == 200, approved.text
    owner = approved.json()["owner_id"]
    assert owner in {"rep-1", "rep-2", "rep-3", "rep-9", "rep-limited"}  # the partners rule's team
    events = client.get(f"/registration/deals/{deal_id}/history", headers=ADMIN).json()["events"]
    assigned = [e for e in events if e["event"] == "Deal.Assigned"]
    assert [e["details"]["rule"] for e in assigned] == ["partners"]
    assert assigned[0]["details"]["reasons"] == ["east-region: region is not given (wants 华东)"]
    seen = client.get(f"/registration/deals/{deal_id}", headers=PARTNER_A)
    assert seen.status_code == 200 and seen.json()["registration_status"] == "approved"
    assert eventually(
        lambda: (client.get(f"/pipeline/deals/{deal_id}", headers=ADMIN).json() or {}).get("owner_id") == owner
    )


def test_a_partner_registration_no_rule_fits_stays_with_the_partners_user(client):
    body = {
        "name": "无规则商机",
        "account": {"name": "无规则客户"},
        "value": {"amount": "50000.00", "currency": "CNY"},
        "expected_close_date": CLOSE_DATE.isoformat(),
    }
    deal_id = client.post("/registration/deals", headers=PARTNER_A, json=body).json()["deal_id"]
    approved = client.post(f"/registration/deals/{deal_id}/approve", headers=CHANNEL_MANAGER)
    assert approved.status_code == 200 and approved.json()["owner_id"] == "partner-a-1"


def test_a_dry_run_of_leads_and_deals_by_id_reads_them_as_applying_would_and_records_nothing(client):
    lead = client.post(
        "/registration/leads", headers=REP, json={"company": "华东干跑", "contact": {"name": "Li"}, "region": "华东"}
    ).json()["lead_id"]
    converted = client.post(
        f"/registration/leads/{lead}/convert",
        headers=REP,
        json={"value": {"amount": "5000.00", "currency": "CNY"}, "expected_close_date": CLOSE_DATE.isoformat()},
    )
    assert converted.status_code == 201, converted.text
    deal = converted.json()["deal_id"]
    answer = client.post("/registration/assignment-rules/dry-run", headers=MANAGER, json={"deal_ids": [deal]})
    assert answer.status_code == 200, answer.text
    (decision,) = answer.json()["decisions"]
    # the deal's region is its lead's: the region rule decides, as it would when applied
    assert decision == {
        "ref": f"deal:{deal}",
        "owner_now": "rep-1",
        "owner_id": "rep-3",
        "rule": "east-region",
        "reasons": [],
    }
    assert client.get(f"/registration/deals/{deal}", headers=ADMIN).json()["owner_id"] == "rep-1"
    missing = client.post(
        "/registration/assignment-rules/dry-run", headers=MANAGER, json={"lead_ids": [str(uuid.uuid4())]}
    )
    assert missing.status_code == 404
    empty = client.post("/registration/assignment-rules/dry-run", headers=MANAGER, json={})
    assert empty.status_code == 422 and "lead_ids" in empty.text
