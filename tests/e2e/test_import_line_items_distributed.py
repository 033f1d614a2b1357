"""A deals import with line items across processes, on PostgreSQL and the broker: the items
travel on crm.deal.registered.v1 from registration's process to the pipeline's, which
prices them against its catalogue; an unknown product does not stop its consumer."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from decimal import Decimal

import pytest

from tests.e2e.test_distributed import read_topic
from tests.e2e.test_import_line_items import HEADER, row
from tests.support.flow import eventually, pipeline_stage
from tests.support.identities import ADMIN, AUDITOR, REP
from tests.support.processes import running_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(database_url, kafka, tmp_path_factory):
    with running_cluster(database_url, kafka, tmp_path_factory.mktemp("import-items")) as running:
        yield running


def test_imported_line_items_cross_the_broker_and_are_priced_by_the_pipelines_process(cluster, kafka):
    http = cluster.http
    code = f"P-{uuid.uuid4().hex[:8].upper()}"
    body = {"code": code, "name_zh": "标准版", "product_line": "erp", "unit": "套", "list_price": {"amount": "1200.00"}}
    assert http.post("/pipeline/products", headers=ADMIN, json=body).status_code == 201
    csv = HEADER + row("Unknown 有限公司", "5000", "NOT-SOLD:1") + row("Priced 有限公司", "1", f"{code}:5::10")
    answer = http.post("/registration/imports/deals", headers=REP, files={"file": ("d.csv", io.BytesIO(csv.encode()))})
    assert answer.status_code == 200, answer.text
    unknown, priced = answer.json()["report"]

    def detail(deal_id: str) -> dict | None:
        if pipeline_stage(http, deal_id) != "prospecting":
            return None
        return http.get(f"/pipeline/deals/{deal_id}", headers=AUDITOR).json()

    noted = eventually(lambda: (d := detail(unknown["id"])) and d["line_items_note"] and d, timeout=30)
    assert (noted["line_items"], noted["value"]["amount"]) == ([], "5000.00")
    deal = eventually(lambda: (d := detail(priced["id"])) and d["line_items"] and d, timeout=30)
    assert deal["value"] == {"amount": "5400.00", "currency": "CNY"}  # 5 × 1200 less 10 %
    assert Decimal(deal["line_items"][0]["net"]["amount"]) == Decimal("5400.00")

    registered = [
        json.loads(r.value)
        for r in asyncio.run(read_topic(kafka, cluster.topic_prefix + "crm.registration", until=50, timeout=5))
        if r.key.decode() == priced["id"]
    ]
    assert registered[0]["data"]["line_items"] == [
        {"product_code": code, "quantity": "5", "unit_price": None, "discount_percent": "10"}
    ]
