"""Every read registration answers: a deal as its aggregate stands, a deal's history, and,
from the read model, the pool and the sweep's candidates. All of registration's SQL reads
are here; the routes only call them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Engine, RowMapping, false, func, or_, select

from services.registration.domain.deal import Deal
from services.registration.domain.partner import Partner, partner_aggregate_id
from services.registration.projections import registration_deals as rd
from services.registration.projections import registration_partners as rp
from services.registration.responses import money


def deal_view(deal: Deal) -> dict[str, Any]:
    return {
        "deal_id": str(deal.id),
        "name": deal.name,
        "account": {"id": str(deal.account_id), "name": deal.account_name},
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


# -- what a channel partner sees ------------------------------------------------------------

_NAMES_A_DEAL = re.compile(r"^matches deal \S+ on (\w+)$")


def for_partner(view: dict[str, Any], caller_id: str) -> dict[str, Any]:
    """A registration (a deal view, a queue item, a registration's answer) as its channel
    partner sees it: its status and why it waits, never who or which deal holds the
    customer, nor who else owned or reviewed it."""
    reasons = [
        _NAMES_A_DEAL.sub(r"the customer is already registered (matched on \1)", r) for r in view["review_reasons"]
    ]
    seen = {**view, "review_reasons": reasons}
    if "conflicts" in view:
        seen["conflicts"] = []
    if "owner_id" in view and view["owner_id"] != caller_id:
        seen["owner_id"] = None
    if "ownership_history" in view:
        seen["ownership_history"] = [e for e in view["ownership_history"] if e["owner_id"] == caller_id == e["by"]]
    return seen


# -- channel partners ------------------------------------------------------------------------


class PartnerDirectory:
    """Who manages which partner (`shared.web.access.Organisations`): an organisation's
    channel managers as its aggregate stands (what a review checks), and the organisations a
    manager manages from the read model (what a list or the report filters on)."""

    def __init__(self, find: Callable[[type, Any], Any], engine: Engine) -> None:
        self.find, self.engine = find, engine

    def managers(self, organisation: str) -> frozenset[str]:
        partner = self.find(Partner, partner_aggregate_id(organisation))
        return frozenset(partner.channel_managers) if partner is not None else frozenset()

    def managed_by(self, user_id: str) -> frozenset[str]:
        return frozenset(row["partner_id"] for row in partners(self.engine) if user_id in row["channel_managers"])


def partners(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(select(rp).order_by(rp.c.partner_id)).mappings().all()
    return [
        {"partner_id": r["partner_id"], "name": r["name"], "channel_managers": list(r["channel_managers"])}
        for r in rows
    ]


def partner_report(engine: Engine, organisations: frozenset[str] | None) -> list[dict[str, Any]]:
    """Per partner: its registrations, how many were approved and rejected (the approval
    rate: approved of those decided), its conflicts (registrations refused because the
    customer was taken, and those that matched another deal and went to review) and the
    value of its deals won, per currency."""
    status, counted = rd.c.registration_status, func.count()
    with engine.connect() as connection:
        named = connection.execute(select(rp)).mappings().all()
        by_status = connection.execute(select(rd.c.partner, status, counted).group_by(rd.c.partner, status)).all()
        matched = connection.execute(select(rd.c.partner, counted).where(rd.c.conflicted).group_by(rd.c.partner)).all()
        won = connection.execute(
            select(rd.c.partner, rd.c.won_currency, func.sum(rd.c.won_amount), counted)
            .where(rd.c.won_amount.is_not(None))
            .group_by(rd.c.partner, rd.c.won_currency)
        ).all()
    rows: dict[str, dict[str, Any]] = {
        p["partner_id"]: {
            "partner_id": p["partner_id"],
            "name": p["name"],
            "registrations": 0,
            "pending": 0,
            "approved": 0,
            "rejected": 0,
            "conflicts": p["refused"],
            "won_deals": 0,
            "won": [],
        }
        for p in named
        if organisations is None or p["partner_id"] in organisations
    }
    for partner, state, count in by_status:
        if partner in rows:
            rows[partner][state] += count
            rows[partner]["registrations"] += count
    for partner, count in matched:
        if partner in rows:
            rows[partner]["conflicts"] += count
    for partner, currency, amount, count in won:
        if partner in rows:
            rows[partner]["won_deals"] += count
            rows[partner]["won"].append(money(Decimal(amount), currency))
    for row in rows.values():
        decided = row["approved"] + row["rejected"]
        row["approval_rate"] = round(row["approved"] / decided, 4) if decided else None
        row["won"].sort(key=lambda m: m["currency"])
    return sorted(rows.values(), key=lambda row: row["partner_id"])


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
