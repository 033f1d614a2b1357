"""Every read registration answers: a deal as its aggregate stands, a deal's history, and,
from the read model, the pool and the sweep's candidates, the lead list, the conversion
model's training set and the accounts to re-tier. All of registration's SQL reads are
here; the routes only call them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Engine, RowMapping, false, func, or_, select

from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.lead import Lead
from services.registration.domain.recycling import Horizon
from services.registration.domain.tiers import Rfm
from services.registration.projections import registration_deals as rd
from services.registration.responses import money
from shared.clock import as_stored, in_utc


def deal_view(deal: Deal, tier: str | None = None) -> dict[str, Any]:
    return {
        "deal_id": str(deal.id),
        "name": deal.name,
        "account": {"id": str(deal.account_id), "name": deal.account_name, "tier": tier},
        "contacts": deal.contacts,
        "deal_type": deal.deal_type,
        "customer_level": deal.customer_level,
        "product_line": deal.product_line,
        "value": money(deal.amount, deal.currency),
        "expected_close_date": deal.expected_close_date.isoformat(),
        "source": deal.source,
        "registration_status": deal.registration_status,
        "review_reasons": deal.review_reasons,
        "conflicts": deal.conflicts,
        "owner_id": deal.owner_id,
        "in_pool": deal.in_pool,
        "protected_until": _iso(deal.protected_until),
        "last_activity_at": _iso(deal.last_activity_at),
        "outcome": deal.outcome,
        "recycle_warnings": deal.warnings,
        "ownership_history": [{**entry, "at": _iso(entry["at"])} for entry in deal.ownership],
        "version": deal.version,
    }


def lead_view(lead: Lead) -> dict[str, Any]:
    """A lead as its aggregate stands, with its latest score and the model that gave it."""
    budget = lead.budget
    return {
        "lead_id": str(lead.id),
        "company": lead.company,
        "contact": {k: v for k, v in lead.contact.items() if v},
        "source": lead.source,
        "region": lead.region,
        "industry": lead.industry,
        "budget": money(Decimal(budget["amount"]), budget["currency"]) if budget else None,
        "owner_id": lead.captured_by,
        "status": lead.status,
        "captured_at": _iso(lead.created_on),
        "disqualified_reason": lead.disqualified_reason,
        "deal_id": str(lead.deal_id) if lead.deal_id else None,
        "score": lead.score,
        "model_version": lead.model_version,
    }


def account_view(account: Account, now: Rfm | None) -> dict[str, Any]:
    """An account, its tier as last recorded and the RFM it stands at `now`."""
    return {
        "account_id": str(account.id),
        "name": account.name,
        "tier": account.tier,
        "tier_since": account.tier_since.isoformat() if account.tier_since else None,
        "rfm": now.as_dict() if now else None,
        "won_deals": [
            {
                "deal_id": w["deal_id"],
                "value": money(w["amount"], w["currency"]),
                "closed_on": w["closed_on"].isoformat(),
            }
            for w in account.wins
        ],
    }


def pool(engine: Engine, limit: int, offset: int) -> dict[str, Any]:
    """The deals waiting in the pool, longest waiting first."""
    query = (
        select(rd).where(rd.c.in_pool.is_(True)).order_by(rd.c.recycled_at, rd.c.deal_id).limit(limit).offset(offset)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return {"items": [_pool_card(row) for row in rows]}


def registrations(
    engine: Engine,
    status: str,
    owners: frozenset[str] | None,
    pool: bool,
    limit: int,
    offset: int,
    organisations: frozenset[str] | None = None,
) -> tuple[int, list[UUID]]:
    """One page of the registrations with `status` whose owner is in `owners` (None: anyone;
    `pool`: and those owned by nobody) or registered by a partner in `organisations`,
    longest waiting first, and how many there are."""
    where = rd.c.registration_status == status
    if owners is not None:
        reach: list[ColumnElement[bool]] = [rd.c.owner_id.in_(sorted(owners))]
        if pool:
            reach.append(rd.c.owner_id.is_(None))
        if organisations:
            reach.append(rd.c.partner.in_(sorted(organisations)))
        where = where & or_(false(), *reach)
    page = select(rd.c.deal_id).where(where).order_by(rd.c.last_activity_at, rd.c.deal_id).limit(limit).offset(offset)
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(rd).where(where)).scalar_one()
        ids = connection.execute(page).scalars().all()
    return total, [UUID(deal_id) for deal_id in ids]


def queued(deal: Deal) -> dict[str, Any]:
    """A registration as the approval queue shows it: the read model finds the page, the
    aggregate holds why the rules held it (the reasons and conflicts its `Registered` recorded)."""
    registered = deal.ownership[0]["at"] if deal.ownership else None
    return {
        "deal_id": str(deal.id),
        "name": deal.name,
        "account_name": deal.account_name,
        "owner_id": deal.owner_id,
        "value": money(deal.amount, deal.currency),
        "expected_close_date": deal.expected_close_date.isoformat(),
        "registration_status": deal.registration_status,
        "registered_at": _iso(registered),
        "review_reasons": deal.review_reasons,
        "conflicts": deal.conflicts,
    }


def owned_open_deal_ids(engine: Engine, horizon: Horizon) -> list[UUID]:
    """The recycling sweep's candidates: the approved, open deals somebody owns whose last
    activity, end of protection or close date has reached the loosest policy's bound (not
    every owned deal: at a million open deals a pass would read them all each time)."""
    due = []
    if horizon.active_before is not None:
        due += [rd.c.last_activity_at.is_(None), rd.c.last_activity_at <= as_stored(horizon.active_before)]
    if horizon.protected_before is not None:
        due.append(rd.c.protected_until <= as_stored(horizon.protected_before))
    if horizon.closing_on_or_before is not None:
        due.append(rd.c.expected_close_date <= horizon.closing_on_or_before)
    if not due:
        return []
    owned = rd.c.owner_id.is_not(None), rd.c.registration_status == "approved", rd.c.outcome.is_(None)
    with engine.connect() as connection:
        ids = connection.execute(select(rd.c.deal_id).where(*owned, or_(*due))).scalars().all()
    return [UUID(deal_id) for deal_id in ids]


def _pool_card(row: RowMapping) -> dict[str, Any]:
    return {
        "deal_id": row["deal_id"],
        "name": row["name"],
        "account_name": row["account_name"],
        "value": money(row["amount"], row["currency"]),
        "expected_close_date": row["expected_close_date"].isoformat(),
        "previous_owner_id": row["previous_owner_id"],
        "recycled_at": _iso(row["recycled_at"]),
        "recycle_reason": row["recycle_reason"],
    }


def _iso(moment: datetime | None) -> str | None:
    """An instant as the answers give it: with its offset (SQLite hands it back without)."""
    return in_utc(moment).isoformat() if moment is not None else None


def containing(text: str) -> str:
    """A LIKE pattern (escape: backslash) for values that hold `text` anywhere."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
