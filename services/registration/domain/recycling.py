"""When a deal is due to go back to the pool (自动回收), and what the sweep does about it.

Pure: given the recycling policy in force, the deal and the instant of the sweep, the
earliest due reason and when, and whether that means recycling the deal now, warning its
owner, or nothing yet. The application carries the decision out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.registration.domain.deal import Deal
from services.registration.rules import Recycling, RecyclingPolicy


@dataclass(frozen=True)
class Recycle:
    reason: str


@dataclass(frozen=True)
class Warn:
    reason: str
    recycle_at: datetime


def sweep_decision(recycling: Recycling, deal: Deal, now: datetime, tier: str | None = None) -> Recycle | Warn | None:
    """What the sweep does to an approved, open, owned deal at `now` (to any other: nothing).

    The policy keys on the customer level set on the deal by hand, else on its account's
    computed tier (A / B / C, `tiers`): a level somebody set is a decision, the tier only
    the default, so `by_customer_level` rules written for "A" apply to tier-A customers."""
    if deal.owner_id is None or deal.registration_status != "approved" or deal.outcome:
        return None
    policy = recycling.policy_for(deal.deal_type, deal.customer_level or tier)
    due = due_recycle(
        policy,
        last_activity_at=deal.last_activity_at,
        protected_until=deal.protected_until,
        expected_close_date=deal.expected_close_date,
    )
    if due is None:
        return None
    reason, recycle_at = due
    if now >= recycle_at:
        return Recycle(reason)
    if now >= recycle_at - timedelta(days=policy.warning_days):
        return Warn(reason, recycle_at)
    return None


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


@dataclass(frozen=True)
class Horizon:
    """The loosest of every policy the rules can give a deal, for proposing candidates: a deal
    none of whose dates has reached these bounds is neither due nor to be warned at `now`."""

    active_before: datetime | None  # last activity at or before this (None: no policy goes stale)
    protected_before: datetime | None  # protection ending at or before this (None: no policy recycles then)
    closing_on_or_before: date | None  # expected close date on or before this (None: no grace rule)


def horizon(recycling: Recycling, now: datetime) -> Horizon:
    types = [*recycling.by_deal_type, None]  # None: a type without an override
    levels = [*recycling.by_customer_level, None]
    policies = [recycling.policy_for(t or "", level) for t in types for level in levels]
    stale = [p.stale_days - p.warning_days for p in policies if p.stale_days is not None]
    protection = [p.warning_days for p in policies if p.recycle_when_protection_expires]
    grace = [1 + p.close_date_grace_days - p.warning_days for p in policies if p.close_date_grace_days is not None]
    slack = timedelta(days=1)  # proposing a day early costs one aggregate read; a row's stored instant may round
    return Horizon(
        active_before=now - timedelta(days=min(stale)) + slack if stale else None,
        protected_before=now + timedelta(days=max(protection)) + slack if protection else None,
        closing_on_or_before=(now - timedelta(days=min(grace)) + slack).date() if grace else None,
    )
