"""The rebuild of a service's projections from its event store, beside the live ones: to
check them row by row (and put the rebuilt one in place), or to see the world as of an
instant. Reads the event store directly; changes no stored event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, select, update

from shared.readmodels.positions import positions, read_position
from shared.readmodels.projection import Projector
from shared.service import Service

# Told how far a projection's rebuild has come: (projection, notification reached, last notification).
Progress = Callable[[str, int, int], None]


def replay(
    service: Service,
    *,
    as_of: datetime | None = None,
    restart: bool = False,
    replace: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Rebuild each projection of `service` from its event store into a shadow beside the
    live one, telling `progress` as it goes. Interrupted, it resumes where it stopped
    (`restart` begins again) — unless the events it applied are no longer what the store
    holds (an event altered, removed or reordered since): then it starts again, and says
    why. Without `as_of`, it then checks that the rebuilt projection equals the live one."""
    progress = progress or _unwatched
    shadow_name = "asof" if as_of else "rebuild"
    shadow_engine = service.storage.shadow(shadow_name)
    results = {}
    try:
        for live in service.projectors:
            shadow = Projector(service.app, shadow_engine, live.projection, live.batch_size)
            shadow.create_tables(recreate=restart or as_of is not None)
            result: dict[str, Any] = {"where": shadow_name}
            applied = _Applied(service.app, shadow_engine, shadow.position_name)
            if shadow.position() == 0:
                applied.reset()
            elif not applied.still_stored(shadow.position()):
                result["restarted"] = (
                    f"the event store no longer holds the events the earlier rebuild applied (up to notification "
                    f"{shadow.position()}): an event was altered, removed or reordered since; rebuilt from the first"
                )
                shadow.create_tables(recreate=True)
                applied.reset()
            target = service.app.recorder.max_notification_id() or 0
            while shadow.run_once(stop=target, until=as_of):
                applied.advance(shadow.position())
                progress(live.projection.name, shadow.position(), target)
            applied.advance(shadow.position())
            progress(live.projection.name, shadow.position(), target)
            result["position"] = shadow.position()
            if as_of is None:
                result["differences"] = _compare(service, live, shadow, shadow_engine)
                applied.advance(shadow.position())
                if result["differences"] and replace:
                    _replace(live, shadow, shadow_engine)
                    result["replaced"] = True
            results[live.projection.name] = result
    finally:
        shadow_engine.dispose()
    return results


_applied_table = Table(
    "rebuild_applied",
    MetaData(),
    Column("name", String(200), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
)


class _Applied:
    """What a shadow projection was built from: a running SHA-256 over every event it
    applied (notification id, seal, content), kept beside it. A resumed rebuild recomputes
    it from the store, so an event changed, removed or moved since cannot go unnoticed."""

    def __init__(self, app: Any, engine: Engine, name: str) -> None:
        self.app, self.engine, self.name = app, engine, name
        with engine.begin() as connection:
            _applied_table.create(connection, checkfirst=True)
            row = connection.execute(select(_applied_table).where(_applied_table.c.name == name)).first()
        self.position: int = row.position if row else 0
        self.digest: str = row.digest if row else ""

    def still_stored(self, position: int) -> bool:
        """Whether the events up to `position` (where the shadow stands) are still the ones applied."""
        return self.position == position and self._digest(0, position, "") == self.digest

    def reset(self) -> None:
        self.position, self.digest = 0, ""
        self._save()

    def advance(self, position: int) -> None:
        if position != self.position:
            self.digest = self._digest(self.position, position, self.digest)
            self.position = position
            self._save()

    def _digest(self, after: int, upto: int, digest: str) -> str:
        from shared.eventstore.chain import content_of

        for notification_id, event in self.app.sealed_events(after=after):
            if notification_id > upto:
                break
            text = f"{digest}|{notification_id}|{getattr(event, 'chain', '')}|{content_of(event)}"
            digest = hashlib.sha256(text.encode()).hexdigest()
        return digest

    def _save(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(_applied_table.delete().where(_applied_table.c.name == self.name))
            connection.execute(
                _applied_table.insert().values(name=self.name, position=self.position, digest=self.digest)
            )


def _compare(service: Service, live: Projector, shadow: Projector, shadow_engine: Engine) -> list[str]:
    """Bring both to the same position, then compare every table row by row."""
    for _ in range(50):
        live.catch_up()
        target = live.position()
        while shadow.run_once(stop=target):
            pass
        if live.position() == shadow.position():
            break
    differences = []
    for table in live.projection.metadata.sorted_tables:
        order = list(table.primary_key.columns)
        with service.storage.engine.connect() as connection:
            live_rows = connection.execute(select(table).order_by(*order)).all()
        with shadow_engine.connect() as connection:
            rebuilt_rows = connection.execute(select(table).order_by(*order)).all()
        if [_normal(r) for r in live_rows] != [_normal(r) for r in rebuilt_rows]:
            differences.append(
                f"{table.name}: {len(live_rows)} live rows, {len(rebuilt_rows)} rebuilt, contents differ"
            )
    return differences


def _replace(live: Projector, shadow: Projector, shadow_engine: Engine) -> None:
    """Put the rebuilt rows in place of the live ones, with the rebuilt position, in one
    transaction that holds the live position row: the live projector waits, then goes on
    from there."""
    with live.engine.begin() as connection:
        read_position(connection, live.position_name, lock=True)
        tables = live.projection.metadata.sorted_tables
        for table in reversed(tables):
            connection.execute(table.delete())
        with shadow_engine.connect() as source:
            for table in tables:
                rows = [dict(row) for row in source.execute(select(table)).mappings()]
                if rows:
                    connection.execute(table.insert(), rows)
        connection.execute(
            update(positions).where(positions.c.name == live.position_name).values(position=shadow.position())
        )


def _normal(row: Any) -> tuple[Any, ...]:
    return tuple(value.replace(tzinfo=None) if isinstance(value, datetime) else value for value in row)


def _unwatched(projection: str, position: int, target: int) -> None:
    """Nobody watches the rebuild (a test, a script)."""
