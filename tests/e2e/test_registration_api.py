"""Registration through the HTTP API, embedded: review, ownership, pool, recycling, imports."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.embedded import settle
from tests.support.flow import CLOSE_DATE, eventually, pipeline_stage
from tests.support.identities import AUDITOR, MANAGER, REP, REP2

CLOSES = CLOSE_DATE + timedelta(days=70)  # still ahead after the sweeper test moves the clock 31 days
RULES = {
    "holding_limit": 3,
    "auto_approval": {"min_value": "50000"},
    "sweep_interval_seconds": 0.05,
    "recycling": {"default": {"stale_days": 30, "warning_days": 3}},
}


@pytest.fixture
def client(sqlite_settings, monkeypatch, clock):
    monkeypatch.setenv("CRM_REGISTRATION_RULES", json.dumps(RULES))
    with TestClient(create_app(sqlite_settings, clock=clock)) as http:
        yield http


def register(client, account: str, headers=REP, amount: str = "100000.00", **extra):
    return client.post(
        "/registration/deals",
        headers=headers,
        json={
            "name": f"{account} deal",
            "account": {"name": account},
            "value": {"amount": amount, "currency": "CNY"},
            "expected_close_date": CLOSES.isoformat(),
            **extra,
        },
    )


def recorded(client) -> int:
    return client.app.state.services["registration"].app.recorder.max_notification_id() or 0


def owner_in_forecast(client, owner: str | None) -> bool:
    answer = client.get(
        "/forecast/pipeline", headers=MANAGER, params={"period": str(CLOSES.year), "group_by": "owner"}
    ).json()
    return any(group["key"] == owner for group in answer["groups"])


class TestReview:
    def test_a_small_deal_waits_for_a_manager_who_approves_it_into_the_pipeline(self, client):
        done = register(client, "Small Co", amount="1000.00").json()
        assert done["registration_status"] == "pending"
        assert "auto-approval minimum" in done["review_reasons"][0]
        approved = client.post(f"/registration/deals/{done['deal_id']}/approve", headers=MANAGER)
        assert approved.status_code == 200
        assert approved.json()["protected_until"] is not None
        eventually(lambda: pipeline_stage(client, done["deal_id"]) == "prospecting")

    def test_a_rep_may_not_approve_and_nothing_is_recorded(self, client):
        done = register(client, "Small Co", amount="1000.00").json()
        before = recorded(client)
        refused = client.post(f"/registration/deals/{done['deal_id']}/approve", headers=REP)
        assert refused.status_code == 403
        assert recorded(client) == before

    def test_an_auditor_reads_but_registers_nothing(self, client):
        assert register(client, "Audit Co", headers=AUDITOR).status_code == 403
        assert recorded(client) == 0

    def test_a_rejection_needs_a_known_reason(self, client):
        done = register(client, "Small Co", amount="1000.00").json()
        bad = client.post(f"/registration/deals/{done['deal_id']}/reject", headers=MANAGER, json={"reason": "dislike"})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "reason"]
        ok = client.post(
            f"/registration/deals/{done['deal_id']}/reject", headers=MANAGER, json={"reason": "below_threshold"}
        )
        assert ok.json()["registration_status"] == "rejected"

    def test_an_unknown_deal_is_404(self, client):
        missing = client.post("/registration/deals/00000000-0000-0000-0000-000000000000/approve", headers=MANAGER)
        assert missing.status_code == 404


class TestOwnership:
    def test_recycle_pool_claim_and_everyone_sees_the_new_owner(self, client):
        deal_id = register(client, "Pool Co").json()["deal_id"]
        eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
        recycled = client.post(
            f"/registration/deals/{deal_id}/recycle", headers=MANAGER, json={"reason": "rep on leave"}
        )
        assert recycled.status_code == 200 and recycled.json()["in_pool"]

        def pooled():
            items = client.get("/registration/pool", headers=REP2).json()["items"]
            return [i for i in items if i["deal_id"] == deal_id]

        card = eventually(pooled)[0]
        assert (card["previous_owner_id"], card["recycle_reason"]) == ("rep-1", "manual")
        claimed = client.post(f"/registration/deals/{deal_id}/claim", headers=REP2)
        assert claimed.status_code == 200
        assert [h["reason"] for h in claimed.json()["ownership_history"]] == [
            "registration",
            "recycled: manual",
            "claim",
        ]
        eventually(lambda: client.get(f"/pipeline/deals/{deal_id}", headers=REP2).json()["owner_id"] == "rep-2")
        eventually(lambda: owner_in_forecast(client, "rep-2"))
        assert not owner_in_forecast(client, "rep-1")

    def test_the_holding_limit_is_a_409_naming_the_limit(self, client):
        for n in range(3):
            assert register(client, f"Held {n}").status_code == 201
        refused = register(client, "Held 3")
        assert refused.status_code == 409
        assert refused.json()["limit"] == "3"

    def test_a_duplicate_is_a_409_naming_the_conflicting_deal(self, client):
        first = register(client, "ACME Co., Ltd.").json()["deal_id"]
        again = register(client, "acme", headers=REP2)
        assert again.status_code == 409
        assert again.json()["conflicting_deal_id"] == first
        assert again.json()["matched_on"] == "account_name"

    def test_an_identity_too_long_to_be_real_is_refused(self, client):
        response = register(client, "Long Co", headers={"X-User-Id": "x" * 250})
        assert response.status_code == 422


class TestRecycling:
    def test_the_sweeper_warns_then_recycles_a_deal_nobody_works(self, client, clock):
        deal_id = register(client, "Stale Co").json()["deal_id"]
        eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
        clock.advance(days=28)
        warned = eventually(
            lambda: client.get(f"/registration/deals/{deal_id}", headers=REP).json()["recycle_warnings"]
        )
        assert warned[0].startswith("stale@")
        assert client.get(f"/registration/deals/{deal_id}", headers=REP).json()["owner_id"] == "rep-1"
        clock.advance(days=3)
        eventually(lambda: client.get(f"/registration/deals/{deal_id}", headers=REP).json()["in_pool"])
        history = client.get(f"/registration/deals/{deal_id}", headers=REP).json()["ownership_history"]
        assert history[-1]["reason"] == "recycled: stale"
        assert history[-1]["by"] == "system"

    def test_the_sweep_proposes_only_deals_near_their_policys_bounds(self, client, clock):
        from services.registration.domain.recycling import horizon
        from services.registration.queries import owned_open_deal_ids

        old = register(client, "Old Co").json()["deal_id"]
        clock.advance(days=20)
        fresh = register(client, "Fresh Co").json()["deal_id"]
        service = client.app.state.services["registration"]

        def proposed(days: int) -> set[str]:
            bounds = horizon(service.app.rules.recycling, clock.now() + timedelta(days=days))
            return {str(deal_id) for deal_id in owned_open_deal_ids(service.storage.engine, bounds)}

        settle(client.app)  # the read model has both
        assert proposed(5) == set()  # 25 days idle: neither is within 3 days (and a day's slack) of 30
        assert proposed(7) == {old}  # 27 days idle: the warning window opens
        assert proposed(28) == {old, fresh}


class TestImports:
    CSV = (
        "name,account_name,contact_name,phone,email,amount,currency,expected_close_date,source\n"
        f"Cloud,Alpha Ltd,Li,13800000001,li@alpha.com,120000,CNY,{CLOSES},website\n"
        f"Broken,Beta Ltd,Wu,13800000002,not-an-email,abc,CNY,{CLOSES},website\n"
        f"ERP,Gamma Ltd,Zhao,13800000003,zhao@gamma.com,90000,CNY,{CLOSES + timedelta(days=17)},tender\n"
        f"Again,alpha,Qian,13800000004,qian@other.com,50000,CNY,{CLOSES + timedelta(days=17)},website\n"
    )

    def upload(self, client, content: bytes, name: str, kind: str = "deals"):
        return client.post(f"/registration/imports/{kind}", headers=REP, files={"file": (name, io.BytesIO(content))})

    def test_a_csv_import_creates_the_good_rows_refuses_the_bad_ones_and_says_why(self, client):
        report = self.upload(client, self.CSV.encode(), "deals.csv").json()
        assert (report["created"], report["refused"]) == (2, 2)
        by_row = {entry["row"]: entry for entry in report["report"]}
        assert by_row[2]["status"] == by_row[4]["status"] == "created"
        assert {e["field"] for e in by_row[3]["errors"]} == {"email", "amount"}
        assert by_row[5]["conflict"]["matched_on"] == "account_name"

    def test_importing_the_same_file_twice_creates_nothing_twice(self, client):
        self.upload(client, self.CSV.encode(), "deals.csv")
        again = self.upload(client, self.CSV.encode(), "deals.csv").json()
        assert (again["created"], again["already_imported"]) == (0, 2)

    def test_an_xlsx_import_of_leads_works_like_csv(self, client):
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(["company", "contact_name", "phone", "email", "source", "budget_amount"])
        sheet.append(["Delta 有限公司", "孙", "+86 139 0000 0000", "sun@delta.cn", "trade_fair", 30000])
        sheet.append(["Epsilon", "", "139", "bad", "pigeon", None])
        buffer = io.BytesIO()
        book.save(buffer)
        report = self.upload(client, buffer.getvalue(), "leads.xlsx", kind="leads").json()
        assert (report["created"], report["refused"]) == (1, 1)
        assert report["report"][1]["status"] == "refused"

    def test_a_file_that_is_not_a_workbook_is_a_422_naming_the_file(self, client):
        response = self.upload(client, b"PK\x03\x04 not really a zip", "x.xlsx")
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_a_malformed_csv_is_a_422_naming_the_file(client):
    """Found by the API fuzzer: a stray carriage return inside an unquoted field."""
    import io

    response = client.post(
        "/registration/imports/deals",
        headers=REP,
        files={"file": ("x.csv", io.BytesIO(b'name,amount\n"open quote\rx,1\n'))},
    )
    assert response.status_code in (200, 422)
    broken = client.post(
        "/registration/imports/deals", headers=REP, files={"file": ("x.csv", io.BytesIO(b"a,b\nx\ry,1\n"))}
    )
    assert broken.status_code == 200  # read as two rows, each refused with its reason
    assert {entry["status"] for entry in broken.json()["report"]} == {"refused"}


def test_pool_paging_out_of_range_is_a_422_naming_the_parameter(client):
    """Found by the API fuzzer: an offset past 2**63 reached the database."""
    response = client.get("/registration/pool", headers=REP, params={"offset": 2**63})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]
