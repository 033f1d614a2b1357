"""What the notification tests share: the rules that make a small deal wait for review and
mail go out quickly, and the way a test hands the notifications service an upstream event
again (what a redelivery is)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.contracts import ReceivedEvent, parse_event

CLOSES = (datetime.now(UTC) + timedelta(days=40)).date()
REGISTRATION_RULES = json.dumps({"auto_approval": {"min_value": "50000"}})
NOTIFICATION_RULES = json.dumps(
    {"team_managers": {"east": ["mgr-1"]}, "mail_interval_seconds": 0.1, "retry_first_seconds": 0.3}
)


def register_small_deal(http: Any, headers: dict[str, str], name: str | None = None) -> str:
    """A deal below the auto-approval minimum: it waits for a manager's review."""
    name = name or f"小单 {uuid.uuid4().hex[:6]}"
    answer = http.post(
        "/registration/deals",
        headers=headers,
        json={
            "name": name,
            "account": {"name": f"{name} 公司"},
            "value": {"amount": "1000.00", "currency": "CNY"},
            "expected_close_date": CLOSES.isoformat(),
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["registration_status"] == "pending"
    return str(answer.json()["deal_id"])


def published(http: Any, service: str, event_type: str) -> list[ReceivedEvent]:
    """The public events `service` has published of a type, as a consumer receives them."""
    from services.registration.publishing import to_public

    app = http.app.state.services[service].app
    found = []
    for notification in app.read_notifications(0, 10_000):
        cloud = to_public(app.to_domain_event(notification))
        if cloud is not None and cloud.type == event_type:
            received = parse_event(cloud.to_bytes())
            assert isinstance(received, ReceivedEvent)
            found.append(received)
    return found
