"""Exports of the deal list and of the forecast and its reports, embedded: the same rows as
the JSON answers, the same filters, and never another rep's deal."""

from __future__ import annotations

import pytest

from tests.e2e.test_finding_api import rows_of
from tests.support.flow import CLOSE_DATE, CLOSE_PERIOD, eventually
from tests.support.identities import ADMIN, MANAGER, REP, REP2


def convert(http, headers, company: str, amount: str) -> str:
    lead = http.post("/registration/leads", headers=headers, json={"company": company, "contact": {"name": company}})
    assert lead.status_code == 201, lead.text
    converted = http.post(
        f"/registration/leads/{lead.json()['lead_id']}/convert",
        headers=headers,
        json={"value": {"amount": amount, "currency": "CNY"}, "expected_close_date": CLOSE_DATE.isoformat()},
    )
    assert converted.status_code == 201, converted.text
    return converted.json()["deal_id"]


@pytest.fixture(scope="module")
def deals(tmp_path_factory):
    from fastapi.testclient import TestClient

    from crm.app import create_app
    from tests.support.embedded import embedded_settings

    with TestClient(create_app(embedded_settings(tmp_path_factory.mktemp("export")))) as http:
        mine = convert(http, REP, "新城百货有限公司", "100000.00")
        theirs = convert(http, REP2, "@SUM(A1:A9) 东方电子", "5000.00")
        eventually(lambda: len(http.get("/pipeline/deals", headers=ADMIN).json()["items"]) == 2)
        eventually(
            lambda: http.get("/forecast/pipeline", headers=ADMIN, params={"period": CLOSE_PERIOD}).json()["count"] == 2
        )
        yield http, mine, theirs


class TestDealListExport:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_a_rep_exports_only_their_own_deals(self, deals, fmt):
        http, mine, theirs = deals
        answer = http.get("/pipeline/deals", headers=REP, params={"format": fmt})
        assert answer.headers["content-disposition"] == f'attachment; filename="deals.{fmt}"'
        rows = rows_of(answer)
        assert [r[0] for r in rows[1:]] == [mine]
        assert rows[1][rows[0].index("account_name")] == "新城百货有限公司"
        assert float(rows[1][rows[0].index("value_amount")]) == 100000.0

    def test_every_deal_in_reach_with_the_filters_and_formulas_neutralised(self, deals):
        http, mine, theirs = deals
        rows = rows_of(http.get("/pipeline/deals", headers=MANAGER, params={"format": "csv", "sort": "-amount"}))
        assert [r[0] for r in rows[1:]] == [mine, theirs]
        assert rows[2][rows[0].index("account_name")] == "'@SUM(A1:A9) 东方电子"
        filtered = rows_of(http.get("/pipeline/deals", headers=ADMIN, params={"format": "xlsx", "q": "新城"}))
        assert [r[0] for r in filtered[1:]] == [mine]


class TestReportExport:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_the_forecast_by_owner_holds_a_row_per_owner_in_reach(self, deals, fmt):
        http, _, _ = deals
        params = {"period": CLOSE_PERIOD, "group_by": "owner", "format": fmt}
        rows = rows_of(http.get("/forecast/pipeline", headers=REP, params=params))
        assert [r[rows[0].index("key")] for r in rows[1:]] == ["rep-1"]
        everyone = rows_of(http.get("/forecast/pipeline", headers=ADMIN, params=params))
        assert sorted(r[everyone[0].index("key")] for r in everyone[1:]) == ["rep-1", "rep-2"]
        assert "100000.00 CNY" in everyone[1] + everyone[2]

    def test_a_report_exports_its_rows(self, deals):
        http, _, _ = deals
        answer = http.get("/forecast/reports/stage-conversion", headers=ADMIN, params={"format": "csv"})
        assert answer.headers["content-disposition"] == 'attachment; filename="stage-conversion.csv"'
        rows = rows_of(answer)
        json_rows = http.get("/forecast/reports/stage-conversion", headers=ADMIN).json()["stages"]
        assert rows[0] == ["stage", "reached", "went_on", "conversion"]
        assert [r[0] for r in rows[1:]] == [s["stage"] for s in json_rows]
