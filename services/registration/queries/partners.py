"""What a channel partner sees of a registration, who manages which partner, and the partner report."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from services.registration.domain.partner import Partner, partner_aggregate_id
from services.registration.projections import registration_deals as rd
from services.registration.projections import registration_partners as rp
from services.registration.responses import money

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
