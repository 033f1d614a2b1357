"""The history the what-if tests replay, recorded over HTTP with the services' clock set
back: rep-1's deal A, registered 40 days ago and won today, and deal B, registered 15 days
ago and open, neither worked on in between. (What the pipeline reports carries the instant
it was recorded, the real one: the registrations alone are dated by the clock.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.embedded import settle
from tests.support.flow import capture_and_convert
from tests.support.identities import REP

NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(days=40)


def record_history(http: Any) -> tuple[str, str]:
    """A and B's ids; the services' clock (a `FixedClock` at T0) is left at NOW."""
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
