"""Every read registration answers: a deal as its aggregate stands, a deal's history, and,
from the read model, the pool and the sweep's candidates, the lead list, the conversion
model's training set and the accounts to re-tier. All of registration's SQL reads are
here; the routes only call them.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Engine, RowMapping, and_, asc, desc, func, or_, select

from services.registration.domain.account import Account
from services.registration.domain.deal import Deal
from services.registration.domain.lead import Lead
from services.registration.domain.scoremodel import ScoreModel
from services.registration.domain.scoring import INPUTS
from services.registration.domain.tiers import Rfm
from services.registration.projections import account_tiers
from services.registration.projections import registration_deals as rd
from services.registration.projections import registration_leads as rl
from services.registration.responses import money
from services.registration.rules import LeadScoring
from shared.errors import Invalid

LEAD_SORTS = {"captured_at": rl.c.captured_at, "company": rl.c.company, "score": func.coalesce(rl.c.score, -1.0)}


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


def model_status(engine: Engine, record: ScoreModel | None, rules: LeadScoring) -> dict[str, Any]:
    """The conversion model in force and what it would train on now: "insufficient data"
    (with the counts) while the ended leads are too few or of one kind, else "trained"
    once a model was recorded, else "untrained" (the next run trains one)."""
    counts = ended_counts(engine)
    short = sum(counts.values()) < rules.min_sample or min(counts.values()) < rules.min_per_class
    latest = record.latest if record is not None else None
    return {
        "status": "insufficient data" if short else "trained" if latest else "untrained",
        **counts,
        "needed": rules.min_sample,
        "needed_per_class": rules.min_per_class,
        "inputs": list(INPUTS),
        "model": latest,
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
    engine: Engine, status: str, owners: frozenset[str] | None, pool: bool, limit: int, offset: int
) -> tuple[int, list[UUID]]:
    """One page of the registrations with `status` whose owner is in `owners` (None: anyone;
    `pool`: and those owned by nobody), longest waiting first, and how many there are."""
    where = rd.c.registration_status == status
    if owners is not None:
        reach = rd.c.owner_id.in_(sorted(owners))
        where = where & (or_(reach, rd.c.owner_id.is_(None)) if pool else reach)
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


def owned_open_deal_ids(engine: Engine) -> list[UUID]:
    """The recycling sweep's candidates: every approved, open deal somebody owns."""
    with engine.connect() as connection:
        ids = (
            connection.execute(
                select(rd.c.deal_id).where(
                    rd.c.owner_id.is_not(None), rd.c.registration_status == "approved", rd.c.outcome.is_(None)
                )
            )
            .scalars()
            .all()
        )
    return [UUID(deal_id) for deal_id in ids]


def leads(
    engine: Engine,
    filters: dict[str, str | None],
    owners: frozenset[str] | None,
    sort: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """One page of the leads matching `filters` (column: value, None for any) whose owner is in
    `owners` (None: anyone), by `sort` (`-` first: descending), then by id; `next_cursor`
    fetches the next page (stable under inserts, unlike offsets). Unscored leads sort as -1."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key not in LEAD_SORTS:
        raise Invalid("sort", f"sort by one of {', '.join(LEAD_SORTS)}, `-` first for descending", "query")
    column = LEAD_SORTS[key]
    where: list[ColumnElement[bool]] = [rl.c[name] == value for name, value in filters.items() if value is not None]
    if owners is not None:
        where.append(rl.c.owner_id.in_(sorted(owners)))
    if cursor:
        last, last_id = _lead_cursor(cursor, key)
        after = column < last if descending else column > last
        where.append(or_(after, and_(column == last, rl.c.lead_id > last_id)))
    query = select(rl, column.label("sort_key")).where(*where)
    query = query.order_by((desc if descending else asc)(column), rl.c.lead_id).limit(limit + 1)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    page = rows[:limit]
    more = len(rows) > limit
    return {"items": [lead_row(row) for row in page], "next_cursor": _next_cursor(page[-1]) if more else None}


def lead_row(row: RowMapping) -> dict[str, Any]:
    budget = money(row["budget_amount"], row["budget_currency"]) if row["budget_amount"] is not None else None
    return {
        "lead_id": row["lead_id"],
        "company": row["company"],
        "contact": {k: v for k in ("name", "phone", "email") if (v := row["contact_name" if k == "name" else k])},
        "source": row["source"],
        "region": row["region"],
        "industry": row["industry"],
        "budget": budget,
        "owner_id": row["owner_id"],
        "status": row["status"],
        "captured_at": _iso(row["captured_at"]),
        "disqualified_reason": row["disqualified_reason"],
        "deal_id": row["deal_id"],
        "score": row["score"],
        "model_version": row["model_version"],
    }


def ended_leads(engine: Engine, cap: int) -> list[dict[str, Any]]:
    """The conversion model's training set: the `cap` most recently ended leads, converted
    or disqualified, as the read model holds them."""
    query = select(rl).where(rl.c.status.in_(("converted", "disqualified")))
    query = query.order_by(rl.c.ended_at.desc(), rl.c.lead_id).limit(cap)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings().all()]


def ended_counts(engine: Engine) -> dict[str, int]:
    query = select(rl.c.status, func.count()).group_by(rl.c.status)
    with engine.connect() as connection:
        counts = {status: n for status, n in connection.execute(query).all()}
    return {"converted": counts.get("converted", 0), "disqualified": counts.get("disqualified", 0)}


def open_leads(engine: Engine) -> list[dict[str, Any]]:
    query = select(rl).where(rl.c.status == "open").order_by(rl.c.lead_id)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings().all()]


def tiered_account_ids(engine: Engine) -> list[UUID]:
    """The re-tiering job's candidates: every account that has won a deal."""
    with engine.connect() as connection:
        return [UUID(a) for a in connection.execute(select(account_tiers.c.account_id)).scalars().all()]


def _next_cursor(row: RowMapping) -> str:
    value = row["sort_key"]
    text = json.dumps([value.isoformat() if isinstance(value, datetime) else value, row["lead_id"]])
    return base64.urlsafe_b64encode(text.encode()).decode()


def _lead_cursor(cursor: str, key: str) -> tuple[Any, str]:
    try:
        value, lead_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if key == "captured_at":
            value = datetime.fromisoformat(value)
        elif key == "score":
            value = float(value)
        elif not isinstance(value, str):
            raise TypeError(value)
        return value, str(lead_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise Invalid("cursor", "not a cursor this list gave out (or sorted another way)", "query") from None


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
    return moment.isoformat() if moment is not None else None
