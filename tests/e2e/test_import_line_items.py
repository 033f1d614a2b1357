"""A deals import with line items, embedded over HTTP: the import checks the column's
syntax, the pipeline prices the items against its catalogue when it starts tracking the
deal, and the deal's value becomes their sum (or the items are noted as not applied)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from crm.app import create_app
from tests.support.flow import CLOSE_DATE, eventually, pipeline_stage
from tests.support.identities import ADMIN, AUDITOR, MANAGER, REP

HEADER = "name,account_name,contact_name,phone,email,amount,currency,expected_close_date,line_items\n"


@pytest.fixture
def client(sqlite_settings, clock):
    with TestClient(create_app(sqlite_settings, clock=clock)) as http:
        yield http


def product(client, price: str, currency: str = "CNY") -> str:
    code = f"P-{uuid.uuid4().hex[:8].upper()}"
    body = {
        "code": code,
        "name_zh": "标准版",
        "product_line": "erp",
        "unit": "套",
        "list_price": {"amount": price, "currency": currency},
    }
    assert client.post("/pipeline/products", headers=ADMIN, json=body).status_code == 201, code
    return code


def row(company: str, amount: str, line_items: str) -> str:
    tag = uuid.uuid4().int % 100_000_000  # a contact of its own: a shared phone sends the deal to review
    return f'{company} deal,{company},Li,138{tag:08d},li{tag}@example.com,{amount},CNY,{CLOSE_DATE},"{line_items}"\n'


def imported(client, *rows: str) -> list[dict]:
    response = client.post(
        "/registration/imports/deals",
        headers=REP,
        files={"file": ("deals.csv", io.BytesIO((HEADER + "".join(rows)).encode()))},
    )
    assert response.status_code == 200, response.text
    return response.json()["report"]


def tracked(client, deal_id: str) -> dict:
    eventually(lambda: pipeline_stage(client, deal_id) == "prospecting")
    return client.get(f"/pipeline/deals/{deal_id}", headers=AUDITOR).json()


def test_an_imported_deals_line_items_are_priced_by_the_catalogue_and_its_value_is_their_sum(client):
    licence, service = product(client, "1000.00"), product(client, "30000.00")
    [entry] = imported(client, row("Alpha 有限公司", "90000", f"{licence}:10;{service.lower()}：1:50000:5；"))
    assert (entry["status"], entry["line_items"]) == ("created", "accepted for pricing")

    deal = eventually(lambda: (d := tracked(client, entry["id"]))["line_items"] and d)

    items = {item["product_code"]: item for item in deal["line_items"]}
    assert items[licence]["unit_price"]["amount"] == "1000.00"  # no price given: the list price
    assert items[licence]["net"]["amount"] == "10000.00"
    assert items[service]["unit_price"]["amount"] == "50000.00"  # the row's price wins over the list price
    assert items[service]["net"]["amount"] == "47500.00"  # 5 % off
    assert deal["value"] == {"amount": "57500.00", "currency": "CNY"}
    assert sum(Decimal(i["net"]["amount"]) for i in deal["line_items"]) == Decimal(deal["value"]["amount"])
    assert deal["line_items_note"] is None


def test_an_unknown_product_leaves_every_item_unapplied_and_the_imported_value_noted(client):
    known = product(client, "1000.00")
    [entry] = imported(client, row("Beta 有限公司", "88000", f"{known}:2;NO-SUCH-THING:1"))
    assert entry["line_items"] == "accepted for pricing"  # registration knows no catalogue

    deal = eventually(lambda: (d := tracked(client, entry["id"]))["line_items_note"] and d)

    assert "NO-SUCH-THING" in deal["line_items_note"]
    assert deal["line_items"] == []
    assert deal["value"] == {"amount": "88000.00", "currency": "CNY"}
    trail = client.get(f"/pipeline/deals/{entry['id']}/history", headers=AUDITOR)
    assert trail.status_code == 200, trail.text  # the auditor's trail reads the note's event too
    [noted] = [event for event in trail.json()["events"] if event["event"] == "Deal.LineItemsNotApplied"]
    assert "NO-SUCH-THING" in noted["reason"]
    # The consumer went on: a deal imported after it is tracked and priced.
    [later] = imported(client, row("Gamma 有限公司", "1", f"{known}:3"))
    assert eventually(lambda: tracked(client, later["id"])["line_items"])
    assert tracked(client, later["id"])["value"]["amount"] == "3000.00"


def test_a_product_priced_in_another_currency_or_retired_is_not_applied(client):
    dollars, retired = product(client, "100.00", "USD"), product(client, "10.00")
    assert client.post(f"/pipeline/products/{retired}/retire", headers=ADMIN).status_code == 200
    report = imported(
        client, row("Delta 有限公司", "7000", f"{dollars}:1"), row("Eps 有限公司", "6000", f"{retired}:1")
    )

    for entry, amount, word in zip(report, ("7000.00", "6000.00"), ("USD", "retired"), strict=True):
        deal = eventually(lambda e=entry: (d := tracked(client, e["id"]))["line_items_note"] and d)
        assert word in deal["line_items_note"]
        assert (deal["line_items"], deal["value"]["amount"]) == ([], amount)


@pytest.mark.parametrize("cell", ["ERP:abc", "ERP:-1", "ERP:NaN", "ERP", "ERP:1:2:3:4", "ERP:99999999"])
def test_a_malformed_line_items_cell_refuses_the_row_naming_the_column(client, cell):
    [entry] = imported(client, row("Zeta 有限公司", "5000", cell))
    assert entry["status"] == "refused"
    assert [error["field"] for error in entry["errors"]] == ["line_items"]


def test_a_deal_imported_without_line_items_keeps_its_value_and_has_none(client):
    [entry] = imported(client, row("Eta 有限公司", "66000", ""))
    assert entry["status"] == "created" and "line_items" not in entry
    deal = tracked(client, entry["id"])
    assert (deal["line_items"], deal["line_items_note"], deal["value"]["amount"]) == ([], None, "66000.00")


def test_a_pending_imports_items_are_priced_when_its_registration_is_approved(client):
    code = product(client, "2500.00")
    far = CLOSE_DATE + timedelta(days=400)  # beyond the months approved at once: a manager reviews it
    line = row("Theta 有限公司", "1", f"{code}:4").replace(str(CLOSE_DATE), str(far))
    [entry] = imported(client, line)
    assert entry["registration_status"] == "pending"
    assert pipeline_stage(client, entry["id"]) is None  # tracked, not in the pipeline: no items priced yet
    assert client.post(f"/registration/deals/{entry['id']}/approve", headers=MANAGER).status_code == 200
    deal = eventually(lambda: (d := tracked(client, entry["id"]))["line_items"] and d)
    assert deal["value"]["amount"] == "10000.00"  # 4 × 2500
