"""The lead list, and the conversion model's and the re-tiering job's candidates."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Engine, RowMapping, and_, asc, desc, func, or_, select

from services.registration.domain.scoremodel import ScoreModel
from services.registration.domain.scoring import INPUTS
from services.registration.projections import account_tiers
from services.registration.projections import registration_leads as rl
from services.registration.queries import _iso, containing
from services.registration.responses import money
from services.registration.rules import LeadScoring
from shared.errors import Invalid

LEAD_SORTS = {"captured_at": rl.c.captured_at, "company": rl.c.company, "score": func.coalesce(rl.c.score, -1.0)}


def leads(
    engine: Engine,
    filters: dict[str, str | None],
    owners: frozenset[str] | None,
    sort: str,
    limit: int,
    cursor: str | None,
    q: str | None = None,
) -> dict[str, Any]:
    """One page of the leads matching `filters` (column: value, None for any) and `q` (any
    part of the company or the contact's name) whose owner is in `owners` (None: anyone), by
    `sort` (`-` first: descending), then by id; `next_cursor` fetches the next page (stable
    under inserts, unlike offsets). Unscored leads sort as -1."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key not in LEAD_SORTS:
        raise Invalid("sort", f"sort by one of {', '.join(LEAD_SORTS)}, `-` first for descending", "query")
    column = LEAD_SORTS[key]
    where: list[ColumnElement[bool]] = [rl.c[name] == value for name, value in filters.items() if value is not None]
    if owners is not None:
        where.append(rl.c.owner_id.in_(sorted(owners)))
    if q:
        pattern = containing(q.casefold())
        named = (func.lower(func.coalesce(c, "")).like(pattern, escape="\\") for c in (rl.c.company, rl.c.contact_name))
        where.append(or_(*named))
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
