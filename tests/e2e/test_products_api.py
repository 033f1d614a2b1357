"""The product catalogue and a deal's line items through the HTTP API, embedded: admins
manage the catalogue (retired, never deleted), everyone reads it; line items follow the
deal's update access, and once a deal has them its value (and the board's totals) is
their sum."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.embedded import settle
from tests.support.flow import capture_and_convert, eventually, pipeline_stage
from tests.support.identities import ADMIN, AUDITOR, MANAGER, REP, REP2

ERP = {
    "code": "ERP-STD",
    "name_zh": "企业资源计划标准版",
    "name_en": "ERP Standard",
    "product_line": "erp",
    "unit": "套",
    "list_price": {"amount": "50000.00", "currency": "CNY"},
}
CRM_SEATS = {**ERP, "code": "CRM-SEAT", "name_zh": "客户关系管理席位", "name_en": "CRM seat", "product_line": "crm"}
CRM_SEATS["unit"], CRM_SEATS["list_price"] = "license", {"amount": "1200.00", "currency": "CNY"}


@pytest.fixture
def client(sqlite_settings, clock):
    with TestClient(create_app(sqlite_settings, clock=clock)) as http:
        yield http


def add(client, product) -> dict:
    added = client.post("/pipeline/products", headers=ADMIN, json=product)
    assert added.status_code == 201, added.text
    return added.json()


def deal_in_pipeline(client, company: str = "ACME 有限公司") -> str:
    _, deal_id = capture_and_convert(client, company=company, amount="100000.00")
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    return deal_id


def put_items(client, deal_id, items, who=REP):
    return client.put(f"/pipeline/deals/{deal_id}/line-items", headers=who, json={"items": items})


def refused_at(response) -> list:
    assert response.status_code == 422, response.text
    return response.json()["detail"][0]["loc"]


# -- the catalogue --------------------------------------------------------------------------------


def test_an_admin_adds_edits_and_retires_a_product_and_everyone_reads_it(client):
    assert add(client, ERP) | {"version": 1} == {**ERP, "active": True, "version": 1}
    changed = client.patch(
        "/pipeline/products/ERP-STD", headers=ADMIN, json={"list_price": {"amount": "48000.00"}, "name_en": None}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["list_price"] == {"amount": "48000.00", "currency": "CNY"}
    assert changed.json()["name_en"] is None
    retired = client.post("/pipeline/products/ERP-STD/retire", headers=ADMIN)
    assert retired.status_code == 200 and retired.json()["active"] is False
    again = client.post("/pipeline/products/ERP-STD/retire", headers=ADMIN)
    assert again.json()["version"] == retired.json()["version"]  # retiring twice records nothing
    add(client, CRM_SEATS)
    settle(client.app)
    for who in (REP, MANAGER, AUDITOR):
        assert client.get("/pipeline/products/ERP-STD", headers=who).json()["active"] is False
        listed = client.get("/pipeline/products", headers=who).json()["items"]
        assert [(p["code"], p["active"]) for p in listed] == [("CRM-SEAT", True), ("ERP-STD", False)]
    on_sale = client.get("/pipeline/products", headers=REP, params={"active": "true"}).json()["items"]
    assert [p["code"] for p in on_sale] == ["CRM-SEAT"]
    erp_line = client.get("/pipeline/products", headers=REP, params={"product_line": "erp"}).json()["items"]
    assert [p["code"] for p in erp_line] == ["ERP-STD"]
    assert client.get("/pipeline/products/NOPE", headers=REP).status_code == 404


def test_a_product_code_is_taken_once_retired_or_not(client):
    add(client, ERP)
    client.post("/pipeline/products/ERP-STD/retire", headers=ADMIN)
    assert client.post("/pipeline/products", headers=ADMIN, json=ERP).status_code == 409


@pytest.mark.parametrize("who", [REP, MANAGER, AUDITOR], ids=["rep", "manager", "auditor"])
def test_only_an_admin_manages_the_catalogue(client, who):
    assert client.post("/pipeline/products", headers=who, json=ERP).status_code == 403
    add(client, ERP)
    assert client.patch("/pipeline/products/ERP-STD", headers=who, json={"unit": "x"}).status_code == 403
    assert client.post("/pipeline/products/ERP-STD/retire", headers=who).status_code == 403
    assert client.get("/pipeline/products/ERP-STD", headers=ADMIN).json()["version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**ERP, "code": "erp lower"}, "code"),
        ({**ERP, "name_zh": "ERP\x00"}, "name_zh"),
        ({**ERP, "name_zh": ""}, "name_zh"),
        ({**ERP, "product_line": "x" * 101}, "product_line"),
        ({**ERP, "list_price": {"amount": "-1.00", "currency": "CNY"}}, "list_price"),
        ({**ERP, "list_price": {"amount": "1.00", "currency": "XXX"}}, "list_price"),
        ({**ERP, "colour": "red"}, "colour"),
    ],
    ids=["code", "nul-in-name", "empty-name", "long-line", "negative-price", "not-a-currency", "unknown-field"],
)
def test_a_bad_product_is_a_422_naming_the_field(client, body, field):
    assert field in refused_at(client.post("/pipeline/products", headers=ADMIN, json=body))


def test_a_product_edit_may_not_clear_a_name_every_product_has(client):
    add(client, ERP)
    assert refused_at(client.patch("/pipeline/products/ERP-STD", headers=ADMIN, json={"name_zh": None})) == [
        "body",
        "name_zh",
    ]


# -- line items -----------------------------------------------------------------------------------


def test_line_items_make_the_deal_value_and_the_board_totals(client):
    add(client, ERP)
    add(client, CRM_SEATS)
    deal_id = deal_in_pipeline(client)
    items = [
        {"product_code": "ERP-STD", "quantity": 2, "discount_percent": "10"},  # 2 × 50000 − 10% = 90000
        {"product_code": "CRM-SEAT", "quantity": "15", "unit_price": {"amount": "999.90", "currency": "CNY"}},
    ]
    answer = put_items(client, deal_id, items)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [line["net"]["amount"] for line in body["line_items"]] == ["90000.00", "14998.50"]
    assert body["value"] == {"amount": "104998.50", "currency": "CNY"}
    assert body["line_items"][0] | {"net": None} == {
        "product_code": "ERP-STD",
        "name_zh": "企业资源计划标准版",
        "name_en": "ERP Standard",
        "product_line": "erp",
        "unit": "套",
        "quantity": "2",
        "unit_price": {"amount": "50000.00", "currency": "CNY"},
        "discount_percent": "10",
        "net": None,
    }
    settle(client.app)
    column = next(
        c for c in client.get("/pipeline/board", headers=REP).json()["columns"] if c["stage"] == "prospecting"
    )
    assert column["total"] == [{"amount": "104998.50", "currency": "CNY"}]
    assert column["weighted"] == [{"amount": "10499.85", "currency": "CNY"}]  # at prospecting's 10 %

    # An edit of the value is refused while items make it; removing them all frees it again.
    refused = client.patch(f"/pipeline/deals/{deal_id}", headers=REP, json={"value": {"amount": "1.00"}})
    assert refused_at(refused) == ["body", "value"]
    emptied = put_items(client, deal_id, [])
    assert emptied.json()["line_items"] == [] and emptied.json()["value"]["amount"] == "104998.50"
    assert (
        client.patch(f"/pipeline/deals/{deal_id}", headers=REP, json={"value": {"amount": "1.00"}}).status_code == 200
    )


def test_the_same_items_again_record_nothing(client):
    add(client, ERP)
    deal_id = deal_in_pipeline(client)
    first = put_items(client, deal_id, [{"product_code": "ERP-STD", "quantity": 1}]).json()
    again = put_items(client, deal_id, [{"product_code": "ERP-STD", "quantity": "1.000"}]).json()
    assert again["version"] == first["version"]


def test_a_retired_product_is_refused_on_a_deal_but_stays_on_the_deals_that_have_it(client):
    add(client, ERP)
    add(client, CRM_SEATS)
    has_it, lacks_it = deal_in_pipeline(client, "甲公司"), deal_in_pipeline(client, "乙公司")
    assert put_items(client, has_it, [{"product_code": "ERP-STD", "quantity": 1}]).status_code == 200
    client.post("/pipeline/products/ERP-STD/retire", headers=ADMIN)
    assert refused_at(put_items(client, lacks_it, [{"product_code": "ERP-STD", "quantity": 1}])) == [
        "body",
        "items",
        "0",
        "product_code",
    ]
    kept = put_items(
        client, has_it, [{"product_code": "ERP-STD", "quantity": 3}, {"product_code": "CRM-SEAT", "quantity": 1}]
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["value"]["amount"] == "151200.00"


def test_a_price_in_another_currency_than_the_deals_is_a_422_naming_it(client):
    add(client, ERP)
    add(client, {**CRM_SEATS, "list_price": {"amount": "150.00", "currency": "USD"}})
    deal_id = deal_in_pipeline(client)
    given = [{"product_code": "ERP-STD", "quantity": 1, "unit_price": {"amount": "10.00", "currency": "EUR"}}]
    assert refused_at(put_items(client, deal_id, given)) == ["body", "items", "0", "unit_price", "currency"]
    listed = [{"product_code": "ERP-STD", "quantity": 1}, {"product_code": "CRM-SEAT", "quantity": 1}]
    assert refused_at(put_items(client, deal_id, listed)) == ["body", "items", "1", "unit_price"]
    assert client.get(f"/pipeline/deals/{deal_id}", headers=REP).json()["line_items"] == []


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"product_code": "ERP-STD", "quantity": 0}, "quantity"),
        ({"product_code": "ERP-STD", "quantity": -2}, "quantity"),
        ({"product_code": "ERP-STD", "quantity": 10**7}, "quantity"),
        ({"product_code": "ERP-STD", "quantity": "NaN"}, "quantity"),
        ({"product_code": "ERP-STD", "quantity": 1, "discount_percent": 101}, "discount_percent"),
        ({"product_code": "ERP-STD", "quantity": 1, "discount_percent": -5}, "discount_percent"),
        ({"product_code": "ERP-STD", "quantity": 1, "unit_price": {"amount": "-0.01"}}, "unit_price"),
        ({"product_code": "NOPE", "quantity": 1}, "product_code"),
        ({"product_code": "ERP-\x00", "quantity": 1}, "product_code"),
    ],
    ids=["zero", "negative", "huge", "nan", "over-100%", "negative-discount", "negative-price", "unknown", "nul"],
)
def test_a_bad_line_item_is_a_422_naming_the_field(client, item, field):
    add(client, ERP)
    deal_id = deal_in_pipeline(client)
    assert field in refused_at(put_items(client, deal_id, [item]))


def test_a_nan_literal_in_the_body_is_a_422_naming_the_field(client):
    add(client, ERP)
    deal_id = deal_in_pipeline(client)
    raw = '{"items": [{"product_code": "ERP-STD", "quantity": NaN}]}'
    answer = client.put(
        f"/pipeline/deals/{deal_id}/line-items", headers={**REP, "content-type": "application/json"}, content=raw
    )
    assert refused_at(answer) == ["body", "items", 0, "quantity"]


def test_items_worth_more_than_a_value_holds_are_refused(client):
    add(client, {**ERP, "list_price": {"amount": "9999999999999999.99", "currency": "CNY"}})
    deal_id = deal_in_pipeline(client)
    assert refused_at(put_items(client, deal_id, [{"product_code": "ERP-STD", "quantity": 2}])) == ["body", "items"]


def test_line_items_follow_the_deals_update_access(client):
    add(client, ERP)
    deal_id = deal_in_pipeline(client)
    item = [{"product_code": "ERP-STD", "quantity": 1}]
    assert put_items(client, deal_id, item, who=REP2).status_code == 403  # a colleague's deal
    assert put_items(client, deal_id, item, who=AUDITOR).status_code == 403
    assert put_items(client, deal_id, item, who=MANAGER).status_code == 200  # their team's
    assert client.get(f"/pipeline/deals/{deal_id}", headers=REP).json()["value"]["amount"] == "50000.00"


def test_a_closed_deal_keeps_its_items_until_reopened(client):
    add(client, ERP)
    deal_id = deal_in_pipeline(client)
    put_items(client, deal_id, [{"product_code": "ERP-STD", "quantity": 1}])
    assert client.post(f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "won"}).status_code == 200
    assert put_items(client, deal_id, []).status_code == 409


# -- the forecast by product line, embedded -------------------------------------------------------


def test_the_forecast_and_the_win_rate_group_by_the_product_lines_a_deal_sells(client, clock):
    from tests.support.flow import CLOSE_PERIOD

    add(client, ERP)
    add(client, CRM_SEATS)
    both, crm_only, none = (deal_in_pipeline(client, name) for name in ("甲公司", "乙公司", "丙公司"))
    put_items(client, both, [{"product_code": "ERP-STD", "quantity": 1}, {"product_code": "CRM-SEAT", "quantity": 5}])
    put_items(client, crm_only, [{"product_code": "CRM-SEAT", "quantity": 10}])
    settle(client.app)
    answer = client.get("/forecast/pipeline", headers=REP, params={"period": CLOSE_PERIOD, "group_by": "product_line"})
    assert answer.status_code == 200, answer.text
    forecast = answer.json()
    assert forecast["count"] == 3  # each deal once overall, whatever lines it sells
    assert forecast["total"] == [{"amount": "168000.00", "currency": "CNY"}]  # 56000 + 12000 + 100000
    groups = {g["key"]: (g["count"], g["total"][0]["amount"], g["weighted"][0]["amount"]) for g in forecast["groups"]}
    assert groups == {
        "crm": (2, "18000.00", "1800.00"),
        "erp": (1, "50000.00", "5000.00"),
        None: (1, "100000.00", "10000.00"),  # no line items: in no product line
    }
    client.post(f"/pipeline/deals/{both}/close", headers=REP, json={"outcome": "won"})
    client.post(f"/pipeline/deals/{crm_only}/close", headers=REP, json={"outcome": "lost", "reason": "price"})
    settle(client.app)
    year = str(clock.now().year)
    report = client.get(
        "/forecast/reports/win-rate", headers=MANAGER, params={"period": year, "group_by": "product_line"}
    )
    assert report.status_code == 200, report.text
    assert [(g["key"], g["won"], g["lost"], g["win_rate"]) for g in report.json()["groups"]] == [
        ("crm", 1, 1, 0.5),
        ("erp", 1, 0, 1.0),
    ]
