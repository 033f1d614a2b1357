"""The account list (each account with its deals and contacts in the caller's reach), the
contact list, and the search box over deals, leads, accounts and contacts."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, String, and_, asc, desc, false, func, or_, select, true, type_coerce
from sqlalchemy.dialects import postgresql

from services.registration.projections import account_tiers as tiers
from services.registration.projections import registration_accounts as ra
from services.registration.projections import registration_contacts as rc
from services.registration.projections import registration_deals as rd
from services.registration.projections import registration_search as rs
from services.registration.queries import _iso, containing
from services.registration.responses import money
from shared.errors import Invalid


@dataclass(frozen=True)
class Reach:
    """Whose subjects a list holds: owners in `owners` (None: anyone's), the pool's when
    `pool`, and those of the outside organisations in `organisations` (None: every one)."""

    owners: frozenset[str] | None
    pool: bool = False
    organisations: frozenset[str] | None = frozenset()

    def where(self, owner: Any, partner: Any) -> ColumnElement[bool]:
        if self.owners is None or self.organisations is None:
            return true()
        reach: list[ColumnElement[bool]] = [owner.in_(sorted(self.owners))]
        if self.pool:
            reach.append(owner.is_(None))
        if self.organisations:
            reach.append(partner.in_(sorted(self.organisations)))
        return or_(false(), *reach)


# -- paging ------------------------------------------------------------------------------------


def _page(rows: list[Any], limit: int, key: str, id_key: str) -> tuple[list[Any], str | None]:
    page = rows[:limit]
    if len(rows) <= limit:
        return page, None
    value = page[-1][key]
    text = json.dumps([value.isoformat() if isinstance(value, datetime) else value, page[-1][id_key]])
    return page, base64.urlsafe_b64encode(text.encode()).decode()


def _after(cursor: str | None, column: Any, id_column: Any, descending: bool, timed: bool) -> ColumnElement[bool]:
    """The rows after the one the cursor names, in the list's order."""
    if not cursor:
        return true()
    try:
        value, last_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        value = datetime.fromisoformat(value) if timed else value
        if not isinstance(value, (str, datetime)):
            raise TypeError(value)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise Invalid("cursor", "not a cursor this list gave out (or sorted another way)", "query") from None
    after = column < value if descending else column > value
    return or_(after, and_(column == value, id_column > str(last_id)))


def _sorting(sort: str, columns: dict[str, Any]) -> tuple[str, Any, bool]:
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key not in columns:
        raise Invalid("sort", f"sort by one of {', '.join(columns)}, `-` first for descending", "query")
    return key, columns[key], descending


# -- accounts ------------------------------------------------------------------------------------

ACCOUNT_SORTS = {"name": ra.c.name, "opened_at": ra.c.opened_at}


def accounts(
    engine: Engine, q: str | None, tier: str | None, deals: Reach, sort: str, limit: int, cursor: str | None
) -> dict[str, Any]:
    """One page of the accounts (every account: customers are nobody's own), named like `q`,
    of `tier`; each with the deals and contacts in `deals` reach."""
    key, column, descending = _sorting(sort, ACCOUNT_SORTS)
    query = select(ra, tiers.c.tier, column.label("sort_key")).outerjoin(tiers, tiers.c.account_id == ra.c.account_id)
    if q:
        query = query.where(func.lower(ra.c.name).like(containing(q.casefold()), escape="\\"))
    if tier:
        query = query.where(tiers.c.tier == tier)
    query = query.where(_after(cursor, column, ra.c.account_id, descending, key == "opened_at"))
    query = query.order_by((desc if descending else asc)(column), ra.c.account_id).limit(limit + 1)
    with engine.connect() as connection:
        rows = list(connection.execute(query).mappings().all())
        page, next_cursor = _page(rows, limit, "sort_key", "account_id")
        ids = [row["account_id"] for row in page]
        held = connection.execute(
            select(rd).where(rd.c.account_id.in_(ids), deals.where(rd.c.owner_id, rd.c.partner)).order_by(rd.c.name)
        )
        by_account: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        for deal in held.mappings():
            by_account[deal["account_id"]].append(_deal_line(deal))
        people: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
        for contact in connection.execute(_contacts_in(deals).where(rc.c.account_id.in_(ids))).mappings():
            people[contact["account_id"]].append(contact_row(contact))
    items = [
        {
            "account_id": row["account_id"],
            "name": row["name"],
            "tier": row["tier"],
            "opened_at": _iso(row["opened_at"]),
            "deals": by_account[row["account_id"]],
            "contacts": people[row["account_id"]],
        }
        for row in page
    ]
    return {"items": items, "next_cursor": next_cursor}


def _deal_line(row: Any) -> dict[str, Any]:
    return {
        "deal_id": row["deal_id"],
        "name": row["name"],
        "owner_id": row["owner_id"],
        "registration_status": row["registration_status"],
        "outcome": row["outcome"],
        "value": money(row["amount"], row["currency"]),
    }


# -- contacts ------------------------------------------------------------------------------------

CONTACT_SORTS = {"name": func.coalesce(rc.c.name, ""), "added_at": rc.c.added_at}


def _contacts_in(reach: Reach) -> Any:
    return (
        select(rc, ra.c.name.label("account_name"), rd.c.name.label("deal_name"), rd.c.owner_id)
        .join(rd, rd.c.deal_id == rc.c.deal_id)
        .outerjoin(ra, ra.c.account_id == rc.c.account_id)
        .where(reach.where(rd.c.owner_id, rd.c.partner))
        .order_by(rc.c.name, rc.c.contact_id)
    )


def contacts(
    engine: Engine,
    q: str | None,
    account_id: str | None,
    owner: str | None,
    reach: Reach,
    sort: str,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """One page of the contacts in reach: a contact is in reach when the deal it came with is."""
    key, column, descending = _sorting(sort, CONTACT_SORTS)
    query = _contacts_in(reach).order_by(None).add_columns(column.label("sort_key"))
    if q:
        pattern = containing(q.casefold())
        matched = (
            func.lower(func.coalesce(c, "")).like(pattern, escape="\\") for c in (rc.c.name, rc.c.phone, rc.c.email)
        )
        query = query.where(or_(*matched))
    if account_id:
        query = query.where(rc.c.account_id == account_id)
    if owner:
        query = query.where(rd.c.owner_id == owner)
    query = query.where(_after(cursor, column, rc.c.contact_id, descending, key == "added_at"))
    query = query.order_by((desc if descending else asc)(column), rc.c.contact_id).limit(limit + 1)
    with engine.connect() as connection:
        rows = list(connection.execute(query).mappings().all())
    page, next_cursor = _page(rows, limit, "sort_key", "contact_id")
    return {"items": [contact_row(row) for row in page], "next_cursor": next_cursor}


def contact_row(row: Any) -> dict[str, Any]:
    return {
        "contact_id": row["contact_id"],
        "name": row["name"],
        "phone": row["phone"],
        "email": row["email"],
        "account_id": row["account_id"],
        "account_name": row["account_name"],
        "deal_id": row["deal_id"],
        "deal_name": row["deal_name"],
        "owner_id": row["owner_id"],
        "added_at": _iso(row["added_at"]),
    }


# -- the search box ------------------------------------------------------------------------------

KINDS = ("deal", "lead", "account", "contact")


def search(engine: Engine, q: str, reaches: dict[str, Reach | None], limit: int) -> dict[str, Any]:
    """Up to `limit` hits of each kind whose text holds `q` (any part of a name: 新城 finds
    新城百货有限公司), only of the kinds and subjects in the caller's reach (a kind whose
    reach is None is not searched). Those starting with `q` come first, then the shorter."""
    text = " ".join(q.split()).casefold()
    if not text:
        raise Invalid("q", "say what to look for", "query")
    postgres = engine.dialect.name == "postgresql"
    found: dict[str, list[dict[str, Any]]] = {f"{kind}s": [] for kind in KINDS}
    with engine.connect() as connection:
        for kind in KINDS:
            reach = reaches.get(kind)
            if reach is None:
                continue
            query = select(rs).where(rs.c.kind == kind, _matching(kind, text, postgres))
            query = query.where(reach.where(rs.c.owner_id, rs.c.partner))
            hits = [dict(row) for row in connection.execute(query.limit(limit)).mappings()]
            hits.sort(key=lambda h: (not h["text"].startswith(f"{kind} {text}"), len(h["title"]), h["title"]))
            found[f"{kind}s"] = [_hit(h) for h in hits]
    return {"q": q, **found}


def _matching(kind: str, text: str, postgres: bool) -> ColumnElement[bool]:
    if len(text) <= 2 and postgres:  # too short for trigrams: the kind's one- and two-character pieces
        return type_coerce(rs.c.grams, postgresql.ARRAY(String)).contains([f"{kind} {text}"])
    pattern = f"{kind} {containing(text)}"  # the row's text starts with its kind
    if postgres:  # three or more: the trigram index (backslash is LIKE's escape there already)
        return rs.c.text.like(pattern)
    return rs.c.text.like(pattern, escape="\\")  # SQLite (the embedded mode): a scan


def _hit(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "id": row["subject_id"],
        "title": row["title"],
        "subtitle": row["subtitle"],
        "account_id": row["account_id"],
        "deal_id": row["deal_id"],
        "owner_id": row["owner_id"],
    }
