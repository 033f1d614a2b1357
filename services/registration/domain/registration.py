"""The registration rule (报备): what registering a deal decides and creates.

A registration that matches no other active deal, meets the auto-approval thresholds and
comes from no channel partner is approved at once and protected from that moment; any other waits for a manager, with
the reasons why. Either way the owner's holdings take the deal, a customer nobody
registered before gets an account, and the deal claims the customer keys that are free.
The application loads what this needs (the duplicate check, the holdings) and saves what
it returns, all together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.registration.domain import normalise
from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.duplicates import DuplicateCheck, threshold_reasons
from services.registration.domain.indexes import CustomerKey, Holdings
from services.registration.domain.terms import DealTerms
from services.registration.rules import Rules
from shared.errors import Invalid


@dataclass(frozen=True)
class Registration:
    """What a registration came to."""

    deal_id: UUID
    registration_status: str
    review_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversion(Registration):
    account_id: UUID | None = None
    contact_id: UUID | None = None


def check_close_date(terms: DealTerms, today: date) -> None:
    if terms.expected_close_date < today:
        raise Invalid("expected_close_date", "the expected close date has already passed")


def register_new_deal(
    terms: DealTerms,
    *,
    deal_id: UUID,
    account_name: str,
    contacts: list[dict[str, Any]],
    lead_id: UUID | None,
    owner_id: str,
    check: DuplicateCheck,
    holdings: Holdings,
    rules: Rules,
    now: datetime,
    meta: dict[str, str],
    partner: str | None = None,
) -> tuple[Deal, list[Aggregate]]:
    """The new deal, and every aggregate to save with it (the deal first). A channel
    partner's registration always waits for a channel manager."""
    touched: list[Aggregate] = []
    account_id = check.account_id
    if account_id is None:
        account = Account(name=account_name, contacts=contacts, meta=meta)
        account_id = account.id
        touched.append(account)
    review = [f"matches deal {c['deal_id']} on {c['matched_on']}" for c in check.conflicts]
    review += threshold_reasons(rules.auto_approval, terms, now.date())
    if partner is not None:
        review.append(f"registered by channel partner {partner}: a channel manager reviews it")
    holdings.take(deal_id, rules.limit_for(owner_id))
    approved = not review
    deal = Deal(
        id=deal_id,
        name=terms.name,
        account_id=account_id,
        account_name=account_name,
        contacts=[{k: c[k] for k in ("id", "name", "phone", "email") if c.get(k)} for c in contacts],
        deal_type=terms.deal_type or ("new_business" if check.account_id is None else "existing_business"),
        customer_level=terms.customer_level,
        product_line=terms.product_line,
        amount=terms.amount,
        currency=terms.currency,
        expected_close_date=terms.expected_close_date,
        source=terms.source,
        owner_id=owner_id,
        lead_id=lead_id,
        keys=[key for key, _ in check.free_keys],
        conflicts=check.conflicts,
        review_reasons=review,
        registration_status="approved" if approved else "pending",
        protected_until=now + timedelta(days=rules.protection_days) if approved else None,
        at=now,
        meta=meta,
        partner=partner,
        line_items=[dict(item) for item in terms.line_items] or None,
    )
    for key, existing in check.free_keys:
        if existing is None:
            touched.append(
                CustomerKey(id=normalise.key_id(key), key=key, deal_id=deal_id, account_id=account_id, meta=meta)
            )
        else:
            existing.claim(deal_id, account_id, meta)
            touched.append(existing)
    return deal, [deal, holdings, *touched]
