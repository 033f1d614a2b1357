"""The account list, the contact list, the search box and exports through the HTTP API,
on SQLite (embedded) and PostgreSQL: filters, sort, paging, and reach (another rep's rows
never appear, in a list, a search or an export)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from crm.app import create_app
from tests.support.flow import eventually
from tests.support.identities import ADMIN, AUDITOR, MANAGER, PARTNER_A, REP, REP2, as_user

OTHER_TEAM_REP = as_user("rep-west")  # in no team the test manager leads


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def client(request, tmp_path_factory):
    """One application per backend for the module: the subjects below are made once."""
    if request.param == "sqlite":
        from tests.support.embedded import embedded_settings

        settings = embedded_settings(tmp_path_factory.mktemp("finding"))
        with TestClient(create_app(settings, names=["registration"])) as http:
            yield http
        return
    from shared.settings import Settings
    from tests.support.infrastructure import drop_schemas

    url = request.getfixturevalue("database_url")
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    settings = Settings(
        database_url=url, schema_prefix=prefix, data_dir=tmp_path_factory.mktemp("pg"), poll_interval=0.05
    )
    try:
        with TestClient(create_app(settings, names=["registration"])) as http:
            yield http
    finally:
        drop_schemas(url, prefix)


def register(http, headers, name: str, account: str, contacts: list[dict[str, str]]) -> str:
    body = {
        "name": name,
        "account": {"name": account},
        "contacts": contacts,
        "value": {"amount": "1000.00", "currency": "CNY"},
        "expected_close_date": (date.today() + timedelta(days=60)).isoformat(),
    }
    made = http.post("/registration/deals", headers=headers, json=body)
    assert made.status_code == 201, made.text
    return made.json()["deal_id"]


def capture(http, headers, company: str, contact: str) -> str:
    made = http.post("/registration/leads", headers=headers, json={"company": company, "contact": {"name": contact}})
    assert made.status_code == 201, made.text
    return made.json()["lead_id"]


@pytest.fixture(scope="module")
def made(client) -> dict[str, Any]:
    """rep-1's deal at 新城百货有限公司 (contact 王小明) and lead 新城物流; rep-2's deal at
    东方电子有限公司 (contact 李四); a west rep's deal at 新城建材有限公司."""
    subjects = {
        "mine": register(
            client, REP, "新城百货 ERP 项目", "新城百货有限公司", [{"name": "王小明", "phone": "13900000001"}]
        ),
        "theirs": register(
            client, REP2, "东方电子 CRM", "东方电子有限公司", [{"name": "李四", "phone": "13900000002"}]
        ),
        "west": register(
            client, OTHER_TEAM_REP, "新城建材 MES", "新城建材有限公司", [{"name": "赵六", "phone": "13900000003"}]
        ),
        "lead": capture(client, REP, "新城物流", "孙七"),
        "formula": capture(client, REP, '=HYPERLINK("http://x","click")', "-2+3"),
    }
    eventually(lambda: len(search(client, ADMIN, "新城")["deals"]) == 2)
    eventually(lambda: len(search(client, ADMIN, "=hyperlink")["leads"]) == 1)
    return subjects


def search(http, headers, q: str) -> dict[str, Any]:
    answer = http.get("/registration/search", headers=headers, params={"q": q})
    assert answer.status_code == 200, answer.text
    return answer.json()


def titles(found: dict[str, Any], kind: str) -> list[str]:
    return sorted(hit["title"] for hit in found[kind])


class TestSearch:
    def test_a_two_character_query_finds_chinese_names_by_any_part(self, client, made):
        found = search(client, ADMIN, "新城")
        assert titles(found, "accounts") == ["新城建材有限公司", "新城百货有限公司"]
        assert titles(found, "deals") == ["新城建材 MES", "新城百货 ERP 项目"]
        assert titles(found, "leads") == ["新城物流"]
        assert titles(search(client, ADMIN, "百货"), "accounts") == ["新城百货有限公司"]
        assert titles(search(client, ADMIN, "城百货有限"), "accounts") == ["新城百货有限公司"]
        assert titles(search(client, ADMIN, "货"), "accounts") == ["新城百货有限公司"]

    def test_contacts_are_found_by_name_and_phone_and_latin_text_by_any_case(self, client, made):
        assert titles(search(client, ADMIN, "小明"), "contacts") == ["王小明"]
        assert titles(search(client, ADMIN, "900000001"), "contacts") == ["王小明"]
        assert titles(search(client, ADMIN, "erp"), "deals") == ["新城百货 ERP 项目"]

    def test_a_rep_finds_only_their_own_deals_leads_and_contacts_but_every_account(self, client, made):
        found = search(client, REP2, "新城")
        assert (found["deals"], found["leads"], found["contacts"]) == ([], [], [])
        assert len(found["accounts"]) == 2
        mine = search(client, REP, "新城")
        assert titles(mine, "deals") == ["新城百货 ERP 项目"]
        assert [hit["id"] for hit in mine["leads"]] == [made["lead"]]

    def test_a_manager_finds_their_teams_deals_and_not_another_teams(self, client, made):
        assert titles(search(client, MANAGER, "新城"), "deals") == ["新城百货 ERP 项目"]
        assert titles(search(client, AUDITOR, "新城"), "deals") == ["新城建材 MES", "新城百货 ERP 项目"]

    def test_wildcards_are_matched_as_text_and_a_blank_query_is_refused_naming_q(self, client, made):
        assert search(client, ADMIN, "%")["accounts"] == []
        assert search(client, ADMIN, "_")["deals"] == []
        answer = client.get("/registration/search", headers=ADMIN, params={"q": "   "})
        assert answer.status_code == 422 and "q" in answer.text

    def test_a_partner_may_not_search(self, client, made):
        assert client.get("/registration/search", headers=PARTNER_A, params={"q": "新城"}).status_code == 403


