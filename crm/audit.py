"""What auditors run: a deal's whole history across the services' event stores, and the
rebuild of a service's projections (to check them, or to see the world as of an instant).

Both read the event stores directly, configured by the same `CRM_*` variables as the
services, so they need no running service and change no stored event.
"""
from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, select, update

from services.pipeline.application import PipelineApplication
from services.registration.application import RegistrationApplication
from shared.commands import NotFound
from shared.history import owner_spans, stage_spans, stream_history
from shared.positions import positions, read_position
from shared.projection import Projector
from shared.service import Service
from shared.settings import Settings
from shared.storage import open_storage


def deal_history(settings: Settings, deal_id: UUID, as_of: datetime | None = None) -> dict[str, Any]:
    """Every event of the deal in time order, with its actor and reason, and the spans of
    each stage and each owner — as the deal stood at `as_of` if given."""
    stores = {
        "registration": RegistrationApplication(env=open_storage(settings, "registration").eventstore_env),
        "pipeline": PipelineApplication(env=open_storage(settings, "pipeline").eventstore_env),
    }
    now = as_of or datetime.now(UTC)
    events: list[dict[str, Any]] = []
    spans: dict[str, list[dict[str, Any]]] = {"stage_spans": [], "owner_spans": []}
    try:
        for service, app in stores.items():
            try:
                rows, deal = stream_history(app, service, deal_id, as_of)
            except NotFound:
                continue
            events += rows
            if service == "pipeline":
                spans["stage_spans"] = stage_spans(deal, now)
            else:
                spans["owner_spans"] = owner_spans(deal, now)
    finally:
        for app in stores.values():
            app.close()
    if not events:
        raise LookupError(f"no deal {deal_id} in the event stores" + (f" as of {as_of.isoformat()}" if as_of else ""))
    events.sort(key=lambda e: (e["time"], e["service"], e["version"]))
    return {"deal_id": str(deal_id), "as_of": as_of.isoformat() if as_of else None, "events": events, **spans}


def verify_store(settings: Settings, service: str) -> tuple[int, list[Any]]:
    """(events checked, the events that break their stream's chain) for one service."""
    from shared.chain import verify
    from shared.eventstore import ServiceApplication

    class Store(ServiceApplication):
        name = service  # the same tables the service writes

    app = Store(env=open_storage(settings, service).eventstore_env)
    try:
        counted = 0

        def counting() -> Any:
            nonlocal counted
            for item in app.sealed_events():
                counted += 1
                yield item

        problems = list(verify(counting()))
    finally:
        app.close()
    return counted, problems


# -- replay ---------------------------------------------------------------------------------


def replay(
    service: Service, *, as_of: datetime | None = None, restart: bool = False, replace: bool = False, out: Any = None
) -> dict[str, Any]:
    """Rebuild each projection of `service` from its event store into a shadow beside the
    live one, with progress. Interrupted, it resumes where it stopped (`restart` begins
    again). Without `as_of`, it then checks that the rebuilt projection equals the live one."""
    out = out or sys.stderr
    shadow_name = "asof" if as_of else "rebuild"
    shadow_engine = service.storage.shadow(shadow_name)
    results = {}
    try:
        for live in service.projectors:
            shadow = Projector(service.app, shadow_engine, live.projection, live.batch_size)
            shadow.create_tables(recreate=restart or as_of is not None)
            target = service.app.recorder.max_notification_id() or 0
            while shadow.run_once(stop=target, until=as_of):
                _progress(out, live.projection.name, shadow.position(), target)
            _progress(out, live.projection.name, shadow.position(), target, done=True)
            result: dict[str, Any] = {"position": shadow.position(), "where": shadow_name}
            if as_of is None:
                result["differences"] = _compare(service, live, shadow, shadow_engine)
                if result["differences"] and replace:
                    _replace(live, shadow, shadow_engine)
                    result["replaced"] = True
            results[live.projection.name] = result
    finally:
        shadow_engine.dispose()
    return results


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
            differences.append(f"{table.name}: {len(live_rows)} live rows, {len(rebuilt_rows)} rebuilt, contents differ")
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


def _progress(out: Any, name: str, position: int, target: int, done: bool = False) -> None:
    width = 30
    filled = width if not target else min(width, width * position // target)
    out.write(f"\r{name:<22} [{'#' * filled}{'.' * (width - filled)}] {position}/{target}" + ("\n" if done else ""))
    out.flush()
