"""Channel partners (渠道伙伴) through the HTTP API, embedded: a partner registers through the
same 报备 flow as the reps, a channel manager reviews it, the duplicate check runs across
partners and direct sales (撞单) without telling a partner who holds its customer, a partner
sees only its organisation's registrations, and the partner report counts what came of them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.flow import CLOSE_DATE, eventually, pipeline_stage
from tests.support.identities import (
    ADMIN,
    AUDITOR,
    CHANNEL_MANAGER,
    MANAGER,
    PARTNER_A,
    PARTNER_A2,
    PARTNER_B,
    REP,
    REP2,
    as_user,
)

CLOSES = CLOSE_DATE + timedelta(days=70)  # still ahead after the recycling test moves the clock 31 days
RULES = {"sweep_interval_seconds": 0.05, "recycling": {"default": {"stale_days": 30, "warning_days": 3}}}


@pytest.fixture
def client(sqlite_settings, monkeypatch, clock):
    monkeypatch.setenv("CRM_REGISTRATION_RULES", json.dumps(RULES))
    with TestClient(create_app(sqlite_settings, clock=clock)) as http:
        for org in ("org-a", "org-b"):
            body = {"partner_id": org, "name": f"{org} Ltd", "channel_managers": ["mgr-channel"]}
            assert http.post("/registration/partners", headers=ADMIN, json=body).status_code == 201
        yield http


def register(client, account: str, headers=REP, amount: str = "100000.00", contacts=()):
    return client.post(
        "/registration/deals",
        headers=headers,
        json={
            "name": f"{account} deal",
            "account": {"name": account},
            "value": {"amount": amount, "currency": "CNY"},
            "expected_close_date": CLOSES.isoformat(),
            "contacts": list(contacts),
        },
    )


def listed(client, headers, status: str = "pending") -> set[str]:
    page = client.get("/registration/deals", headers=headers, params={"status": status, "limit": 500}).json()
    return {item["deal_id"] for item in page["items"]}


def report(client, headers) -> dict[str, dict]:
    answer = client.get("/registration/partners/report", headers=headers)
    assert answer.status_code == 200, answer.text
    return {row["partner_id"]: row for row in answer.json()["items"]}


class TestPartnerOrganisations:
    def test_an_admin_registers_a_partner_once_and_managers_list_them(self, client):
        body = {"partner_id": "org-c", "name": "C 渠道", "channel_managers": ["mgr-channel", "mgr-2"]}
        assert client.post("/registration/partners", headers=ADMIN, json=body).status_code == 201
        again = client.post("/registration/partners", headers=ADMIN, json=body)
        assert again.status_code == 409 and again.json()["partner_id"] == "org-c"
        assert (
            client.post("/registration/partners", headers=MANAGER, json={**body, "partner_id": "x"}).status_code == 403
        )
        # the list is the read model's: it follows the command within moments (and already
        # holds the organisations registered before this test)
        listed = {"partner_id": "org-c", "name": "C 渠道", "channel_managers": ["mgr-channel", "mgr-2"]}
        assert eventually(lambda: listed in client.get("/registration/partners", headers=MANAGER).json()["items"])

    def test_a_partner_of_an_unregistered_organisation_may_not_register(self, client):
        answer = register(client, "Nowhere Co", headers=as_user("p-x", "partner", partner="org-unknown"))
        assert answer.status_code == 403 and "org-unknown" in answer.json()["detail"]

    def test_a_partner_names_its_organisation_and_no_one_else_does(self, client):
        alone = client.get("/registration/deals", headers={"X-User-Id": "p", "X-User-Role": "partner"})
        assert alone.status_code == 422 and alone.json()["detail"][0]["loc"] == ["header", "x-user-partner"]
        rep = client.get("/registration/deals", headers={**REP, "X-User-Partner": "org-a"})
        assert rep.status_code == 422 and rep.json()["detail"][0]["loc"] == ["header", "x-user-partner"]


class TestPartnerRegistration:
    def test_a_partner_registration_waits_for_its_channel_manager_who_approves_it_into_the_pipeline(self, client):
        done = register(client, "Partner First Co", headers=PARTNER_A)
        assert done.status_code == 201, done.text
        deal_id = done.json()["deal_id"]
        assert done.json()["registration_status"] == "pending"  # large enough to pass, but a partner's waits
        assert done.json()["review_reasons"] == ["registered by channel partner org-a: a channel manager reviews it"]
        assert eventually(lambda: deal_id in listed(client, CHANNEL_MANAGER))
        assert deal_id not in listed(client, MANAGER)  # team east's manager manages no partner
        assert client.post(f"/registration/deals/{deal_id}/approve", headers=MANAGER).status_code == 403
        approved = client.post(f"/registration/deals/{deal_id}/approve", headers=CHANNEL_MANAGER)
        assert approved.status_code == 200 and approved.json()["registration_status"] == "approved"
        assert approved.json()["protected_until"] is not None
        seen = client.get(f"/registration/deals/{deal_id}", headers=PARTNER_A).json()
        assert (seen["registration_status"], seen["owner_id"]) == ("approved", "partner-a-1")
        assert eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")

    def test_a_partner_registering_a_customer_a_rep_holds_hears_it_is_taken_but_not_by_whom(self, client):
        held = register(client, "Contested Co", headers=REP).json()["deal_id"]
        refused = register(client, "Contested  co", headers=PARTNER_A)  # the same customer, typed otherwise
        assert refused.status_code == 409
        assert refused.json() == {
            "detail": "customer 'Contested  co' is already registered",
            "matched_on": "account_name",
        }
        for revealing in (held, "rep-1", "east", "conflicting_deal_id"):
            assert revealing not in refused.text
        assert listed(client, PARTNER_A, "approved") == set()  # and nothing of the rep's shows in its list

    def test_a_rep_registering_a_customer_a_partner_holds_gets_the_usual_answer_naming_the_deal(self, client):
        partners = register(client, "Partner Held Co", headers=PARTNER_A).json()["deal_id"]
        refused = register(client, "Partner Held Co", headers=REP2)
        assert refused.status_code == 409
        assert refused.json()["conflicting_deal_id"] == partners  # internal users see which deal, as before

    def test_a_partner_review_reason_says_the_customer_is_registered_without_naming_the_deal(self, client):
        contact = {"name": "Wang", "phone": "13900000077"}
        held = register(client, "Phone Holder Co", headers=REP, contacts=[contact]).json()["deal_id"]
        done = register(client, "Other Name Co", headers=PARTNER_A, contacts=[contact])
        assert done.status_code == 201, done.text
        assert "the customer is already registered (matched on phone)" in done.json()["review_reasons"]
        assert held not in done.text
        deal_id = done.json()["deal_id"]
        seen = client.get(f"/registration/deals/{deal_id}", headers=PARTNER_A)
        assert seen.json()["conflicts"] == [] and held not in seen.text
        queued = eventually(
            lambda: [
                i
                for i in client.get("/registration/deals", headers=PARTNER_A).json()["items"]
                if i["deal_id"] == deal_id
            ]
        )
        assert queued[0]["conflicts"] == [] and held not in json.dumps(queued)
        reviewed = client.get(f"/registration/deals/{deal_id}", headers=CHANNEL_MANAGER).json()
        assert reviewed["conflicts"] == [{"deal_id": held, "matched_on": "phone"}]  # the reviewer sees it


class TestPartnerReach:
    def test_a_partner_sees_only_its_organisations_registrations(self, client):
        own = register(client, "A One Co", headers=PARTNER_A).json()["deal_id"]
        colleague = register(client, "A Two Co", headers=PARTNER_A2).json()["deal_id"]
        other = register(client, "B One Co", headers=PARTNER_B).json()["deal_id"]
        reps = register(client, "Rep Own Co", headers=REP).json()["deal_id"]  # approved at once
        assert eventually(lambda: listed(client, ADMIN) >= {own, colleague, other})
        assert eventually(lambda: reps in listed(client, ADMIN, "approved"))
        assert listed(client, PARTNER_A) == {own, colleague}
        assert listed(client, PARTNER_A, "approved") == set()
        assert listed(client, PARTNER_B) == {other}
        assert client.get(f"/registration/deals/{colleague}", headers=PARTNER_A).status_code == 200
        for deal_id in (other, reps):
            assert client.get(f"/registration/deals/{deal_id}", headers=PARTNER_A).status_code == 403
        assert client.get(f"/registration/deals/{own}", headers=PARTNER_B).status_code == 403

    def test_a_partner_has_no_business_with_the_pipeline_the_forecast_the_pool_or_the_history(self, client):
        own = register(client, "A Reach Co", headers=PARTNER_A).json()["deal_id"]
        for path, params in (
            ("/pipeline/deals", {}),
            ("/pipeline/board", {}),
            (f"/pipeline/deals/{own}", {}),
            ("/forecast/pipeline", {"period": str(CLOSES.year)}),
            ("/forecast/reports/win-rate", {"period": str(CLOSES.year)}),
            ("/registration/pool", {}),
            (f"/registration/deals/{own}/history", {}),
            ("/registration/partners/report", {}),
            ("/registration/partners", {}),
        ):
            assert client.get(path, headers=PARTNER_A, params=params).status_code == 403, path
        assert client.post(f"/registration/deals/{own}/approve", headers=PARTNER_A).status_code == 403


class TestPartnerProtectionAndRecycling:
    def test_an_approved_partner_deal_is_protected_then_recycled_when_nobody_works_it(self, client, clock):
        deal_id = register(client, "A Stale Co", headers=PARTNER_A).json()["deal_id"]
        approved = client.post(f"/registration/deals/{deal_id}/approve", headers=CHANNEL_MANAGER).json()
        assert approved["protected_until"].startswith((clock.now() + timedelta(days=90)).date().isoformat())
        eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
        clock.advance(days=31)
        eventually(lambda: client.get(f"/registration/deals/{deal_id}", headers=PARTNER_A).json()["in_pool"])
        seen = client.get(f"/registration/deals/{deal_id}", headers=PARTNER_A).json()
        assert (seen["owner_id"], seen["registration_status"]) == (None, "approved")  # its status: back in the pool
        by_admin = client.get(f"/registration/deals/{deal_id}", headers=ADMIN).json()
        assert by_admin["ownership_history"][-1]["reason"] == "recycled: stale"


class TestPartnerReport:
    def test_the_report_counts_registrations_approvals_conflicts_and_won_value_per_partner(self, client):
        won = register(client, "A Won Co", headers=PARTNER_A, amount="120000.00").json()["deal_id"]
        rejected = register(client, "A Rejected Co", headers=PARTNER_A2).json()["deal_id"]
        register(client, "Rep Holds Co", headers=REP, contacts=[{"name": "Li", "phone": "13900000088"}])
        matched = register(client, "A Matched Co", headers=PARTNER_A, contacts=[{"name": "Li", "phone": "13900000088"}])
        assert matched.status_code == 201, matched.text
        assert register(client, "Rep Holds Co", headers=PARTNER_A).status_code == 409  # refused: 撞单
        register(client, "B Waiting Co", headers=PARTNER_B)
        assert client.post(f"/registration/deals/{won}/approve", headers=CHANNEL_MANAGER).status_code == 200
        reject = {"reason": "other", "note": "not a fit"}
        assert (
            client.post(f"/registration/deals/{rejected}/reject", headers=CHANNEL_MANAGER, json=reject).status_code
            == 200
        )
        eventually(lambda: pipeline_stage(client, won) == "prospecting")
        closed = client.post(f"/pipeline/deals/{won}/close", headers=ADMIN, json={"outcome": "won"})
        assert closed.status_code == 200, closed.text

        rows = eventually(lambda: (r := report(client, CHANNEL_MANAGER)) and r["org-a"]["won_deals"] and r)
        assert rows["org-a"] == {
            "partner_id": "org-a",
            "name": "org-a Ltd",
            "registrations": 3,
            "pending": 1,
            "approved": 1,
            "rejected": 1,
            "approval_rate": 0.5,
            "conflicts": 2,  # one refused, one matched a rep's deal and went to review
            "won_deals": 1,
            "won": [{"amount": "120000.00", "currency": "CNY"}],
        }
        assert (rows["org-b"]["registrations"], rows["org-b"]["approval_rate"], rows["org-b"]["won"]) == (1, None, [])
        assert report(client, AUDITOR) == rows
        assert report(client, MANAGER) == {}  # a manager who is no partner's channel manager
        assert client.get("/registration/partners/report", headers=REP).status_code == 403
