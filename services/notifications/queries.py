"""What the inbox routes read: a person's messages, newest first, and how many are unread."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select

from services.notifications.domain.texts import render
from services.notifications.projections import notifications_inbox
from shared.clock import in_utc

inbox = notifications_inbox.c


def page(
    connection: Connection, user_id: str, language: str, *, offset: int, limit: int, unread_only: bool
) -> dict[str, Any]:
    mine = (inbox.recipient == user_id) & inbox.shown
    listed = mine & inbox.read_at.is_(None) if unread_only else mine
    rows = connection.execute(
        select(notifications_inbox)
        .where(listed)
        .order_by(inbox.happened_at.desc(), inbox.notification_id)
        .offset(offset)
        .limit(limit)
    ).all()
    total = connection.execute(select(func.count()).where(listed)).scalar_one()
    unread = connection.execute(select(func.count()).where(mine & inbox.read_at.is_(None))).scalar_one()
    return {
        "items": [_item(row, language) for row in rows],
        "total": total,
        "unread": unread,
        "offset": offset,
        "limit": limit,
    }


def unread_count(connection: Connection, user_id: str) -> int:
    mine = (inbox.recipient == user_id) & inbox.shown & inbox.read_at.is_(None)
    return int(connection.execute(select(func.count()).where(mine)).scalar_one())


def unread_ids(connection: Connection, user_id: str) -> list[str]:
    mine = (inbox.recipient == user_id) & inbox.shown & inbox.read_at.is_(None)
    return [row.notification_id for row in connection.execute(select(inbox.notification_id).where(mine))]


def recipient_of(connection: Connection, notification_id: str) -> str | None:
    """Whose inbox the message is in (None: no such message, or one its reader turned off)."""
    row = connection.execute(
        select(inbox.recipient).where(inbox.notification_id == notification_id, inbox.shown)
    ).first()
    return None if row is None else str(row.recipient)


def _item(row: Any, language: str) -> dict[str, Any]:
    params = json.loads(row.params)
    title, body = render(row.kind, params, language)
    return {
        "notification_id": row.notification_id,
        "kind": row.kind,
        "deal_id": row.deal_id,
        "title": title,
        "body": body,
        "params": params,
        "happened_at": in_utc(row.happened_at),
        "read_at": in_utc(row.read_at) if row.read_at else None,
    }
