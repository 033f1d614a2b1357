"""The first flow of the product, driven over HTTP; shared by the embedded and the
distributed end-to-end tests so both modes are held to the same story."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from services.registration.domain.terms import DealTerms
from tests.support.identities import AUDITOR, REP

T = TypeVar("T")

# Services on the real clock refuse a close date in the past, so the deals of the flow close
# four weeks from the day the tests run (within the 12 months that are approved at once),
# and the forecast period asked for is the quarter that holds that day, whichever it is.
CLOSE_DATE = datetime.now(UTC).date() + timedelta(days=28)
TERMS = DealTerms(name="ERP", amount=Decimal("1000"), currency="CNY", expected_close_date=CLOSE_DATE)  # a small deal
CLOSE_PERIOD = f"{CLOSE_DATE.year}-Q{(CLOSE_DATE.month - 1) // 3 + 1}"


def eventually(probe: Callable[[], T | None], timeout: float = 15.0, interval: float = 0.05) -> T:
    """Reads are eventually consistent: poll until `probe` answers something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {probe.__doc__ or probe}")
        time.sleep(interval)


@dataclass
class FlowResult:
    lead_id: str
    deal_id: str
    forecast: dict[str, Any]


def capture_and_convert(
    http: Any, company: str = "华为技术有限公司", amount: str = "100000.00", closes: date = CLOSE_DATE
) -> tuple[str, str]:
    # A contact of its own per company: a shared phone would send the deal to review.
    tag = zlib.crc32(company.encode()) % 100_000_000
    lead = http.post(
        "/registration/leads",
        headers=REP,
        json={
            "company": company,
            "contact": {"name": "张三", "phone": f"138{tag:08d}", "email": f"zhang{tag}@example.com"},
            "source": "trade_fair",
            "region": "east",
        },
    )
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["lead_id"]
    converted = http.post(
        f"/registration/leads/{lead_id}/convert",
        headers=REP,
        json={"value": {"amount": amount, "currency": "CNY"}, "expected_close_date": closes.isoformat()},
    )
    assert converted.status_code == 201, converted.text
    body = converted.json()
    assert body["registration_status"] == "approved"
    assert {"deal_id", "account_id", "contact_id"} <= set(body)
    return lead_id, body["deal_id"]


def pipeline_stage(http: Any, deal_id: str) -> str | None:
    response = http.get(f"/pipeline/deals/{deal_id}", headers=AUDITOR)
    return response.json()["stage"] if response.status_code == 200 else None


def drive_first_flow(http: Any) -> FlowResult:
    lead_id, deal_id = capture_and_convert(http)

    def in_prospecting() -> bool:
        """the pipeline shows the converted deal in prospecting"""
        return pipeline_stage(http, deal_id) == "prospecting"

    eventually(in_prospecting)
    moved = http.post(
        f"/pipeline/deals/{deal_id}/stage", headers=REP, json={"to_stage": "proposal", "reason": "quote sent"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["probability"] == 65

    def forecast_shows_it() -> dict[str, Any] | None:
        """the forecast of the close date's quarter counts the deal at 65%"""
        answer = http.get(
            "/forecast/pipeline", headers=REP, params={"period": CLOSE_PERIOD, "group_by": "owner"}
        ).json()
        return answer if answer["weighted"] == [{"amount": "65000.00", "currency": "CNY"}] else None

    forecast = eventually(forecast_shows_it)
    assert forecast["count"] == 1
    assert forecast["total"] == [{"amount": "100000.00", "currency": "CNY"}]
    assert forecast["categories"]["best_case"]["count"] == 1
    assert forecast["groups"] == [
        {"key": "rep-1", "count": 1, "total": forecast["total"], "weighted": forecast["weighted"]}
    ]
    return FlowResult(lead_id, deal_id, forecast)
