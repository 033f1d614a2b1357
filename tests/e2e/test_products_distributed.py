"""Line items across processes, on PostgreSQL and the broker: what the pipeline records
reaches the forecast's product-line grouping (forecast and win rate) over Kafka."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date

import pytest

from tests.e2e.test_distributed import read_topic
from tests.support.flow import CLOSE_PERIOD, capture_and_convert, eventually, pipeline_stage
from tests.support.identities import ADMIN, MANAGER, REP
from tests.support.processes import running_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(database_url, kafka, tmp_path_factory):
    with running_cluster(database_url, kafka, tmp_path_factory.mktemp("products")) as running:
        yield running


def product(code: str, line: str, price: str) -> dict:
    return {
        "code": code,
        "name_zh": f"产品 {code}",
        "product_line": line,
        "unit": "套",
        "list_price": {"amount": price, "currency": "CNY"},
    }


def test_line_items_recorded_in_the_pipeline_reach_the_forecasts_product_lines(cluster, kafka):
    http = cluster.http
    tag = uuid.uuid4().hex[:6].upper()
    erp, crm = f"erp-{tag}", f"crm-{tag}"
    for code, line, price in ((f"ERP-{tag}", erp, "40000.00"), (f"CRM-{tag}", crm, "1000.00")):
        assert http.post("/pipeline/products", headers=ADMIN, json=product(code, line, price)).status_code == 201
    _, deal_id = capture_and_convert(http, company=f"Line Items {tag} Ltd", amount="5.00")
    eventually(lambda: pipeline_stage(http, deal_id) == "prospecting")
    items = [
        {"product_code": f"ERP-{tag}", "quantity": 2, "discount_percent": "12.5"},  # 70000.00
        {"product_code": f"CRM-{tag}", "quantity": 10},  # 10000.00
    ]
    answer = http.put(f"/pipeline/deals/{deal_id}/line-items", headers=REP, json={"items": items})
    assert answer.status_code == 200, answer.text
    assert answer.json()["value"]["amount"] == "80000.00"

    def grouped() -> dict | None:
        forecast = http.get(
            "/forecast/pipeline", headers=REP, params={"period": CLOSE_PERIOD, "group_by": "product_line"}
        ).json()
        groups = {g["key"]: g for g in forecast["groups"] if g["key"] in (erp, crm)}
        return groups if len(groups) == 2 else None

    groups = eventually(grouped, timeout=30)
    assert groups[erp]["total"] == [{"amount": "70000.00", "currency": "CNY"}]
    assert groups[erp]["weighted"] == [{"amount": "7000.00", "currency": "CNY"}]  # prospecting: 10 %
    assert groups[crm]["total"] == [{"amount": "10000.00", "currency": "CNY"}]
    assert groups[erp]["count"] == groups[crm]["count"] == 1

    # On the broker: the items and the value change, as a value edit publishes it.
    records = asyncio.run(read_topic(kafka, cluster.topic_prefix + "crm.pipeline", until=10))
    mine = [json.loads(r.value) for r in records if r.key.decode() == deal_id]
    changed = next(e for e in mine if e["type"] == "crm.deal.line_items_changed.v1")
    assert changed["data"]["product_lines"] == {
        erp: {"amount": "70000.00", "currency": "CNY"},
        crm: {"amount": "10000.00", "currency": "CNY"},
    }
    updated = next(e for e in mine if e["type"] == "crm.deal.updated.v1")
    assert updated["data"]["changes"]["value"]["after"] == {"amount": "80000.00", "currency": "CNY"}

    assert http.post(f"/pipeline/deals/{deal_id}/close", headers=REP, json={"outcome": "won"}).status_code == 200

    def won_in_both_lines() -> list | None:
        report = http.get(
            "/forecast/reports/win-rate",
            headers=MANAGER,
            params={"period": str(date.today().year), "group_by": "product_line"},
        ).json()
        found = [(g["key"], g["won"]) for g in report["groups"] if g["key"] in (erp, crm)]
        return found if len(found) == 2 else None

    assert eventually(won_in_both_lines, timeout=30) == [(crm, 1), (erp, 1)]
