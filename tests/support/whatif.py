"""The histories the what-if tests replay: deals built by hand through the aggregate, for the
replay itself; and one recorded over HTTP with the services' clock set back, for the API and
the CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from services.registration.domain.deal import Deal
from services.registration.rules import Recycling, RecyclingPolicy
from shared.eventstore.application import meta
from tests.support.embedded import settle
from tests.support.flow import capture_and_convert
from tests.support.identities import REP

# -- by hand, through the aggregate ---------------------------------------------------------------

BY_REP = meta("rep-1", "corr-1")
SWEEP = meta("system", "sweep")
START = datetime(2026, 1, 1, tzinfo=UTC)


def stale_after(days: int) -> Recycling:
    """Only the staleness rule: protection expiry and the close date do not recycle."""
    return Recycling(
        default=RecyclingPolicy(stale_days=days, recycle_when_protection_expires=False, close_date_grace_days=None)
    )


def registered(at: datetime, owner: str = "rep-1", name: str = "ERP", level: str | None = None) -> Deal:
    return Deal(
        id=uuid4(),
        name=name,
        account_id=uuid4(),
        account_name=f"{name} Co., Ltd.",
        contacts=[],
        deal_type="new_business",
        customer_level=level,
        product_line=None,
        amount=Decimal("250000"),
        currency="CNY",
        expected_close_date=date(2026, 12, 31),
        source="trade_fair",
        owner_id=owner,
        lead_id=None,
        keys=[],
        conflicts=[],
        review_reasons=[],
        registration_status="approved",
        protected_until=at + timedelta(days=90),
        at=at,
        meta={**BY_REP, "actor": owner},
    )


def worked_on(deal: Deal, *days: int) -> None:
    """Activity the pipeline reported, on each of these days after START."""
    for day in days:
        deal.note_activity(START + timedelta(days=day), None, None, BY_REP)


def closed(deal: Deal, outcome: str, day: int) -> None:
    """Closed on that day after START (the event is dated when it was recorded, so set here)."""
    deal.trigger_event(
        Deal.Closed,
        outcome=outcome,
        upstream=None,
        meta=BY_REP,
        amount=None,
        currency=None,
        timestamp=START + timedelta(days=day),
    )


# -- over HTTP ------------------------------------------------------------------------------------

NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(days=40)


def record_history(http: Any) -> tuple[str, str]:
    """rep-1's deal A, registered 40 days ago and won today, and deal B, registered 15 days
    ago and open, neither worked on in between; their ids. (What the pipeline reports
    carries the instant it was recorded, the real one: the registrations alone are dated by
    the clock, a `FixedClock`, left at NOW.)"""
    clock = http.app.state.services["registration"].app.clock
    clock.set(T0)
    _, won = capture_and_convert(http, company="赢单科技有限公司")
    clock.set(NOW - timedelta(days=15))
    _, open_ = capture_and_convert(http, company="未决贸易有限公司", amount="200000.00")
    settle(http.app)
    clock.set(NOW)
    closed = http.post(f"/pipeline/deals/{won}/close", headers=REP, json={"outcome": "won"})
    assert closed.status_code == 200, closed.text
    settle(http.app)
    return won, open_
