"""Events a projection could not apply, set aside so the read model carries on.

A projector that meets an event it cannot apply (a value its database refuses, a bug in
one branch of a projection) would otherwise retry it forever and every later event would
wait behind it. After its retries it records the event here, with the error, and moves
past it: the event itself stays in the event store, so once the cause is fixed
`crm parked retry` applies it again (or `crm replay --restart` rebuilds the whole model).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, DateTime, Integer, MetaData, String, Table, Text, delete, select

metadata = MetaData()

parked_events = Table(
    "parked_events",
    metadata,
    Column("projection", String(200), primary_key=True),
    Column("notification_id", BigInteger, primary_key=True),
    Column("topic", String(400), nullable=False),
    Column("originator_id", String(100), nullable=False),
    Column("originator_version", Integer, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
)

_ERROR_LIMIT = 2000


def storable(text: str) -> str:
    """The error as text any database keeps: the error may quote the very value that no
    column could hold (a NUL), so control characters are escaped and the length bounded."""
    escaped = "".join(c if c in "\t\n" or (" " <= c and not "\ud800" <= c <= "\udfff") else repr(c)[1:-1] for c in text)
    return escaped[:_ERROR_LIMIT]


def park(connection: Connection, projection: str, notification: Any, error: BaseException, attempts: int) -> None:
    connection.execute(
        parked_events.insert().values(
            projection=projection,
            notification_id=notification.id,
            topic=notification.topic,
            originator_id=str(notification.originator_id),
            originator_version=notification.originator_version,
            error=storable(f"{type(error).__name__}: {error}"),
            attempts=attempts,
            parked_at=datetime.now(UTC),
        )
    )


def parked(connection: Connection, projection: str | None = None) -> list[dict[str, Any]]:
    query = select(parked_events).order_by(parked_events.c.projection, parked_events.c.notification_id)
    if projection is not None:
        query = query.where(parked_events.c.projection == projection)
    return [dict(row) for row in connection.execute(query).mappings()]


def unpark(connection: Connection, projection: str, notification_id: int) -> None:
    connection.execute(
        delete(parked_events).where(
            parked_events.c.projection == projection, parked_events.c.notification_id == notification_id
        )
    )