def accounts(http, headers, **params) -> dict[str, Any]:
    answer = http.get("/registration/accounts", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


class TestAccountList:
    def test_each_account_holds_only_the_deals_and_contacts_in_reach(self, client, made):
        seen = {a["name"]: a for a in accounts(client, REP2, limit=500)["items"]}
        assert seen["新城百货有限公司"]["deals"] == [] and seen["新城百货有限公司"]["contacts"] == []
        assert [d["deal_id"] for d in seen["东方电子有限公司"]["deals"]] == [made["theirs"]]
        assert [c["name"] for c in seen["东方电子有限公司"]["contacts"]] == ["李四"]
        by_admin = {a["name"]: a for a in accounts(client, ADMIN, limit=500)["items"]}
        assert [d["deal_id"] for d in by_admin["新城百货有限公司"]["deals"]] == [made["mine"]]

    def test_the_name_filter_sort_and_cursor_page_through_every_match_once(self, client, made):
        first = accounts(client, ADMIN, q="有限公司", sort="-name", limit=2)
        assert len(first["items"]) == 2 and first["next_cursor"]
        rest = accounts(client, ADMIN, q="有限公司", sort="-name", limit=2, cursor=first["next_cursor"])
        names = [a["name"] for a in first["items"] + rest["items"]]
        assert names == sorted(["新城百货有限公司", "东方电子有限公司", "新城建材有限公司"], reverse=True)
        assert rest["next_cursor"] is None

    def test_an_unknown_sort_or_a_foreign_cursor_is_422_naming_it(self, client, made):
        assert "sort" in client.get("/registration/accounts", headers=ADMIN, params={"sort": "owner"}).text
        bad = client.get("/registration/accounts", headers=ADMIN, params={"cursor": "bm9wZQ=="})
        assert bad.status_code == 422 and "cursor" in bad.text


class TestContactList:
    def test_a_rep_lists_only_the_contacts_of_their_deals(self, client, made):
        def names(headers, **params) -> list[str]:
            answer = client.get("/registration/contacts", headers=headers, params=params)
            assert answer.status_code == 200, answer.text
            return [c["name"] for c in answer.json()["items"]]

        assert names(REP2) == ["李四"]
        assert "王小明" in names(REP) and "李四" not in names(REP)
        assert names(ADMIN, q="赵") == ["赵六"]
        assert names(MANAGER, q="赵") == []  # another team's deal
        everyone = names(ADMIN, sort="-name", limit=500)
        paged, cursor = [], None
        while True:
            params = {"sort": "-name", "limit": 1, **({"cursor": cursor} if cursor else {})}
            page = client.get("/registration/contacts", headers=ADMIN, params=params).json()
            paged += [c["name"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == everyone


def rows_of(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    if answer.headers["content-type"].startswith("text/csv"):
        assert answer.content.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the mark
        return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(answer.content)).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


class TestExport:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_the_lead_list_exports_the_same_rows_with_chinese_intact_and_formulas_neutralised(self, client, made, fmt):
        answer = client.get("/registration/leads", headers=REP, params={"format": fmt})
        assert answer.headers["content-disposition"] == f'attachment; filename="leads.{fmt}"'
        rows = rows_of(answer)
        header, body = rows[0], rows[1:]
        listed = client.get("/registration/leads", headers=REP, params={"limit": 500}).json()["items"]
        assert [r[header.index("lead_id")] for r in body] == [lead["lead_id"] for lead in listed]
        companies = [r[header.index("company")] for r in body]
        assert "新城物流" in companies
        assert '\'=HYPERLINK("http://x","click")' in companies
        assert "'-2+3" in [r[header.index("contact_name")] for r in body]

    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_another_reps_rows_never_appear_in_an_export(self, client, made, fmt):
        for path in ("/registration/contacts", "/registration/leads"):
            rows = rows_of(client.get(path, headers=REP2, params={"format": fmt}))
            text = repr(rows)
            assert "王小明" not in text and "新城物流" not in text, path
        rows = rows_of(client.get("/registration/accounts", headers=REP2, params={"format": fmt}))
        deals_cell = {r[1]: r[rows[0].index("deals")] for r in rows[1:]}
        assert deals_cell["新城百货有限公司"] == "" and deals_cell["东方电子有限公司"] == "东方电子 CRM"

    def test_the_filters_hold_in_an_export_and_an_unknown_format_is_422(self, client, made):
        rows = rows_of(client.get("/registration/contacts", headers=ADMIN, params={"format": "csv", "q": "赵"}))
        assert [r[1] for r in rows[1:]] == ["赵六"]
        bad = client.get("/registration/leads", headers=ADMIN, params={"format": "pdf"})
        assert bad.status_code == 422 and "format" in bad.text

    def test_the_partner_report_exports(self, client, made):
        rows = rows_of(client.get("/registration/partners/report", headers=ADMIN, params={"format": "xlsx"}))
        assert rows[0][:2] == ["partner_id", "name"]


class TestLeadListText:
    def test_q_finds_a_lead_by_part_of_its_company_or_contact_and_only_in_reach(self, client, made):
        def companies(headers, q: str) -> list[str]:
            answer = client.get("/registration/leads", headers=headers, params={"q": q})
            assert answer.status_code == 200, answer.text
            return [lead["company"] for lead in answer.json()["items"]]

        assert companies(REP, "城物") == ["新城物流"]
        assert companies(REP, "孙七") == ["新城物流"]
        assert companies(REP2, "新城") == []
        assert companies(ADMIN, "%") == []
