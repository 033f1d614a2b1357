"""Registration's edge: its domain events translated into the public catalogue.

Only this module knows both sides, so a refactor inside the service never changes what
the other services and the analytics consumers see.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.lead import Lead
from services.registration.domain.partner import Partner
from services.registration.domain.scoremodel import ScoreModel
from shared.contracts import CloudEvent
from shared.contracts import events as public
from shared.eventstore.application import public_event
from shared.eventstore.checkpoints import checkpoint_data

SOURCE = "crm/registration"


def to_public(event: Any) -> CloudEvent | None:
    checkpoint = checkpoint_data(event)  # routed by the relay to `crm.checkpoints`
    return public_event(SOURCE, checkpoint if checkpoint is not None else _data(event), event)


def _data(event: Any) -> public.EventData | None:
    subject = str(event.originator_id)  # the lead's, the deal's, the partner's, the account's or the model record's id
    if isinstance(event, (Lead.Disqualified, Lead.Scored, ScoreModel.Trained, Account.TierChanged)):
        return _scoring(subject, event)
    if isinstance(event, Lead.Captured):
        return public.LeadCaptured(
            lead_id=subject,
            company=event.company,
            contact=public.Contact(**event.contact),
            source=event.source,
            region=event.region,
            captured_by=event.meta["actor"],
            industry=event.industry,
            budget=event.budget,
        )
    if isinstance(event, Lead.Converted):
        return public.LeadConverted(
            lead_id=subject,
            deal_id=str(event.deal_id),
            account_id=str(event.account_id),
            contact_id=str(event.contact_id),
            converted_by=event.meta["actor"],
        )
    if isinstance(event, Deal.Registered):
        return public.DealRegistered(
            deal_id=subject,
            name=event.name,
            account=public.AccountRef(id=str(event.account_id), name=event.account_name),
            contacts=[public.DealContact(**contact) for contact in event.contacts],
            deal_type=event.deal_type,
            value=public.Money(amount=event.amount, currency=event.currency),
            expected_close_date=event.expected_close_date,
            source=event.source,
            owner_id=event.owner_id,
            registration_status=event.registration_status,
            protected_until=event.protected_until,
            customer_level=event.customer_level,
            product_line=event.product_line,
            review_reasons=event.review_reasons,
            partner=getattr(event, "partner", None),  # none on the registrations stored before partners
            line_items=[_requested(item, event.currency) for item in getattr(event, "line_items", None) or []],
        )
    if isinstance(event, Partner.Registered):
        return public.PartnerRegistered(
            partner_id=event.partner_id,
            name=event.name,
            channel_managers=list(event.channel_managers),
            registered_by=event.meta["actor"],
        )
    if isinstance(event, Deal.RegistrationApproved):
        return public.DealRegistrationApproved(
            deal_id=subject, approved_by=event.meta["actor"], protected_until=event.protected_until
        )
    if isinstance(event, Deal.RegistrationRejected):
        return public.DealRegistrationRejected(
            deal_id=subject,
            rejected_by=event.meta["actor"],
            reason=event.reason,
            conflicting_deal_id=str(event.conflicting_deal_id) if event.conflicting_deal_id else None,
            note=event.note,
        )
    if isinstance(event, Lead.Assigned):
        return public.LeadAssigned(
            lead_id=subject,
            previous_owner_id=event.previous_owner_id,
            owner_id=event.owner_id,
            rule=event.rule,
            reasons=list(event.reasons),
            assigned_by=event.meta["actor"],
        )
    if isinstance(event, Deal.Assigned):
        return public.DealAssigned(
            deal_id=subject,
            previous_owner_id=event.previous_owner_id,
            owner_id=event.owner_id,
            reason=event.reason,
            rule=getattr(event, "rule", None),  # none on the assignments stored before the rules
            reasons=getattr(event, "reasons", None),
        )
    if isinstance(event, Deal.Recycled):
        return public.DealRecycled(
            deal_id=subject,
            previous_owner_id=event.previous_owner_id,
            reason=event.reason,
            last_activity_at=event.last_activity_at,
            note=event.note,
        )
    if isinstance(event, Deal.RecycleWarned):
        return public.DealRecycleWarned(
            deal_id=subject, owner_id=event.owner_id, reason=event.reason, recycle_at=event.recycle_at
        )
    return None


def _scoring(subject: str, event: Any) -> public.EventData:
    if isinstance(event, Lead.Disqualified):
        return public.LeadDisqualified(lead_id=subject, reason=event.reason, disqualified_by=event.meta["actor"])
    if isinstance(event, Lead.Scored):
        return public.LeadScored(
            lead_id=subject, score=event.score, model_version=event.model_version, model_sequence=event.model_sequence
        )
    if isinstance(event, ScoreModel.Trained):
        return public.LeadScoreModelTrained(**{k: v for k, v in vars(event).items() if k in TRAINED_FIELDS})
    return public.AccountTierChanged(
        account_id=subject,
        account_name=event.account_name,
        previous_tier=event.previous_tier,
        tier=event.tier,
        rfm=public.Rfm(
            recency_days=event.rfm["recency_days"],
            frequency=event.rfm["frequency"],
            monetary=public.Money(amount=event.rfm["monetary"], currency=event.rfm["currency"]),
            score=event.rfm["score"],
        ),
        as_of=event.as_of,
    )


TRAINED_FIELDS = set(public.LeadScoreModelTrained.model_fields)


def _requested(item: dict[str, str], currency: str) -> public.RequestedLineItem:
    """An item as the import asked for it; its unit price, if given, is in the deal's currency."""
    price = item.get("unit_price")
    return public.RequestedLineItem(
        product_code=item["product_code"],
        quantity=item["quantity"],
        unit_price=public.Money(amount=Decimal(price), currency=currency) if price is not None else None,
        discount_percent=item.get("discount_percent", "0"),
    )
