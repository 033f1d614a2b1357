"""Durable positions in a notification log: how far a relay or a projector has got.

A position is advanced in the same transaction as the work it stands for (the projection
rows), and only from the value it was read at, so two replicas can never both apply the
same batch: the one that loses the race rolls back and reads again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Connection, MetaData, String, Table, select, update

metadata = MetaData()

positions = Table(
    "positions",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
)


# The shape (a fingerprint of its tables) each read model was built with: a projector that
# finds another shape rebuilds its read model from the event store.
shapes = Table(
    "projection_shapes",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("shape", String(64), nullable=False),
)


def read_shape(connection: Connection, name: str) -> str | None:
    return connection.execute(select(shapes.c.shape).where(shapes.c.name == name)).scalar()


def record_shape(connection: Connection, name: str, shape: str) -> None:
    if connection.execute(update(shapes).where(shapes.c.name == name).values(shape=shape)).rowcount == 0:
        connection.execute(shapes.insert().values(name=name, shape=shape))


class PositionMoved(RuntimeError):
    """Another worker advanced this position first; the caller's transaction must roll back."""


def read_position(connection: Connection, name: str, *, lock: bool = False) -> int:
    """The position (0 before the first batch); with `lock`, the row stays locked
    (PostgreSQL) until the caller's transaction ends, so replicas take turns."""
    if lock:
        _create_if_missing(connection, name)
    query = select(positions.c.position).where(positions.c.name == name)
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).scalar() or 0


def _create_if_missing(connection: Connection, name: str) -> None:
    """Insert the row at 0 unless it is there; two workers racing to create it both succeed."""
    insert = dialect_insert(connection)
    connection.execute(insert(positions).values(name=name, position=0).on_conflict_do_nothing())


def dialect_insert(connection: Connection) -> Any:
    """The INSERT with ON CONFLICT of the store in use (PostgreSQL or SQLite)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert
    raise NotImplementedError(dialect)  # pragma: no cover - the two stores this project supports


def advance_position(connection: Connection, name: str, *, read: int, to: int) -> None:
    result = connection.execute(
        update(positions).where(positions.c.name == name, positions.c.position == read).values(position=to)
    )
    if result.rowcount != 1:
        raise PositionMoved(f"{name} is no longer at {read}")


def reset_position(connection: Connection, name: str) -> None:
    connection.execute(positions.delete().where(positions.c.name == name))
