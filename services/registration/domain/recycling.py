"""When a deal is due to go back to the pool (自动回收), by the recycling policy in force.

Pure: given the policy and the deal's instants, the earliest due reason and when. The
sweep in the application decides, with the clock, whether that is a warning or a recycle.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from services.registration.rules import RecyclingPolicy


def due_recycle(
    policy: RecyclingPolicy,
    *,
    last_activity_at: datetime,
    protected_until: datetime | None,
    expected_close_date: date,
) -> tuple[str, datetime] | None:
    candidates: list[tuple[datetime, str]] = []
    if policy.stale_days is not None:
        candidates.append((last_activity_at + timedelta(days=policy.stale_days), "stale"))
    if policy.recycle_when_protection_expires and protected_until is not None:
        candidates.append((protected_until, "protection_expired"))
    if policy.close_date_grace_days is not None:
        day_after = datetime.combine(expected_close_date, time.min, tzinfo=UTC) + timedelta(days=1)
        candidates.append((day_after + timedelta(days=policy.close_date_grace_days), "close_date_passed"))
    if not candidates:
        return None
    at, reason = min(candidates)
    return reason, at
